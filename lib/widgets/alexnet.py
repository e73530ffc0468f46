"""Widget of chapters/04_alexnet.ipynb: AlexNet's input size, channel width and dense width, and
where its parameters and multiply-accumulates live.

`alexnet_cost` builds `lib.models.create("alexnet", ...)` (three input channels, 1000 classes, as
in the paper) on the meta device and counts it with `lib.cost.count`; impossible combinations
raise ValueError naming the value and what would fit.
"""
from __future__ import annotations

from dataclasses import dataclass

from lib import cost
from lib.models.alexnet import CONFIG, feature_size
from lib.widgets.lenet import layer_table

CONTROLS = {
    "image_size": [64, 96, 128, 160, 192, 224, 227, 256],
    "width_mult": [0.25, 0.5, 1.0, 2.0],
    "hidden": [512, 1024, 2048, 4096, 8192],
}
DEFAULTS = {"image_size": 224, "width_mult": 1.0, "hidden": 4096}
LABELS = {"image_size": "input side", "width_mult": "channel width ×", "hidden": "dense width"}


@dataclass
class AlexNetCost:
    """The counted model and the knobs that built it."""
    cost: cost.Cost
    image_size: int
    width_mult: float
    hidden: int
    side: int  # of the last feature map, the one fc6 sees

    @property
    def last_channels(self) -> int:
        return max(1, round(CONFIG[-1][0] * self.width_mult))

    def named_layers(self):
        """(name, counted layer) for the convolutions, poolings and dense layers."""
        return [(l.name.rsplit(".", 1)[-1], l) for l in self.cost.layers
                if l.type in ("Conv2d", "Linear") or "Pool" in l.type]

    def share(self, kind: str) -> tuple[float, float]:
        """(fraction of the parameters, fraction of the MACs) in "Conv2d" or "Linear" layers."""
        layers = [l for l in self.cost.layers if l.type == kind]
        return (sum(l.params for l in layers) / self.cost.params,
                sum(l.macs for l in layers) / self.cost.macs)

    def _repr_html_(self) -> str:
        conv_p, conv_m = self.share("Conv2d")
        dense_p, dense_m = self.share("Linear")
        flat = self.last_channels * self.side ** 2
        note = (f"{self.cost.params / 1e6:.1f} M parameters, {self.cost.macs / 1e6:,.0f} M MACs per "
                f"{self.image_size}×{self.image_size} image. Convolutions: {conv_p:.0%} of the parameters, "
                f"{conv_m:.0%} of the MACs; dense layers: {dense_p:.0%} of the parameters, {dense_m:.0%} "
                f"of the MACs. fc6 sees {self.last_channels}×{self.side}×{self.side} = {flat:,} inputs: "
                f"{flat:,}×{self.hidden:,} = {flat * self.hidden / 1e6:.1f} M weights.")
        return layer_table(self.named_layers(), self.cost, note)


def alexnet_cost(image_size: int = 224, width_mult: float = 1.0, hidden: int = 4096) -> AlexNetCost:
    """AlexNet (single tower, as the lectures draw it) on a 3×image_size×image_size image with
    `width_mult` times the paper's 96-256-384-384-256 channels and `hidden` units in fc6 and fc7."""
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1:
        raise ValueError(f"image_size must be a positive integer, got {image_size!r}")
    if isinstance(width_mult, bool) or not isinstance(width_mult, (int, float)) or width_mult <= 0:
        raise ValueError(f"width_mult must be a positive number, got {width_mult!r}")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
        raise ValueError(f"hidden must be a positive integer, got {hidden!r}")
    side = feature_size(image_size)  # ValueError naming the smallest valid size
    return AlexNetCost(cost.count("alexnet", image_size=image_size, width_mult=width_mult, hidden=hidden),
                       image_size, width_mult, hidden, side)
