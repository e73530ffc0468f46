"""Inception v2 (BN-Inception), v3, v4, Inception-ResNet-v2 and Xception against their sources:
torchvision, published parameter counts, the lectures' tables and the lectures' cost arguments.

References used below, each found independently of this code:

- torchvision 0.29: `inception_v3(aux_logits=True, init_weights=False)` and
  `Inception_V3_Weights.IMAGENET1K_V1.meta` (num_params 27,161,264; _ops 5.713 GMACs; min_size 75).
- timm model cards (timm ports the released TF-Slim checkpoints): https://huggingface.co/timm/inception_v4.tf_in1k
  "Params (M): 42.7, GMACs: 12.3, Image size: 299 x 299";
  https://huggingface.co/timm/inception_resnet_v2.tf_ens_adv_in1k "Params (M): 55.8, GMACs: 13.2".
- osmr/imgclsmob, pytorch/README.md, ImageNet-1K table (Params; FLOPs/2): InceptionV4 42,679,816;
  12,304.93M, InceptionResNetV2 55,843,464; 13,188.64M, Xception 22,855,952; 8,403.63M,
  InceptionV3 23,834,568; 5,743.06M (all "From Cadene/pretrained...pytorch" or gluon-cv).
- osmr/imgclsmob, pytorch/pytorchcv/models/bninception.py: `assert weight_count == 11295240` for
  BN-Inception built from Figure 5 with a bias on every convolution and a full 7x7 first layer.
- Xception, Chollet 2016, Table 3: 22,855,952 parameters (also Keras' `Xception()` summary,
  "Trainable params: 22,855,952").
- timm timm/models/inception_resnet_v2.py: Block35(scale=0.17) x 10, Block17(scale=0.10) x 20,
  Block8(scale=0.20) x 9 and Block8(no_relu=True); widths 320, 1088, 2080, 1536.
"""
import inspect
import math

import pytest
import torch
import torchvision
from torch import nn

from lib import cost, models
from lib.models import inception_bn, inception_v3, inception_v4, layers, xception

TV_WEIGHTS = torchvision.models.Inception_V3_Weights.IMAGENET1K_V1


def shapes(name, hook="output", **kwargs):
    """{module name: per-image shape} of every submodule's input or output in one paper-scale
    forward pass on the meta device (eval mode: no auxiliary classifier)."""
    with torch.device("meta"):
        net = models.create(name, **kwargs).eval()
    got, handles = {}, []
    for mod_name, module in net.named_modules():
        def record(m, args, out, mod_name=mod_name):
            t = args[0] if hook == "input" else out
            got[mod_name] = tuple(t.shape[1:])
        handles.append(module.register_forward_hook(record))
    with torch.no_grad():
        net(torch.empty(1, *models.input_size(name, **kwargs), device="meta"))
    for h in handles:
        h.remove()
    return got


def n_params(net):
    return sum(p.numel() for p in net.parameters())


# --- Inception v3 against torchvision ---------------------------------------------------------

def test_inception_v3_parameters_equal_torchvision():
    tv = torchvision.models.inception_v3(aux_logits=True, init_weights=False)
    assert n_params(models.create("inception_v3")) == n_params(tv) == TV_WEIGHTS.meta["num_params"] == 27_161_264
    # Without the auxiliary classifier: osmr's and timm's 23,834,568 (timm card: 23.8 M).
    tv_no_aux = torchvision.models.inception_v3(aux_logits=False, init_weights=False)
    assert n_params(models.create("inception_v3", aux_logits=False)) == n_params(tv_no_aux) == 23_834_568


def test_inception_v3_aux_logits_default_matches_torchvision():
    ours = inspect.signature(inception_v3.InceptionV3).parameters["aux_logits"].default
    theirs = inspect.signature(torchvision.models.Inception3).parameters["aux_logits"].default
    assert ours is theirs is True


def test_inception_v3_macs_match_torchvision_ops():
    # torchvision's _ops count inference: the auxiliary classifier does not run in eval mode.
    net = models.create("inception_v3").eval()
    macs = cost.count(net, (3, 299, 299)).macs
    assert abs(macs / (TV_WEIGHTS.meta["_ops"] * 1e9) - 1) < 1e-3, macs
    # In training mode the auxiliary classifier adds its MACs (by hand: 17x17 -> 5x5 average pool,
    # 1x1 768 -> 128, 5x5 128 -> 768 on 1x1, linear 768 -> 1000): 0.10 % more than _ops.
    aux = (cost.conv_macs(1, 768, 128, 5) + cost.conv_macs(5, 128, 768, 1) + 768 * 1000)
    assert aux == 5_683_200
    assert cost.count(net.train(), (3, 299, 299)).macs == macs + aux


def _torchvision_state_into_ours(tv, ours):
    theirs, mine = tv.state_dict(), ours.state_dict()
    assert [tuple(v.shape) for v in theirs.values()] == [tuple(v.shape) for v in mine.values()]
    ours.load_state_dict(dict(zip(mine, theirs.values())))


def test_inception_v3_computes_what_torchvision_computes():
    torch.manual_seed(0)
    tv = torchvision.models.inception_v3(aux_logits=True, init_weights=False, dropout=0.0)
    for m in tv.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    ours = models.create("inception_v3", dropout=0.0)
    _torchvision_state_into_ours(tv, ours)
    x = torch.randn(2, 3, 299, 299)
    with torch.no_grad():
        tv_out, out = tv.train()(x), ours.train()(x)
        torch.testing.assert_close(out.logits, tv_out.logits, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(out.aux_logits, tv_out.aux_logits, rtol=1e-4, atol=1e-4)
        x = torch.randn(2, 3, 107, 107)
        torch.testing.assert_close(ours.eval()(x), tv.eval()(x), rtol=1e-4, atol=1e-4)


# --- Published parameter counts of the others --------------------------------------------------

@pytest.mark.parametrize("name, params, card_params_m, card_gmacs", [
    ("inception_v4", 42_679_816, 42.7, 12.3),
    ("inception_resnet_v2", 55_843_464, 55.8, 13.2),
])
def test_inception_v4_and_resnet_v2_match_published_counts(name, params, card_params_m, card_gmacs):
    c = cost.count(name)
    assert c.params == params                          # osmr/imgclsmob README
    assert round(c.params / 1e6, 1) == card_params_m   # timm model card
    assert round(c.macs / 1e9, 1) == card_gmacs        # timm model card


def test_xception_matches_published_counts():
    c = cost.count("xception")
    assert c.params == 22_855_952                      # paper Table 3, Keras, osmr
    # osmr's "FLOPs/2" counts a little beyond convolutions and linear layers: for Inception v3 it
    # gives 5,743.06 M against torchvision's 5,713 M (+0.5 %). Within 1 % of its Xception figure:
    assert abs(c.macs / 8_403.63e6 - 1) < 0.01, c.macs


def test_bn_inception_matches_osmr_after_their_biases_and_full_first_convolution():
    # osmr's BN-Inception (11,295,240 parameters) follows the same Figure 5, with a bias on every
    # convolution and a plain 7x7 first convolution instead of the table's separable one.
    net = models.create("inception_bn")
    separable = net.stem.conv1[0]
    assert isinstance(separable, layers.SeparableConv2d)
    other_convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)
                   and m is not separable.depthwise and m is not separable.pointwise]
    theirs = (n_params(net) - n_params(separable) + cost.conv_params(7, 3, 64)
              + sum(m.out_channels for m in other_convs))
    assert theirs == 11_295_240


# --- Lecture 003, "Inception V2" table -------------------------------------------------------

# The slide (Ioffe & Szegedy 2015, Figure 5): row, output size as printed (C, H, W), module here.
V2_TABLE = [
    ("convolution* 7x7/2", (64, 112, 112), "stem.conv1"),
    ("max pool 3x3/2", (64, 56, 56), "stem.pool1"),
    ("convolution 3x3/1", (192, 56, 56), "stem.conv2"),
    ("max pool 3x3/2", (192, 28, 28), "stem.pool2"),
    ("inception (3a)", (256, 28, 28), "blocks.inception_3a"),
    ("inception (3b)", (320, 28, 28), "blocks.inception_3b"),
    ("inception (3c)", (576, 28, 28), "blocks.inception_3c"),
    ("inception (4a)", (576, 14, 14), "blocks.inception_4a"),
    ("inception (4b)", (576, 14, 14), "blocks.inception_4b"),
    ("inception (4c)", (576, 14, 14), "blocks.inception_4c"),
    ("inception (4d)", (576, 14, 14), "blocks.inception_4d"),
    ("inception (4e)", (1024, 14, 14), "blocks.inception_4e"),
    ("inception (5a)", (1024, 7, 7), "blocks.inception_5a"),
    ("inception (5b)", (1024, 7, 7), "blocks.inception_5b"),
    ("avg pool 7x7/1", (1024, 1, 1), "avgpool"),
]

# The slide's own columns for each module: #1x1, #3x3, double #3x3, pool proj (None: pass through).
V2_COLUMNS = {
    "inception (3a)": (64, 64, 96, 32), "inception (3b)": (64, 96, 96, 64),
    "inception (3c)": (0, 160, 96, None), "inception (4a)": (224, 96, 128, 128),
    "inception (4b)": (192, 128, 128, 128), "inception (4c)": (160, 160, 160, 128),
    "inception (4d)": (96, 192, 192, 128), "inception (4e)": (0, 192, 256, None),
    "inception (5a)": (352, 320, 224, 128), "inception (5b)": (352, 320, 224, 128),
}

# Where the slide's output size disagrees with the network its columns describe.
V2_COMPUTED = {
    # stride 2: the slide prints the grid before the stride; 4a's row (14x14) agrees with 14x14.
    "inception (3c)": (576, 14, 14),
    # 160 + 160 + 160 + 128 = 608 and 96 + 192 + 192 + 128 = 608; the slide says 576 for both.
    "inception (4c)": (608, 14, 14),
    "inception (4d)": (608, 14, 14),
    # stride 2, 192 + 256 + 608 passed through = 1056 on 7x7; the slide's 1024 is what 4e would
    # give if 4d really had 576 channels (192 + 256 + 576).
    "inception (4e)": (1056, 7, 7),
}


def test_inception_v2_table_output_sizes():
    got = shapes("inception_bn")
    for row, slide, module in V2_TABLE:
        computed = V2_COMPUTED.get(row, slide)
        assert got[module] == computed, (row, slide, got[module])
        assert (computed == slide) == (row not in V2_COMPUTED)


def test_inception_v2_table_channels_are_the_sum_of_each_rows_columns():
    got = shapes("inception_bn")
    channels = 192                                          # out of the stem's last max pool
    for row, _, module in V2_TABLE[4:-1]:
        ch1x1, ch3x3, ch3x3dbl, pool_proj = V2_COLUMNS[row]
        channels = ch1x1 + ch3x3 + ch3x3dbl + (channels if pool_proj is None else pool_proj)
        assert got[module][0] == channels, row


def test_inception_v2_configuration_is_the_slides_table():
    for row in inception_bn.BN_INCEPTION:
        name, ch1x1, _, ch3x3, _, ch3x3dbl, _, pool_proj, stride = row
        assert V2_COLUMNS[f"inception ({name})"] == (ch1x1, ch3x3, ch3x3dbl, pool_proj)
        assert (stride == 2) == (pool_proj is None)         # "stride 2 ... max + pass through"


def test_inception_v2_batch_norm_after_every_convolution():
    net = models.create("inception_bn")
    convs = {id(m) for m in net.modules() if isinstance(m, nn.Conv2d)}
    followed = {id(m.conv) for m in net.modules() if isinstance(m, layers.BasicConv2d)}
    separable, bn = net.stem.conv1[0], net.stem.conv1[1]    # convolution*: separable, then BN
    assert isinstance(bn, nn.BatchNorm2d)
    assert convs == followed | {id(separable.depthwise), id(separable.pointwise)}
    assert separable.depthwise.out_channels == 8 * separable.depthwise.in_channels   # multiplier 8
    assert all(isinstance(m.bn, nn.BatchNorm2d) for m in net.modules()
               if isinstance(m, layers.BasicConv2d))


# --- Lecture 003, "Inception V3" table (Table 1 of the paper) ---------------------------------

# The slide lists each row's input size; the module here whose input that is.
V3_TABLE = [
    ("conv 3x3/2", (3, 299, 299), "stem.Conv2d_1a_3x3"),
    ("conv 3x3/1", (32, 149, 149), "stem.Conv2d_2a_3x3"),
    ("conv padded 3x3/1", (32, 147, 147), "stem.Conv2d_2b_3x3"),
    ("pool 3x3/2", (64, 147, 147), "stem.maxpool1"),
    ("conv 3x3/1", (64, 73, 73), "stem.Conv2d_3b_1x1"),
    ("conv 3x3/2", (80, 71, 71), "stem.Conv2d_4a_3x3"),
    ("conv 3x3/1", (192, 35, 35), "stem.maxpool2"),
    ("3 x Inception (figure 5)", (288, 35, 35), "mixed_5_6.Mixed_5b"),
    ("5 x Inception (figure 6)", (768, 17, 17), "mixed_5_6.Mixed_6b"),
    ("2 x Inception (figure 7)", (1280, 8, 8), "mixed_7.Mixed_7b"),
    ("pool 8x8", (2048, 8, 8), "avgpool"),
    ("linear", (2048,), "fc"),
]

# The code follows torchvision (and TF-Slim, whose checkpoint torchvision ported), because that is
# the network whose parameters, MACs and accuracy are published; Table 1 does not describe it.
# Keyed by the row's position in V3_TABLE.
V3_COMPUTED = {
    # "conv 3x3/2" at 71x71x80: 73x73x64 went through a 1x1 convolution to 80 channels, so this
    # 3x3 (stride 1 in the code) sees 73x73x80.
    5: (80, 73, 73),
    # "conv 3x3/1" at 35x35x192: the code's 3x3 above gave 71x71x192, and a 3x3/2 max pool takes
    # it to 35x35x192.
    6: (192, 71, 71),
    # "3 x Inception" at 35x35x288: there is no convolution to 288 channels, the first Figure-5
    # module sees 35x35x192; 288 is the input of the third one and of the grid reduction.
    7: (192, 35, 35),
}


def test_inception_v3_table_input_sizes():
    got = shapes("inception_v3", hook="input")
    for i, (row, slide, module) in enumerate(V3_TABLE):
        computed = V3_COMPUTED.get(i, slide)
        assert got[module] == computed, (row, slide, got[module])
        assert (computed == slide) == (i not in V3_COMPUTED)
    assert got["mixed_5_6.Mixed_5d"] == got["mixed_5_6.Mixed_6a"] == (288, 35, 35)
    assert shapes("inception_v3")["fc"] == (1000,)          # softmax row: 1x1x1000


def test_inception_v3_module_counts():
    net = models.create("inception_v3")
    count = lambda cls: sum(isinstance(m, cls) for m in net.modules())  # noqa: E731
    # Table 1: 3 x figure 5, 5 x figure 6, 2 x figure 7. The code has 4 figure-6 modules: the
    # fifth module at 17x17 is the grid reduction Mixed_6a.
    assert (count(inception_v3.InceptionA), count(inception_v3.InceptionC), count(inception_v3.InceptionE)) == (3, 4, 2)
    assert (count(inception_v3.InceptionB), count(inception_v3.InceptionD)) == (1, 1)


# --- Lecture 004: asymmetric factorization, recomputed per input-output channel pair ----------

def per_pair(*kernels):
    return sum(cost.conv_params(k, 1, 1, bias=False) for k in kernels)


def receptive_field(*kernels):
    """(height, width) seen by one output of stride-1 convolutions stacked in this order."""
    return (1 + sum(k[0] - 1 for k in kernels), 1 + sum(k[1] - 1 for k in kernels))


def test_lecture_004_factorization_arguments():
    # "7 by 1 ... requires only 7 parameters per channel"; "it's actually cheaper than 3x3s".
    assert per_pair((7, 1)) == 7 < per_pair(3) == 9
    # A 7x7 replaced by 1x7 then 7x1: 49 -> 14 weights, the same 7x7 receptive field.
    assert (per_pair(7), per_pair((1, 7), (7, 1))) == (49, 14)
    assert receptive_field((1, 7), (7, 1)) == (7, 7)
    # "the 5 by 5 that's 25 parameters; four layers of 7x1 and 1x7 cost 28": right, and the four
    # layers see 13x13, the field of two 7x7s (98 weights), not 5x5.
    four = [(7, 1), (1, 7), (7, 1), (1, 7)]
    assert (per_pair(5), per_pair(*four), per_pair(7, 7)) == (25, 28, 98)
    assert receptive_field(*four) == (13, 13)
    # The paper's own arguments: a 5x5 as two 3x3s saves 28 %, a 3x3 as 3x1 + 1x3 saves 33 %.
    assert (1 - per_pair(3, 3) / per_pair(5), 1 - per_pair((3, 1), (1, 3)) / per_pair(3)) == \
        pytest.approx((0.28, 1 / 3))
    # Lecture 000 "slicing convolutions (Inception v4), e.g. 3x3 vs. 1x5 and 5x1": 9 against 10
    # weights for a 5x5 field; Inception-v4 itself slices 3x3s into 1x3 + 3x1 and 7x7s into 1x7 + 7x1.
    assert (per_pair(3), per_pair((1, 5), (5, 1))) == (9, 10)


def test_factorized_layers_in_the_networks_cost_what_the_formula_says():
    for name in ("inception_v3", "inception_v4", "inception_resnet_v2"):
        convs = [m for m in models.create(name).modules() if isinstance(m, nn.Conv2d)
                 and m.kernel_size[0] != m.kernel_size[1]]
        assert convs, name
        kernels = set()
        for m in convs:
            kernels.add(m.kernel_size)
            assert m.weight.numel() == cost.conv_params(m.kernel_size, m.in_channels, m.out_channels,
                                                        bias=False)
        assert kernels == ({(1, 7), (7, 1), (1, 3), (3, 1)})


# --- Inception-v4 and Inception-ResNet-v2 -----------------------------------------------------

def test_inception_v4_grid_sizes_of_figure_9():
    got = shapes("inception_v4")
    assert got["stem"] == (384, 35, 35)                     # Figure 3
    assert got["inception_a"] == (384, 35, 35)
    assert got["reduction_a"] == (1024, 17, 17)             # 384 + n + m = 384 + 384 + 256
    assert got["inception_b"] == (1024, 17, 17)
    assert got["reduction_b"] == (1536, 8, 8)
    assert got["inception_c"] == (1536, 8, 8)
    net = models.create("inception_v4")
    assert [len(getattr(net, s)) for s in ("inception_a", "inception_b", "inception_c")] == [4, 7, 3]


def test_inception_resnet_v2_released_layout():
    got = shapes("inception_resnet_v2")
    assert (got["mixed_5b"], got["repeat"]) == ((320, 35, 35), (320, 35, 35))
    assert (got["mixed_6a"], got["repeat_1"]) == ((1088, 17, 17), (1088, 17, 17))
    assert (got["mixed_7a"], got["block8"]) == ((2080, 8, 8), (2080, 8, 8))
    assert got["conv2d_7b"] == (1536, 8, 8)
    net = models.create("inception_resnet_v2")
    scales = [(type(b).__name__, b.scale) for b in net.modules() if hasattr(b, "scale")]
    assert scales == ([("InceptionResNetA", 0.17)] * 10 + [("InceptionResNetB", 0.10)] * 20
                      + [("InceptionResNetC", 0.20)] * 9 + [("InceptionResNetC", 1.0)])
    assert isinstance(net.block8.relu, nn.Identity)


@pytest.mark.parametrize("block", [
    lambda: inception_v4.InceptionResNetA(64, 0.17, width=0.25),
    lambda: inception_v4.InceptionResNetB(64, 0.10, width=0.25),
    lambda: inception_v4.InceptionResNetC(64, 0.20, width=0.25),
])
def test_inception_resnet_blocks_are_residual(block):
    torch.manual_seed(0)
    b = block().eval()
    x = torch.randn(2, 64, 9, 9)
    with torch.no_grad():
        assert not torch.allclose(b(x), torch.relu(x))
        b.conv2d.weight.zero_()
        b.conv2d.bias.zero_()
        torch.testing.assert_close(b(x), torch.relu(x))     # the shortcut is the identity


def test_reduction_a_filter_counts_are_table_1():
    net = models.create("inception_v4")
    r = net.reduction_a[0]
    k, l, m, n = (r.branch1[0].conv.out_channels, r.branch1[1].conv.out_channels,
                  r.branch1[2].conv.out_channels, r.branch0.conv.out_channels)
    assert (k, l, m, n) == (192, 224, 256, 384)


# --- Xception ---------------------------------------------------------------------------------

def test_separable_convolution_parameters():
    sep = layers.SeparableConv2d(728, 728, 3, padding=1)
    assert n_params(sep) == (cost.conv_params(3, 728, 728, groups=728, bias=False)
                             + cost.conv_params(1, 728, 728, bias=False)) == 3 * 3 * 728 + 728 * 728
    assert n_params(sep) < cost.conv_params(3, 728, 728, bias=False) / 8


def test_xception_structure_of_figure_5():
    net = models.create("xception")
    seps = sum(isinstance(m, layers.SeparableConv2d) for m in net.modules())
    stem = sum(isinstance(m, nn.Conv2d) for m in net.stem.modules())
    assert stem + seps == 36        # "36 convolutional layers forming the feature extraction base"
    blocks = sum(isinstance(m, xception.XceptionBlock) for m in net.modules())
    assert blocks + 2 == 14         # "structured into 14 modules": with the stem and the last one
    got = shapes("xception")
    assert got["entry_flow"] == got["middle_flow"] == (728, 19, 19)
    assert got["exit_flow"] == (2048, 10, 10)
    assert got["fc"] == (1000,)


# --- Course forms -----------------------------------------------------------------------------

NAMES = ["inception_bn", "inception_v3", "inception_v4", "inception_resnet_v2", "xception"]


@pytest.mark.parametrize("name", NAMES)
def test_course_form_is_small(name):
    kwargs = models.course_config(name)
    assert models.input_size(name, **kwargs) == (1, 28, 28)
    c = cost.count(name, **kwargs)
    assert c.layers[-1].output_shape == (10,)
    assert 1e6 < c.macs < 30e6, c.macs                     # about 25 M MACs per image


def test_width_keeps_the_architecture():
    full, slim = models.create("inception_v3"), models.create("inception_v3", width=0.5)
    kinds = lambda net: [type(m).__name__ for m in net.modules()]  # noqa: E731
    assert kinds(full) == kinds(slim)
    assert 0.2 < n_params(slim) / n_params(full) < 0.3     # about width squared


# --- Bad arguments --------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kwargs, words", [
    (dict(width=0), ["width", "0"]),
    (dict(width="half"), ["width", "'half'"]),
    (dict(stem="tiny"), ["stem='tiny'", "'paper'", "'light'"]),
    (dict(in_channels=0), ["in_channels", "0"]),
    (dict(num_classes=-1), ["num_classes", "-1"]),
    (dict(dropout=1.0), ["dropout", "1.0"]),
])
def test_bad_arguments_are_named(name, kwargs, words):
    with pytest.raises(ValueError) as e:
        models.create(name, **kwargs)
    assert all(w in str(e.value) for w in words), str(e.value)


def test_too_small_images_are_explained():
    smallest = TV_WEIGHTS.meta["min_size"][0]               # torchvision: 75
    with pytest.raises(ValueError, match=f"image_size >= {smallest}, got {smallest - 1}; use stem='light'"):
        models.create("inception_v3", image_size=smallest - 1, aux_logits=False)
    models.create("inception_v3", image_size=smallest, aux_logits=False)
    with pytest.raises(ValueError, match="aux_logits=False"):
        models.create("inception_v3", image_size=28, stem="light")
    with pytest.raises(ValueError, match="image_size"):
        cost.count("xception", image_size=5)
    net = models.create("inception_bn", **models.course_config("inception_bn"))
    with pytest.raises(ValueError, match=r"expects \(batch, 1, H, W\).*got \(2, 3, 28, 28\)"):
        net(torch.randn(2, 3, 28, 28))
    with pytest.raises(ValueError, match="H, W >= 75"):
        models.create("inception_v4", in_channels=1, image_size=299)(torch.randn(1, 1, 40, 40))
