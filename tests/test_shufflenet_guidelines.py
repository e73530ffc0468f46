"""ShuffleNet's shuffle ablation, v2's guideline benchmark networks, memory traffic counted on
the meta device, and the widgets of chapter 14."""
import pytest
import torch
from torch import nn

from lib import cost, models
from lib.cost.traffic import memory_traffic, record_operations
from lib.models.shufflenet import (G1_CHANNELS, G2_CHANNELS, GUIDELINE_BLOCKS, GUIDELINE_ROWS,
                                   GUIDELINE_SIZE, StackedGroupConv, guideline_network)
from lib.widgets import render
from lib.widgets import shufflenet as widgets


@pytest.mark.parametrize("groups", [2, 3, 4])
def test_without_the_shuffle_groups_never_meet(groups):
    """With n = C/g >= g channels per group, one shuffle lets every output reach every input."""
    channels, n = 24, 24 // groups
    torch.manual_seed(0)
    apart = widgets.dependence(StackedGroupConv(channels, groups, shuffle=False), channels) > 0
    mixed = widgets.dependence(StackedGroupConv(channels, groups, shuffle=True), channels) > 0
    block = torch.block_diag(*[torch.ones(n, n, dtype=torch.bool)] * groups)
    assert torch.equal(apart, block)
    assert mixed.all()


def test_stacked_group_conv_refuses_groups_that_do_not_divide():
    with pytest.raises(ValueError, match="groups=5 does not divide channels=12"):
        StackedGroupConv(12, 5)


@pytest.mark.parametrize("groups", [1, 3, 8])
def test_the_ablation_has_the_same_cost_and_a_different_function(groups):
    with_shuffle = cost.count("shufflenet_v1", groups=groups)
    without = cost.count("shufflenet_v1", groups=groups, shuffle=False)
    assert (with_shuffle.params, with_shuffle.macs) == (without.params, without.macs)
    torch.manual_seed(0)
    a = models.create("shufflenet_v1", groups=groups, in_channels=1, num_classes=10,
                      image_size=32).eval()
    b = models.create("shufflenet_v1", groups=groups, in_channels=1, num_classes=10,
                      image_size=32, shuffle=False).eval()
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(a(x), b(x)) == (groups == 1)


def test_shuffle_must_be_a_bool():
    with pytest.raises(ValueError, match="shuffle"):
        models.create("shufflenet_v1", shuffle="no")


def test_guideline_1_rows_cost_the_same_and_differ_in_traffic():
    """Table 1 of v2: every ratio c1:c2 has the MACs of 1:1 within 5 % (the paper's own channel
    counts), and 1:1 moves the least."""
    macs, traffic = [], []
    for row in G1_CHANNELS:
        net = guideline_network(1, row)
        size = (net.in_channels, GUIDELINE_SIZE, GUIDELINE_SIZE)
        macs.append(cost.count(net, size).macs)
        traffic.append(memory_traffic(net, size).total)
    assert max(macs) / min(macs) < 1.06
    assert traffic[0] == min(traffic) and traffic == sorted(traffic)


def test_guideline_1_traffic_is_the_papers_formula():
    """MAC = hw(c1 + c2) + c1 c2 per 1x1 convolution (v2 paper, Section 2)."""
    c1, c2 = G1_CHANNELS["1:2"]
    hw = GUIDELINE_SIZE ** 2
    net = guideline_network(1, "1:2")
    counted = memory_traffic(net, (c1, GUIDELINE_SIZE, GUIDELINE_SIZE)).total
    assert counted == GUIDELINE_BLOCKS * 2 * (hw * (c1 + c2) + c1 * c2)


def test_guideline_2_more_groups_same_macs_more_traffic():
    traffic = []
    for g in G2_CHANNELS:
        net = guideline_network(2, g)
        size = (net.in_channels, GUIDELINE_SIZE, GUIDELINE_SIZE)
        assert abs(cost.count(net, size).macs / cost.count(guideline_network(2, 1),
                                                          (128, 56, 56)).macs - 1) < 0.03
        traffic.append(memory_traffic(net, size).total)
    assert traffic == sorted(traffic) and traffic[-1] > 2 * traffic[0]


@pytest.mark.parametrize("guideline", [3, 4])
def test_guideline_networks_compute_something_of_the_right_shape(guideline):
    for row in GUIDELINE_ROWS[guideline]:
        net = guideline_network(guideline, row)
        x = torch.randn(1, net.in_channels, 8, 8)
        assert net(x).shape == x.shape


def test_parallel_fragments_are_one_convolution():
    """G3: n parallel 1x1 convolutions concatenated compute what one convolution computes."""
    net = guideline_network(3, "4 in parallel")[0]
    one = nn.Conv2d(128, 128, 1, bias=False)
    with torch.no_grad():
        one.weight.copy_(torch.cat([c.weight for c in net.convs]))
    x = torch.randn(1, 128, 5, 5)
    assert torch.allclose(net(x), one(x), atol=1e-5)


def test_guideline_network_names_what_is_valid():
    with pytest.raises(ValueError, match="guideline"):
        guideline_network(5, "1:1")
    with pytest.raises(ValueError, match="row"):
        guideline_network(1, "1:3")


def test_traffic_counts_views_as_free_and_the_shuffle_as_a_copy():
    x = torch.randn(1, 12, 4, 4, device="meta")
    from lib.models.shufflenet import channel_shuffle
    traffic = record_operations(lambda t: channel_shuffle(t, 3), x)
    assert [r.operation for r in traffic.records] == ["clone"]
    assert traffic.total == 2 * 12 * 16


def test_memory_traffic_of_a_registered_model_and_bad_input():
    traffic = memory_traffic("shufflenet_v1", groups=3)
    assert traffic.by_operation()["convolution"] > 0 and traffic.total > 0
    with pytest.raises(ValueError, match="model="):
        memory_traffic(42, (3, 8, 8))


def test_folding_batch_norm_keeps_the_output():
    torch.manual_seed(0)
    model = models.create("shufflenet_v1", in_channels=1, num_classes=10, image_size=32)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    model.eval()
    folded = widgets.fold_batch_norm(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(model(x), folded(x), atol=1e-4)


def test_operation_kinds_cover_a_shufflenet():
    traffic = memory_traffic("shufflenet_v1", groups=3)
    kinds = {widgets.operation_kind(r) for r in traffic.records}
    assert {"1×1 convolution", "depthwise convolution", "copy (shuffle)",
            "concatenation", "addition"} <= kinds
    assert "other" not in kinds
    macs = sum(widgets.record_macs(r) for r in traffic.records)
    assert macs == cost.count("shufflenet_v1", groups=3).macs


def test_shufflenet_cost_rows_and_messages():
    explorer = widgets.shufflenet_cost(groups=8, width=0.5)
    assert [r.groups for r in explorer.rows] == list(widgets.GROUPS)
    chosen = next(r for r in explorer.rows if r.groups == 8)
    assert chosen.macs == cost.count("shufflenet_v1", groups=8, scale=0.5).macs
    assert "<b>g = 8</b>" in explorer._repr_html_()
    for bad in ({"groups": 5}, {"width": 0}, {"width": "wide"}):
        page = render(widgets.shufflenet_cost, {**widgets.DEFAULTS, **bad})
        assert "Traceback" not in page and str(next(iter(bad.values()))) in page


def test_times_are_shown_only_where_measured():
    counted_only = widgets.shufflenet_cost(3, 1.0, widgets.Timings("m", "cpu", 1, 0, {}))._repr_html_()
    assert "measured time" not in counted_only
    timings = widgets.Timings("a test machine", "cpu", 1, 5, {(3, 1.0): 10.0, (8, 1.0): 20.0})
    page = widgets.shufflenet_cost(3, 1.0, timings)._repr_html_()
    assert "measured time" in page and "a test machine" in page and "not measured" in page
    macs = cost.count("shufflenet_v1", groups=3).macs
    assert f"{macs / 1e6 / 10.0:,.1f}" in page


def test_measure_timings_under_smoke(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "smoke")
    timings = widgets.measure_timings(groups=(2,), widths=(0.25,))
    assert set(timings.ms) == {(2, 0.25)} and timings.ms[(2, 0.25)] > 0
    assert "ms={" in timings.literal() and "torch" in timings.machine


def test_measure_guideline_under_smoke(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "smoke")
    result = widgets.measure_guideline(2)
    assert [r.row for r in result.rows] == [f"g = {g}" for g in G2_CHANNELS]
    assert result.relative()[0] == 1 and all(r.images_per_second > 0 for r in result.rows)
    assert "G2" in result._repr_html_()
