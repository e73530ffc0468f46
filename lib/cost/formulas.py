"""The hand formulas of a convolution's cost, as chapters/01_building_blocks.ipynb derives them.

For a convolution with a k_h x k_w kernel, c_in input and c_out output channels, g groups and
an m_h x m_w output:

    params = k_h * k_w * (c_in / g) * c_out  (+ c_out biases)
    MACs   = m_h * m_w * k_h * k_w * (c_in / g) * c_out

The output size m is `lib.geometry.conv_output_size`. `lib.cost.count` measures the same
quantities on a whole model; the tests check that the two agree.
"""
from __future__ import annotations

import math

from lib.checks import integer
from lib.geometry import divisors, pair


def conv_params(kernel_size, c_in: int, c_out: int, groups: int = 1, bias: bool = True) -> int:
    """k_h * k_w * (c_in / groups) * c_out, plus c_out biases."""
    _check_groups(c_in, c_out, groups)
    k_h, k_w = pair(kernel_size)
    return k_h * k_w * (c_in // groups) * c_out + (c_out if bias else 0)


def conv_macs(kernel_size, c_in: int, c_out: int, output_size, groups: int = 1) -> int:
    """m_h * m_w * k_h * k_w * (c_in / groups) * c_out."""
    _check_groups(c_in, c_out, groups)
    k_h, k_w = pair(kernel_size)
    m_h, m_w = pair(output_size)
    return m_h * m_w * k_h * k_w * (c_in // groups) * c_out


def _check_groups(c_in, c_out, groups):
    for label, value in (("input channels", c_in), ("output channels", c_out),
                         ("groups", groups)):
        integer(label, value)
    if c_in % groups or c_out % groups:
        bad = " and ".join(f"{label} {c}" for label, c in (("input channels", c_in),
                                                           ("output channels", c_out))
                           if c % groups)
        raise ValueError(f"groups={groups} does not divide {bad}; "
                         f"valid group counts: {divisors(math.gcd(c_in, c_out))}")
