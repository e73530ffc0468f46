"""Execute chapters in place, storing their outputs (what nbval later compares against).

    python scripts/execute_notebooks.py chapters/01_building_blocks.ipynb [...]

Stored outputs come from the `quick` budget on the offline dataset unless COURSE_BUDGET and
COURSE_DATA say otherwise; training cells are marked NBVAL_IGNORE_OUTPUT, so nbval's smoke
run still compares everything else exactly.
"""
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(paths):
    os.environ.setdefault("COURSE_BUDGET", "quick")
    os.environ.setdefault("COURSE_DATA", "offline")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        nbformat.write(nb, path)
        print(f"{path}: {time.perf_counter() - start:.0f} s under the "
              f"{os.environ['COURSE_BUDGET']} budget")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(str(p) for p in Path("chapters").glob("*.ipynb")))
