"""Published parameter and MAC counts of every registered model, in one place.

Each entry is for the model's default configuration, `create(name)`: the paper's ImageNet form
(3 input channels, 1000 classes) at the resolution `input_size(name)` gives. MACs are
multiply-accumulates of convolution and linear layers per image, what the papers and
torchvision call FLOPs (see `lib.cost`). A number is `None` where nobody publishes one for
this form; nothing here is computed by this code.

Where torchvision implements the same network, the numbers are the `meta["num_params"]` and
`meta["_ops"]` (GMACs, three decimals) of its ImageNet weights, named in `weights`;
`scripts/zoo_table.py` reads them from torchvision, and tests/test_zoo_table.py checks that the
literals below still agree. torchvision's `alexnet` (64-192-384-256-256 channels, Krizhevsky
2014) and `googlenet` (batch normalisation, 3x3 where the paper has 5x5) are different networks
from the ones here, so those two cite the lectures and the paper instead.

`note` says why the count differs from the reference where it does by more than 1 %.
`scripts/zoo_table.py` turns this table and `lib.cost.count` into data/zoo_table.md.

`ACCURACY` holds each model's published ImageNet top-1 accuracy (single model, single crop, on
the ILSVRC-2012 validation set). Where torchvision ships ImageNet weights for the same network it
is their `meta["_metrics"]["ImageNet-1K"]["acc@1"]`: one evaluation (resize, then a centre
crop at the model's resolution) for every network that has it. Elsewhere it is the paper's own
single-crop figure. EfficientNet takes the paper's Table 2: torchvision evaluates B2 at 288
instead of 260, and the chapter on compound scaling discusses the paper's numbers.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    params: int | float | None  # learnable parameters; an int is exact, a float rounded in print
    macs: int | float | None    # multiply-accumulates per image at the default resolution
    source: str                 # where the numbers are printed
    weights: str | None = None  # torchvision weights enum whose meta holds them, if any
    note: str = ""              # why the count differs from the reference


def _tv(weights, params, gmacs, source=None, note=""):
    """A torchvision reference: `meta["num_params"]` and `meta["_ops"]` of `weights`."""
    return Reference(params, gmacs * 1e9, source or f"torchvision {weights}", weights, note)


REFERENCES = {
    "lenet": Reference(
        61_706, None,
        "d2l.torch.LeNet(num_classes=10), materialised on a 1x28x28 input (d2l 1.0)",
        note="No MAC count is published for this form. Lecture 001's complexity table prints "
             "4M for LeNet, ten times the 415,680 MACs of its layers before the output layer "
             "(lib.lectures, claims 001.complexity.*.lenet.*)."),
    "alexnet": Reference(
        46e6, 1e9,
        "lecture 001 (HKUST COMP 5214), 'Complexity' slide, AlexNet Total row",
        note="The slide's total leaves out the biases and the 4096x1000 output layer (4.1 M "
             "weights, 4.1 M MACs): its rows sum to 46.7 M weights. The paper's '60 million "
             "parameters' is the two-tower network at 227x227 (6x6x256 into fc6)."),
    "vgg11": _tv("VGG11_Weights.IMAGENET1K_V1", 132_863_336, 7.609),
    "vgg11_lrn": Reference(
        133e6, None, "Simonyan & Zisserman 2015 (arXiv:1409.1556), Table 2 (A-LRN); "
                     "the paper gives no FLOPs"),
    "vgg13": _tv("VGG13_Weights.IMAGENET1K_V1", 133_047_848, 11.308),
    "vgg16_c": Reference(
        134e6, None, "Simonyan & Zisserman 2015 (arXiv:1409.1556), Table 2 (C); "
                     "the paper gives no FLOPs"),
    "vgg16": _tv("VGG16_Weights.IMAGENET1K_V1", 138_357_544, 15.47),
    "vgg19": _tv("VGG19_Weights.IMAGENET1K_V1", 143_667_240, 19.632),
    "nin": Reference(
        None, None, "none published",
        note="The layers are d2l's NiN block for block (tests/test_lectures_sources.py), but "
             "neither d2l nor the paper (whose ImageNet model is a different one) prints a "
             "count."),
    "googlenet": Reference(
        6.8e6, 1.5e9,
        "Szegedy et al. 2015 (arXiv:1409.4842): Table 1's params column summed (6,797.7 K); "
        "Section 1: a budget of 1.5 billion multiply-adds",
        note="Table 1's 'K' is 1024 (6,797.7 K is 6.96 M weights) and it omits biases; its rows "
             "do not all follow from its columns: conv1 prints 2.7K / 34M for a 7x7x3x64 "
             "convolution (9,408 weights, 118.0 M MACs), and 4c, 4d, 5a and 5b print other "
             "parameter counts than their columns give. The ops column sums to 1,502 M; conv1's "
             "+84 M is the gap to the 1,583 M counted."),
    "inception_bn": Reference(
        11_295_240, 2_048.06e6,
        "osmr/imgclsmob pytorch/README.md, BN-Inception (Params; FLOPs/2)",
        note="osmr builds Figure 5 with a plain 7x7 first convolution (118.0 M MACs) where the "
             "table has a separable one (34.0 M), and a bias on every convolution; its FLOPs/2 "
             "also counts a little beyond convolution and linear layers (+0.5 % on Inception "
             "v3)."),
    "inception_v3": _tv(
        "Inception_V3_Weights.IMAGENET1K_V1", 27_161_264, 5.713,
        note="The parameters include the auxiliary classifier (3.3 M), its MACs are not counted: "
             "it runs only in training mode."),
    "inception_v4": Reference(
        42_679_816, 12_304.93e6,
        "osmr/imgclsmob pytorch/README.md, InceptionV4 (Params; FLOPs/2)"),
    "inception_resnet_v2": Reference(
        55_843_464, 13_188.64e6,
        "osmr/imgclsmob pytorch/README.md, InceptionResNetV2 (Params; FLOPs/2)"),
    "xception": Reference(
        22_855_952, 8_403.63e6,
        "Chollet 2017 (arXiv:1610.02357), Table 3 (params); osmr/imgclsmob pytorch/README.md "
        "(FLOPs/2)"),
    "resnet18": _tv("ResNet18_Weights.IMAGENET1K_V1", 11_689_512, 1.814),
    "resnet34": _tv("ResNet34_Weights.IMAGENET1K_V1", 21_797_672, 3.664),
    "resnet50": _tv("ResNet50_Weights.IMAGENET1K_V1", 25_557_032, 4.089),
    "resnet101": _tv("ResNet101_Weights.IMAGENET1K_V1", 44_549_160, 7.801),
    "resnet152": _tv("ResNet152_Weights.IMAGENET1K_V1", 60_192_808, 11.514),
    "resnext50_32x4d": _tv("ResNeXt50_32X4D_Weights.IMAGENET1K_V1", 25_028_904, 4.23),
    "se_resnet50": Reference(
        28.1e6, 3.87e9,
        "Hu et al. 2018 (arXiv:1709.01507): Table 10, r = 16 (params); Section 4 (GFLOPs)",
        note="The paper's ResNet-50 strides in the first 1x1 of a block (3.86 G for the plain "
             "network); the default here strides in the 3x3, as torchvision, which costs 4.09 G. "
             "With stride_in_1x1=True the count is 3.861 G, and the paper's 3.87 G also counts "
             "the squeeze and scale operations (2 x 5.5 M)."),
    "densenet121": _tv("DenseNet121_Weights.IMAGENET1K_V1", 7_978_856, 2.834),
    "densenet169": _tv("DenseNet169_Weights.IMAGENET1K_V1", 14_149_480, 3.36),
    "densenet201": _tv("DenseNet201_Weights.IMAGENET1K_V1", 20_013_928, 4.291),
    "squeezenet1_0": _tv("SqueezeNet1_0_Weights.IMAGENET1K_V1", 1_248_424, 0.819),
    "squeezenet1_1": _tv("SqueezeNet1_1_Weights.IMAGENET1K_V1", 1_235_496, 0.349),
    "mobilenet_v1": Reference(
        4.2e6, 569e6,
        "Howard et al. 2017 (arXiv:1704.04861), Tables 4, 6 and 7: 1.0 MobileNet-224"),
    "mobilenet_v2": _tv("MobileNet_V2_Weights.IMAGENET1K_V1", 3_504_872, 0.301),
    "shufflenet_v1": Reference(
        1.9e6, 137e6,
        "Zhang et al. 2018 (arXiv:1707.01083), Table 1, 1x g = 3 (MFLOPs); the authors' release "
        "megvii-model/ShuffleNet-Series (params)",
        note="1.9 M is printed to two digits (the count, 1.866 M, rounds to it) and the release's "
             "classifier has no biases (1,000 fewer)."),
    "shufflenet_v2": _tv("ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1", 2_278_604, 0.145),
    "efficientnet_b0": _tv("EfficientNet_B0_Weights.IMAGENET1K_V1", 5_288_548, 0.386),
    "efficientnet_b1": _tv("EfficientNet_B1_Weights.IMAGENET1K_V1", 7_794_184, 0.687),
    # torchvision evaluates its B2 weights at a 288 crop: `_ops` (1.088) is the cost at 288, not
    # at the paper's 260, so the MACs here are the paper's.
    "efficientnet_b2": Reference(
        9_109_994, 1.0e9,
        "torchvision EfficientNet_B2_Weights.IMAGENET1K_V1 (params); Tan & Le 2019 "
        "(arXiv:1905.11946), Table 2 (FLOPs at 260x260)",
        "EfficientNet_B2_Weights.IMAGENET1K_V1"),
    "efficientnet_b3": _tv("EfficientNet_B3_Weights.IMAGENET1K_V1", 12_233_232, 1.827),
    "efficientnet_b4": _tv("EfficientNet_B4_Weights.IMAGENET1K_V1", 19_341_616, 4.394),
    "efficientnet_b5": _tv("EfficientNet_B5_Weights.IMAGENET1K_V1", 30_389_784, 10.266),
    "efficientnet_b6": _tv("EfficientNet_B6_Weights.IMAGENET1K_V1", 43_040_704, 19.068),
    "efficientnet_b7": _tv("EfficientNet_B7_Weights.IMAGENET1K_V1", 66_347_960, 37.746),
}


@dataclass(frozen=True)
class Accuracy:
    top1: float | None  # ImageNet top-1 accuracy in %, single model and single crop
    source: str         # where it is printed
    weights: str | None = None  # torchvision weights enum whose meta holds it, if any
    note: str = ""      # what the number is for, where the network differs from the course's


def _tv_top1(weights, top1):
    """torchvision's single-crop accuracy of `weights`: `meta["_metrics"]["ImageNet-1K"]["acc@1"]`."""
    return Accuracy(top1, f"torchvision {weights}", weights)


_EFFICIENTNET_TABLE_2 = "Tan & Le 2019 (arXiv:1905.11946v5), Table 2"
_EFFICIENTNET_NOTE = ("torchvision measures {} % for the released weights{}; the ICML 2019 "
                      "version of the paper printed {} %.")

ACCURACY = {
    "lenet": Accuracy(None, "not an ImageNet network",
                      note="LeNet reads 28x28 grey digits; chapter 3 trains it on MNIST."),
    "alexnet": Accuracy(
        59.3, "Krizhevsky et al. 2012, Table 2: 1 CNN, 40.7 % top-1 error (validation)",
        note="The paper's two-tower network with local response normalisation; the course's "
             "single tower has none of either. torchvision's AlexNet (56.5 %) has other widths."),
    "vgg11": _tv_top1("VGG11_Weights.IMAGENET1K_V1", 69.02),
    "vgg11_lrn": Accuracy(
        70.3, "Simonyan & Zisserman 2015 (arXiv:1409.1556), Table 3: A-LRN, 29.7 % top-1 error "
              "at a single test scale"),
    "vgg13": _tv_top1("VGG13_Weights.IMAGENET1K_V1", 69.928),
    "vgg16_c": Accuracy(
        71.9, "Simonyan & Zisserman 2015 (arXiv:1409.1556), Table 3: C trained at S = 256, "
              "28.1 % top-1 error at a single test scale"),
    "vgg16": _tv_top1("VGG16_Weights.IMAGENET1K_V1", 71.592),
    "vgg19": _tv_top1("VGG19_Weights.IMAGENET1K_V1", 72.376),
    "nin": Accuracy(None, "none published",
                    note="The paper reports CIFAR, SVHN and MNIST results only; d2l trains this "
                         "form on Fashion-MNIST."),
    "googlenet": Accuracy(
        71.0, "Szegedy et al. 2016 (arXiv:1512.00567), Table 3: GoogLeNet, 29 % top-1 error, "
              "single crop",
        note="The GoogLeNet paper itself reports only top-5 errors. torchvision's googlenet "
             "(69.8 %) adds batch normalisation and is another network."),
    "inception_bn": Accuracy(
        74.8, "Szegedy et al. 2016 (arXiv:1512.00567), Table 3: BN-Inception, 25.2 % top-1 "
              "error, single crop"),
    "inception_v3": _tv_top1("Inception_V3_Weights.IMAGENET1K_V1", 77.294),
    "inception_v4": Accuracy(
        80.0, "Szegedy et al. 2017 (arXiv:1602.07261), Table 2: Inception-v4, 20.0 % top-1 "
              "error, single crop"),
    "inception_resnet_v2": Accuracy(
        80.1, "Szegedy et al. 2017 (arXiv:1602.07261), Table 2: Inception-ResNet-v2, 19.9 % "
              "top-1 error, single crop"),
    "xception": Accuracy(79.0, "Chollet 2017 (arXiv:1610.02357), Table 1: 0.790 top-1"),
    "resnet18": _tv_top1("ResNet18_Weights.IMAGENET1K_V1", 69.758),
    "resnet34": _tv_top1("ResNet34_Weights.IMAGENET1K_V1", 73.314),
    "resnet50": _tv_top1("ResNet50_Weights.IMAGENET1K_V1", 76.13),
    "resnet101": _tv_top1("ResNet101_Weights.IMAGENET1K_V1", 77.374),
    "resnet152": _tv_top1("ResNet152_Weights.IMAGENET1K_V1", 78.312),
    "resnext50_32x4d": _tv_top1("ResNeXt50_32X4D_Weights.IMAGENET1K_V1", 77.618),
    "se_resnet50": Accuracy(
        76.71, "Hu et al. 2018 (arXiv:1709.01507), Table 2: SE-ResNet-50, 23.29 % top-1 "
               "error, single crop"),
    "densenet121": _tv_top1("DenseNet121_Weights.IMAGENET1K_V1", 74.434),
    "densenet169": _tv_top1("DenseNet169_Weights.IMAGENET1K_V1", 75.6),
    "densenet201": _tv_top1("DenseNet201_Weights.IMAGENET1K_V1", 76.896),
    "squeezenet1_0": _tv_top1("SqueezeNet1_0_Weights.IMAGENET1K_V1", 58.092),
    "squeezenet1_1": _tv_top1("SqueezeNet1_1_Weights.IMAGENET1K_V1", 58.178),
    "mobilenet_v1": Accuracy(
        70.6, "Howard et al. 2017 (arXiv:1704.04861), Table 6: 1.0 MobileNet-224"),
    "mobilenet_v2": _tv_top1("MobileNet_V2_Weights.IMAGENET1K_V1", 71.878),
    "shufflenet_v1": Accuracy(
        67.8, "the authors' release megvii-model/ShuffleNet-Series, README: ShuffleNetV1 1.0x "
              "(group=3), 32.2 % top-1 error",
        note="The paper's Table 2 prints 32.6 % error for 1x, g = 3."),
    "shufflenet_v2": _tv_top1("ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1", 69.362),
    **{f"efficientnet_b{i}": Accuracy(
        top1, _EFFICIENTNET_TABLE_2, note=_EFFICIENTNET_NOTE.format(
            torchvision, " (at a 288 crop)" if i == 2 else "", icml))
       for i, (top1, torchvision, icml) in enumerate([
           (77.1, 77.692, 76.3), (79.1, 78.642, 78.8), (80.1, 80.608, 79.8),
           (81.6, 82.008, 81.1), (82.9, 83.384, 82.6), (83.6, 83.444, 83.3),
           (84.0, 84.008, 84.0), (84.3, 84.122, 84.4)])},
}
