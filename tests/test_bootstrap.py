"""Every chapter's first cell, run as written against a pretend runtime: what it asks pip to do.

The end-to-end run (a fresh environment shaped like Colab's, the cell run twice against a local
copy of the repository) is scripts/simulate_colab.py; these cases are its decisions alone."""
import importlib.machinery
import importlib.metadata
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import lib

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bootstrap_cell", ROOT / "scripts" / "bootstrap_cell.py")
bootstrap_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bootstrap_cell)

COURSE = bootstrap_cell.DISTRIBUTION
DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
RELEASE_TARGET = f"git+{lib.REPOSITORY}@{lib.RELEASE}"


class Distribution:
    def __init__(self, version):
        self.version = version


def checkout(where: Path, name=COURSE) -> Path:
    """A folder holding `lib/` and a pyproject.toml naming the distribution `name`."""
    (where / "lib").mkdir(parents=True)
    (where / "lib" / "__init__.py").write_text("")
    (where / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n')
    return where / "lib"


def run_cell(monkeypatch, installed: dict, lib_at: Path | None = None, env=None):
    """Run the cell with `installed` ({name: Distribution}) as the runtime's packages and `lib`
    imported from the folder `lib_at` (None: no module `lib`); the pip commands it ran, each as
    its arguments after `pip install -q`."""
    commands = []
    find_spec = importlib.util.find_spec

    def distribution(name):
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return installed[name]

    def lib_spec(name, *args):
        if name != "lib":
            return find_spec(name, *args)
        return None if lib_at is None else importlib.machinery.ModuleSpec(
            "lib", None, origin=str(lib_at / "__init__.py"))

    def run(args, check):
        assert args[:5] == [sys.executable, "-m", "pip", "install", "-q"] and check
        commands.append(args[5:])
        if "--no-deps" in args:
            installed[COURSE] = Distribution(lib.__version__)
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    monkeypatch.setattr(importlib.metadata, "requires", lambda name: list(DEPENDENCIES))
    monkeypatch.setattr(importlib.util, "find_spec", lib_spec)
    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.delenv("COURSE_SOURCE", raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    exec(compile(bootstrap_cell.cell_source(), "bootstrap cell", "exec"), {})
    return commands


def name_of(requirement):
    return Requirement(requirement).name


def colab(**extra):
    """Colab's stack: every dependency of the course installed, at whatever version it has."""
    have = {name_of(r): Distribution("1.0") for r in DEPENDENCIES}
    have.update(extra)
    return have


def test_dependencies_are_plain_requirements_the_cell_can_read():
    """The cell takes each dependency's name from the front of its requirement: no markers or extras."""
    for r in map(Requirement, DEPENDENCIES):
        assert r.marker is None and not r.extras, r


def test_a_fresh_runtime_gets_the_release_and_nothing_else(monkeypatch, capsys):
    commands = run_cell(monkeypatch, colab())
    assert commands == [["--no-deps", "--force-reinstall", RELEASE_TARGET]]
    assert "restart the runtime" in capsys.readouterr().out  # this process has imported lib


def test_only_missing_dependencies_are_added(monkeypatch):
    have = colab()
    del have["tqdm"]
    commands = run_cell(monkeypatch, have)
    tqdm = [r for r in DEPENDENCIES if name_of(r) == "tqdm"]
    assert commands == [["--no-deps", "--force-reinstall", RELEASE_TARGET], tqdm]


def test_a_second_run_does_nothing(monkeypatch):
    have = colab()
    assert run_cell(monkeypatch, have) != []
    assert run_cell(monkeypatch, have) == []


@pytest.mark.parametrize("version, installs", [
    ("0.1.0", True),             # an older release is upgraded
    (lib.__version__, False),    # the release itself is left alone
    ("99.0.0", False),           # so is a newer one
])
def test_the_installed_release_decides(monkeypatch, tmp_path, version, installs):
    site = tmp_path / "site-packages" / "lib"  # an installed release: no pyproject.toml beside it
    commands = run_cell(monkeypatch, colab(**{COURSE: Distribution(version)}), lib_at=site)
    assert (commands != []) == installs


def test_a_checkout_is_never_replaced(monkeypatch, tmp_path):
    """pip install -e . (scripts/setup.sh, Binder) or the repository on the path, whatever its
    metadata says: an older version number, or none at all."""
    copy = checkout(tmp_path / "course")
    assert run_cell(monkeypatch, colab(**{COURSE: Distribution("0.1.0")}), lib_at=copy) == []
    assert run_cell(monkeypatch, colab(), lib_at=copy) == []
    assert run_cell(monkeypatch, colab(), lib_at=ROOT / "lib") == []


def test_a_folder_named_lib_is_not_the_course(monkeypatch, tmp_path):
    """A `lib` that imports from the working directory, even beside another project's
    pyproject.toml, says nothing: the course is not there, and is installed."""
    other = checkout(tmp_path / "elsewhere", name="someone-elses-project")
    assert run_cell(monkeypatch, colab(), lib_at=other)[0][-1] == RELEASE_TARGET


def test_course_source_points_the_cell_at_another_copy(monkeypatch, tmp_path):
    commands = run_cell(monkeypatch, colab(), env={"COURSE_SOURCE": str(tmp_path)})
    assert commands == [["--no-deps", "--force-reinstall", str(tmp_path)]]
