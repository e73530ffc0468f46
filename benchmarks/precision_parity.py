"""What bfloat16 mixed precision costs in accuracy: the same trainings in float32 and bfloat16.

    python benchmarks/precision_parity.py          # writes benchmarks/results/precision_parity_<device>.txt
    python benchmarks/precision_parity.py --models lenet --epochs 2 --seeds 2 --out -

Each model trains on the offline digits (4,000 training, 1,000 test images) with its command
line defaults (`python -m lib.train`'s optimizer, learning rate and minibatch size, its course
form), for
`--epochs` epochs from seeds 0, 1, 2 (weights and minibatch order), once in float32 and once
in bfloat16 mixed precision. Printed: the final test accuracy of every run, the mean of each
precision, the difference of the means, and the seed-to-seed standard deviation it is compared
with. On 1,000 test images one image is 0.1 point.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch's OpenMP starts

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import statistics  # noqa: E402

import torch  # noqa: E402

from lib import data as datasets, models, train  # noqa: E402
from lib.train import cli  # noqa: E402
from report import RESULTS, load, recorded  # noqa: E402

PRECISIONS = ("float32", "bfloat16")


def parity(name: str, epochs: int, seeds: int) -> None:
    kwargs = models.course_config(name)
    c, h, w = models.input_size(name, **kwargs)
    d = cli.defaults(name)
    with contextlib.redirect_stdout(io.StringIO()):
        data = datasets.load("mnist_5k", resize=None if (h, w) == (28, 28) else (h, w),
                             batch_size=d["batch_size"], device="cpu")
    accuracy = {p: [] for p in PRECISIONS}
    seconds = {p: 0.0 for p in PRECISIONS}
    for seed in range(seeds):
        for p in PRECISIONS:
            torch.manual_seed(seed)
            net = models.create(name, **kwargs)
            with contextlib.redirect_stdout(io.StringIO()):
                history = train.fit(net, data, epochs=epochs, lr=d["lr"], optimizer=d["optimizer"],
                                    budget="full", seed=seed, precision=p, verbose=False)
            accuracy[p].append(history.test_acc[-1])
            seconds[p] += sum(history.seconds)
    spread = statistics.mean(statistics.stdev(accuracy[p]) for p in PRECISIONS) if seeds > 1 else float("nan")
    difference = statistics.mean(accuracy["bfloat16"]) - statistics.mean(accuracy["float32"])
    print(f"{name} ({d['optimizer']} lr {d['lr']:g}, minibatches of {d['batch_size']}, {epochs} "
          f"epoch(s), {c}x{h}x{w}):")
    for p in PRECISIONS:
        print(f"  {p:<9} test acc {', '.join(f'{a:.3f}' for a in accuracy[p])}; mean "
              f"{statistics.mean(accuracy[p]):.3f}; {seconds[p]:.0f} s training")
    print(f"  bfloat16 - float32: {difference:+.3f}; seed-to-seed standard deviation {spread:.3f}; {load()}",
          flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=["lenet", "alexnet", "vgg11", "nin", "resnet18"])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", default=str(RESULTS / "precision_parity_cpu.txt"), help="- for none")
    args = p.parse_args(argv)
    with recorded(args.out, "precision_parity.py"):
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY="
              f"{os.environ.get('OMP_WAIT_POLICY')}")
        for name in args.models:
            parity(name, args.epochs, args.seeds)


if __name__ == "__main__":
    main()
