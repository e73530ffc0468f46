"""Widget of chapters/15_senet.ipynb: what squeeze-and-excitation costs in SE-ResNet-50, by
reduction ratio r.

`se_cost` builds ResNet-50 and SE-ResNet-50 with ratio r on the meta device, counts both with
`lib.cost` and shows, stage by stage, the SE blocks' channels, their parameters and MACs, and
the overhead on the whole network. Invalid values raise ValueError naming the value and what
would be valid.
"""
from __future__ import annotations

import functools
import html
from dataclasses import dataclass

from lib import cost
from lib.checks import integer, within
from lib.html_table import bar, table

#: The paper's Table 10 tries these ratios on SE-ResNet-50; 16 is its choice.
CONTROLS = {"reduction": [2, 4, 8, 16, 32, 64]}
DEFAULTS = {"reduction": 16}
LABELS = {"reduction": "reduction ratio r"}
#: r may be any whole number up to 256, the fewest channels an SE block of ResNet-50 sees.
RANGES = {"reduction": (1, 256)}
#: ResNet-50's four stages (conv2_x to conv5_x), as `lib` names them.
STAGES = {"conv2_x": "layers.0.", "conv3_x": "layers.1.", "conv4_x": "layers.2.",
          "conv5_x": "layers.3."}


@dataclass
class StageSE:
    stage: str
    channels: int
    blocks: int
    params: int
    macs: int


@dataclass
class SECost:
    """SE-ResNet-50 with reduction ratio r against ResNet-50, at 224x224."""
    reduction: int
    stages: list[StageSE]
    base_params: int
    base_macs: int
    se_params: int
    se_macs: int

    def _repr_html_(self) -> str:
        added_params = self.se_params - self.base_params
        added_macs = self.se_macs - self.base_macs
        rows = [[s.stage, f"{s.channels:,}", f"{s.channels // self.reduction:,}", str(s.blocks),
                 f"{s.params:,}", f"{s.params / added_params:.0%} "
                 f"{bar(s.params / added_params, '#4c72b0')}", f"{s.macs:,}"]
                for s in self.stages]
        total = ["all", "", "", str(sum(s.blocks for s in self.stages)), f"{added_params:,}",
                 "100%", f"{added_macs:,}"]
        head = ["stage", "C", "C / r", "SE blocks", "SE params", "share", "SE MACs"]
        text = (f"r = {self.reduction}: ResNet-50 has {self.base_params / 1e6:.2f} M parameters "
                f"and {self.base_macs / 1e9:.3f} G MACs; SE-ResNet-50 has "
                f"{self.se_params / 1e6:.2f} M (+{added_params / self.base_params:.1%}) and "
                f"{self.se_macs / 1e9:.3f} G (+{added_macs / self.base_macs:.2%}).")
        return (f"<p>{html.escape(text)}</p>"
                + table(head, rows, total, numeric={1, 2, 3, 4, 5, 6}))


@functools.lru_cache(maxsize=64)
def _counted(reduction: int) -> SECost:
    base = cost.count("resnet50")
    se = cost.count("se_resnet50", reduction=reduction)
    stages = []
    for stage, prefix in STAGES.items():
        layers = [l for l in se.layers if l.name.startswith(prefix) and ".attention." in l.name]
        fc1 = [l for l in layers if l.name.endswith("fc1")]
        channels = next(l.output_shape[0] for l in layers if l.name.endswith("fc2"))
        stages.append(StageSE(stage, channels, len(fc1), sum(l.params for l in layers),
                              sum(l.macs for l in layers)))
    return SECost(reduction, stages, base.params, base.macs, se.params, se.macs)


def se_cost(reduction: int = 16) -> SECost:
    """SE-ResNet-50 (224x224, 1,000 classes) with reduction ratio `reduction` against ResNet-50:
    the SE blocks' parameters and MACs per stage, counted by `lib.cost`."""
    integer("reduction", reduction)
    within(RANGES, reduction=reduction)
    return _counted(reduction)
