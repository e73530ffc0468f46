"""The checks of the models' arguments and inputs, in one place, so that the model files read as
the papers' networks: a bad argument or input raises a ValueError that names it and says what
would be valid.
"""
from __future__ import annotations

from functools import partial

from torch import nn

from lib.checks import integer, one_of, positive, probability
from lib.geometry import smallest_input

#: How each argument that several models take is checked (see `lib.checks`).
ARGUMENTS = {
    "in_channels": integer,
    "num_classes": integer,
    "image_size": integer,
    "hidden": integer,
    "width_mult": positive,
    "width": partial(positive, hint=" (1.0 is the paper's network, 0.125 keeps one filter "
                                    "in eight)"),
    "dropout": probability,
    "stem": partial(one_of, choices=("paper", "light")),
}


def check_args(**values) -> None:
    """Check arguments that several models share, by name (ARGUMENTS): a ValueError names the
    first bad one and what would be valid."""
    for name, value in values.items():
        ARGUMENTS[name](name, value)


def too_small(model: str, image_size: int, path, why: str) -> None:
    """A ValueError unless an image_size x image_size input gets through the (kernel, stride,
    padding) layers of `path`; the message names the smallest size that does."""
    smallest = smallest_input(path)
    if image_size < smallest:
        raise ValueError(f"image_size={image_size} is too small for {model}: {why}; "
                         f"use image_size >= {smallest}")


class CheckedInput(nn.Module):
    """A base for models that check their input's shape before the first layer sees it, so a
    wrong input raises a ValueError that says what the model expects (the Inception networks
    and Xception, whose stems fail on small inputs deep inside otherwise)."""

    def _setup_input_check(self, model, in_channels, image_size, path, stem):
        self.model_name, self.in_channels = model, in_channels
        self.min_input_size = smallest_input(path)
        if image_size < self.min_input_size:
            hint = "; use stem='light' for small images" if stem == "paper" else ""
            raise ValueError(f"{model} with stem={stem!r} needs image_size >= "
                             f"{self.min_input_size}, got {image_size}{hint}")

    def _check_input(self, x):
        if (x.dim() != 4 or x.shape[1] != self.in_channels
                or min(x.shape[-2:]) < self.min_input_size):
            raise ValueError(
                f"{self.model_name} expects (batch, {self.in_channels}, H, W) with H, W >= "
                f"{self.min_input_size}, got {tuple(x.shape)}")
