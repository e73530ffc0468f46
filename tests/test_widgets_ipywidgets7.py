"""The chapters' explorers under ipywidgets 7.7.1, the release Colab ships: a small environment
made for the session (ipywidgets 7.7.1 over this environment's packages) runs
tests/test_widgets_chapters.py and the shell's own tests again."""
import os
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COLAB_IPYWIDGETS = "7.7.1"
# ipywidgets 7.7.1 and what it imports that ipywidgets 8 dropped; the front-end packages it
# names (widgetsnbextension, jupyterlab_widgets) hold no kernel-side code and are left out.
PACKAGES = [f"ipywidgets=={COLAB_IPYWIDGETS}", "ipython_genutils==0.2.0"]
TESTS = ["tests/test_widgets_chapters.py", "tests/test_widgets_core.py"]


@pytest.fixture(scope="session")
def python7(tmp_path_factory):
    """A Python that has ipywidgets 7.7.1 and, behind it, every package of this environment
    (a venv or not: `--system-site-packages` would reach the base interpreter's instead)."""
    where = tmp_path_factory.mktemp("ipywidgets7")
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", *PACKAGES], check=True)
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    here = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "this-environment.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({path!r})" for path in here) + "\n")
    return python


def test_explorers_work_under_colabs_ipywidgets(python7):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSE_IPYWIDGETS": COLAB_IPYWIDGETS}
    run = subprocess.run([python7, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                          *TESTS], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    summary = run.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, summary


def test_this_environment_has_the_locked_ipywidgets():
    """The other run: here, the ipywidgets of requirements.lock (8.x), which JupyterLab renders."""
    import ipywidgets
    assert int(ipywidgets.__version__.split(".")[0]) >= 8
