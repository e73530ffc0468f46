"""Inception v2 (BN-Inception), Inception v3, Inception-v4 and Inception-ResNet-v2.

- BN-Inception: Ioffe & Szegedy, 2015, "Batch Normalization", arXiv:1502.03167, Figure 5
  (lecture 003's "Inception V2" table).
- Inception v3: Szegedy et al., 2015, "Rethinking the Inception Architecture for Computer Vision",
  arXiv:1512.00567, built as torchvision builds it: same parameters, same MACs.
- Inception-v4 and Inception-ResNet-v2: Szegedy, Ioffe, Vanhoucke & Alemi, 2016, arXiv:1602.07261,
  built as the released TF-Slim checkpoints (which timm ports).

Explained in the course's Inception chapter, which follows GoogLeNet (`lib/models/googlenet.py`).

Every model takes `in_channels`, `num_classes`, `image_size` (the side of the square input; it is
checked, not used), `width` and `stem`. `width` multiplies every channel count (0.125 keeps one
filter in eight, rounded, at least one). `stem="paper"` is the paper's stem, which takes 224 or 299
pixels down to a 28 or 35 pixel grid; `stem="light"` replaces it with one padded 3x3 convolution
to the same number of channels, so a 28x28 Fashion-MNIST image enters the first Inception module
at 28x28. The course forms use `stem="light"` and a small `width`, at about 25 M MACs per image.
"""
from collections import OrderedDict
from functools import partial
from typing import NamedTuple

import torch
from torch import nn

from lib.models.registry import register

STEMS = ("paper", "light")

# --- Configuration: the papers' tables -----------------------------------------------------

# BN-Inception, Ioffe & Szegedy (2015), Figure 5, the rows before the Inception modules:
# name, type, patch size, stride, output channels. "conv*" is the table's starred convolution:
# separable, a 7x7 depthwise convolution with depth multiplier 8, then a 1x1 convolution.
BN_INCEPTION_STEM = (
    ("conv1", "conv*", 7, 2, 64),          # 224x224 -> 112x112x64
    ("pool1", "max pool", 3, 2, None),     # -> 56x56x64
    ("conv2_reduce", "conv", 1, 1, 64),    # the 3x3 row's "#3x3 reduce"
    ("conv2", "conv", 3, 1, 192),          # -> 56x56x192
    ("pool2", "max pool", 3, 2, None),     # -> 28x28x192
)

# BN-Inception, Figure 5, one row per Inception module. pool_proj None: the pooled input passes
# through unprojected (the table's "max + pass through"); those modules have stride 2.
# name, #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool, pool_proj, stride
BN_INCEPTION = (
    ("3a", 64, 64, 64, 64, 96, "avg", 32, 1),
    ("3b", 64, 64, 96, 64, 96, "avg", 64, 1),
    ("3c", 0, 128, 160, 64, 96, "max", None, 2),
    ("4a", 224, 64, 96, 96, 128, "avg", 128, 1),
    ("4b", 192, 96, 128, 96, 128, "avg", 128, 1),
    ("4c", 160, 128, 160, 128, 160, "avg", 128, 1),
    ("4d", 96, 128, 192, 160, 192, "avg", 128, 1),
    ("4e", 0, 128, 192, 192, 256, "max", None, 2),
    ("5a", 352, 192, 320, 160, 224, "avg", 128, 1),
    ("5b", 352, 192, 320, 192, 224, "max", 128, 1),
)

# Inception v3, Table 1 of the paper, the rows before the Inception modules, as torchvision and
# TF-Slim build them: name, output channels (None: 3x3/2 max pool), kernel, stride, padding.
# Where the table differs: it has a 3x3/1 convolution to 71x71x80 where the code has a 1x1 to
# 73x73x80, a 3x3/2 convolution to 35x35x192 where the code has a 3x3/1 to 71x71x192 and a pool,
# and a further 3x3 convolution to 35x35x288 that the code does not have.
INCEPTION_V3_STEM = (
    ("Conv2d_1a_3x3", 32, 3, 2, 0),    # 299x299x3 -> 149x149x32
    ("Conv2d_2a_3x3", 32, 3, 1, 0),    # -> 147x147x32
    ("Conv2d_2b_3x3", 64, 3, 1, 1),    # -> 147x147x64, the table's "conv padded"
    ("maxpool1", None, 3, 2, 0),       # -> 73x73x64
    ("Conv2d_3b_1x1", 80, 1, 1, 0),    # -> 73x73x80
    ("Conv2d_4a_3x3", 192, 3, 1, 0),   # -> 71x71x192
    ("maxpool2", None, 3, 2, 0),       # -> 35x35x192
)

# Inception v3's modules: name, block, argument. A is Figure 5 (argument: pool_features), C is
# Figure 6 (channels_7x7, the width of its 7x1 and 1x7 layers), E is Figure 7; B and D reduce the
# grid (Figure 10). Table 1 lists 5 Figure-6 modules; the released model has the reduction and 4.
INCEPTION_V3 = (
    ("Mixed_5b", "A", 32),       # 35x35x192 -> 35x35x256
    ("Mixed_5c", "A", 64),       # -> 35x35x288
    ("Mixed_5d", "A", 64),       # -> 35x35x288
    ("Mixed_6a", "B", None),     # -> 17x17x768
    ("Mixed_6b", "C", 128),
    ("Mixed_6c", "C", 160),
    ("Mixed_6d", "C", 160),
    ("Mixed_6e", "C", 192),      # -> 17x17x768; the auxiliary classifier reads this
    ("Mixed_7a", "D", None),     # -> 8x8x1280
    ("Mixed_7b", "E", None),     # -> 8x8x2048
    ("Mixed_7c", "E", None),     # -> 8x8x2048
)

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


# --- Shared pieces --------------------------------------------------------------------------

def scaled(channels: int, width: float) -> int:
    """`channels` times the width multiplier, rounded, at least 1; 0 (an absent branch) stays 0."""
    return 0 if channels == 0 else max(1, int(channels * width + 0.5))


def smallest_input(path) -> int:
    """The smallest square input that a sequence of (kernel, stride, padding) layers maps to at
    least one pixel: the layers that change the grid along a network's main path."""
    n = 1
    while True:
        size = n
        for k, s, p in path:
            if size + 2 * p < k:
                break
            size = (size + 2 * p - k) // s + 1
        else:
            return n
        n += 1


def check_args(model: str, in_channels, num_classes, image_size, width, stem, dropout) -> None:
    """ValueErrors that name the bad value and what would be valid."""
    for label, value in (("in_channels", in_channels), ("num_classes", num_classes),
                         ("image_size", image_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{model}: {label} must be a positive integer, got {value!r}")
    if not isinstance(width, (int, float)) or isinstance(width, bool) or not width > 0:
        raise ValueError(f"{model}: width must be a positive number (1.0 is the paper's "
                         f"network, 0.125 keeps one filter in eight), got {width!r}")
    if stem not in STEMS:
        raise ValueError(f"{model}: stem={stem!r}; valid: 'paper' (the paper's stem) or 'light' "
                         f"(one 3x3 convolution that keeps the input's resolution)")
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout < 1:
        raise ValueError(f"{model}: dropout must be a probability in [0, 1), got {dropout!r}")


class CheckedInput(nn.Module):
    """Base of the models here: checks the input's shape before the first layer sees it, so a
    wrong input raises a ValueError that says what the model expects."""

    def _setup_input_check(self, model, in_channels, image_size, path, stem):
        self.model_name, self.in_channels = model, in_channels
        self.min_input_size = smallest_input(path)
        if image_size < self.min_input_size:
            hint = "; use stem='light' for small images" if stem == "paper" else ""
            raise ValueError(f"{model} with stem={stem!r} needs image_size >= "
                             f"{self.min_input_size}, got {image_size}{hint}")

    def _check_input(self, x):
        if x.dim() != 4 or x.shape[1] != self.in_channels or min(x.shape[-2:]) < self.min_input_size:
            raise ValueError(
                f"{self.model_name} expects (batch, {self.in_channels}, H, W) with H, W >= "
                f"{self.min_input_size}, got {tuple(x.shape)}")


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm, ReLU: every convolution of these networks except the
    residual up-projections of Inception-ResNet. eps=0.001 as in the TensorFlow originals."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class SeparableConv2d(nn.Module):
    """Depthwise separable convolution: a k x k convolution of each input channel on its own
    (`depth_multiplier` filters per channel), then a 1x1 convolution that mixes the channels.
    No nonlinearity between the two.

    params = k*k*c_in*depth_multiplier + c_in*depth_multiplier*c_out, against k*k*c_in*c_out for a
    full convolution. BN-Inception's first layer is one (depth multiplier 8); Xception is built of
    them (depth multiplier 1).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 depth_multiplier=1, bias=False):
        super().__init__()
        mid = in_channels * depth_multiplier
        self.depthwise = nn.Conv2d(in_channels, mid, kernel_size, stride, padding,
                                   groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(mid, out_channels, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


def _light_stem(in_channels, out_channels):
    """The course's stem: one padded 3x3 convolution, no downsampling."""
    return nn.Sequential(OrderedDict(conv=BasicConv2d(in_channels, out_channels, 3, padding=1)))


# --- BN-Inception (Inception v2) --------------------------------------------------------------

class BNInceptionBlock(nn.Module):
    """One row of Figure 5: a 1x1 branch, a 1x1 -> 3x3 branch, a 1x1 -> 3x3 -> 3x3 branch (the two
    3x3s replace GoogLeNet's 5x5) and a pooling branch, concatenated along channels.

    With stride 2 the 3x3 branches end with a stride-2 convolution, there is no 1x1 branch
    (ch1x1=0) and the max-pooled input passes through unprojected (pool_proj=None), so the
    output has ch3x3 + ch3x3dbl + in_channels channels on half the grid.
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch3x3dblred, ch3x3dbl, pool,
                 pool_proj, stride=1):
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, ch1x1, 1) if ch1x1 else None
        self.branch3x3 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, 1),
            BasicConv2d(ch3x3red, ch3x3, 3, stride=stride, padding=1))
        self.branch3x3dbl = nn.Sequential(
            BasicConv2d(in_channels, ch3x3dblred, 1),
            BasicConv2d(ch3x3dblred, ch3x3dbl, 3, padding=1),
            BasicConv2d(ch3x3dbl, ch3x3dbl, 3, stride=stride, padding=1))
        pooling = (nn.AvgPool2d(3, stride, padding=1, count_include_pad=False) if pool == "avg"
                   else nn.MaxPool2d(3, stride, padding=1))
        self.branch_pool = nn.Sequential(pooling) if pool_proj is None else nn.Sequential(
            pooling, BasicConv2d(in_channels, pool_proj, 1))
        self.out_channels = ch1x1 + ch3x3 + ch3x3dbl + (in_channels if pool_proj is None else pool_proj)

    def forward(self, x):
        branches = [self.branch3x3(x), self.branch3x3dbl(x), self.branch_pool(x)]
        if self.branch1x1 is not None:
            branches.insert(0, self.branch1x1(x))
        return torch.cat(branches, 1)


class BNInception(CheckedInput):
    """Inception v2 / BN-Inception (Ioffe & Szegedy, 2015, Figure 5): GoogLeNet with batch norm
    after every convolution, each 5x5 replaced by two 3x3s, 3c and 4e as stride-2 modules with a
    pass-through max pool, and a separable first convolution. No dropout by default: the paper
    removes it (section 4.2.1).
    """

    def __init__(self, in_channels=3, num_classes=1000, image_size=224, width=1.0, stem="paper",
                 dropout=0.0):
        super().__init__()
        check_args("inception_bn", in_channels, num_classes, image_size, width, stem, dropout)
        c = partial(scaled, width=width)
        if stem == "paper":
            layers, channels = OrderedDict(), in_channels
            for name, kind, k, s, out in BN_INCEPTION_STEM:
                if kind == "max pool":
                    layers[name] = nn.MaxPool2d(k, s, padding=1)
                    continue
                if kind == "conv*":
                    layers[name] = nn.Sequential(
                        SeparableConv2d(channels, c(out), k, s, k // 2, depth_multiplier=8),
                        nn.BatchNorm2d(c(out), eps=0.001), nn.ReLU(inplace=True))
                else:
                    layers[name] = BasicConv2d(channels, c(out), k, s, k // 2)
                channels = c(out)
            self.stem = nn.Sequential(layers)
        else:
            self.stem, channels = _light_stem(in_channels, c(192)), c(192)
        self._setup_input_check("inception_bn", in_channels, image_size,
                                [(7, 2, 3), (3, 2, 1), (3, 2, 1)] if stem == "paper" else [], stem)
        blocks = OrderedDict()
        for name, ch1x1, ch3x3red, ch3x3, dblred, dbl, pool, proj, stride in BN_INCEPTION:
            block = BNInceptionBlock(channels, c(ch1x1), c(ch3x3red), c(ch3x3), c(dblred), c(dbl),
                                     pool, None if proj is None else c(proj), stride)
            blocks[f"inception_{name}"] = block
            channels = block.out_channels
        self.blocks = nn.Sequential(blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        self._check_input(x)
        x = self.stem(x)                       # (B, 192, 28, 28) at 224x224
        x = self.blocks(x)                     # (B, 1024, 7, 7)
        x = self.avgpool(x).flatten(1)         # (B, 1024)
        return self.fc(self.dropout(x))


# --- Inception v3 -----------------------------------------------------------------------------

class InceptionA(nn.Module):
    """35x35 module, Figure 5: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg pool -> 1x1.

    Figure 5 factorizes the 5x5 into two 3x3s; the released model (and torchvision) keeps a 5x5
    branch beside the double 3x3 one. `ch1x1` is 64 in Inception v3 and 96 in the block that
    ends Inception-ResNet-v2's stem.
    """

    def __init__(self, in_channels, pool_features, width=1.0, ch1x1=64):
        super().__init__()
        c = partial(scaled, width=width)
        self.branch1x1 = BasicConv2d(in_channels, c(ch1x1), 1)
        self.branch5x5 = nn.Sequential(
            BasicConv2d(in_channels, c(48), 1),
            BasicConv2d(c(48), c(64), 5, padding=2))
        self.branch3x3dbl = nn.Sequential(
            BasicConv2d(in_channels, c(64), 1),
            BasicConv2d(c(64), c(96), 3, padding=1),
            BasicConv2d(c(96), c(96), 3, padding=1))
        self.branch_pool = nn.Sequential(
            nn.AvgPool2d(3, 1, padding=1),
            BasicConv2d(in_channels, c(pool_features), 1))
        self.out_channels = c(ch1x1) + c(64) + c(96) + c(pool_features)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5(x), self.branch3x3dbl(x),
                          self.branch_pool(x)], 1)


class InceptionB(nn.Module):
    """Grid reduction 35x35 -> 17x17 (Figure 10's idea: strided convolutions beside a max pool,
    concatenated, instead of a pool before or after a wider convolution)."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.branch3x3 = BasicConv2d(in_channels, c(384), 3, stride=2)
        self.branch3x3dbl = nn.Sequential(
            BasicConv2d(in_channels, c(64), 1),
            BasicConv2d(c(64), c(96), 3, padding=1),
            BasicConv2d(c(96), c(96), 3, stride=2))
        self.branch_pool = nn.MaxPool2d(3, 2)
        self.out_channels = c(384) + c(96) + in_channels

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl(x), self.branch_pool(x)], 1)


class InceptionC(nn.Module):
    """17x17 module, Figure 6: n x n convolutions factorized into 1 x n then n x 1, with n = 7.
    A 7x7 costs 49 weights per input-output channel pair, a 1x7 and a 7x1 cost 14."""

    def __init__(self, in_channels, channels_7x7, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        c7 = c(channels_7x7)
        self.branch1x1 = BasicConv2d(in_channels, c(192), 1)
        self.branch7x7 = nn.Sequential(
            BasicConv2d(in_channels, c7, 1),
            BasicConv2d(c7, c7, (1, 7), padding=(0, 3)),
            BasicConv2d(c7, c(192), (7, 1), padding=(3, 0)))
        self.branch7x7dbl = nn.Sequential(
            BasicConv2d(in_channels, c7, 1),
            BasicConv2d(c7, c7, (7, 1), padding=(3, 0)),
            BasicConv2d(c7, c7, (1, 7), padding=(0, 3)),
            BasicConv2d(c7, c7, (7, 1), padding=(3, 0)),
            BasicConv2d(c7, c(192), (1, 7), padding=(0, 3)))
        self.branch_pool = nn.Sequential(
            nn.AvgPool2d(3, 1, padding=1),
            BasicConv2d(in_channels, c(192), 1))
        self.out_channels = 4 * c(192)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch7x7(x), self.branch7x7dbl(x),
                          self.branch_pool(x)], 1)


class InceptionD(nn.Module):
    """Grid reduction 17x17 -> 8x8."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.branch3x3 = nn.Sequential(
            BasicConv2d(in_channels, c(192), 1),
            BasicConv2d(c(192), c(320), 3, stride=2))
        self.branch7x7x3 = nn.Sequential(
            BasicConv2d(in_channels, c(192), 1),
            BasicConv2d(c(192), c(192), (1, 7), padding=(0, 3)),
            BasicConv2d(c(192), c(192), (7, 1), padding=(3, 0)),
            BasicConv2d(c(192), c(192), 3, stride=2))
        self.branch_pool = nn.MaxPool2d(3, 2)
        self.out_channels = c(320) + c(192) + in_channels

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch7x7x3(x), self.branch_pool(x)], 1)


class InceptionE(nn.Module):
    """8x8 module, Figure 7: the 3x3s split into parallel 1x3 and 3x1 whose outputs are
    concatenated (wider rather than deeper, for the coarsest grid)."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.branch1x1 = BasicConv2d(in_channels, c(320), 1)
        self.branch3x3_1 = BasicConv2d(in_channels, c(384), 1)
        self.branch3x3_2a = BasicConv2d(c(384), c(384), (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(c(384), c(384), (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, c(448), 1)
        self.branch3x3dbl_2 = BasicConv2d(c(448), c(384), 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(c(384), c(384), (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(c(384), c(384), (3, 1), padding=(1, 0))
        self.branch_pool = nn.Sequential(
            nn.AvgPool2d(3, 1, padding=1),
            BasicConv2d(in_channels, c(192), 1))
        self.out_channels = c(320) + 4 * c(384) + c(192)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        b3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat([self.branch1x1(x),
                          self.branch3x3_2a(b3), self.branch3x3_2b(b3),
                          self.branch3x3dbl_3a(b3dbl), self.branch3x3dbl_3b(b3dbl),
                          self.branch_pool(x)], 1)


class InceptionAux(nn.Module):
    """The auxiliary classifier on the 17x17 grid (section 4: it acts as a regularizer)."""

    def __init__(self, in_channels, num_classes, width=1.0):
        super().__init__()
        c = partial(scaled, width=width)
        self.pool = nn.AvgPool2d(5, stride=3)                 # 17x17 -> 5x5
        self.conv0 = BasicConv2d(in_channels, c(128), 1)
        self.conv1 = BasicConv2d(c(128), c(768), 5)           # -> 1x1
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c(768), num_classes)

    def forward(self, x):
        x = self.conv1(self.conv0(self.pool(x)))
        return self.fc(self.avgpool(x).flatten(1))


class InceptionOutputs(NamedTuple):
    logits: torch.Tensor
    aux_logits: torch.Tensor


_V3_BLOCKS = {"A": InceptionA, "B": InceptionB, "C": InceptionC, "D": InceptionD, "E": InceptionE}


def _stem_from_rows(rows, in_channels, width):
    """A stem from (name, out_channels or None for a 3x3/2 max pool, kernel, stride, padding) rows."""
    layers, channels = OrderedDict(), in_channels
    for name, out, k, s, p in rows:
        if out is None:
            layers[name] = nn.MaxPool2d(k, s, p)
        else:
            layers[name] = BasicConv2d(channels, scaled(out, width), k, s, p)
            channels = scaled(out, width)
    return nn.Sequential(layers), channels


class InceptionV3(CheckedInput):
    """Inception v3 (Szegedy et al., 2015) as torchvision builds it.

    `aux_logits=True` (torchvision's default) adds the auxiliary classifier: in training mode the
    model then returns `InceptionOutputs(logits, aux_logits)`, in eval mode the logits alone. Its
    3.3 M parameters are part of torchvision's published 27,161,264; its 5.7 M MACs are not part
    of the published 5.713 GMACs, which count inference.
    """

    def __init__(self, in_channels=3, num_classes=1000, image_size=299, width=1.0, stem="paper",
                 aux_logits=True, dropout=0.5):
        super().__init__()
        check_args("inception_v3", in_channels, num_classes, image_size, width, stem, dropout)
        if stem == "paper":
            self.stem, channels = _stem_from_rows(INCEPTION_V3_STEM, in_channels, width)
            path = [(k, s, p) for _, _, k, s, p in INCEPTION_V3_STEM]
        else:
            self.stem, channels = _light_stem(in_channels, scaled(192, width)), scaled(192, width)
            path = [(3, 1, 1)]
        path_17 = path + [(3, 2, 0)]                     # Mixed_6a
        if aux_logits and smallest_input(path_17 + [(5, 3, 0), (5, 1, 0)]) > image_size:
            raise ValueError(
                f"inception_v3: the auxiliary classifier needs a 17x17 grid after Mixed_6e, which "
                f"stem={stem!r} reaches from image_size >= "
                f"{smallest_input(path_17 + [(5, 3, 0), (5, 1, 0)])}; got image_size={image_size}, "
                f"so pass aux_logits=False")
        self._setup_input_check("inception_v3", in_channels, image_size, path_17 + [(3, 2, 0)], stem)
        mixed_5_6, mixed_7 = OrderedDict(), OrderedDict()
        for name, kind, arg in INCEPTION_V3:
            block = _V3_BLOCKS[kind](channels, *(() if arg is None else (arg,)), width=width)
            (mixed_7 if name.startswith("Mixed_7") else mixed_5_6)[name] = block
            channels = block.out_channels
            if name == "Mixed_6e":
                channels_17 = channels
        self.mixed_5_6 = nn.Sequential(mixed_5_6)
        self.AuxLogits = InceptionAux(channels_17, num_classes, width) if aux_logits else None
        self.mixed_7 = nn.Sequential(mixed_7)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        self._check_input(x)
        x = self.stem(x)                       # (B, 192, 35, 35) at 299x299
        x = self.mixed_5_6(x)                  # (B, 768, 17, 17)
        aux = self.AuxLogits(x) if self.AuxLogits is not None and self.training else None
        x = self.mixed_7(x)                    # (B, 2048, 8, 8)
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        return x if aux is None else InceptionOutputs(x, aux)


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
    """Figure 5, 17x17: factorized 7x7s, in one (1x7, 7x1) and in two (7x1, 1x7, 7x1, 1x7) steps."""

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
        check_args("inception_v4", in_channels, num_classes, image_size, width, stem, dropout)
        c = partial(scaled, width=width)
        if stem == "paper":
            self.stem = InceptionV4Stem(in_channels, width)
            channels = self.stem.out_channels
            path = [(3, 2, 0), (3, 1, 0), (3, 2, 0), (3, 1, 0), (3, 2, 0)]
        else:
            self.stem, channels, path = _light_stem(in_channels, c(384)), c(384), [(3, 1, 1)]
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
        check_args("inception_resnet_v2", in_channels, num_classes, image_size, width, stem, dropout)
        c = partial(scaled, width=width)
        if stem == "paper":
            self.stem, channels = _stem_from_rows(INCEPTION_V3_STEM, in_channels, width)
            path = [(k, s, p) for _, _, k, s, p in INCEPTION_V3_STEM]
        else:
            self.stem, channels, path = _light_stem(in_channels, c(192)), c(192), [(3, 1, 1)]
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
                block = nn.Sequential(*(residual[kind](channels, scale, width) for _ in range(repeats)))
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
# Course forms: 28x28 Fashion-MNIST through the light stem, at the width that costs about 25 M MACs
# per image (inception_bn 24.5 M, inception_v3 25.9 M, inception_v4 23.3 M, inception_resnet_v2
# 27.5 M). Inception v3's auxiliary classifier needs a 17x17 grid, which 28x28 inputs never reach.

def _square(default):
    return lambda in_channels=3, image_size=default, **_: (in_channels, image_size, image_size)


_COURSE = dict(in_channels=1, num_classes=10, image_size=28, stem="light")


@register("inception_bn", input_size=_square(224), course=dict(_COURSE, width=0.125))
def inception_bn(**kwargs):
    return BNInception(**kwargs)


@register("inception_v3", input_size=_square(299),
          course=dict(_COURSE, width=0.1, aux_logits=False))
def inception_v3(**kwargs):
    return InceptionV3(**kwargs)


@register("inception_v4", input_size=_square(299), course=dict(_COURSE, width=0.0625))
def inception_v4(**kwargs):
    return InceptionV4(**kwargs)


@register("inception_resnet_v2", input_size=_square(299), course=dict(_COURSE, width=0.0625))
def inception_resnet_v2(**kwargs):
    return InceptionResNetV2(**kwargs)
