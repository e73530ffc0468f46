"""VGG (Simonyan & Zisserman, ICLR 2015, arXiv:1409.1556). Explained in chapters/05_vgg.ipynb.

A VGG is a stack of VGG blocks (3x3 convolutions with padding 1, then a 2x2 max-pool that
halves the resolution) and three dense layers. Configurations A-E of the paper's Table 1 are
registered as `vgg11`, `vgg11_lrn`, `vgg13`, `vgg16_c`, `vgg16` and `vgg19`; without batch
normalisation their parameters equal torchvision's `vgg11`, `vgg13`, `vgg16` and `vgg19`.
torchvision adds an adaptive average pool before the classifier so that any input size works;
here `image_size` fixes the width of the first dense layer instead, as in the paper.
`one_kernel_per_block` gives a configuration's twin with one large kernel per block and the same
receptive fields (from B, the paper's "shallow net" of Section 4.1).

Course scale (`course_config(name)`): one input channel, ten classes, a 64x64 input, an eighth
of the channels (8-16-32-64-64) and 256-wide dense layers: VGG-11 costs about 10 M MACs per image
and VGG-19 about 25 M, which train on a CPU. d2l's Fashion-MNIST VGG-11 is
`create("vgg11", in_channels=1, num_classes=10, width_mult=0.25)` (channels divided by 4 at
224x224, 4096-wide dense layers).
"""
from torch import nn

from lib.checks import integer, one_of
from lib.models.checks import check_args
from lib.models.layers import init_weights, scale_channels
from lib.models.registry import register

# Paper, Table 1. An int n is conv3-n (a 3x3 convolution with n output channels, padding 1),
# (1, n) is conv1-n, "LRN" local response normalisation and "M" a 2x2 max-pool with stride 2.
# Each convolution is followed by a ReLU.
CONFIGS = {
    "A": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "A-LRN": (64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "B": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "C": (64, 64, "M", 128, 128, "M", 256, 256, (1, 256), "M", 512, 512, (1, 512), "M",
          512, 512, (1, 512), "M"),
    "D": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "E": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"),
}


def config_from_blocks(blocks) -> tuple:
    """d2l's notation, ((num_convs, out_channels), ...), as a CONFIGS entry.

    >>> config_from_blocks(((1, 64), (2, 128)))
    (64, 'M', 128, 128, 'M')
    """
    config = []
    for block in blocks:
        if not (isinstance(block, (tuple, list)) and len(block) == 2):
            raise ValueError(f"each block is a pair (num_convs, out_channels), got {block!r}")
        num_convs, out_channels = block
        config += [out_channels] * num_convs + ["M"]
    return tuple(config)


def one_kernel_per_block(config) -> tuple:
    """`config` (a key of CONFIGS or a sequence) with each block's stack of L 3x3 convolutions
    replaced by one (2L+1)x(2L+1) convolution with the block's channels: the same receptive field
    at every pool, one ReLU per block. From B it gives the paper's "shallow net" of Section 4.1
    (each pair of 3x3 layers replaced by one 5x5 layer).

    >>> one_kernel_per_block((64, "M", 128, 128, 128, "M"))
    ((3, 64), 'M', (7, 128), 'M')
    """
    config = (CONFIGS[one_of("config", config, CONFIGS)] if isinstance(config, str)
              else tuple(config))
    merged = []
    for i, (kernel_sizes, channels, lrn) in enumerate(_blocks(config), start=1):
        if set(kernel_sizes) != {3} or lrn:
            raise ValueError(f"config {config!r}: block {i} has kernels {kernel_sizes}"
                             f"{' and LRN' if lrn else ''}; only blocks of 3x3 convolutions alone "
                             f"merge into one kernel")
        merged += [(2 * len(kernel_sizes) + 1, channels), "M"]
    return tuple(merged)


class VGGBlock(nn.Sequential):
    """`num_convs` convolutions with `out_channels` channels, each followed by a ReLU, then a
    2x2 max-pool with stride 2: (B, in_channels, H, W) -> (B, out_channels, H/2, W/2).

    Args:
        num_convs: number of convolutions (1 to 4 in the paper).
        in_channels: channels of the block's input.
        out_channels: channels of every convolution of the block.
        kernel_sizes: 3 (the paper's conv3), or one kernel size per convolution
            (configuration C ends three blocks with a conv1: ``(3, 3, 1)``).
        lrn: local response normalisation before the pool (configuration A-LRN, first block).
    """

    def __init__(self, num_convs, in_channels, out_channels, kernel_sizes=3, lrn=False):
        kernel_sizes = _check_block(num_convs, in_channels, out_channels, kernel_sizes)
        layers = []
        for k in kernel_sizes:
            layers += [nn.Conv2d(in_channels, out_channels, k, padding=k // 2),
                       nn.ReLU(inplace=True)]
            in_channels = out_channels
        if lrn:
            # As in AlexNet: n=5, alpha=1e-4, beta=0.75, k=2. PyTorch divides alpha by n.
            layers.append(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0))
        layers.append(nn.MaxPool2d(2, 2))
        super().__init__(*layers)


def _blocks(config):
    """Split a flat configuration at its max-pools: [(kernel_sizes, out_channels, lrn), ...]."""
    blocks, convs, lrn = [], [], False
    for v in config:
        if v == "M":
            if not convs:
                raise ValueError(f"config {config!r}: every 'M' must follow at least one "
                                 f"convolution")
            channels = {c for _, c in convs}
            if len(channels) > 1:
                raise ValueError(f"config {config!r}: the convolutions of one block must have the "
                                 f"same number of channels, got {sorted(channels)}")
            blocks.append((tuple(k for k, _ in convs), convs[0][1], lrn))
            convs, lrn = [], False
        elif v == "LRN":
            lrn = True
        elif isinstance(v, int) and v > 0:
            convs.append((3, v))
        elif isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, int) and x > 0 for x in v):
            convs.append(v)
        else:
            raise ValueError(f"config entry {v!r} is not valid: use an int n (conv3-n), a pair "
                             f"(k, n) (convk-n), 'LRN' or 'M'")
    if convs or lrn or not blocks:
        raise ValueError(f"config {config!r} must end with 'M': every block ends with a max-pool")
    return blocks


class VGG(nn.Module):
    """VGG: VGG blocks, then three dense layers.

    Args:
        config: a key of CONFIGS ("A", "A-LRN", "B", "C", "D", "E") or a sequence in the same
            notation (see `config_from_blocks` for d2l's ((num_convs, out_channels), ...)).
        in_channels: channels of the input image.
        num_classes: outputs of the last layer.
        image_size: side of the square input; each block halves it, and what is left fixes the
            width of the first dense layer (224 leaves 7x7).
        width_mult: multiplies every convolution's channel count (0.25 is d2l's ratio 4).
        hidden: width of the two hidden dense layers (4096 in the paper).
        dropout: dropout probability after each hidden dense layer.
    """

    def __init__(self, config="D", in_channels=3, num_classes=1000, image_size=224,
                 width_mult=1.0, hidden=4096, dropout=0.5):
        super().__init__()
        check_args(in_channels=in_channels, num_classes=num_classes, image_size=image_size,
                   width_mult=width_mult, hidden=hidden, dropout=dropout)
        blocks = _blocks(CONFIGS[one_of("config", config, CONFIGS)]
                         if isinstance(config, str) else tuple(config))
        if image_size < 2 ** len(blocks):
            raise ValueError(f"image_size={image_size!r} is too small: {len(blocks)} blocks halve "
                             f"it {len(blocks)} times; use image_size >= {2 ** len(blocks)}")
        side = image_size // 2 ** len(blocks)
        layers = []
        for kernel_sizes, out_channels, lrn in blocks:
            out_channels = scale_channels(out_channels, width_mult)
            layers.append(VGGBlock(len(kernel_sizes), in_channels, out_channels, kernel_sizes,
                                   lrn))
            in_channels = out_channels
        self.features = nn.Sequential(*layers)  # (B, 512, 7, 7) at 224x224
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * side * side, hidden), nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )
        init_weights(self)

    def forward(self, x):
        return self.classifier(self.features(x))


COURSE = dict(in_channels=1, num_classes=10, image_size=64, width_mult=0.125, hidden=256)


@register("vgg11", course=COURSE)
def vgg11(**kwargs):
    return VGG("A", **kwargs)


@register("vgg11_lrn", course=COURSE)
def vgg11_lrn(**kwargs):
    return VGG("A-LRN", **kwargs)


@register("vgg13", course=COURSE)
def vgg13(**kwargs):
    return VGG("B", **kwargs)


@register("vgg16_c", course=COURSE)
def vgg16_c(**kwargs):
    return VGG("C", **kwargs)


@register("vgg16", course=COURSE)
def vgg16(**kwargs):
    return VGG("D", **kwargs)


@register("vgg19", course=COURSE)
def vgg19(**kwargs):
    return VGG("E", **kwargs)


# --- Checks ----------------------------------------------------------------------------------

def _check_block(num_convs, in_channels, out_channels, kernel_sizes) -> tuple[int, ...]:
    """The kernel size of each convolution of a VGG block, after checking the block's arguments."""
    for label, value in (("num_convs", num_convs), ("in_channels", in_channels),
                         ("out_channels", out_channels)):
        integer(label, value)
    if isinstance(kernel_sizes, int):
        kernel_sizes = (kernel_sizes,) * num_convs
    kernel_sizes = tuple(kernel_sizes)
    if len(kernel_sizes) != num_convs:
        raise ValueError(f"kernel_sizes={kernel_sizes} has {len(kernel_sizes)} entries for "
                         f"num_convs={num_convs}; give one kernel size per convolution")
    if any(not isinstance(k, int) or k < 1 or k % 2 == 0 for k in kernel_sizes):
        raise ValueError(f"kernel_sizes={kernel_sizes}: every kernel size must be an odd "
                         f"positive integer (1, 3, 5, ...) so that padding keeps H and W")
    return kernel_sizes
