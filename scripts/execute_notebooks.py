"""Execute chapters in place, storing their outputs (what nbval later compares against).

    python scripts/execute_notebooks.py chapters/01_building_blocks.ipynb [...]

Live widget views are not stored: their state holds random ids that would change the file on
every run, and a stored view without a kernel shows nothing. The static HTML version that every
explorer carries is what a reader sees until the cell runs again.

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


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def strip_widget_views(nb):
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        # A progress bar's text is its state when it was created (0%): drop it with its view.
        outputs[:] = [o for o in outputs if not (WIDGET_VIEW in o.get("data", {})
                                                  and "text/html" not in o.get("data", {}))]
        for output in outputs:
            output.get("data", {}).pop(WIDGET_VIEW, None)
    return nb


def main(paths):
    os.environ.setdefault("COURSE_BUDGET", "quick")
    os.environ.setdefault("COURSE_DATA", "offline")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=1800, kernel_name="python3", store_widget_state=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        nbformat.write(strip_widget_views(nb), path)
        print(f"{path}: {time.perf_counter() - start:.0f} s under the "
              f"{os.environ['COURSE_BUDGET']} budget")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(str(p) for p in Path("chapters").glob("*.ipynb")))
