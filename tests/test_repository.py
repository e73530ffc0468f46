"""The repository is named once, in _config.yml; the library's copy and the data URL follow it."""
import re
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
