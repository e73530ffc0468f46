"""The repository is named once, in _config.yml; the library's copy and the data URL follow it."""
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import lib
from lib import data

ROOT = Path(__file__).resolve().parents[1]


def test_library_names_the_configured_repository():
    config = (ROOT / "_config.yml").read_text()
    assert re.search(r"^\s+url:\s*(\S+)", config, re.M).group(1) == lib.REPOSITORY
    assert re.search(r"^\s+branch:\s*(\S+)", config, re.M).group(1) == lib.BRANCH


def test_offline_file_is_fetched_from_the_repository_when_missing(tmp_path, monkeypatch, capsys):
    shipped = data.data_dir() / data.OFFLINE_FILE
    asked = []

    def urlopen(url, timeout):
        asked.append(url)
        return open(shipped, "rb")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    target = tmp_path / "data" / data.OFFLINE_FILE
    x_train, y_train, x_test, y_test = data._offline(target)
    assert asked == ["https://raw.githubusercontent.com/modern-convnets/course/main/data/mnist_5k.npz"]
    assert target.read_bytes() == shipped.read_bytes()
    assert len(x_train) + len(x_test) == 5000
    assert "fetching it from" in capsys.readouterr().out


def test_modules_are_attributes_of_the_package_loaded_on_first_use():
    script = """
import sys
import lib
assert "torch" not in sys.modules and "ipywidgets" not in sys.modules, "import lib loaded them"
assert lib.cost.conv_output_size(28, 5, 2) == 28
assert lib.models.create("lenet") is not None
assert callable(lib.data.load) and callable(lib.train.fit) and callable(lib.widgets.explore)
assert {"cost", "models", "data", "train", "widgets"} <= set(dir(lib))
try:
    lib.costs
except AttributeError as e:
    assert "costs" in str(e) and "cost" in str(e).split(";")[1], e
else:
    raise AssertionError("lib.costs exists")
"""
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                   check=True)


def test_test_dependencies_are_required_not_skipped():
    """What CI installs is required: a missing d2l or scipy fails the tests, never skips them."""
    skipping = [path.name for path in sorted((ROOT / "tests").glob("*.py"))
                if "importorskip(" in path.read_text() and path.name != Path(__file__).name]
    assert skipping == []
    from d2l import torch as d2l  # noqa: F401  (scripts/setup.sh installs it without its pins)
    from scipy import signal  # noqa: F401
