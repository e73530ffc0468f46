"""Inception v3 (Szegedy et al., 2015, "Rethinking the Inception Architecture for Computer
Vision", arXiv:1512.00567). Explained in chapters/08_inception.ipynb.

Built as torchvision builds it (the network whose parameters, MACs and accuracy are published):
same parameters, same MACs. Its modules factorize convolutions: a 5x5 into two 3x3s (Figure 5),
an n x n into 1 x n then n x 1 (Figure 6), and on the coarsest grid 3x3s into parallel 1x3 and
3x1 (Figure 7); strided convolutions beside a pool reduce the grid (Figure 10).

Arguments as in `lib.models.inception_bn`: `width` multiplies every channel count, and
`stem="light"` replaces the stem (299 -> 35 pixels) with one padded 3x3 convolution.
"""
from collections import OrderedDict
from functools import partial
from typing import NamedTuple

import torch
from torch import nn

from lib.geometry import smallest_input
from lib.models.checks import CheckedInput, check_args
from lib.models.layers import BasicConv2d, light_stem, scaled, stem_from_rows
from lib.models.registry import register

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
        check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size,
                   width=width, stem=stem, dropout=dropout)
        if stem == "paper":
            self.stem, channels = stem_from_rows(INCEPTION_V3_STEM, in_channels, width)
            path = [(k, s, p) for _, _, k, s, p in INCEPTION_V3_STEM]
        else:
            self.stem, channels = light_stem(in_channels, scaled(192, width)), scaled(192, width)
            path = [(3, 1, 1)]
        path_17 = path + [(3, 2, 0)]                     # Mixed_6a
        if aux_logits:
            _check_aux_fits(image_size, stem, path_17)
        self._setup_input_check("inception_v3", in_channels, image_size, path_17 + [(3, 2, 0)],
                                stem)
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


# The course's form: 28x28 Fashion-MNIST through the light stem, at the width that costs about
# 25 M MACs per image (25.9 M). The auxiliary classifier needs a 17x17 grid, which 28x28 inputs
# never reach.
@register("inception_v3", image_size=299,
          course=dict(in_channels=1, num_classes=10, image_size=28, stem="light", width=0.1,
                      aux_logits=False))
def inception_v3(**kwargs):
    return InceptionV3(**kwargs)


# --- Checks ----------------------------------------------------------------------------------

def _check_aux_fits(image_size, stem, path_17):
    """The auxiliary classifier's 5x5/3 pool and 5x5 convolution need the 17x17 grid."""
    smallest = smallest_input(path_17 + [(5, 3, 0), (5, 1, 0)])
    if image_size < smallest:
        raise ValueError(
            f"inception_v3: the auxiliary classifier needs a 17x17 grid after Mixed_6e, which "
            f"stem={stem!r} reaches from image_size >= {smallest}; got image_size="
            f"{image_size}, so pass aux_logits=False")
