"""The chapter 1 widgets against PyTorch: the layer they describe, built and run."""
import itertools
import math
import re

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from lib.widgets import conv, explore, render, static_html
from lib.widgets.core import MAX_STATIC_COMBINATIONS


def valid_conv_layers():
    names = list(conv.CONV_LAYER_CONTROLS)
    for combo in itertools.product(*conv.CONV_LAYER_CONTROLS.values()):
        values = dict(zip(names, combo))
        n, k, p = values["input_size"], values["kernel_size"], values["padding"]
        g, c_in, c_out = values["groups"], values["in_channels"], values["out_channels"]
        if k <= n + 2 * p and c_in % g == 0 and c_out % g == 0:
            yield values


def test_every_valid_combination_matches_an_nn_conv2d():
    checked = 0
    for v in valid_conv_layers():
        with torch.device("meta"):
            layer = nn.Conv2d(v["in_channels"], v["out_channels"], v["kernel_size"], stride=v["stride"],
                              padding=v["padding"], groups=v["groups"])
            y = layer(torch.empty(1, v["in_channels"], v["input_size"], v["input_size"]))
        answer = conv.conv_layer(**v)
        assert answer.output_shape == tuple(y.shape[1:])
        assert answer.params == sum(p.numel() for p in layer.parameters())
        # every output value is one dot product over k*k*(c_in/g) inputs
        assert answer.macs == y.numel() * layer.weight[0].numel()
        checked += 1
    assert checked > 900


@pytest.mark.parametrize("values", [
    dict(input_size=28, kernel_size=3, padding=1, stride=2, in_channels=16, out_channels=64, groups=4),
    dict(input_size=5, kernel_size=3, padding=0, stride=1, in_channels=1, out_channels=1, groups=1),
    dict(input_size=28, kernel_size=1, padding=0, stride=1, in_channels=16, out_channels=16, groups=16),
])
def test_macs_match_pytorchs_flop_counter(values):
    layer = nn.Conv2d(values["in_channels"], values["out_channels"], values["kernel_size"],
                      stride=values["stride"], padding=values["padding"], groups=values["groups"])
    with FlopCounterMode(display=False) as counter:
        layer(torch.zeros(1, values["in_channels"], values["input_size"], values["input_size"]))
    assert conv.conv_layer(**values).macs == counter.get_total_flops() // 2


def test_answer_shows_the_formulas_with_the_numbers_substituted():
    page = render(conv.conv_layer, conv.CONV_LAYER_DEFAULTS)
    assert "floor((28 + 2·1 − 3)/2) + 1 = 14" in page
    assert "3·3·16·64 + 64 = 9,280" in page       # 3*3*16*64 + 64 by hand
    assert "14·14·3·3·16·64 = 1,806,336" in page  # 196 * 9216 by hand
    assert "nn.Conv2d(16, 64, kernel_size=3, stride=2, padding=1)" in page
    grouped = render(conv.conv_layer, {**conv.CONV_LAYER_DEFAULTS, "groups": 4})
    assert "3·3·(16/4)·64 + 64 = 2,368" in grouped and "4× fewer" in grouped
    depthwise = render(conv.conv_layer, {**conv.CONV_LAYER_DEFAULTS, "out_channels": 16, "groups": 16})
    assert "depthwise" in depthwise


@pytest.mark.parametrize("values, messages", [
    (dict(input_size=5, kernel_size=7, padding=0), ["kernel size 7 is larger than the padded input 5 + 2*0 = 5"]),
    (dict(in_channels=1, groups=4), ["groups=4 does not divide input channels 1", "valid group counts: 1"]),
    (dict(input_size=5, kernel_size=7, padding=0, in_channels=1, out_channels=1, groups=16),
     ["kernel size 7 is larger", "groups=16 does not divide input channels 1 and output channels 1"]),
])
def test_invalid_combinations_explain_themselves(values, messages):
    with pytest.raises(ValueError) as e:
        conv.conv_layer(**{**conv.CONV_LAYER_DEFAULTS, **values})
    assert all(m in str(e.value) for m in messages)
    page = render(conv.conv_layer, {**conv.CONV_LAYER_DEFAULTS, **values})
    assert "explorer-error" in page and "Traceback" not in page


def test_widget_grids_fit_a_static_page():
    for fn, controls, defaults in ((conv.conv_layer, conv.CONV_LAYER_CONTROLS, conv.CONV_LAYER_DEFAULTS),
                                   (conv.receptive_field, conv.RECEPTIVE_FIELD_CONTROLS,
                                    conv.RECEPTIVE_FIELD_DEFAULTS)):
        assert math.prod(map(len, controls.values())) <= MAX_STATIC_COMBINATIONS
        page = static_html(fn, controls, defaults)
        assert len(page) < 600_000
        box = explore(fn, controls, value=defaults)
        assert box.set(**defaults) == render(fn, defaults)


def measured_receptive_field(stack):
    """Width of the input region the centre output depends on, by back-propagation (average pooling
    stands in for max pooling: same windows, and its gradient reaches every input of a window)."""
    layers = []
    for name, k, s in stack:
        layer = nn.Conv2d(1, 1, k, stride=s, bias=False) if name.startswith("conv") else nn.AvgPool2d(k, s)
        if isinstance(layer, nn.Conv2d):
            nn.init.constant_(layer.weight, 1.0)
        layers.append(layer)
    x = torch.ones(1, 1, 200, 200, requires_grad=True)
    y = nn.Sequential(*layers)(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = x.grad[0, 0].sum(1).nonzero()
    return int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize("values", [
    dict(kernel_size=3, stride=1, layers=3, pooling="none"),
    dict(kernel_size=3, stride=1, layers=2, pooling="2×2 max pool"),
    dict(kernel_size=5, stride=2, layers=3, pooling="none"),
    dict(kernel_size=7, stride=2, layers=2, pooling="2×2 max pool"),
])
def test_receptive_field_matches_backpropagation(values):
    answer = conv.receptive_field(**values)
    assert answer.size == measured_receptive_field(answer.layers)
    assert len(answer.layers) == values["layers"] * (2 if values["pooling"] != "none" else 1)


def test_receptive_field_page_compares_with_one_big_kernel():
    page = render(conv.receptive_field, conv.RECEPTIVE_FIELD_DEFAULTS)
    assert "7×7 patch" in page and "3 layers × 3² = 27, against 7² = 49" in page
    assert re.findall(r"<code>(.*?)</code>", page) == ["1 + (3 − 1)·1 = 3", "3 + (3 − 1)·1 = 5", "5 + (3 − 1)·1 = 7"]


def test_receptive_field_rejects_unknown_pooling():
    with pytest.raises(ValueError, match="pooling='avg'; valid: 'none', '2×2 max pool'"):
        conv.receptive_field(pooling="avg")


def test_sliding_window_writes_what_pytorch_computes_at_every_step():
    image = torch.tensor(conv.SLIDING_IMAGE, dtype=torch.float32)[None, None]
    valid = 0
    for kernel, weights in conv.SLIDING_KERNELS.items():
        w = torch.tensor(weights, dtype=torch.float32)[None, None]
        for p in conv.SLIDING_CONTROLS["padding"]:
            for s in conv.SLIDING_CONTROLS["stride"]:
                expected = torch.nn.functional.conv2d(image, w, padding=p, stride=s)[0, 0]
                m = expected.shape[0]
                for step in conv.SLIDING_CONTROLS["step"]:
                    if step > m * m:
                        with pytest.raises(ValueError, match=f"step {step}:.*at most {m * m}"):
                            conv.sliding_window(kernel, p, s, step)
                        continue
                    valid += 1
                    answer = conv.sliding_window(kernel, p, s, step)
                    i, j = divmod(step - 1, m)
                    assert (answer.row, answer.col) == (i, j)
                    assert answer.output == expected.tolist()
                    page = answer._repr_html_()
                    assert f"Y[{i}, {j}]" in page and f"<b>{expected[i, j].item():g}</b>" in page
    assert valid == len(conv.SLIDING_KERNELS) * (16 + 36 + 4 + 9)
    with pytest.raises(ValueError, match="kernel"):
        conv.sliding_window("emboss")


def test_sliding_window_page_stores_every_step_in_a_page_of_modest_size():
    page = static_html(conv.sliding_window, conv.SLIDING_CONTROLS, conv.SLIDING_DEFAULTS)
    assert len(page) < 450_000
