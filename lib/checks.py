"""Checks of arguments, with the messages every part of the library gives for bad input.

Each check returns the value it was given (an `int` for `integer`) or raises `ValueError` with a
message that names the argument, the value and what would be valid:

    >>> integer("layers", 0)
    Traceback (most recent call last):
    ValueError: layers=0 must be a positive integer
"""
from __future__ import annotations

import math
import numbers


def integer(name: str, value, low: int = 1, high: int | None = None) -> int:
    """`value` as an int, if it is an integer (not a bool) from `low` to `high` (None: no
    upper limit)."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low
            or high is not None and value > high):
        if high is not None:
            wanted = f"an integer from {low:,} to {high:,}"
        else:
            wanted = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{name}={value!r} must be {wanted}")
    return int(value)


def integers(name: str, values, length: int | None = None, low: int = 1,
             high: int | None = None) -> tuple[int, ...]:
    """`values` as a tuple of ints, each as `integer` checks it, `length` of them if given."""
    try:
        values = tuple(values)
    except TypeError:
        raise ValueError(f"{name}={values!r} must be a sequence of integers") from None
    if length is not None and len(values) != length:
        raise ValueError(f"{name}={values!r} must have {length} entries")
    return tuple(integer(f"{name}[{i}]", v, low, high) for i, v in enumerate(values))


def number(name: str, value, low: float | None = None, high: float | None = None, *,
           low_open: bool = False, high_open: bool = False, hint: str = "") -> float:
    """`value` if it is a finite real number (not a bool) in the interval from `low` to `high`,
    each end included unless `low_open` or `high_open`. `hint` follows the message."""
    real = (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))
    if not (real and (low is None or value > low or value == low and not low_open)
            and (high is None or value < high or value == high and not high_open)):
        if low == 0 and low_open and high is None:
            wanted = "a positive number"
        elif high is None:
            wanted = "a number" if low is None else f"a number {'>' if low_open else '>='} {low}"
        elif low is None:
            wanted = f"a number {'<' if high_open else '<='} {high}"
        else:
            wanted = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name}={value!r} must be {wanted}{hint}")
    return value


def positive(name: str, value, high: float | None = None, hint: str = "") -> float:
    """A finite number > 0 (and <= `high`): a width multiplier, a learning rate."""
    return number(name, value, 0, high, low_open=True, hint=hint)


def probability(name: str, value, one: bool = False) -> float:
    """A probability in [0, 1), or in [0, 1] with `one`: dropout rates."""
    return number(name, value, 0, 1, high_open=not one)


def within(ranges: dict, **values) -> None:
    """Check each value against its (low, high) in `ranges`: an integer from low to high where
    the bounds are ints, a number above low and at most high where they are floats. Widgets
    state in `ranges` what their pure functions accept."""
    for name, value in values.items():
        low, high = ranges[name]
        if isinstance(low, float) or isinstance(high, float):
            number(name, value, low, high, low_open=True)
        else:
            integer(name, value, low, high)


def one_of(name: str, value, choices, where: str = ""):
    """`value` if it equals one of `choices` (True is not 1 here); `where` names their source."""
    if not any(value == c and isinstance(value, bool) == isinstance(c, bool) for c in choices):
        source = f" ({where})" if where else ""
        raise ValueError(f"{name}={value!r}; valid{source}: {', '.join(map(repr, choices))}")
    return value
