"""What `lib.cost.count` measured: the totals of a model and one row per layer call."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import torch

from lib.cost import render
from lib.cost.render import shape_text


@dataclass
class Layer:
    """One leaf layer as it ran: its qualified name, type, output shape (per image) and cost."""
    name: str
    type: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


@dataclass
class Cost:
    """What `count` measured. `macs` and `flops` are per image; `activation_bytes` is for
    `batch_size` images of `dtype` (`lib.cost.memory` defines it), measured when first read."""
    params: int
    macs: int
    input_size: tuple[int, ...]
    batch_size: int = 1
    dtype: torch.dtype = torch.float32
    layers: list[Layer] = field(default_factory=list, repr=False)
    measure_activations: Callable[[], "Activations"] | None = field(
        default=None, repr=False, compare=False)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @cached_property
    def activations(self):
        """The activation memory per image, in total and by module (`lib.cost.memory`)."""
        if self.measure_activations is None:
            raise ValueError("this Cost was made without a model to measure activations on; "
                             "use lib.cost.count")
        return self.measure_activations()

    @property
    def activation_bytes(self) -> int:
        """What the forward pass of a training step on `batch_size` images holds for the
        backward pass (`lib.cost.memory`)."""
        return self.activations.per_image * self.batch_size

    def __repr__(self):
        return (f"Cost(params={self.params:,}, macs={self.macs:,}, flops={self.flops:,}, "
                f"activation_bytes={self.activation_bytes:,}, input_size={self.input_size})")

    def summary(self) -> str:
        """Totals in the units the papers use."""
        return (f"{self.params / 1e6:.2f} M params, {self.macs / 1e6:,.1f} M MACs "
                f"({self.flops / 1e9:.2f} GFLOPs) per {shape_text(self.input_size)} image")

    def table(self, max_rows: int | None = None) -> str:
        """The per-layer table as plain text."""
        return render.text(self, max_rows)

    def html(self, max_rows: int | None = 60) -> str:
        """The per-layer table as HTML, with a bar for each layer's share of the MACs."""
        return render.html(self, max_rows)

    def _repr_html_(self) -> str:
        return self.html()

    def plot(self, ax=None, top: int | None = 30):
        """Bar chart of MACs and parameters per layer (the `top` costliest by MACs)."""
        return render.bars(self, ax=ax, top=top)
