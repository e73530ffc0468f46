"""Widgets of chapters/06_nin.ipynb: the curse of the last layer, a dense head against NiN's
1x1 convolution and global average pooling.

The function takes the controls' values and returns an object whose HTML is the answer; both
heads are built as PyTorch modules and counted by `lib.cost`. Invalid values raise ValueError
with a message naming the value and what would be valid.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from torch import nn

from lib import cost
from lib.checks import within
from lib.html_table import table

#: The lecture's examples, (c, m_h, m_w, n): the first dense layer of LeNet, AlexNet and VGG.
LECTURE_EXAMPLES = {(16, 5, 5, 120): "LeNet", (256, 5, 5, 4096): "AlexNet",
                    (512, 7, 7, 4096): "VGG"}


@dataclass
class Head:
    name: str
    code: str
    weights: int     # without biases: what the lecture's formulas count
    params: int      # with biases
    macs: int


@dataclass
class LastLayer:
    """A c x m_h x m_w feature map mapped to n outputs, by a dense layer or by NiN's head."""
    c: int
    m_h: int
    m_w: int
    n: int
    dense: Head
    nin: Head

    @property
    def ratio(self) -> float:
        """Parameters of the dense head over those of the NiN head (with biases)."""
        return self.dense.params / self.nin.params

    def _repr_html_(self) -> str:
        c, h, w, n = self.c, self.m_h, self.m_w, self.n
        rows = [[f"{head.name}<br><code>{html.escape(head.code)}</code>",
                 f"<code>{formula}</code>", f"{head.params:,}", f"{head.macs:,}"]
                for head, formula in ((self.dense, f"c·m_h·m_w·n = {c}·{h}·{w}·{n} = "
                                                   f"{self.dense.weights:,}"),
                                      (self.nin, f"c·n = {c}·{n} = {self.nin.weights:,}"))]
        example = LECTURE_EXAMPLES.get((c, h, w, n))
        note = (f"The dense head has {self.ratio:,.1f}× the parameters of the NiN head (m_h·m_w "
                f"= {h * w} for the weights). Their MACs are equal: the 1×1 convolution does "
                f"c·n multiply-accumulates at each of the {h * w} pixels, and global average "
                f"pooling has no weights.")
        if example:
            note = f"This is the lecture's {example} example. " + note
        head = ["head", "weights (no biases)", "params (with biases)", "MACs"]
        return (table(head, rows, numeric={1, 2, 3}, css_class="last-layer")
                + f"<p>{html.escape(note)}</p>")


LAST_LAYER_CONTROLS = {"c": [16, 64, 256, 512, 1024], "m_h": [1, 5, 7, 14],
                       "m_w": [1, 5, 7, 14], "n": [10, 120, 1000, 4096]}
LAST_LAYER_DEFAULTS = {"c": 512, "m_h": 7, "m_w": 7, "n": 4096}
#: The (smallest, largest) value of each argument `last_layer` accepts.
LAST_LAYER_RANGES = {"c": (1, 8192), "m_h": (1, 256), "m_w": (1, 256), "n": (1, 100_000)}


def last_layer(c: int = 512, m_h: int = 7, m_w: int = 7, n: int = 4096) -> LastLayer:
    """A c x m_h x m_w feature map to n outputs: flattened into a dense layer (c·m_h·m_w·n
    weights), or NiN's way, a 1x1 convolution to n channels and a global average pool (c·n)."""
    within(LAST_LAYER_RANGES, c=c, m_h=m_h, m_w=m_w, n=n)
    dense = cost.build_on_meta(lambda: nn.Sequential(nn.Flatten(), nn.Linear(c * m_h * m_w, n)))
    nin = cost.build_on_meta(lambda: nn.Sequential(nn.Conv2d(c, n, kernel_size=1),
                                                   nn.AdaptiveAvgPool2d(1), nn.Flatten()))
    heads = []
    for name, module, code in (
            ("dense", dense, f"nn.Flatten(), nn.Linear({c * m_h * m_w}, {n})"),
            ("1×1 conv + global average pool", nin,
             f"nn.Conv2d({c}, {n}, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten()")):
        counted = cost.count(module, (c, m_h, m_w))
        weights = sum(p.numel() for name_, p in module.named_parameters()
                      if name_.endswith("weight"))
        heads.append(Head(name, code, weights, counted.params, counted.macs))
    return LastLayer(c, m_h, m_w, n, *heads)
