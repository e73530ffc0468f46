"""A Colab runtime as close as this machine allows, and a chapter's first cell run in it as written.

    python scripts/simulate_colab.py [--at DIR]

1. A fresh virtual environment (in DIR, or a temporary folder) gets Colab's stack: a CUDA build
   of torch and torchvision, ipywidgets 7.7.1, and Colab's numpy, matplotlib, pandas, IPython and
   ipykernel. tqdm, which Colab has, is left out so that the cell has one dependency to add.
2. The first code cell of chapters/03_lenet.ipynb runs twice, unedited, with COURSE_SOURCE
   pointing at a clean clone of this repository's HEAD (the stand-in for the GitHub release).
3. Versions are printed before and after each run; the script fails if the cell changed any
   package that was there, if the second run changed anything, or if the chapter's first steps
   fail: `import lib`, its data loading (files the cell would fetch from GitHub are served from
   the clone) and an explorer displayed, with both views, and moved under ipywidgets 7.7.1.

Colab runs Python 3.12. PyTorch for 3.12 is a multi-GB download from PyPI, while the
environment's Python here (3.11) finds torch 2.14.1 and torchvision 0.29.1 on this machine's
disk, CUDA builds with their nvidia-* libraries like Colab's own: the simulation keeps the
interpreter's version, and everything else that matters to the cell (no course installed, a
stack the cell must not touch, a missing dependency) as on Colab.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "03_lenet.ipynb"
# Colab's runtime (Python 3.12 there): the packages the course needs or could disturb.
COLAB = ["torch==2.14.1", "torchvision==0.29.1", "ipywidgets==7.7.1", "numpy==2.0.2",
         "matplotlib==3.10.0", "pandas==2.2.2", "ipython==7.34.0", "ipykernel==6.17.1", "notebook==6.5.7",
         "requests"]
SHOWN = ["torch", "torchvision", "ipywidgets", "numpy", "matplotlib", "pandas", "ipython",
         "ipykernel", "notebook", "tqdm", "modern-convnets-course"]

FIRST_STEPS = r'''
import json, sys, urllib.request
from pathlib import Path

clone = Path(sys.argv[1])
import lib
served = []
raw = lib.REPOSITORY.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/"
real_urlopen = urllib.request.urlopen


def urlopen(url, *args, **kwargs):
    """GitHub's raw files, served from the clone: this machine reaches no GitHub."""
    address = getattr(url, "full_url", url)
    if address.startswith(raw):
        served.append(address)
        return open(clone / address[len(raw):].split("/", 1)[1], "rb")
    return real_urlopen(url, *args, **kwargs)


urllib.request.urlopen = urlopen
data = lib.data.load("fashion_mnist", batch_size=128)
X, y = next(iter(data.train))

from IPython.core.interactiveshell import InteractiveShell
from IPython.display import display
from IPython.utils.capture import capture_output
from lib.widgets import lenet as lenet_widget, explore

InteractiveShell.instance()
box = explore(lenet_widget.lenet_cost, lenet_widget.CONTROLS, value=lenet_widget.DEFAULTS,
              labels=lenet_widget.LABELS)
with capture_output() as captured:
    display(box)
name, options = next(iter(box.controls.items()))
before = box._output.value
box._widgets[name].value = options[0] if box.value[name] != options[0] else options[-1]
print(json.dumps({
    "lib": lib.__file__, "version": lib.__version__, "served": served, "source": data.source,
    "batch": [list(X.shape), list(y.shape)],
    "explorer display": sorted(captured.outputs[0].data),
    "explorer moved": box._output.value != before,
}))
'''


def run(args, **kwargs):
    return subprocess.run([str(a) for a in args], check=True, text=True, **kwargs)


def versions(python, cwd, env) -> dict:
    """{distribution: version} as the runtime sees them from the notebook's folder."""
    script = ("import importlib.metadata as m, json, platform\n"
              "found = {d.metadata['Name'].lower(): d.version for d in m.distributions()}\n"
              "print(json.dumps({**found, 'python': platform.python_version()}))")
    return json.loads(run([python, "-c", script], capture_output=True, cwd=cwd, env=env).stdout)


def pip_install(python, *args):
    """pip install, its warnings about this machine's package folders left out."""
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", *args], text=True, capture_output=True)
    sys.stderr.write("".join(l + "\n" for l in done.stderr.splitlines() if "is ignored" not in l))
    done.check_returncode()


def show(title, found):
    print(f"\n{title}")
    for name in ["python", *SHOWN]:
        print(f"  {name:24} {found.get(name, '(not installed)')}")


def changes(before, after):
    return {name: (before.get(name), after.get(name))
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)}


def main(at: Path | None):
    work = Path(at or tempfile.mkdtemp(prefix="colab-"))
    env_dir, clone, content = work / "runtime", work / "course", work / "content"
    python = env_dir / "bin" / "python"
    if not python.exists():
        print(f"Colab's stack into {env_dir} (torch from this machine's disk: a few minutes)")
        venv.create(env_dir, with_pip=True)
        pip_install(python, *COLAB)
    if not clone.exists():
        run(["git", "clone", "-q", ROOT, clone])
    content.mkdir(exist_ok=True)
    shutil.rmtree(content / "data", ignore_errors=True)  # what an earlier run fetched
    cell = next(c.source for c in nbformat.read(CHAPTER, as_version=4).cells if c.cell_type == "code")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["COURSE_SOURCE"] = str(clone)
    print(f"the course: a clone of HEAD, {run(['git', '-C', clone, 'log', '-1', '--format=%h %s'], capture_output=True).stdout.strip()}")

    show("Before the first cell:", versions(python, content, env))
    failures = []
    for attempt in ("first", "second"):
        before = versions(python, content, env)
        run([python, "-"], input=cell, cwd=content, env=env)
        after = versions(python, content, env)
        changed = changes(before, after)
        print(f"\nThe cell's {attempt} run changed: {changed or 'nothing'}")
        if attempt == "first":
            show("After it:", after)
            touched = {n: c for n, c in changed.items() if c[0] is not None}
            if touched:
                failures.append(f"the cell changed installed packages: {touched}")
            if set(changed) != {"modern-convnets-course", "tqdm"}:
                failures.append(f"expected the course and tqdm alone to be added: {sorted(changed)}")
        elif changed:
            failures.append(f"the second run changed {changed}")

    steps = run([python, "-c", FIRST_STEPS, clone], capture_output=True, cwd=content, env=env)
    print(steps.stdout.rstrip())
    result = json.loads(steps.stdout.strip().splitlines()[-1])
    if not result["lib"].startswith(str(env_dir)):
        failures.append(f"lib was imported from {result['lib']}, not the runtime's install")
    if result["explorer display"] != ["application/vnd.jupyter.widget-view+json", "text/html", "text/plain"]:
        failures.append(f"the explorer's display under ipywidgets 7.7.1: {result['explorer display']}")
    if not result["explorer moved"]:
        failures.append("moving an explorer's control did not change its answer")
    print("\n" + ("\n".join(f"FAILED: {f}" for f in failures) or
                  "Colab simulation passed: the stack is unchanged, the course works."))
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--at", type=Path, help="folder for the runtime (kept and reused)")
    sys.exit(main(parser.parse_args().at))
