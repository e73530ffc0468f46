"""SqueezeNet's metaparameters and the fire-module explorer against hand formulas and the paper."""
import itertools

import pytest
import torch

from lib import cost, models
from lib.models.squeezenet import CONFIGS, Fire, fire_sizes
from lib.widgets import render, squeezenet


def fire_params_by_hand(c_in, s1x1, e1x1, e3x3):
    """Weights and biases of a fire module, written out from the paper's Figure 1."""
    return c_in * s1x1 + s1x1 + s1x1 * e1x1 + e1x1 + 9 * s1x1 * e3x3 + e3x3


@pytest.mark.parametrize("version", CONFIGS)
def test_the_default_metaparameters_give_the_configuration_tables(version):
    for row in CONFIGS[version]:
        if isinstance(row, tuple) and row[0] != "conv1":
            assert fire_sizes(row[1] + row[2]) == row


@pytest.mark.parametrize("squeeze_ratio, pct_3x3", itertools.product(
    squeezenet.CONTROLS["squeeze_ratio"], squeezenet.CONTROLS["pct_3x3"]))
def test_every_grid_point_counts_as_the_hand_formula(squeeze_ratio, pct_3x3):
    design = squeezenet.fire_design(squeeze_ratio, pct_3x3)
    expands = [r[1] + r[2] for r in CONFIGS["1_0"] if isinstance(r, tuple) and r[0] != "conv1"]
    assert [f.e1x1 + f.e3x3 for f in design.fires] == expands
    c_in = 96
    for fire, expand in zip(design.fires, expands):
        assert fire.s1x1 == max(1, round(squeeze_ratio * expand))
        assert fire.e3x3 == round(pct_3x3 * expand)
        assert fire.in_channels == c_in
        assert fire.params == fire_params_by_hand(c_in, fire.s1x1, fire.e1x1, fire.e3x3)
        side = fire.side
        assert fire.macs == side * side * (c_in * fire.s1x1 + fire.s1x1 * (fire.e1x1 + 9 * fire.e3x3))
        c_in = expand
    assert design.cost.params == sum(p.numel() for p in models.create(
        "squeezenet1_0", squeeze_ratio=squeeze_ratio, pct_3x3=pct_3x3).parameters())


def test_the_paper_design_is_squeezenet_1_0_and_its_sizes_are_the_papers():
    design = squeezenet.fire_design()
    assert design.cost.params == design.reference.params == 1_248_424  # torchvision's count
    assert round(design.megabytes, 1) == 4.8                         # Table 2: 4.8 MB
    assert round(design.alexnet.params / 1e6) == 61                  # Table 2: 240 MB, 61 M
    assert 50 > design.alexnet.params / design.cost.params > 48      # "50x fewer parameters"
    assert [f.side for f in design.fires] == [54, 54, 54, 27, 27, 27, 27, 13]


def test_the_paper_alexnet_has_the_two_towers_grouped_convolutions():
    counted = cost.count(cost.build_on_meta(squeezenet.paper_alexnet), (3, 227, 227))
    convs = [l for l in counted.layers if l.type == "Conv2d"]
    assert [l.output_shape for l in convs] == [(96, 55, 55), (256, 27, 27), (384, 13, 13),
                                              (384, 13, 13), (256, 13, 13)]
    # conv2 in two groups: 256 filters of 5x5x48, not 5x5x96
    assert convs[1].params == 256 * 5 * 5 * 48 + 256
    assert counted.params == 60_965_224


def test_the_squeeze_ratio_at_0_75_is_the_papers_19_mb_model():
    """Section 5.1: SR = 0.75 gives a 19 MB model (Figure 2a): 19.4 million bytes, 18.5 MiB;
    Table 2's 4.8 MB is in MiB (4.99 million bytes)."""
    design = squeezenet.fire_design(squeeze_ratio=0.75)
    assert round(design.cost.params * 4 / 1e6) == 19 and round(design.megabytes, 1) == 18.5


def test_a_fire_module_forward_has_the_counted_shape():
    s1x1, e1x1, e3x3 = fire_sizes(256, 0.25, 0.75)
    out = Fire(64, s1x1, e1x1, e3x3)(torch.randn(2, 64, 9, 9))
    assert out.shape == (2, 256, 9, 9) and (s1x1, e1x1, e3x3) == (64, 64, 192)


@pytest.mark.parametrize("kwargs, message", [
    ({"squeeze_ratio": 0}, r"squeeze_ratio=0 must be in \(0, 1\]"),
    ({"squeeze_ratio": 1.5}, r"squeeze_ratio=1.5 must be in \(0, 1\]"),
    ({"pct_3x3": 1}, r"pct_3x3=1 must be in \(0, 1\)"),
    ({"pct_3x3": 0.001}, r"pct_3x3=0.001 leaves 0 of 128 expand filters 3x3"),
    ({"pct_3x3": "half"}, r"pct_3x3='half' must be in"),
])
def test_bad_metaparameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.create("squeezenet1_1", **kwargs)


def test_the_explorer_refuses_bad_values_with_a_message():
    page = render(squeezenet.fire_design, {"squeeze_ratio": 0.125, "pct_3x3": 0.003})
    assert "explorer-error" in page and "pct_3x3=0.003" in page and "Traceback" not in page


def test_the_page_shows_the_design_and_stays_small():
    page = render(squeezenet.fire_design, squeezenet.DEFAULTS)
    assert "fire2" in page and "fire9" in page and "<svg" in page
    assert "1,248,424 parameters" in page
    assert len(page) < 20_000
