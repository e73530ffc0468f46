"""Widgets of chapters/05_vgg.ipynb: a VGG assembled from blocks, and a stack of 3x3
convolutions against the one large convolution with the same receptive field.

Each function takes the controls' values and returns an object whose HTML is the answer; the
numbers come from models built by `lib.models.vgg` and counted by `lib.cost`. Impossible
combinations raise ValueError with a message naming the value and what would fit.
"""
from __future__ import annotations

import functools
import html
from dataclasses import dataclass

import torch
from torch import nn

from lib import cost, ops
from lib.models.vgg import VGG, config_from_blocks

#: Channels of the paper's five blocks; block i of a shorter VGG takes the i-th entry.
CHANNELS = (64, 128, 256, 512, 512)

_TABLE = "<table style='border-collapse:collapse'>"
_CELL = "padding:1px 8px;text-align:right"


def parse_convs(convs) -> tuple[int, ...]:
    """Convolutions per block, from "1-1-2-2-2" or a sequence of ints."""
    if isinstance(convs, str):
        parts = convs.replace(",", "-").split("-")
        try:
            convs = tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(f"convs={convs!r}: write the convolutions per block as integers "
                             f"separated by '-', e.g. '1-1-2-2-2' (VGG-11)") from None
    convs = tuple(convs)
    if not 1 <= len(convs) <= len(CHANNELS):
        raise ValueError(f"convs={convs!r} has {len(convs)} blocks; VGG has 1 to {len(CHANNELS)} "
                         f"blocks (channels {'-'.join(map(str, CHANNELS))})")
    if any(not isinstance(n, int) or n < 1 for n in convs):
        raise ValueError(f"convs={convs!r}: every block needs at least one convolution")
    return convs


@dataclass
class BlockRow:
    name: str
    detail: str                    # "2 × conv3-128" or "4096 → 1000"
    output_shape: tuple[int, ...]
    params: int
    macs: int
    dense: bool


@dataclass
class VGGBuild:
    """A VGG built from blocks, its cost per block and per dense layer."""
    blocks: tuple[tuple[int, int], ...]   # d2l's ((num_convs, out_channels), ...)
    image_size: int
    in_channels: int
    hidden: int
    num_classes: int
    rows: list[BlockRow]

    @property
    def params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def conv_params(self) -> int:
        return sum(r.params for r in self.rows if not r.dense)

    @property
    def dense_params(self) -> int:
        return sum(r.params for r in self.rows if r.dense)

    @property
    def conv_macs(self) -> int:
        return sum(r.macs for r in self.rows if not r.dense)

    @property
    def dense_macs(self) -> int:
        return sum(r.macs for r in self.rows if r.dense)

    @property
    def weight_layers(self) -> int:
        return sum(n for n, _ in self.blocks) + 3

    def code(self) -> str:
        return (f"VGG(config_from_blocks({self.blocks}), in_channels={self.in_channels}, "
                f"num_classes={self.num_classes}, image_size={self.image_size}, hidden={self.hidden})")

    def _repr_html_(self) -> str:
        # One style block, classes in the rows: the static widget stores one answer per combination.
        style = ("<style>.vggb td,.vggb th{padding:1px 8px;text-align:right}.vggb .l{text-align:left}"
                 ".vggb i{display:block;height:0.8em;min-width:1px}.vggb .c{background:#4c72b0}"
                 ".vggb .d{background:#55a868}.vggb td.b{width:7em}</style>")
        head = ("<tr><th class=l>part</th><th class=l>layers</th><th>output</th><th>params</th>"
                "<th class=l>share of params</th><th>MACs</th><th class=l>share of MACs</th></tr>")
        body = []
        for r in self.rows:
            kind = "d" if r.dense else "c"
            body.append(
                f"<tr><td class=l>{r.name}</td><td class=l>{html.escape(r.detail)}</td>"
                f"<td>{'×'.join(map(str, r.output_shape))}</td><td>{r.params:,}</td>"
                f"<td class=b><i class={kind} style='width:{100 * r.params / max(self.params, 1):.1f}%'></i></td>"
                f"<td>{r.macs:,}</td>"
                f"<td class=b><i class={kind} style='width:{100 * r.macs / max(self.macs, 1):.1f}%'></i></td></tr>")
        body.append(f"<tr><th class=l>total</th><th class=l>{self.weight_layers} weight layers</th><th></th>"
                    f"<th>{self.params:,}</th><th></th><th>{self.macs:,}</th><th></th></tr>")
        p_dense, m_dense = self.dense_params / self.params, self.dense_macs / self.macs
        split = (f"<p>The three dense layers hold <b>{p_dense:.1%}</b> of the parameters "
                 f"({self.dense_params / 1e6:,.2f} M of {self.params / 1e6:,.2f} M) and cost "
                 f"<b>{m_dense:.1%}</b> of the MACs; the {self.weight_layers - 3} convolutions hold "
                 f"{1 - p_dense:.1%} of the parameters and cost {1 - m_dense:.1%} of the MACs.</p>")
        return (f"{style}<code>{html.escape(self.code())}</code><table class=vggb>{head}"
                f"{''.join(body)}</table>{split}")


def _block_name(i: int) -> str:
    return f"block {i + 1}"


@functools.lru_cache(maxsize=4096)
def _build(blocks, image_size, in_channels, hidden, num_classes) -> VGGBuild:
    with torch.device("meta"):
        model = VGG(config_from_blocks(blocks), in_channels=in_channels, num_classes=num_classes,
                    image_size=image_size, hidden=hidden)
    counted = cost.count(model, (in_channels, image_size, image_size))
    rows = []
    for i, (n, c) in enumerate(blocks):
        layers = [l for l in counted.layers if l.name.startswith(f"features.{i}.")]
        rows.append(BlockRow(_block_name(i), f"{n} × conv3-{c}, max-pool", layers[-1].output_shape,
                             sum(l.params for l in layers), sum(l.macs for l in layers), False))
    linears = [(name, m) for name, m in model.classifier.named_children() if isinstance(m, nn.Linear)]
    by_name = {l.name: l for l in counted.layers}
    for j, (name, m) in enumerate(linears, start=1):
        l = by_name[f"classifier.{name}"]
        rows.append(BlockRow(f"dense {j}", f"{m.in_features:,} → {m.out_features:,}", l.output_shape,
                             l.params, l.macs, True))
    return VGGBuild(blocks, image_size, in_channels, hidden, num_classes, rows)


#: Convolutions per block: the paper's A (VGG-11), B (VGG-13), D (VGG-16), E (VGG-19), a VGG
#: with one convolution per block, and a shallower one with four blocks (a larger last map).
VGG_BUILDER_CONTROLS = {
    "convs": ["1-1-1-1-1", "1-1-2-2-2", "2-2-2-2-2", "2-2-3-3-3", "2-2-4-4-4", "1-1-2-2"],
    "width_mult": [0.125, 0.25, 0.5, 1.0],
    "image_size": [16, 32, 64, 224],
    "hidden": [256, 1024, 4096],
}
VGG_BUILDER_DEFAULTS = {"convs": "2-2-3-3-3", "width_mult": 1.0, "image_size": 224, "hidden": 4096}


def vgg_builder(convs="2-2-3-3-3", width_mult: float = 1.0, image_size: int = 224, hidden: int = 4096,
                num_classes: int = 1000, in_channels: int = 3) -> VGGBuild:
    """A VGG from blocks: block i has `convs[i]` 3x3 convolutions with round(CHANNELS[i] *
    width_mult) channels and a 2x2 max-pool; then dense layers (C·s·s → hidden → hidden →
    num_classes), where s = image_size / 2^blocks is the side of the last feature map."""
    convs = parse_convs(convs)
    if not isinstance(width_mult, (int, float)) or width_mult <= 0:
        raise ValueError(f"width_mult must be a positive number, got {width_mult!r}")
    blocks = tuple((n, max(1, round(c * width_mult))) for n, c in zip(convs, CHANNELS))
    for label, value in (("image_size", image_size), ("hidden", hidden), ("num_classes", num_classes),
                         ("in_channels", in_channels)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    return _build(blocks, image_size, in_channels, hidden, num_classes)


# --- Stacked 3x3 convolutions against one large kernel ---------------------------------------

@dataclass
class StackRow:
    name: str
    kernel_size: int
    layers: int
    receptive_field: int
    weights: int      # without biases
    params: int       # with biases
    macs: int
    nonlinearities: int


@dataclass
class StackComparison:
    channels: int
    size: int
    stack: StackRow
    single: StackRow

    @property
    def weight_ratio(self) -> float:
        return self.stack.weights / self.single.weights

    def _repr_html_(self) -> str:
        c, n, L, k = self.channels, self.size, self.stack.layers, self.single.kernel_size
        head = ("<tr><th style='text-align:left'></th><th>receptive field</th><th>weights</th>"
                "<th>params (with biases)</th><th>MACs</th><th>ReLUs</th></tr>")
        rows = []
        for r, formula in ((self.stack, f"{L}·3·3·{c}·{c} = {L * 9}·C²"),
                           (self.single, f"{k}·{k}·{c}·{c} = {k * k}·C²")):
            rows.append(f"<tr><td style='text-align:left'>{r.name}</td><td style='{_CELL}'>"
                        f"{r.receptive_field}×{r.receptive_field}</td><td style='{_CELL}'>{r.weights:,}"
                        f"<br><code>{formula}</code></td><td style='{_CELL}'>{r.params:,}</td>"
                        f"<td style='{_CELL}'>{r.macs:,}</td><td style='{_CELL}'>{r.nonlinearities}</td></tr>")
        note = (f"On a {c}×{n}×{n} input with {c} output channels, padded to keep {n}×{n}: the stack "
                f"needs {L * 9}/{k * k} = {self.weight_ratio:.2f} of the weights and MACs of the single "
                f"{k}×{k} layer, and puts {L} ReLUs where the single layer has 1.")
        if L == 1:
            note = "One 3×3 convolution is its own comparison: move 'layers' to 2 (5×5) or 3 (7×7)."
        return f"{_TABLE}{head}{''.join(rows)}</table><p>{html.escape(note)}</p>"


STACK_CONTROLS = {"channels": [16, 64, 256, 512], "size": [7, 14, 28, 56, 112, 224], "layers": [1, 2, 3, 4, 5]}
STACK_DEFAULTS = {"channels": 256, "size": 56, "layers": 2}


def _count_stack(kernel_size, layers, channels, size):
    with torch.device("meta"):
        model = nn.Sequential(*[m for _ in range(layers) for m in (
            nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2), nn.ReLU())])
    counted = cost.count(model, (channels, size, size))
    weights = sum(m.weight.numel() for m in model if isinstance(m, nn.Conv2d))
    field = ops.receptive_field([(kernel_size, 1)] * layers)[-1][0]
    name = (f"{layers} × conv3×3" if kernel_size == 3 and layers > 1 else f"one conv{kernel_size}×{kernel_size}")
    return StackRow(name, kernel_size, layers, field, weights, counted.params, counted.macs, layers)


def stacked_convs(channels: int = 256, size: int = 56, layers: int = 2) -> StackComparison:
    """`layers` 3x3 convolutions (C → C channels, padding 1, a ReLU after each) against one
    convolution with the same receptive field, a (2·layers + 1)x(2·layers + 1) kernel."""
    for label, value in (("channels", channels), ("size", size), ("layers", layers)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    k = 2 * layers + 1
    return StackComparison(channels, size, _count_stack(3, layers, channels, size),
                           _count_stack(k, 1, channels, size))
