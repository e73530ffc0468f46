"""Convert the 5,000 shipped MNIST digits into the course's offline dataset, data/mnist_5k.npz.

    python scripts/make_offline_data.py [--source /work/shared/data/mnist_5k.csv.gz] [--out data/mnist_5k.npz]

The CSV holds one image per row: 784 grey levels (0-255), then the label; 500 images per digit.
The split is stratified and fixed: for each digit, its rows are shuffled by a generator seeded
with SEED and the first 400 go to training, the other 100 to test. Both sets are then shuffled
once more (same seed) so that digits are interleaved. Images are stored as uint8 (N, 28, 28),
labels as uint8 (N,), compressed. Running the script twice gives byte-identical arrays.
"""
from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/data/mnist_5k.csv.gz"))
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "mnist_5k.npz")
    args = parser.parse_args(argv)
    arrays = convert(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    sizes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): {sizes}")


if __name__ == "__main__":
    main()
