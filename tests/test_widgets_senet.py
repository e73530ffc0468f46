"""The squeeze-and-excitation explorer: SE-ResNet-50's added cost by reduction ratio."""
import pytest

from lib import cost
from lib.widgets import render, senet


@pytest.mark.parametrize("reduction", [4, 16])
def test_the_stages_add_up_to_the_difference_of_the_two_networks(reduction):
    answer = senet.se_cost(reduction)
    assert sum(s.params for s in answer.stages) == answer.se_params - answer.base_params
    assert sum(s.macs for s in answer.stages) == answer.se_macs - answer.base_macs
    assert answer.base_params == cost.count("resnet50").params


def test_each_block_costs_two_c_squared_over_r_plus_biases():
    r = 16
    for s in senet.se_cost(r).stages:
        c = s.channels
        assert s.params == s.blocks * (2 * c * (c // r) + c // r + c)
        assert s.macs == s.blocks * 2 * c * (c // r)


def test_the_last_stage_holds_most_of_the_se_parameters():
    answer = senet.se_cost(16)
    assert [s.blocks for s in answer.stages] == [3, 4, 6, 3]
    assert answer.stages[-1].params / sum(s.params for s in answer.stages) > 0.6


@pytest.mark.parametrize("bad", [0, 257, 2.5, "8"])
def test_bad_ratios_get_a_message(bad):
    page = render(senet.se_cost, {"reduction": bad})
    assert "Traceback" not in page and "reduction=" in page
