"""Widget of chapters/03_lenet.ipynb: LeNet-5's channels, kernel sizes and dense width, and where
its parameters and multiply-accumulates live.

`lenet_cost` counts `lib.models.create("lenet", ...)` with `lib.cost.count`, and reads every
shape it shows from that count; impossible combinations raise ValueError naming the value and
what would fit (LeNet itself says which conv2 kernels fit).
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from lib import cost
from lib.checks import within
from lib.html_table import bar, table

HIDDEN2 = 84  # the second dense layer keeps LeNet-5's width

CONTROLS = {
    "conv1_channels": [3, 6, 12, 24],
    "conv2_channels": [8, 16, 32, 64],
    "conv1_kernel": [3, 5, 7],
    "conv2_kernel": [3, 5, 7, 9, 11, 13, 15],
}
DEFAULTS = {"conv1_channels": 6, "conv2_channels": 16, "conv1_kernel": 5, "conv2_kernel": 5}
LABELS = {"conv1_channels": "conv1 channels", "conv2_channels": "conv2 channels",
          "conv1_kernel": "conv1 kernel", "conv2_kernel": "conv2 kernel"}
#: The (smallest, largest) value of each argument `lenet_cost` accepts.
RANGES = {"conv1_channels": (1, 1024), "conv2_channels": (1, 1024), "conv1_kernel": (1, 28),
          "conv2_kernel": (1, 28), "fc1_units": (1, 16_384)}

_KINDS = {"Conv2d": "convolution", "Linear": "dense"}


@dataclass
class LeNetCost:
    """The counted model and the knobs that built it."""
    cost: cost.Cost
    conv1_channels: int
    conv2_channels: int
    conv1_kernel: int
    conv2_kernel: int
    fc1_units: int

    def named_layers(self):
        """(LeNet-5's name, counted layer) for the layers with weights and the poolings:
        conv1, pool1, conv2, pool2, fc1, fc2, fc3."""
        counts, named = {}, []
        for l in self.cost.layers:
            prefix = {"Conv2d": "conv", "Linear": "fc"}.get(l.type,
                                                            "pool" if "Pool" in l.type else None)
            if prefix:
                counts[prefix] = counts.get(prefix, 0) + 1
                named.append((f"{prefix}{counts[prefix]}", l))
        return named

    @property
    def side(self) -> int:
        """Side of conv2's pooled output, the map fc1 sees."""
        return dict(self.named_layers())["pool2"].output_shape[-1]

    def share(self, kind: str) -> tuple[float, float]:
        """(fraction of the parameters, fraction of the MACs) in layers of `kind`:
        "convolution" or "dense"."""
        layers = [l for l in self.cost.layers if _KINDS.get(l.type) == kind]
        return (sum(l.params for l in layers) / self.cost.params,
                sum(l.macs for l in layers) / self.cost.macs)

    def _repr_html_(self) -> str:
        conv_p, conv_m = self.share("convolution")
        dense_p, dense_m = self.share("dense")
        flat = self.conv2_channels * self.side ** 2
        note = (f"Convolutions: {conv_p:.0%} of the parameters, {conv_m:.0%} of the MACs. "
                f"Dense layers: {dense_p:.0%} of the parameters, {dense_m:.0%} of the MACs. "
                f"fc1 sees {self.conv2_channels}×{self.side}×{self.side} = {flat:,} inputs, "
                f"so it holds {flat:,}×{self.fc1_units} = {flat * self.fc1_units:,} weights.")
        return layer_table(self.named_layers(), self.cost, note)


def layer_table(named_layers, counted: cost.Cost, note: str = "") -> str:
    """Compact HTML: one row per (name, layer) with output shape, parameters and MACs, each with a
    bar for its share of the model's total, then the totals and `note`."""
    rows = [[name, "×".join(map(str, l.output_shape)),
             f"{l.params:,}", bar(l.params / counted.params, "#dd8452") if l.params else "",
             f"{l.macs:,}", bar(l.macs / counted.macs) if l.macs else ""]
            for name, l in named_layers]
    total = ["total", "", f"{counted.params:,}", "", f"{counted.macs:,}", ""]
    return (table(["layer", "output", "params", "", "MACs", ""], rows, total, numeric={2, 4})
            + (f"<p>{html.escape(note)}</p>" if note else ""))


def lenet_cost(conv1_channels: int = 6, conv2_channels: int = 16, conv1_kernel: int = 5,
               conv2_kernel: int = 5, fc1_units: int = 120) -> LeNetCost:
    """LeNet-5 on a 28x28 grey image with the given knobs, counted layer by layer.

    conv1 is padded by conv1_kernel // 2 ('same' for odd kernels), conv2 is not; each is followed
    by 2x2 pooling, and fc1 sees conv2_channels x side x side inputs.
    """
    within(RANGES, conv1_channels=conv1_channels, conv2_channels=conv2_channels,
           conv1_kernel=conv1_kernel, conv2_kernel=conv2_kernel, fc1_units=fc1_units)
    counted = cost.count("lenet", channels=(conv1_channels, conv2_channels),
                         kernel_sizes=(conv1_kernel, conv2_kernel), hidden=(fc1_units, HIDDEN2))
    return LeNetCost(counted, conv1_channels, conv2_channels, conv1_kernel, conv2_kernel,
                     fc1_units)
