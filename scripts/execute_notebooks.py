"""Execute chapters in place, storing their outputs (what nbval later compares against).

    python scripts/execute_notebooks.py                            # every chapter
    python scripts/execute_notebooks.py chapters/03_lenet.ipynb    # one chapter
    python scripts/execute_notebooks.py --budget quick --no-write  # time a reader's quick run

The book's stored outputs are produced under the `full` budget on the offline digits (4,000
training and 1,000 test images): each training call runs the epochs its chapter asks for, on
every image (see `lib.train`). The script sets COURSE_BUDGET and COURSE_DATA for the kernels
itself, so a value left in the shell cannot change what is stored. Training cells carry the
`nbval-ignore-output` tag, so the tests' smoke run still compares everything else exactly.

For each chapter it prints the time it took and, for every training run, the final test
accuracy, the epochs and the training speed; at the end a table of all chapters, with the load
average (timings on a shared machine are only as good as its load).

Live widget views are not stored: their state holds random ids that would change the file on
every run, and a stored view without a kernel shows nothing. The static HTML version that every
explorer carries is what a reader sees until the cell runs again.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: What the kernels run with: the stored outputs' budget and data, and (on a machine shared
#: with other processes) OpenMP threads that sleep instead of spinning while they wait.
KERNEL_ENVIRONMENT = {"MPLBACKEND": "module://matplotlib_inline.backend_inline",
                      "OMP_WAIT_POLICY": "PASSIVE"}


def join_streams(nb):
    """Consecutive prints to one stream are stored as one output, as a reader sees them: a table
    printed line by line with flushes shows as one block, not one block a line."""
    for cell in nb.cells:
        joined = []
        for output in cell.get("outputs", []):
            previous = joined[-1] if joined else None
            if (output.get("output_type") == "stream" and previous is not None
                    and previous.get("output_type") == "stream" and previous["name"] == output["name"]):
                previous["text"] += output["text"]
            else:
                joined.append(output)
        if "outputs" in cell:
            cell["outputs"] = joined
    return nb


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


def load() -> str:
    return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())


def execute(path: Path, write: bool) -> tuple[float, list[dict]]:
    """Runs one notebook; returns its seconds and the histories of its training runs."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as log:
        os.environ["COURSE_HISTORY_LOG"] = log.name
        start = time.perf_counter()
        NotebookClient(nb, timeout=3600, kernel_name="python3", store_widget_state=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
        runs = [json.loads(line) for line in log]
    if write:
        nbformat.write(join_streams(strip_widget_views(nb)), path)
    return seconds, runs


def describe(run: dict) -> str:
    accuracy = run["test_acc"][-1] if run["test_acc"] else None
    note = f", {run['diagnosis']}" if run["diagnosis"] else ""
    speed = sorted(run["images_per_s"])[len(run["images_per_s"]) // 2] if run["images_per_s"] else 0
    return (f"{run['model']}: test acc {accuracy if accuracy is None else f'{accuracy:.3f}'} after "
            f"{len(run['epoch'])}/{run['epochs']} epochs on {run['num_train_images']:,} images"
            f"{note}; {speed:,.0f} images/s, {sum(run['seconds']):.0f} s ({run['precision']})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="*", type=Path, help="notebooks (default: chapters/*.ipynb)")
    p.add_argument("--budget", default="full", choices=["full", "quick", "smoke"],
                   help="COURSE_BUDGET for the kernels (default: full, the stored outputs')")
    p.add_argument("--data", default="offline", choices=["offline", "online"],
                   help="COURSE_DATA for the kernels (default: offline, the shipped digits)")
    p.add_argument("--no-write", dest="write", action="store_false",
                   help="run and report, but leave the notebooks as they are")
    args = p.parse_args(argv)
    paths = args.paths or sorted(Path("chapters").glob("*.ipynb"))
    for key, value in KERNEL_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    os.environ.update(COURSE_BUDGET=args.budget, COURSE_DATA=args.data)
    print(f"{len(paths)} notebook(s), budget {args.budget}, data {args.data}"
          f"{'' if args.write else ', not written'}; {load()}", flush=True)
    table = []
    for path in paths:
        seconds, runs = execute(path, args.write)
        print(f"{path}: {seconds:.0f} s, {len(runs)} training run(s); {load()}", flush=True)
        for run in runs:
            print(f"  {describe(run)}", flush=True)
        table.append((path.name, seconds, runs))
    print(f"\n| notebook | seconds ({args.budget}) | final test accuracy of each run |\n| --- | --- | --- |")
    for name, seconds, runs in table:
        accuracies = ", ".join(f"{r['test_acc'][-1]:.3f}" for r in runs if r["test_acc"]) or "-"
        print(f"| {name} | {seconds:.0f} | {accuracies} |")
    print(f"{load()}")


if __name__ == "__main__":
    main(sys.argv[1:])
