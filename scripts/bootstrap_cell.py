"""The first code cell of every chapter, kept here once and written into the chapters.

    python scripts/bootstrap_cell.py chapters/07_googlenet.ipynb   # one chapter (new or old)
    python scripts/bootstrap_cell.py                               # every chapter

On a runtime without the course (Colab opens a single notebook), the cell installs the course
release `lib.RELEASE` from the repository named in _config.yml, with `--no-deps`, and then only
those of its dependencies that are missing: the torch, torchvision, ipywidgets, numpy and
matplotlib that the runtime brings stay as they are. It recognises the course by what is
its own, not by whether some module named `lib` imports (any `lib/` folder in the working
directory would): a checkout is a `lib` next to a pyproject.toml naming the course's
distribution, `modern-convnets-course` (an editable install, as scripts/setup.sh and Binder
make, or the repository on the path), and is never replaced; otherwise the distribution's
installed version decides: missing or an older release is installed, the release itself or a
newer one is left alone, so a second run does nothing. The variable COURSE_SOURCE, when set,
is installed instead of the release (any pip target: a local copy of the repository, a wheel):
the cell is tested against a copy without editing it.

A chapter's cell is replaced when its first code cell is an older version of this one, and
inserted before the first code cell otherwise. tests/test_book.py checks that every chapter
starts with exactly this cell.
"""
import re
import string
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "modern-convnets-course"
# A first code cell that starts so is this cell, or an older version of it.
MARK = "# Colab"
# The book shows the cell folded: it is plumbing for a runtime without the course.
TAGS = ["hide-input"]

CELL = string.Template('''\
# Colab and other fresh runtimes: install the course package, release $release, keeping the torch,
# ipywidgets, numpy and matplotlib already there. A second run, or a local install, does nothing.
import importlib, importlib.metadata as metadata, importlib.util, os, re, subprocess, sys
from pathlib import Path


def installed(name):
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def working_copy():
    \"\"\"`lib` comes from a checkout of the course (pip install -e ., Binder): never replaced.\"\"\"
    spec = importlib.util.find_spec("lib")
    if spec is None or spec.origin is None:
        return False
    project = Path(spec.origin).parent.parent / "pyproject.toml"
    return project.is_file() and 'name = "$distribution"' in project.read_text()


def older_than_release(course):
    return course is None or [int(n) for n in course.version.split(".")] < $version


if not working_copy() and older_than_release(installed("$distribution")):
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    source = os.environ.get("COURSE_SOURCE", "$source")
    subprocess.run(pip + ["--no-deps", "--force-reinstall", source], check=True)
    requires = metadata.requires("$distribution")
    missing = [r for r in requires if installed(re.match(r"[\\w.-]+", r)[0]) is None]
    if missing:
        subprocess.run(pip + missing, check=True)
    importlib.invalidate_caches()
    if "lib" in sys.modules:
        print("The course package was upgraded: restart the runtime (Runtime > Restart session).")''')


def release_source() -> str:
    """`git+<repository url>@<release tag>`: the repository from _config.yml, the tag from lib."""
    sys.path.insert(0, str(ROOT))
    try:
        import lib
    finally:
        sys.path.pop(0)
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    return f"git+{url}@{lib.RELEASE}"


def cell_source() -> str:
    source = release_source()
    release = source.rsplit("@", 1)[1]
    version = [int(n) for n in re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", release).groups()]
    return CELL.substitute(release=release, version=version, source=source, distribution=DISTRIBUTION)


def write(path: Path) -> bool:
    """Make the chapter at `path` start with the cell; True when the file changed."""
    nb = nbformat.read(path, as_version=4)
    text = cell_source()
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if code and nb.cells[code[0]].source.startswith(MARK):
        cell = nb.cells[code[0]]
        if cell.source == text and cell.metadata.get("tags") == TAGS:
            return False
        cell.source = text
        cell.outputs = []
    else:
        cell = nbformat.v4.new_code_cell(text)
        nb.cells.insert(code[0] if code else len(nb.cells), cell)
    cell.metadata["tags"] = list(TAGS)
    nbformat.write(nb, path)
    return True


def main(paths):
    for path in map(Path, paths or sorted(ROOT.glob("chapters/*.ipynb"))):
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        print(f"{shown}: {'written' if write(path) else 'already current'}")


if __name__ == "__main__":
    main(sys.argv[1:])
