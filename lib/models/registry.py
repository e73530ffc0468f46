"""Models created by name, so that widgets and tests can enumerate every architecture.

    >>> net = create("resnet18", num_classes=10)
    >>> input_size("resnet18", image_size=96)
    (3, 96, 96)
"""
from __future__ import annotations

from typing import Callable

from torch import nn

from lib.models.checks import check_args

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}
_SIDES: dict[str, int | Callable[..., int]] = {}
_CHANNELS: dict[str, int] = {}
_COURSE: dict[str, dict] = {}


def register(name: str, image_size: int | Callable[..., int] = 224, in_channels: int = 3,
             course: dict | None = None):
    """Register a builder under `name`.

    `image_size` is the side of the paper's square input, or a function of the builder's keyword
    arguments that returns it (MobileNet's resolution multiplier, EfficientNet's resolution
    coefficient); an `image_size` keyword argument overrides an int. `in_channels` is the
    paper's (3 for RGB). `course` holds the keyword arguments of the course-scale form a chapter
    trains on Fashion-MNIST (one input channel, ten classes, a resolution and width that train
    on a CPU).
    """

    def wrap(builder):
        if name in _BUILDERS:
            raise ValueError(f"model name {name!r} is registered twice")
        _BUILDERS[name] = builder
        _SIDES[name] = image_size
        _CHANNELS[name] = in_channels
        _COURSE[name] = dict(course or {"in_channels": 1, "num_classes": 10})
        return builder

    return wrap


def names() -> list[str]:
    """Every registered model name, in registration order."""
    return list(_BUILDERS)


def _check(name: str) -> None:
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(names())}")


def create(name: str, **kwargs) -> nn.Module:
    """Build a registered model: the paper's configuration by default, the course scale with
    `course_config(name)`. The input size is checked first, and each model checks its other
    arguments before it builds a layer (`lib.models.checks`)."""
    input_size(name, **kwargs)
    return _BUILDERS[name](**kwargs)


def input_size(name: str, **kwargs) -> tuple[int, int, int]:
    """The (C, H, W) the model expects: the paper's resolution, or that implied by kwargs."""
    _check(name)
    side = _SIDES[name]
    side = side(**kwargs) if callable(side) else kwargs.get("image_size", side)
    channels = kwargs.get("in_channels", _CHANNELS[name])
    check_args(in_channels=channels, image_size=side)
    return (channels, side, side)


def course_config(name: str) -> dict:
    """Keyword arguments of the course-scale form: `create(name, **course_config(name))`."""
    _check(name)
    return dict(_COURSE[name])
