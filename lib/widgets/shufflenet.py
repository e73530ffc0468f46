"""Widgets and measurements of chapters/14_shufflenet.ipynb: grouped convolutions that do or do
not exchange information, and where the time of a ShuffleNet goes on the reader's machine.

- `dependence` and `channel_flow`: which output channels of two stacked grouped 1x1
  convolutions depend on which input channels, with and without a channel shuffle between them
  (from autograd), and a drawing of the connections.
- `operation_shares`: a model's MACs, memory traffic and measured time by kind of operation
  (convolutions by kind, batch norm, ReLU, additions, concatenations, the shuffle's copies).
- `measure_guideline`: one of ShuffleNet v2's four guidelines, its benchmark networks
  (`lib.models.shufflenet.guideline_network`) counted and timed on this machine.
- `shufflenet_cost`: the explorer over ShuffleNet v1's group count and width, counted, with
  inference times where a `Timings` is given (the static book cannot measure the reader's
  machine: `TIMINGS` holds times stored from one machine, which it names); `measure_timings`
  measures them on the machine it runs on.

Every measurement is the fastest of repeated runs, as many as `repeats()` allows under the
course budget (one run under `smoke`, which only checks that the code runs): on a machine that
other work shares, a run can only be slowed down, so the fastest is the one closest to what the
network costs. Each says which machine made it (`lib.train.speed.machine()`).
"""
from __future__ import annotations

import copy
import functools
import html
from collections import defaultdict
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from lib import cost
from lib.checks import within
from lib.cost.traffic import Record, memory_traffic, record_operations
from lib.html_table import bar, table
from lib.models.shufflenet import (GUIDELINE_ROWS, GUIDELINE_SIZE, STAGE_OUT_CHANNELS,
                                   StackedGroupConv, channel_shuffle, guideline_network)
from lib.train import get_budget, speed

#: (warm-up, timed) runs of a measurement under each budget.
REPEATS = {"smoke": (1, 1), "quick": (2, 5), "full": (3, 15)}


def repeats() -> tuple[int, int]:
    """(warm-up, timed) runs under the current course budget (COURSE_BUDGET)."""
    return REPEATS[get_budget().name]


def _device(device) -> torch.device:
    return torch.device(device if device is not None else "cpu")


def inference_rate(model: nn.Module, input_size, batch_size: int = 1, device=None) -> float:
    """Images per second of `model`'s inference in float32, in the memory layout `lib.train`
    uses: the fastest of `repeats()` timed forward passes after the warm-up ones."""
    device = _device(device)
    warmup, runs = repeats()
    model = model.to(device).eval()
    x = torch.randn(batch_size, *input_size, device=device)
    if device.type in ("cpu", "cuda"):
        model, x = (model.to(memory_format=torch.channels_last),
                    x.contiguous(memory_format=torch.channels_last))

    def step():
        with torch.no_grad():
            model(x)

    return batch_size / min(speed._seconds(step, device, runs, warmup))


# --- Groups that never meet ------------------------------------------------------------------

def dependence(module: nn.Module, channels: int) -> torch.Tensor:
    """(C_out, C_in): |d y_i / d x_j| of `module` at one pixel, from autograd. For 1x1 layers a
    zero entry means output channel i never sees input channel j."""
    x = torch.randn(channels)
    jacobian = torch.autograd.functional.jacobian(
        lambda v: module(v.view(1, channels, 1, 1)).flatten(), x)
    return jacobian.abs().detach()


GROUP_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
                 "#8c8c8c")


def channel_flow(groups: int = 3, channels: int = 12, seed: int = 0):
    """Two grouped 1x1 convolutions (`StackedGroupConv`), without (left) and with (right) a
    channel shuffle between them: the connections (top; a channel is coloured by the input
    group it depends on, black when it depends on several) and which outputs depend on which
    inputs, from autograd (bottom). Returns the figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import to_rgba

    within({"groups": (1, 8), "channels": (1, 48)}, groups=groups, channels=channels)
    if channels % groups:
        raise ValueError(f"groups={groups} must divide channels={channels}")
    n = channels // groups
    group_of = np.arange(channels) // n
    perm = channel_shuffle(torch.arange(channels, dtype=torch.float).view(1, -1, 1, 1),
                           groups).flatten().long().tolist()
    fig, axes = plt.subplots(2, 2, figsize=(10, 8.2), gridspec_kw={"height_ratios": [1.25, 1]})
    for col, shuffle in enumerate((False, True)):
        graph, matrix = axes[0, col], axes[1, col]
        torch.manual_seed(seed)
        depends = (dependence(StackedGroupConv(channels, groups, shuffle), channels) > 0).numpy()
        # each level: its label, the input groups each of its channels depends on, and for
        # each channel the channels of the level below it reads
        within_group = [range(i // n * n, i // n * n + n) for i in range(channels)]
        levels = [("input x", [{g} for g in group_of], None),
                  ("1×1 conv, g groups", [{g} for g in group_of], within_group)]
        if shuffle:
            levels.append(("channel shuffle", [{group_of[perm[i]]} for i in range(channels)],
                           [[perm[i]] for i in range(channels)]))
        levels.append(("1×1 conv, g groups", [set(group_of[depends[i]]) for i in range(channels)],
                       within_group))
        for level, (_, _, reads) in enumerate(levels[1:], start=1):
            below = levels[level - 1][1]
            for i in range(channels):
                for j in reads[i]:
                    graph.plot([j, i], [level - 1, level], color=_colour(below[j]),
                               linewidth=1.1, alpha=0.8)
        for level, (label, sources, _) in enumerate(levels):
            graph.scatter(range(channels), [level] * channels, s=70, zorder=3,
                          color=[_colour(s) for s in sources], edgecolor="black")
            graph.text(-1.2, level, label, ha="right", va="center", fontsize=8)
        graph.set_xlim(-8.5, channels)
        graph.set_ylim(-0.5, len(levels) - 0.5)
        graph.axis("off")
        graph.set_title(("with" if shuffle else "without") + f" a channel shuffle "
                        f"({channels} channels, g = {groups})", fontsize=10)
        rgba = np.ones((channels, channels, 4))
        for i, j in zip(*np.nonzero(depends)):
            rgba[i, j] = to_rgba(GROUP_COLOURS[group_of[j] % len(GROUP_COLOURS)])
        matrix.imshow(rgba)
        matrix.set_xlabel("input channel j (coloured by its group)", fontsize=9)
        matrix.set_ylabel("output channel i", fontsize=9)
        matrix.set_title(f"|∂y_i/∂x_j| > 0 for {int(depends.sum())} of {channels ** 2} pairs",
                         fontsize=10)
        matrix.set_xticks(range(channels), range(channels), fontsize=7)
        matrix.set_yticks(range(channels), range(channels), fontsize=7)
        for b in range(1, groups):
            matrix.axvline(b * n - 0.5, color="#666666", linewidth=0.8)
            matrix.axhline(b * n - 0.5, color="#666666", linewidth=0.8)
    fig.tight_layout()
    return fig


def _colour(groups_of_node: set) -> str:
    if len(groups_of_node) > 1:
        return "black"
    return GROUP_COLOURS[next(iter(groups_of_node)) % len(GROUP_COLOURS)]


# --- Where the time goes -----------------------------------------------------------------------

def fold_batch_norm(model: nn.Module) -> nn.Module:
    """A copy of `model` for inference: every batch norm that follows a convolution in an
    nn.Sequential folded into that convolution's weights and bias (as inference engines do),
    in eval mode. The outputs are the model's, to rounding."""
    model = copy.deepcopy(model).eval()
    for sequence in model.modules():
        if not isinstance(sequence, nn.Sequential):
            continue
        names = list(sequence._modules)
        for a, b in zip(names, names[1:]):
            conv, bn = sequence._modules[a], sequence._modules[b]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                sequence._modules[a] = fuse_conv_bn_eval(conv, bn)
                sequence._modules[b] = nn.Identity()
    return model


#: The kinds of operation `operation_kind` sorts a model's operations into, in table order.
KINDS = ("1×1 convolution", "depthwise convolution", "other convolution", "dense layer",
         "batch norm", "ReLU", "addition", "concatenation", "copy (shuffle)", "pooling",
         "sigmoid and scaling", "other")


def operation_kind(record: Record) -> str:
    """The kind (one of KINDS) of a recorded operation (`lib.cost.traffic.Record`)."""
    op = record.operation
    if op == "convolution":
        (_, c_in, *_), weight = record.shapes[:2]
        if weight[1] == 1 and c_in == weight[0] and c_in > 1:
            return "depthwise convolution"
        return "1×1 convolution" if all(k == 1 for k in weight[2:]) else "other convolution"
    if op in ("addmm", "mm", "matmul", "linear"):
        return "dense layer"
    if "batch_norm" in op:
        return "batch norm"
    if op in ("relu", "clamp_min", "threshold", "hardtanh"):
        return "ReLU"
    return {"add": "addition", "cat": "concatenation", "clone": "copy (shuffle)",
            "copy": "copy (shuffle)", "mean": "pooling", "sigmoid": "sigmoid and scaling",
            "mul": "sigmoid and scaling"}.get(op, "pooling" if "pool" in op else "other")


def record_macs(record: Record) -> int:
    """Multiply-accumulates of a recorded convolution or matrix product (0 for anything else):
    per output element, the weights that feed it."""
    if record.operation == "convolution":
        weight = record.shapes[1]
        per_output = 1
        for s in weight[1:]:
            per_output *= s
        return _numel(record.output_shapes[0]) * per_output
    if record.operation in ("addmm", "mm"):
        x = record.shapes[-2]
        return _numel(record.output_shapes[0]) * x[-1]
    return 0


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


@dataclass
class OperationShares:
    """A model's MACs, memory traffic (elements) and measured time by kind of operation."""
    title: str
    macs: dict[str, int]
    traffic: dict[str, int]
    seconds: dict[str, float]          # fastest run per image, by kind
    total_seconds: float               # fastest whole forward pass, per image
    device: str
    machine: str
    batch_size: int
    runs: int

    def share(self, column: str, kind: str) -> float:
        values = getattr(self, column)
        return values.get(kind, 0) / max(sum(values.values()), 1e-30)

    def _repr_html_(self) -> str:
        kinds = [k for k in KINDS if self.traffic.get(k) or self.seconds.get(k, 0) > 0]
        rows = [[html.escape(k)] + [f"{self.share(c, k):.1%} {bar(self.share(c, k), colour)}"
                                    for c, colour in (("macs", "#4c72b0"),
                                                      ("traffic", "#dd8452"),
                                                      ("seconds", "#55a868"))]
                for k in kinds]
        total = ["total", f"{sum(self.macs.values()) / 1e6:,.1f} M MACs",
                 f"{sum(self.traffic.values()) / 1e6:,.1f} M elements",
                 f"{self.total_seconds * 1e3:,.2f} ms per image"]
        note = (f"Measured on {html.escape(self.device)}: {html.escape(self.machine)}; batch of "
                f"{self.batch_size}, float32, fastest of {self.runs} run"
                f"{'s' if self.runs > 1 else ''}, each operation timed on its own.")
        head = ["operation", "share of MACs", "share of memory traffic", "share of time"]
        return (f"<b>{html.escape(self.title)}</b>"
                + table(head, rows, total, numeric={1, 2, 3}) + f"<p>{note}</p>")

    def __repr__(self):
        return (f"OperationShares({self.title}: {self.total_seconds * 1e3:.2f} ms per image on "
                f"{self.device})")


def operation_shares(model: nn.Module, input_size, title: str = "", batch_size: int = 1,
                     device=None, fold: bool = True) -> OperationShares:
    """MACs and memory traffic (counted) and inference time (measured, every operation timed on
    its own, in float32 and the memory layout `lib.train` uses) of `model`, by kind of
    operation; `fold` first folds its batch norms into the convolutions (`fold_batch_norm`)."""
    device = _device(device)
    warmup, runs = repeats()
    if fold:
        model = fold_batch_norm(model)
    counted = memory_traffic(model, input_size)
    macs, traffic = defaultdict(int), defaultdict(int)
    for r in counted.records:
        macs[operation_kind(r)] += record_macs(r)
        traffic[operation_kind(r)] += r.elements
    model = model.to(device).eval()
    x = torch.randn(batch_size, *input_size, device=device)
    if device.type in ("cpu", "cuda"):
        model, x = (model.to(memory_format=torch.channels_last),
                    x.contiguous(memory_format=torch.channels_last))
    per_kind, totals = defaultdict(list), []
    for i in range(warmup + runs):
        recorded = record_operations(model, x, timed=True)
        if i < warmup:
            continue
        by_kind = defaultdict(float)
        for r in recorded.records:
            by_kind[operation_kind(r)] += r.seconds / batch_size
        for k in KINDS:
            per_kind[k].append(by_kind.get(k, 0.0))
        totals.append(sum(by_kind.values()))
    seconds = {k: min(v) for k, v in per_kind.items()}
    return OperationShares(title or type(model).__name__, dict(macs), dict(traffic), seconds,
                           min(totals), device.type, speed.machine(),
                           batch_size, runs)


# --- ShuffleNet v2's guidelines, measured -------------------------------------------------------

GUIDELINES = {
    1: "G1: equal channel widths minimise memory access",
    2: "G2: group convolutions cost memory access",
    3: "G3: fragmentation reduces parallelism",
    4: "G4: element-wise operations are not free",
}


@dataclass
class GuidelineRow:
    row: str
    block: str
    macs: int
    traffic: int
    images_per_second: float


@dataclass
class Guideline:
    """One guideline's benchmark networks: counted (MACs, memory traffic per image) and timed
    (inference images per second) on one device."""
    number: int
    rows: list[GuidelineRow]
    device: str
    machine: str
    batch_size: int
    width: int
    runs: int

    @property
    def title(self) -> str:
        return GUIDELINES[self.number]

    def relative(self) -> list[float]:
        """Each row's speed relative to the first row's."""
        first = self.rows[0].images_per_second
        return [r.images_per_second / first for r in self.rows]

    def _repr_html_(self) -> str:
        top = max(self.relative())
        rows = [[html.escape(r.row), html.escape(r.block), f"{r.macs / 1e6:,.0f} M",
                 f"{r.traffic / 1e6:,.1f} M", f"{r.images_per_second:,.0f}",
                 f"{rel:.2f} {bar(rel / top, '#55a868')}"]
                for r, rel in zip(self.rows, self.relative())]
        head = ["row", "block (× 10)", "MACs", "memory traffic (elements)", "images/s",
                "speed vs first row"]
        note = (f"{GUIDELINE_SIZE}×{GUIDELINE_SIZE} input, batch of {self.batch_size}, float32, "
                f"fastest of {self.runs} run{'s' if self.runs > 1 else ''} on "
                f"{html.escape(self.device)}: {html.escape(self.machine)}.")
        return (f"<b>{html.escape(self.title)}</b>"
                + table(head, rows, numeric={2, 3, 4, 5}) + f"<p>{note}</p>")

    def __repr__(self):
        speeds = ", ".join(f"{r.row} {v:.2f}" for r, v in zip(self.rows, self.relative()))
        return f"Guideline({self.title}; speed vs first row: {speeds}; {self.device})"


def _block_text(guideline: int, row, network: nn.Module) -> str:
    block = network[0]
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    if guideline in (1, 2):
        g = convs[0].groups
        return (f"1×1 {convs[0].in_channels}→{convs[0].out_channels}→{convs[1].out_channels}"
                + (f", {g} groups" if g > 1 else ""))
    if guideline == 3:
        c = convs[0].in_channels
        if block.layout == "parallel" and len(convs) > 1:
            return f"{len(convs)} × 1×1 {c}→{convs[0].out_channels}, concatenated"
        return f"{len(convs)} × 1×1 {c}→{c}" if len(convs) > 1 else f"1×1 {c}→{c}"
    c, m = convs[0].in_channels, convs[0].out_channels
    return f"1×1, 3×3, 1×1: {c}→{m}→{m}→{c}"


def measure_guideline(guideline: int, device=None, batch_size: int = 1,
                      width: int = 1) -> Guideline:
    """Count and time the benchmark networks of one guideline (1 to 4), every row of its table,
    on `device` (the CPU by default), in float32."""
    device = _device(device)
    runs = repeats()[1]
    rows = []
    for row in GUIDELINE_ROWS[guideline]:
        network = guideline_network(guideline, row, width)
        size = (network.in_channels, GUIDELINE_SIZE, GUIDELINE_SIZE)
        counted = cost.count(network, size)
        traffic = memory_traffic(network, size).total
        rate = inference_rate(network, size, batch_size, device)
        rows.append(GuidelineRow(str(row) if guideline != 2 else f"g = {row}",
                                 _block_text(guideline, row, network), counted.macs, traffic,
                                 rate))
    return Guideline(guideline, rows, device.type, speed.machine(), batch_size, width, runs)


# --- The explorer: ShuffleNet v1's groups and width -----------------------------------------------

@dataclass(frozen=True)
class Timings:
    """Inference milliseconds per image of ShuffleNet v1 at 224x224, by (groups, width)."""
    machine: str
    device: str
    batch_size: int
    runs: int
    ms: dict = field(default_factory=dict)

    def literal(self) -> str:
        """The Python literal that stores these timings in this file (TIMINGS)."""
        rows = "".join(f"\n        {k!r}: {v:.2f}," for k, v in sorted(self.ms.items()))
        return (f"Timings(\n    machine={self.machine!r},\n    device={self.device!r}, "
                f"batch_size={self.batch_size}, runs={self.runs},\n    ms={{{rows}\n    }})")


GROUPS = tuple(STAGE_OUT_CHANNELS)
WIDTHS = (0.25, 0.5, 1.0, 1.5, 2.0)


def measure_timings(groups=GROUPS, widths=WIDTHS, device=None, batch_size: int = 1) -> Timings:
    """ShuffleNet v1 (3x224x224 inputs, 1,000 classes) timed on `device` for every group count
    and width given: inference with batch norm folded (`fold_batch_norm`), float32, the fastest
    of `repeats()` runs."""
    from lib import models

    device = _device(device)
    runs = repeats()[1]
    ms = {}
    for w in widths:
        for g in groups:
            torch.manual_seed(0)
            net = fold_batch_norm(models.create("shufflenet_v1", groups=g, scale=w))
            rate = inference_rate(net, (3, 224, 224), batch_size, device)
            ms[(g, w)] = 1e3 / rate
    return Timings(speed.machine(), device.type, batch_size, runs, ms)


#: Times stored for the static book: the fastest of three `measure_timings()` calls (45 runs per
#: network) with one thread, `python -m lib.widgets.shufflenet` run three times. The explorer
#: shows them with the machine that measured them; `measure_timings` gives the reader's own.
TIMINGS = Timings(
    machine='AMD EPYC, 1 thread; torch 2.14.1+cu130; load average 2.2, 2.3, 3.2',
    device='cpu', batch_size=1, runs=45,
    ms={
        (1, 0.25): 2.99,
        (1, 0.5): 3.71,
        (1, 1.0): 7.42,
        (1, 1.5): 12.39,
        (1, 2.0): 17.84,
        (2, 0.25): 4.56,
        (2, 0.5): 5.67,
        (2, 1.0): 10.17,
        (2, 1.5): 15.94,
        (2, 2.0): 23.41,
        (3, 0.25): 5.02,
        (3, 0.5): 6.42,
        (3, 1.0): 10.46,
        (3, 1.5): 17.42,
        (3, 2.0): 23.71,
        (4, 0.25): 4.90,
        (4, 0.5): 6.95,
        (4, 1.0): 11.08,
        (4, 1.5): 19.62,
        (4, 2.0): 24.92,
        (8, 0.25): 6.64,
        (8, 0.5): 8.63,
        (8, 1.0): 13.42,
        (8, 1.5): 21.17,
        (8, 2.0): 30.40,
    })

CONTROLS = {"groups": list(GROUPS), "width": list(WIDTHS)}
DEFAULTS = {"groups": 3, "width": 1.0}
LABELS = {"groups": "groups g", "width": "width s (ShuffleNet s×)"}
#: What `shufflenet_cost` accepts besides its controls' values: any width in (0, 4]; groups is
#: one of Table 1's columns.
RANGES = {"width": (0.0, 4.0)}


@dataclass
class ShuffleNetRow:
    groups: int
    stages: tuple[int, ...]
    params: int
    macs: int
    pointwise_macs: int
    traffic: int
    ms: float | None


@functools.lru_cache(maxsize=256)
def _row(groups: int, width: float) -> ShuffleNetRow:
    counted = cost.count("shufflenet_v1", groups=groups, scale=width)
    traffic = memory_traffic("shufflenet_v1", groups=groups, scale=width)
    pointwise = sum(record_macs(r) for r in traffic.records
                    if operation_kind(r) == "1×1 convolution")
    model = cost.meta_model("shufflenet_v1", groups=groups, scale=width)
    stages = tuple(getattr(model, f"stage{i}")[-1].gconv2[0].out_channels for i in (2, 3, 4))
    return ShuffleNetRow(groups, stages, counted.params, counted.macs, pointwise, traffic.total,
                         None)


@dataclass
class ShuffleNetExplorer:
    """ShuffleNet v1 at one width, every group count, the chosen one highlighted."""
    groups: int
    width: float
    rows: list[ShuffleNetRow]
    timings: Timings

    def _repr_html_(self) -> str:
        chosen = next(r for r in self.rows if r.groups == self.groups)
        timed = [r.ms for r in self.rows if r.ms is not None]
        slowest = max(timed) if timed else 1.0
        cells = []
        for r in self.rows:
            row = [f"g = {r.groups}", "-".join(map(str, r.stages)), f"{r.params / 1e6:.2f} M",
                   f"{r.macs / 1e6:,.1f} M", f"{r.traffic / 1e6:,.1f} M"]
            if timed:
                row += (["not measured", ""] if r.ms is None else
                        [f"{r.ms:.1f} ms {bar(r.ms / slowest, '#55a868')}",
                         f"{r.macs / 1e6 / r.ms:,.1f}"])
            cells.append([f"<b>{c}</b>" for c in row] if r is chosen else row)
        head = ["groups", "stage 2-3-4 channels", "params", "MACs", "memory traffic"]
        head += ["measured time", "M MACs per ms"] if timed else []
        share = chosen.pointwise_macs / chosen.macs
        text = (f"ShuffleNet {self.width:g}× with g = {self.groups} on a 3×224×224 image: "
                f"{chosen.params / 1e6:.2f} M parameters, {chosen.macs / 1e6:,.1f} M MACs, "
                f"{share:.0%} of them in the 1×1 group convolutions. Table 1 widens the "
                f"network as g grows so that the MACs stay about equal; the memory traffic "
                f"is not held equal.")
        where = (f"Times: inference, batch of {self.timings.batch_size}, float32, fastest of "
                 f"{self.timings.runs} runs on {self.timings.device}: {self.timings.machine}."
                 if timed else "Memory traffic: elements read and written per image.")
        return (f"<p>{html.escape(text)}</p>"
                + table(head, cells, numeric=set(range(2, len(head))))
                + f"<p>{html.escape(where)}</p>")


def shufflenet_cost(groups: int = 3, width: float = 1.0,
                    timings: Timings = TIMINGS) -> ShuffleNetExplorer:
    """ShuffleNet v1 ("ShuffleNet s×", s = `width`) at 224x224 for every group count of
    Table 1, counted by `lib.cost`, with the inference times of `timings` (stored ones by
    default); `groups` picks the row to highlight."""
    within(RANGES, width=width)
    if groups not in GROUPS:
        raise ValueError(f"groups={groups!r}; valid (Table 1): {', '.join(map(str, GROUPS))}")
    rows = []
    for g in GROUPS:
        row = _row(g, width)
        rows.append(ShuffleNetRow(**{**row.__dict__, "ms": timings.ms.get((g, width))}))
    return ShuffleNetExplorer(groups, width, rows, timings)


if __name__ == "__main__":
    print(measure_timings().literal())
