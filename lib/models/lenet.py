"""LeNet-5 (LeCun et al., 1998). Explained in chapters/03_lenet.ipynb.

The course's form, as in d2l: 'same' padding on the first convolution so that 28x28 inputs
keep the paper's 28x28 -> 14x14 -> 10x10 -> 5x5 geometry, average pooling, and a dense
classifier of 120, 84 and `num_classes` units.
"""
from torch import nn

from lib.models.registry import register

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}
POOLS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


class LeNet(nn.Module):
    """LeNet-5. `activation` and `pool` switch between the original (sigmoid, average pooling)
    and the modern variant (ReLU, max pooling); `channels`, `kernel_sizes` and `hidden` are the
    knobs of the chapter's widget."""

    def __init__(self, in_channels=1, num_classes=10, activation="sigmoid", pool="avg",
                 channels=(6, 16), kernel_sizes=(5, 5), hidden=(120, 84), image_size=28):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r}; valid: {', '.join(ACTIVATIONS)}")
        if pool not in POOLS:
            raise ValueError(f"pool={pool!r}; valid: {', '.join(POOLS)}")
        act, pooling = ACTIVATIONS[activation], POOLS[pool]
        c1, c2 = channels
        k1, k2 = kernel_sizes
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, k1, padding=k1 // 2), act(),  # (B, c1, 28, 28)
            pooling(2, 2),                                            # (B, c1, 14, 14)
            nn.Conv2d(c1, c2, k2), act(),                             # (B, c2, 10, 10)
            pooling(2, 2),                                            # (B, c2, 5, 5)
        )
        side = ((image_size - k1 + 2 * (k1 // 2) + 1) // 2 - k2 + 1) // 2
        if side < 1:
            raise ValueError(
                f"kernel_sizes={kernel_sizes} leave no pixels of a {image_size}x{image_size} input "
                f"after the second pooling; use smaller kernels or a larger image_size")
        layers = [nn.Flatten()]
        width = c2 * side * side
        for h in hidden:
            layers += [nn.Linear(width, h), act()]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.classifier = nn.Sequential(*layers)

    def forward(self, x):
        return self.classifier(self.features(x))


@register("lenet", input_size=lambda in_channels=1, image_size=28, **_: (in_channels, image_size, image_size),
          course={})
def lenet(**kwargs):
    return LeNet(**kwargs)
