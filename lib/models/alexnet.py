"""AlexNet (Krizhevsky, Sutskever & Hinton, NeurIPS 2012). Explained in chapters/04_alexnet.ipynb.

The single-tower form the lectures and d2l teach: the paper's two GPU towers merged into one
(96-256-384-384-256 channels), no local response normalisation, ReLU, overlapping 3x3/2 max
pooling, and two 4096-wide dense layers with dropout.

Geometry. The paper states a 224x224 input but an 11x11/4 convolution only yields its 55x55
maps from 227x227. Like d2l, the default is 224x224 with padding 1 on conv1, which gives
54x54 -> 26x26 -> 12x12 -> 5x5 maps: this is the geometry of the lecture's complexity table
(conv1 34,848 weights x 54x54 = 101.6 M MACs; dense1 256x5x5x4096 = 26.2 M weights).
torchvision's `alexnet` is a different network (64-192-384-256-256 channels, Krizhevsky 2014).

Course scale (`course_config("alexnet")`): one input channel, ten classes, a 128x128 input,
a quarter of the channels (24-64-96-96-64) and 512-wide dense layers: about 17.5 M MACs per
image, which trains on a CPU. `create("alexnet", in_channels=1, num_classes=10)` is d2l's
Fashion-MNIST AlexNet at 224x224.
"""
from collections import OrderedDict

from torch import nn

from lib.geometry import output_sizes
from lib.models.checks import check_args, too_small
from lib.models.layers import init_weights, scale_channels
from lib.models.registry import register

# conv1..conv5: out_channels, kernel, stride, padding, whether a 3x3/2 max-pool follows.
CONFIG = (
    (96, 11, 4, 1, True),
    (256, 5, 1, 2, True),
    (384, 3, 1, 1, False),
    (384, 3, 1, 1, False),
    (256, 3, 1, 1, True),
)
POOL = (3, 2)  # overlapping max pooling: a 3x3 window every 2 pixels

# The (kernel, stride, padding) of every layer that changes the side of the feature maps.
PATH = [layer for _, k, s, p, pool in CONFIG
        for layer in [(k, s, p)] + ([(*POOL, 0)] if pool else [])]


def feature_size(image_size: int) -> int:
    """Side of the last feature map for a square `image_size` input (5 for 224).

    Raises ValueError, naming the smallest valid size, when the input is too small."""
    check_args(image_size=image_size)
    too_small("AlexNet", image_size, PATH, "the three 3x3/2 max-pools leave no pixels")
    return output_sizes(image_size, PATH)[-1]


class AlexNet(nn.Module):
    """AlexNet.

    Args:
        in_channels: channels of the input image (3 for RGB, 1 for Fashion-MNIST).
        num_classes: outputs of the last layer.
        image_size: side of the square input; fixes the width of the first dense layer.
        width_mult: multiplies the five convolutions' channel counts (0.25 gives 24-64-96-96-64).
        hidden: width of the two hidden dense layers (4096 in the paper).
        dropout: dropout probability after each hidden dense layer.
    """

    def __init__(self, in_channels=3, num_classes=1000, image_size=224, width_mult=1.0,
                 hidden=4096, dropout=0.5):
        super().__init__()
        check_args(in_channels=in_channels, num_classes=num_classes, width_mult=width_mult,
                   hidden=hidden, dropout=dropout)
        side = feature_size(image_size)
        layers = []
        for i, (out_channels, k, s, p, pool) in enumerate(CONFIG, start=1):
            out_channels = scale_channels(out_channels, width_mult)
            layers += [(f"conv{i}", nn.Conv2d(in_channels, out_channels, k, s, p)),
                       (f"relu{i}", nn.ReLU(inplace=True))]
            if pool:
                layers.append((f"pool{i}", nn.MaxPool2d(*POOL)))
            in_channels = out_channels
        self.features = nn.Sequential(OrderedDict(layers))  # (B, 256, 5, 5) at 224x224
        self.classifier = nn.Sequential(OrderedDict([
            ("flatten", nn.Flatten()),
            ("fc6", nn.Linear(in_channels * side * side, hidden)),
            ("relu6", nn.ReLU(inplace=True)),
            ("drop6", nn.Dropout(dropout)),
            ("fc7", nn.Linear(hidden, hidden)),
            ("relu7", nn.ReLU(inplace=True)),
            ("drop7", nn.Dropout(dropout)),
            ("fc8", nn.Linear(hidden, num_classes)),
        ]))
        init_weights(self)

    def forward(self, x):
        return self.classifier(self.features(x))


@register("alexnet", image_size=224,
          course=dict(in_channels=1, num_classes=10, image_size=128, width_mult=0.25, hidden=512))
def alexnet(**kwargs):
    return AlexNet(**kwargs)
