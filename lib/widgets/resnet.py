"""Widgets of chapters/10_resnet.ipynb: a ResNet or ResNeXt built from depth, width, block type
and cardinality, counted stage by stage.

A stage is its first block, which halves the resolution and changes the channels (with a
projection shortcut), followed by n - 1 copies of one block that keeps the shape: each of the
two is built from `lib.models.resnet` and counted by `lib.cost`, and the stage costs the first
plus n - 1 times the second. Invalid values raise ValueError naming the value and what would
be valid.
"""
from __future__ import annotations

import functools
import html
from dataclasses import dataclass

from torch import nn

from lib import cost
from lib.checks import one_of, within
from lib.html_table import bar, table
from lib.models.resnet import BLOCKS, CONFIGS


@dataclass
class Stage:
    name: str              # conv2_x ... conv5_x, as in the paper's Table 1
    blocks: int
    side: int              # output resolution
    width: int             # channels of the 3x3 convolutions
    out_channels: int
    params: int
    macs: int


@dataclass
class StageTable:
    """Stem, four stages and the classifier of one network at `image_size`."""
    depth: int
    block: str
    width: int
    cardinality: int
    group_width: int
    image_size: int
    stages: list[Stage]

    @property
    def params(self) -> int:
        return sum(s.params for s in self.stages)

    @property
    def macs(self) -> int:
        return sum(s.macs for s in self.stages)

    def _repr_html_(self) -> str:
        total = max(self.macs, 1)
        rows = [[s.name, str(s.blocks) if s.blocks else "", f"{s.side}×{s.side}",
                 str(s.width) if s.blocks else "", str(s.out_channels), f"{s.params / 1e6:.2f}",
                 f"{s.macs / 1e6:,.0f}", bar(s.macs / total)] for s in self.stages]
        kind = ("basic blocks (two 3×3)" if self.block == "basic" else
                "bottlenecks (1×1, 3×3, 1×1)" if self.cardinality == 1 else
                f"ResNeXt bottlenecks, {self.cardinality} groups of {self.group_width} channels "
                f"in conv2_x")
        blocks, convs = sum(s.blocks for s in self.stages), 2 if self.block == "basic" else 3
        note = (f"The block counts of ResNet-{self.depth} with {kind}: {blocks} blocks of "
                f"{convs} convolutions, {blocks * convs + 2} weight layers with the stem and the "
                f"classifier; "
                f"{self.params / 1e6:.2f} M parameters, {self.macs / 1e9:.2f} GMACs per "
                f"{self.image_size}×{self.image_size} image.")
        return (table(["stage", "blocks", "output", "3×3 width", "channels", "params (M)",
                       "MMACs", "share of MACs"], rows,
                      total=["total", "", "", "", "", f"{self.params / 1e6:.2f}",
                             f"{self.macs / 1e6:,.0f}", ""],
                      numeric={1, 4, 5, 6}, css_class="resnet-stages")
                + f"<p>{html.escape(note)}</p>")


STAGE_CONTROLS = {"depth": [18, 34, 50, 101, 152], "block": ["basic", "bottleneck"],
                  "width": [32, 64, 128], "cardinality": [1, 8, 32],
                  "group_width": [4, 16, 64]}
STAGE_DEFAULTS = {"depth": 50, "block": "bottleneck", "width": 64, "cardinality": 1,
                  "group_width": 64}
#: The (smallest, largest) value of each numeric argument `resnet_stages` accepts.
STAGE_RANGES = {"width": (1, 1024), "cardinality": (1, 1024), "group_width": (1, 1024),
                "image_size": (32, 512)}


@functools.lru_cache(maxsize=512)
def _block_cost(block, in_channels, width, stride, side, cardinality, group_width):
    """Parameters and MACs of one block on a side x side input."""
    kwargs = {}
    if block == "bottleneck":
        kwargs = {"groups": cardinality, "width": cardinality * group_width}
    built = cost.build_on_meta(lambda: BLOCKS[block](in_channels, width, stride, **kwargs))
    counted = cost.count(built, (in_channels, side, side))
    return counted.params, counted.macs


def resnet_stages(depth: int = 50, block: str = "bottleneck", width: int = 64,
                  cardinality: int = 1, group_width: int = 64,
                  image_size: int = 224) -> StageTable:
    """The stage table of a ResNet with the block counts of `depth` (Table 1 of the paper),
    `block` ("basic" or "bottleneck") and `width` channels in the 3x3 convolutions of conv2_x
    (doubling in each later stage). A bottleneck's 3x3 is grouped: `cardinality` groups of
    `group_width` channels in conv2_x (ResNeXt's C and d; C = 1, d = width is ResNet). A basic
    block has no groups, so it takes cardinality 1 only."""
    one_of("depth", depth, CONFIGS)
    one_of("block", block, BLOCKS)
    within(STAGE_RANGES, width=width, cardinality=cardinality, group_width=group_width,
           image_size=image_size)
    if block == "basic" and cardinality != 1:
        raise ValueError(f"cardinality={cardinality}: a basic block has no grouped convolution; "
                         f"choose block='bottleneck' or cardinality=1")
    if block == "basic":
        group_width = width
    layers = CONFIGS[depth][1]
    expansion = BLOCKS[block].expansion
    side = (image_size + 1) // 2                          # 7x7/2 convolution
    stem = cost.build_on_meta(lambda: nn.Sequential(
        nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64),
        nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2, padding=1)))
    counted = cost.count(stem, (3, image_size, image_size))
    side = (side + 1) // 2                                # 3x3/2 max-pool
    stages = [Stage("conv1 + pool", 0, side, 0, 64, counted.params, counted.macs)]
    channels = 64
    for i, n in enumerate(layers):
        w, d = width * 2 ** i, group_width * 2 ** i
        stride = 1 if i == 0 else 2
        first = _block_cost(block, channels, w, stride, side, cardinality, d)
        side = (side - 1) // stride + 1
        rest = _block_cost(block, w * expansion, w, 1, side, cardinality, d) if n > 1 else (0, 0)
        channels = w * expansion
        stages.append(Stage(f"conv{i + 2}_x", n, side, cardinality * d if block == "bottleneck"
                            else w, channels, first[0] + (n - 1) * rest[0],
                            first[1] + (n - 1) * rest[1]))
    stages.append(Stage("pool + fc 1000", 0, 1, 0, 1000, channels * 1000 + 1000,
                        channels * 1000))
    return StageTable(depth, block, width, cardinality, group_width, image_size, stages)

