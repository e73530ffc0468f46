"""MobileNets: depthwise separable convolutions and inverted residuals.

- MobileNet v1: Howard et al., 2017, "MobileNets: Efficient Convolutional Neural Networks for
  Mobile Vision Applications", arXiv:1704.04861.
- MobileNet v2: Sandler et al., 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
  arXiv:1801.04381.

Explained in chapters/13_mobilenet.ipynb.

A standard D_K x D_K convolution from M to N channels on a D_F x D_F map costs
D_K^2 * M * N * D_F^2 multiply-adds; its depthwise separable factorization, one D_K x D_K
filter per input channel followed by a 1x1 ("pointwise") convolution, costs
D_K^2 * M * D_F^2 + M * N * D_F^2, a fraction 1/N + 1/D_K^2 of it (paper, Section 3.1).
"""
import itertools

from torch import nn

from lib.checks import integer, number, one_of, positive
from lib.models.checks import check_args
from lib.models.layers import ConvBNActivation, init_weights, make_divisible
from lib.models.registry import register

# MobileNet v1, Table 1: type / stride, filter shape, input size, with a first column for the
# paper's "5x" (the pair of 14x14x512 rows it repeats five times). A "conv dw" row and the 1x1
# "conv" row after it form one depthwise separable convolution.
TABLE_1 = (
    # repeat, type, stride, filter shape, input size (H = W)
    (1, "conv", 2, (3, 3, 3, 32), 224),
    (1, "conv dw", 1, (3, 3, 32), 112),
    (1, "conv", 1, (1, 1, 32, 64), 112),
    (1, "conv dw", 2, (3, 3, 64), 112),
    (1, "conv", 1, (1, 1, 64, 128), 56),
    (1, "conv dw", 1, (3, 3, 128), 56),
    (1, "conv", 1, (1, 1, 128, 128), 56),
    (1, "conv dw", 2, (3, 3, 128), 56),
    (1, "conv", 1, (1, 1, 128, 256), 28),
    (1, "conv dw", 1, (3, 3, 256), 28),
    (1, "conv", 1, (1, 1, 256, 256), 28),
    (1, "conv dw", 2, (3, 3, 256), 28),
    (1, "conv", 1, (1, 1, 256, 512), 14),
    (5, "conv dw", 1, (3, 3, 512), 14),
    (5, "conv", 1, (1, 1, 512, 512), 14),
    (1, "conv dw", 2, (3, 3, 512), 14),
    (1, "conv", 1, (1, 1, 512, 1024), 7),
    # The paper prints "Conv dw / s2" here, but its input sizes (7x7 in, 7x7 out) and every
    # released implementation use stride 1.
    (1, "conv dw", 1, (3, 3, 1024), 7),
    (1, "conv", 1, (1, 1, 1024, 1024), 7),
    (1, "avg pool", 1, (7, 7), 7),
    (1, "fc", 1, (1024, 1000), 1),
)

#: Table 7's resolutions and the resolution multipliers rho = resolution / 224 they stand for.
RESOLUTIONS = {1.0: 224, 0.857: 192, 0.714: 160, 0.571: 128}

# MobileNet v2, Table 2: expansion factor t, output channels c, repeats n, first stride s.
INVERTED_RESIDUAL_SETTING = [
    # t, c, n, s
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
]


class DepthwiseSeparableConv(nn.Module):
    """MobileNet v1's layer (paper, Figure 3): a 3x3 depthwise convolution (one filter per
    input channel, `groups=in_channels`) and a 1x1 pointwise convolution, each followed by
    batch norm and ReLU.

    Args:
        in_channels: M, channels in (and out of the depthwise convolution).
        out_channels: N, channels out of the pointwise convolution.
        stride: stride of the depthwise convolution.
        kernel_size: D_K of the depthwise convolution.
    """

    def __init__(self, in_channels, out_channels, stride=1, kernel_size=3):
        super().__init__()
        self.depthwise = ConvBNActivation(in_channels, in_channels, kernel_size, stride,
                                          groups=in_channels)
        self.pointwise = ConvBNActivation(in_channels, out_channels, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))  # (B, N, H / stride, W / stride)


class MobileNetV1(nn.Module):
    """MobileNet v1 built from Table 1.

    Args:
        alpha: width multiplier (Section 3.3): every layer has alpha times the channels.
        depthwise: False replaces each depthwise separable pair by one full 3x3 convolution,
            the "Conv MobileNet" of Table 4.
        shallow: True drops the five repeated 14x14x512 separable layers, the "Shallow
            MobileNet" of Table 5.
    The resolution multiplier rho only sets the input size (see `mobilenet_v1`): the network
    ends in a global average pool, so it takes any resolution.
    """

    def __init__(self, alpha=1.0, depthwise=True, shallow=False, in_channels=3, num_classes=1000,
                 table=TABLE_1):
        super().__init__()
        positive("width multiplier alpha", alpha, hint=" (the paper uses 1.0, 0.75, 0.5, 0.25)")
        check_args(in_channels=in_channels, num_classes=num_classes)

        def width(c):
            w = int(round(c * alpha))
            if w < 1:
                raise ValueError(f"alpha={alpha} leaves {c} * {alpha} < 1 channel; "
                                 f"use alpha >= {1 / c:.3g}")
            return w

        # Consecutive rows with the same repeat count repeat together, as the paper's "5x" pair.
        rows = iter([row for repeat, group in itertools.groupby(table, key=lambda r: r[0])
                     for row in [r[1:] for r in group]
                     * (0 if shallow and repeat > 1 else repeat)])
        _, stride, (k, _, _, c_out), _ = next(rows)
        layers = [ConvBNActivation(in_channels, width(c_out), k, stride)]
        for kind, stride, shape, _ in rows:
            if kind == "conv dw":
                _, _, (_, _, c_in, c_out), _ = next(rows)  # the 1x1 pointwise row
                if depthwise:
                    layers.append(DepthwiseSeparableConv(width(c_in), width(c_out), stride,
                                                         shape[0]))
                else:
                    layers.append(ConvBNActivation(width(c_in), width(c_out), shape[0], stride))
            elif kind == "fc":
                last_channels = width(shape[0])
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last_channels, num_classes)

    def forward(self, x):
        x = self.avgpool(self.features(x)).flatten(1)  # (B, 1024 * alpha)
        return self.classifier(x)


class InvertedResidual(nn.Module):
    """MobileNet v2's bottleneck (paper, Table 1 and Figure 4): 1x1 expansion to t times the
    input channels (ReLU6), 3x3 depthwise convolution (ReLU6), 1x1 linear projection; a
    residual connection when the stride is 1 and the channels match.

    Args:
        in_channels, out_channels: channels in and out.
        stride: stride of the depthwise convolution (1 or 2).
        expand_ratio: t, the expansion factor.
    """

    def __init__(self, in_channels, out_channels, stride, expand_ratio, norm_layer=nn.BatchNorm2d):
        super().__init__()
        one_of("stride", stride, (1, 2))
        hidden = int(round(in_channels * expand_ratio))
        self.use_res_connect = stride == 1 and in_channels == out_channels
        layers = []
        if expand_ratio != 1:
            layers.append(ConvBNActivation(in_channels, hidden, 1, activation=nn.ReLU6,
                                           norm_layer=norm_layer))
        layers += [
            ConvBNActivation(hidden, hidden, 3, stride, groups=hidden, activation=nn.ReLU6,
                             norm_layer=norm_layer),
            nn.Conv2d(hidden, out_channels, 1, bias=False),  # linear bottleneck: no activation
            norm_layer(out_channels),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNet v2 built from Table 2. `width_mult` scales every layer's channels (rounded to
    multiples of 8) and, above 1, the last 1280."""

    def __init__(self, width_mult=1.0, in_channels=3, num_classes=1000, dropout=0.2,
                 inverted_residual_setting=INVERTED_RESIDUAL_SETTING, round_nearest=8):
        super().__init__()
        positive("width_mult", width_mult, hint=" (the paper uses 0.35 to 1.4)")
        check_args(in_channels=in_channels, num_classes=num_classes, dropout=dropout)
        input_channel = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [ConvBNActivation(in_channels, input_channel, 3, 2, activation=nn.ReLU6)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(InvertedResidual(input_channel, output_channel,
                                                 s if i == 0 else 1, t))
                input_channel = output_channel
        features.append(ConvBNActivation(input_channel, self.last_channel, 1, activation=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout),
                                        nn.Linear(self.last_channel, num_classes))
        init_weights(self)

    def forward(self, x):
        x = self.avgpool(self.features(x)).flatten(1)  # (B, last_channel)
        return self.classifier(x)


def _v1_image_size(rho=1.0, image_size=None):
    """224 * rho rounded to an integer (Table 7: 0.857 -> 192, 0.714 -> 160, 0.571 -> 128),
    or `image_size` when given."""
    table = ", ".join(f"{r} -> {s}" for r, s in RESOLUTIONS.items())
    number("resolution multiplier rho", rho, 0, 1, low_open=True, hint=f" (Table 7: {table})")
    if image_size is not None:
        integer("image_size", image_size)
        if rho != 1.0 and round(224 * rho) != image_size:
            raise ValueError(f"rho={rho} means a {round(224 * rho)}x{round(224 * rho)} input, "
                             f"but image_size={image_size}; pass one of them")
        return image_size
    return max(1, round(224 * rho))


@register("mobilenet_v1",
          image_size=lambda rho=1.0, image_size=None, **_: _v1_image_size(rho, image_size),
          course={"in_channels": 1, "num_classes": 10, "alpha": 0.5, "image_size": 32})
def mobilenet_v1(alpha=1.0, rho=1.0, image_size=None, **kwargs):
    """MobileNet v1 (alpha = 1, 224x224: 569 M mult-adds, 4.2 M parameters in the paper).
    The course form: alpha = 0.5 on 32x32 Fashion-MNIST, about 3 M MACs per image."""
    _v1_image_size(rho, image_size)
    return MobileNetV1(alpha=alpha, **kwargs)


@register("mobilenet_v2",
          course={"in_channels": 1, "num_classes": 10, "image_size": 32})
def mobilenet_v2(image_size=224, **kwargs):
    """MobileNet v2 (width 1.0, 224x224: 300 M MACs, 3.5 M parameters). The course form takes
    32x32 Fashion-MNIST, about 6 M MACs per image; the network is fully convolutional up to a
    global average pool, so `image_size` only sets the input size."""
    return MobileNetV2(**kwargs)
