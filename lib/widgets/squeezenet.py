"""Widgets of chapters/12_squeezenet.ipynb: a fire module's squeeze ratio and expand mix, and
what they do to the whole of SqueezeNet.

`fire_design` builds SqueezeNet 1.0 (three input channels, 1,000 classes, 224x224, as in the
paper) with every fire module set by the two metaparameters of the paper's Section 5, counts it
with `lib.cost.count`, and reads every number it shows from that count. `paper_alexnet` is the
network the paper compares against (Table 2: 240 MB), built to be counted. Invalid values raise
ValueError naming the value and what would be valid.
"""
from __future__ import annotations

import functools
import html
from dataclasses import dataclass

from torch import nn

from lib import cost
from lib.checks import within
from lib.html_table import bar, table
from lib.models.squeezenet import PCT_3X3, SQUEEZE_RATIO

CONTROLS = {"squeeze_ratio": [0.125, 0.25, 0.375, 0.5, 0.75, 1.0],
            "pct_3x3": [0.01, 0.125, 0.25, 0.5, 0.75, 0.99]}
DEFAULTS = {"squeeze_ratio": SQUEEZE_RATIO, "pct_3x3": PCT_3X3}
LABELS = {"squeeze_ratio": "squeeze ratio SR = s1x1 / e", "pct_3x3": "3x3 share pct_3x3 = e3x3 / e"}
#: The (smallest, largest) value of each argument `fire_design` accepts; `pct_3x3` must also
#: leave at least one filter of each kind in the narrowest fire module (128 expand filters).
RANGES = {"squeeze_ratio": (0.0, 1.0), "pct_3x3": (0.0, 0.99)}

MIB = 2 ** 20


def paper_alexnet(num_classes: int = 1000) -> nn.Sequential:
    """AlexNet as its paper built it and as SqueezeNet's Table 2 counts it (61 M parameters,
    240 MB in float32), for a 3x227x227 image: conv2, conv4 and conv5 in two groups, one per
    GPU. Local response normalisation has no parameters and is left out."""
    def conv(c_in, c_out, k, s=1, p=0, groups=1):
        return [nn.Conv2d(c_in, c_out, k, s, p, groups=groups), nn.ReLU()]

    pool = nn.MaxPool2d(3, 2)
    return nn.Sequential(
        *conv(3, 96, 11, 4), pool,                       # (96, 55, 55) -> (96, 27, 27)
        *conv(96, 256, 5, p=2, groups=2), pool,          # (256, 27, 27) -> (256, 13, 13)
        *conv(256, 384, 3, p=1),
        *conv(384, 384, 3, p=1, groups=2),
        *conv(384, 256, 3, p=1, groups=2), pool,         # (256, 13, 13) -> (256, 6, 6)
        nn.Flatten(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, num_classes))


@dataclass
class FireRow:
    name: str           # fire2 ... fire9
    side: int           # H = W of its maps
    in_channels: int
    s1x1: int
    e1x1: int
    e3x3: int
    params: int
    macs: int

    @property
    def plain_3x3_params(self) -> int:
        """Parameters of one 3x3 convolution with the same input and output channels."""
        return cost.conv_params(3, self.in_channels, self.e1x1 + self.e3x3)


@dataclass
class FireDesign:
    """SqueezeNet 1.0 with every fire module set by `squeeze_ratio` and `pct_3x3`."""
    squeeze_ratio: float
    pct_3x3: float
    cost: cost.Cost
    fires: list[FireRow]
    reference: cost.Cost       # the same network at the paper's SR = 0.125, pct_3x3 = 0.5
    alexnet: cost.Cost         # paper_alexnet() at 227x227

    @property
    def megabytes(self) -> float:
        """Size of the float32 weights in MiB (what the paper's "MB" counts)."""
        return self.cost.params * 4 / MIB

    def _diagram(self) -> str:
        """fire2 drawn to scale: bar heights are channel counts."""
        f = self.fires[0]
        scale = 150 / max(f.in_channels, f.s1x1, f.e1x1 + f.e3x3)
        boxes = [(10, f.in_channels, "#999999", "input", f"{f.in_channels} ch"),
                 (150, f.s1x1, "#c44e52", "squeeze 1×1", f"s1x1 = {f.s1x1}"),
                 (310, f.e1x1, "#4c72b0", "expand 1×1", f"e1x1 = {f.e1x1}"),
                 (310, f.e3x3, "#dd8452", "expand 3×3", f"e3x3 = {f.e3x3}"),
                 (480, f.e1x1 + f.e3x3, "#999999", "concatenated", f"{f.e1x1 + f.e3x3} ch")]
        parts, top = [], 30
        y_expand = top
        for x, channels, colour, label, count in boxes:
            height = max(1.5, channels * scale)
            if label == "expand 3×3":
                y = y_expand
            else:
                y = top + (165 - height) / 2 if label != "expand 1×1" else top
            if label == "expand 1×1":
                y_expand = y + height + 18
            parts.append(f"<rect x='{x}' y='{y:.1f}' width='70' height='{height:.1f}' "
                         f"fill='{colour}' fill-opacity='0.8' stroke='#333'/>"
                         f"<text x='{x + 78}' y='{y + height / 2 + 4:.1f}' font-size='11'>"
                         f"{label}: {count}</text>")
        total_height = max(top + 190, y_expand + 10)
        title = (f"fire2 to scale, on {f.side}×{f.side} maps (bar height = channels): "
                 f"{f.in_channels} → {f.s1x1} → {f.e1x1} + {f.e3x3}")
        return (f"<svg width='620' height='{total_height:.0f}' role='img' "
                f"style='font-family:sans-serif'><text x='10' y='16' font-size='12'>"
                f"{html.escape(title)}</text>{''.join(parts)}</svg>")

    def _repr_html_(self) -> str:
        rows = [[f.name, f"{f.side}×{f.side}", f"{f.in_channels}", f"{f.s1x1}", f"{f.e1x1}",
                 f"{f.e3x3}", f"{f.params:,}", f"{f.plain_3x3_params:,}", f"{f.macs / 1e6:.1f}",
                 bar(f.macs / max(r.macs for r in self.fires))] for f in self.fires]
        fire_table = table(["module", "maps", "in", "s1x1", "e1x1", "e3x3", "params",
                            "one 3×3 conv in→out", "M MACs", ""], rows,
                           numeric={2, 3, 4, 5, 6, 7, 8}, css_class="fire-design")
        c, ref, alex = self.cost, self.reference, self.alexnet
        note = (f"The whole SqueezeNet 1.0 with these fire modules: {c.params:,} parameters "
                f"({self.megabytes:.2f} MB in float32), {c.macs / 1e6:,.0f} M MACs per 224×224 "
                f"image: {c.params / ref.params:.2f}× the parameters and {c.macs / ref.macs:.2f}× "
                f"the MACs of the paper's SqueezeNet (SR = {SQUEEZE_RATIO}, pct_3x3 = "
                f"{PCT_3X3}), and {alex.params / c.params:.1f}× fewer parameters than the "
                f"paper's AlexNet ({alex.params / 1e6:.1f} M, {alex.params * 4 / MIB:.0f} MB).")
        return self._diagram() + fire_table + f"<p>{html.escape(note)}</p>"


def fire_design(squeeze_ratio: float = SQUEEZE_RATIO, pct_3x3: float = PCT_3X3) -> FireDesign:
    """SqueezeNet 1.0 whose fire modules have s1x1 = SR · e squeeze filters and e3x3 = pct_3x3 · e
    of their e expand filters 3×3 (e = 128, 128, 256, 256, 384, 384, 512, 512 as in Table 1),
    counted on a 3×224×224 image."""
    within(RANGES, squeeze_ratio=squeeze_ratio, pct_3x3=pct_3x3)
    counted = cost.count("squeezenet1_0", squeeze_ratio=squeeze_ratio, pct_3x3=pct_3x3)
    return FireDesign(squeeze_ratio, pct_3x3, counted, fire_rows(counted),
                      cost.count("squeezenet1_0"), _paper_alexnet_cost())


@functools.cache
def _paper_alexnet_cost() -> cost.Cost:
    return cost.count(cost.build_on_meta(paper_alexnet), (3, 227, 227))


def fire_rows(counted: cost.Cost) -> list[FireRow]:
    """One row per fire module of a counted SqueezeNet, read from its layers."""
    modules: dict[str, dict] = {}
    for layer in counted.layers:
        module, _, part = layer.name.rpartition(".")
        if part in ("squeeze", "expand1x1", "expand3x3"):
            modules.setdefault(module, {})[part] = layer
    rows = []
    for i, parts in enumerate(modules.values(), start=2):
        sq, e1, e3 = parts["squeeze"], parts["expand1x1"], parts["expand3x3"]
        s1x1 = sq.output_shape[0]
        in_channels = sq.params // s1x1 - 1  # a 1x1 layer has s1x1 * (in + 1) parameters
        rows.append(FireRow(f"fire{i}", sq.output_shape[-1], in_channels, s1x1,
                            e1.output_shape[0], e3.output_shape[0],
                            sq.params + e1.params + e3.params, sq.macs + e1.macs + e3.macs))
    return rows
