"""Widgets of chapters/07_googlenet.ipynb and chapters/08_inception.ipynb: an Inception module
branch by branch, with and without its 1x1 reductions, and the ways of factorising one
convolution.

Each function takes the controls' values and returns an object whose HTML is the answer. The
Inception module is `lib.models.googlenet.Inception` and every layer is an `nn.Conv2d`, built on
the meta device and counted by `lib.cost`. Invalid values raise ValueError with a message naming
the value and what would be valid.
"""
from __future__ import annotations

import functools
import html
from dataclasses import dataclass

from torch import nn

from lib import cost, ops
from lib.checks import one_of, within
from lib.html_table import bar, table
from lib.models.googlenet import Inception

# --- An Inception module, branch by branch ---------------------------------------------------

#: The explorer's choices. Its default is lecture 003's example: 28x28x256 in, 128 + 192 + 96
#: channels from the convolutions, every 1x1 reduction (and the pool projection) to 64 = 256 / 4.
MODULE_CONTROLS = {"in_channels": [192, 256, 480], "ch1x1": [64, 128],
                   "ch3x3": [128, 192, 256], "ch5x5": [32, 96],
                   "reductions": ["none (naive)", "C/2", "C/4", "C/8"]}
MODULE_DEFAULTS = {"in_channels": 256, "ch1x1": 128, "ch3x3": 192, "ch5x5": 96,
                   "reductions": "C/4"}
MODULE_LABELS = {"in_channels": "input channels C", "ch1x1": "#1×1", "ch3x3": "#3×3",
                 "ch5x5": "#5×5", "reductions": "1×1 reductions to"}
#: The (smallest, largest) value of each argument the module functions accept.
MODULE_RANGES = {"in_channels": (1, 4096), "ch1x1": (1, 4096), "ch3x3red": (1, 4096),
                 "ch3x3": (1, 4096), "ch5x5red": (1, 4096), "ch5x5": (1, 4096),
                 "pool_proj": (1, 4096), "side": (1, 512)}
#: What "reductions" offers: the divisor of C for the 1x1 layers, None for the naive module.
REDUCTIONS = {"none (naive)": None, "C/2": 2, "C/4": 4, "C/8": 8}

BRANCHES = (("branch1", "1×1"), ("branch2", "3×3"), ("branch3", "5×5"), ("branch4", "pool"))
COLOURS = {"1×1": "#4c72b0", "3×3": "#dd8452", "5×5": "#c44e52", "pool": "#55a868"}


@dataclass
class Branch:
    """One branch of a module: its layers in order, its output channels and its cost."""
    name: str            # "1×1", "3×3", "5×5" or "pool"
    layers: str          # "1×1, 64 → 3×3, 192"
    out_channels: int
    params: int          # weights and biases
    macs: int


@dataclass
class InceptionModule:
    """An Inception module on a C x side x side input, counted branch by branch."""
    in_channels: int
    side: int
    branches: tuple[Branch, ...]

    @property
    def out_channels(self) -> int:
        return sum(b.out_channels for b in self.branches)

    @property
    def params(self) -> int:
        return sum(b.params for b in self.branches)

    @property
    def macs(self) -> int:
        return sum(b.macs for b in self.branches)

    @property
    def naive(self) -> bool:
        """No 1x1 layer before the 3x3 and 5x5 convolutions or after the pool."""
        return all("→" not in b.layers for b in self.branches[1:])

    def _repr_html_(self) -> str:
        rows = [[f"<span style='color:{COLOURS[b.name]}'>■</span> {b.name}",
                 html.escape(b.layers), f"{b.out_channels:,}", f"{b.params:,}",
                 f"{b.macs:,}", bar(b.macs / max(self.macs, 1), COLOURS[b.name])]
                for b in self.branches]
        total = ["module", f"{self.in_channels}×{self.side}×{self.side} in",
                 f"{self.out_channels:,}", f"{self.params:,}", f"{self.macs:,}", ""]
        head = ["branch", "layers", "out channels", "params", "MACs", "share of MACs"]
        return table(head, rows, total, numeric={2, 3, 4}, css_class="inception-module")


@functools.lru_cache(maxsize=1024)
def _count_module(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, side):
    block = cost.build_on_meta(Inception, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5,
                               pool_proj)
    layers = cost.count(block, (in_channels, side, side)).layers
    branches = []
    for attribute, name in BRANCHES:
        mine = [l for l in layers if l.name.startswith(attribute + ".")]
        parts = []
        for l in mine:
            if l.type == "Conv2d":
                k = block.get_submodule(l.name).kernel_size[0]
                parts.append(f"{k}×{k}, {l.output_shape[0]}")
            elif l.type == "MaxPool2d":
                parts.append("3×3 max pool")
        branches.append(Branch(name, " → ".join(parts), mine[-1].output_shape[0],
                               sum(l.params for l in mine), sum(l.macs for l in mine)))
    return InceptionModule(in_channels, side, tuple(branches))


def inception_module(in_channels: int = 256, ch1x1: int = 128, ch3x3red: int | None = 64,
                     ch3x3: int = 192, ch5x5red: int | None = 64, ch5x5: int = 96,
                     pool_proj: int | None = 64, side: int = 28) -> InceptionModule:
    """The Inception module of `lib.models.googlenet` (torchvision's argument names, the
    columns of the paper's Table 1) on an in_channels x side x side input, counted branch by
    branch. `ch3x3red`, `ch5x5red` and `pool_proj` may be None: that branch then has no 1x1
    layer (None for all three is the naive module)."""
    optional = {"ch3x3red": ch3x3red, "ch5x5red": ch5x5red, "pool_proj": pool_proj}
    within(MODULE_RANGES, in_channels=in_channels, ch1x1=ch1x1, ch3x3=ch3x3, ch5x5=ch5x5,
           side=side, **{k: v for k, v in optional.items() if v is not None})
    return _count_module(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, side)


@dataclass
class ReductionChoice:
    """The module the explorer shows, the same branches without reductions, and one plain
    convolution to the module's output channels."""
    module: InceptionModule
    naive: InceptionModule
    single: dict[int, tuple[int, int]]     # kernel -> (params, MACs) of one k x k convolution

    def _repr_html_(self) -> str:
        m, n = self.module, self.naive
        if m.naive:
            note = (f"Without reductions every 3×3 and 5×5 filter reads all {m.in_channels} input "
                    f"channels, and the pool branch passes them all on: {m.in_channels} in, "
                    f"{m.out_channels:,} out.")
        else:
            note = (f"The same branches without the 1×1 layers (the naive module): "
                    f"{n.params:,} params, {n.macs:,} MACs, {n.out_channels:,} output channels. "
                    f"The reductions keep {m.macs / n.macs:.0%} of its MACs and "
                    f"{m.params / n.params:.0%} of its parameters.")
        single = "; ".join(f"one {k}×{k}: {p:,} params, {mac:,} MACs"
                           for k, (p, mac) in self.single.items())
        note += (f" A single convolution from {m.in_channels} to the module's {m.out_channels:,} "
                 f"channels: {single}.")
        return m._repr_html_() + f"<p>{html.escape(note)}</p>"


def reduced_module(in_channels: int = 256, ch1x1: int = 128, ch3x3: int = 192, ch5x5: int = 96,
                   reductions: str = "C/4", side: int = 28) -> ReductionChoice:
    """An Inception module whose 1x1 reductions (before the 3x3 and the 5x5 convolution) and
    pool projection all have in_channels / d filters, for `reductions` "C/d"; "none (naive)"
    leaves them out. Shown beside the naive module of the same widths and one plain 3x3 or 5x5
    convolution to the same output channels, all at side x side."""
    one_of("reductions", reductions, tuple(REDUCTIONS))
    within(MODULE_RANGES, in_channels=in_channels, ch1x1=ch1x1, ch3x3=ch3x3, ch5x5=ch5x5,
           side=side)
    d = REDUCTIONS[reductions]
    naive = inception_module(in_channels, ch1x1, None, ch3x3, None, ch5x5, None, side)
    if d is None:
        module = naive
    else:
        r = max(1, in_channels // d)
        module = inception_module(in_channels, ch1x1, r, ch3x3, r, ch5x5, r, side)
    single = {k: (cost.conv_params(k, in_channels, module.out_channels),
                  cost.conv_macs(k, in_channels, module.out_channels, side)) for k in (3, 5)}
    return ReductionChoice(module, naive, single)


# --- Factorising one convolution -------------------------------------------------------------

FACTORISATIONS = ("none", "3×3 stack", "1×n then n×1", "depthwise separable")
FACTOR_CONTROLS = {"kernel_size": [3, 5, 7], "channels": [32, 64, 128, 256],
                   "factorisation": list(FACTORISATIONS), "side": [35, 17, 8]}
FACTOR_DEFAULTS = {"kernel_size": 5, "channels": 64, "factorisation": "3×3 stack", "side": 35}
FACTOR_LABELS = {"kernel_size": "n (kernel n×n)", "channels": "channels C (in and out)",
                 "factorisation": "factorisation", "side": "grid side"}
#: The (smallest, largest) value of each argument `factorise` accepts.
FACTOR_RANGES = {"kernel_size": (3, 15), "channels": (1, 4096), "side": (1, 512)}


def factor_layers(kernel_size: int, channels: int, factorisation: str) -> list[nn.Conv2d]:
    """The convolutions, C channels in and out, that replace one n x n convolution, without
    biases (the Inception networks follow each convolution by batch norm)."""
    n, c = kernel_size, channels
    if factorisation == "none":
        return [nn.Conv2d(c, c, n, padding=n // 2, bias=False)]
    if factorisation == "3×3 stack":
        return [nn.Conv2d(c, c, 3, padding=1, bias=False) for _ in range((n - 1) // 2)]
    if factorisation == "1×n then n×1":
        return [nn.Conv2d(c, c, (1, n), padding=(0, n // 2), bias=False),
                nn.Conv2d(c, c, (n, 1), padding=(n // 2, 0), bias=False)]
    return [nn.Conv2d(c, c, n, padding=n // 2, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False)]


@dataclass
class FactorLayer:
    kernel: tuple[int, int]
    groups: int
    params: int
    macs: int


@dataclass
class Factorised:
    """One n x n convolution (C -> C on a side x side grid) and its factorised replacement."""
    kernel_size: int
    channels: int
    factorisation: str
    side: int
    layers: tuple[FactorLayer, ...]
    full: FactorLayer              # the n x n convolution it replaces
    field: tuple[int, int]         # receptive field (height, width) of the replacement

    @property
    def params(self) -> int:
        return sum(l.params for l in self.layers)

    @property
    def macs(self) -> int:
        return sum(l.macs for l in self.layers)

    def _repr_html_(self) -> str:
        c = self.channels
        rows = []
        for l in self.layers:
            kind = "depthwise" if l.groups > 1 else ""
            rows.append([f"{l.kernel[0]}×{l.kernel[1]} {kind}".strip(),
                         f"{c} → {c}" + (f", {l.groups} groups" if l.groups > 1 else ""),
                         f"{l.params:,}", f"{l.macs:,}",
                         bar(l.macs / max(self.full.macs, 1))])
        n = self.kernel_size
        total = [self.factorisation, f"sees {self.field[0]}×{self.field[1]}",
                 f"{self.params:,}", f"{self.macs:,}", f"{self.params / self.full.params:.0%}"]
        head = ["layer", "channels", "weights", f"MACs at {self.side}×{self.side}",
                f"of the {n}×{n}"]
        note = (f"One {n}×{n} convolution, {c} → {c} channels: {self.full.params:,} weights "
                f"({n * n}·C²), {self.full.macs:,} MACs.")
        if self.factorisation == "3×3 stack" and n == 3:
            note += " n = 3 is already a 3×3: nothing to stack."
        return (table(head, rows, total, numeric={2, 3}, css_class="factorised")
                + f"<p>{html.escape(note)}</p>")


def factorise(kernel_size: int = 5, channels: int = 64, factorisation: str = "3×3 stack",
              side: int = 35) -> Factorised:
    """One n x n convolution from C to C channels on a side x side grid, and what replaces it:
    "none" (itself), "3×3 stack" ((n - 1) / 2 stacked 3x3 convolutions, Inception v2 and v3),
    "1×n then n×1" (the asymmetric pair of Inception v3's 17x17 modules) or "depthwise
    separable" (an n x n convolution per channel, then a 1x1 across channels: Xception)."""
    within(FACTOR_RANGES, kernel_size=kernel_size, channels=channels, side=side)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size={kernel_size} must be odd, so that padding "
                         f"(n - 1) / 2 keeps the grid: 3, 5, 7, ...")
    one_of("factorisation", factorisation, FACTORISATIONS)
    return _factorise(kernel_size, channels, factorisation, side)


@functools.lru_cache(maxsize=1024)
def _factorise(n, c, factorisation, side):
    def count(convs):
        model = cost.build_on_meta(lambda: nn.Sequential(*factor_layers(n, c, convs)))
        layers = cost.count(model, (c, side, side)).layers
        return [FactorLayer(tuple(model[int(l.name)].kernel_size), model[int(l.name)].groups,
                            l.params, l.macs) for l in layers]

    layers = count(factorisation)
    field = tuple(ops.receptive_field([(l.kernel[axis], 1) for l in layers])[-1][0]
                  for axis in (0, 1))
    return Factorised(n, c, factorisation, side, tuple(layers), count("none")[0], field)
