"""Network in Network (Lin, Chen & Yan, ICLR 2014, arXiv:1312.4400). Explained in
chapters/06_nin.ipynb.

The ImageNet form of d2l and the lectures: AlexNet's convolutions (96-256-384 channels, 11x11/4,
5x5, 3x3), each followed by two 1x1 convolutions, the "mlpconv" layer of the paper. Instead of
dense layers, a last NiN block has one channel per class and a global average pool turns each
channel into a class score: no parameter depends on the image size.

Course scale (`course_config("nin")`): one input channel, ten classes, a 128x128 input, a quarter
of the channels (24-64-96), about 15 M MACs per image, and no ReLU in the ten-channel last block
(`class_relus=False`): with them, a class whose map is negative at every pixel scores 0 and gets no
gradient, and classes die that way in a short run (chapter 6, section 6.6). `create("nin",
in_channels=1, num_classes=10)` at 224x224 is d2l's Fashion-MNIST NiN.

`head="dense"` ends the same body the way AlexNet does, for comparison (chapter 6, section 6.7):
the third block's pooled output is flattened into dense layers of `hidden`, `hidden` and
`num_classes` units in place of the last NiN block and global average pooling.
"""
from collections import OrderedDict

from torch import nn

from lib.checks import integer, one_of
from lib.geometry import output_sizes
from lib.models.checks import check_args, too_small
from lib.models.layers import init_weights, scale_channels
from lib.models.registry import register

# out_channels (None: num_classes), kernel, stride, padding of each NiN block's first convolution.
# A 3x3/2 max-pool follows each of the first three blocks; dropout precedes the last one.
CONFIG = (
    (96, 11, 4, 0),
    (256, 5, 1, 2),
    (384, 3, 1, 1),
    (None, 3, 1, 1),
)
POOL = (3, 2)


class NiNBlock(nn.Sequential):
    """A convolution and two 1x1 convolutions with the same number of output channels, each
    followed by a ReLU: a small multilayer perceptron slid over every pixel.

    Args:
        in_channels: channels of the input.
        out_channels: channels of all three convolutions.
        kernel_size, stride, padding: of the first convolution (the 1x1s have stride 1, no
            padding).
        relu: False leaves out the three ReLUs: the block is then a linear map.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, relu=True):
        for label, value, low in (("in_channels", in_channels, 1),
                                  ("out_channels", out_channels, 1),
                                  ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                                  ("padding", padding, 0)):
            integer(label, value, low)
        act = [nn.ReLU(inplace=True)] if relu else []
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), *act,
            nn.Conv2d(out_channels, out_channels, 1), *act,
            nn.Conv2d(out_channels, out_channels, 1), *act,
        )


def feature_sizes(image_size: int) -> list[int]:
    """Side of each NiN block's output for a square input ([54, 26, 12, 5] for 224).

    Raises ValueError, naming the smallest valid size, when the input is too small."""
    check_args(image_size=image_size)
    path = [(k, s, p) for _, k, s, p in CONFIG[:1]]
    for _, k, s, p in CONFIG[1:]:
        path += [(*POOL, 0), (k, s, p)]            # a max-pool, then the next block
    too_small("NiN", image_size, path, "the three 3x3/2 max-pools leave no pixels")
    return output_sizes(image_size, path)[::2]     # the blocks' outputs


class NiN(nn.Module):
    """Network in Network.

    Args:
        in_channels: channels of the input image.
        num_classes: channels of the last NiN block, one score map per class.
        image_size: side of the square input; checked, since no layer depends on it.
        width_mult: multiplies the channels of the first three blocks.
        dropout: dropout probability before the last block (after each hidden dense layer
            with the dense head).
        class_relus: True (the paper's network) puts a ReLU after each convolution of the last
            block, whose layers are as wide as there are classes; False leaves them out there.
        head: "gap", the paper's last block and global average pooling, or "dense": AlexNet's
            head of three dense layers on the flattened output of the third block's pool.
        hidden: width of the two hidden dense layers of the dense head (4096 in AlexNet).
    """

    def __init__(self, in_channels=3, num_classes=1000, image_size=224, width_mult=1.0,
                 dropout=0.5, class_relus=True, head="gap", hidden=4096):
        super().__init__()
        check_args(in_channels=in_channels, num_classes=num_classes, width_mult=width_mult,
                   dropout=dropout, hidden=hidden)
        one_of("class_relus", class_relus, (True, False))
        one_of("head", head, ("gap", "dense"))
        side = feature_sizes(image_size)[-1]
        self.head = head
        blocks = CONFIG if head == "gap" else CONFIG[:-1]
        layers = []
        for i, (out_channels, k, s, p) in enumerate(blocks, start=1):
            last = out_channels is None
            if last:
                out_channels = num_classes
                layers.append(("dropout", nn.Dropout(dropout)))
            else:
                out_channels = scale_channels(out_channels, width_mult)
            layers.append((f"block{i}", NiNBlock(in_channels, out_channels, k, s, p,
                                                 relu=class_relus or not last)))
            if i < len(CONFIG):
                layers.append((f"pool{i}", nn.MaxPool2d(*POOL)))
            in_channels = out_channels
        self.features = nn.Sequential(OrderedDict(layers))  # (B, num_classes, 5, 5) at 224x224
        if head == "gap":
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten()
        else:
            self.classifier = nn.Sequential(OrderedDict([
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(in_channels * side * side, hidden)),
                ("relu1", nn.ReLU(inplace=True)),
                ("drop1", nn.Dropout(dropout)),
                ("fc2", nn.Linear(hidden, hidden)),
                ("relu2", nn.ReLU(inplace=True)),
                ("drop2", nn.Dropout(dropout)),
                ("fc3", nn.Linear(hidden, num_classes)),
            ]))
        init_weights(self)

    def forward(self, x):
        if self.head == "dense":
            return self.classifier(self.features(x))
        return self.flatten(self.pool(self.features(x)))  # (B, num_classes)


@register("nin", image_size=224,
          course=dict(in_channels=1, num_classes=10, image_size=128, width_mult=0.25,
                      class_relus=False))
def nin(**kwargs):
    return NiN(**kwargs)
