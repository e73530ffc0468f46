"""Models created by name, so that widgets and tests can enumerate every architecture."""
from typing import Callable

from torch import nn

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}
_INPUT_SIZES: dict[str, Callable[..., tuple[int, int, int]]] = {}
_COURSE: dict[str, dict] = {}


def register(name: str, input_size=(3, 224, 224), course: dict | None = None):
    """Register a builder under `name`.

    `input_size` is the paper's (C, H, W), or a function of the builder's keyword arguments
    returning it (MobileNet's resolution multiplier, EfficientNet's resolution coefficient).
    `course` holds the keyword arguments of the course-scale form a chapter trains on
    Fashion-MNIST (one input channel, ten classes, a resolution and width that train on a CPU).
    """

    def wrap(builder):
        if name in _BUILDERS:
            raise ValueError(f"model name {name!r} is registered twice")
        _BUILDERS[name] = builder
        _INPUT_SIZES[name] = input_size if callable(input_size) else (lambda **_: tuple(input_size))
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
    """Build a registered model. Defaults give the paper's configuration; kwargs the course scale."""
    _check(name)
    return _BUILDERS[name](**kwargs)


def input_size(name: str, **kwargs) -> tuple[int, int, int]:
    """The (C, H, W) the model expects: the paper's resolution, or that implied by kwargs."""
    _check(name)
    size = _INPUT_SIZES[name](**kwargs)
    if "in_channels" in kwargs:
        size = (kwargs["in_channels"], *size[1:])
    return tuple(size)


def course_config(name: str) -> dict:
    """Keyword arguments of the course-scale form: `create(name, **course_config(name))`."""
    _check(name)
    return dict(_COURSE[name])
