"""Widget of chapters/03_lenet.ipynb: LeNet-5's channels, kernel sizes and dense width, and where
its parameters and multiply-accumulates live.

`lenet_cost` builds `lib.models.create("lenet", ...)` on the meta device and counts it with
`lib.cost.count`; impossible combinations raise ValueError naming the value and what would fit.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from lib import cost, models

IMAGE_SIZE = 28
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

_KINDS = {"Conv2d": "convolution", "Linear": "dense"}


_STYLE = ("<style>.cost-bars td{padding:0 .5em}.cost-bars td:nth-child(3),.cost-bars td:nth-child(5)"
          "{text-align:right}.cost-bars i{display:inline-block;height:.7em}</style>")


def _bar(fraction, colour):
    return f"<i style='width:{6 * fraction:.2f}em;background:{colour}'></i>"


@dataclass
class LeNetCost:
    """The counted model and the knobs that built it."""
    cost: cost.Cost
    conv1_channels: int
    conv2_channels: int
    conv1_kernel: int
    conv2_kernel: int
    fc1_units: int
    side: int  # of conv2's pooled output, the map fc1 sees

    def named_layers(self):
        """(LeNet-5's name, counted layer) for the layers with weights and the poolings:
        conv1, pool1, conv2, pool2, fc1, fc2, fc3."""
        counts, named = {}, []
        for l in self.cost.layers:
            prefix = {"Conv2d": "conv", "Linear": "fc"}.get(l.type, "pool" if "Pool" in l.type else None)
            if prefix:
                counts[prefix] = counts.get(prefix, 0) + 1
                named.append((f"{prefix}{counts[prefix]}", l))
        return named

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
    rows = ["<tr><th>layer</th><th>output</th><th>params</th><th></th><th>MACs</th><th></th></tr>"]
    for name, l in named_layers:
        shape = "×".join(map(str, l.output_shape))
        if l.params or l.macs:
            rows.append(f"<tr><td>{name}</td><td>{shape}</td><td>{l.params:,}</td>"
                        f"<td>{_bar(l.params / counted.params, '#dd8452')}</td><td>{l.macs:,}</td>"
                        f"<td>{_bar(l.macs / counted.macs, '#4c72b0')}</td></tr>")
        else:
            rows.append(f"<tr><td>{name}</td><td>{shape}</td><td>0</td><td></td><td>0</td><td></td></tr>")
    rows.append(f"<tr><th>total</th><td></td><th>{counted.params:,}</th><td></td>"
                f"<th>{counted.macs:,}</th><td></td></tr>")
    return (f"{_STYLE}<table class='cost-bars'>{''.join(rows)}</table>"
            + (f"<p>{html.escape(note)}</p>" if note else ""))


def _check(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def lenet_cost(conv1_channels: int = 6, conv2_channels: int = 16, conv1_kernel: int = 5,
               conv2_kernel: int = 5, fc1_units: int = 120) -> LeNetCost:
    """LeNet-5 on a 28x28 grey image with the given knobs, counted layer by layer.

    conv1 is padded by conv1_kernel // 2 ('same' for odd kernels), conv2 is not; each is followed
    by 2x2 pooling, and fc1 sees conv2_channels x side x side inputs.
    """
    for name, value in (("conv1_channels", conv1_channels), ("conv2_channels", conv2_channels),
                        ("conv1_kernel", conv1_kernel), ("conv2_kernel", conv2_kernel),
                        ("fc1_units", fc1_units)):
        _check(name, value)
    after_conv1 = cost.conv_output_size(IMAGE_SIZE, conv1_kernel, conv1_kernel // 2)
    after_pool1 = after_conv1 // 2
    if conv2_kernel > after_pool1 - 1:
        raise ValueError(
            f"conv2 kernel {conv2_kernel} leaves nothing to pool: conv1 and the first pooling leave a "
            f"{after_pool1}×{after_pool1} map, and the second 2×2 pooling needs conv2's output to be at "
            f"least 2×2; with a {conv1_kernel}×{conv1_kernel} conv1 use a conv2 kernel of at most {after_pool1 - 1}")
    kwargs = dict(channels=(conv1_channels, conv2_channels), kernel_sizes=(conv1_kernel, conv2_kernel),
                  hidden=(fc1_units, HIDDEN2))
    return LeNetCost(cost.count("lenet", **kwargs), conv1_channels, conv2_channels, conv1_kernel,
                     conv2_kernel, fc1_units, side=(after_pool1 - conv2_kernel + 1) // 2)
