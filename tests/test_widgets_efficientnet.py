"""The compound-scaling explorer of chapters/16_efficientnet.ipynb and the matched networks of
its experiment: every number read from lib.cost, the constraint enforced with a message."""
import math

import pytest

from lib import cost
from lib.models.efficientnet import ALPHA, BETA, GAMMA, PUBLISHED, TABLE_1
from lib.widgets import efficientnet as ew
from lib.widgets import render

COURSE = {"in_channels": 1, "num_classes": 10, "width_mult": 0.5, "depth_mult": 0.5,
          "image_size": 32}


def test_gamma_meets_the_constraint():
    for alpha, beta in ((ALPHA, BETA), (1.0, 1.0), (1.4, 1.15)):
        gamma = ew.gamma_for(alpha, beta)
        assert alpha * beta ** 2 * gamma ** 2 == pytest.approx(ew.TARGET)
    # the paper's gamma falls a little short of the constraint: its product is 1.92
    assert ALPHA * BETA ** 2 * GAMMA ** 2 == pytest.approx(1.92, abs=0.005)
    assert GAMMA < ew.gamma_for(ALPHA, BETA) < GAMMA + 0.03


def test_stage_blocks_and_channels_are_read_from_the_count():
    b0 = cost.count("efficientnet_b0")
    assert ew.stage_blocks(b0) == tuple(row[6] for row in TABLE_1[1:-1])
    assert ew.channels(b0) == (TABLE_1[0][5], TABLE_1[-1][5])


def test_phi_zero_is_b0_and_the_released_b0():
    scaled = ew.compound_scaling(0)
    assert scaled.side == 224 and scaled.scaled.macs == scaled.b0.macs
    assert scaled.released.params == scaled.b0.params
    for _, _, _, measured, rule in scaled.rows():
        assert measured == pytest.approx(1.0) and rule == pytest.approx(1.0)


@pytest.mark.parametrize("phi", [1, 3, 2.5])
def test_scaled_network_follows_the_rule_up_to_rounding(phi):
    scaled = ew.compound_scaling(phi)
    rows = {q: (m, r) for q, _, _, m, r in scaled.rows()}
    assert scaled.side == round(224 * ew.gamma_for(ALPHA, BETA) ** phi)
    # channels are rounded to multiples of 8 and blocks up to whole ones
    assert rows["channels (stem, head)"][0] == pytest.approx(BETA ** phi, rel=0.05)
    assert rows["MBConv blocks"][0] >= ALPHA ** phi - 1e-9
    assert rows["MACs"][1] == pytest.approx(ew.TARGET ** phi)
    assert rows["MACs"][0] >= 0.9 * ew.TARGET ** phi
    assert (scaled.released is not None) == float(phi).is_integer()


def test_released_variant_is_the_published_one():
    w, d, r, _ = PUBLISHED["b3"]
    html = ew.compound_scaling(3)._repr_html_()
    assert f"Released B3 (w = {w}, d = {d}, {r}×{r})" in html
    assert f"{cost.count('efficientnet_b3').params / 1e6:.2f} M" in html


def test_breaking_the_bounds_is_refused_with_a_message():
    with pytest.raises(ValueError, match=r"alpha=2.0 and beta=1.3 .*\(γ < 1\)"):
        ew.compound_scaling(1, alpha=2.0, beta=1.3)
    with pytest.raises(ValueError, match="alpha=0.9"):
        ew.compound_scaling(1, alpha=0.9)
    with pytest.raises(ValueError, match="phi=11"):
        ew.compound_scaling(11)
    assert "explorer-error" in render(ew.compound_scaling, {"phi": 1, "alpha": 2.0, "beta": 1.3})


def test_every_control_value_answers():
    for name, options in ew.CONTROLS.items():
        assert ew.DEFAULTS[name] in options
        low, high = ew.RANGES[name]
        assert all(low <= o <= high for o in options)
    for phi in (0, 7):
        for alpha in ew.CONTROLS["alpha"]:
            for beta in ew.CONTROLS["beta"]:
                out = render(ew.compound_scaling, {"phi": phi, "alpha": alpha, "beta": beta})
                assert ("explorer-error" in out) == (alpha * beta ** 2 > ew.TARGET), (alpha, beta)


def test_matched_scalings_cost_twice_the_base():
    configs = ew.matched_scalings(COURSE)
    assert list(configs) == ["base", *ew.DIMENSIONS]
    base = cost.count("efficientnet_b0", **COURSE).macs
    for name in ew.DIMENSIONS:
        macs = cost.count("efficientnet_b0", **configs[name]).macs
        # whole blocks, channels in multiples of 8 and whole pixels: the budget is met coarsely
        assert abs(math.log(macs / (2 * base))) < math.log(1.5), (name, macs / base)
    changed = {name: {k for k in COURSE if configs[name][k] != COURSE[k]}
               for name in ew.DIMENSIONS}
    assert {k: changed[k] for k in ("depth", "width", "resolution")} == {
        "depth": {"depth_mult"}, "width": {"width_mult"}, "resolution": {"image_size"}}
    # the compound rule moves every multiplier; a whole pixel may be more than its share
    assert {"depth_mult", "width_mult"} <= changed["compound"] <= {"depth_mult", "width_mult",
                                                                    "image_size"}
    html = ew.scaling_table(configs)
    assert html.count("<tr>") == 6


def test_matched_scalings_name_what_is_missing():
    with pytest.raises(ValueError, match="needs image_size"):
        ew.matched_scalings({"width_mult": 0.5, "depth_mult": 0.5})
    with pytest.raises(ValueError, match="factor=0.5"):
        ew.matched_scalings(COURSE, factor=0.5)
