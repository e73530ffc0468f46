"""Layers that several families share, and the rules by which they scale and initialise.

- `BasicConv2d`: convolution, batch norm, ReLU, as the Inception networks and Xception use it;
  `stem_from_rows` and `light_stem` build their stems from it.
- `ConvBNActivation`: the same with 'same' padding and a choice of activation (MobileNet,
  EfficientNet; torchvision's `Conv2dNormActivation`).
- `SeparableConv2d`: a depthwise then a pointwise convolution (BN-Inception's first layer,
  Xception).
- `SqueezeExcitation`: channel reweighting (SE-ResNet, EfficientNet's MBConv).
- `scale_channels`, `scaled`, `make_divisible`: channel counts under a width multiplier.
- `init_weights`: the initialisation of the reference implementations.
"""
from __future__ import annotations

import math
from collections import OrderedDict

from torch import nn


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm, ReLU: every convolution of the Inception networks
    and Xception except Inception-ResNet's residual up-projections. eps=0.001 as in the
    TensorFlow originals."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class ConvBNActivation(nn.Sequential):
    """Convolution (no bias, 'same' padding) -> batch norm -> activation (None for linear)."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, groups=1,
                 activation=nn.ReLU, norm_layer=nn.BatchNorm2d):
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, (kernel_size - 1) // 2,
                            groups=groups, bias=False),
                  norm_layer(out_channels)]
        if activation is not None:
            layers.append(activation(inplace=True))
        super().__init__(*layers)


class SeparableConv2d(nn.Module):
    """Depthwise separable convolution: a k x k convolution of each input channel on its own
    (`depth_multiplier` filters per channel), then a 1x1 convolution that mixes the channels.
    No nonlinearity between the two.

    params = k*k*c_in*depth_multiplier + c_in*depth_multiplier*c_out, against k*k*c_in*c_out for
    a full convolution. BN-Inception's first layer is one (depth multiplier 8); Xception is
    built of them (depth multiplier 1).
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


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al., 2017): x * sigmoid(W2 act(W1 mean_hw(x))).

    Squeeze: global average pooling to one number per channel. Excitation: W1 down to
    `squeeze_channels`, the activation, W2 back up, a sigmoid. Scale: every channel of x by its
    factor in (0, 1). W1 and W2 are 1x1 convolutions on the pooled (B, C, 1, 1) map, which is
    what dense layers on a (B, C) vector compute, with the same weights and MACs.

    Args:
        channels: C, the channels to reweight.
        squeeze_channels: the bottleneck; C / r in SE-ResNet (reduction ratio r), a quarter of
            the block's input channels in EfficientNet's MBConv.
        activation: ReLU in SE-ResNet, SiLU in EfficientNet.
        bias: biases on W1 and W2.
    """

    def __init__(self, channels, squeeze_channels, activation=nn.ReLU, bias=True):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1, bias=bias)
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1, bias=bias)
        self.activation = activation(inplace=True)
        self.scale_activation = nn.Sigmoid()

    def forward(self, x):                                            # (B, C, H, W)
        s = self.fc2(self.activation(self.fc1(self.avgpool(x))))     # (B, C, 1, 1)
        return x * self.scale_activation(s)                          # (B, C, H, W)


def stem_from_rows(rows, in_channels, width=1.0):
    """An Inception network's stem from its table: (name, output channels, kernel, stride,
    padding) rows, a BasicConv2d each, with None for the channels of a max pool. Returns the
    stem and its output channels."""
    layers, channels = OrderedDict(), in_channels
    for name, out, k, s, p in rows:
        if out is None:
            layers[name] = nn.MaxPool2d(k, s, p)
        else:
            layers[name] = BasicConv2d(channels, scaled(out, width), k, s, p)
            channels = scaled(out, width)
    return nn.Sequential(layers), channels


def light_stem(in_channels, out_channels):
    """The course's stem for the Inception networks: one padded 3x3 BasicConv2d, which keeps a
    28x28 image at 28x28 where the papers' stems shrink 299 pixels to 35."""
    return nn.Sequential(OrderedDict(conv=BasicConv2d(in_channels, out_channels, 3, padding=1)))


# --- Channels under a width multiplier -------------------------------------------------------

def scale_channels(channels: int, width_mult: float) -> int:
    """round(channels * width_mult), at least 1: AlexNet, VGG, NiN and GoogLeNet."""
    return max(1, round(channels * width_mult))


def scaled(channels: int, width: float) -> int:
    """`channels` times `width` rounded half up, at least 1; 0 (an absent branch) stays 0: the
    Inception networks and Xception."""
    return 0 if channels == 0 else max(1, int(channels * width + 0.5))


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a scaled channel count to the nearest multiple of `divisor`, never below
    `min_value` (default `divisor`) nor more than 10% below `v` (the rule of the official
    MobileNet v2 and EfficientNet code)."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


# --- Initialisation --------------------------------------------------------------------------

def init_weights(model: nn.Module, fan: str = "fan_out", linear: str | None = "normal") -> None:
    """Initialise `model` in place as the reference implementations do.

    - Convolutions: He et al. (2015), normal with std sqrt(2 / fan), fan = k*k*c_out
      (`fan="fan_out"`, torchvision's choice) or k*k*c_in ("fan_in", DenseNet's); biases 0.
    - Batch norm: the identity, scale 1 and shift 0.
    - Linear layers, by `linear`: "normal", N(0, 0.01^2) and bias 0 (AlexNet, VGG, GoogLeNet,
      MobileNet v2); "uniform", U(-1/sqrt(n_out), 1/sqrt(n_out)) and bias 0 (EfficientNet);
      "zero_bias", PyTorch's default weights and bias 0 (DenseNet); None, PyTorch's default
      (ResNet).
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode=fan, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear is not None:
            if linear == "normal":
                nn.init.normal_(m.weight, 0, 0.01)
            elif linear == "uniform":
                r = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -r, r)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
