"""The VGG and NiN chapter widgets against hand formulas, torchvision and PyTorch itself."""
import itertools
import math

import pytest
import torch
import torchvision
from torch import nn

from lib.widgets import explore, nin, render, static_html, vgg
from lib.widgets.core import MAX_STATIC_COMBINATIONS


def grid(controls):
    names = list(controls)
    for combo in itertools.product(*controls.values()):
        yield dict(zip(names, combo))


# --- VGG from blocks ------------------------------------------------------------------------

def vgg_by_hand(convs, width_mult, image_size, hidden, num_classes=1000, in_channels=3):
    """Parameters and MACs of a VGG, written out: 3x3 convolutions keep the side, each block's
    2x2 pool halves it (flooring), and the dense layers start from C x s x s."""
    channels = [max(1, round(c * width_mult)) for c in (64, 128, 256, 512, 512)][:len(convs)]
    params = macs = 0
    c_in, side = in_channels, image_size
    for n, c in zip(convs, channels):
        for _ in range(n):
            params += 3 * 3 * c_in * c + c
            macs += side * side * 3 * 3 * c_in * c
            c_in = c
        side //= 2
    conv_params, conv_macs = params, macs
    for f_in, f_out in ((c_in * side * side, hidden), (hidden, hidden), (hidden, num_classes)):
        params += f_in * f_out + f_out
        macs += f_in * f_out
    return dict(params=params, macs=macs, conv_params=conv_params, conv_macs=conv_macs, side=side)


def test_every_valid_builder_combination_matches_the_hand_formulas():
    checked = 0
    for v in grid(vgg.VGG_BUILDER_CONTROLS):
        convs = tuple(int(n) for n in v["convs"].split("-"))
        if v["image_size"] < 2 ** len(convs):
            with pytest.raises(ValueError, match="too small"):
                vgg.vgg_builder(**v)
            continue
        answer = vgg.vgg_builder(**v)
        expected = vgg_by_hand(convs, v["width_mult"], v["image_size"], v["hidden"])
        assert (answer.params, answer.macs) == (expected["params"], expected["macs"]), v
        assert (answer.conv_params, answer.conv_macs) == (expected["conv_params"], expected["conv_macs"])
        assert answer.weight_layers == sum(convs) + 3
        last = [r for r in answer.rows if not r.dense][-1]
        assert last.output_shape[1:] == (expected["side"], expected["side"])
        checked += 1
    assert checked == 228  # 288 combinations; the 60 with five blocks at 16x16 are refused


@pytest.mark.parametrize("convs, name", [("1-1-2-2-2", "vgg11"), ("2-2-2-2-2", "vgg13"),
                                          ("2-2-3-3-3", "vgg16"), ("2-2-4-4-4", "vgg19")])
def test_paper_configurations_match_torchvision(convs, name):
    with torch.device("meta"):
        reference = getattr(torchvision.models, name)()
    answer = vgg.vgg_builder(convs=convs)
    assert answer.params == sum(p.numel() for p in reference.parameters())
    assert answer.dense_params == sum(p.numel() for p in reference.classifier.parameters())


def test_most_parameters_sit_in_the_dense_layers_and_most_macs_in_the_convolutions():
    answer = vgg.vgg_builder(convs="2-2-3-3-3")
    # VGG-16: 25088*4096 + 4096*4096 + 4096*1000 weights and 4096 + 4096 + 1000 biases
    dense = 25088 * 4096 + 4096 * 4096 + 4096 * 1000 + 4096 + 4096 + 1000
    assert answer.dense_params == dense == 123_642_856
    assert answer.dense_params / answer.params > 0.89
    assert answer.dense_macs / answer.macs < 0.01
    page = render(vgg.vgg_builder, vgg.VGG_BUILDER_DEFAULTS)
    assert "123.64 M of 138.36 M" in page and "16 weight layers" in page
    assert "25,088 → 4,096" in page and "512×7×7" in page


def test_shrinking_the_input_shrinks_only_the_first_dense_layer():
    big, small = vgg.vgg_builder(image_size=224), vgg.vgg_builder(image_size=32)
    assert big.conv_params == small.conv_params
    assert big.rows[5].params - small.rows[5].params == 512 * (7 * 7 - 1 * 1) * 4096
    assert big.rows[6:] == small.rows[6:]


@pytest.mark.parametrize("values, messages", [
    (dict(image_size=16), ["image_size=16 is too small", "use image_size >= 32"]),
    (dict(convs="1-x-2"), ["convs='1-x-2'", "e.g. '1-1-2-2-2'"]),
    (dict(convs="1-1-1-1-1-1"), ["has 6 blocks", "1 to 5 blocks"]),
    (dict(convs="1-0-2"), ["at least one convolution"]),
    (dict(width_mult=0), ["width_mult=0 must be in (0.0, 8.0]"]),
    (dict(hidden=0), ["hidden=0 must be an integer from 1 to 65,536"]),
])
def test_builder_errors_explain_themselves(values, messages):
    with pytest.raises(ValueError) as e:
        vgg.vgg_builder(**{**vgg.VGG_BUILDER_DEFAULTS, **values})
    assert all(m in str(e.value) for m in messages), str(e.value)
    page = render(vgg.vgg_builder, {**vgg.VGG_BUILDER_DEFAULTS, **values})
    assert "explorer-error" in page and "Traceback" not in page


def test_the_grid_offers_an_input_too_small_and_shows_why():
    assert 16 in vgg.VGG_BUILDER_CONTROLS["image_size"]
    assert "too small" in render(vgg.vgg_builder, {**vgg.VGG_BUILDER_DEFAULTS, "image_size": 16})


# --- Stacked 3x3 convolutions ---------------------------------------------------------------

def test_stack_against_single_kernel_by_hand():
    for v in grid(vgg.STACK_CONTROLS):
        L, C, n = v["layers"], v["channels"], v["size"]
        k = 2 * L + 1
        answer = vgg.stacked_convs(**v)
        assert answer.stack.weights == L * 9 * C * C and answer.single.weights == k * k * C * C
        assert answer.stack.params == L * (9 * C * C + C) and answer.single.params == k * k * C * C + C
        assert answer.stack.macs == n * n * L * 9 * C * C and answer.single.macs == n * n * k * k * C * C
        assert answer.stack.receptive_field == answer.single.receptive_field == k
        assert (answer.stack.nonlinearities, answer.single.nonlinearities) == (L, 1)


def test_the_lectures_two_and_three_layer_cases():
    two, three = vgg.stacked_convs(256, 56, 2), vgg.stacked_convs(256, 56, 3)
    assert two.weight_ratio == 18 / 25 and three.weight_ratio == 27 / 49
    page = render(vgg.stacked_convs, dict(channels=256, size=56, layers=2))
    assert "18·C²" in page and "25·C²" in page and "18/25 = 0.72" in page


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_receptive_field_is_what_the_gradient_reaches(layers):
    """The input pixels that one output pixel depends on, found by backpropagation through a
    real stack of 3x3 convolutions: a square of side 2*layers + 1."""
    torch.manual_seed(0)
    stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(layers)])
    x = torch.randn(1, 1, 15, 15, requires_grad=True)
    stack(x)[0, 0, 7, 7].backward()
    rows, cols = torch.nonzero(x.grad[0, 0], as_tuple=True)
    side = vgg.stacked_convs(4, 15, layers).stack.receptive_field
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (side, side) == (2 * layers + 1,) * 2


@pytest.mark.parametrize("values", [dict(layers=0), dict(channels=-1), dict(size=2.5)])
def test_stack_errors_explain_themselves(values):
    name = next(iter(values))
    with pytest.raises(ValueError, match=f"{name}={values[name]!r} must be an integer from 1 to"):
        vgg.stacked_convs(**{**vgg.STACK_DEFAULTS, **values})


# --- NiN: the last layer ----------------------------------------------------------------------

@pytest.mark.parametrize("shape, weights", [((16, 5, 5, 120), 48_000), ((256, 5, 5, 4096), 26_214_400),
                                            ((512, 7, 7, 4096), 102_760_448)])
def test_lectures_last_layer_examples(shape, weights):
    answer = nin.last_layer(*shape)
    assert answer.dense.weights == weights   # lecture: 48k, 26M, 102M / 103M
    assert answer.nin.weights == shape[0] * shape[3]
    assert nin.LECTURE_EXAMPLES[shape] in render(nin.last_layer, dict(zip("c m_h m_w n".split(), shape)))


def test_every_last_layer_combination_by_hand():
    for v in grid(nin.LAST_LAYER_CONTROLS):
        c, h, w, n = v["c"], v["m_h"], v["m_w"], v["n"]
        answer = nin.last_layer(**v)
        assert answer.dense.weights == c * h * w * n and answer.dense.params == c * h * w * n + n
        assert answer.nin.weights == c * n and answer.nin.params == c * n + n
        assert answer.dense.macs == answer.nin.macs == c * h * w * n
        assert math.isclose(answer.ratio, (c * h * w * n + n) / (c * n + n))


def test_the_nin_head_is_what_its_code_says():
    """The NiN head of the answer, run for real: a 1x1 convolution and a global average pool
    give one value per output channel, and they equal a dense layer applied to the average
    of the pixels' channel vectors (both steps are linear, so they commute)."""
    c, h, w, n = 8, 5, 7, 3
    answer = nin.last_layer(c, h, w, n)
    assert answer.nin.code == "nn.Conv2d(8, 3, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten()"
    torch.manual_seed(0)
    conv = nn.Conv2d(c, n, 1)
    head = nn.Sequential(conv, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    x = torch.randn(2, c, h, w)
    dense = x.mean(dim=(2, 3)) @ conv.weight[:, :, 0, 0].T + conv.bias
    assert torch.allclose(head(x), dense, atol=1e-6)
    assert sum(p.numel() for p in head.parameters()) == answer.nin.params


@pytest.mark.parametrize("values", [dict(c=0), dict(m_h=-3), dict(n=1.5), dict(m_w=True)])
def test_last_layer_errors_explain_themselves(values):
    with pytest.raises(ValueError) as e:
        nin.last_layer(**{**nin.LAST_LAYER_DEFAULTS, **values})
    name = next(iter(values))
    assert f"{name}={values[name]!r} must be an integer from 1 to" in str(e.value)
    assert "explorer-error" in render(nin.last_layer, {**nin.LAST_LAYER_DEFAULTS, **values})


# --- The explorers --------------------------------------------------------------------------

@pytest.mark.parametrize("fn, controls, defaults", [
    (vgg.vgg_builder, vgg.VGG_BUILDER_CONTROLS, vgg.VGG_BUILDER_DEFAULTS),
    (vgg.stacked_convs, vgg.STACK_CONTROLS, vgg.STACK_DEFAULTS),
    (nin.last_layer, nin.LAST_LAYER_CONTROLS, nin.LAST_LAYER_DEFAULTS),
])
def test_widgets_fit_a_static_page_and_move(fn, controls, defaults):
    assert math.prod(len(v) for v in controls.values()) <= MAX_STATIC_COMBINATIONS
    assert all(defaults[k] in v for k, v in controls.items())
    page = static_html(fn, controls, defaults)
    assert "explorer-static" in page and "Traceback" not in page
    widget = explore(fn, controls, value=defaults)
    name, values = next((k, v) for k, v in controls.items() if len(v) > 1)
    other = next(v for v in values if v != defaults[name])
    assert widget.set(**{name: other}) == render(fn, {**defaults, name: other})
