"""How fast `lib.cost.count` is, next to PyTorch's FlopCounterMode and torchinfo, and whether
they agree.

    python benchmarks/cost_speed.py            # ResNet-50 at 224x224
    python benchmarks/cost_speed.py --all      # and every registered model at paper resolution

Each tool counts the same ResNet-50 (lib.models "resnet50", the paper's ImageNet form) for one
3x224x224 image, with per-layer rows:

- `lib.cost.count("resnet50")`: builds the model on the meta device and counts from its
  layers' output shapes (what the widgets call on every slider move). Timed twice: the first
  count of a configuration, which builds the model, and a recount, which finds it built (a
  slider that comes back to a value, or moves only the resolution);
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

    rows = [("lib.cost.count, first count (builds)", median_seconds(lambda: first_count(name), repeats)),
            ("lib.cost.count, recount", median_seconds(lambda: cost.count(name), repeats))]
    rows.append(("FlopCounterMode, real CPU forward",
                 median_seconds(lambda: flop_counter(cpu_model, x), slow_repeats)))
    rows.append(("FlopCounterMode, meta device",
                 median_seconds(lambda: flop_counter(meta_model, meta_x), slow_repeats)))
    rows.append(("torchinfo.summary (CPU forward)",
                 median_seconds(lambda: torchinfo.summary(cpu_model, input_size=(1, *size), verbose=0,
                                                          device="cpu"), slow_repeats)))
    first, recount = rows[0][1], rows[1][1]
    width = max(len(r[0]) for r in rows)
    print(f"{'tool':<{width}}  {'median':>10}  {'first count is':>16}  {'recount is':>14}")
    for label, seconds in rows:
        ratios = ("", "") if label.startswith("lib") else \
            (f"{seconds / first:,.1f}x faster", f"{seconds / recount:,.1f}x faster")
        print(f"{label:<{width}}  {seconds * 1e3:>7.1f} ms  {ratios[0]:>16}  {ratios[1]:>14}")

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
    return first, recount, rows[2][1], rows[3][1]


def first_count(name):
    cost.meta_model.cache_clear()
    return cost.count(name)


def every_model(repeats: int):
    print(f"\nlib.cost.count(name) for every registered model at paper resolution (median of "
          f"{repeats}), next to FlopCounterMode around a forward pass of the same model already "
          f"built on the meta device")
    print(f"  {'model':<22} {'input':>11}  {'GMACs':>8}  {'layers':>6}  {'first count':>11}  "
          f"{'recount':>9}  {'FlopCounterMode':>15}  {'FCM / recount':>13}")
    results = []
    for name in models.names():
        first = median_seconds(lambda: first_count(name), repeats)
        recount = median_seconds(lambda: cost.count(name), repeats)
        c = cost.count(name)
        # Two images: batch norm refuses one 1x1 image in training mode (Inception-v3's aux head).
        meta_model, x = cost.meta_model(name), torch.empty(2, *c.input_size, device="meta")
        counter = flop_counter(meta_model, x)
        assert counter.get_total_flops() == 2 * c.flops, name
        fcm = median_seconds(lambda: flop_counter(meta_model, x), 1)
        results.append((first, recount, fcm / recount, name))
        print(f"  {name:<22} {'x'.join(map(str, c.input_size)):>11}  {c.macs / 1e9:8.2f}  "
              f"{len(c.layers):6d}  {first * 1e3:8.1f} ms  {recount * 1e3:6.1f} ms  "
              f"{fcm * 1e3:12.1f} ms  {fcm / recount:12.1f}x")
    print("  (FLOP totals identical to FlopCounterMode's for every model)")
    first, _, _, first_name = max(results)
    _, recount, _, recount_name = max(results, key=lambda r: r[1])
    ratio, ratio_name = min((r[2], r[3]) for r in results)
    print(f"slowest first count: {first_name}, {first * 1e3:.1f} ms; slowest recount: "
          f"{recount_name}, {recount * 1e3:.1f} ms (target: <= {TARGET_MS} ms); smallest lead over "
          f"FlopCounterMode: {ratio_name}, {ratio:.1f}x (target: >= {TARGET_SPEEDUP}x)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--all", action="store_true", help="also time every registered model")
    p.add_argument("--repeats", type=int, default=20, help="repeats of lib.cost.count")
    p.add_argument("--slow-repeats", type=int, default=3,
                   help="repeats of FlopCounterMode and torchinfo")
    args = p.parse_args(argv)
    first, recount, fc_cpu_s, fc_meta_s = resnet50(args.repeats, args.slow_repeats)
    print(f"\nResNet-50 (targets: <= {TARGET_MS} ms, >= {TARGET_SPEEDUP}x faster than FlopCounterMode):")
    for label, seconds in (("first count", first), ("recount", recount)):
        print(f"  {label:<11} {seconds * 1e3:5.1f} ms; {fc_cpu_s / seconds:5.1f}x faster than "
              f"FlopCounterMode on a CPU forward, {fc_meta_s / seconds:5.1f}x on meta")
    if args.all:
        every_model(max(3, args.repeats // 4))


if __name__ == "__main__":
    main()
