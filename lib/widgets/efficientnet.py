"""Widget of chapters/16_efficientnet.ipynb: compound scaling of EfficientNet-B0, and the
scaled networks of the chapter's experiment.

`compound_scaling(phi, alpha, beta)` scales B0 (three input channels, 1000 classes) by
d = alpha^phi, w = beta^phi and r = gamma^phi, where gamma is what the constraint
alpha * beta^2 * gamma^2 = 2 leaves, and counts the network with `lib.cost`: every number it
shows is read from that count. A pair (alpha, beta) that leaves gamma < 1 breaks the lecture's
bounds and is refused with a message.

`matched_scalings` finds, for a course-scale B0, the depth, width, resolution and compound
multipliers whose networks cost a given multiple of its MACs.
"""
from __future__ import annotations

import functools
import html
import math
from dataclasses import dataclass

from lib import cost
from lib.checks import integer, number
from lib.html_table import table
from lib.models.efficientnet import ALPHA, BETA, GAMMA, PUBLISHED, TABLE_1

#: The cost of a network grows as d * w^2 * r^2; the constraint makes one step of phi cost 2x.
TARGET = 2.0

CONTROLS = {
    "phi": [0, 1, 2, 3, 4, 5, 6, 7],
    "alpha": [1.0, 1.1, 1.2, 1.4, 1.6, 2.0],
    "beta": [1.0, 1.05, 1.1, 1.15, 1.2],
}
DEFAULTS = {"phi": 1, "alpha": ALPHA, "beta": BETA}
LABELS = {"phi": "φ", "alpha": "α (depth)", "beta": "β (width)"}
#: The (smallest, largest) value of each argument `compound_scaling` accepts; alpha and beta
#: include 1 (the lecture's bounds alpha, beta >= 1).
RANGES = {"phi": (0.0, 10.0), "alpha": (1.0, 2.0), "beta": (1.0, 2.0)}

_B0_SIDE = TABLE_1[0][4]
_B0_LAYERS = tuple(row[6] for row in TABLE_1[1:-1])


def gamma_for(alpha: float, beta: float, target: float = TARGET) -> float:
    """The resolution base gamma that alpha * beta^2 * gamma^2 = target leaves."""
    return math.sqrt(target / (alpha * beta ** 2))


@functools.lru_cache(maxsize=1024)
def _count(width: float, depth: float, side: int) -> cost.Cost:
    return cost.count("efficientnet_b0", image_size=side, width_mult=width, depth_mult=depth)


@functools.lru_cache(maxsize=8)
def _released(phi: int) -> cost.Cost:
    return cost.count(f"efficientnet_b{phi}")


def stage_blocks(counted: cost.Cost) -> tuple[int, ...]:
    """MBConv blocks per stage, read from the count: the projections of stage s are the layers
    named features.s.<block>.block.<last>."""
    blocks = {}
    for layer in counted.layers:
        parts = layer.name.split(".")
        if (len(parts) > 3 and parts[0] == "features" and parts[2].isdigit()
                and parts[3] == "block"):
            blocks.setdefault(int(parts[1]), set()).add(int(parts[2]))
    return tuple(len(blocks[s]) for s in sorted(blocks))


def channels(counted: cost.Cost) -> tuple[int, int]:
    """(stem channels, channels of the last 1x1 convolution), read from the count."""
    convs = [l for l in counted.layers if l.type == "Conv2d"]
    return convs[0].output_shape[0], convs[-1].output_shape[0]


@dataclass
class CompoundScaling:
    """B0 scaled by the compound rule at phi, with its count and B0's."""
    phi: float
    alpha: float
    beta: float
    gamma: float
    side: int
    scaled: cost.Cost
    b0: cost.Cost
    released: cost.Cost | None  # EfficientNet-B<phi> with the published coefficients

    @property
    def depth(self) -> float:
        return self.alpha ** self.phi

    @property
    def width(self) -> float:
        return self.beta ** self.phi

    @property
    def resolution(self) -> float:
        return self.gamma ** self.phi

    def rows(self) -> list[tuple[str, str, str, float, float]]:
        """(quantity, B0, this network, measured ratio, ratio the rule predicts)."""
        b_blocks, s_blocks = stage_blocks(self.b0), stage_blocks(self.scaled)
        (b_stem, b_head), (s_stem, s_head) = channels(self.b0), channels(self.scaled)
        rule = (self.alpha * self.beta ** 2 * self.gamma ** 2) ** self.phi
        return [
            ("MBConv blocks", "-".join(map(str, b_blocks)), "-".join(map(str, s_blocks)),
             sum(s_blocks) / sum(b_blocks), self.depth),
            ("channels (stem, head)", f"{b_stem}, {b_head:,}", f"{s_stem}, {s_head:,}",
             s_head / b_head, self.width),
            ("input side", f"{_B0_SIDE}", f"{self.side}", self.side / _B0_SIDE, self.resolution),
            ("parameters", _millions(self.b0.params), _millions(self.scaled.params),
             self.scaled.params / self.b0.params, self.depth * self.width ** 2),
            ("MACs", _billions(self.b0.macs), _billions(self.scaled.macs),
             self.scaled.macs / self.b0.macs, rule),
        ]

    def _repr_html_(self) -> str:
        head = ["", "B0", f"φ = {self.phi:g}", "× B0", "rule"]
        body = [[q, b, s, f"{m:.2f}", f"{r:.2f}"] for q, b, s, m, r in self.rows()]
        formula = (f"<p>d = {self.alpha:g}<sup>{self.phi:g}</sup> = {self.depth:.2f}, "
                   f"w = {self.beta:g}<sup>{self.phi:g}</sup> = {self.width:.2f}, "
                   f"r = γ<sup>{self.phi:g}</sup> = {self.resolution:.2f}, "
                   f"γ = √(2/(α·β²)) = {self.gamma:.3f}</p>")
        released = ""
        if self.released is not None:
            w, d, r, _ = PUBLISHED[f"b{int(self.phi)}"]
            released = (f"<p>Released B{int(self.phi)} (w = {w}, d = {d}, {r}×{r}): "
                        f"{_millions(self.released.params)}, "
                        f"{_billions(self.released.macs)} MACs, "
                        f"{self.released.macs / self.b0.macs:.2f} × B0</p>")
        return formula + table(head, body, numeric={3, 4}) + released


def _millions(n: int) -> str:
    return f"{n / 1e6:.2f} M"


def _billions(n: int) -> str:
    return f"{n / 1e9:.3f} G"


def compound_scaling(phi: float = 1, alpha: float = ALPHA, beta: float = BETA) -> CompoundScaling:
    """EfficientNet-B0 scaled by d = alpha^phi, w = beta^phi and r = gamma^phi on a 224 * r
    input (rounded), gamma = sqrt(2 / (alpha * beta^2)); with the released B<phi> beside it
    where phi is a whole number from 0 to 7."""
    number("phi", phi, *RANGES["phi"])
    number("alpha", alpha, *RANGES["alpha"], hint=" (the lecture's bound: α ≥ 1)")
    number("beta", beta, *RANGES["beta"], hint=" (the lecture's bound: β ≥ 1)")
    product = alpha * beta ** 2
    if product > TARGET:
        raise ValueError(
            f"alpha={alpha!r} and beta={beta!r} give α·β² = {product:.3f} > {TARGET:g}: "
            f"γ² = 2 / (α·β²) = {TARGET / product:.3f} would make the resolution shrink "
            f"(γ < 1); choose α·β² ≤ 2, e.g. beta ≤ {math.sqrt(TARGET / alpha):.3f} "
            f"for this α")
    gamma = gamma_for(alpha, beta)
    side = round(_B0_SIDE * gamma ** phi)
    scaled = _count(round(beta ** phi, 6), round(alpha ** phi, 6), side)
    released = None
    if float(phi).is_integer() and f"b{int(phi)}" in PUBLISHED:
        released = _released(int(phi))
    return CompoundScaling(phi, alpha, beta, gamma, side, scaled, _count(1.0, 1.0, _B0_SIDE),
                           released)


# --- The course experiment: one budget, four ways to spend it ---------------------------------

#: The dimensions `matched_scalings` scales, in the order the chapter trains them.
DIMENSIONS = ("depth", "width", "resolution", "compound")


def _macs(config: dict) -> int:
    return _count_config(tuple(sorted(config.items()))).macs


@functools.lru_cache(maxsize=4096)
def _count_config(items) -> cost.Cost:
    return cost.count("efficientnet_b0", **dict(items))


def _closest(candidates, config_of, target: float):
    """The candidate whose network's MACs are closest to `target` (as a ratio): MACs grow with
    the candidates, so a binary search finds the first at or above it."""
    lo, hi = 0, len(candidates) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _macs(config_of(candidates[mid])) >= target:
            hi = mid
        else:
            lo = mid + 1
    best = [candidates[i] for i in (lo - 1, lo) if 0 <= i < len(candidates)]
    return min(best, key=lambda c: abs(math.log(_macs(config_of(c)) / target)))


def matched_scalings(base: dict, factor: float = TARGET, alpha: float = ALPHA, beta: float = BETA,
                     gamma: float = GAMMA) -> dict[str, dict]:
    """Keyword arguments of `create("efficientnet_b0", ...)`: `base` (a course-scale B0 with
    width_mult, depth_mult and image_size) and the networks scaled from it in depth alone, width
    alone, resolution alone and by the compound rule (d = alpha^phi, w = beta^phi, r = gamma^phi),
    each at the multiplier whose MACs come closest to `factor` times base's. Rounding (whole
    blocks, channels in multiples of 8, whole pixels) keeps them from meeting it exactly."""
    number("factor", factor, 1.0, 16.0)
    for key in ("width_mult", "depth_mult", "image_size"):
        if key not in base:
            raise ValueError(f"base={base!r} needs {key}: the course B0 scales from it")
    side = integer("image_size", base["image_size"], 8, 1024)
    target = factor * _macs(base)
    steps = [1 + i / 100 for i in range(0, 20 * 100 + 1)]          # multipliers 1.00 ... 21.00
    scale = {
        "depth": lambda x: {**base, "depth_mult": round(base["depth_mult"] * x, 6)},
        "width": lambda x: {**base, "width_mult": round(base["width_mult"] * x, 6)},
        "resolution": lambda s: {**base, "image_size": s},
        "compound": lambda phi: {**base, "depth_mult": round(base["depth_mult"] * alpha ** phi, 6),
                                 "width_mult": round(base["width_mult"] * beta ** phi, 6),
                                 "image_size": round(side * gamma ** phi)},
    }
    candidates = {"depth": steps, "width": steps, "resolution": list(range(side, 8 * side + 1)),
                  "compound": [i / 100 for i in range(0, 20 * 100 + 1)]}
    configs = {"base": dict(base)}
    for dimension in DIMENSIONS:
        configs[dimension] = scale[dimension](_closest(candidates[dimension], scale[dimension],
                                                       target))
    return configs


def scaling_table(configs: dict[str, dict]) -> str:
    """The networks of `matched_scalings` side by side: depth, width, resolution and cost."""
    base = _count_config(tuple(sorted(configs["base"].items())))
    rows = []
    for name, config in configs.items():
        c = _count_config(tuple(sorted(config.items())))
        rows.append([html.escape(name), f"{config['depth_mult']:.3g}",
                     f"{config['width_mult']:.3g}", f"{config['image_size']}",
                     "-".join(map(str, stage_blocks(c))), f"{c.params:,}", f"{c.macs:,}",
                     f"{c.macs / base.macs:.2f}"])
    head = ["network", "depth_mult", "width_mult", "input", "blocks per stage", "params", "MACs",
            "× base"]
    return table(head, rows, numeric={1, 2, 3, 5, 6, 7})
