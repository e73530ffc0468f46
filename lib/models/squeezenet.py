"""SqueezeNet (Iandola et al., 2016, "SqueezeNet: AlexNet-level accuracy with 50x fewer
parameters and <0.5MB model size", arXiv:1602.07360). Explained in
chapters/12_squeezenet.ipynb.

Three strategies (paper, Section 3.1): replace 3x3 filters by 1x1 filters, feed the remaining
3x3 filters fewer input channels (the squeeze layer), and downsample late. SqueezeNet 1.1 (the
authors' repository, github.com/forresti/SqueezeNet) moves the pooling earlier and shrinks
conv1 for 2.4x less computation at the same accuracy.

The paper's design-space exploration (Section 5) varies two metaparameters of every fire module
while keeping its expand width e = e1x1 + e3x3: the squeeze ratio SR = s1x1 / e (0.125 in
Table 1) and the fraction of 3x3 filters pct_3x3 = e3x3 / e (0.5). `squeeze_ratio` and
`pct_3x3` set them; their defaults give Table 1 exactly.

Course scale (`course_config(name)`): one input channel, ten classes, a 32x32 input, every channel
kept, and no ReLU after conv10 (`class_relus=False`, as for NiN). With that ReLU, a class whose
map is negative at every pixel scores 0 and gets no gradient, and a short run can lose every
class that way (chapter 12, section 12.6).
"""
import torch
from torch import nn
from torch.nn import init

from lib.checks import number, one_of
from lib.models.checks import check_args
from lib.models.registry import register

# Paper, Table 1 (1.0) and the repository's v1.1: ("conv1", out channels, kernel, stride),
# "M" a 3x3 max-pool with stride 2, and (s1x1, e1x1, e3x3) a fire module.
CONFIGS = {
    "1_0": [("conv1", 96, 7, 2), "M", (16, 64, 64), (16, 64, 64), (32, 128, 128), "M",
            (32, 128, 128), (48, 192, 192), (48, 192, 192), (64, 256, 256), "M", (64, 256, 256)],
    "1_1": [("conv1", 64, 3, 2), "M", (16, 64, 64), (16, 64, 64), "M", (32, 128, 128),
            (32, 128, 128), "M", (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256)],
}

#: Section 5's metaparameters of Table 1: squeeze ratio SR and fraction of 3x3 expand filters.
SQUEEZE_RATIO, PCT_3X3 = 0.125, 0.5


def fire_sizes(expand, squeeze_ratio=SQUEEZE_RATIO, pct_3x3=PCT_3X3):
    """(s1x1, e1x1, e3x3) of a fire module with `expand` = e1x1 + e3x3 filters:
    s1x1 = SR * e and e3x3 = pct_3x3 * e, rounded (Section 5). fire_sizes(128) = (16, 64, 64)."""
    number("squeeze_ratio", squeeze_ratio, 0, 1, low_open=True,
           hint=" (the paper explores 0.125 to 1)")
    number("pct_3x3", pct_3x3, 0, 1, low_open=True, high_open=True,
           hint=" (the paper explores 0.01 to 0.99)")
    e3x3 = round(pct_3x3 * expand)
    if not 1 <= e3x3 < expand:
        raise ValueError(f"pct_3x3={pct_3x3} leaves {e3x3} of {expand} expand filters 3x3: "
                         f"keep pct_3x3 within [{0.5 / expand:.3g}, {1 - 0.5 / expand:.3g}] "
                         f"so that both kinds remain")
    return max(1, round(squeeze_ratio * expand)), expand - e3x3, e3x3


class Fire(nn.Module):
    """A squeeze layer of 1x1 filters feeding an expand layer of 1x1 and 3x3 filters whose
    outputs are concatenated (paper, Figure 1).

    Args:
        in_channels: channels in.
        squeeze: s1x1, filters of the squeeze layer (fewer than in_channels).
        expand1x1: e1x1, 1x1 filters of the expand layer.
        expand3x3: e3x3, 3x3 filters of the expand layer; the output has e1x1 + e3x3 channels.

    Parameters: in * s1x1 + s1x1 * (e1x1 + 9 * e3x3) weights and s1x1 + e1x1 + e3x3 biases.
    """

    def __init__(self, in_channels, squeeze, expand1x1, expand3x3):
        super().__init__()
        self.squeeze = nn.Conv2d(in_channels, squeeze, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))  # (B, s1x1, H, W)
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)  # (B, e1x1+e3x3, H, W)


class SqueezeNet(nn.Module):
    """SqueezeNet without bypass connections: fire modules, then a 1x1 convolution to the
    classes and a global average pool in place of fully connected layers.

    Args:
        version: "1_0" (the paper's Table 1) or "1_1" (the authors' repository).
        squeeze_ratio: SR, squeeze filters per expand filter in every fire module.
        pct_3x3: the fraction of each fire module's expand filters that are 3x3.
        class_relus: True (the paper's network) puts a ReLU after conv10, the 1x1 convolution to
            the classes; False puts an identity there, so that class maps may be negative.
    """

    def __init__(self, version="1_0", in_channels=3, num_classes=1000, dropout=0.5,
                 squeeze_ratio=SQUEEZE_RATIO, pct_3x3=PCT_3X3, class_relus=True):
        super().__init__()
        check_args(in_channels=in_channels, num_classes=num_classes, dropout=dropout)
        one_of("class_relus", class_relus, (True, False))
        fire_sizes(128, squeeze_ratio, pct_3x3)  # checks both before any layer is built
        layers = []
        for v in CONFIGS[one_of("version", version, CONFIGS)]:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True))
            elif v[0] == "conv1":
                _, out_channels, k, s = v
                layers += [nn.Conv2d(in_channels, out_channels, k, s), nn.ReLU(inplace=True)]
                in_channels = out_channels
            else:
                s1x1, e1x1, e3x3 = fire_sizes(v[1] + v[2], squeeze_ratio, pct_3x3)
                layers.append(Fire(in_channels, s1x1, e1x1, e3x3))
                in_channels = e1x1 + e3x3
        self.features = nn.Sequential(*layers)
        final_conv = nn.Conv2d(in_channels, num_classes, kernel_size=1)  # conv10
        # An identity in place of the ReLU keeps torchvision's indices (classifier.1 is conv10).
        class_activation = nn.ReLU(inplace=True) if class_relus else nn.Identity()
        self.classifier = nn.Sequential(nn.Dropout(dropout), final_conv, class_activation,
                                        nn.AdaptiveAvgPool2d(1), nn.Flatten())
        # The authors' initialisation: He uniform, but N(0, 0.01^2) for the last convolution.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    init.kaiming_uniform_(m.weight)
                init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.features(x))  # (B, num_classes)


COURSE = {"in_channels": 1, "num_classes": 10, "image_size": 32, "class_relus": False}


@register("squeezenet1_0", course=COURSE)
def squeezenet1_0(image_size=224, **kwargs):
    """SqueezeNet 1.0 (1.25 M parameters, 819 M MACs at 224x224). The course form takes 32x32
    Fashion-MNIST, about 8 M MACs per image; the network is fully convolutional, so
    `image_size` only sets the input size."""
    return SqueezeNet("1_0", **kwargs)


@register("squeezenet1_1", course=COURSE)
def squeezenet1_1(image_size=224, **kwargs):
    """SqueezeNet 1.1 (1.24 M parameters, 349 M MACs at 224x224). The course form takes 32x32
    Fashion-MNIST, about 3 M MACs per image."""
    return SqueezeNet("1_1", **kwargs)
