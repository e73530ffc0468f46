"""MobileNet's multipliers explorer against hand formulas, the paper's Table 2 and the registry."""
import itertools

import pytest

from lib.widgets import mobilenet, render

#: MobileNet v1's separable layers (paper, Table 1): (input side at 224, M, N, stride).
SEPARABLE = [(112, 32, 64, 1), (112, 64, 128, 2), (56, 128, 128, 1), (56, 128, 256, 2),
             (28, 256, 256, 1), (28, 256, 512, 2), *[(14, 512, 512, 1)] * 5,
             (14, 512, 1024, 2), (7, 1024, 1024, 1)]


def macs_by_hand(alpha, resolution):
    """Multiply-adds of MobileNet v1 written out: the paper's D_K^2 M D_F^2 + M N D_F^2 per
    separable layer, with the side of each map worked out from `resolution` (padding 1)."""
    width = lambda c: round(c * alpha)
    side = (resolution - 1) // 2 + 1
    total = side * side * 9 * 3 * width(32)
    for _, m, n, stride in SEPARABLE:
        out = (side - 1) // stride + 1
        total += out * out * 9 * width(m) + out * out * width(m) * width(n)
        side = out
    return total + width(1024) * 1000


@pytest.mark.parametrize("alpha, resolution", itertools.product(
    mobilenet.CONTROLS["alpha"], mobilenet.CONTROLS["resolution"]))
def test_the_count_is_the_papers_formula(alpha, resolution):
    answer = mobilenet.multipliers(alpha, resolution)
    assert answer.cost.macs == macs_by_hand(alpha, resolution)
    kinds = answer.by_kind()
    assert sum(p for p, _ in kinds.values()) == answer.cost.params
    assert sum(m for _, m in kinds.values()) == answer.cost.macs


def test_table_2_shares_and_the_swapped_digits_of_its_first_layer():
    """Howard et al., Table 2: 1x1 94.86 % of Mult-Adds and 74.59 % of parameters, depthwise
    3.06 % and 1.06 %, fully connected 0.18 % and 24.33 %; the first layer's Mult-Adds are
    1.91 %, printed 1.19 %."""
    kinds = mobilenet.multipliers().by_kind()
    weights = sum(p for k, (p, _) in kinds.items() if k != mobilenet.KINDS[5])
    macs = sum(m for _, m in kinds.values())
    shares = {k: (round(100 * p / weights, 2), round(100 * m / macs, 2)) for k, (p, m) in kinds.items()
              if k != mobilenet.KINDS[5]}
    assert shares == {"Conv 3×3 (first layer)": (0.02, 1.91), "Conv DW 3×3": (1.06, 3.06),
                      "Conv 1×1": (74.59, 94.86), "Fully connected": (24.33, 0.18)}


@pytest.mark.parametrize("kwargs, titles", [
    ({}, ["Table 4, MobileNet", "Table 6, 1.0 MobileNet-224", "Table 7, 1.0 MobileNet-224"]),
    ({"alpha": 0.5}, ["Table 6, 0.5 MobileNet-224"]),
    ({"resolution": 160}, ["Table 7, 1.0 MobileNet-160"]),
    ({"convolutions": "full"}, ["Table 4, Conv MobileNet"]),
    ({"depth": "shallow"}, ["Table 5, Shallow MobileNet"]),
    ({"alpha": 0.5, "resolution": 160}, []),
])
def test_the_paper_row_of_a_setting(kwargs, titles):
    answer = mobilenet.multipliers(**kwargs)
    assert [r[0] for r in answer.rows] == titles
    page = render(mobilenet.multipliers, {**mobilenet.DEFAULTS, **kwargs})
    assert ("no row for this setting" in page) == (not titles)


def test_resolution_scales_macs_not_parameters():
    base, small = mobilenet.multipliers(), mobilenet.multipliers(resolution=128)
    assert small.cost.params == base.cost.params
    assert 0.3 < small.cost.macs / base.cost.macs < (128 / 224) ** 2 + 0.01


def test_full_convolutions_cost_what_table_4_says():
    full = mobilenet.multipliers(convolutions="full")
    assert round(full.cost.macs / 1e6) == 4867 and round(full.cost.params / 1e6, 1) == 29.3
    assert mobilenet.KINDS[3] in full.by_kind() and mobilenet.KINDS[1] not in full.by_kind()


@pytest.mark.parametrize("kwargs, message", [
    ({"alpha": 0}, r"alpha=0 must be in \(0.0, 2.0\]"),
    ({"resolution": 16}, r"resolution=16 must be an integer from 32 to 512"),
    ({"convolutions": "grouped"}, r"convolutions='grouped'; valid: 'separable', 'full'"),
    ({"depth": 3}, r"depth=3; valid: 'paper', 'shallow'"),
])
def test_bad_values_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mobilenet.multipliers(**kwargs)
    assert "explorer-error" in render(mobilenet.multipliers, {**mobilenet.DEFAULTS, **kwargs})
