"""The Inception explorers of chapters 7 and 8: branch counts against formulas written out here,
the naive module against the reduced one, and factorisations against their algebra."""
import pytest
import torch

from lib.cost import conv_macs, conv_params
from lib.models.googlenet import Inception
from lib.widgets import inception as widgets
from lib.widgets import render


def test_the_lecture_module_counts_each_branch_by_its_formula():
    m = widgets.inception_module(256, 128, 64, 192, 64, 96, 64, side=28)
    assert [b.name for b in m.branches] == ["1×1", "3×3", "5×5", "pool"]
    one, three, five, pool = m.branches
    assert one.macs == conv_macs(1, 256, 128, 28)
    assert three.macs == conv_macs(1, 256, 64, 28) + conv_macs(3, 64, 192, 28)
    assert five.params == conv_params(1, 256, 64) + conv_params(5, 64, 96)
    assert pool.macs == conv_macs(1, 256, 64, 28)
    assert m.out_channels == 128 + 192 + 96 + 64
    assert m.macs == 271_351_808          # lecture 003's six terms, summed


def test_the_module_agrees_with_the_built_module():
    m = widgets.inception_module(192, 64, 96, 128, 16, 32, 32, side=28)
    block = Inception(192, 64, 96, 128, 16, 32, 32)
    assert m.params == sum(p.numel() for p in block.parameters())
    assert block(torch.zeros(1, 192, 28, 28)).shape[1] == m.out_channels


def test_without_reductions_every_branch_reads_all_channels_and_pool_passes_them_on():
    choice = widgets.reduced_module(256, 128, 192, 96, "none (naive)", side=28)
    assert choice.module.naive and choice.module is choice.naive
    assert choice.module.out_channels == 128 + 192 + 96 + 256
    assert choice.module.macs == 854_196_224  # lecture 003's naive module
    reduced = widgets.reduced_module(256, 128, 192, 96, "C/4", side=28)
    assert not reduced.module.naive and reduced.module.macs < reduced.naive.macs
    assert "naive module" in render(widgets.reduced_module, {"reductions": "C/4"})


@pytest.mark.parametrize("n, factorisation, layers, field", [
    (5, "3×3 stack", 2, (5, 5)), (7, "3×3 stack", 3, (7, 7)), (7, "1×n then n×1", 2, (7, 7)),
    (5, "depthwise separable", 2, (5, 5)), (3, "none", 1, (3, 3))])
def test_factorisations_keep_the_receptive_field(n, factorisation, layers, field):
    f = widgets.factorise(n, 64, factorisation, side=17)
    assert len(f.layers) == layers and f.field == field
    assert f.full.params == n * n * 64 * 64


def test_factorisation_algebra():
    c = 64
    assert widgets.factorise(5, c, "3×3 stack").params == 2 * 9 * c * c        # 18/25 of 5x5
    assert widgets.factorise(7, c, "1×n then n×1").params == 2 * 7 * c * c     # 2/7 of 7x7
    assert widgets.factorise(3, c, "depthwise separable").params == 9 * c + c * c


@pytest.mark.parametrize("fn, values, message", [
    (widgets.reduced_module, {"reductions": "C/3"}, "reductions='C/3'"),
    (widgets.reduced_module, {"in_channels": 0}, "in_channels=0"),
    (widgets.inception_module, {"ch3x3": 5000}, "ch3x3=5000"),
    (widgets.factorise, {"kernel_size": 4}, "kernel_size=4 must be odd"),
    (widgets.factorise, {"factorisation": "svd"}, "factorisation='svd'"),
    (widgets.factorise, {"channels": -1}, "channels=-1"),
])
def test_bad_values_give_a_message(fn, values, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        fn(**values)
    assert "explorer-error" in render(fn, values)


def test_every_control_value_is_accepted():
    for fn, controls in ((widgets.reduced_module, widgets.MODULE_CONTROLS),
                         (widgets.factorise, widgets.FACTOR_CONTROLS)):
        for name, options in controls.items():
            for option in options:
                assert "explorer-error" not in render(fn, {name: option})
