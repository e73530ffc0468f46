"""How fast `lib.cost.count` is, next to PyTorch's FlopCounterMode and torchinfo, and whether
they agree.

    python benchmarks/cost_speed.py            # ResNet-50 at 224x224
    python benchmarks/cost_speed.py --all      # and every registered model at paper resolution

Each tool counts the same ResNet-50 (lib.models "resnet50", the paper's ImageNet form) for one
3x224x224 image, with per-layer rows:

- `lib.cost.count("resnet50")`: builds the model on the meta device and counts from its
  layers' output shapes (what the widgets call on every slider move);
- `torch.utils.flop_counter.FlopCounterMode` around a real forward pass on the CPU (its usual
  use), and around a forward pass of the model built on the meta device;
- `torchinfo.summary`, which runs a real forward pass on the CPU.

Times are medians over repeats. This prints figures; it asserts nothing about time.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from lib import cost, models

TARGET_MS = 50
TARGET_SPEEDUP = 5


def median_seconds(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def flop_counter(model, x):
    from torch.utils.flop_counter import FlopCounterMode
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter


def resnet50(repeats: int, slow_repeats: int):
    import torchinfo
    name, size = "resnet50", (3, 224, 224)
    print(f"Counting {name} (paper form) for one {'x'.join(map(str, size))} image; "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads\n")

    lib_cost = cost.count(name)
    print(lib_cost.table(max_rows=8), "\n")

    torch.manual_seed(0)
    cpu_model = models.create(name).eval()
    x = torch.randn(1, *size)
    with torch.device("meta"):
        meta_model = models.create(name).eval()
    meta_x = torch.empty(1, *size, device="meta")

    rows = [("lib.cost.count (meta device)", median_seconds(lambda: cost.count(name), repeats))]
    rows.append(("FlopCounterMode, real CPU forward",
                 median_seconds(lambda: flop_counter(cpu_model, x), slow_repeats)))
    rows.append(("FlopCounterMode, meta device",
                 median_seconds(lambda: flop_counter(meta_model, meta_x), slow_repeats)))
    rows.append(("torchinfo.summary (CPU forward)",
                 median_seconds(lambda: torchinfo.summary(cpu_model, input_size=(1, *size), verbose=0,
                                                          device="cpu"), slow_repeats)))
    base = rows[0][1]
    width = max(len(r[0]) for r in rows)
    print(f"{'tool':<{width}}  {'median':>10}  {'lib.cost is':>14}")
    for label, seconds in rows:
        ratio = "" if seconds is base else f"{seconds / base:,.1f}x faster"
        print(f"{label:<{width}}  {seconds * 1e3:>7.1f} ms  {ratio:>14}")

    print("\nTotals")
    fc_real, fc_meta = flop_counter(cpu_model, x), flop_counter(meta_model, meta_x)
    info = torchinfo.summary(cpu_model, input_size=(1, *size), verbose=0, device="cpu")
    checks = [
        ("FLOPs: lib.cost (2 x MACs)", lib_cost.flops, None),
        ("FLOPs: FlopCounterMode, CPU", fc_real.get_total_flops(), lib_cost.flops),
        ("FLOPs: FlopCounterMode, meta", fc_meta.get_total_flops(), lib_cost.flops),
        ("params: lib.cost", lib_cost.params, None),
        ("params: torchinfo", info.total_params, lib_cost.params),
        ("MACs: lib.cost", lib_cost.macs, None),
        ("MACs: torchinfo total_mult_adds", info.total_mult_adds, lib_cost.macs),
    ]
    for label, value, reference in checks:
        verdict = "" if reference is None else ("identical" if value == reference
                                                else f"differs by {value - reference:+,}")
        print(f"  {label:<34} {value:>16,}  {verdict}")
    # torchinfo adds one mult-add per batch-norm parameter and per linear bias.
    extra = sum(m.weight.numel() + m.bias.numel() for m in cpu_model.modules()
                if isinstance(m, nn.modules.batchnorm._BatchNorm))
    extra += sum(m.bias.numel() for m in cpu_model.modules() if isinstance(m, nn.Linear) and m.bias is not None)
    same = info.total_mult_adds - extra == lib_cost.macs
    print(f"  torchinfo's mult-adds less its {extra:,} for batch-norm parameters and linear biases: "
          f"{'identical to lib.cost' if same else 'still different'}")
    fc_same = fc_real.get_total_flops() == fc_meta.get_total_flops() == lib_cost.flops
    print(f"  all FLOP totals identical: {fc_same}")
    return base, rows[1][1], rows[2][1]


def every_model(repeats: int):
    print(f"\nlib.cost.count(name) for every registered model at paper resolution "
          f"(median of {repeats})")
    results = []
    for name in models.names():
        seconds = median_seconds(lambda: cost.count(name), repeats)
        c = cost.count(name)
        results.append((seconds, name, c))
        print(f"  {name:<22} {'x'.join(map(str, c.input_size)):>11}  {c.macs / 1e9:8.2f} GMACs  "
              f"{len(c.layers):5d} layers  {seconds * 1e3:7.1f} ms")
    seconds, name, _ = max(results)
    print(f"slowest: {name}, {seconds * 1e3:.1f} ms (target: <= {TARGET_MS} ms)")
    return seconds, name


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--all", action="store_true", help="also time every registered model")
    p.add_argument("--repeats", type=int, default=20, help="repeats of lib.cost.count")
    p.add_argument("--slow-repeats", type=int, default=3,
                   help="repeats of FlopCounterMode and torchinfo")
    args = p.parse_args(argv)
    lib_s, fc_cpu_s, fc_meta_s = resnet50(args.repeats, args.slow_repeats)
    print(f"\nResNet-50: lib.cost.count {lib_s * 1e3:.1f} ms (target <= {TARGET_MS} ms); "
          f"{fc_cpu_s / lib_s:.1f}x faster than FlopCounterMode on a CPU forward and "
          f"{fc_meta_s / lib_s:.1f}x faster than FlopCounterMode on meta "
          f"(target >= {TARGET_SPEEDUP}x)")
    if args.all:
        every_model(max(3, args.repeats // 4))


if __name__ == "__main__":
    main()
