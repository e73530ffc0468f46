"""What the lecture-claims registry's computations and explanations rest on, checked apart from
the registry: its numbers against hand formulas written from the lectures' own tables, lib's
networks against d2l's (the lectures draw d2l's networks), and the papers' formulas the
explanations cite (MobileNet's multipliers, EfficientNet's compound rule, SqueezeNet, ShuffleNet).
Every claim itself is tested in tests/test_lectures.py.
"""
import math
from fractions import Fraction

import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

from lib import cost, models
from lib.cost import conv_macs, conv_output_size
from lib.lectures import common, lecture001, lecture003, printed
from lib.lectures import measure
from lib.models.efficientnet import ALPHA, BETA, GAMMA, PUBLISHED, coefficients, compound_coefficients
from lib.models.mobilenet import TABLE_1, ConvBNActivation, DepthwiseSeparableConv
from lib.models.shufflenet import ShuffleUnit, channel_shuffle
from lib.models.squeezenet import Fire


def meta(name, **kwargs):
    with torch.device("meta"):
        return models.create(name, **kwargs)


# --- Lecture 001's complexity table, by hand ------------------------------------------------------

# k*k*c_in*c_out weights, times the output's m*m pixels for MACs. AlexNet at 3x224x224 with
# padding 1 on conv1: 54x54, 26x26 and 12x12 maps, a 5x5 map into dense1.
ALEXNET_ROWS = {
    "Conv1": (11 * 11 * 3 * 96, 11 * 11 * 3 * 96 * 54 * 54),
    "Conv2": (5 * 5 * 96 * 256, 5 * 5 * 96 * 256 * 26 * 26),
    "Conv3-5": (9 * (256 * 384 + 384 * 384 + 384 * 256), 9 * (256 * 384 + 384 * 384 + 384 * 256) * 12 * 12),
    "Dense1": (256 * 5 * 5 * 4096, 256 * 5 * 5 * 4096),
    "Dense2": (4096 * 4096, 4096 * 4096),
}
# LeNet-5 at 1x28x28 with padding 2 (d2l's): 28x28 and 10x10 maps, a 5x5 map into dense1.
LENET_ROWS = {
    "Conv1": (5 * 5 * 1 * 6, 5 * 5 * 1 * 6 * 28 * 28),
    "Conv2": (5 * 5 * 6 * 16, 5 * 5 * 6 * 16 * 10 * 10),
    "Conv3-5": (0, 0),
    "Dense1": (16 * 5 * 5 * 120, 16 * 5 * 5 * 120),
    "Dense2": (120 * 84, 120 * 84),
}
for _rows in (ALEXNET_ROWS, LENET_ROWS):
    _rows["Total"] = tuple(sum(r[i] for r in _rows.values()) for i in (0, 1))


def test_complexity_rows_follow_hand_formulas():
    assert lecture001.complexity_rows("alexnet") == ALEXNET_ROWS
    assert lecture001.complexity_rows("lenet") == LENET_ROWS


def test_complexity_flop_means_macs_at_224():
    """The explanation of the Conv1 cell: two FLOPs per MAC would give 203 M; the paper's 55x55
    maps (227x227, or torchvision's padding 2) 105 M for Conv1 and 448 M for Conv2."""
    conv1 = ALEXNET_ROWS["Conv1"][1]
    assert round(2 * conv1 / 1e6) == 203
    assert conv_output_size(224, 11, 1, 4) == conv_output_size(224, 11, 0, 4) == 54
    assert conv_output_size(227, 11, 0, 4) == 55
    assert round(conv_macs(11, 3, 96, 55) / 1e6) == 105 and round(conv_macs(5, 96, 256, 27) / 1e6) == 448


def test_complexity_lenet_column_is_ten_times_too_large():
    """Every LeNet cell the registry calls wrong prints ten times the count, to its digits."""
    for c in lecture001.CLAIMS:
        if c.id.startswith("001.complexity.") and ".lenet." in c.id and c.verdict == "wrong" \
                and "increase" not in c.id:
            shown, step = printed(c.stated)
            value = c.compute()
            assert 9 < shown / value < 11 and abs(10 * value - shown) < step, c.id


def test_complexity_increase_explanation():
    """76x and 250x are the ratios of the slide's own totals; the true ones are 771x and 2420x."""
    alexnet, lenet = ALEXNET_ROWS["Total"], LENET_ROWS["Total"]
    assert round(46 / 0.6, 1) == 76.7 and round(1e9 / 4e6) == 250
    assert round(alexnet[0] / lenet[0]) == 771 and round(alexnet[1] / lenet[1], -1) == 2420


# --- Inception (3a) against one convolution; the naive and bottleneck modules ----------------------

def test_inception_vs_single_convolution_by_hand():
    rows = common.inception_vs_conv()
    c1, c3r, c3, c5r, c5, pp = 64, 96, 128, 16, 32, 32  # Inception (3a), GoogLeNet Table 1
    weights = 192 * (c1 + c3r + c5r + pp) + 9 * c3r * c3 + 25 * c5r * c5
    assert rows["inception"] == (weights, weights * 28 * 28) == (163_328, 128_049_152)
    assert rows["conv3x3"] == (9 * 192 * 256, 9 * 192 * 256 * 784)
    assert rows["conv5x5"] == (25 * 192 * 256, 25 * 192 * 256 * 784)


def test_bottleneck_explanation():
    """358 M is the slide's sum with the 3x3 term over 128 input channels instead of 64."""
    terms = [28 * 28 * 64 * 256, 28 * 28 * 64 * 256, 28 * 28 * 128 * 256,
             28 * 28 * 192 * 9 * 64, 28 * 28 * 96 * 25 * 64, 28 * 28 * 64 * 256]
    assert lecture003.total(lecture003.BOTTLENECK) == sum(terms) == 271_351_808
    terms[3] = 28 * 28 * 192 * 9 * 128
    assert round(sum(terms) / 1e6) == 358
    assert lecture003.total(lecture003.NAIVE) == 28 * 28 * 256 * (128 + 9 * 192 + 25 * 96)


# --- GoogLeNet's Table 1 from its own columns -----------------------------------------------------

# The Inception rows as the lecture prints them: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5,
# pool proj, and the side of the row's output.
GOOGLENET_COLUMNS = {"3a": (64, 96, 128, 16, 32, 32, 28), "3b": (128, 128, 192, 32, 96, 64, 28),
           "4a": (192, 96, 208, 16, 48, 64, 14), "4b": (160, 112, 224, 24, 64, 64, 14),
           "4c": (128, 128, 256, 24, 64, 64, 14), "4d": (112, 144, 288, 32, 64, 64, 14),
           "4e": (256, 160, 320, 32, 128, 128, 14), "5a": (256, 160, 320, 32, 128, 128, 7),
           "5b": (384, 192, 384, 48, 128, 128, 7)}


def googlenet_rows_by_hand():
    rows = {"conv1": (7 * 7 * 3 * 64, 112 * 112), "conv2": (64 * 64 + 3 * 3 * 64 * 192, 56 * 56)}
    channels = 192
    for name, (c1, c3r, c3, c5r, c5, pp, side) in GOOGLENET_COLUMNS.items():
        rows[name] = (channels * (c1 + c3r + c5r + pp) + 9 * c3r * c3 + 25 * c5r * c5, side * side)
        channels = c1 + c3 + c5 + pp
    rows["linear"] = (1024 * 1000, 1)
    return {name: (w, w * pixels) for name, (w, pixels) in rows.items()}


def test_googlenet_table_rows_follow_its_columns():
    by_hand = googlenet_rows_by_hand()
    for key, _, modules, *_ in lecture003.GOOGLENET_TABLE:
        if key in by_hand:
            parts = lecture003.row_parts(modules)
            assert (measure.weights("googlenet", parts), measure.macs("googlenet", parts)) == by_hand[key], key


def test_googlenet_explanations():
    """The arithmetic the wrong rows' explanations quote."""
    rows = googlenet_rows_by_hand()
    assert rows["conv1"] == (9_408, 118_013_952) and 7 * 7 * 1 * 64 == 3_136
    assert round(2.7 * 1024 * 112 * 112 / 1e6, 1) == 34.7
    assert [rows[r][0] / 1024 for r in ("4c", "4d", "5a", "5b")] == [497.5, 590.5, 1018.0, 1409.0]
    assert round(1072 * 1024 * 49 / 1e6, 1) == 53.8 and round(rows["5a"][1] / 1e6, 1) == 51.1
    assert rows["conv2"][0] == 112 * 1024 and rows["linear"][0] == 1000 * 1024


def test_inception_v2_channels_from_the_tables_columns():
    """Figure 5's rows: #1x1 + #3x3 + double #3x3 + the pool branch (its projection, or the input
    passed through in the stride-2 modules)."""
    columns = {"3a": (64, 64, 96, 32), "3b": (64, 96, 96, 64), "3c": (0, 160, 96, None),
               "4a": (224, 96, 128, 128), "4b": (192, 128, 128, 128), "4c": (160, 160, 160, 128),
               "4d": (96, 192, 192, 128), "4e": (0, 192, 256, None), "5a": (352, 320, 224, 128),
               "5b": (352, 320, 224, 128)}
    channels = 192
    for row, (c1, c3, c33, pool) in columns.items():
        channels = c1 + c3 + c33 + (channels if pool is None else pool)
        shape = measure.shapes("inception_bn", [f"inception_{row}"])[f"inception_{row}"][1]
        assert shape[0] == channels, row
    assert channels == 1024



# --- d2l: the networks the lectures draw, at d2l's settings -----------------------------------------

class LazyInception(nn.Module):
    """d2l's Inception block: c1, (c2 reduce, c2), (c3 reduce, c3), c4, with lazy input channels."""

    def __init__(self, c1, c2, c3, c4):
        super().__init__()
        relu = nn.ReLU
        self.branches = nn.ModuleList([
            nn.Sequential(nn.LazyConv2d(c1, 1), relu()),
            nn.Sequential(nn.LazyConv2d(c2[0], 1), relu(), nn.LazyConv2d(c2[1], 3, padding=1), relu()),
            nn.Sequential(nn.LazyConv2d(c3[0], 1), relu(), nn.LazyConv2d(c3[1], 5, padding=2), relu()),
            nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.LazyConv2d(c4, 1), relu()),
        ])

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], dim=1)


def d2l_net(spec, num_classes=10):
    """A network in the notation below, with lazy layers as d2l builds them."""
    layers = []
    for kind, *a in spec:
        if kind == "conv":  # out_channels, kernel, stride, padding
            layers += [nn.LazyConv2d(a[0], a[1], a[2], a[3]), nn.ReLU()]
        elif kind == "nin":  # a conv and two 1x1 convs
            out = num_classes if a[0] is None else a[0]
            layers += [nn.LazyConv2d(out, a[1], a[2], a[3]), nn.ReLU(),
                       nn.LazyConv2d(out, 1), nn.ReLU(), nn.LazyConv2d(out, 1), nn.ReLU()]
        elif kind == "maxpool":  # kernel, stride, padding
            layers.append(nn.MaxPool2d(a[0], a[1], a[2]))
        elif kind == "inception":
            layers.append(LazyInception(*a))
        elif kind == "dense":  # hidden units, then ReLU and dropout
            layers += [nn.LazyLinear(a[0]), nn.ReLU(), nn.Dropout(0.5)]
        elif kind == "dropout":
            layers.append(nn.Dropout(0.5))
        elif kind == "flatten":
            layers.append(nn.Flatten())
        elif kind == "gap":
            layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        elif kind == "output":
            layers.append(nn.LazyLinear(num_classes))
    return nn.Sequential(*layers)


D2L_ALEXNET = [("conv", 96, 11, 4, 1), ("maxpool", 3, 2, 0), ("conv", 256, 5, 1, 2), ("maxpool", 3, 2, 0),
               ("conv", 384, 3, 1, 1), ("conv", 384, 3, 1, 1), ("conv", 256, 3, 1, 1), ("maxpool", 3, 2, 0),
               ("flatten",), ("dense", 4096), ("dense", 4096), ("output",)]


def d2l_vgg(arch):
    blocks = [layer for n, c in arch for layer in [("conv", c, 3, 1, 1)] * n + [("maxpool", 2, 2, 0)]]
    return blocks + [("flatten",), ("dense", 4096), ("dense", 4096), ("output",)]


D2L_NIN = [("nin", 96, 11, 4, 0), ("maxpool", 3, 2, 0), ("nin", 256, 5, 1, 2), ("maxpool", 3, 2, 0),
           ("nin", 384, 3, 1, 1), ("maxpool", 3, 2, 0), ("dropout",), ("nin", None, 3, 1, 1), ("gap",)]

D2L_GOOGLENET = [
    ("conv", 64, 7, 2, 3), ("maxpool", 3, 2, 1),
    ("conv", 64, 1, 1, 0), ("conv", 192, 3, 1, 1), ("maxpool", 3, 2, 1),
    ("inception", 64, (96, 128), (16, 32), 32), ("inception", 128, (128, 192), (32, 96), 64),
    ("maxpool", 3, 2, 1),
    ("inception", 192, (96, 208), (16, 48), 64), ("inception", 160, (112, 224), (24, 64), 64),
    ("inception", 128, (128, 256), (24, 64), 64), ("inception", 112, (144, 288), (32, 64), 64),
    ("inception", 256, (160, 320), (32, 128), 128), ("maxpool", 3, 2, 1),
    ("inception", 256, (160, 320), (32, 128), 128), ("inception", 384, (192, 384), (48, 128), 128),
    ("gap",), ("output",)]


def materialised(net, input_size, device="cpu"):
    """Parameter shapes of a lazy network after one forward pass, and its output shape."""
    with torch.no_grad():
        out = net(torch.zeros(1, *input_size, device=device))
    return [tuple(p.shape) for p in net.parameters()], out.shape


def ours(name, input_size, **kwargs):
    model = meta(name, **kwargs)
    assert models.input_size(name, **kwargs) == input_size
    return [tuple(p.shape) for p in model.parameters()]


def test_d2l_lenet():
    import d2l.torch as d2l
    shapes, out = materialised(d2l.LeNet(num_classes=10), (1, 28, 28))
    assert out == (1, 10)
    assert ours("lenet", (1, 28, 28)) == shapes
    assert sum(math.prod(s) for s in shapes) == 61_706


@pytest.mark.parametrize("label,spec,input_size,name,kwargs", [
    ("AlexNet", D2L_ALEXNET, (1, 224, 224), "alexnet", {}),
    ("VGG-11", d2l_vgg(((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))), (1, 224, 224), "vgg11", {}),
    # d2l trains VGG-11 with every channel count divided by 4 ("ratio = 4"), dense layers unchanged
    ("VGG-11 ratio 4", d2l_vgg(((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))), (1, 224, 224), "vgg11",
     {"width_mult": 0.25}),
    ("NiN", D2L_NIN, (1, 224, 224), "nin", {}),
    # d2l's GoogLeNet has no LRN and no dropout, neither of which has parameters
    ("GoogLeNet", D2L_GOOGLENET, (1, 96, 96), "googlenet", {"image_size": 96}),
])
def test_d2l_parameter_counts(label, spec, input_size, name, kwargs):
    with torch.device("meta"):
        shapes, out = materialised(d2l_net(spec), input_size, device="meta")
    assert out == (1, 10)
    assert ours(name, input_size, in_channels=1, num_classes=10, **kwargs) == shapes, label


# --- The papers behind the efficient networks' claims ---------------------------------------------

def test_mobilenet_resolution_multiplier_gives_table_7_sizes():
    for rho, size in ((1.0, 224), (0.857, 192), (0.714, 160), (0.571, 128)):
        assert models.input_size("mobilenet_v1", rho=rho) == (3, size, size)
    assert models.input_size("mobilenet_v1", image_size=160) == (3, 160, 160)


def test_mobilenet_follows_table_1_geometry():
    """Each separable layer's output is the input size Table 1 lists for the next row (with
    the stride-1 correction of the last depthwise row: "s2" would give 4x4, not 7x7)."""
    sizes = [size for repeat, kind, _, _, size in TABLE_1 if kind == "conv dw"
             for _ in range(repeat)]
    c = cost.count("mobilenet_v1")
    stem = [l for l in c.layers if l.name == "features.0.0"]
    separable_in = [stem[0].output_shape[1]] + [
        l.output_shape[1] for l in c.layers
        if l.name.endswith("pointwise.0")][:-1]
    assert separable_in == sizes
    assert [l.output_shape for l in c.layers if l.name.endswith("pointwise.0")][-1] == (1024, 7, 7)


def test_shallow_mobilenet_removes_the_five_separable_layers():
    full, shallow = cost.count("mobilenet_v1"), cost.count("mobilenet_v1", shallow=True)
    # Five times a 3x3 depthwise and a 1x1 512 -> 512 pointwise convolution on 14x14.
    per_layer_macs = cost.conv_macs(3, 512, 512, 14, groups=512) + cost.conv_macs(1, 512, 512, 14)
    per_layer_params = (cost.conv_params(3, 512, 512, groups=512, bias=False)
                        + cost.conv_params(1, 512, 512, bias=False) + 2 * (512 + 512))  # + BN
    assert full.macs - shallow.macs == 5 * per_layer_macs
    assert full.params - shallow.params == 5 * per_layer_params


# --- Depthwise separable vs full convolution ---------------------------------------------------

@given(m=st.integers(1, 64), n=st.integers(1, 64), k=st.sampled_from([1, 3, 5, 7]),
       d=st.integers(1, 32))
@settings(max_examples=40, deadline=None)
def test_separable_cost_ratio(m, n, k, d):
    """MobileNet, Section 3.1: depthwise separable / standard = 1/N + 1/D_K^2 (exactly)."""
    depthwise = cost.conv_macs(k, m, m, d, groups=m)
    pointwise = cost.conv_macs(1, m, n, d)
    standard = cost.conv_macs(k, m, n, d)
    assert Fraction(depthwise + pointwise, standard) == Fraction(1, n) + Fraction(1, k * k)
    # Lectures 000/001: with the channels separate the cost is m_h m_w k_h k_w c.
    assert depthwise == d * d * k * k * m


@pytest.mark.parametrize("m, n, d, stride", [(32, 64, 112, 1), (64, 128, 112, 2), (512, 512, 14, 1),
                                             (1024, 1024, 7, 1)])
def test_separable_layer_counted_by_lib_matches_hand_formulas(m, n, d, stride):
    out = (d - 1) // stride + 1
    separable = cost.count(DepthwiseSeparableConv(m, n, stride), (m, d, d))
    full = cost.count(ConvBNActivation(m, n, 3, stride), (m, d, d))
    assert separable.macs == out * out * 3 * 3 * m + out * out * m * n
    assert full.macs == out * out * 3 * 3 * m * n
    assert Fraction(separable.macs, full.macs) == Fraction(1, n) + Fraction(1, 9)


def test_separable_is_8_to_9_times_cheaper_in_mobilenet():
    """The paper: 3x3 depthwise separable convolutions use 8 to 9 times less computation than
    standard ones; N ranges over 64 ... 1024 in MobileNet."""
    for n in (64, 128, 256, 512, 1024):
        saving = 1 / (1 / n + 1 / 9)
        assert 7.8 < saving < 9
    full, separable = cost.count("mobilenet_v1", depthwise=False), cost.count("mobilenet_v1")
    assert 8 < full.macs / separable.macs < 9  # 4867 / 569 = 8.56 for the whole network


# --- Width and resolution multipliers ----------------------------------------------------------

def _macs_by_kind(**kwargs):
    """MACs of MobileNet v1 split into pointwise (1x1), depthwise and the rest (first conv, FC)."""
    kinds = {"pointwise": 0, "depthwise": 0, "other": 0}
    for l in cost.count("mobilenet_v1", **kwargs).layers:
        kind = ("pointwise" if l.name.endswith("pointwise.0") else
                "depthwise" if l.name.endswith("depthwise.0") else "other")
        kinds[kind] += l.macs
    return kinds


@pytest.mark.parametrize("alpha", [0.75, 0.5, 0.25])
def test_width_multiplier_is_roughly_alpha_squared(alpha):
    """Section 3.3: alpha reduces cost "quadratically by roughly alpha^2". Exactly: the 1x1
    convolutions (95 % of the MACs) scale by alpha^2, the depthwise ones, the first convolution
    and the FC layer by alpha, which is why the ratio sits above alpha^2."""
    one, scaled = _macs_by_kind(), _macs_by_kind(alpha=alpha)
    assert scaled["pointwise"] == alpha ** 2 * one["pointwise"]
    assert scaled["depthwise"] == alpha * one["depthwise"]
    assert scaled["other"] == alpha * one["other"]
    ratio = sum(scaled.values()) / sum(one.values())
    assert alpha ** 2 <= ratio <= 1.16 * alpha ** 2  # 0.75: 1.017, 0.5: 1.051, 0.25: 1.154


@pytest.mark.parametrize("rho, size", [(0.857, 192), (0.714, 160), (0.571, 128)])
def test_resolution_multiplier_is_rho_squared(rho, size):
    """Section 3.4: rho reduces cost by rho^2 and leaves the parameters alone. All layers but
    the FC layer (1 M of 569 M MACs) scale by (size / 224)^2 exactly: every Table 7 size is a
    multiple of 32, the network's total stride."""
    one, scaled = cost.count("mobilenet_v1"), cost.count("mobilenet_v1", rho=rho)
    assert scaled.params == one.params
    fc = 1024 * 1000
    assert Fraction(scaled.macs - fc, one.macs - fc) == Fraction(size, 224) ** 2
    # The fixed 1 M MACs of the FC layer and rho printed to 3 digits (0.571 for 4/7) leave
    # the whole network within 1 % of rho^2 (0.3277 for 0.571^2 = 0.3260).
    assert scaled.macs / one.macs == pytest.approx(rho ** 2, rel=0.01)


# --- EfficientNet compound scaling -------------------------------------------------------------

def test_compound_constraint():
    """Lecture 001: alpha * beta^2 * gamma^2 ~ 2; the paper's 1.2, 1.1, 1.15 give 1.92. The
    registry computes the claim from the same constants."""
    assert (lecture001.ALPHA, lecture001.BETA, lecture001.GAMMA) == (ALPHA, BETA, GAMMA)
    assert ALPHA * BETA ** 2 * GAMMA ** 2 == pytest.approx(1.92, abs=0.005)
    assert ALPHA * BETA ** 2 * GAMMA ** 2 == pytest.approx(2, rel=0.05)


def test_compound_coefficients_follow_the_slide():
    """Depth d = alpha^phi, width w = beta^phi, resolution r = gamma^phi (times 224)."""
    for phi in range(8):
        width, depth, resolution = compound_coefficients(phi)
        assert width == pytest.approx(1.1 ** phi) and depth == pytest.approx(1.2 ** phi)
        assert resolution == round(224 * 1.15 ** phi)
        assert models.input_size("efficientnet_b0", scaling="compound", phi=phi) == (3, resolution, resolution)


def _macs(phi, scaling):
    return cost.count(f"efficientnet_b{phi}", scaling=scaling).macs


def test_compound_rule_macs_grow_about_2_to_the_phi():
    """d w^2 r^2 = 1.92^phi in theory. Measured per step of phi: 2.57, 1.82, 1.80, 1.94, 1.80,
    1.77, 1.97. Channels round to multiples of 8 and layers per stage round up, and at phi = 1
    ceil(1.2 n) turns the 1-layer stages into 2 and the 2-layer ones into 3, hence the 2.57;
    the geometric mean over B0 -> B7 is 1.938."""
    macs = [_macs(phi, "compound") for phi in range(8)]
    steps = [b / a for a, b in zip(macs, macs[1:])]
    assert all(1.7 <= s <= 2.6 for s in steps), steps
    assert (macs[7] / macs[0]) ** (1 / 7) == pytest.approx(1.92, rel=0.02)


def test_published_coefficients_are_not_the_pure_rule():
    """Side by side (published vs rule, phi = 1 ... 7): the released depths are all smaller
    than 1.2^phi (B7: 3.1 vs 3.58), the widths within 10 % of 1.1^phi, the resolutions within
    7 % of 224 * 1.15^phi (B1: 240 vs 258, B2: 260 vs 296); yet the published family still grows
    by 1.925x per step (geometric mean), close to the 1.92 the rule targets."""
    for phi in range(1, 8):
        width, depth, resolution, _ = PUBLISHED[f"b{phi}"]
        rule_width, rule_depth, rule_resolution = compound_coefficients(phi)
        assert depth < rule_depth
        assert width == pytest.approx(rule_width, rel=0.10)
        assert resolution == pytest.approx(rule_resolution, rel=0.13)
        assert (width, depth, resolution) != (rule_width, rule_depth, rule_resolution)
    assert coefficients("b3", "compound")[:3] == compound_coefficients(3)
    macs = [_macs(phi, "published") for phi in range(8)]
    assert (macs[7] / macs[0]) ** (1 / 7) == pytest.approx(1.92, rel=0.02)


# --- SqueezeNet --------------------------------------------------------------------------------

def test_squeezenet_has_50x_fewer_parameters_than_alexnet():
    """The paper's title: AlexNet-level accuracy with 50x fewer parameters. Its AlexNet has
    61 M parameters (240 MB); torchvision's one-tower AlexNet 61.1 M gives 48.9x, the
    course's single-tower AlexNet at the paper's 227x227 geometry (6x6x256 into fc6) 62.4 M
    gives 50.0x. At the d2l/lecture geometry (224 input, 5x5x256) it has 50.8 M: 40.7x."""
    squeezenet = cost.count("squeezenet1_0").params
    assert squeezenet == 1_248_424  # the paper's Table 1 total
    assert 61_100_840 / squeezenet == pytest.approx(50, rel=0.05)  # torchvision alexnet
    if "alexnet" in models.names():
        assert cost.count("alexnet", image_size=227).params / squeezenet == pytest.approx(50, rel=0.05)
        assert cost.count("alexnet").params / squeezenet == pytest.approx(40.7, abs=0.5)
    # Lecture 002's "500 times smaller" is the paper's 510x with Deep Compression (pruning and
    # 6-bit weights, 0.47 MB); the dense float32 model is 4.99 MB, only ~49x smaller.
    assert squeezenet * 4 / 1e6 == pytest.approx(4.8, rel=0.05)


def test_squeezenet_1_1_needs_2_4x_less_computation():
    """github.com/forresti/SqueezeNet: v1.1 has 2.4x less computation than v1.0 and slightly
    fewer parameters."""
    v10, v11 = cost.count("squeezenet1_0"), cost.count("squeezenet1_1")
    assert v10.macs / v11.macs == pytest.approx(2.4, rel=0.03)  # 2.35
    assert v11.params < v10.params


@given(c_in=st.integers(1, 512), s=st.integers(1, 64), e1=st.integers(1, 256), e3=st.integers(1, 256))
@settings(max_examples=30, deadline=None)
def test_fire_module_parameters(c_in, s, e1, e3):
    """Squeeze 1x1 (c_in -> s1x1), expand 1x1 (-> e1x1) and 3x3 (-> e3x3), all with biases."""
    expected = c_in * s + s + s * e1 + e1 + 9 * s * e3 + e3
    fire = Fire(c_in, s, e1, e3)
    assert sum(p.numel() for p in fire.parameters()) == expected
    assert expected == (cost.conv_params(1, c_in, s) + cost.conv_params(1, s, e1)
                        + cost.conv_params(3, s, e3))


def test_fire_module_output_channels():
    x = torch.randn(1, 96, 13, 13)
    assert Fire(96, 16, 64, 64)(x).shape == (1, 128, 13, 13)


# --- ShuffleNet: the shuffle ------------------------------------------------------------------

@given(groups=st.integers(1, 8), per_group=st.integers(1, 8), batch=st.integers(1, 2))
@settings(max_examples=50, deadline=None)
def test_channel_shuffle_is_a_permutation(groups, per_group, batch):
    c = groups * per_group
    x = torch.arange(batch * c * 2 * 3, dtype=torch.float32).reshape(batch, c, 2, 3)
    y = channel_shuffle(x, groups)
    assert y.shape == x.shape
    assert sorted(y.flatten().tolist()) == sorted(x.flatten().tolist())
    # Input channel i * n + j (group i, position j) becomes output channel j * g + i.
    for i in range(groups):
        for j in range(per_group):
            assert torch.equal(y[:, j * groups + i], x[:, i * per_group + j])
    # Shuffling with the transposed grouping undoes it.
    assert torch.equal(channel_shuffle(y, per_group), x)


@pytest.mark.parametrize("g, n", [(3, 4), (4, 4), (8, 12)])
def test_channel_shuffle_mixes_every_group(g, n):
    """After the shuffle, each group of the next group convolution holds channels from every
    group of the previous one (v1 paper, Figure 1c); without it, only from its own."""
    group_of = torch.arange(g).repeat_interleave(n).float().reshape(1, g * n, 1, 1)
    shuffled = channel_shuffle(group_of, g).flatten()
    for k in range(g):
        assert set(group_of.flatten()[k * n:(k + 1) * n].tolist()) == {k}
        assert set(shuffled[k * n:(k + 1) * n].tolist()) == set(range(g))


# --- Bad arguments ------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: channel_shuffle(torch.zeros(1, 10, 2, 2), 3),
     "groups=3 does not divide 10 channels; valid group counts: 1, 2, 5, 10"),
    (lambda: ShuffleUnit(240, 240, 7), "valid group counts"),
    (lambda: ShuffleUnit(200, 200, 3), "groups=3 does not divide the 200 input channels"),
    (lambda: models.create("shufflenet_v1", groups=5), "groups=5; valid (Table 1): 1, 2, 3, 4, 8"),
    (lambda: models.create("shufflenet_v2", scale=0.75), "scale=0.75; valid (Table 5): 0.5, 1.0, 1.5, 2.0"),
    (lambda: models.create("mobilenet_v1", alpha=0), "width multiplier alpha=0"),
    (lambda: models.input_size("mobilenet_v1", rho=1.5), "rho=1.5 must be in (0, 1]"),
    (lambda: models.create("mobilenet_v1", rho=0.857, image_size=160), "pass one of them"),
    (lambda: models.create("mobilenet_v2", width_mult=-1), "width_mult=-1"),
    (lambda: models.create("efficientnet_b0", scaling="linear"), "valid: 'published', 'compound'"),
    (lambda: models.create("efficientnet_b0", phi=2), "phi=2 applies only to scaling='compound'"),
    (lambda: models.create("efficientnet_b0", scaling="compound", phi=-1), "phi=-1 must be a number >= 0"),
    (lambda: ShuffleUnit(240, 480, 3, stride=1), "in_channels (240) must equal out_channels (480)"),
])
def test_bad_arguments_raise_readable_errors(call, message):
    with pytest.raises(ValueError) as e:
        call()
    assert message in str(e.value)
