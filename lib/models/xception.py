"""Xception (Chollet, 2016, "Xception: Deep Learning with Depthwise Separable Convolutions",
arXiv:1610.02357). Explained in chapters/08_inception.ipynb, after Inception v3.

Xception takes the Inception hypothesis to its end: if cross-channel and spatial correlations can
be mapped separately, map them fully separately, with depthwise separable convolutions
(`SeparableConv2d`: a 3x3 convolution per channel, then a 1x1 across channels). 36 of them, in
14 blocks with residual connections, have the parameter budget of Inception v3.

Arguments as in `lib.models.inception_bn`: `width` multiplies every channel count; `stem="light"`
replaces the two stem convolutions (299 -> 147 pixels) with one padded 3x3 convolution, for the
course's 28x28 images (about 25 M MACs per image at `width=0.25`).
"""
from collections import OrderedDict
from functools import partial

from torch import nn

from lib.models.checks import CheckedInput, check_args
from lib.models.layers import SeparableConv2d, light_stem, scaled, stem_from_rows
from lib.models.registry import register

# Figure 5 of the paper, the stem: name, output channels, kernel, stride, padding.
XCEPTION_STEM = (
    ("conv1", 32, 3, 2, 0),      # 299x299x3 -> 149x149x32
    ("conv2", 64, 3, 1, 0),      # -> 147x147x64
)

# Figure 5, the blocks: flow, output channels of the block's separable convolutions, stride,
# repeats. A stride-2 block ends with a 3x3/2 max pool and has a 1x1/2 convolution on its
# shortcut; a middle-flow block has the identity.
XCEPTION = (
    ("entry_flow", (128, 128), 2, 1),            # -> 74x74x128
    ("entry_flow", (256, 256), 2, 1),            # -> 37x37x256
    ("entry_flow", (728, 728), 2, 1),            # -> 19x19x728
    ("middle_flow", (728, 728, 728), 1, 8),      # 19x19x728
    ("exit_flow", (728, 1024), 2, 1),            # -> 10x10x1024
)

# Figure 5, after the exit flow's block: separable convolutions, each with batch norm and ReLU.
XCEPTION_EXIT = (1536, 2048)


class XceptionBlock(nn.Module):
    """ReLU -> SeparableConv2d -> BN, once per entry of `channels`, then a 3x3 max pool if
    `stride` is 2, plus a shortcut (a 1x1 convolution with batch norm where the shape changes).
    The first block starts without its ReLU (`relu_first=False`): the stem has just applied one.
    """

    def __init__(self, in_channels, channels, stride=1, relu_first=True):
        super().__init__()
        layers, c_in = [], in_channels
        for i, c in enumerate(channels):
            if i > 0 or relu_first:
                layers.append(nn.ReLU())
            layers += [SeparableConv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c)]
            c_in = c
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride, padding=1))
        self.residual = nn.Sequential(*layers)
        self.shortcut = nn.Identity() if stride == 1 and in_channels == c_in else nn.Sequential(
            nn.Conv2d(in_channels, c_in, 1, stride, bias=False), nn.BatchNorm2d(c_in))
        self.out_channels = c_in

    def forward(self, x):
        return self.residual(x) + self.shortcut(x)


class Xception(CheckedInput):
    """Xception: the entry flow, the middle flow repeated eight times, the exit flow, global
    average pooling and a logistic regression. Every convolution is followed by batch norm.
    Dropout 0.5 before the classifier, as in the paper's ImageNet runs (section 4.3).
    """

    def __init__(self, in_channels=3, num_classes=1000, image_size=299, width=1.0, stem="paper",
                 dropout=0.5):
        super().__init__()
        check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size,
                   width=width, stem=stem, dropout=dropout)
        c = partial(scaled, width=width)
        if stem == "paper":
            self.stem, channels = stem_from_rows(XCEPTION_STEM, in_channels, width)
            path = [(k, s, p) for _, _, k, s, p in XCEPTION_STEM]
        else:
            self.stem, channels, path = light_stem(in_channels, c(64)), c(64), [(3, 1, 1)]
        strided = [(3, 2, 1) for _, _, stride, _ in XCEPTION if stride == 2]
        self._setup_input_check("xception", in_channels, image_size, path + strided, stem)
        flows = OrderedDict((flow, []) for flow, *_ in XCEPTION)
        for flow, widths, stride, repeats in XCEPTION:
            for _ in range(repeats):
                block = XceptionBlock(channels, tuple(map(c, widths)), stride,
                                      relu_first=any(flows.values()))
                flows[flow].append(block)
                channels = block.out_channels
        for out in XCEPTION_EXIT:
            flows["exit_flow"] += [SeparableConv2d(channels, c(out), 3, padding=1),
                                   nn.BatchNorm2d(c(out)), nn.ReLU()]
            channels = c(out)
        for flow, blocks in flows.items():
            self.add_module(flow, nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        self._check_input(x)
        x = self.stem(x)                       # (B, 64, 147, 147) at 299x299
        x = self.entry_flow(x)                 # (B, 728, 19, 19)
        x = self.middle_flow(x)                # (B, 728, 19, 19)
        x = self.exit_flow(x)                  # (B, 2048, 10, 10)
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


@register("xception", image_size=299,
          course=dict(in_channels=1, num_classes=10, image_size=28, stem="light", width=0.25))
def xception(**kwargs):
    return Xception(**kwargs)
