"""ResNet (He et al., 2015, arXiv:1512.03385), its pre-activation form (He et al., 2016,
arXiv:1603.05027) and ResNeXt (Xie et al., 2016, arXiv:1611.05431). Explained in
chapters/10_resnet.ipynb.

Defaults build torchvision's models, parameter for parameter. They depart from the 2015 paper
in one place: a bottleneck block that halves the resolution does so in its 3x3 convolution, not
in its first 1x1 ("ResNet v1.5"; the ResNeXt paper's Table 1 counts ResNet-50 this way). The
1x1 then runs at the larger resolution: ResNet-50 costs 4.09 G MACs instead of 3.86 G
(`stride_in_1x1=True` restores the 2015 placement; the 2015 paper prints 3.8 x 10^9).

The block variants of the lectures are arguments:

- `block_variant="post"`: conv-BN-ReLU, the sum followed by ReLU (2015). `"pre"`: BN-ReLU-conv,
  nothing after the sum (2016): the shortcut is a clean identity path through the whole network.
- `shortcut="projection"`: a 1x1 convolution (+ BN) only where the shape changes (option B of
  the 2015 paper, torchvision's choice); `"projection_all"`: on every block (option C);
  `"identity"`: strided subsampling plus zero channels where the shape changes (option A, no
  parameters).
- `residual=False`: no shortcut at all, the paper's "plain" network of the same depth, which
  chapter 10 trains against the residual one.

`cifar_resnet(depth)` builds the paper's CIFAR-10 networks (Section 4.2): 6n + 2 layers, three
stages of n basic blocks with 16, 32 and 64 channels on 32x32 images, option A shortcuts.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from lib.checks import integer, integers, one_of
from lib.geometry import divisors
from lib.models.checks import check_args
from lib.models.layers import init_weights
from lib.models.registry import register

# Paper, Table 1: the block type and the number of blocks in conv2_x, conv3_x, conv4_x, conv5_x.
CONFIGS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
# Channels of each stage's 3x3 convolutions; a bottleneck's output has `expansion` (4) times more.
WIDTHS = (64, 128, 256, 512)

BLOCK_VARIANTS = ("post", "pre")
SHORTCUTS = ("projection", "projection_all", "identity")


class ZeroPadShortcut(nn.Module):
    """Option A: keep every `stride`-th pixel and append `out_channels - in_channels` zero
    channels. Parameter-free, so the shortcut stays an identity on the channels it has."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        if out_channels < in_channels:
            raise ValueError(f"a zero-padding shortcut cannot reduce {in_channels} channels to "
                             f"{out_channels}; use shortcut='projection'")
        self.extra, self.stride = out_channels - in_channels, stride

    def forward(self, x):                                  # (B, C_in, H, W)
        x = x[:, :, ::self.stride, ::self.stride]          # (B, C_in, ceil(H/s), ceil(W/s))
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))       # (B, C_out, ...)


class ResidualBlock(nn.Module):
    """y = F(x) + shortcut(x), where F is a chain of convolutions given as
    (kernel_size, in_channels, out_channels, stride, groups) rows.

    `variant="post"` puts BN (and ReLU, except after the last convolution) after every
    convolution and a ReLU after the sum; `"pre"` puts BN-ReLU before every convolution and
    nothing after the sum. In the pre-activation form the first BN-ReLU also feeds a projection
    shortcut, which then has no BN of its own (the input is already normalized).
    `bias` adds biases to the convolutions (d2l's blocks have them); `projection_norm=False`
    drops the BN after a projection (d2l's `Residual`). `attention`, given the block's output
    channels, builds a module applied to F(x) before the sum (squeeze-and-excitation).
    `residual=False` drops the shortcut: y = F(x), a block of the plain network.
    """

    expansion = 1

    def __init__(self, convs, shortcut="projection", variant="post", bias=False,
                 projection_norm=True, attention=None, residual=True):
        super().__init__()
        one_of("block_variant", variant, BLOCK_VARIANTS)
        one_of("shortcut", shortcut, SHORTCUTS)
        if not isinstance(residual, bool):
            raise ValueError(f"residual={residual!r} must be True (y = F(x) + x) or False "
                             f"(y = F(x), the plain network)")
        self.variant, self.residual = variant, residual
        in_channels, out_channels = convs[0][1], convs[-1][2]
        stride = math.prod(row[3] for row in convs)
        n = len(convs)
        for i, (k, c_in, c_out, s, g) in enumerate(convs, start=1):
            conv = nn.Conv2d(c_in, c_out, k, stride=s, padding=k // 2, groups=g, bias=bias)
            if variant == "post":
                self.add_module(f"conv{i}", conv)
                self.add_module(f"bn{i}", nn.BatchNorm2d(c_out))
                if i < n:
                    self.add_module(f"relu{i}", nn.ReLU(inplace=True))
            else:
                self.add_module(f"bn{i}", nn.BatchNorm2d(c_in))
                self.add_module(f"relu{i}", nn.ReLU(inplace=True))
                self.add_module(f"conv{i}", conv)
        self.attention = nn.Identity() if attention is None else attention(out_channels)

        changes_shape = stride != 1 or in_channels != out_channels
        self.projects = residual and (shortcut == "projection_all"
                                      or shortcut == "projection" and changes_shape)
        if not residual:
            self.shortcut = None
        elif self.projects:
            layers = [nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=bias)]
            if variant == "post" and projection_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            self.shortcut = nn.Sequential(*layers)
        elif changes_shape:
            self.shortcut = ZeroPadShortcut(in_channels, out_channels, stride)
        else:
            self.shortcut = nn.Identity()
        self.relu = nn.ReLU(inplace=True) if variant == "post" else nn.Identity()
        self._n = n

    def _layer(self, kind, i):
        return getattr(self, f"{kind}{i}")

    def forward(self, x):                                  # (B, C_in, H, W)
        if self.variant == "post":
            out = x
            for i in range(1, self._n + 1):
                out = self._layer("bn", i)(self._layer("conv", i)(out))
                if i < self._n:
                    out = self._layer("relu", i)(out)
            identity = x
        else:
            pre = self.relu1(self.bn1(x))                   # BN-ReLU shared with a projection
            out = self.conv1(pre)
            for i in range(2, self._n + 1):
                out = self._layer("conv", i)(self._layer("relu", i)(self._layer("bn", i)(out)))
            identity = pre if self.projects else x
        if not self.residual:
            return self.relu(self.attention(out))          # the plain network: y = F(x)
        identity = self.shortcut(identity)
        return self.relu(self.attention(out) + identity)   # (B, C_out, H/s, W/s)

    def zero_init_(self):
        """Make F(x) = 0 at initialization, so the block starts as its shortcut (Goyal et al.,
        2017): the last BN's scale in the post-activation form, the last convolution in the
        pre-activation form (no BN follows it)."""
        if not self.residual:
            raise ValueError("zero_init_ would make a block without a shortcut output zeros; "
                             "use it with residual=True")
        last = self._layer("bn" if self.variant == "post" else "conv", self._n)
        nn.init.zeros_(last.weight)
        if last.bias is not None:
            nn.init.zeros_(last.bias)


class BasicBlock(ResidualBlock):
    """Two 3x3 convolutions with `channels` outputs; the first one has the `stride`.
    (ResNet-18/34, Fig. 5 left.) Keyword arguments: see `ResidualBlock`."""

    expansion = 1

    def __init__(self, in_channels, channels, stride=1, **kwargs):
        super().__init__([(3, in_channels, channels, stride, 1),
                          (3, channels, channels, 1, 1)], **kwargs)


class Bottleneck(ResidualBlock):
    """1x1 down to `width`, 3x3 with `groups` (the stride is here, as in torchvision, or on the
    first 1x1 with `stride_in_1x1=True` as in the 2015 paper), 1x1 up to 4 x `channels`.
    (ResNet-50/101/152, Fig. 5 right.) `width` defaults to `channels`; ResNeXt sets it to
    cardinality x group width and `groups` to the cardinality (Xie et al., Fig. 3c).
    Keyword arguments: see `ResidualBlock`."""

    expansion = 4

    def __init__(self, in_channels, channels, stride=1, groups=1, width=None,
                 stride_in_1x1=False, **kwargs):
        width = channels if width is None else width
        for label, value in (("channels", channels), ("width", width), ("groups", groups)):
            integer(label, value)
        if width % groups:
            raise ValueError(f"cardinality (groups) {groups} does not divide the bottleneck "
                             f"width {width}; valid cardinalities: {divisors(width)}")
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        super().__init__([(1, in_channels, width, s1, 1),
                          (3, width, width, s3, groups),
                          (1, width, channels * self.expansion, 1, 1)], **kwargs)


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ResNet(nn.Module):
    """Stem, four stages of residual blocks, global average pooling and one linear layer.

    - `block`, `layers`: block type ("basic" or "bottleneck") and blocks per stage (Table 1).
    - `widths`: 3x3 channels per stage (64, 128, 256, 512); any number of stages; every stage
      after the first halves the resolution in its first block.
    - `cardinality`, `bottleneck_width`: ResNeXt's C and d. A bottleneck's grouped 3x3 has
      C x int(d x width / 64) channels: 32x4d gives 128, 256, 512, 1024.
    - `stem_channels`, `stem_kernel`, `stem_stride`, `stem_pool`: the 7x7/2 convolution with 64
      channels and the 3x3/2 max-pool of the paper; the course form uses a 3x3/1 convolution
      because Fashion-MNIST images are 28x28, not 224x224.
    - `block_variant`, `shortcut`, `bias`, `projection_norm`, `attention`, `stride_in_1x1`:
      see `ResidualBlock` and `Bottleneck`. The pre-activation network has no BN-ReLU in its
      stem and one BN-ReLU after the last block (as in timm's ResNetV2).
    - `residual`: False builds the plain network, the same layers without shortcuts.
    - `zero_init_residual`: every block starts as its shortcut.
    - `image_size`: the resolution the model is built for (`lib.models.input_size` reads it);
      global pooling lets any size >= 1 run.
    """

    def __init__(self, block="bottleneck", layers=(3, 4, 6, 3), widths=WIDTHS, in_channels=3,
                 num_classes=1000, cardinality=1, bottleneck_width=64, stem_channels=64,
                 stem_kernel=7, stem_stride=2, stem_pool=True, block_variant="post",
                 shortcut="projection", bias=False, projection_norm=True, attention=None,
                 stride_in_1x1=False, residual=True, zero_init_residual=False,
                 image_size=224):
        super().__init__()
        layers, widths = _check_resnet(**locals())
        pre = block_variant == "pre"
        stem = [nn.Conv2d(in_channels, stem_channels, stem_kernel, stride=stem_stride,
                          padding=stem_kernel // 2, bias=bias)]
        if not pre:
            stem += [nn.BatchNorm2d(stem_channels), nn.ReLU(inplace=True)]
        if stem_pool:
            stem.append(nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.stem = nn.Sequential(*stem)                   # (B, 64, H/4, W/4) for the paper

        if zero_init_residual and not residual:
            raise ValueError("zero_init_residual=True needs residual=True: without shortcuts "
                             "every block would start at zero")
        block_kwargs = dict(shortcut=shortcut, variant=block_variant, bias=bias,
                            projection_norm=projection_norm, attention=attention,
                            residual=residual)
        if block == "bottleneck":
            block_kwargs["stride_in_1x1"] = stride_in_1x1
        channels, stages = stem_channels, []
        for i, (n, width) in enumerate(zip(layers, widths)):
            if block == "bottleneck":  # ResNeXt: C groups of int(d x width / 64) channels
                block_kwargs.update(groups=cardinality,
                                    width=cardinality * (width * bottleneck_width // 64))
            blocks = []
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(BLOCKS[block](channels, width, stride, **block_kwargs))
                channels = width * BLOCKS[block].expansion
            stages.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*stages)               # (B, C_last, H/32, W/32) for the paper
        self.final = (nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True)) if pre
                      else nn.Identity())
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

        init_weights(self, linear=None)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, ResidualBlock):
                    m.zero_init_()

    def forward(self, x):                                  # (B, C, H, W)
        x = self.final(self.layers(self.stem(x)))          # (B, C_last, H', W')
        return self.fc(torch.flatten(self.avgpool(x), 1))  # (B, num_classes)


# Course scale (<= ~25 M MACs per 28x28 image): one input channel, ten classes, a 3x3/1 stem
# with 16 channels, the max-pool (14x14 into the first stage) and a quarter of the widths, at
# the depth of Table 1: 7.7 M MACs for ResNet-18, 16 M for ResNet-34, 18 M for ResNet-50.
# ResNet-101 and -152 keep their depth at an eighth of the widths (9 M and 14 M MACs).
COURSE = {"in_channels": 1, "num_classes": 10, "image_size": 28, "stem_channels": 16,
          "stem_kernel": 3, "stem_stride": 1, "widths": (16, 32, 64, 128)}
COURSE_DEEP = {**COURSE, "stem_channels": 8, "widths": (8, 16, 32, 64)}


def resnet(depth, **kwargs):
    """ResNet-`depth` of Table 1 (18, 34, 50, 101 or 152); kwargs as `ResNet`."""
    block, layers = CONFIGS[one_of("depth", depth, CONFIGS)]
    return ResNet(**{"block": block, "layers": layers, **kwargs})


@register("resnet18", course=COURSE)
def resnet18(**kwargs):
    return resnet(18, **kwargs)


@register("resnet34", course=COURSE)
def resnet34(**kwargs):
    return resnet(34, **kwargs)


@register("resnet50", course=COURSE)
def resnet50(**kwargs):
    return resnet(50, **kwargs)


@register("resnet101", course=COURSE_DEEP)
def resnet101(**kwargs):
    return resnet(101, **kwargs)


@register("resnet152", course=COURSE_DEEP)
def resnet152(**kwargs):
    return resnet(152, **kwargs)


# Section 4.2, CIFAR-10: a 3x3 convolution with 16 channels, then 2n 3x3 convolutions on each of
# 32x32, 16x16 and 8x8 maps with 16, 32 and 64 channels, global pooling and a 10-way linear
# layer: 6n + 2 layers, option A shortcuts (no parameters). ResNet-20 has 0.27 M parameters.
CIFAR_WIDTHS = (16, 32, 64)


def cifar_resnet(depth=20, width=16, **kwargs):
    """The CIFAR-10 ResNet of depth 6n + 2 (20, 32, 44, 56, 110, ...) with `width`, 2 `width`
    and 4 `width` channels; kwargs as `ResNet` (`residual=False` gives the plain network)."""
    integer("depth", depth)
    integer("width", width)
    if (depth - 2) % 6:
        raise ValueError(f"depth={depth}: the CIFAR ResNets have 6n + 2 layers (20, 32, 44, "
                         f"56, 110, ...)")
    n = (depth - 2) // 6
    return ResNet(**{"block": "basic", "layers": (n, n, n),
                     "widths": (width, 2 * width, 4 * width), "stem_channels": width,
                     "stem_kernel": 3, "stem_stride": 1, "stem_pool": False,
                     "shortcut": "identity", "num_classes": 10, "image_size": 32, **kwargs})


# Xie et al., Table 1: ResNeXt-50 (32x4d) is ResNet-50 with 32 groups of width 4 in conv2_x.
@register("resnext50_32x4d", course=COURSE)
def resnext50_32x4d(cardinality=32, bottleneck_width=4, **kwargs):
    return resnet(50, cardinality=cardinality, bottleneck_width=bottleneck_width, **kwargs)


# --- Checks ----------------------------------------------------------------------------------

def _check_resnet(block, layers, widths, in_channels, num_classes, cardinality,
                  bottleneck_width, stem_channels, stem_kernel, stem_stride, block_variant,
                  stride_in_1x1, image_size, **_) -> tuple[tuple, tuple]:
    """ResNet's arguments, checked; returns `layers` and `widths` as tuples."""
    one_of("block", block, BLOCKS)
    one_of("block_variant", block_variant, BLOCK_VARIANTS)
    layers, widths = integers("layers", layers), integers("widths", widths)
    if len(layers) != len(widths) or not layers:
        raise ValueError(f"layers={layers} and widths={widths} must give one entry per stage "
                         f"(the same number of entries, at least one)")
    check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size)
    for label, value in (("cardinality", cardinality), ("bottleneck_width", bottleneck_width),
                         ("stem_channels", stem_channels), ("stem_kernel", stem_kernel),
                         ("stem_stride", stem_stride)):
        integer(label, value)
    if stem_kernel % 2 == 0:
        raise ValueError(f"stem_kernel={stem_kernel}: use an odd kernel so that padding "
                         f"{stem_kernel // 2} keeps the stem's geometry")
    if block == "basic" and (cardinality != 1 or bottleneck_width != 64 or stride_in_1x1):
        raise ValueError("cardinality, bottleneck_width and stride_in_1x1 apply to "
                         "bottleneck blocks only; use block='bottleneck'")
    narrowest = min(widths)
    if block == "bottleneck" and narrowest * bottleneck_width // 64 < 1:
        raise ValueError(f"bottleneck_width={bottleneck_width} leaves the groups of the "
                         f"{narrowest}-channel stage empty (int({narrowest} x "
                         f"{bottleneck_width} / 64) = 0); use bottleneck_width >= "
                         f"{math.ceil(64 / narrowest)}")
    return layers, widths
