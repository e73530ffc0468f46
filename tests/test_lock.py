"""requirements.lock: exact versions for everything requirements.txt asks for, kept in step with it
(refresh: `bash scripts/lock.sh`), and installed by the README's commands and CI."""
import re
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REFRESH = "requirements.lock is out of step with requirements.txt: run `bash scripts/lock.sh`"


def requirement_lines(path):
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line]


def locked():
    """{name: version} of the lock's entries for this interpreter and platform."""
    pins = {}
    for line in requirement_lines(ROOT / "requirements.lock"):
        if line.startswith("-"):
            continue
        r = Requirement(line)
        assert len(r.specifier) == 1 and next(iter(r.specifier)).operator == "==", f"not exact: {line}"
        if r.marker is None or r.marker.evaluate(default_environment()):
            name = canonicalize_name(r.name)
            assert name not in pins, f"{name} locked twice for this platform"
            pins[name] = next(iter(r.specifier)).version
    return pins


def test_every_requirement_is_locked_at_a_version_it_admits():
    pins = locked()
    for line in requirement_lines(ROOT / "requirements.txt"):
        if line.startswith("-"):
            continue
        r = Requirement(line)
        name = canonicalize_name(r.name)
        assert name in pins, REFRESH
        assert r.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]}: {REFRESH}"


def test_the_course_package_is_locked_editable_and_its_dependencies_admit_the_lock():
    assert "-e ." in requirement_lines(ROOT / "requirements.lock"), REFRESH
    pins = locked()
    for dependency in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        r = Requirement(dependency)
        assert r.specifier.contains(pins[canonicalize_name(r.name)]), dependency


def test_the_lock_names_no_machine():
    text = (ROOT / "requirements.lock").read_text()
    assert not re.search(r"file:|--(extra-)?index-url|--find-links|/(work|tmp|root|home|opt)/", text)
    assert "bash scripts/lock.sh" in text, "the lock says how it is refreshed"


def test_setup_and_ci_install_the_lock():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert re.search(r"install=\(-r requirements\.lock\)", setup)
    assert "bash scripts/setup.sh" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/setup.sh && bash scripts/build_book.sh" in readme
    assert "bash scripts/setup.sh --browser && python -m pytest" in readme
