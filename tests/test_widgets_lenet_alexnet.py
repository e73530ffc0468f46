"""The LeNet and AlexNet widgets against d2l's LeNet and hand formulas for every setting they offer."""
import itertools
import math

import pytest
import torch

from lib.widgets import alexnet, lenet, static_html
from lib.widgets.core import MAX_STATIC_COMBINATIONS


def conv(n, k, p=0, s=1):
    return (n + 2 * p - k) // s + 1


def lenet_by_hand(c1, c2, k1, k2, fc1=120, fc2=84, classes=10):
    """(params, MACs) of LeNet-5 on 1x28x28: conv1 padded by k1 // 2, 2x2 pools, no padding on conv2."""
    m1 = conv(28, k1, k1 // 2)
    m2 = conv(m1 // 2, k2)
    side = m2 // 2
    flat = c2 * side * side
    params = (k1 * k1 * c1 + c1) + (k2 * k2 * c1 * c2 + c2) + (flat * fc1 + fc1) + (fc1 * fc2 + fc2) + (fc2 * classes + classes)
    macs = m1 * m1 * k1 * k1 * c1 + m2 * m2 * k2 * k2 * c1 * c2 + flat * fc1 + fc1 * fc2 + fc2 * classes
    return params, macs


def test_lenet_default_is_d2ls_lenet():
    from d2l import torch as d2l
    net = d2l.LeNet(num_classes=10)
    net(torch.zeros(1, 1, 28, 28))  # d2l's LazyConv2d/LazyLinear learn their shapes on a first call
    answer = lenet.lenet_cost()
    assert answer.cost.params == sum(p.numel() for p in net.parameters()) == 61_706
    assert (answer.cost.params, answer.cost.macs) == lenet_by_hand(6, 16, 5, 5) == (61_706, 416_520)


def test_lenet_every_valid_setting_matches_hand_formulas():
    checked = 0
    for c1, c2, k1, k2 in itertools.product(*lenet.CONTROLS.values()):
        if conv(conv(28, k1, k1 // 2) // 2, k2) < 2:
            with pytest.raises(ValueError):
                lenet.lenet_cost(c1, c2, k1, k2)
            continue
        answer = lenet.lenet_cost(c1, c2, k1, k2)
        assert (answer.cost.params, answer.cost.macs) == lenet_by_hand(c1, c2, k1, k2), (c1, c2, k1, k2)
        checked += 1
    assert checked == 4 * 4 * 3 * 6  # only the 15x15 conv2 kernel is impossible


def test_lenet_dense_layers_hold_the_parameters_and_convolutions_the_macs():
    answer = lenet.lenet_cost()
    dense_params = (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    conv_macs = 28 * 28 * 25 * 6 + 10 * 10 * 25 * 6 * 16
    assert answer.share("dense")[0] == pytest.approx(dense_params / 61_706)
    assert answer.share("convolution")[1] == pytest.approx(conv_macs / 416_520)
    assert [name for name, _ in answer.named_layers()] == ["conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3"]
    page = answer._repr_html_()
    assert "61,706" in page and "416,520" in page and "400×120 = 48,000 weights" in page


def test_lenet_impossible_settings_say_what_would_fit():
    with pytest.raises(ValueError, match="conv2 kernel 15 .* at most 13"):
        lenet.lenet_cost(conv2_kernel=15)
    with pytest.raises(ValueError, match="conv1_channels=0 must be an integer from 1 to 1,024"):
        lenet.lenet_cost(conv1_channels=0)
    with pytest.raises(ValueError, match="conv2_kernel=2.5 must be an integer from 1 to 28"):
        lenet.lenet_cost(conv2_kernel=2.5)


def alexnet_by_hand(n, w, hidden, classes=1000):
    """(params, MACs) of the single-tower AlexNet on 3xnxn: conv1 11x11/4 padding 1, 3x3/2 max pools
    after conv1, conv2 and conv5, channels round(w * (96, 256, 384, 384, 256))."""
    chans = [max(1, round(c * w)) for c in (96, 256, 384, 384, 256)]
    layers = [(11, 4, 1, True), (5, 1, 2, True), (3, 1, 1, False), (3, 1, 1, False), (3, 1, 1, True)]
    params = macs = 0
    c_in = 3
    for c_out, (k, s, p, pool) in zip(chans, layers):
        n = conv(n, k, p, s)
        params += k * k * c_in * c_out + c_out
        macs += n * n * k * k * c_in * c_out
        n = conv(n, 3, 0, 2) if pool else n
        c_in = c_out
    for f_in, f_out in ((c_in * n * n, hidden), (hidden, hidden), (hidden, classes)):
        params += f_in * f_out + f_out
        macs += f_in * f_out
    return params, macs


def test_alexnet_default_is_the_lectures_alexnet():
    answer = alexnet.alexnet_cost()
    assert (answer.cost.params, answer.cost.macs) == alexnet_by_hand(224, 1.0, 4096)
    assert answer.side == 5
    # Lecture 001: fc6 is 256x5x5x4096 = 26M weights, conv1 101M multiply-accumulates.
    fc6 = dict(answer.named_layers())["fc6"]
    assert fc6.params - 4096 == 256 * 5 * 5 * 4096
    assert dict(answer.named_layers())["conv1"].macs == 54 * 54 * 11 * 11 * 3 * 96


def test_alexnet_every_setting_matches_hand_formulas_or_explains_itself():
    for n, w, hidden in itertools.product(*alexnet.CONTROLS.values()):
        if n < 65:
            with pytest.raises(ValueError, match=f"image_size={n} is too small .* >= 65"):
                alexnet.alexnet_cost(n, w, hidden)
            continue
        answer = alexnet.alexnet_cost(n, w, hidden)
        assert (answer.cost.params, answer.cost.macs) == alexnet_by_hand(n, w, hidden), (n, w, hidden)


def test_alexnet_dense_share_of_parameters_falls_as_the_dense_layers_narrow():
    wide, narrow = alexnet.alexnet_cost(hidden=4096), alexnet.alexnet_cost(hidden=512)
    assert wide.share("Linear")[0] > 0.9 > narrow.share("Linear")[0]
    assert wide.share("Conv2d")[1] > 0.9
    with pytest.raises(ValueError, match=r"width_mult=0 must be in \(0.0, 8.0\]"):
        alexnet.alexnet_cost(width_mult=0)


@pytest.mark.parametrize("module, fn", [(lenet, lenet.lenet_cost), (alexnet, alexnet.alexnet_cost)])
def test_static_pages_fit_and_show_errors_as_messages(module, fn):
    assert math.prod(len(v) for v in module.CONTROLS.values()) <= MAX_STATIC_COMBINATIONS
    assert set(module.DEFAULTS) == set(module.CONTROLS) == set(module.LABELS)
    page = static_html(fn, module.CONTROLS, module.DEFAULTS, module.LABELS)
    assert "explorer-error" in page and "Traceback" not in page
    assert len(page) < 1_000_000
