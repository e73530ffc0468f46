"""DenseNet (Huang et al., 2016, arXiv:1608.06993). Explained in chapters/11_densenet.ipynb.

Inside a dense block every layer sees the concatenation of the block's input and of all
earlier layers' outputs, and adds `growth_rate` (k) channels of its own: after l layers a block
that started with c_0 channels has c_0 + l k. Transitions between blocks compress the channels
(by theta = 0.5) with a 1x1 convolution and halve the resolution with 2x2 average pooling.
The ImageNet models are DenseNet-BC: each layer is a bottleneck (BN-ReLU-1x1 conv to 4k
channels, BN-ReLU-3x3 conv to k), and the transitions compress.

Defaults build torchvision's densenet121/169/201 parameter for parameter. d2l's DenseNet is
`bn_size=None` (one BN-ReLU-3x3 conv per layer), `bias=True`, `block_config=(4, 4, 4, 4)`.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from lib.checks import integer, number, one_of
from lib.geometry import conv_output_size
from lib.models.checks import check_args
from lib.models.layers import init_weights
from lib.models.registry import register

# Paper, Table 1: dense layers per block, with growth rate k = 32 and 2k = 64 stem channels.
CONFIGS = {
    121: (6, 12, 24, 16),
    169: (6, 12, 32, 32),
    201: (6, 12, 48, 32),
}
GROWTH_RATE = 32
BN_SIZE = 4          # the bottleneck's 1x1 convolution has BN_SIZE x k channels
COMPRESSION = 0.5    # theta: a transition keeps floor(theta m) of m channels


class DenseLayer(nn.Module):
    """Concatenate every earlier output, then BN-ReLU-1x1 conv (bn_size x k channels)-BN-ReLU-3x3
    conv (k channels): the "B" of DenseNet-BC. `bn_size=None` gives the plain BN-ReLU-3x3 conv
    layer. Returns only the k new channels.

    `memory_efficient=True` recomputes the concatenation and the first BN-ReLU(-1x1 conv) in
    the backward pass instead of keeping them (`torch.utils.checkpoint`; Pleiss et al., 2017):
    the same function and gradients, less memory, one more pass through those layers."""

    def __init__(self, in_channels, growth_rate=GROWTH_RATE, bn_size=BN_SIZE, bias=False,
                 memory_efficient=False):
        super().__init__()
        self.bottleneck = bn_size is not None
        if self.bottleneck:
            self.norm1 = nn.BatchNorm2d(in_channels)
            self.relu1 = nn.ReLU(inplace=True)
            self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, 1, bias=bias)
            in_channels = bn_size * growth_rate
        self.norm2 = nn.BatchNorm2d(in_channels)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(in_channels, growth_rate, 3, padding=1, bias=bias)
        self.memory_efficient = memory_efficient

    def concat_and_reduce(self, *features):               # each (B, c_j, H, W)
        x = torch.cat(features, dim=1)                     # (B, c_0 + i k, H, W)
        return self.conv1(self.relu1(self.norm1(x))) if self.bottleneck else x

    def forward(self, features):                           # a list of (B, c_j, H, W)
        if self.memory_efficient and torch.is_grad_enabled():
            x = checkpoint(self.concat_and_reduce, *features, use_reentrant=False,
                           preserve_rng_state=False)  # nothing random to replay
        else:
            x = self.concat_and_reduce(*features)          # (B, bn_size k, H, W)
        return self.conv2(self.relu2(self.norm2(x)))       # (B, k, H, W)


class DenseBlock(nn.Module):
    """`num_layers` dense layers; layer i sees in_channels + i k channels. Output:
    in_channels + num_layers x k channels at the same resolution."""

    def __init__(self, num_layers, in_channels, growth_rate=GROWTH_RATE, bn_size=BN_SIZE,
                 bias=False, memory_efficient=False):
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size, bias,
                       memory_efficient)
            for i in range(num_layers))
        self.out_channels = in_channels + num_layers * growth_rate

    def forward(self, x):                                  # (B, c_0, H, W)
        features = [x]
        for layer in self.layers:
            features.append(layer(features))               # x_l = H_l([x_0, ..., x_{l-1}])
        return torch.cat(features, dim=1)                  # (B, c_0 + L k, H, W)


class Transition(nn.Sequential):
    """BN-ReLU-1x1 conv to `out_channels`, then 2x2 average pooling (halves H and W)."""

    def __init__(self, in_channels, out_channels, bias=False):
        super().__init__()
        self.add_module("norm", nn.BatchNorm2d(in_channels))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv2d(in_channels, out_channels, 1, bias=bias))
        self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))


class DenseNet(nn.Module):
    """Stem, dense blocks separated by transitions, BN-ReLU, global pooling, linear layer.

    - `block_config`, `growth_rate`, `bn_size`, `compression`: Table 1 and the BC variant;
      `bn_size=None` removes the bottleneck, `compression=1` keeps every channel.
    - `stem_channels` (2k = 64), `stem_kernel`, `stem_stride`, `stem_pool`: the 7x7/2 convolution
      and 3x3/2 max-pool of the paper; the course form uses a 3x3/1 convolution on 28x28 images.
    - `bias`: biases on every convolution (d2l's DenseNet has them; torchvision's does not).
    - `memory_efficient`: recompute each layer's concatenation and bottleneck in the backward
      pass instead of keeping them (see `DenseLayer`); parameters and outputs are unchanged.
    - `image_size`: the resolution the model is built for (`lib.models.input_size` reads it);
      every transition needs at least 2x2 pixels.
    """

    def __init__(self, block_config=CONFIGS[121], growth_rate=GROWTH_RATE, bn_size=BN_SIZE,
                 compression=COMPRESSION, stem_channels=2 * GROWTH_RATE, stem_kernel=7,
                 stem_stride=2, stem_pool=True, in_channels=3, num_classes=1000, bias=False,
                 memory_efficient=False, image_size=224):
        super().__init__()
        block_config = _check_densenet(**locals())
        stem = [nn.Conv2d(in_channels, stem_channels, stem_kernel, stride=stem_stride,
                          padding=stem_kernel // 2, bias=bias),
                nn.BatchNorm2d(stem_channels), nn.ReLU(inplace=True)]
        if stem_pool:
            stem.append(nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.stem = nn.Sequential(*stem)                   # (B, 2k, H/4, W/4) for the paper

        channels = stem_channels
        stages = []
        for i, num_layers in enumerate(block_config):
            block = DenseBlock(num_layers, channels, growth_rate, bn_size, bias,
                               memory_efficient)
            stages.append(block)
            channels = block.out_channels
            if i < len(block_config) - 1:
                out = math.floor(compression * channels)
                if out < 1:
                    raise ValueError(f"compression={compression} leaves no channels of "
                                     f"{channels} after dense block {i + 1}")
                stages.append(Transition(channels, out, bias))
                channels = out
        self.features = nn.Sequential(*stages)             # (B, C, H/32, W/32) for the paper
        self.final = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)
        init_weights(self, fan="fan_in", linear="zero_bias")

    def forward(self, x):                                  # (B, C, H, W)
        x = self.final(self.features(self.stem(x)))        # (B, C_last, H', W')
        return self.classifier(torch.flatten(self.avgpool(x), 1))  # (B, num_classes)


# Course scale (<= ~25 M MACs per 28x28 image): a 3x3/1 stem, the max-pool (14x14 into the
# first block), growth rate 12 (the paper's CIFAR setting) and the depth of Table 1: 22 M MACs
# for DenseNet-121, 25 M for -169. DenseNet-201 grows by 10 to stay at 21 M (30 M with k = 12).
COURSE = {"in_channels": 1, "num_classes": 10, "image_size": 28, "growth_rate": 12,
          "stem_channels": 24, "stem_kernel": 3, "stem_stride": 1}
COURSE_201 = {**COURSE, "growth_rate": 10, "stem_channels": 20}


def densenet(depth, **kwargs):
    """DenseNet-`depth` of Table 1 (121, 169 or 201); kwargs as `DenseNet`."""
    return DenseNet(**{"block_config": CONFIGS[one_of("depth", depth, CONFIGS)], **kwargs})


@register("densenet121", course=COURSE)
def densenet121(**kwargs):
    return densenet(121, **kwargs)


@register("densenet169", course=COURSE)
def densenet169(**kwargs):
    return densenet(169, **kwargs)


@register("densenet201", course=COURSE_201)
def densenet201(**kwargs):
    return densenet(201, **kwargs)


# --- Checks ----------------------------------------------------------------------------------

def _check_densenet(block_config, growth_rate, bn_size, compression, stem_channels, stem_kernel,
                    stem_stride, stem_pool, in_channels, num_classes, memory_efficient,
                    image_size, **_) -> tuple:
    """DenseNet's arguments, checked; returns `block_config` as a tuple."""
    block_config = tuple(block_config)
    if not block_config or any(not isinstance(n, int) or n < 1 for n in block_config):
        raise ValueError(f"block_config={block_config}: give the number of layers of each "
                         f"dense block, positive integers")
    check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size)
    for label, value in (("growth_rate", growth_rate), ("stem_channels", stem_channels),
                         ("stem_kernel", stem_kernel), ("stem_stride", stem_stride)):
        integer(label, value)
    if bn_size is not None and (not isinstance(bn_size, int) or bn_size < 1):
        raise ValueError(f"bn_size must be a positive integer or None (no bottleneck), "
                         f"got {bn_size!r}")
    if not isinstance(memory_efficient, bool):
        raise ValueError(f"memory_efficient={memory_efficient!r} must be True or False")
    number("compression", compression, 0, 1, low_open=True,
           hint=": theta, the fraction of channels a transition keeps")
    if stem_kernel % 2 == 0:
        raise ValueError(f"stem_kernel={stem_kernel}: use an odd kernel so that padding "
                         f"{stem_kernel // 2} keeps the stem's geometry")
    size = conv_output_size(image_size, stem_kernel, stem_kernel // 2, stem_stride)
    if stem_pool:
        size = conv_output_size(size, 3, 1, 2)
    for i in range(len(block_config) - 1):
        if size < 2:
            raise ValueError(
                f"image_size={image_size} is too small: transition {i + 1} gets a "
                f"{size}x{size} map and needs at least 2x2; use a larger image or fewer dense "
                f"blocks")
        size //= 2
    return block_config
