"""Inception-v4 and Inception-ResNet-v2 (Szegedy, Ioffe, Vanhoucke & Alemi, 2016,
"Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning",
arXiv:1602.07261). Explained in chapters/08_inception.ipynb.

Both built as the released TF-Slim checkpoints (which timm ports). Inception-v4 is a deeper,
more uniform Inception v3; Inception-ResNet-v2 adds each module's output, scaled down, to its
input, as a residual. It reuses Inception v3's stem and its first Figure-5 module.

Arguments as in `lib.models.inception_bn`: `width` multiplies every channel count, and
`stem="light"` replaces the stem (299 -> 35 pixels) with one padded 3x3 convolution.
"""
from functools import partial

import torch
from torch import nn

from lib.models.checks import CheckedInput, check_args
from lib.models.inception_v3 import INCEPTION_V3_STEM, InceptionA
from lib.models.layers import BasicConv2d, light_stem, scaled, stem_from_rows
from lib.models.registry import register

# Inception-v4 paper, Table 1: the filter counts k, l, m, n of Reduction-A (Figure 7).
REDUCTION_A = {
    "inception_v4": (192, 224, 256, 384),
    "inception_resnet_v2": (256, 256, 384, 384),
}

# Inception-v4, Figure 9: stage, block, repeats.
INCEPTION_V4 = (
    ("inception_a", "A", 4),                  # 35x35x384
    ("reduction_a", "reduction_a", 1),        # -> 17x17x1024
    ("inception_b", "B", 7),                  # 17x17x1024
    ("reduction_b", "reduction_b", 1),        # -> 8x8x1536
    ("inception_c", "C", 3),                  # 8x8x1536
)

# Inception-ResNet-v2 as released: stage, block, repeats, residual scale. Figure 15 draws 5, 10
# and 5 residual blocks; the checkpoint has 10, 20 and 10, the last without its ReLU. The paper
# scales residuals "by a factor between 0.1 and 0.3"; the checkpoint uses 0.17, 0.10 and 0.20.
INCEPTION_RESNET_V2 = (
    ("repeat", "A", 10, 0.17),                # 35x35x320
    ("mixed_6a", "reduction_a", 1, None),     # -> 17x17x1088
    ("repeat_1", "B", 20, 0.10),              # 17x17x1088
    ("mixed_7a", "reduction_b", 1, None),     # -> 8x8x2080
    ("repeat_2", "C", 9, 0.20),               # 8x8x2080
    ("block8", "C", 1, 1.0),                  # 8x8x2080, no ReLU after the sum
)


# --- Inception-v4 -----------------------------------------------------------------------------

class InceptionV4Stem(nn.Module):
    """Figure 3, the stem of Inception-v4: 299x299x3 -> 35x35x384. Three times a strided
    convolution and a max pool (or two convolution branches) run side by side and concatenate."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.conv = nn.Sequential(
            BasicConv2d(in_channels, c(32), 3, stride=2),     # -> 149x149x32
            BasicConv2d(c(32), c(32), 3),                     # -> 147x147x32
            BasicConv2d(c(32), c(64), 3, padding=1))          # -> 147x147x64
        self.mixed_3a_pool = nn.MaxPool2d(3, 2)
        self.mixed_3a_conv = BasicConv2d(c(64), c(96), 3, stride=2)   # -> 73x73x160 together
        self.mixed_4a_branch0 = nn.Sequential(
            BasicConv2d(c(64) + c(96), c(64), 1),
            BasicConv2d(c(64), c(96), 3))
        self.mixed_4a_branch1 = nn.Sequential(
            BasicConv2d(c(64) + c(96), c(64), 1),
            BasicConv2d(c(64), c(64), (1, 7), padding=(0, 3)),
            BasicConv2d(c(64), c(64), (7, 1), padding=(3, 0)),
            BasicConv2d(c(64), c(96), 3))                     # -> 71x71x192 together
        self.mixed_5a_conv = BasicConv2d(2 * c(96), c(192), 3, stride=2)
        self.mixed_5a_pool = nn.MaxPool2d(3, 2)               # -> 35x35x384 together
        self.out_channels = c(192) + 2 * c(96)

    def forward(self, x):
        x = self.conv(x)
        x = torch.cat([self.mixed_3a_pool(x), self.mixed_3a_conv(x)], 1)
        x = torch.cat([self.mixed_4a_branch0(x), self.mixed_4a_branch1(x)], 1)
        return torch.cat([self.mixed_5a_conv(x), self.mixed_5a_pool(x)], 1)


class InceptionV4A(nn.Module):
    """Figure 4, 35x35: avg pool -> 1x1 | 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3, 96 filters each."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.branch0 = BasicConv2d(in_channels, c(96), 1)
        self.branch1 = nn.Sequential(
            BasicConv2d(in_channels, c(64), 1),
            BasicConv2d(c(64), c(96), 3, padding=1))
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, c(64), 1),
            BasicConv2d(c(64), c(96), 3, padding=1),
            BasicConv2d(c(96), c(96), 3, padding=1))
        self.branch3 = nn.Sequential(
            nn.AvgPool2d(3, 1, padding=1, count_include_pad=False),
            BasicConv2d(in_channels, c(96), 1))
        self.out_channels = 4 * c(96)

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class ReductionA(nn.Module):
    """Figure 7, 35x35 -> 17x17: 3x3/2 max pool | 3x3/2 conv (n) | 1x1 (k) -> 3x3 (l) -> 3x3/2 (m).
    Shared by Inception-v4 and Inception-ResNet with the k, l, m, n of Table 1."""

    def __init__(self, in_channels, k, l, m, n):
        super().__init__()
        self.branch0 = BasicConv2d(in_channels, n, 3, stride=2)
        self.branch1 = nn.Sequential(
            BasicConv2d(in_channels, k, 1),
            BasicConv2d(k, l, 3, padding=1),
            BasicConv2d(l, m, 3, stride=2))
        self.branch2 = nn.MaxPool2d(3, 2)
        self.out_channels = n + m + in_channels

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1)


class InceptionV4B(nn.Module):
    """Figure 5, 17x17: factorized 7x7s, in one (1x7, 7x1) and in two (7x1, 1x7, 7x1, 1x7)
    steps."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.branch0 = BasicConv2d(in_channels, c(384), 1)
        self.branch1 = nn.Sequential(
            BasicConv2d(in_channels, c(192), 1),
            BasicConv2d(c(192), c(224), (1, 7), padding=(0, 3)),
            BasicConv2d(c(224), c(256), (7, 1), padding=(3, 0)))
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, c(192), 1),
            BasicConv2d(c(192), c(192), (7, 1), padding=(3, 0)),
            BasicConv2d(c(192), c(224), (1, 7), padding=(0, 3)),
            BasicConv2d(c(224), c(224), (7, 1), padding=(3, 0)),
            BasicConv2d(c(224), c(256), (1, 7), padding=(0, 3)))
        self.branch3 = nn.Sequential(
            nn.AvgPool2d(3, 1, padding=1, count_include_pad=False),
            BasicConv2d(in_channels, c(128), 1))
        self.out_channels = c(384) + 2 * c(256) + c(128)

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class InceptionV4ReductionB(nn.Module):
    """Figure 8, 17x17 -> 8x8."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.branch0 = nn.Sequential(
            BasicConv2d(in_channels, c(192), 1),
            BasicConv2d(c(192), c(192), 3, stride=2))
        self.branch1 = nn.Sequential(
            BasicConv2d(in_channels, c(256), 1),
            BasicConv2d(c(256), c(256), (1, 7), padding=(0, 3)),
            BasicConv2d(c(256), c(320), (7, 1), padding=(3, 0)),
            BasicConv2d(c(320), c(320), 3, stride=2))
        self.branch2 = nn.MaxPool2d(3, 2)
        self.out_channels = c(192) + c(320) + in_channels

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1)


class InceptionV4C(nn.Module):
    """Figure 6, 8x8: the 3x3s split into parallel 1x3 and 3x1, as in Inception v3's Figure 7."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.branch0 = BasicConv2d(in_channels, c(256), 1)
        self.branch1_0 = BasicConv2d(in_channels, c(384), 1)
        self.branch1_1a = BasicConv2d(c(384), c(256), (1, 3), padding=(0, 1))
        self.branch1_1b = BasicConv2d(c(384), c(256), (3, 1), padding=(1, 0))
        self.branch2_0 = BasicConv2d(in_channels, c(384), 1)
        self.branch2_1 = BasicConv2d(c(384), c(448), (3, 1), padding=(1, 0))
        self.branch2_2 = BasicConv2d(c(448), c(512), (1, 3), padding=(0, 1))
        self.branch2_3a = BasicConv2d(c(512), c(256), (1, 3), padding=(0, 1))
        self.branch2_3b = BasicConv2d(c(512), c(256), (3, 1), padding=(1, 0))
        self.branch3 = nn.Sequential(
            nn.AvgPool2d(3, 1, padding=1, count_include_pad=False),
            BasicConv2d(in_channels, c(256), 1))
        self.out_channels = 6 * c(256)

    def forward(self, x):
        b1 = self.branch1_0(x)
        b2 = self.branch2_2(self.branch2_1(self.branch2_0(x)))
        return torch.cat([self.branch0(x), self.branch1_1a(b1), self.branch1_1b(b1),
                          self.branch2_3a(b2), self.branch2_3b(b2), self.branch3(x)], 1)


class InceptionV4(CheckedInput):
    """Inception-v4 (Szegedy et al., 2016, Figure 9): the stem, 4 x Inception-A, Reduction-A,
    7 x Inception-B, Reduction-B, 3 x Inception-C, average pool, dropout (keep 0.8), classifier."""

    def __init__(self, in_channels=3, num_classes=1000, image_size=299, width=1.0, stem="paper",
                 dropout=0.2):
        super().__init__()
        check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size,
                   width=width, stem=stem, dropout=dropout)
        c = partial(scaled, width=width)
        if stem == "paper":
            self.stem = InceptionV4Stem(in_channels, width)
            channels = self.stem.out_channels
            path = [(3, 2, 0), (3, 1, 0), (3, 2, 0), (3, 1, 0), (3, 2, 0)]
        else:
            self.stem, channels, path = light_stem(in_channels, c(384)), c(384), [(3, 1, 1)]
        self._setup_input_check("inception_v4", in_channels, image_size,
                                path + [(3, 2, 0), (3, 2, 0)], stem)
        blocks = {"A": InceptionV4A, "B": InceptionV4B, "C": InceptionV4C,
                  "reduction_b": InceptionV4ReductionB}
        for stage, kind, repeats in INCEPTION_V4:
            layers = []
            for _ in range(repeats):
                if kind == "reduction_a":
                    layers.append(ReductionA(channels, *map(c, REDUCTION_A["inception_v4"])))
                else:
                    layers.append(blocks[kind](channels, width))
                channels = layers[-1].out_channels
            self.add_module(stage, nn.Sequential(*layers))
        self.stages = [stage for stage, _, _ in INCEPTION_V4]
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        self._check_input(x)
        x = self.stem(x)                       # (B, 384, 35, 35) at 299x299
        for stage in self.stages:
            x = getattr(self, stage)(x)        # 35x35x384 -> 17x17x1024 -> 8x8x1536
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


# --- Inception-ResNet-v2 ----------------------------------------------------------------------

class InceptionResNetA(nn.Module):
    """Figure 16, 35x35: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3, concatenated, a linear 1x1 back up
    to the input's width, scaled by `scale` and added to the input, then ReLU."""

    def __init__(self, in_channels, scale, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.scale = scale
        self.branch0 = BasicConv2d(in_channels, c(32), 1)
        self.branch1 = nn.Sequential(
            BasicConv2d(in_channels, c(32), 1),
            BasicConv2d(c(32), c(32), 3, padding=1))
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, c(32), 1),
            BasicConv2d(c(32), c(48), 3, padding=1),
            BasicConv2d(c(48), c(64), 3, padding=1))
        self.conv2d = nn.Conv2d(2 * c(32) + c(64), in_channels, 1)   # linear: no BN, no ReLU
        self.relu = nn.ReLU()
        self.out_channels = in_channels

    def forward(self, x):
        residual = self.conv2d(torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1))
        return self.relu(x + self.scale * residual)


class InceptionResNetB(nn.Module):
    """Figure 17, 17x17: 1x1 | 1x1 -> 1x7 -> 7x1, linear 1x1 up, scaled residual sum, ReLU."""

    def __init__(self, in_channels, scale, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.scale = scale
        self.branch0 = BasicConv2d(in_channels, c(192), 1)
        self.branch1 = nn.Sequential(
            BasicConv2d(in_channels, c(128), 1),
            BasicConv2d(c(128), c(160), (1, 7), padding=(0, 3)),
            BasicConv2d(c(160), c(192), (7, 1), padding=(3, 0)))
        self.conv2d = nn.Conv2d(2 * c(192), in_channels, 1)
        self.relu = nn.ReLU()
        self.out_channels = in_channels

    def forward(self, x):
        residual = self.conv2d(torch.cat([self.branch0(x), self.branch1(x)], 1))
        return self.relu(x + self.scale * residual)


class InceptionResNetC(nn.Module):
    """Figure 19, 8x8: 1x1 | 1x1 -> 1x3 -> 3x1, linear 1x1 up, scaled residual sum, ReLU unless
    `activate=False` (the network's last block)."""

    def __init__(self, in_channels, scale, width=1.0, activate=True):
        super().__init__()
        c = partial(scaled, width=width)
        self.scale = scale
        self.branch0 = BasicConv2d(in_channels, c(192), 1)
        self.branch1 = nn.Sequential(
            BasicConv2d(in_channels, c(192), 1),
            BasicConv2d(c(192), c(224), (1, 3), padding=(0, 1)),
            BasicConv2d(c(224), c(256), (3, 1), padding=(1, 0)))
        self.conv2d = nn.Conv2d(c(192) + c(256), in_channels, 1)
        self.relu = nn.ReLU() if activate else nn.Identity()
        self.out_channels = in_channels

    def forward(self, x):
        residual = self.conv2d(torch.cat([self.branch0(x), self.branch1(x)], 1))
        return self.relu(x + self.scale * residual)


class InceptionResNetReductionB(nn.Module):
    """Figure 18, 17x17 -> 8x8: max pool | 1x1 -> 3x3/2 | 1x1 -> 3x3/2 | 1x1 -> 3x3 -> 3x3/2."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.branch0 = nn.Sequential(
            BasicConv2d(in_channels, c(256), 1),
            BasicConv2d(c(256), c(384), 3, stride=2))
        self.branch1 = nn.Sequential(
            BasicConv2d(in_channels, c(256), 1),
            BasicConv2d(c(256), c(288), 3, stride=2))
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, c(256), 1),
            BasicConv2d(c(256), c(288), 3, padding=1),
            BasicConv2d(c(288), c(320), 3, stride=2))
        self.branch3 = nn.MaxPool2d(3, 2)
        self.out_channels = c(384) + c(288) + c(320) + in_channels

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class InceptionResNetV2(CheckedInput):
    """Inception-ResNet-v2 (Szegedy et al., 2016) as released with TF-Slim.

    The paper's Figures 16-19 do not add up: Inception-ResNet-B's up-projection has 1154
    channels where Reduction-A delivers 1152 (384 + 384 + 384), and Inception-ResNet-C's has 2048
    where Reduction-B delivers 2144. The released network, whose widths this follows, instead
    reuses Inception v3's stem, then an Inception-A-like block to 320 channels, so that the
    residual stages run at 320, 1088 and 2080 channels.
    """

    def __init__(self, in_channels=3, num_classes=1000, image_size=299, width=1.0, stem="paper",
                 dropout=0.2):
        super().__init__()
        check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size,
                   width=width, stem=stem, dropout=dropout)
        c = partial(scaled, width=width)
        if stem == "paper":
            self.stem, channels = stem_from_rows(INCEPTION_V3_STEM, in_channels, width)
            path = [(k, s, p) for _, _, k, s, p in INCEPTION_V3_STEM]
        else:
            self.stem, channels, path = light_stem(in_channels, c(192)), c(192), [(3, 1, 1)]
        self._setup_input_check("inception_resnet_v2", in_channels, image_size,
                                path + [(3, 2, 0), (3, 2, 0)], stem)
        self.mixed_5b = InceptionA(channels, pool_features=64, width=width, ch1x1=96)
        channels = self.mixed_5b.out_channels                       # 320
        residual = {"A": InceptionResNetA, "B": InceptionResNetB, "C": InceptionResNetC}
        for stage, kind, repeats, scale in INCEPTION_RESNET_V2:
            if kind == "reduction_a":
                block = ReductionA(channels, *map(c, REDUCTION_A["inception_resnet_v2"]))
            elif kind == "reduction_b":
                block = InceptionResNetReductionB(channels, width)
            elif stage == "block8":
                block = InceptionResNetC(channels, scale, width, activate=False)
            else:
                block = nn.Sequential(*(residual[kind](channels, scale, width)
                                        for _ in range(repeats)))
            self.add_module(stage, block)
            channels = getattr(block, "out_channels", channels)   # residual stages keep it
        self.stages = [stage for stage, *_ in INCEPTION_RESNET_V2]
        self.conv2d_7b = BasicConv2d(channels, c(1536), 1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(c(1536), num_classes)

    def forward(self, x):
        self._check_input(x)
        x = self.mixed_5b(self.stem(x))        # (B, 320, 35, 35) at 299x299
        for stage in self.stages:
            x = getattr(self, stage)(x)        # -> 17x17x1088 -> 8x8x2080
        x = self.conv2d_7b(x)                  # (B, 1536, 8, 8)
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


# --- Registered builders ----------------------------------------------------------------------
# The course's form: 28x28 Fashion-MNIST through the light stem, at the width that costs about
# 25 M MACs per image (inception_v4 23.3 M, inception_resnet_v2 27.5 M).
COURSE = dict(in_channels=1, num_classes=10, image_size=28, stem="light", width=0.0625)


@register("inception_v4", image_size=299, course=COURSE)
def inception_v4(**kwargs):
    return InceptionV4(**kwargs)


@register("inception_resnet_v2", image_size=299, course=COURSE)
def inception_resnet_v2(**kwargs):
    return InceptionResNetV2(**kwargs)
