"""`lib.cost` against independent counts: FlopCounterMode, sum(p.numel()), and the hand formulas."""
import math

import pytest
import torch
import torchvision
from hypothesis import given, settings, strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from lib import cost


def flop_counter_macs(model, input_size):
    """MACs from PyTorch's own counter on a real forward pass (its FLOPs are 2 x MACs)."""
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(1, *input_size))
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("builder, input_size", [
    (torchvision.models.resnet18, (3, 64, 64)),
    (torchvision.models.mobilenet_v2, (3, 64, 64)),
    (torchvision.models.squeezenet1_1, (3, 96, 96)),
    (torchvision.models.densenet121, (3, 64, 64)),
    (torchvision.models.shufflenet_v2_x0_5, (3, 64, 64)),
])
def test_totals_match_flop_counter_and_numel(builder, input_size):
    model = builder().eval()
    c = cost.count(model, input_size)
    assert c.macs == flop_counter_macs(model, input_size)
    assert c.flops == 2 * c.macs
    assert c.params == sum(p.numel() for p in model.parameters())
    assert c.params == sum(layer.params for layer in c.layers)


def test_resnet50_matches_torchvision_published_figures():
    c = cost.count(torchvision.models.resnet50(), (3, 224, 224))
    meta = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta
    assert c.params == meta["num_params"]
    assert c.macs / 1e9 == pytest.approx(meta["_ops"], rel=1e-3)


def test_named_model_counts_on_meta_device_without_allocating():
    c = cost.count("lenet")
    assert c.input_size == (1, 28, 28)
    assert [l.output_shape for l in c.layers if l.type == "Conv2d"] == [(6, 28, 28), (16, 10, 10)]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(4, 20), k=st.integers(1, 7), p=st.integers(0, 3), s=st.integers(1, 4),
       c_in=st.sampled_from([1, 2, 4, 6]), c_out=st.sampled_from([2, 4, 6]),
       g=st.sampled_from([1, 2]), bias=st.booleans())
def test_conv_formulas_match_torch(n, k, p, s, c_in, c_out, g, bias):
    """params k_h*k_w*(c_in/g)*c_out (+ bias) and MACs m_h*m_w*k_h*k_w*(c_in/g)*c_out."""
    if k > n + 2 * p or c_in % g or c_out % g:
        with pytest.raises(ValueError):
            cost.conv_output_size(n, k, p, s)
            cost.conv_params(k, c_in, c_out, g)
        return
    conv = nn.Conv2d(c_in, c_out, k, stride=s, padding=p, groups=g, bias=bias)
    m = cost.conv_output_size(n, k, p, s)
    assert conv(torch.zeros(1, c_in, n, n)).shape == (1, c_out, m, m)
    assert cost.conv_params(k, c_in, c_out, g, bias) == sum(q.numel() for q in conv.parameters())
    c = cost.count(conv, (c_in, n, n))
    assert c.macs == cost.conv_macs(k, c_in, c_out, m, g) == flop_counter_macs(conv, (c_in, n, n))


def test_linear_and_activation_bytes():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.ReLU(), nn.Linear(5, 3))
    c = cost.count(model, (3, 2, 2), batch_size=8, dtype=torch.float16)
    assert c.macs == 12 * 5 + 5 * 3
    assert c.params == 12 * 5 + 5 + 5 * 3 + 3
    assert c.activation_bytes == (12 + 5 + 5 + 3) * 8 * 2


def test_shared_module_params_counted_once():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    c = cost.count(model, (4,))
    assert c.params == 20
    assert c.macs == 2 * 16
    assert [l.params for l in c.layers if l.type == "Linear"] == [20, 0]


@pytest.mark.parametrize("call, message", [
    (lambda: cost.conv_output_size(5, 7, 0, 1), "kernel size 7 is larger than the padded input 5"),
    (lambda: cost.conv_output_size(5, 3, -1, 1), "padding must be an integer >= 0, got -1"),
    (lambda: cost.conv_output_size(5, 3, 0, 0), "stride must be an integer >= 1, got 0"),
    (lambda: cost.conv_params(3, 6, 8, groups=4), "groups=4 does not divide input channels 6"),
    (lambda: cost.conv_params(3, 8, 6, groups=4), "valid group counts: 1, 2"),
    (lambda: cost.count(nn.Conv2d(3, 4, 5), (3, 2, 2)), "cannot take a 3x2x2 input"),
    (lambda: cost.count("no_such_net"), "unknown model 'no_such_net'"),
])
def test_bad_input_gives_a_readable_message(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        call()


def test_tables_show_every_layer_and_totals():
    c = cost.count("lenet")
    text = c.table()
    assert text.splitlines()[-1].split()[-2:] == [f"{c.params:,}", f"{c.macs:,}"]
    assert len(text.splitlines()) == len(c.layers) + 2
    html = c._repr_html_()
    assert html.count("<tr>") == len(c.layers) + 1 and f"{c.macs:,}" in html
    assert math.isclose(sum(l.macs for l in c.layers) / c.macs, 1.0)
