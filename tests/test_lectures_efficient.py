"""The lectures' numbers on efficient networks, recomputed by `lib`.

Sources: lecture 002 (SqueezeNet, MobileNet Tables 4-7), lectures 000/001 ("Separable
Convolutions": parameters k_h k_w c_i c_o, computation m_h m_w k_h k_w c_i c_o, and m_h m_w
k_h k_w c once the channels are separate; ShuffleNet), lecture 001 (EfficientNet compound
scaling), checked against the papers they come from.
"""
import math
from fractions import Fraction

import pytest
import torch
from hypothesis import given, settings, strategies as st

from lib import cost, models
from lib.models.efficientnet import ALPHA, BETA, GAMMA, PUBLISHED, coefficients, compound_coefficients
from lib.models.mobilenet import TABLE_1, ConvBNActivation, DepthwiseSeparableConv
from lib.models.shufflenet import ShuffleUnit, channel_shuffle
from lib.models.squeezenet import Fire

# --- MobileNet v1: the paper's Tables 4-7 as lecture 002 reproduces them ----------------------

# (kwargs, million Mult-Adds, million parameters) as printed.
MOBILENET_TABLES = {
    "Table 4: Conv MobileNet": ({"depthwise": False}, 4866, 29.3),
    "Table 4: MobileNet": ({}, 569, 4.2),
    "Table 5: 0.75 MobileNet": ({"alpha": 0.75}, 325, 2.6),
    "Table 5: Shallow MobileNet": ({"shallow": True}, 307, 2.9),
    "Table 6: 1.0 MobileNet-224": ({"alpha": 1.0}, 569, 4.2),
    "Table 6: 0.75 MobileNet-224": ({"alpha": 0.75}, 325, 2.6),
    "Table 6: 0.5 MobileNet-224": ({"alpha": 0.5}, 149, 1.3),
    "Table 6: 0.25 MobileNet-224": ({"alpha": 0.25}, 41, 0.5),
    "Table 7: 1.0 MobileNet-224": ({"rho": 1.0}, 569, 4.2),
    "Table 7: 1.0 MobileNet-192": ({"rho": 0.857}, 418, 4.2),
    "Table 7: 1.0 MobileNet-160": ({"rho": 0.714}, 290, 4.2),
    "Table 7: 1.0 MobileNet-128": ({"rho": 0.571}, 186, 4.2),
}


@pytest.mark.parametrize("row", MOBILENET_TABLES)
def test_mobilenet_tables(row):
    kwargs, mult_adds, params = MOBILENET_TABLES[row]
    c = cost.count("mobilenet_v1", **kwargs)
    # Published to 3-4 digits: Mult-Adds within 0.5 % (the largest gap, 149.5 M for 149 M),
    # parameters within the rounding of their one decimal.
    assert c.macs / 1e6 == pytest.approx(mult_adds, rel=0.005)
    assert abs(c.params / 1e6 - params) <= 0.05


def test_lecture_309_is_a_garbled_569():
    """The second copy of Table 6 in lecture 002 prints 309 M Mult-Adds for 1.0 MobileNet-224;
    its first copy and the paper print 569 M, and so does the count."""
    macs = cost.count("mobilenet_v1").macs / 1e6
    assert round(macs) == 569
    assert abs(macs - 309) > 250


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
    """Lecture 001: alpha * beta^2 * gamma^2 ~ 2; the paper's 1.2, 1.1, 1.15 give 1.92."""
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
