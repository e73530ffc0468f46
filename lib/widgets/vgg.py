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

from torch import nn

from lib import cost, ops
from lib.checks import integer, within
from lib.html_table import bar, table
from lib.models.vgg import VGG, config_from_blocks

#: Channels of the paper's five blocks; block i of a shorter VGG takes the i-th entry.
CHANNELS = (64, 128, 256, 512, 512)
#: The most convolutions `vgg_builder` puts in one block (the paper: 4).
MAX_CONVS = 8


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
    for i, n in enumerate(convs):
        integer(f"convs[{i}]", n, 1, MAX_CONVS)
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
                f"num_classes={self.num_classes}, image_size={self.image_size}, "
                f"hidden={self.hidden})")

    def _repr_html_(self) -> str:
        rows = []
        for r in self.rows:
            colour = "#55a868" if r.dense else "#4c72b0"
            rows.append([r.name, html.escape(r.detail), "×".join(map(str, r.output_shape)),
                         f"{r.params:,}", bar(r.params / max(self.params, 1), colour),
                         f"{r.macs:,}", bar(r.macs / max(self.macs, 1), colour)])
        total = ["total", f"{self.weight_layers} weight layers", "", f"{self.params:,}", "",
                 f"{self.macs:,}", ""]
        head = ["part", "layers", "output", "params", "share of params", "MACs", "share of MACs"]
        p_dense, m_dense = self.dense_params / self.params, self.dense_macs / self.macs
        split = (f"<p>The three dense layers hold <b>{p_dense:.1%}</b> of the parameters "
                 f"({self.dense_params / 1e6:,.2f} M of {self.params / 1e6:,.2f} M) and cost "
                 f"<b>{m_dense:.1%}</b> of the MACs; the {self.weight_layers - 3} convolutions "
                 f"hold {1 - p_dense:.1%} of the parameters and cost {1 - m_dense:.1%} of the "
                 f"MACs.</p>")
        return (f"<code>{html.escape(self.code())}</code>"
                f"{table(head, rows, total, numeric={2, 3, 5})}{split}")


def _block_name(i: int) -> str:
    return f"block {i + 1}"


@functools.lru_cache(maxsize=4096)
def _build(convs, width_mult, image_size, in_channels, hidden, num_classes) -> VGGBuild:
    paper = config_from_blocks(tuple(zip(convs, CHANNELS)))
    model = cost.build_on_meta(VGG, paper, in_channels=in_channels, num_classes=num_classes,
                               image_size=image_size, width_mult=width_mult, hidden=hidden)
    counted = cost.count(model, (in_channels, image_size, image_size))
    rows, blocks = [], []
    for i, n in enumerate(convs):
        layers = [l for l in counted.layers if l.name.startswith(f"features.{i}.")]
        channels = layers[-1].output_shape[0]
        blocks.append((n, channels))
        rows.append(BlockRow(_block_name(i), f"{n} × conv3-{channels}, max-pool",
                             layers[-1].output_shape, sum(l.params for l in layers),
                             sum(l.macs for l in layers), False))
    linears = [(name, m) for name, m in model.classifier.named_children()
               if isinstance(m, nn.Linear)]
    by_name = {l.name: l for l in counted.layers}
    for j, (name, m) in enumerate(linears, start=1):
        l = by_name[f"classifier.{name}"]
        rows.append(BlockRow(f"dense {j}", f"{m.in_features:,} → {m.out_features:,}",
                             l.output_shape, l.params, l.macs, True))
    return VGGBuild(tuple(blocks), image_size, in_channels, hidden, num_classes, rows)


#: Convolutions per block: the paper's A (VGG-11), B (VGG-13), D (VGG-16), E (VGG-19), a VGG
#: with one convolution per block, and a shallower one with four blocks (a larger last map).
VGG_BUILDER_CONTROLS = {
    "convs": ["1-1-1-1-1", "1-1-2-2-2", "2-2-2-2-2", "2-2-3-3-3", "2-2-4-4-4", "1-1-2-2"],
    "width_mult": [0.125, 0.25, 0.5, 1.0],
    "image_size": [16, 32, 64, 224],
    "hidden": [256, 1024, 4096],
}
VGG_BUILDER_DEFAULTS = {"convs": "2-2-3-3-3", "width_mult": 1.0, "image_size": 224,
                        "hidden": 4096}
#: The (smallest, largest) value of each numeric argument `vgg_builder` accepts; `convs` has 1
#: to 5 blocks of 1 to MAX_CONVS convolutions.
VGG_BUILDER_RANGES = {"width_mult": (0.0, 8.0), "image_size": (1, 1024), "hidden": (1, 65_536),
                      "num_classes": (1, 100_000), "in_channels": (1, 64)}


def vgg_builder(convs="2-2-3-3-3", width_mult: float = 1.0, image_size: int = 224,
                hidden: int = 4096, num_classes: int = 1000, in_channels: int = 3) -> VGGBuild:
    """A VGG from blocks: block i has `convs[i]` 3x3 convolutions with round(CHANNELS[i] *
    width_mult) channels and a 2x2 max-pool; then dense layers (C·s·s → hidden → hidden →
    num_classes), where s = image_size / 2^blocks is the side of the last feature map."""
    convs = parse_convs(convs)
    within(VGG_BUILDER_RANGES, width_mult=width_mult, image_size=image_size, hidden=hidden,
           num_classes=num_classes, in_channels=in_channels)
    return _build(convs, width_mult, image_size, in_channels, hidden, num_classes)


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
        head = ["", "receptive field", "weights", "params (with biases)", "MACs", "ReLUs"]
        rows = []
        for r, formula in ((self.stack, f"{L}·3·3·{c}·{c} = {L * 9}·C²"),
                           (self.single, f"{k}·{k}·{c}·{c} = {k * k}·C²")):
            rows.append([r.name, f"{r.receptive_field}×{r.receptive_field}",
                         f"{r.weights:,}<br><code>{formula}</code>", f"{r.params:,}",
                         f"{r.macs:,}", r.nonlinearities])
        note = (f"On a {c}×{n}×{n} input with {c} output channels, padded to keep {n}×{n}: the "
                f"stack needs {L * 9}/{k * k} = {self.weight_ratio:.2f} of the weights and MACs "
                f"of the single {k}×{k} layer, and puts {L} ReLUs where the single layer has 1.")
        if L == 1:
            note = ("One 3×3 convolution is its own comparison: move 'layers' to 2 (5×5) or "
                    "3 (7×7).")
        return (table(head, rows, numeric={1, 2, 3, 4, 5})
                + f"<p>{html.escape(note)}</p>")


STACK_CONTROLS = {"channels": [16, 64, 256, 512], "size": [7, 14, 28, 56, 112, 224],
                  "layers": [1, 2, 3, 4, 5]}
STACK_DEFAULTS = {"channels": 256, "size": 56, "layers": 2}
#: The (smallest, largest) value of each argument `stacked_convs` accepts.
STACK_RANGES = {"channels": (1, 4096), "size": (1, 1024), "layers": (1, 16)}


def _count_stack(kernel_size, layers, channels, size):
    def stack():
        return nn.Sequential(*[m for _ in range(layers) for m in (
            nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2), nn.ReLU())])

    model = cost.build_on_meta(stack)
    counted = cost.count(model, (channels, size, size))
    weights = sum(m.weight.numel() for m in model if isinstance(m, nn.Conv2d))
    field = ops.receptive_field([(kernel_size, 1)] * layers)[-1][0]
    name = (f"{layers} × conv3×3" if kernel_size == 3 and layers > 1
            else f"one conv{kernel_size}×{kernel_size}")
    return StackRow(name, kernel_size, layers, field, weights, counted.params, counted.macs,
                    layers)


def stacked_convs(channels: int = 256, size: int = 56, layers: int = 2) -> StackComparison:
    """`layers` 3x3 convolutions (C → C channels, padding 1, a ReLU after each) against one
    convolution with the same receptive field, a (2·layers + 1)x(2·layers + 1) kernel."""
    within(STACK_RANGES, channels=channels, size=size, layers=layers)
    k = 2 * layers + 1
    return StackComparison(channels, size, _count_stack(3, layers, channels, size),
                           _count_stack(k, 1, channels, size))
