"""The datasets: the offline fallback, its split, resizing, devices and minibatches."""
import gzip
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from torchvision.transforms import functional as TF

from lib import data as datasets

CSV = Path("/work/shared/data/mnist_5k.csv.gz")


@pytest.fixture(scope="module")
def offline():
    return datasets.load("fashion_mnist", batch_size=100, device="cpu")


def test_offline_fallback_is_announced(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", "offline")
    d = datasets.load("fashion_mnist", device="cpu")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert "Fashion-MNIST not used (COURSE_DATA=offline)" in out[0]
    assert "5,000" in out[0] and "4,000 training" in out[0] and "1,000 test" in out[0]
    assert d.name == "mnist_5k" and "mnist_5k" in d.source


def test_failed_download_falls_back_and_says_why(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_DATA", raising=False)

    def no_network(root):
        raise OSError("Name or service not known")

    monkeypatch.setattr(datasets, "_fashion_mnist", no_network)
    d = datasets.load("fashion_mnist", device="cpu")
    out = capsys.readouterr().out
    assert "download failed: OSError: Name or service not known" in out
    assert d.num_train == 4000 and d.num_test == 1000


def test_asking_for_the_offline_set_is_not_a_fallback(capsys):
    d = datasets.load("mnist_5k", device="cpu")
    assert capsys.readouterr().out == ""
    assert d.name == "mnist_5k"


def test_loading_is_deterministic(offline):
    again = datasets.load("fashion_mnist", batch_size=100, device="cpu")
    assert torch.equal(offline.train.images, again.train.images)
    assert torch.equal(offline.test.labels, again.test.labels)


def test_split_sizes_and_stratification(offline):
    assert (offline.num_train, offline.num_test) == (4000, 1000)
    assert torch.bincount(offline.train.labels, minlength=10).tolist() == [400] * 10
    assert torch.bincount(offline.test.labels, minlength=10).tolist() == [100] * 10
    train = {bytes(x) for x in offline.train.images.flatten(1).numpy()}
    assert not any(bytes(x) in train for x in offline.test.images.flatten(1).numpy())


@pytest.mark.skipif(not CSV.is_file(), reason="the source CSV is not on this machine")
def test_offline_file_holds_the_csv_rows_and_the_script_reproduces_it(tmp_path):
    with gzip.open(CSV, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    shipped = np.load(datasets.data_dir() / datasets.OFFLINE_FILE)
    images = np.concatenate([shipped["x_train"], shipped["x_test"]]).reshape(-1, 784)
    labels = np.concatenate([shipped["y_train"], shipped["y_test"]])
    as_rows = np.sort(np.column_stack([images, labels]).view("V785").ravel())
    assert np.array_equal(as_rows, np.sort(rows.view("V785").ravel()))

    import importlib.util
    spec = importlib.util.spec_from_file_location("make_offline_data", Path(__file__).parents[1] / "scripts" / "make_offline_data.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    make.main(["--source", str(CSV), "--out", str(tmp_path / "again.npz")])
    again = np.load(tmp_path / "again.npz")
    for key in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(again[key], shipped[key]), key


def test_normalised_once_with_training_statistics(offline):
    x = offline.train.images
    assert abs(x.mean().item()) < 1e-4 and abs(x.std().item() - 1) < 1e-4
    assert 0.10 < offline.mean < 0.16 and 0.28 < offline.std < 0.34  # MNIST: 0.1307, 0.3081


def test_classes():
    assert datasets.FASHION_MNIST_CLASSES == tuple(torchvision.datasets.FashionMNIST.classes)
    d = datasets.load("mnist_5k", device="cpu")
    assert d.classes == tuple("0123456789")


def test_resize_matches_torchvision(offline):
    d = datasets.load("mnist_5k", resize=64, batch_size=50, device="cpu")
    assert d.image_size == (1, 64, 64)
    X, y = next(iter(d.test))
    assert X.shape == (50, 1, 64, 64) and y.shape == (50,)
    expected = TF.resize(offline.test.images[:50], [64, 64], antialias=True)
    torch.testing.assert_close(X, expected)


def test_large_resizes_happen_per_batch_with_the_same_result(monkeypatch):
    stored = datasets.load("mnist_5k", resize=(40, 36), batch_size=64, device="cpu")
    monkeypatch.setattr(datasets, "MAX_RESIZED_BYTES", 1000)
    lazy = datasets.load("mnist_5k", resize=(40, 36), batch_size=64, device="cpu")
    assert lazy.train.images.shape[-2:] == (28, 28) and lazy.train.size == (40, 36)
    assert stored.train.images.shape[-2:] == (40, 36) and stored.train.size is None
    assert lazy.image_size == stored.image_size == (1, 40, 36)
    for (a, ya), (b, yb) in zip(stored.train.epoch(3), lazy.train.epoch(3)):
        torch.testing.assert_close(a, b)
        assert torch.equal(ya, yb)


def test_tensors_live_on_the_requested_device():
    d = datasets.load("mnist_5k", batch_size=32, device="meta")
    X, y = next(iter(d.train))
    assert X.device.type == y.device.type == "meta" and d.device.type == "meta"
    assert X.shape == (32, 1, 28, 28)


def test_default_device_is_the_gpu_when_there_is_one():
    d = datasets.load("mnist_5k", batch_size=32)
    expected = "cuda" if torch.cuda.is_available() else datasets.default_device().type
    assert d.device.type == expected


def test_an_epoch_visits_every_image_once_in_a_seeded_order(offline):
    batches = offline.train
    assert len(batches) == 40
    seen = torch.cat([y for _, y in batches.epoch(0)])
    assert len(seen) == 4000
    assert torch.equal(torch.sort(batches.order(0)).values, torch.arange(4000))
    assert torch.equal(batches.order(0), batches.order(0))
    assert not torch.equal(batches.order(0), batches.order(1))
    first, second = next(iter(batches))[1], next(iter(batches))[1]
    assert not torch.equal(first, second), "each loop over the training set is a new epoch"
    assert torch.equal(next(offline.test.epoch(0))[1], offline.test.labels[:100]), "test is in order"


def test_shards_partition_each_global_batch(offline):
    whole = list(offline.train.epoch(2))
    shards = [list(offline.train.epoch(2, rank=r, world_size=2)) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == len(whole)
    for (X, y), (X0, y0), (X1, y1) in zip(whole, *shards):
        assert len(y0) == len(y1) == len(y) // 2
        assert torch.equal(y[0::2], y0) and torch.equal(y[1::2], y1)
        assert torch.equal(X[1::2], X1)


def test_subset_is_fixed(offline):
    a, b = offline.train.subset(500, seed=0), offline.train.subset(500, seed=0)
    assert a.num_images == 500 and torch.equal(a.labels, b.labels)
    assert offline.train.subset(10_000) is offline.train


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "cifar10"}, "unknown dataset 'cifar10'; valid: fashion_mnist, mnist_5k"),
    ({"resize": 0}, "resize=0"),
    ({"resize": (32, 32, 3)}, "resize=(32, 32, 3)"),
    ({"batch_size": 0}, "batch_size=0; valid: a positive integer"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        datasets.load(**{"name": "mnist_5k", **kwargs})


def test_show_plots_a_labelled_grid(offline):
    import matplotlib.pyplot as plt
    plt.close("all")
    datasets.show(offline, n=10, ncols=5)
    axes = plt.gcf().axes
    assert len(axes) == 10
    assert [a.get_title() for a in axes] == [offline.classes[int(i)] for i in offline.train.labels[:10]]
    plt.close("all")
    with pytest.raises(ValueError, match="n=0"):
        datasets.show(offline, n=0)
