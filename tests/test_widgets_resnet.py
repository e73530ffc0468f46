"""The ResNet stage explorer (chapter 10) against whole-network counts and its refusals."""
import pytest

from lib import cost
from lib.widgets.resnet import STAGE_DEFAULTS, resnet_stages


@pytest.mark.parametrize("name, kwargs", [
    ("resnet18", dict(depth=18, block="basic")),
    ("resnet50", dict(depth=50)),
    ("resnet101", dict(depth=101)),
    ("resnext50_32x4d", dict(depth=50, cardinality=32, group_width=4)),
])
def test_stages_add_up_to_the_whole_network(name, kwargs):
    table = resnet_stages(**kwargs)
    whole = cost.count(name)
    assert (table.params, table.macs) == (whole.params, whole.macs)
    assert [s.side for s in table.stages] == [56, 56, 28, 14, 7, 1]


def test_wider_is_costlier_and_grouping_is_cheaper():
    base = resnet_stages(**STAGE_DEFAULTS)
    assert resnet_stages(**{**STAGE_DEFAULTS, "width": 128}).params > base.params
    grouped = resnet_stages(**{**STAGE_DEFAULTS, "cardinality": 8, "group_width": 8})
    assert grouped.macs < base.macs        # the same 3x3 width (64) in 8 groups
    assert "8 groups of 8 channels" in grouped._repr_html_()


@pytest.mark.parametrize("kwargs, message", [
    (dict(depth=20), "depth=20; valid: 18, 34"),
    (dict(block="wide"), "block=.wide.; valid: .basic."),
    (dict(block="basic", cardinality=32), "cardinality=32: a basic block has no grouped"),
    (dict(width=0), "width=0 must be"),
    (dict(image_size=10 ** 6), "image_size=1000000 must be"),
])
def test_bad_values_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        resnet_stages(**kwargs)
