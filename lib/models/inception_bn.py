"""BN-Inception, the Inception v2 of the lectures (Ioffe & Szegedy, 2015, "Batch Normalization:
Accelerating Deep Network Training by Reducing Internal Covariate Shift", arXiv:1502.03167,
Figure 5). Explained in chapters/08_inception.ipynb, after GoogLeNet (`lib.models.googlenet`);
its batch normalisation in chapters/09_batchnorm.ipynb.

GoogLeNet with batch norm after every convolution, each 5x5 convolution replaced by two 3x3s
and a separable first convolution. Lecture 003's "Inception V2" table is this figure.

Like every Inception network here it takes `in_channels`, `num_classes`, `image_size` (the side
of the square input; it is checked, not used), `width` and `stem`. `width` multiplies every
channel count (0.125 keeps one filter in eight, rounded, at least one). `stem="paper"` is the
paper's stem, which takes 224 pixels down to a 28 pixel grid; `stem="light"` replaces it with
one padded 3x3 convolution to the same number of channels, so that a 28x28 Fashion-MNIST image
enters the first Inception module at 28x28.
"""
from collections import OrderedDict
from functools import partial

import torch
from torch import nn

from lib.models.checks import CheckedInput, check_args
from lib.models.layers import BasicConv2d, SeparableConv2d, light_stem, scaled
from lib.models.registry import register

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
        passed = in_channels if pool_proj is None else pool_proj
        self.out_channels = ch1x1 + ch3x3 + ch3x3dbl + passed

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
        check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size,
                   width=width, stem=stem, dropout=dropout)
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
            self.stem, channels = light_stem(in_channels, c(192)), c(192)
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


# The course's form: 28x28 Fashion-MNIST through the light stem, at the width that costs about
# 25 M MACs per image (24.5 M).
@register("inception_bn", image_size=224,
          course=dict(in_channels=1, num_classes=10, image_size=28, stem="light", width=0.125))
def inception_bn(**kwargs):
    return BNInception(**kwargs)
