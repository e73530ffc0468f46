"""EfficientNet (Tan & Le, 2019, "EfficientNet: Rethinking Model Scaling for Convolutional
Neural Networks", arXiv:1905.11946). Explained in chapters/16_efficientnet.ipynb.

One baseline, B0 (Table 1, found by architecture search), scaled in depth d, width w and
resolution r. The compound scaling rule (Section 3.3) ties the three to one coefficient phi:

    d = alpha^phi,  w = beta^phi,  r = gamma^phi,  with alpha * beta^2 * gamma^2 ~ 2,

so that the cost, proportional to d * w^2 * r^2, grows by about 2^phi. The grid search on B0
gave alpha = 1.2, beta = 1.1, gamma = 1.15. The released B1-B7 do not follow the rule exactly:
their coefficients (PUBLISHED, as in the official code and torchvision) are rounded and
hand-adjusted. `scaling="compound"` builds the pure rule instead, so the two can be compared.
"""
import math
from functools import partial

import torch
from torch import nn

from lib.checks import number, one_of, positive
from lib.models.checks import check_args
from lib.models.layers import ConvBNActivation, SqueezeExcitation, init_weights, make_divisible
from lib.models.registry import register

# Paper, Table 1: the EfficientNet-B0 baseline. Resolution is that of each stage's input; a
# stage whose next stage has half its resolution has stride 2 in its first layer.
TABLE_1 = (
    # stage, operator, expansion, kernel, resolution, channels, layers
    (1, "Conv", None, 3, 224, 32, 1),
    (2, "MBConv", 1, 3, 112, 16, 1),
    (3, "MBConv", 6, 3, 112, 24, 2),
    (4, "MBConv", 6, 5, 56, 40, 2),
    (5, "MBConv", 6, 3, 28, 80, 3),
    (6, "MBConv", 6, 5, 14, 112, 3),
    (7, "MBConv", 6, 5, 14, 192, 4),
    (8, "MBConv", 6, 3, 7, 320, 1),
    (9, "Conv1x1 & Pooling & FC", None, 1, 7, 1280, 1),
)

#: Released coefficients: width, depth, resolution, dropout rate (official code, torchvision).
PUBLISHED = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}

#: The grid-searched bases of the compound scaling rule (Section 3.3, step 1).
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15

SCALINGS = ("published", "compound")


def compound_coefficients(phi, alpha=ALPHA, beta=BETA, gamma=GAMMA, base_resolution=224):
    """(width, depth, resolution) of the pure rule: w = beta^phi, d = alpha^phi and the
    resolution base_resolution * gamma^phi rounded to an integer."""
    number("phi", phi, 0, hint=" (B0 is phi = 0, B7 phi = 7)")
    return beta ** phi, alpha ** phi, round(base_resolution * gamma ** phi)


class StochasticDepth(nn.Module):
    """In training, drop the residual branch of each sample with probability p and scale the
    kept ones by 1 / (1 - p) (Huang et al., 2016; the official code's "drop connect")."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype, device=x.device)
        return x * mask.bernoulli_(keep).div_(keep)


class MBConv(nn.Module):
    """Mobile inverted bottleneck (MobileNet v2's block with squeeze-and-excitation and SiLU):
    1x1 expansion (skipped when expand_ratio is 1), k x k depthwise convolution, squeeze-and-
    excitation, 1x1 linear projection; a residual connection, with stochastic depth, when the
    stride is 1 and the channels match.

    Args:
        in_channels, out_channels: channels in and out.
        expand_ratio: the 1 or 6 of "MBConv1" / "MBConv6".
        kernel_size: k of the depthwise convolution (3 or 5).
        stride: stride of the depthwise convolution.
        se_ratio: squeeze channels as a fraction of in_channels.
        stochastic_depth_prob: probability of dropping the residual branch in training.
    """

    def __init__(self, in_channels, out_channels, expand_ratio, kernel_size, stride,
                 se_ratio=0.25, stochastic_depth_prob=0.0, norm_layer=nn.BatchNorm2d):
        super().__init__()
        one_of("stride", stride, (1, 2))
        self.use_res_connect = stride == 1 and in_channels == out_channels
        expanded = make_divisible(in_channels * expand_ratio, 8)
        layers = []
        if expanded != in_channels:
            layers.append(ConvBNActivation(in_channels, expanded, 1, activation=nn.SiLU,
                                           norm_layer=norm_layer))
        layers += [
            ConvBNActivation(expanded, expanded, kernel_size, stride, groups=expanded,
                             activation=nn.SiLU, norm_layer=norm_layer),
            SqueezeExcitation(expanded, max(1, int(in_channels * se_ratio)), nn.SiLU),
            ConvBNActivation(expanded, out_channels, 1, activation=None, norm_layer=norm_layer),
        ]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob)

    def forward(self, x):
        out = self.block(x)  # (B, out_channels, H / stride, W / stride)
        if self.use_res_connect:
            out = self.stochastic_depth(out) + x
        return out


class EfficientNet(nn.Module):
    """The B0 table scaled by `width_mult` (channels, rounded to multiples of 8 as the official
    code does) and `depth_mult` (layers per MBConv stage, rounded up). The resolution is not
    part of the network, only of its input (see `input_size`).

    Args:
        width_mult, depth_mult: w and d.
        dropout: dropout rate before the classifier.
        stochastic_depth_prob: the rate of the last block; block i of n gets p * i / n.
    """

    def __init__(self, width_mult=1.0, depth_mult=1.0, dropout=0.2, stochastic_depth_prob=0.2,
                 in_channels=3, num_classes=1000, table=TABLE_1, bn_eps=1e-3, bn_momentum=0.01):
        super().__init__()
        positive("depth_mult", depth_mult)
        check_args(width_mult=width_mult, dropout=dropout, in_channels=in_channels,
                   num_classes=num_classes)
        # TensorFlow's batch norm defaults, those of the official code.
        norm_layer = lambda c: nn.BatchNorm2d(c, eps=bn_eps, momentum=bn_momentum)

        def channels(c):
            return make_divisible(c * width_mult, 8)

        stem, *stages, head = table
        stages = [(t, k, res, channels(c), math.ceil(n * depth_mult))
                  for _, _, t, k, res, c, n in stages]
        next_resolutions = [res for _, _, res, _, _ in stages[1:]] + [head[4]]
        c = channels(stem[5])
        layers = [ConvBNActivation(in_channels, c, stem[3], stem[4] // stages[0][2],
                                   activation=nn.SiLU, norm_layer=norm_layer)]
        total, i = sum(n for *_, n in stages), 0
        for (t, k, res, out_channels, n), next_res in zip(stages, next_resolutions):
            blocks = []
            for j in range(n):
                blocks.append(MBConv(c, out_channels, t, k, res // next_res if j == 0 else 1,
                                     stochastic_depth_prob=stochastic_depth_prob * i / total,
                                     norm_layer=norm_layer))
                c, i = out_channels, i + 1
            layers.append(nn.Sequential(*blocks))
        last_channels = channels(head[5])
        layers.append(ConvBNActivation(c, last_channels, 1, activation=nn.SiLU,
                                       norm_layer=norm_layer))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout, inplace=True),
                                        nn.Linear(last_channels, num_classes))
        init_weights(self, linear="uniform")

    def forward(self, x):
        x = self.avgpool(self.features(x)).flatten(1)  # (B, last_channels)
        return self.classifier(x)


def coefficients(variant="b0", scaling="published", phi=None):
    """(width, depth, resolution, dropout) of EfficientNet-`variant` under `scaling`:
    "published" (PUBLISHED) or "compound" (the pure rule at phi, by default the variant's
    number; the dropout rate stays the published one)."""
    one_of("variant", variant, PUBLISHED)
    one_of("scaling", scaling, SCALINGS)
    width, depth, resolution, dropout = PUBLISHED[variant]
    if scaling == "compound":
        width, depth, resolution = compound_coefficients(int(variant[1:]) if phi is None else phi)
    elif phi is not None:
        raise ValueError(f"phi={phi!r} applies only to scaling='compound'; "
                         f"scaling='published' takes the released coefficients")
    return width, depth, resolution, dropout


def _image_size(variant, scaling="published", phi=None, image_size=None, **_):
    """The input's side: `image_size` if given, else the variant's resolution."""
    return coefficients(variant, scaling, phi)[2] if image_size is None else image_size


def _efficientnet(variant, scaling="published", phi=None, image_size=None, width_mult=1.0,
                  depth_mult=1.0, **kwargs):
    """EfficientNet-`variant` with its published coefficients, or with `scaling="compound"`
    the pure rule w = 1.1^phi, d = 1.2^phi, r = 224 * 1.15^phi at phi = the variant's number
    (or `phi`). `width_mult` and `depth_mult` multiply the variant's w and d further (the
    course scales B0 down with them). `image_size` overrides the input resolution only: the
    network ends in a global average pool."""
    width, depth, _, dropout = coefficients(variant, scaling, phi)
    positive("width_mult", width_mult)
    positive("depth_mult", depth_mult)
    if image_size is not None:
        check_args(image_size=image_size)
    kwargs.setdefault("dropout", dropout)
    return EfficientNet(width * width_mult, depth * depth_mult, **kwargs)


# The course form of every variant takes 32x32 Fashion-MNIST: B0 costs 8 M MACs per image
# there, B3 21 M; B4 to B7 cost 34 to 117 M MACs (B7 has 64 M parameters), more than a CPU
# trains in minutes: a chapter trains B0 and counts the others. Batch norm keeps PyTorch's
# momentum there: with TensorFlow's 0.01 the running statistics of a few hundred steps still hold
# mostly their initial values, and the evaluated network answers at chance.
_COURSE = {"in_channels": 1, "num_classes": 10, "image_size": 32, "bn_momentum": 0.1}


@register("efficientnet_b0", image_size=partial(_image_size, "b0"), course=_COURSE)
def efficientnet_b0(**kwargs):
    return _efficientnet("b0", **kwargs)


@register("efficientnet_b1", image_size=partial(_image_size, "b1"), course=_COURSE)
def efficientnet_b1(**kwargs):
    return _efficientnet("b1", **kwargs)


@register("efficientnet_b2", image_size=partial(_image_size, "b2"), course=_COURSE)
def efficientnet_b2(**kwargs):
    return _efficientnet("b2", **kwargs)


@register("efficientnet_b3", image_size=partial(_image_size, "b3"), course=_COURSE)
def efficientnet_b3(**kwargs):
    return _efficientnet("b3", **kwargs)


@register("efficientnet_b4", image_size=partial(_image_size, "b4"), course=_COURSE)
def efficientnet_b4(**kwargs):
    return _efficientnet("b4", **kwargs)


@register("efficientnet_b5", image_size=partial(_image_size, "b5"), course=_COURSE)
def efficientnet_b5(**kwargs):
    return _efficientnet("b5", **kwargs)


@register("efficientnet_b6", image_size=partial(_image_size, "b6"), course=_COURSE)
def efficientnet_b6(**kwargs):
    return _efficientnet("b6", **kwargs)


@register("efficientnet_b7", image_size=partial(_image_size, "b7"), course=_COURSE)
def efficientnet_b7(**kwargs):
    return _efficientnet("b7", **kwargs)
