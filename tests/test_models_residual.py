"""ResNet, ResNeXt, SE-ResNet and DenseNet against torchvision, the papers, the lectures, d2l
and hand formulas."""
import math

import pytest
import torch
import torchvision
from torch import nn

from lib import cost, models
from lib.cost import conv_macs, conv_params
from lib.models.densenet import DenseBlock, DenseLayer, DenseNet, Transition
from lib.models.resnet import BasicBlock, Bottleneck, ResidualBlock, ResNet, resnet
from lib.models.layers import SqueezeExcitation
from lib.models.senet import se_block

TV = torchvision.models

# --- torchvision parity -----------------------------------------------------------------------

PARITY = [
    ("resnet18", TV.resnet18, TV.ResNet18_Weights),
    ("resnet34", TV.resnet34, TV.ResNet34_Weights),
    ("resnet50", TV.resnet50, TV.ResNet50_Weights),
    ("resnet101", TV.resnet101, TV.ResNet101_Weights),
    ("resnet152", TV.resnet152, TV.ResNet152_Weights),
    ("resnext50_32x4d", TV.resnext50_32x4d, TV.ResNeXt50_32X4D_Weights),
    ("densenet121", TV.densenet121, TV.DenseNet121_Weights),
    ("densenet169", TV.densenet169, TV.DenseNet169_Weights),
    ("densenet201", TV.densenet201, TV.DenseNet201_Weights),
]


def _shapes(model):
    return sorted(tuple(p.shape) for p in model.parameters())


@pytest.mark.parametrize("name,tv_builder,weights", PARITY, ids=[p[0] for p in PARITY])
def test_torchvision_parity(name, tv_builder, weights):
    meta = weights.IMAGENET1K_V1.meta
    ours = cost.count(name)
    assert ours.input_size == (3, 224, 224)
    assert ours.params == meta["num_params"]
    # torchvision's "_ops" are GMACs (multiply-adds) rounded to three decimals.
    assert ours.macs == pytest.approx(meta["_ops"] * 1e9, rel=1e-3)
    with torch.device("meta"):
        theirs, mine = tv_builder(), models.create(name)
    assert _shapes(mine) == _shapes(theirs), "same parameter tensors, layer for layer"
    assert ours.macs == cost.count(theirs, (3, 224, 224)).macs


# torchvision's bottleneck strides in its 3x3, so the first 1x1 of stages 2-4 runs at the
# stage's input resolution, 4x the pixels: c_in * width * (2m)^2 instead of c_in * width * m^2.
V1_SAVING = sum(conv_macs(1, c_in, width, 2 * m) - conv_macs(1, c_in, width, m)
                for c_in, width, m in ((256, 128, 28), (512, 256, 14), (1024, 512, 7)))


@pytest.mark.parametrize("depth", [50, 101, 152])
def test_stride_in_1x1_saves_three_quarters_of_each_first_1x1(depth):
    v15, v1 = cost.count(f"resnet{depth}"), cost.count(f"resnet{depth}", stride_in_1x1=True)
    assert v15.macs - v1.macs == V1_SAVING
    assert v15.params == v1.params


# He et al. 2015, Table 1, "FLOPs" row (multiply-adds), with the 2015 stride placement:
# torchvision's count minus V1_SAVING for the bottleneck networks. The paper does not round
# consistently: 3.664 G is printed 3.6 and 3.858 G is printed 3.8 (0.06 G low), while 7.570 G
# is printed 7.6 and 11.283 G 11.3.
PAPER_GMACS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}


@pytest.mark.parametrize("depth", PAPER_GMACS)
def test_resnet_paper_flops(depth):
    with torch.device("meta"):
        tv = getattr(TV, f"resnet{depth}")()
    expected = cost.count(tv, (3, 224, 224)).macs - (V1_SAVING if depth >= 50 else 0)
    macs = cost.count(f"resnet{depth}", **({"stride_in_1x1": True} if depth >= 50 else {})).macs
    assert macs == expected
    assert abs(macs / 1e9 - PAPER_GMACS[depth]) < 0.07


# --- Block variants ---------------------------------------------------------------------------

def _bn(c):
    return 2 * c  # gamma and beta


# (c_in, c_out, output side) of the projections option B needs, read off Table 1: where a
# stage starts.
PROJECTIONS = {
    18: [(64, 128, 28), (128, 256, 14), (256, 512, 7)],
    34: [(64, 128, 28), (128, 256, 14), (256, 512, 7)],
    50: [(64, 256, 56), (256, 512, 28), (512, 1024, 14), (1024, 2048, 7)],
}
# Output channels of every block that option B leaves with an identity shortcut.
IDENTITY_BLOCKS = {
    18: [64] * 2 + [128] + [256] + [512],
    34: [64] * 3 + [128] * 3 + [256] * 5 + [512] * 2,
    50: [256] * 2 + [512] * 3 + [1024] * 5 + [2048] * 2,
}


@pytest.mark.parametrize("depth", [18, 34, 50])
def test_pre_activation_drops_exactly_the_projection_batch_norms(depth):
    # Pre-activation moves each BN in front of its convolution: a block's BNs then cover its
    # input and inner channels instead of its inner and output channels. Summed over the chain
    # this telescopes to (stem channels - last channels), which the stem BN (removed) and the
    # final BN-ReLU (added) cancel. What is left: projections are applied to the pre-activated
    # input and lose their BN.
    post = cost.count(f"resnet{depth}").params
    pre = cost.count(f"resnet{depth}", block_variant="pre").params
    assert post - pre == sum(_bn(c_out) for _, c_out, _ in PROJECTIONS[depth])


@pytest.mark.parametrize("depth", [18, 34, 50])
def test_shortcut_options_change_params_by_the_projections(depth):
    b = cost.count(f"resnet{depth}")
    a = cost.count(f"resnet{depth}", shortcut="identity")
    c = cost.count(f"resnet{depth}", shortcut="projection_all")
    assert b.params - a.params == sum(conv_params(1, i, o, bias=False) + _bn(o)
                                      for i, o, _ in PROJECTIONS[depth])
    assert b.macs - a.macs == sum(conv_macs(1, i, o, m) for i, o, m in PROJECTIONS[depth])
    assert c.params - b.params == sum(conv_params(1, o, o, bias=False) + _bn(o)
                                      for o in IDENTITY_BLOCKS[depth])


@pytest.mark.parametrize("variant", ["post", "pre"])
@pytest.mark.parametrize("shortcut", ["projection", "projection_all", "identity"])
@pytest.mark.parametrize("block", ["basic", "bottleneck"])
def test_every_variant_trains(block, variant, shortcut):
    torch.manual_seed(0)
    net = ResNet(block, layers=(1, 1, 1), widths=(8, 16, 32), in_channels=1, num_classes=10,
                 stem_channels=8, stem_kernel=3, stem_stride=1, block_variant=variant,
                 shortcut=shortcut)
    x = torch.randn(2, 1, 13, 13)  # odd sizes: the zero-padding shortcut must match 7 -> 4
    out = net(x)
    assert out.shape == (2, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_zero_padding_shortcut_is_the_identity_on_old_channels():
    block = BasicBlock(4, 8, stride=2, shortcut="identity")
    x = torch.randn(2, 4, 5, 5)
    y = block.shortcut(x)
    assert y.shape == (2, 8, 3, 3)
    assert torch.equal(y[:, :4], x[:, :, ::2, ::2]) and not y[:, 4:].any()


@pytest.mark.parametrize("make,channels", [(lambda **k: BasicBlock(16, 16, **k), 16),
                                           (lambda **k: Bottleneck(64, 16, **k), 64)],
                         ids=["basic", "bottleneck"])
def test_zero_init_makes_blocks_start_as_their_shortcut(make, channels):
    torch.manual_seed(0)
    x = torch.randn(2, channels, 6, 6)
    for variant, expected in (("pre", x), ("post", torch.relu(x))):
        block = make(variant=variant)
        assert not torch.equal(block(x), expected)  # before: the residual branch is not zero
        block.zero_init_()
        block.train()
        assert torch.equal(block(x), expected), variant


def test_zero_init_residual_reaches_every_block():
    net = models.create("resnet50", zero_init_residual=True)
    blocks = [m for m in net.modules() if isinstance(m, ResidualBlock)]
    assert len(blocks) == 3 + 4 + 6 + 3
    assert all(not b.bn3.weight.any() for b in blocks)


def test_d2l_style_projection_has_bias_and_no_batch_norm():
    block = BasicBlock(64, 128, stride=2, bias=True, projection_norm=False)
    assert [type(m) for m in block.shortcut] == [nn.Conv2d]
    assert block.shortcut[0].bias is not None


# --- Lectures 000 and 001: ResNet-50 vs ResNeXt-50 (32x4d) (Xie et al., Table 1) ---------------

def test_lecture_table_resnet50_vs_resnext50():
    r, x = cost.count("resnet50"), cost.count("resnext50_32x4d")
    # Slide: 25.5 x 10^6 vs 25.0 x 10^6 parameters. Computed: 25,557,032 (25.6 M) and
    # 25,028,904 (25.0 M), torchvision's counts. The slide's 25.5 M is ResNet-50 without the
    # BN scales and shifts (25,503,912); ResNeXt-50 without them is 24,960,680 (25.0 M too).
    assert (r.params, x.params) == (25_557_032, 25_028_904)
    assert round(x.params / 1e6, 1) == 25.0
    assert round(r.params / 1e6, 1) == 25.6 != 25.5
    no_bn = {}
    for name in ("resnet50", "resnext50_32x4d"):
        with torch.device("meta"):
            net = models.create(name)
        no_bn[name] = sum(p.numel() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))
                          for p in m.parameters())
    assert round(no_bn["resnet50"] / 1e6, 1) == 25.5
    assert round(no_bn["resnext50_32x4d"] / 1e6, 1) == 25.0
    # Slide: 4.1 x 10^9 vs 4.2 x 10^9 FLOPs, which are multiply-adds: computed 4.089 G and
    # 4.230 G MACs (both round to the slide; the grouped 3x3 costs more because ResNeXt's
    # bottleneck is twice as wide).
    assert (r.macs, x.macs) == (4_089_184_256, 4_230_479_872)
    assert (round(r.macs / 1e9, 1), round(x.macs / 1e9, 1)) == (4.1, 4.2)


def _bottleneck_net_macs(widths, groups):
    """MACs of a 50-layer bottleneck network, summed by hand from the rows of Table 1 (stride
    in the 3x3, as torchvision). widths: the 3x3 width of each stage."""
    macs = conv_macs(7, 3, 64, 112)
    c_in, m_in = 64, 56
    for stage, (n, width, m) in enumerate(zip((3, 4, 6, 3), widths, (56, 28, 14, 7))):
        c_out = (256, 512, 1024, 2048)[stage]
        for j in range(n):
            macs += conv_macs(1, c_in, width, m_in if j == 0 else m)   # 1x1 reduce
            macs += conv_macs(3, width, width, m, groups=groups)       # 3x3, grouped in ResNeXt
            macs += conv_macs(1, width, c_out, m)                       # 1x1 expand
            if j == 0:
                macs += conv_macs(1, c_in, c_out, m)                    # projection shortcut
            c_in = c_out
        m_in = m
    return macs + 2048 * 1000


def test_table_rows_by_hand():
    assert cost.count("resnet50").macs == _bottleneck_net_macs((64, 128, 256, 512), 1)
    assert cost.count("resnext50_32x4d").macs == _bottleneck_net_macs((128, 256, 512, 1024), 32)


def test_resnext_grouped_3x3_rows():
    layers = {l.name: l for l in cost.count("resnext50_32x4d").layers}
    for stage, (width, m) in enumerate(zip((128, 256, 512, 1024), (56, 28, 14, 7))):
        row = layers[f"layers.{stage}.1.conv2"]
        assert row.output_shape == (width, m, m)
        assert row.params == 3 * 3 * (width // 32) * width


@pytest.mark.parametrize("c_i,c_o,b,k,m", [(128, 128, 32, 3, 56), (64, 96, 4, 3, 10),
                                           (48, 48, 48, 3, 7), (12, 30, 3, (1, 5), 9)])
def test_grouped_convolution_cost_formula(c_i, c_o, b, k, m):
    # Lecture 000: "break up channels (mix only within)": m_h m_w k_h k_w (c_i/b) (c_o/b) b,
    # 1/b of the dense convolution's cost.
    k_h, k_w = (k, k) if isinstance(k, int) else k
    lecture = m * m * k_h * k_w * (c_i // b) * (c_o // b) * b
    conv = nn.Conv2d(c_i, c_o, k, padding=(k_h // 2, k_w // 2), groups=b, bias=False)
    counted = cost.count(conv, (c_i, m, m))
    assert counted.macs == lecture == conv_macs(k, c_i, c_o, m, groups=b)
    assert counted.macs * b == conv_macs(k, c_i, c_o, m)
    assert counted.params == k_h * k_w * (c_i // b) * (c_o // b) * b == conv_params(k, c_i, c_o, b, bias=False)


# --- SE-ResNet-50 (Hu et al.) ------------------------------------------------------------------

SE_CHANNELS = [256] * 3 + [512] * 4 + [1024] * 6 + [2048] * 3  # each bottleneck's output


def test_se_resnet50_overhead_matches_hand_formula():
    base = cost.count("resnet50")
    for bias in (True, False):
        se = cost.count("se_resnet50", se_bias=bias)
        per_block = [2 * c * (c // 16) + (c // 16 + c if bias else 0) for c in SE_CHANNELS]
        assert se.params - base.params == sum(per_block)
        assert se.macs - base.macs == sum(2 * c * (c // 16) for c in SE_CHANNELS)
    se = cost.count("se_resnet50")
    # Hu et al., Sec. 4: "~2.5 million additional parameters beyond the ~25 million".
    assert 2.45e6 < se.params - base.params < 2.55e6


def test_se_resnet50_paper_numbers():
    # Hu et al., Table 10 (r = 16): 28.1 M parameters, "original" ResNet-50 25.6 M. Computed:
    # 28,088,024 with FC biases (the released models; the often quoted 28.09 M), 28,071,976
    # without (the paper's ablation setting). Both are within 0.05 M.
    assert abs(cost.count("se_resnet50").params / 1e6 - 28.1) < 0.05
    assert abs(cost.count("se_resnet50", se_bias=False).params / 1e6 - 28.1) < 0.05
    assert round(cost.count("resnet50").params / 1e6, 1) == 25.6
    # Sec. 4: ResNet-50 ~3.86 GFLOPs, SE-ResNet-50 ~3.87 (multiply-adds, 2015 stride placement).
    # Counting only convolution and linear MACs the SE blocks add 2.5 M (3.8580 -> 3.8605 G,
    # still "3.86"); the paper's 3.87 also counts the squeeze (one add per input element) and
    # the scaling (one multiply per element): 2 x 5,519,360 more, 3.8715 G.
    r = cost.count("resnet50", stride_in_1x1=True).macs
    se = cost.count("se_resnet50", stride_in_1x1=True).macs
    assert round(r / 1e9, 2) == 3.86
    elementwise = sum(c * m * m for c, m in zip(SE_CHANNELS, [56] * 3 + [28] * 4 + [14] * 6 + [7] * 3))
    assert elementwise == 5_519_360
    assert round(se / 1e9, 2) == 3.86 and round((se + 2 * elementwise) / 1e9, 2) == 3.87


# Table 10's other ratios sit 0.06-0.1 M above the count for r = 4, 8 and 32 (35.64, 30.60 and
# 26.83 M computed with biases); r = 2 and 16 round to the table.
@pytest.mark.parametrize("r,paper", [(2, 45.7), (4, 35.7), (8, 30.7), (16, 28.1), (32, 26.9)])
def test_se_reduction_ratio_table(r, paper):
    assert abs(cost.count("se_resnet50", reduction=r).params / 1e6 - paper) < 0.1


def test_squeeze_excitation_block():
    torch.manual_seed(0)
    se = se_block(32, reduction=16)
    assert sum(p.numel() for p in se.parameters()) == 2 * 32 * 2 + 2 + 32
    x = torch.randn(3, 32, 5, 5)
    y = se(x)
    scale = y / x
    # One factor in (0, 1) per image and channel, the same at every pixel.
    assert torch.allclose(scale, scale[:, :, :1, :1].expand_as(scale), atol=1e-5)
    assert ((scale > 0) & (scale < 1)).all()
    net = models.create("se_resnet50")
    assert sum(isinstance(m, SqueezeExcitation) for m in net.modules()) == 16


# --- DenseNet ---------------------------------------------------------------------------------

def test_densenet121_channels_follow_table_1():
    # 64 + 6 x 32 = 256 -> 128, + 12 x 32 = 512 -> 256, + 24 x 32 = 1024 -> 512, + 16 x 32 = 1024.
    with torch.device("meta"):
        net = models.create("densenet121")
    blocks = [m for m in net.features if isinstance(m, DenseBlock)]
    transitions = [m for m in net.features if isinstance(m, Transition)]
    assert [b.out_channels for b in blocks] == [256, 512, 1024, 1024]
    assert [t.conv.out_channels for t in transitions] == [128, 256, 512]
    assert net.classifier.in_features == 1024
    layer = blocks[0].layers[5]
    assert (layer.conv1.in_channels, layer.conv1.out_channels, layer.conv2.out_channels) == (64 + 5 * 32, 128, 32)


def test_dense_layer_params_by_hand():
    layer = DenseLayer(100, growth_rate=32, bn_size=4)
    expected = _bn(100) + conv_params(1, 100, 128, bias=False) + _bn(128) + conv_params(3, 128, 32, bias=False)
    assert sum(p.numel() for p in layer.parameters()) == expected
    plain = DenseLayer(100, growth_rate=32, bn_size=None, bias=True)
    assert sum(p.numel() for p in plain.parameters()) == _bn(100) + conv_params(3, 100, 32)


def test_densenet_smallest_input_matches_torchvision():
    # torchvision's weights declare min_size 29: a 28x28 image reaches the last transition at 1x1.
    assert TV.DenseNet121_Weights.IMAGENET1K_V1.meta["min_size"] == (29, 29)
    models.create("densenet121", image_size=29)
    with pytest.raises(ValueError, match="image_size=28 is too small: transition 3 gets a 1x1 map"):
        models.create("densenet121", image_size=28)
    with pytest.raises(ValueError, match="cannot take a 3x28x28 input"):
        cost.count(TV.densenet121(), (3, 28, 28))


def _densenet_params(block_config, k=32, bn_size=4, theta=0.5, stem=64, classes=1000):
    """Parameters of a DenseNet summed by hand, layer by layer, from Table 1."""
    total = conv_params(7, 3, stem, bias=False) + _bn(stem)
    c = stem
    for i, n in enumerate(block_config):
        for _ in range(n):
            if bn_size is None:
                total += _bn(c) + conv_params(3, c, k, bias=False)
            else:
                total += (_bn(c) + conv_params(1, c, bn_size * k, bias=False)
                          + _bn(bn_size * k) + conv_params(3, bn_size * k, k, bias=False))
            c += k
        if i < len(block_config) - 1:
            total += _bn(c) + conv_params(1, c, math.floor(theta * c), bias=False)
            c = math.floor(theta * c)
    return total + _bn(c) + c * classes + classes


@pytest.mark.parametrize("depth,config", [(121, (6, 12, 24, 16)), (169, (6, 12, 32, 32)),
                                          (201, (6, 12, 48, 32))])
def test_densenet_params_by_hand(depth, config):
    assert _densenet_params(config) == cost.count(f"densenet{depth}").params
    # DenseNet-B (no compression) and DenseNet-C (no bottleneck), as named in Sec. 3.
    assert _densenet_params(config, theta=1.0) == cost.count(f"densenet{depth}", compression=1.0).params
    assert _densenet_params(config, bn_size=None) == cost.count(f"densenet{depth}", bn_size=None).params
    with torch.device("meta"):
        net = models.create(f"densenet{depth}", compression=1.0)
    assert net.classifier.in_features == 64 + 32 * sum(config)


# --- d2l parity ---------------------------------------------------------------------------------
# d2l builds with LazyConv2d: its parameter count exists only after one forward pass at the
# book's input, a 1x96x96 Fashion-MNIST image resized.

D2L_INPUT = (1, 96, 96)


@pytest.fixture(scope="module")
def d2l():
    from d2l import torch as d2l_torch
    return d2l_torch


def _materialize(net):
    net.eval()
    with torch.no_grad():
        net(torch.zeros(1, *D2L_INPUT))
    return net


def _assert_same_cost(d2l_net, name, **kwargs):
    theirs = cost.count(_materialize(d2l_net), D2L_INPUT)
    ours = cost.count(name, in_channels=1, num_classes=10, image_size=96, **kwargs)
    assert ours.params == theirs.params
    assert ours.macs == theirs.macs


def test_d2l_resnet18(d2l):
    # d2l 1.0, Sec. 8.6: a 7x7/2 stem with 64 channels and max-pool, then d2l.Residual stages
    # ((2, 64), (2, 128), (2, 256), (2, 512)), the first of each later stage with a 1x1
    # projection and stride 2; global pooling and a linear layer. Convolutions keep their
    # biases and the projection has no BN.
    net = nn.Sequential(nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3),
                        nn.LazyBatchNorm2d(), nn.ReLU(),
                        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    for i, (n, c) in enumerate(((2, 64), (2, 128), (2, 256), (2, 512))):
        net.append(nn.Sequential(*[d2l.Residual(c, use_1x1conv=True, strides=2)
                                   if j == 0 and i > 0 else d2l.Residual(c) for j in range(n)]))
    net.append(nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(10)))
    _assert_same_cost(net, "resnet18", bias=True, projection_norm=False)


def test_d2l_torch_resnet18(d2l):
    # d2l.torch.resnet18 (Sec. 13.6): a 3x3/1 stem, no max-pool.
    _assert_same_cost(d2l.resnet18(10, in_channels=1), "resnet18", bias=True,
                      projection_norm=False, stem_kernel=3, stem_stride=1, stem_pool=False)


def test_d2l_densenet(d2l):
    # d2l 1.0, Sec. 8.7: the ResNet stem (64 channels), four dense blocks of four
    # BN-ReLU-3x3 conv layers with growth rate 32, transitions (BN-ReLU-1x1 conv-2x2 average
    # pooling) halving the channels, then BN-ReLU, global pooling and a linear layer.
    class D2LDenseBlock(nn.Module):
        def __init__(self, num_convs, num_channels):
            super().__init__()
            self.net = nn.Sequential(*[nn.Sequential(
                nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1))
                for _ in range(num_convs)])

        def forward(self, x):
            for blk in self.net:
                x = torch.cat((x, blk(x)), dim=1)
            return x

    net = nn.Sequential(nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3),
                        nn.LazyBatchNorm2d(), nn.ReLU(),
                        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    channels, growth_rate, arch = 64, 32, (4, 4, 4, 4)
    for i, num_convs in enumerate(arch):
        net.append(D2LDenseBlock(num_convs, growth_rate))
        channels += num_convs * growth_rate
        if i != len(arch) - 1:
            channels //= 2
            net.append(nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(),
                                     nn.LazyConv2d(channels, kernel_size=1),
                                     nn.AvgPool2d(kernel_size=2, stride=2)))
    net.append(nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)),
                             nn.Flatten(), nn.LazyLinear(10)))
    _assert_same_cost(net, "densenet121", block_config=(4, 4, 4, 4), bn_size=None, bias=True)


# --- Course scale -------------------------------------------------------------------------------

NAMES = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
         "se_resnet50", "densenet121", "densenet169", "densenet201"]


@pytest.mark.parametrize("name", NAMES)
def test_course_scale_budget(name):
    kwargs = models.course_config(name)
    assert kwargs["in_channels"] == 1 and kwargs["num_classes"] == 10
    assert models.input_size(name, **kwargs) == (1, 28, 28)
    c = cost.count(name, **kwargs)
    assert c.macs <= 25e6 and c.layers[-1].output_shape == (10,)


# --- Bad arguments ------------------------------------------------------------------------------

@pytest.mark.parametrize("build,message", [
    (lambda: Bottleneck(256, 64, groups=3), r"cardinality \(groups\) 3 does not divide the bottleneck width 64; valid cardinalities: 1, 2, 4, 8, 16, 32, 64"),
    (lambda: Bottleneck(256, 64, groups=32, width=100), r"does not divide the bottleneck width 100"),
    (lambda: models.create("resnext50_32x4d", widths=(16, 32, 64, 128), bottleneck_width=2),
     r"bottleneck_width=2 leaves the groups of the 16-channel stage empty .* use bottleneck_width >= 4"),
    (lambda: models.create("resnext50_32x4d", cardinality=0), r"cardinality=0 must be a positive integer"),
    (lambda: models.create("resnet18", cardinality=32), r"bottleneck blocks only"),
    (lambda: models.create("resnet18", block_variant="mid"), r"block_variant='mid'; valid: 'post', 'pre'"),
    (lambda: models.create("resnet18", shortcut="B"), r"shortcut='B'; valid: 'projection', 'projection_all', 'identity'"),
    (lambda: models.create("resnet18", layers=(2, 2)), r"layers=\(2, 2\) and widths=\(64, 128, 256, 512\)"),
    (lambda: models.create("resnet18", stem_kernel=4), r"stem_kernel=4: use an odd kernel"),
    (lambda: resnet(19), r"depth=19; valid: 18, 34, 50, 101, 152"),
    (lambda: BasicBlock(8, 4, shortcut="identity"), r"cannot reduce 8 channels to 4"),
    (lambda: models.create("se_resnet50", reduction=0), r"SE reduction=0 must be a positive integer"),
    (lambda: se_block(8, reduction=16), r"r=16 leaves no hidden units for 8 channels; use r <= 8"),
    (lambda: models.create("densenet121", compression=0), r"compression=0 must be in \(0, 1\]: theta"),
    (lambda: models.create("densenet121", bn_size=0), r"bn_size must be a positive integer or None"),
    (lambda: models.create("densenet121", image_size=16), r"image_size=16 is too small: transition 3 gets a 1x1 map"),
    (lambda: models.create("densenet121", block_config=(6, 0)), r"block_config=\(6, 0\)"),
    (lambda: DenseNet(growth_rate=0), r"growth_rate=0 must be a positive integer"),
])
def test_bad_arguments_are_explained(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# --- Plain networks, the CIFAR ResNets, checkpointed DenseNet -----------------------------------

def test_plain_network_has_the_same_layers_without_shortcuts():
    from lib.models.resnet import cifar_resnet
    # option A shortcuts have no parameters: the plain and residual nets have the same ones
    assert sum(p.numel() for p in cifar_resnet(20, residual=False).parameters()) == \
        sum(p.numel() for p in cifar_resnet(20).parameters())
    torch.manual_seed(0)
    plain, residual = BasicBlock(8, 8, residual=False).eval(), BasicBlock(8, 8).eval()
    residual.load_state_dict(plain.state_dict())
    assert plain.shortcut is None
    x = torch.randn(2, 8, 6, 6)
    f = plain.bn2(plain.conv2(plain.relu1(plain.bn1(plain.conv1(x)))))
    assert torch.allclose(plain(x), torch.relu(f))              # y = F(x)
    assert torch.allclose(residual(x), torch.relu(f + x))       # y = F(x) + x
    with pytest.raises(ValueError, match="residual=True"):
        cifar_resnet(20, residual=False, zero_init_residual=True)


def test_cifar_resnet20_has_the_papers_parameter_count():
    from lib.models.resnet import cifar_resnet
    params = sum(p.numel() for p in cifar_resnet(20).parameters())
    assert round(params / 1e6, 2) == 0.27                 # Section 4.2: "0.27M"
    with pytest.raises(ValueError, match="6n \\+ 2"):
        cifar_resnet(21)


def test_checkpointed_densenet_computes_the_same_function_and_gradients():
    config = models.course_config("densenet121")
    torch.manual_seed(0)
    plain = models.create("densenet121", **config)
    efficient = models.create("densenet121", **config, memory_efficient=True)
    efficient.load_state_dict(plain.state_dict())
    x = torch.randn(2, *models.input_size("densenet121", **config))
    plain(x).sum().backward()
    efficient(x).sum().backward()
    for (name, p), q in zip(plain.named_parameters(), efficient.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-5), name
    with pytest.raises(ValueError, match="memory_efficient"):
        models.create("densenet121", **config, memory_efficient="yes")
