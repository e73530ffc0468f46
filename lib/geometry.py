"""The geometry of sliding windows: how convolutions and pooling change the side of a feature map.

A layer with a k x k window, stride s, padding p and dilation d maps n pixels to

    m = floor((n + 2p - d(k - 1) - 1) / s) + 1,

which is floor((n + 2p - k) / s) + 1 for d = 1 (chapters/01_building_blocks.ipynb). Models use
these functions to size their dense layers and to name the smallest input they take; `lib.cost`
uses them to skip PyTorch's kernels while counting.
"""
from __future__ import annotations

import math

from lib.checks import integer


def pair(v) -> tuple:
    """(v, v) for one number, the pair itself for a (height, width) pair."""
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_output_size(n: int, kernel_size: int, padding: int = 0, stride: int = 1,
                     dilation: int = 1) -> int:
    """floor((n + 2p - d(k - 1) - 1) / s) + 1, which is floor((n + 2p - k) / s) + 1 for d = 1.

    Raises ValueError, naming the values, when the result would not be a positive size.
    """
    for label, value, low in (("input size", n, 1), ("kernel_size", kernel_size, 1),
                              ("padding", padding, 0), ("stride", stride, 1),
                              ("dilation", dilation, 1)):
        integer(label, value, low)
    span = dilation * (kernel_size - 1) + 1
    if span > n + 2 * padding:
        raise ValueError(
            f"kernel size {kernel_size}" + (f" (dilated to {span})" if dilation > 1 else "")
            + f" is larger than the padded input {n} + 2*{padding} = {n + 2 * padding}; "
            f"use a kernel of at most {n + 2 * padding} or pad by at least "
            f"{math.ceil((span - n) / 2)}")
    return (n + 2 * padding - span) // stride + 1


def sliding_output_size(n: int, kernel_size: int, stride: int, padding: int = 0,
                        dilation: int = 1, ceil_mode: bool = False) -> int:
    """PyTorch's output size of a convolution or pooling window, without validation (see
    `conv_output_size` for that). With ceil_mode, pooling's last window may hang over the edge
    but must start inside the input or its left padding."""
    span = dilation * (kernel_size - 1) + 1
    out = (n + 2 * padding - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def output_sizes(n: int, path) -> list[int]:
    """The side after each (kernel, stride, padding) layer of `path` for an n x n input;
    `conv_output_size`'s ValueError where a window no longer fits."""
    sizes = []
    for k, s, p in path:
        n = conv_output_size(n, k, p, s)
        sizes.append(n)
    return sizes


def smallest_input(path) -> int:
    """The smallest square input that the (kernel, stride, padding) layers of `path`, the layers
    that change the grid along a network's main path, map to at least one pixel."""
    n = 1
    while True:
        size = n
        for k, s, p in path:
            if size + 2 * p < k:
                break
            size = (size + 2 * p - k) // s + 1
        else:
            return n
        n += 1


def divisors(n: int) -> str:
    """The divisors of n, as a message lists them: "1, 2, 3, 6" for 6."""
    return ", ".join(str(d) for d in range(1, n + 1) if n % d == 0)
