"""ShuffleNets: pointwise group convolutions made to talk to each other by shuffling channels.

- ShuffleNet v1: Zhang et al., 2017, "ShuffleNet: An Extremely Efficient Convolutional Neural
  Network for Mobile Devices", arXiv:1707.01083.
- ShuffleNet v2: Ma et al., 2018, "ShuffleNet V2: Practical Guidelines for Efficient CNN
  Architecture Design", arXiv:1807.11164.

Explained in chapters/14_shufflenet.ipynb.

A 1x1 convolution with g groups costs 1/g of a dense one, but then each output channel only
sees the input channels of its own group. Shuffling the channels between two group
convolutions (reshape to (g, n), transpose, flatten) lets every group of the next layer read
from every group of the previous one (v1 paper, Figure 1).
"""
import torch
from torch import nn

from lib.checks import one_of, positive
from lib.geometry import divisors
from lib.models.checks import check_args
from lib.models.registry import register

# ShuffleNet v1, Table 1: stage, output size, stride, repeat (first unit, then the rest),
# and the output channels for each number of groups g of the pointwise convolutions, chosen
# to keep every column near 140 MFLOPs (millions of multiply-adds; Table 1's "Complexity" row:
# 143, 140, 137, 133, 137 M).
STAGES = [
    # stage, output size, repeats (stride 2, stride 1)
    ("stage2", 28, (1, 3)),
    ("stage3", 14, (1, 7)),
    ("stage4", 7, (1, 3)),
]
STAGE_OUT_CHANNELS = {
    # g: (Conv1, Stage2, Stage3, Stage4)
    1: (24, 144, 288, 576),
    2: (24, 200, 400, 800),
    3: (24, 240, 480, 960),
    4: (24, 272, 544, 1088),
    8: (24, 384, 768, 1536),
}

# ShuffleNet v2, Table 5: units per stage, and output channels of Conv1, Stage2-4 and Conv5
# for each width ("0.5x" to "2x").
STAGES_REPEATS_V2 = (4, 8, 4)
STAGES_OUT_CHANNELS_V2 = {
    0.5: (24, 48, 96, 192, 1024),
    1.0: (24, 116, 232, 464, 1024),
    1.5: (24, 176, 352, 704, 1024),
    2.0: (24, 244, 488, 976, 2048),
}


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Shuffle the channels of x, (B, C, H, W), across `groups`: channel i * (C/g) + j of the
    input becomes channel j * g + i of the output (v1 paper, Figure 1c)."""
    b, c, h, w = x.shape
    if not isinstance(groups, int) or groups < 1 or c % groups:
        raise ValueError(f"channel_shuffle: groups={groups!r} does not divide {c} channels; "
                         f"valid group counts: {divisors(c)}")
    x = x.view(b, groups, c // groups, h, w)  # (B, g, C/g, H, W)
    x = x.transpose(1, 2).contiguous()        # (B, C/g, g, H, W)
    return x.view(b, c, h, w)


class StackedGroupConv(nn.Module):
    """Two 1x1 convolutions with g groups, C -> C -> C, with or without a channel shuffle
    between them (v1 paper, Figure 1a and 1c). Without it, output group i is a function of
    input group i alone."""

    def __init__(self, channels, groups, shuffle=True):
        super().__init__()
        if channels % groups:
            raise ValueError(f"groups={groups} does not divide channels={channels}; valid "
                             f"group counts: {divisors(channels)}")
        self.groups, self.shuffle = groups, shuffle
        self.gconv1 = nn.Conv2d(channels, channels, 1, groups=groups, bias=False)
        self.gconv2 = nn.Conv2d(channels, channels, 1, groups=groups, bias=False)

    def forward(self, x):
        x = self.gconv1(x)                         # (B, C, H, W), g groups of C/g
        if self.shuffle:
            x = channel_shuffle(x, self.groups)    # group i now holds channels of every group
        return self.gconv2(x)


class ShuffleUnit(nn.Module):
    """ShuffleNet v1 unit (paper, Figure 2b and 2c): 1x1 group convolution (BN, ReLU), channel
    shuffle, 3x3 depthwise convolution (BN), 1x1 group convolution (BN), then with stride 1 an
    addition to the input, with stride 2 a concatenation with the 3x3 average-pooled input;
    ReLU last. The bottleneck has a quarter of the output channels.

    Args:
        in_channels, out_channels: channels in and out. With stride 2 the residual branch
            makes out_channels - in_channels of them.
        groups: g, groups of both 1x1 convolutions.
        stride: 1 or 2.
        grouped_first: False makes the first 1x1 convolution dense (the paper does so in the
            first unit of Stage 2, whose 24 input channels are too few to split).
        shuffle: False leaves the channel shuffle out (the paper's Table 3 ablation): each
            group of the second 1x1 convolution then reads only its own group's channels.
    """

    def __init__(self, in_channels, out_channels, groups, stride=1, grouped_first=True,
                 shuffle=True):
        super().__init__()
        one_of("stride", stride, (1, 2))
        branch_channels = out_channels - in_channels if stride == 2 else out_channels
        if stride == 1 and in_channels != out_channels:
            raise ValueError(f"a stride-1 unit adds its input to its output, so in_channels "
                             f"({in_channels}) must equal out_channels ({out_channels})")
        if branch_channels < 1:
            raise ValueError(f"a stride-2 unit concatenates its input, so out_channels "
                             f"({out_channels}) must exceed in_channels ({in_channels})")
        bottleneck = out_channels // 4
        first_groups = groups if grouped_first else 1
        for label, c, g in (("input", in_channels, first_groups),
                            ("bottleneck", bottleneck, groups),
                            ("bottleneck", bottleneck, first_groups),
                            ("residual-branch output", branch_channels, groups)):
            if c < 1 or c % g:
                raise ValueError(f"groups={g} does not divide the {c} {label} channels of a "
                                 f"ShuffleUnit({in_channels}, {out_channels}, stride={stride}); "
                                 f"valid group counts: {divisors(c) if c > 0 else 'none'}")
        self.groups, self.stride, self.shuffle = groups, stride, shuffle
        self.gconv1 = nn.Sequential(
            nn.Conv2d(in_channels, bottleneck, 1, groups=first_groups, bias=False),
            nn.BatchNorm2d(bottleneck), nn.ReLU(inplace=True))
        self.dwconv = nn.Sequential(
            nn.Conv2d(bottleneck, bottleneck, 3, stride, 1, groups=bottleneck, bias=False),
            nn.BatchNorm2d(bottleneck))
        self.gconv2 = nn.Sequential(
            nn.Conv2d(bottleneck, branch_channels, 1, groups=groups, bias=False),
            nn.BatchNorm2d(branch_channels))
        self.shortcut = nn.AvgPool2d(3, stride=2, padding=1) if stride == 2 else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.gconv1(x)                            # (B, m, H, W), m = out / 4
        if self.shuffle and self.groups > 1:
            out = channel_shuffle(out, self.groups)
        out = self.gconv2(self.dwconv(out))             # (B, branch, H / s, W / s)
        if self.stride == 2:
            return self.relu(torch.cat([self.shortcut(x), out], 1))  # (B, out, H / 2, W / 2)
        return self.relu(x + out)


def _round(v, divisor):
    """v rounded to the nearest multiple of `divisor`, at least `divisor`."""
    return max(divisor, int(v + divisor / 2) // divisor * divisor)


class ShuffleNetV1(nn.Module):
    """ShuffleNet v1 built from Table 1.

    Args:
        groups: g in {1, 2, 3, 4, 8}, one column of Table 1.
        scale: s, "ShuffleNet s x" (paper, Section 3.3) multiplies every layer's channels by s,
            so the cost by about s^2. Stage widths are rounded to multiples of 4 g (the
            bottleneck, a quarter of them, must split into g groups) and Conv1 to a multiple
            of g; at s = 1 every count is Table 1's.
        shuffle: False builds every unit without its channel shuffle (Table 3's ablation); the
            parameters and MACs are the same.
    """

    def __init__(self, groups=3, scale=1.0, in_channels=3, num_classes=1000, shuffle=True):
        super().__init__()
        one_of("groups", groups, STAGE_OUT_CHANNELS, where="Table 1")
        one_of("shuffle", shuffle, (True, False))
        positive("scale", scale, hint=" (the paper uses 0.25, 0.5, 1, 1.5, 2)")
        check_args(in_channels=in_channels, num_classes=num_classes)
        conv1, *stage_channels = STAGE_OUT_CHANNELS[groups]
        conv1 = _round(conv1 * scale, groups)
        stage_channels = [_round(c * scale, 4 * groups) for c in stage_channels]
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, conv1, 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(conv1), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        c = conv1
        for (name, _, (first, rest)), out_channels in zip(STAGES, stage_channels):
            units = [ShuffleUnit(c, out_channels, groups, stride=2,
                                 grouped_first=name != "stage2", shuffle=shuffle)]
            units += [ShuffleUnit(out_channels, out_channels, groups, shuffle=shuffle)
                      for _ in range(rest)]
            setattr(self, name, nn.Sequential(*units))
            c = out_channels
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))                      # (B, c1, H / 4, W / 4)
        x = self.stage4(self.stage3(self.stage2(x)))         # (B, c4, H / 32, W / 32)
        return self.fc(self.avgpool(x).flatten(1))


class ShuffleUnitV2(nn.Module):
    """ShuffleNet v2 unit (paper, Figure 3c and 3d). Stride 1: split the channels in half,
    pass one half through, send the other through 1x1 conv (BN, ReLU), 3x3 depthwise conv
    (BN), 1x1 conv (BN, ReLU); concatenate and shuffle with 2 groups. Stride 2: no split; both
    branches see the whole input and downsample it (the left one by depthwise then 1x1
    convolution), doubling the channels.

    Args:
        in_channels, out_channels: channels in and out (equal when stride is 1).
        stride: 1 or 2.
    """

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        one_of("stride", stride, (1, 2))
        if out_channels % 2:
            raise ValueError(f"out_channels={out_channels} must be even: two branches make "
                             f"half each")
        branch_features = out_channels // 2
        if stride == 1 and in_channels != out_channels:
            raise ValueError(f"a stride-1 unit splits its input in two halves of "
                             f"out_channels / 2, so in_channels ({in_channels}) must equal "
                             f"out_channels ({out_channels})")
        self.stride = stride
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels, bias=False),
                nn.BatchNorm2d(in_channels),
                nn.Conv2d(in_channels, branch_features, 1, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        c = in_channels if stride > 1 else branch_features
        self.branch2 = nn.Sequential(
            nn.Conv2d(c, branch_features, 1, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            nn.Conv2d(branch_features, branch_features, 3, stride, 1, groups=branch_features,
                      bias=False),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, 1, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)  # channel split
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNet v2 built from Table 5; `scale` picks its column (0.5, 1.0, 1.5, 2.0)."""

    def __init__(self, scale=1.0, in_channels=3, num_classes=1000):
        super().__init__()
        one_of("scale", scale, STAGES_OUT_CHANNELS_V2, where="Table 5")
        check_args(in_channels=in_channels, num_classes=num_classes)
        conv1, *stage_channels, conv5 = STAGES_OUT_CHANNELS_V2[scale]
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, conv1, 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(conv1), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        c = conv1
        for i, (repeats, out_channels) in enumerate(zip(STAGES_REPEATS_V2, stage_channels)):
            units = [ShuffleUnitV2(c, out_channels, 2)]
            units += [ShuffleUnitV2(out_channels, out_channels, 1) for _ in range(repeats - 1)]
            setattr(self, f"stage{i + 2}", nn.Sequential(*units))
            c = out_channels
        self.conv5 = nn.Sequential(nn.Conv2d(c, conv5, 1, bias=False),
                                   nn.BatchNorm2d(conv5), nn.ReLU(inplace=True))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(conv5, num_classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))                  # (B, c1, H / 4, W / 4)
        x = self.stage4(self.stage3(self.stage2(x)))     # (B, c4, H / 32, W / 32)
        x = self.conv5(x)                                # (B, 1024, H / 32, W / 32)
        return self.fc(self.avgpool(x).flatten(1))


# --- ShuffleNet v2, Section 2: the benchmark networks behind its four guidelines ------------
# Each network repeats one block ten times on a 56x56 map. Within one guideline every row costs
# (nearly) the same MACs, so what separates their speeds is what the guideline names. `width`
# multiplies every channel count: 1, 2 and 4 are the columns "x1", "x2", "x4" of Tables 1 and 2.

#: Table 1 (G1, equal channel widths minimise memory access): two 1x1 convolutions,
#: c1 -> c2 -> c1, for four ratios c1:c2.
G1_CHANNELS = {"1:1": (128, 128), "1:2": (90, 180), "1:6": (52, 312), "1:12": (36, 432)}
#: Table 2 (G2, group convolution costs memory access): two 1x1 convolutions c -> c, g groups.
G2_CHANNELS = {1: 128, 2: 180, 4: 256, 8: 360}
#: G3 (fragmentation costs parallelism), the course's form of the paper's Table 3: the MACs of
#: one 1x1 convolution c -> c spent in n convolutions in series at width c / sqrt(n), or in n
#: parallel convolutions c -> c / n whose outputs are concatenated (the same function as one).
G3_FRAGMENTS = {"1 fragment": ("series", 1), "2 in series": ("series", 2),
                "4 in series": ("series", 4), "2 in parallel": ("parallel", 2),
                "4 in parallel": ("parallel", 4)}
G3_CHANNELS = 128
#: Table 4 (G4, element-wise operations are not free): ResNet's bottleneck, 1x1, 3x3, 1x1 with
#: c -> c/4 -> c/4 -> c, with and without its ReLUs and its shortcut.
G4_VARIANTS = {"ReLU and shortcut": (True, True), "no ReLU": (False, True),
               "no shortcut": (True, False), "neither": (False, False)}
G4_CHANNELS = 128
GUIDELINE_ROWS = {1: G1_CHANNELS, 2: G2_CHANNELS, 3: G3_FRAGMENTS, 4: G4_VARIANTS}
GUIDELINE_BLOCKS, GUIDELINE_SIZE = 10, 56


def _pointwise(c_in, c_out, groups=1):
    return nn.Conv2d(c_in, c_out, 1, groups=groups, bias=False)


class Fragments(nn.Module):
    """n 1x1 convolutions in series (c -> c each) or in parallel (c -> c / n each, outputs
    concatenated)."""

    def __init__(self, channels, n, layout):
        super().__init__()
        one_of("layout", layout, ("series", "parallel"))
        self.layout = layout
        width = channels // n if layout == "parallel" else channels
        self.convs = nn.ModuleList(_pointwise(channels, width) for _ in range(n))

    def forward(self, x):
        if self.layout == "parallel":
            return torch.cat([conv(x) for conv in self.convs], 1)
        for conv in self.convs:
            x = conv(x)
        return x


class PlainBottleneck(nn.Module):
    """ResNet's bottleneck without batch norm: 1x1 (c -> c/4), 3x3, 1x1 (c/4 -> c); `relu`
    after the first two convolutions and after the sum, `shortcut` adds the input."""

    def __init__(self, channels, relu=True, shortcut=True):
        super().__init__()
        m = channels // 4
        self.conv1, self.conv2 = _pointwise(channels, m), nn.Conv2d(m, m, 3, padding=1, bias=False)
        self.conv3 = _pointwise(m, channels)
        self.relu, self.shortcut = relu, shortcut

    def forward(self, x):
        act = torch.relu if self.relu else (lambda t: t)
        out = self.conv3(act(self.conv2(act(self.conv1(x)))))
        return act(out + x if self.shortcut else out)


def guideline_network(guideline: int, row, width: int = 1) -> nn.Sequential:
    """The benchmark network of one guideline (1-4) and one row of its table (a key of
    GUIDELINE_ROWS[guideline]): GUIDELINE_BLOCKS copies of the block. Its input has
    `network.in_channels` channels (at GUIDELINE_SIZE x GUIDELINE_SIZE in the paper)."""
    one_of("guideline", guideline, GUIDELINE_ROWS)
    one_of("row", row, GUIDELINE_ROWS[guideline], where=f"guideline {guideline}")
    one_of("width", width, (1, 2, 4), where="the columns x1, x2, x4")
    if guideline == 1:
        c1, c2 = (c * width for c in G1_CHANNELS[row])
        block, channels = lambda: nn.Sequential(_pointwise(c1, c2), _pointwise(c2, c1)), c1
    elif guideline == 2:
        channels, g = G2_CHANNELS[row] * width, row
        block = lambda: nn.Sequential(_pointwise(channels, channels, g),
                                      _pointwise(channels, channels, g))
    elif guideline == 3:
        layout, n = G3_FRAGMENTS[row]
        c = G3_CHANNELS * width
        channels = c if layout == "parallel" else int(c / n ** 0.5 + 0.5)
        block = lambda: Fragments(channels, n, layout)
    else:
        relu, shortcut = G4_VARIANTS[row]
        channels = G4_CHANNELS * width
        block = lambda: PlainBottleneck(channels, relu, shortcut)
    network = nn.Sequential(*(block() for _ in range(GUIDELINE_BLOCKS)))
    network.in_channels = channels
    return network


@register("shufflenet_v1",
          course={"in_channels": 1, "num_classes": 10, "image_size": 32})
def shufflenet_v1(image_size=224, **kwargs):
    """ShuffleNet 1x, g = 3 (137 M MACs, 1.9 M parameters at 224x224). The course form takes
    32x32 Fashion-MNIST, about 3 M MACs per image; `image_size` only sets the input size."""
    return ShuffleNetV1(**kwargs)


@register("shufflenet_v2",
          course={"in_channels": 1, "num_classes": 10, "image_size": 32})
def shufflenet_v2(image_size=224, **kwargs):
    """ShuffleNet v2 1x (145 M MACs, 2.3 M parameters at 224x224). The course form takes 32x32
    Fashion-MNIST, about 3 M MACs per image; `image_size` only sets the input size."""
    return ShuffleNetV2(**kwargs)
