"""GoogLeNet, Inception v1 (Szegedy et al., CVPR 2015, arXiv:1409.4842). Explained in
chapters/07_googlenet.ipynb.

The network of the paper's Table 1: 5x5 convolutions in the Inception modules, no batch
normalisation, local response normalisation in the stem (`lrn=False` removes it, as d2l does),
40% dropout before the classifier and, with `aux_logits=True`, the two auxiliary classifiers of
Section 5 on the outputs of Inception (4a) and (4d). torchvision's `googlenet` is a later
variant (batch normalisation after every convolution, a 3x3 convolution where the paper has
5x5), so it has different parameter and MAC counts.

Max-pools use padding 1 (TensorFlow's "same"): a 3x3/2 pool maps n pixels to ceil(n/2), which
gives the paper's 112 -> 56 -> 28 -> 14 -> 7 at 224x224 and works for any input size.

Course scale (`course_config("googlenet")`): one input channel, ten classes, a 96x96 input (d2l's
resolution) and a quarter of every channel count: about 19 M MACs per image.
`create("googlenet", in_channels=1, num_classes=10, lrn=False)` at 96x96 is d2l's Fashion-MNIST
GoogLeNet apart from its dropout.
"""
import math
from collections import OrderedDict
from typing import NamedTuple

import torch
from torch import nn

from lib.checks import integer, one_of
from lib.geometry import conv_output_size
from lib.models.checks import check_args
from lib.models.layers import init_weights, scale_channels
from lib.models.registry import register

# Paper, Table 1, the Inception rows: name, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
# "M" is a 3x3/2 max-pool. The stem before (3a) is written out in GoogLeNet.__init__.
INCEPTIONS = (
    ("3a", 64, 96, 128, 16, 32, 32),
    ("3b", 128, 128, 192, 32, 96, 64),
    "M",
    ("4a", 192, 96, 208, 16, 48, 64),
    ("4b", 160, 112, 224, 24, 64, 64),
    ("4c", 128, 128, 256, 24, 64, 64),
    ("4d", 112, 144, 288, 32, 64, 64),
    ("4e", 256, 160, 320, 32, 128, 128),
    "M",
    ("5a", 256, 160, 320, 32, 128, 128),
    ("5b", 384, 192, 384, 48, 128, 128),
)
AUX_AFTER = ("4a", "4d")  # Section 5: auxiliary classifiers on these modules' outputs


def _conv(in_channels, out_channels, kernel_size, stride=1, padding=0):
    """A convolution and its ReLU: the paper applies a ReLU after every convolution."""
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)),
        ("relu", nn.ReLU(inplace=True)),
    ]))


def _lrn():
    # The paper gives no LRN constants; these are the Caffe reference model's (bvlc_googlenet).
    return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)


class Inception(nn.Module):
    """The Inception module with dimension reductions (paper, Figure 2b): four branches on the
    same input, concatenated along the channels. (B, in_channels, H, W) -> (B, out_channels, H, W)
    with out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj.

    Args (torchvision's names, the columns of Table 1):
        in_channels: channels of the input.
        ch1x1: the 1x1 branch.
        ch3x3red, ch3x3: the 1x1 reduction before the 3x3 convolution, and the 3x3 convolution.
        ch5x5red, ch5x5: the 1x1 reduction before the 5x5 convolution, and the 5x5 convolution.
        pool_proj: the 1x1 projection after the 3x3/1 max-pool.

    `ch3x3red`, `ch5x5red` and `pool_proj` may be None: that branch then has no 1x1 layer (None
    for all three is the naive module of Figure 2a, whose pool branch passes all in_channels on).
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        _check_inception(in_channels=in_channels, ch1x1=ch1x1, ch3x3red=ch3x3red, ch3x3=ch3x3,
                         ch5x5red=ch5x5red, ch5x5=ch5x5, pool_proj=pool_proj)
        self.branch1 = _conv(in_channels, ch1x1, 1)
        self.branch2 = self._reduce_then(in_channels, ch3x3red, ch3x3, 3)
        self.branch3 = self._reduce_then(in_channels, ch5x5red, ch5x5, 5)
        self.branch4 = nn.Sequential(OrderedDict([("pool", nn.MaxPool2d(3, stride=1, padding=1))]))
        if pool_proj is not None:
            self.branch4.add_module("proj", _conv(in_channels, pool_proj, 1))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + (in_channels if pool_proj is None
                                                     else pool_proj)

    @staticmethod
    def _reduce_then(in_channels, reduced, out_channels, k):
        layers = OrderedDict()
        if reduced is not None:
            layers["reduce"] = _conv(in_channels, reduced, 1)
            in_channels = reduced
        layers[f"conv{k}x{k}"] = _conv(in_channels, out_channels, k, padding=k // 2)
        return nn.Sequential(layers)

    def forward(self, x):
        branches = (self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x))
        return torch.cat(branches, dim=1)  # (B, out_channels, H, W)


class InceptionAux(nn.Module):
    """An auxiliary classifier (paper, Section 5): 5x5/3 average pool (14x14 -> 4x4 at 224x224),
    a 1x1 convolution with 128 filters, a 1024-unit dense layer, 70% dropout, a linear classifier.

    Args:
        in_channels: channels of the module it reads (512 for 4a, 528 for 4d).
        num_classes: outputs.
        in_size: side of its input feature map, which fixes the width of the dense layer.
        channels, hidden: the 128 filters and 1024 units of the paper.
    """

    def __init__(self, in_channels, num_classes, in_size=14, channels=128, hidden=1024,
                 dropout=0.7):
        super().__init__()
        side = conv_output_size(in_size, 5, 0, 3)
        self.pool = nn.AvgPool2d(5, stride=3)
        self.conv = _conv(in_channels, channels, 1)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(channels * side * side, hidden)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = self.flatten(self.conv(self.pool(x)))  # (B, 128 * 4 * 4) at 224x224
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


class GoogLeNetOutputs(NamedTuple):
    """What a GoogLeNet with auxiliary classifiers returns in training mode."""
    logits: torch.Tensor
    aux1: torch.Tensor  # from Inception (4a)
    aux2: torch.Tensor  # from Inception (4d)


class GoogLeNet(nn.Module):
    """GoogLeNet.

    Args:
        in_channels: channels of the input image.
        num_classes: outputs of the classifier (and of the auxiliary classifiers).
        image_size: side of the square input; only the auxiliary classifiers depend on it.
        aux_logits: add the two auxiliary classifiers; in training mode `forward` then returns
            `GoogLeNetOutputs(logits, aux1, aux2)`, in eval mode the logits alone.
        lrn: local response normalisation after the first max-pool and after conv3.
        width_mult: multiplies every channel count of the table (and of the stem and auxiliaries).
        dropout: dropout probability before the classifier (40% in the paper).
        stem: "paper", the layers before (3a), which take 224 pixels down to 28; "light", one
            padded 3x3 convolution to the same 192 channels and a 3x3/2 max-pool, which take a
            28x28 digit to the 14x14 grid that (4a) sees in the paper.
        reductions: False drops the 1x1 reductions before the 3x3 and 5x5 convolutions, so that
            these read all the module's input channels; the pool projections stay, and with them
            every module's output width of Table 1.
    """

    def __init__(self, in_channels=3, num_classes=1000, image_size=224, aux_logits=False,
                 lrn=True, width_mult=1.0, dropout=0.4, stem="paper", reductions=True):
        super().__init__()
        check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size,
                   width_mult=width_mult, dropout=dropout, stem=stem)
        one_of("aux_logits", aux_logits, (False, True))
        one_of("lrn", lrn, (False, True))
        one_of("reductions", reductions, (False, True))

        def w(c):
            return scale_channels(c, width_mult)

        c64, c192 = w(64), w(192)
        if stem == "paper":
            layers = [
                ("conv1", _conv(in_channels, c64, 7, stride=2, padding=3)),  # (B, 64, 112, 112)
                ("maxpool1", nn.MaxPool2d(3, stride=2, padding=1)),          # (B, 64, 56, 56)
                ("lrn1", _lrn()),
                ("conv2", _conv(c64, c64, 1)),                               # the 3x3 reduce
                ("conv3", _conv(c64, c192, 3, padding=1)),                   # (B, 192, 56, 56)
                ("lrn2", _lrn()),
                ("maxpool2", nn.MaxPool2d(3, stride=2, padding=1)),          # (B, 192, 28, 28)
            ]
            side = -(-image_size // 8)
        else:
            layers = [
                ("conv1", _conv(in_channels, c192, 3, padding=1)),           # (B, 192, 28, 28)
                ("maxpool1", nn.MaxPool2d(3, stride=2, padding=1)),          # (B, 192, 14, 14)
            ]
            side = -(-image_size // 2)
        if not lrn:
            layers = [(name, layer) for name, layer in layers if not name.startswith("lrn")]
        channels = c192
        aux = OrderedDict()
        pools = sum(name.startswith("maxpool") for name, _ in layers)
        for row in INCEPTIONS:
            if row == "M":
                pools += 1
                layers.append((f"maxpool{pools}", nn.MaxPool2d(3, stride=2, padding=1)))
                side = math.ceil(side / 2)
                continue
            name, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj = row
            if reductions:
                ch3x3red, ch5x5red = w(ch3x3red), w(ch5x5red)
            else:
                ch3x3red = ch5x5red = None
            block = Inception(channels, w(ch1x1), ch3x3red, w(ch3x3), ch5x5red, w(ch5x5),
                              w(pool_proj))
            layers.append((f"inception{name}", block))
            channels = block.out_channels
            if aux_logits and name in AUX_AFTER:
                if side < 5:
                    raise ValueError(
                        f"image_size={image_size} is too small for the auxiliary classifiers: "
                        f"Inception ({name}) sees {side}x{side} pixels, fewer than their 5x5 "
                        f"average pool; use image_size >= {65 if stem == 'paper' else 17} or "
                        f"aux_logits=False")
                aux[f"inception{name}"] = InceptionAux(channels, num_classes, side, w(128),
                                                       w(1024))
        self.features = nn.Sequential(OrderedDict(layers))  # (B, 1024, 7, 7) at 224x224
        self.aux_logits = aux_logits
        self.aux = nn.ModuleDict(aux) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # the paper's 7x7/1 average pool at 224x224
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)
        # No batch norm rescales what a module passes on, and its 1x1 reductions read many more
        # channels than they write (480 -> 16 before 4a's 5x5): He's fan-out initialisation would
        # multiply the variance at every module (logits of standard deviation 30 at course scale);
        # fan-in keeps it of order one.
        init_weights(self, fan="fan_in")

    def forward(self, x):
        aux = []
        for name, layer in self.features.named_children():
            x = layer(x)
            if self.aux is not None and self.training and name in self.aux:
                aux.append(self.aux[name](x))
        logits = self.fc(self.dropout(self.flatten(self.avgpool(x))))  # (B, num_classes)
        if aux:
            return GoogLeNetOutputs(logits, *aux)
        return logits


@register("googlenet", image_size=224,
          course=dict(in_channels=1, num_classes=10, image_size=96, width_mult=0.25))
def googlenet(**kwargs):
    return GoogLeNet(**kwargs)


# --- Checks ----------------------------------------------------------------------------------

def _check_inception(**channels):
    """Every channel count of an Inception module is a positive integer; the 1x1 layers before
    the 3x3 and 5x5 convolutions and after the pool may be None (absent)."""
    for label, value in channels.items():
        if value is None and label in ("ch3x3red", "ch5x5red", "pool_proj"):
            continue
        integer(label, value)
