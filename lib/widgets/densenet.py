"""Widgets of chapters/11_densenet.ipynb: a course-scale DenseNet built from its growth rate,
block sizes and compression, counted block by block: parameters, MACs and the activation memory
of a training step (`lib.cost.memory`).

The network is `lib.models.densenet.DenseNet` in its course form (one 28x28 grey image, ten
classes, a 3x3/1 stem and the max-pool); only the three design choices change. Invalid values
raise ValueError naming the value and what would be valid.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from torch import nn

from lib import cost, models
from lib.checks import number, within
from lib.html_table import bar, table
from lib.models.densenet import DenseNet

#: Minibatch of the activation memory shown.
BATCH = 128


@dataclass
class Part:
    name: str              # stem, dense block i, transition i, head
    detail: str            # channels and resolution
    params: int
    macs: int
    activation_bytes: int  # for BATCH images


@dataclass
class DenseTable:
    growth_rate: int
    blocks: tuple[int, ...]
    compression: float
    parts: list[Part]

    @property
    def params(self) -> int:
        return sum(p.params for p in self.parts)

    @property
    def macs(self) -> int:
        return sum(p.macs for p in self.parts)

    @property
    def activation_bytes(self) -> int:
        return sum(p.activation_bytes for p in self.parts)

    def _repr_html_(self) -> str:
        most = max(p.activation_bytes for p in self.parts) or 1
        rows = [[p.name, p.detail, f"{p.params:,}", f"{p.macs / 1e6:.2f}",
                 f"{p.activation_bytes / 2**20:.1f}", bar(p.activation_bytes / most)]
                for p in self.parts]
        note = (f"Growth rate k = {self.growth_rate}, blocks of {'-'.join(map(str, self.blocks))}"
                f" layers, compression θ = {self.compression}: {self.params / 1e6:.2f} M "
                f"parameters, {self.macs / 1e6:.1f} M MACs per image, "
                f"{self.activation_bytes / 2**20:.0f} MiB of activations kept for the backward "
                f"pass of a {BATCH}-image float32 minibatch.")
        return (table(["part", "channels, size", "params", "MMACs", f"MiB ({BATCH} images)",
                       "activations"], rows,
                      total=["total", "", f"{self.params:,}", f"{self.macs / 1e6:.2f}",
                             f"{self.activation_bytes / 2**20:.1f}", ""],
                      numeric={2, 3, 4}, css_class="densenet-parts")
                + f"<p>{html.escape(note)}</p>")


BLOCK_CHOICES = {"4-4-4-4": (4, 4, 4, 4), "6-12-24-16": (6, 12, 24, 16),
                 "6-12-48-32": (6, 12, 48, 32)}
DENSE_CONTROLS = {"growth_rate": [6, 12, 24], "blocks": list(BLOCK_CHOICES),
                  "compression": [0.5, 1.0]}
DENSE_DEFAULTS = {"growth_rate": 12, "blocks": "6-12-24-16", "compression": 0.5}
#: The (smallest, largest) growth rate `dense_blocks` accepts; blocks have 1 to 64 layers.
DENSE_RANGES = {"growth_rate": (1, 64)}


def _part(name: str) -> str:
    """The part of the network a module belongs to, from its qualified name."""
    parts = name.split(".")
    if parts[0] == "features" and len(parts) > 1:
        i = int(parts[1])
        return f"dense block {i // 2 + 1}" if i % 2 == 0 else f"transition {i // 2 + 1}"
    return "stem" if parts[0] == "stem" else "head"


def dense_blocks(growth_rate: int = 12, blocks: str = "6-12-24-16",
                 compression: float = 0.5) -> DenseTable:
    """The course-scale DenseNet-BC with `growth_rate` k, dense blocks of `blocks` layers
    ("6-12-24-16" is DenseNet-121) and transitions keeping `compression` of their channels,
    counted part by part on one 28x28 image."""
    within(DENSE_RANGES, growth_rate=growth_rate)
    if isinstance(blocks, str):
        try:
            config = tuple(int(n) for n in blocks.split("-"))
        except ValueError:
            config = ()
    else:
        config = tuple(blocks)
    if not config or len(config) > 6 or any(not 1 <= n <= 64 for n in config):
        raise ValueError(f"blocks={blocks!r} must be 1 to 6 block sizes from 1 to 64, such as "
                         f"'6-12-24-16'")
    number("compression", compression, 0, 1, low_open=True,
           hint=": theta, the fraction of channels a transition keeps")
    kwargs = {**models.course_config("densenet121"), "growth_rate": growth_rate,
              "stem_channels": 2 * growth_rate, "block_config": config,
              "compression": compression}
    model = cost.build_on_meta(lambda: DenseNet(**kwargs))
    counted = cost.count(model, (1, 28, 28), batch_size=BATCH)
    totals: dict[str, list] = {}
    shapes: dict[str, tuple] = {}
    for layer in counted.layers:
        key = _part(layer.name)
        row = totals.setdefault(key, [0, 0, 0])
        row[0] += layer.params
        row[1] += layer.macs
        shapes[key] = layer.output_shape
    for name, nbytes in counted.activations.by_module.items():
        totals.setdefault(_part(name), [0, 0, 0])[2] += nbytes * BATCH
    channels = {"stem": kwargs["stem_channels"]}
    for i, module in enumerate(model.features):
        last_conv = [m for m in module.modules() if isinstance(m, nn.Conv2d)][-1]
        channels[_part(f"features.{i}")] = getattr(module, "out_channels",
                                                   last_conv.out_channels)
    parts = []
    for key, (p, m, a) in totals.items():
        if key == "head":
            detail = f"{shapes[key][0]} classes"
        else:
            detail = f"{channels[key]} × {shapes[key][1]}×{shapes[key][2]}"
        parts.append(Part(key, detail, p, m, a))
    return DenseTable(growth_rate, config, compression, parts)
