"""Widget of chapters/04_alexnet.ipynb: AlexNet's input size, channel width and dense width, and
where its parameters and multiply-accumulates live.

`alexnet_cost` counts `lib.models.create("alexnet", ...)` (three input channels, 1000 classes, as
in the paper) with `lib.cost.count` and reads every shape it shows from that count; impossible
combinations raise ValueError naming the value and what would fit (AlexNet itself names the
smallest input it takes).
"""
from __future__ import annotations

from dataclasses import dataclass

from lib import cost
from lib.checks import within
from lib.widgets.lenet import layer_table

CONTROLS = {
    "image_size": [64, 96, 128, 160, 192, 224, 227, 256],
    "width_mult": [0.25, 0.5, 1.0, 2.0],
    "hidden": [512, 1024, 2048, 4096, 8192],
}
DEFAULTS = {"image_size": 224, "width_mult": 1.0, "hidden": 4096}
LABELS = {"image_size": "input side", "width_mult": "channel width ×", "hidden": "dense width"}
#: The (smallest, largest) value of each argument `alexnet_cost` accepts.
RANGES = {"image_size": (1, 1024), "width_mult": (0.0, 8.0), "hidden": (1, 65_536)}


@dataclass
class AlexNetCost:
    """The counted model and the knobs that built it."""
    cost: cost.Cost
    image_size: int
    width_mult: float
    hidden: int

    def named_layers(self):
        """(name, counted layer) for the convolutions, poolings and dense layers."""
        return [(l.name.rsplit(".", 1)[-1], l) for l in self.cost.layers
                if l.type in ("Conv2d", "Linear") or "Pool" in l.type]

    @property
    def last_channels(self) -> int:
        """Channels of the last feature map, the one fc6 sees."""
        return dict(self.named_layers())["pool5"].output_shape[0]

    @property
    def side(self) -> int:
        """Side of the last feature map."""
        return dict(self.named_layers())["pool5"].output_shape[-1]

    def share(self, kind: str) -> tuple[float, float]:
        """(fraction of the parameters, fraction of the MACs) in "Conv2d" or "Linear" layers."""
        layers = [l for l in self.cost.layers if l.type == kind]
        return (sum(l.params for l in layers) / self.cost.params,
                sum(l.macs for l in layers) / self.cost.macs)

    def _repr_html_(self) -> str:
        conv_p, conv_m = self.share("Conv2d")
        dense_p, dense_m = self.share("Linear")
        flat = self.last_channels * self.side ** 2
        note = (f"{self.cost.params / 1e6:.1f} M parameters, {self.cost.macs / 1e6:,.0f} M MACs "
                f"per {self.image_size}×{self.image_size} image. Convolutions: {conv_p:.0%} of "
                f"the parameters, {conv_m:.0%} of the MACs; dense layers: {dense_p:.0%} of the "
                f"parameters, {dense_m:.0%} of the MACs. fc6 sees {self.last_channels}×"
                f"{self.side}×{self.side} = {flat:,} inputs: {flat:,}×{self.hidden:,} = "
                f"{flat * self.hidden / 1e6:.1f} M weights.")
        return layer_table(self.named_layers(), self.cost, note)


def alexnet_cost(image_size: int = 224, width_mult: float = 1.0,
                 hidden: int = 4096) -> AlexNetCost:
    """AlexNet (single tower, as the lectures draw it) on a 3×image_size×image_size image with
    `width_mult` times the paper's 96-256-384-384-256 channels and `hidden` units in fc6 and
    fc7."""
    within(RANGES, image_size=image_size, width_mult=width_mult, hidden=hidden)
    counted = cost.count("alexnet", image_size=image_size, width_mult=width_mult, hidden=hidden)
    return AlexNetCost(counted, image_size, width_mult, hidden)
