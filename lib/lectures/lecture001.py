"""Lecture 001: HKUST COMP 5214 & ELEC 5680 (2022), "Advanced Convolutional Neural Networks for
Image Classification" (Chen). Lines refer to 001_07e3c43e3edcfbd7.txt. The course logistics at
its start (deadlines, group sizes) are not claims about networks and are left out."""
from __future__ import annotations

import functools
import math

import torch
from torch import nn

from lib import cost, data
from lib.lectures import common
from lib.lectures import measure
from lib.lectures.chapters import (ALEXNET, BACKPROP, BATCHNORM, EFFICIENTNET, GOOGLENET, LENET,
                                   NIN, RESNET, SENET, SHUFFLENET, VGG)
from lib.lectures.claims import (CORRECT, ROUNDING, WRONG, Computed, Digits, Exact, Holds, claim,
                                 unchecked)

LECTURE = "HKUST COMP 5214 (2022), advanced CNNs"
SHORT = "HKUST COMP 5214"
C, R, W = CORRECT, ROUNDING, WRONG


# --- MNIST ------------------------------------------------------------------------------------

@functools.cache
def mnist():
    """The 5,000 real MNIST digits the course ships, as pixel values in [0, 1], and labels."""
    digits = data.load("mnist_5k", device="cpu")
    images = torch.cat([digits.train.images, digits.test.images])[:, 0] * digits.std + digits.mean
    labels = torch.cat([digits.train.labels, digits.test.labels])
    return images, labels


def mnist_size() -> str:
    h, w = mnist()[0].shape[1:]
    return f"{h}×{w}"


def mnist_classes() -> int:
    return len(mnist()[1].unique())


def mnist_centred() -> Computed:
    """MNIST's construction: each digit scaled into a 20x20 box, its centre of mass put at the
    centre of the 28x28 field (LeCun et al., 1998, section III.A)."""
    images = mnist()[0]
    ink, pos = images > 0.01, torch.arange(28)

    def extent(mask):
        first = torch.where(mask, pos, 28).min(1).values
        last = torch.where(mask, pos, -1).max(1).values
        return last - first + 1

    longer = torch.maximum(extent(ink.any(2)), extent(ink.any(1))).max().item()
    mass = images.sum((1, 2))
    rows = (images.sum(2) * pos).sum(1) / mass
    cols = (images.sum(1) * pos).sum(1) / mass
    low, high = min(rows.min(), cols.min()).item(), max(rows.max(), cols.max()).item()
    return Computed((longer, low, high), f"ink within {longer}×{longer}; centres of mass "
                    f"{low:.1f} to {high:.1f} on {len(images):,} digits",
                    holds=longer <= 20 and 13.5 - 1e-6 <= low and high <= 14.5 + 1e-6)


MNIST_SPLIT = ("The course ships 5,000 of MNIST's digits, so the split cannot be counted here; "
               "LeCun et al. (1998) and the MNIST files give 60,000 training and 10,000 test "
               "images, and Fashion-MNIST copies that split.")


# --- AlexNet and LeNet: the "Complexity" slide ------------------------------------------------

# Lines 157-165 as printed: row, then (cell, verdict) for AlexNet #parameters, LeNet
# #parameters, AlexNet FLOP, LeNet FLOP; None where the slide leaves the cell empty.
COMPLEXITY = (
    ("Conv1", ("35K", R), ("150", C), ("101M", R), ("1.2M", W)),
    ("Conv2", ("614K", R), ("2.4K", C), ("415M", R), ("2.4M", W)),
    ("Conv3-5", ("3M", R), None, ("445M", R), None),
    ("Dense1", ("26M", R), ("0.48M", W), ("26M", R), ("0.48M", W)),
    ("Dense2", ("16M", R), ("0.1M", W), ("16M", R), ("0.1M", W)),
    ("Total", ("46M", R), ("0.6M", W), ("1G", R), ("4M", W)),
)
COLUMNS = (("alexnet", "params", "AlexNet #parameters"), ("lenet", "params", "LeNet #parameters"),
           ("alexnet", "flop", "AlexNet FLOP"), ("lenet", "flop", "LeNet FLOP"))
CONVENTIONS = {
    ("alexnet", "params"): "weights without biases; AlexNet (one tower) at 3×224×224",
    ("lenet", "params"): "weights without biases; LeNet-5 at 1×28×28",
    ("alexnet", "flop"): "multiply-accumulates per 3×224×224 image (54×54 conv1 maps)",
    ("lenet", "flop"): "multiply-accumulates per 1×28×28 image",
}
TENFOLD = "ten times the count, like every LeNet cell but the two convolution weights"
COMPLEXITY_EXPLANATIONS = {
    ("Conv1", "lenet", "flop"): f"28·28·5·5·1·6 = 117,600 MACs: {TENFOLD}.",
    ("Conv2", "lenet", "flop"): f"10·10·5·5·6·16 = 240,000 MACs: {TENFOLD}.",
    ("Dense1", "lenet", "params"): "400·120 = 48,000 weights, the '48k' of this lecture's own "
                                   f"'curse of the last layer' slide: {TENFOLD}.",
    ("Dense1", "lenet", "flop"): f"400·120 = 48,000 MACs: {TENFOLD}.",
    ("Dense2", "lenet", "params"): f"120·84 = 10,080 weights: {TENFOLD}.",
    ("Dense2", "lenet", "flop"): f"120·84 = 10,080 MACs: {TENFOLD}.",
    ("Total", "lenet", "params"): "The rows above add up to 60,630 weights (61,706 parameters "
                                  "with the output layer and the biases).",
    ("Total", "lenet", "flop"): "The rows above add up to 415,680 MACs.",
    ("Total", "alexnet", "params"): "The Total adds the rows above it: the output layer (4.1 M "
                                    "weights and MACs) and the biases are left out.",
    ("Conv1", "alexnet", "flop"): "Multiply-accumulates at 224×224, where conv1's maps are "
                                  "54×54; two FLOPs per MAC would give 203 M, the paper's 55×55 "
                                  "maps (227×227 input) 105 M.",
}


@functools.cache
def complexity_rows(name) -> dict[str, tuple[int, int]]:
    """(weights, MACs) of the slide's rows: the first, the second and the other convolutions,
    the first and the second dense layers, and their sum (without the output layer)."""
    convs, dense = measure.layers(name, "Conv2d"), measure.layers(name, "Linear")
    groups = {"Conv1": convs[:1], "Conv2": convs[1:2], "Conv3-5": convs[2:],
              "Dense1": dense[:1], "Dense2": dense[1:2]}
    rows = {row: (sum(l.macs // math.prod(l.output_shape[1:]) for l in ls), sum(l.macs for l in ls))
            for row, ls in groups.items()}
    rows["Total"] = tuple(sum(r[i] for r in rows.values()) for i in (0, 1))
    return rows


def complexity_cell(row, name, kind):
    return complexity_rows(name)[row][0 if kind == "params" else 1]


def increase(kind) -> float:
    i = 0 if kind == "params" else 1
    return complexity_rows("alexnet")["Total"][i] / complexity_rows("lenet")["Total"][i]


def complexity_claims():
    out = []
    for row, *cells in COMPLEXITY:
        for cell, (name, kind, label) in zip(cells, COLUMNS):
            if cell is None:
                continue
            printed, verdict = cell
            out.append(claim(
                f"001.complexity.{row.lower()}.{name}.{kind}", "lines 157-165, Complexity",
                f"{row}, {label}", printed, CONVENTIONS[name, kind],
                functools.partial(complexity_cell, row, name, kind), Digits(), verdict,
                COMPLEXITY_EXPLANATIONS.get((row, name, kind), ""),
                (LENET, ALEXNET) if name == "lenet" else (ALEXNET,)))
    out += [
        claim("001.complexity.increase.alexnet.params", "line 165, Complexity",
              "Increase, #parameters: AlexNet over LeNet", "76x", "ratio of the Total weights",
              functools.partial(increase, "params"), Digits(), W,
              "76 is the slide's own 46M / 0.6M = 76.7, truncated; LeNet's Total is ten times too "
              "large, and with the rows' true sums AlexNet has 771 times LeNet's weights.",
              (LENET, ALEXNET)),
        claim("001.complexity.increase.lenet.params", "line 165, Complexity",
              "Increase, #parameters: LeNet", "1x", "LeNet over itself", lambda: 1, Digits(), C,
              chapters=(ALEXNET,)),
        claim("001.complexity.increase.alexnet.flop", "line 165, Complexity",
              "Increase, FLOP: AlexNet over LeNet", "250x", "ratio of the Total MACs",
              functools.partial(increase, "flop"), Digits(), W,
              "250 is the slide's own 1G / 4M; with the rows' true sums AlexNet costs 2,420 times "
              "LeNet's multiply-accumulates.", (LENET, ALEXNET)),
        claim("001.complexity.increase.lenet.flop", "line 165, Complexity",
              "Increase, FLOP: LeNet", "1x", "LeNet over itself", lambda: 1, Digits(), C,
              chapters=(ALEXNET,)),
    ]
    return out


def alexnet_tricks() -> Computed:
    layers = measure.count("alexnet").layers
    kinds = [l.type for l in layers]
    dense = [i for i, k in enumerate(kinds) if k == "Linear"]
    after_hidden = all("Dropout" in kinds[i + 1:j] for i, j in zip(dense, dense[1:]))
    relu = "ReLU" in kinds and not {"Sigmoid", "Tanh"} & set(kinds)
    return Computed((relu, after_hidden), "ReLU after every layer; dropout after each of the two "
                    "hidden dense layers", holds=relu and after_hidden)


def relu_gradient() -> Computed:
    x = torch.linspace(-6, 6, 1201, dtype=torch.float64, requires_grad=True)
    sigmoid_best = torch.autograd.grad(torch.sigmoid(x).sum(), x)[0].max().item()
    relu_positive = torch.autograd.grad(torch.relu(x).sum(), x)[0][x > 0].min().item()
    return Computed((sigmoid_best, relu_positive), f"ReLU′ = {relu_positive:g} for x > 0; sigmoid′ "
                    f"≤ {sigmoid_best:g}: ≤ {sigmoid_best ** 20:.1e} over 20 layers",
                    holds=relu_positive == 1 and sigmoid_best ** 20 < 1e-10)


# --- VGG --------------------------------------------------------------------------------------

def dense_too_expensive() -> Computed:
    dense = cost.count(nn.Linear(4096, 4096), (4096,)).params
    conv = cost.count(nn.Conv2d(384, 384, 3, padding=1), (384, 12, 12)).params
    return Computed(dense / conv, f"one more 4096→4096 dense layer: {dense:,} parameters; one "
                    f"more 3×3 convolution at AlexNet's 384×12×12: {conv:,}", holds=dense > 10 * conv)


def vgg_block_convs() -> Computed:
    convs = [m for _, m in measure.modules("vgg11", nn.Conv2d)]
    keep = all(m.kernel_size == (3, 3) and m.padding == (1, 1) and m.stride == (1, 1)
               and cost.conv_output_size(224, 3, 1, 1) == 224 for m in convs)
    return Computed(keep, f"all {len(convs)} of VGG-11's convolutions: 3×3, padding 1, "
                    f"stride 1, which keeps the size", holds=keep)


def vgg_block_pools() -> Computed:
    pools = [l for l in measure.count("vgg11").layers if l.type == "MaxPool2d"]
    sides = [l.output_shape[-1] for l in pools]
    halves = all(a == 2 * b for a, b in zip([224, *sides], sides))
    return Computed(sides, "2×2 stride-2 pools: " + " → ".join(map(str, [224, *sides])),
                    holds=halves)


def _shape(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


@functools.cache
def vgg_shapes() -> dict[str, str]:
    """The lecture's listing of d2l's VGG-11 (1×224×224, 10 classes), from lib's vgg11."""
    out, counters = {}, {"sequential": 1, "dense": 0, "dropout": 0}
    for l in measure.count("vgg11", in_channels=1, num_classes=10).layers:
        kind = {"MaxPool2d": "sequential", "Linear": "dense", "Dropout": "dropout"}.get(l.type)
        if kind:
            out[f"{kind}{counters[kind]}"] = _shape((1, *l.output_shape))
            counters[kind] += 1
    return out


VGG_SHAPES = (("sequential1", "(1, 64, 112, 112)"), ("sequential2", "(1, 128, 56, 56)"),
              ("sequential3", "(1, 256, 28, 28)"), ("sequential4", "(1, 512, 14, 14)"),
              ("sequential5", "(1, 512, 7, 7)"), ("dense0", "(1, 4096)"), ("dropout0", "(1, 4096)"),
              ("dense1", "(1, 4096)"), ("dropout1", "(1, 4096)"), ("dense2", "(1, 10)"))


# --- NiN ----------------------------------------------------------------------------------------

def stride_two() -> float:
    before, after = 224, cost.conv_output_size(224, 3, 1, 2)
    return (before / after) ** 2


def conv1x1_is_dense() -> Computed:
    torch.manual_seed(0)
    conv, dense = nn.Conv2d(16, 8, 1), nn.Linear(16, 8)
    with torch.no_grad():
        dense.weight.copy_(conv.weight[:, :, 0, 0])
        dense.bias.copy_(conv.bias)
        x = torch.randn(4, 16, 1, 1)
        same = torch.allclose(conv(x).flatten(1), dense(x.flatten(1)), atol=1e-6)
    return Computed(same, "a 1×1 convolution on a 1×1 image equals nn.Linear with its weights",
                    holds=same)


@functools.cache
def nin_shapes() -> dict[str, str]:
    """The lecture's listing of d2l's NiN (1×224×224, 10 classes), from lib's nin."""
    out, counters, convs = {}, {"sequential": 1, "pool": 0, "dropout": 0, "flatten": 0}, 0
    for l in measure.count("nin", in_channels=1, num_classes=10).layers:
        kind = {"MaxPool2d": "pool", "AdaptiveAvgPool2d": "pool", "Dropout": "dropout",
                "Flatten": "flatten"}.get(l.type)
        if l.type == "Conv2d":
            convs += 1
            kind = "sequential" if convs % 3 == 0 else None
        if kind:
            out[f"{kind}{counters[kind]}"] = _shape(l.output_shape)
            counters[kind] += 1
    return out


NIN_SHAPES = (("sequential1", "(96, 54, 54)"), ("pool0", "(96, 26, 26)"),
              ("sequential2", "(256, 26, 26)"), ("pool1", "(256, 12, 12)"),
              ("sequential3", "(384, 12, 12)"), ("pool2", "(384, 5, 5)"),
              ("dropout0", "(384, 5, 5)"), ("sequential4", "(10, 5, 5)"), ("pool3", "(10, 1, 1)"),
              ("flatten0", "(10)"))


def googlenet_feature() -> int:
    fc = measure.layers("googlenet", "Linear")[-1]
    return fc.macs // fc.output_shape[0]


# --- EfficientNet: compound scaling -----------------------------------------------------------

# The paper's grid search on B0 (Tan & Le, 2019, Section 3.3) and B0's layers per stage (Table 1).
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15
B0_LAYERS = (1, 2, 2, 3, 3, 4, 1)
PHIS = range(8)


def _compound(phi):
    return dict(scaling="compound", phi=phi)


def blocks(phi) -> int:
    """MBConv blocks of the compound-scaled network, counted by their squeeze-and-excitation
    gates (one sigmoid each)."""
    return sum(l.type == "Sigmoid" for l in measure.count("efficientnet_b0", **_compound(phi)).layers)


def compound_depth() -> Computed:
    got = [blocks(phi) for phi in PHIS]
    rule = [sum(math.ceil(n * ALPHA ** phi) for n in B0_LAYERS) for phi in PHIS]
    return Computed(got, "blocks for φ = 0…7: " + ", ".join(map(str, got))
                    + " = Σ ⌈n_i · 1.2^φ⌉ over B0's stages", holds=got == rule)


def compound_width() -> Computed:
    got = [measure.count("efficientnet_b0", **_compound(phi)).layers[0].output_shape[0] for phi in PHIS]
    close = all(abs(c - 32 * BETA ** phi) <= 4 or c >= 0.9 * 32 * BETA ** phi and c % 8 == 0
                for c, phi in zip(got, PHIS))
    return Computed(got, "stem channels for φ = 0…7: " + ", ".join(map(str, got))
                    + " = 32 · 1.1^φ to a multiple of 8", holds=close)


def compound_resolution() -> Computed:
    from lib import models
    got = [models.input_size("efficientnet_b0", **_compound(phi))[-1] for phi in PHIS]
    rule = [round(224 * GAMMA ** phi) for phi in PHIS]
    return Computed(got, "input sides for φ = 0…7: " + ", ".join(map(str, got))
                    + " = 224 · 1.15^φ", holds=got == rule)


def compound_constraint() -> Computed:
    macs = [measure.count("efficientnet_b0", **_compound(phi)).macs for phi in PHIS]
    growth = (macs[-1] / macs[0]) ** (1 / (len(macs) - 1))
    value = ALPHA * BETA ** 2 * GAMMA ** 2
    return Computed(value, f"{value:.2f} for the paper's α = 1.2, β = 1.1, γ = 1.15; the "
                    f"compound models' MACs grow {growth:.2f}× per step of φ")


def compound_bounds() -> Computed:
    return Computed((ALPHA, BETA, GAMMA), f"α = {ALPHA}, β = {BETA}, γ = {GAMMA}",
                    holds=min(ALPHA, BETA, GAMMA) >= 1)


bn = common.bn_claims("001", "lines 555-562, Batch Normalization", "lines 592-595, Details")

CLAIMS = [
    claim("001.mnist.centred", "line 32, MNIST", "Centered and scaled", "a 20×20 box, centred",
          "LeCun et al.: size-normalised to 20×20, centre of mass at (14, 14)", mnist_centred,
          Holds(), C, "The digits were shifted by whole pixels, so every centre of mass lies "
          "within half a pixel of the field's centre.", (LENET,)),
    unchecked("001.mnist.train", "line 33, MNIST", "60,000 training data", "60,000", MNIST_SPLIT,
              (LENET,)),
    unchecked("001.mnist.test", "line 34, MNIST", "10,000 test data", "10,000", MNIST_SPLIT,
              (LENET,)),
    claim("001.mnist.size", "line 35, MNIST", "28 x 28 images", "28×28", "the shipped digits",
          mnist_size, Exact(), C, chapters=(LENET,)),
    claim("001.mnist.classes", "line 36, MNIST", "10 classes", 10, "labels of the shipped digits",
          mnist_classes, Exact(), C, chapters=(LENET,)),
    unchecked("001.learning-with-kernels", "line 44", "2001: Learning with Kernels", "2001",
              "MIT Press published Schölkopf & Smola's book with the date 2002; its website was "
              "up by November 2001.", (ALEXNET,)),
    unchecked("001.svm", "line 58, Function Classes", "In the 1990s, ... the Support Vector "
              "Machine", "1990s", "Boser, Guyon & Vapnik (1992) and Cortes & Vapnik (1995).",
              (ALEXNET,)),
    unchecked("001.imagenet.year", "line 89", "ImageNet (2010)", "2010",
              "ImageNet was introduced by Deng et al. at CVPR 2009; its challenge (ILSVRC) first "
              "ran in 2010.", (ALEXNET,)),
    unchecked("001.datasets.imagenet.size", "line 101, ImageNet vs MNIST", "Size: 469 x 387 "
              "(ImageNet)", "469×387", "ImageNet is not shipped with the course, so its average "
              "size cannot be measured here; its photographs vary in size, and AlexNet rescales "
              "them to 256×256.", (LENET, ALEXNET)),
    claim("001.datasets.mnist.size", "line 101, ImageNet vs MNIST", "Size: 28 x 28 (MNIST)",
          "28×28", "the shipped digits", mnist_size, Exact(), C, chapters=(LENET,)),
    unchecked("001.datasets.imagenet.examples", "line 102, ImageNet vs MNIST",
              "# examples: 1.2 M (ImageNet)", "1.2 M", "ILSVRC-2012's training set has 1,281,167 "
              "images (Russakovsky et al., 2015).", (LENET, ALEXNET)),
    unchecked("001.datasets.mnist.examples", "line 102, ImageNet vs MNIST",
              "# examples: 60 K (MNIST)", "60 K", MNIST_SPLIT, (LENET,)),
    unchecked("001.datasets.imagenet.classes", "line 103, ImageNet vs MNIST",
              "# classes: 1,000 (ImageNet)", "1,000", "ILSVRC's classification task has 1,000 "
              "classes (Russakovsky et al., 2015); lib's ImageNet models end in 1,000 outputs.",
              (LENET, ALEXNET)),
    claim("001.datasets.mnist.classes", "line 103, ImageNet vs MNIST", "# classes: 10 (MNIST)", 10,
          "labels of the shipped digits", mnist_classes, Exact(), C, chapters=(LENET,)),
    unchecked("001.alexnet.year", "line 107, AlexNet", "AlexNet won ImageNet competition in 2012",
              "2012", "ILSVRC-2012: 15.3 % top-5 error against 26.2 % for the second entry "
              "(Krizhevsky et al., 2012).", (ALEXNET,)),
    claim("001.alexnet.tricks", "lines 146-149, More Tricks", "Change activation function from "
          "sigmoid to ReLu; add a dropout layer after two hidden dense layers", "ReLU, dropout",
          "lib's AlexNet", alexnet_tricks, Holds(), C, chapters=(ALEXNET,)),
    claim("001.alexnet.no-vanishing-gradient", "line 147, More Tricks",
          "(no more vanishing gradient)", "no vanishing", "derivatives of the activations",
          relu_gradient, Holds(), C,
          "True of the activation's own factor; the signal's scale still depends on the "
          "initialisation: with He initialisation ReLU keeps gradients level through 20 layers, "
          "with PyTorch's default they vanish too (chapter 2 measures both).",
          (BACKPROP, ALEXNET)),
    *complexity_claims(),
    claim("001.vgg.dense-too-expensive", "line 180, VGG", "More dense layers (too expensive)",
          "too expensive", "parameters", dense_too_expensive, Holds(), C, chapters=(VGG,)),
    claim("001.vgg.block-conv", "line 194, VGG Blocks", "3x3 convolutions (pad 1)", "same size",
          "lib's VGG-11", vgg_block_convs, Holds(), C, chapters=(VGG,)),
    claim("001.vgg.block-pool", "lines 196-197, VGG Blocks", "2x2 max-pooling (stride 2)",
          "halves", "lib's VGG-11 at 224×224", vgg_block_pools, Holds(), C, chapters=(VGG,)),
    claim("001.vgg.vgg16", "line 211, VGG Architecture", "VGG-16", 16,
          "convolutions and dense layers", lambda: common.weight_layers("vgg16"), Exact(), C,
          chapters=(VGG,)),
    claim("001.vgg.vgg19", "line 211, VGG Architecture", "VGG-19", 19,
          "convolutions and dense layers", lambda: common.weight_layers("vgg19"), Exact(), C,
          chapters=(VGG,)),
    unchecked("001.lenet.year", "line 218, Progress", "LeNet (1995)", "1995",
              "LeCun et al. (1989) trained the first convolutional network with backpropagation; "
              "LeNet-5 is described in full in LeCun et al. (1998). Lecture 002 says 1994.",
              (LENET,)),
    claim("001.lenet.conv-pool", "line 219, Progress", "2 convolution + pooling layers", 2,
          "lib's LeNet", lambda: len(measure.layers("lenet", "Conv2d")), Exact(), C,
          chapters=(LENET,)),
    claim("001.lenet.hidden-dense", "line 220, Progress", "2 hidden dense layers", 2,
          "dense layers before the output layer",
          lambda: len(measure.layers("lenet", "Linear")) - 1, Exact(), C, chapters=(LENET,)),
    *common.curse_claims(
        "001", "lines 250-261, The Last Layer(s)",
        {"lenet": ("LeNet 16 × 5 × 5 × 120 = 48k", "48k", C, ""),
         "alexnet": ("AlexNet 256 × 5 × 5 × 4096 = 26M", "26M", R, ""),
         "vgg16": ("VGG 512 × 7 × 7 × 4096 = 102M", "102M", R,
                   "102,760,448 truncated; lecture 004 rounds it to 103M.")},
        {"lenet": (NIN, LENET), "alexnet": (NIN, ALEXNET), "vgg16": (NIN, VGG)},
        "Convolution layers need relatively few parameters: c_i × c_o × k²",
        "Last layer needs many parameters for n classes: c × m_w × m_h × n"),
    *[claim(f"001.vgg-shapes.{key}", "lines 265-274, VGG parameters",
            f"{key} output shape", shape, "d2l's VGG-11 at 1×224×224, 10 classes",
            lambda key=key: vgg_shapes()[key], Exact(), C, chapters=(VGG,))
      for key, shape in VGG_SHAPES],
    claim("001.nin.stride-two", "line 282, Breaking the Curse of the Last Layer",
          "stride of 2 reduces resolution 4x", "4x", "pixels before / after",
          stride_two, Digits(), C, chapters=(NIN,)),
    claim("001.nin.1x1-is-mlp", "lines 294-296, What's a 1x1 convolution anyway?",
          "1x1 image with n channels: Equivalent to MLP", "equivalent", "", conv1x1_is_dense,
          Holds(), C, chapters=(NIN,)),
    claim("001.nin.block", "lines 314-318, NiN Block", "Following by two 1x1 convolutions: 1 "
          "stride and no padding, share the same output channels as first layer", "two 1×1",
          "lib's NiN", common.nin_block, Holds(), C, chapters=(NIN,)),
    *[claim(f"001.nin-shapes.{key}", "lines 346-364, NiN", f"{key} output shape", shape,
            "d2l's NiN at 1×224×224, 10 classes", lambda key=key: nin_shapes()[key], Exact(), C,
            chapters=(NIN,))
      for key, shape in NIN_SHAPES],
    claim("001.inception.paths", "line 426, Inception Blocks",
          "4 paths extract information from different aspects", 4, "branches of Inception (3a)",
          common.inception_paths, Exact(), C, chapters=(GOOGLENET,)),
    *common.inception_vs_conv_claims("001", "lines 449-452, Inception Blocks"),
    *common.googlenet_claims("001", "line 459, GoogLeNet"),
    claim("001.googlenet.feature", "line 495, Stage 4 & 5", "1024-dim feature to output layer",
          1024, "inputs of the classifier", googlenet_feature, Exact(), C, chapters=(GOOGLENET,)),
    *common.flavor_claims("001", {"v2": "line 506", "3x3": "line 508", "1x7": "line 509",
                                  "1x3": "line 510", "deeper": "line 511", "v4": "line 512"}),
    bn[0],
    unchecked("001.bn.lipton", "line 574, What Batch Norms really do",
              "Doesn't really reduce covariate shift (Lipton et al., 2018)", "2018",
              "Lipton & Steinhardt, 'Troubling Trends in Machine Learning Scholarship' (2018); "
              "Santurkar et al. (2018) measured that batch norm does not reduce covariate shift.",
              (BATCHNORM,), "year of the citation"),
    unchecked("001.bn.minibatch", "line 587, What Batch Norms really do",
              "Ideal minibatch size of 64 to 256", "64 to 256", common.minibatch_source("64 to 256"),
              (BATCHNORM,)),
    *bn[1:],
    unchecked("001.bn.minibatch-128", "line 598, Details", "Optimal minibatch size is ~128", "~128",
              common.minibatch_source("128"), (BATCHNORM,)),
    *common.resnet_claims("001", "line 633, Residual Networks", "f(x) + x",
                          "line 673, ResNet Module"),
    unchecked("001.resnext.year", "line 710, ResNext", "Xie et al., 2016", "2016",
              "Xie, Girshick, Dollár, Tu & He, arXiv November 2016 (CVPR 2017).", (RESNET,)),
    *common.cost_claims("001", "lines 716-731 (again 737-751), Reducing the cost of Convolutions"),
    *common.resnext_claims("001", "lines 754-763, ResNeXt paper's Table 1"),
    common.cardinality_claim("001", "line 768, RexNext budget"),
    unchecked("001.senet.year", "line 781", "Squeeze-Excite Net (Hu et al., 2017)", "2017",
              "Hu, Shen & Sun, arXiv September 2017 (CVPR 2018).", (SENET,)),
    unchecked("001.shufflenet.year", "line 788", "ShuffleNet (Zhang et al., 2018)", "2018",
              "Zhang, Zhou, Lin & Sun, arXiv July 2017, published at CVPR 2018.", (SHUFFLENET,)),
    common.separable_claim("001", "lines 796-803, Separable Convolutions"),
    unchecked("001.efficientnet.year", "line 811, EfficientNet", "[Tan and Le. 2019]", "2019",
              "Tan & Le, 'EfficientNet: Rethinking Model Scaling for Convolutional Neural "
              "Networks', ICML 2019.", (EFFICIENTNET,)),
    claim("001.efficientnet.depth", "line 819, EfficientNet", "depth: d = α^φ", "α^φ",
          "lib's compound-scaled B0 (scaling='compound')", compound_depth, Holds(), C,
          chapters=(EFFICIENTNET,)),
    claim("001.efficientnet.width", "line 821, EfficientNet", "width: w = β^φ", "β^φ",
          "lib's compound-scaled B0", compound_width, Holds(), C, chapters=(EFFICIENTNET,)),
    claim("001.efficientnet.resolution", "line 823, EfficientNet", "resolution: r = γ^φ", "γ^φ",
          "lib's compound-scaled B0", compound_resolution, Holds(), C, chapters=(EFFICIENTNET,)),
    claim("001.efficientnet.constraint", "line 825, EfficientNet", "s.t. α · β² · γ² ≈ 2", "2",
          "the paper's grid-searched α, β, γ", compound_constraint, Digits(), R,
          "The cost of a network grows as d·w²·r², so each step of φ multiplies it by about 2. "
          "The released B1-B7 use rounded, hand-adjusted coefficients instead of the pure rule "
          "(lib builds both: scaling='published' and 'compound').", (EFFICIENTNET,)),
    claim("001.efficientnet.bounds", "line 827, EfficientNet", "α ≥ 1, β ≥ 1, γ ≥ 1", "≥ 1",
          "the paper's α, β, γ", compound_bounds, Holds(), C, chapters=(EFFICIENTNET,)),
]

del bn
