"""Widgets of chapters/13_mobilenet.ipynb: MobileNet v1's width multiplier alpha and resolution
multiplier rho, with the row of the paper's Tables 4-7 that a setting stands for.

`multipliers` counts `lib.models.create("mobilenet_v1", ...)` (three input channels, 1,000
classes, as in the paper) with `lib.cost.count`, splits the count by layer type as the paper's
Table 2 does, and looks the setting up among the lecture's copies of Tables 4-7 in the claims
registry (`lib.lectures`), so the printed row and its verdict are the ones the errata page
shows. Invalid values raise ValueError naming the value and what would be valid.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from lib import cost, lectures
from lib.checks import integer, number, one_of
from lib.html_table import bar, table
from lib.lectures.claims import MARKS
from lib.lectures.lecture002 import MOBILENET_TABLES

CONTROLS = {"alpha": [0.25, 0.5, 0.75, 1.0], "resolution": [128, 160, 192, 224],
            "convolutions": ["separable", "full"], "depth": ["paper", "shallow"]}
DEFAULTS = {"alpha": 1.0, "resolution": 224, "convolutions": "separable", "depth": "paper"}
LABELS = {"alpha": "width multiplier α", "resolution": "resolution ρ·224",
          "convolutions": "3×3 convolutions", "depth": "depth"}
#: The (smallest, largest) value of each numeric argument `multipliers` accepts.
RANGES = {"alpha": (0.0, 2.0), "resolution": (32, 512)}

#: Layer types of the paper's Table 2, "resource per layer type", which counts weights; then
#: the parameters it leaves out.
KINDS = ("Conv 3×3 (first layer)", "Conv DW 3×3", "Conv 1×1", "Conv 3×3 (full, Table 4)",
         "Fully connected", "batch norm, fc bias")


def layer_kind(layer: cost.Layer, first: bool) -> str | None:
    """Which of `KINDS` a counted layer belongs to (None: no parameters, no MACs)."""
    if layer.type == "Linear":
        return KINDS[4]
    if layer.type == "BatchNorm2d":
        return KINDS[5]
    if layer.type != "Conv2d":
        return None
    if first:
        return KINDS[0]
    if ".depthwise." in layer.name:
        return KINDS[1]
    if ".pointwise." in layer.name:
        return KINDS[2]
    return KINDS[3]


@dataclass
class Multipliers:
    """MobileNet v1 at one setting, its count, the 1.0 MobileNet-224 count and the paper's row."""
    alpha: float
    resolution: int
    convolutions: str
    depth: str
    cost: cost.Cost
    base: cost.Cost
    rows: list   # registry results: (row title, accuracy, mult-adds, params) for each table row

    @property
    def rho(self) -> float:
        return self.resolution / 224

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """(weights, MACs) per layer type of `KINDS`, for the types the network has; the last
        holds the parameters that are not weights (batch norm's, the fc layer's biases)."""
        totals = {kind: [0, 0] for kind in KINDS}
        for i, layer in enumerate(self.cost.layers):
            kind = layer_kind(layer, i == 0)
            if kind is not None:
                biases = layer.output_shape[0] if kind == KINDS[4] else 0
                totals[kind][0] += layer.params - biases
                totals[kind][1] += layer.macs
                totals[KINDS[5]][0] += biases
        return {k: (p, m) for k, (p, m) in totals.items() if p or m}

    def _paper_rows(self) -> str:
        if not self.rows:
            return ("<p>The paper's Tables 4-7 have no row for this setting (its Figures 4 and "
                    "5 plot all sixteen combinations of α and ρ).</p>")
        out = []
        for title, accuracy, mult_adds, params in self.rows:
            out.append([html.escape(title), html.escape(str(accuracy.claim.stated)),
                        f"{mult_adds.claim.stated}", f"{mult_adds.computed / 1e6:,.1f} "
                        f"{MARKS[mult_adds.verdict]}", f"{params.claim.stated}",
                        f"{params.computed / 1e6:.2f} {MARKS[params.verdict]}"])
        return table(["the paper's row (lecture 002's copy)", "top-1", "M Mult-Adds",
                      "counted", "M params", "counted"], out, numeric={2, 3, 4, 5},
                     css_class="mobilenet-row")

    def _repr_html_(self) -> str:
        c, b = self.cost, self.base
        kinds = self.by_kind()
        weights = c.params - kinds[KINDS[5]][0]
        rows = [[kind, f"{p:,}", "" if kind == KINDS[5] else f"{p / weights:.2%}", f"{m:,}",
                 "" if kind == KINDS[5] else f"{m / c.macs:.2%}", bar(m / c.macs)]
                for kind, (p, m) in kinds.items()]
        split = table(["layer type (Table 2)", "weights", "share", "MACs", "share", ""], rows,
                      total=["total", f"{c.params:,}", "", f"{c.macs:,}", "", ""],
                      numeric={1, 2, 3, 4}, css_class="mobilenet-split")
        estimate = self.alpha ** 2 * self.rho ** 2
        note = (f"α = {self.alpha:g}, ρ = {self.resolution}/224 = {self.rho:.3f}: "
                f"{c.macs / 1e6:,.1f} M MACs and {c.params / 1e6:.2f} M parameters, "
                f"×{c.macs / b.macs:.3f} and ×{c.params / b.params:.3f} those of 1.0 "
                f"MobileNet-224. The estimate α²ρ² = {estimate:.3f} counts only the 1×1 "
                f"layers' scaling; ρ leaves the parameters unchanged.")
        return f"<p>{html.escape(note)}</p>" + split + self._paper_rows()


def multipliers(alpha: float = 1.0, resolution: int = 224, convolutions: str = "separable",
                depth: str = "paper") -> Multipliers:
    """MobileNet v1 with width multiplier `alpha` on a 3×resolution×resolution image (ρ =
    resolution / 224), its 3×3 layers depthwise separable or full ("Conv MobileNet", Table 4),
    with or without the five repeated 14×14 layers ("Shallow MobileNet", Table 5)."""
    number("alpha", alpha, *RANGES["alpha"], low_open=True,
           hint=" (the paper uses 1.0, 0.75, 0.5 and 0.25)")
    integer("resolution", resolution, *RANGES["resolution"])
    one_of("convolutions", convolutions, CONTROLS["convolutions"])
    one_of("depth", depth, CONTROLS["depth"])
    kwargs = {"alpha": alpha, "image_size": resolution, "depthwise": convolutions == "separable",
              "shallow": depth == "shallow"}
    counted = cost.count("mobilenet_v1", **kwargs)
    return Multipliers(alpha, resolution, convolutions, depth, counted,
                       cost.count("mobilenet_v1"), paper_rows(**kwargs))


def paper_rows(alpha=1.0, image_size=224, depthwise=True, shallow=False) -> list:
    """The rows of Tables 4-7 (the lecture's first copy) for this setting, each as (title,
    accuracy, Mult-Adds, parameters) results from the claims registry."""
    wanted = {k: v for k, v in (("alpha", alpha), ("image_size", image_size),
                                ("depthwise", depthwise), ("shallow", shallow))
              if v != {"alpha": 1.0, "image_size": 224, "depthwise": True, "shallow": False}[k]}
    found = []
    for key, title, kwargs, *_ in MOBILENET_TABLES:
        if kwargs == wanted:
            ident = f"002.mobilenet.{key}"
            found.append((title, *(lectures.check(f"{ident}.{part}")
                                   for part in ("accuracy", "mult-adds", "params"))))
    return found
