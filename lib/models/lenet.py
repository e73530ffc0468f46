"""LeNet-5 (LeCun et al., 1998). Explained in chapters/03_lenet.ipynb.

The course's form, as in d2l: 'same' padding on the first convolution so that 28x28 inputs
keep the paper's 28x28 -> 14x14 -> 10x10 -> 5x5 geometry, average pooling, and a dense
classifier of 120, 84 and `num_classes` units.
"""
from torch import nn

from lib.checks import integers, one_of
from lib.geometry import output_sizes
from lib.models.checks import check_args
from lib.models.registry import register

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}
POOLS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


def feature_size(image_size: int = 28, kernel_sizes=(5, 5)) -> int:
    """Side of the map the first dense layer sees, after conv1 (padded by k1 // 2), a 2x2 pool,
    conv2 (no padding) and a 2x2 pool: 5 for a 28x28 image and 5x5 kernels."""
    k1, k2 = kernel_sizes
    pooled = output_sizes(image_size, [(k1, 1, k1 // 2), (2, 2, 0)])[-1]
    if k2 > pooled - 1:
        raise ValueError(
            f"conv2 kernel {k2} leaves nothing to pool: conv1 and the first pooling leave a "
            f"{pooled}×{pooled} map, and the second 2×2 pooling needs conv2's output to be at "
            f"least 2×2; with a {k1}×{k1} conv1 use a conv2 kernel of at most {pooled - 1}")
    return output_sizes(pooled, [(k2, 1, 0), (2, 2, 0)])[-1]


class LeNet(nn.Module):
    """LeNet-5. `activation` and `pool` switch between the original (sigmoid, average pooling)
    and the modern variant (ReLU, max pooling); `channels`, `kernel_sizes` and `hidden` are the
    knobs of the chapter's widget."""

    def __init__(self, in_channels=1, num_classes=10, activation="sigmoid", pool="avg",
                 channels=(6, 16), kernel_sizes=(5, 5), hidden=(120, 84), image_size=28):
        super().__init__()
        check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size)
        act = ACTIVATIONS[one_of("activation", activation, ACTIVATIONS)]
        pooling = POOLS[one_of("pool", pool, POOLS)]
        c1, c2 = integers("channels", channels, 2)
        k1, k2 = integers("kernel_sizes", kernel_sizes, 2)
        side = feature_size(image_size, (k1, k2))
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, k1, padding=k1 // 2), act(),  # (B, c1, 28, 28)
            pooling(2, 2),                                            # (B, c1, 14, 14)
            nn.Conv2d(c1, c2, k2), act(),                             # (B, c2, 10, 10)
            pooling(2, 2),                                            # (B, c2, 5, 5)
        )
        layers = [nn.Flatten()]
        width = c2 * side * side
        for h in integers("hidden", hidden):
            layers += [nn.Linear(width, h), act()]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.classifier = nn.Sequential(*layers)

    def forward(self, x):
        return self.classifier(self.features(x))


@register("lenet", image_size=28, in_channels=1, course={})
def lenet(**kwargs):
    return LeNet(**kwargs)
