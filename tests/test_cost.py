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
    # held for the backward pass: the ReLU's output (it saves its result; the first linear
    # layer's output dies with it) and the output, 8 images in 2-byte floats
    assert c.activation_bytes == (5 + 3) * 8 * 2


def test_shared_module_params_counted_once():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    c = cost.count(model, (4,))
    assert c.params == 20
    assert c.macs == 2 * 16
    assert [l.params for l in c.layers if l.type == "Linear"] == [20, 0]


@pytest.mark.parametrize("call, message", [
    (lambda: cost.conv_output_size(5, 7, 0, 1), "kernel size 7 is larger than the padded input 5"),
    (lambda: cost.conv_output_size(5, 3, -1, 1), "padding=-1 must be an integer >= 0"),
    (lambda: cost.conv_output_size(5, 3, 0, 0), "stride=0 must be a positive integer"),
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
    assert html.count("<tr>") == len(c.layers) + 2  # the header, one row per layer, the total
    assert f"<th class=n>{c.macs:,}</th>" in html
    assert math.isclose(sum(l.macs for l in c.layers) / c.macs, 1.0)


def test_tied_weights_are_counted_once_in_the_rows_too():
    """Two layers that share one weight matrix (and keep their own biases): the rows add up to
    the total, the shared matrix in the row of the layer that runs first."""
    for device in ("cpu", "meta"):  # meta: counted as it is; cpu: through meta copies
        with torch.device(device):
            first, second = nn.Linear(10, 10), nn.Linear(10, 10)
        second.weight = first.weight
        model = nn.Sequential(first, nn.ReLU(), second)
        counted = cost.count(model, (10,))
        assert counted.params == 120 == sum(p.numel() for p in model.parameters())
        assert [l.params for l in counted.layers if l.type == "Linear"] == [110, 10]
        assert counted.macs == 2 * 100


@pytest.mark.parametrize("call, message", [
    # A 2-tuple is not (C, H, W): it used to run as one unbatched image, with 47x too few MACs.
    (lambda: cost.count("nin", (128, 128)),
     r"input_size=\(128, 128\) has 2 entries, but a model of 2-D convolutions takes \(C, H, W\)"),
    (lambda: cost.count(nn.Conv2d(3, 8, 3), 224), r"input_size=224 is not a shape: pass \(C, H, W\)"),
    (lambda: cost.count(nn.Conv2d(3, 8, 3)), r"input_size is required: pass \(C, H, W\)"),
    (lambda: cost.count(nn.Conv2d(3, 8, 3), (3, 32.5, 32)),
     r"input_size=\(3, 32.5, 32\) must be positive integers"),
    (lambda: cost.count(nn.Conv2d(3, 8, 3), (3, 0, 32)), r"input_size=\(3, 0, 32\) must be positive"),
    (lambda: cost.count(nn.Conv2d(3, 8, 3), "3x32x32"), r"input_size='3x32x32' must be positive"),
    (lambda: cost.count(nn.Conv1d(3, 8, 3), (3, 8, 8)),
     r"has 3 entries, but a model of 1-D convolutions takes \(C, L\)"),
    (lambda: cost.count(5), r"model=5 must be an nn.Module or the name of a registered model"),
    (lambda: cost.count("lenet", batch_size=-4), r"batch_size=-4 must be a positive integer"),
    (lambda: cost.count("lenet", batch_size=2.5), r"batch_size=2.5 must be a positive integer"),
    (lambda: cost.count("lenet", dtype="float16"), r"dtype='float16' must be a torch.dtype"),
    (lambda: cost.count(nn.Linear(3, 4), (3,), num_classes=3), r"need a model name, not a module"),
    (lambda: cost.count("resnet18", image_size=-5), r"image_size=-5 must be a positive integer"),
])
def test_bad_count_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sizes_may_be_any_integers():
    import numpy as np
    expected = cost.count("lenet").macs
    assert cost.count("lenet", (1, 28, 28)).macs == expected
    assert cost.count("lenet", [np.int64(1), np.int64(28), np.int64(28)]).macs == expected
    assert cost.count("lenet", torch.Size([1, 28, 28])).input_size == (1, 28, 28)
    assert cost.count("lenet", batch_size=8).activation_bytes == 8 * cost.count("lenet").activation_bytes
