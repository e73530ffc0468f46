"""Convert the 5,000 MNIST digits of data/mnist_5k.csv.gz into the course's offline dataset, data/mnist_5k.npz.

    python scripts/make_offline_data.py [--source data/mnist_5k.csv.gz] [--out data/mnist_5k.npz]

The CSV (its provenance is in data/README.md) holds one image per row: 784 grey levels (0-255),
then the label; 500 images per digit. The split is stratified and fixed: for each digit, its
rows are shuffled by a generator seeded with SEED and the first 400 go to training, the other
100 to test. Both sets are then shuffled once more (same seed) so that digits are interleaved.
Images are stored as uint8 (N, 28, 28), labels as uint8 (N,), compressed. Running the script
twice gives byte-identical files. The file is written under a temporary name and renamed, so an
interrupted run leaves the previous file whole.

A copy fetched from the repository (by installs without data/, such as Colab) is accepted only
if its SHA-256 is `lib.data.OFFLINE_SHA256`; the script says when that constant needs the new value.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = 0
TRAIN_PER_CLASS = 400


def convert(source: Path) -> dict[str, np.ndarray]:
    with gzip.open(source, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if rows.shape[1] != 28 * 28 + 1:
        raise ValueError(f"{source}: expected 785 columns (784 pixels and a label), got {rows.shape[1]}")
    images = rows[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    labels = rows[:, -1].astype(np.uint8)
    rng = np.random.default_rng(SEED)
    train, test = [], []
    for digit in range(10):
        index = rng.permutation(np.flatnonzero(labels == digit))
        train.append(index[:TRAIN_PER_CLASS])
        test.append(index[TRAIN_PER_CLASS:])
    train = rng.permutation(np.concatenate(train))
    test = rng.permutation(np.concatenate(test))
    return {"x_train": images[train], "y_train": labels[train],
            "x_test": images[test], "y_test": labels[test]}


def save(arrays: dict[str, np.ndarray], out: Path) -> None:
    """np.savez_compressed to a temporary file beside `out`, then renamed to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.chmod(partial, 0o644)
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT / "data" / "mnist_5k.csv.gz")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "mnist_5k.npz")
    args = parser.parse_args(argv)
    arrays = convert(args.source)
    save(arrays, args.out)
    sha256 = hashlib.sha256(args.out.read_bytes()).hexdigest()
    sizes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, SHA-256 {sha256}): {sizes}")

    from lib.data import OFFLINE_SHA256
    if sha256 != OFFLINE_SHA256:
        print(f"The SHA-256 differs from lib.data.OFFLINE_SHA256 ({OFFLINE_SHA256}): if this file "
              f"is to be committed, set that constant to {sha256} so that fetched copies are accepted.")


if __name__ == "__main__":
    main()
