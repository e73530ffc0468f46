"""Where a CPU training step's time goes: convolutions and matrix products against the rest.

    python benchmarks/step_breakdown.py       # writes benchmarks/results/step_breakdown_cpu.txt
    python benchmarks/step_breakdown.py --models vgg11 --out -

The share of the matmul peak that `train_vs_d2l.py` reports counts a step's FLOPs over the whole
step. This splits the step: torch.profiler's self time of every operator, summed by kind, over
`--steps` training steps (Adam, batch 128, lib's automatic precision, channels-last, with freed
memory kept: what `lib.train.fit` runs). The convolutions and matrix products do the step's
FLOPs; their FLOP/s while they run, against the matmul peak measured at startup, is what the
kernels reach; the other kinds (pooling, activations, normalisation, dropout, the optimizer)
move memory and do next to no arithmetic.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch's OpenMP starts

import argparse  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

from course_step import MODELS, course_step, label  # noqa: E402
from lib import cost, train  # noqa: E402
from lib.train import allocator, precision  # noqa: E402
from report import RESULTS, recorded  # noqa: E402

#: Operator name fragments of each kind, first match wins.
KINDS = {
    "convolutions": ("convolution",),
    "matrix products": ("aten::mm", "aten::addmm", "aten::bmm", "aten::matmul"),
    "pooling": ("pool",),
    "normalisation": ("batch_norm", "layer_norm", "local_response"),
    "activations": ("relu", "clamp", "threshold", "sigmoid", "silu", "hardswish", "gelu"),
    "dropout": ("bernoulli", "dropout"),
    "optimizer": ("Optimizer", "lerp", "addcdiv", "sqrt", "foreach"),
    "zeroing and copies": ("fill_", "zero_", "copy_", "_to_copy", "clone", "cat"),
}


def kind(name: str) -> str:
    return next((k for k, fragments in KINDS.items() if any(f in name for f in fragments)), "other")


def breakdown(name: str, batch_size: int, steps: int, peak: float, chosen: str) -> None:
    step, net, size, _ = course_step(name, batch_size)
    flops = 3 * 2 * cost.count(net, size).macs * batch_size
    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    wall = (time.perf_counter() - start) / steps
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    seconds = {}
    for event in prof.key_averages():
        if event.key.startswith("autograd::") or event.key.startswith("ProfilerStep"):
            continue  # wrappers around the operators below them
        k = kind(event.key)
        seconds[k] = seconds.get(k, 0.0) + event.self_cpu_time_total / 1e6 / steps
    profiled = sum(seconds.values())
    arithmetic = seconds.get("convolutions", 0) + seconds.get("matrix products", 0)
    print(f"{label(name)}: {1e3 * wall:.1f} ms a step ({batch_size / wall:,.0f} images/s), "
          f"{flops / wall / 1e9:.0f} GFLOP/s = {flops / wall / peak:.0%} of the {chosen} matmul peak")
    print(f"  convolutions and matrix products: {1e3 * arithmetic:.1f} ms, {arithmetic / profiled:.0%} of "
          f"the profiled step, at {flops / arithmetic / 1e9:.0f} GFLOP/s = {flops / arithmetic / peak:.0%} "
          f"of the peak while they run")
    for k, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"    {k:<20} {1e3 * s:7.1f} ms  {s / profiled:4.0%}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", default=str(RESULTS / "step_breakdown_cpu.txt"))
    args = parser.parse_args(argv)
    allocator.keep_freed_memory()
    chosen = precision.resolve(torch.device("cpu"), "auto")
    with recorded(args.out, "step_breakdown.py"):
        peak = train.matmul_flops(chosen)
        print(f"{train.machine()}; matmul peak in {chosen}: {peak / 1e9:.0f} GFLOP/s; batch "
              f"{args.batch_size}, {args.steps} profiled steps a model")
        for name in args.models:
            breakdown(name, args.batch_size, args.steps, peak, chosen)


if __name__ == "__main__":
    main()
