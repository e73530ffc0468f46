"""Lecture 004: Imperial College, "Deep Learning – NiN, Inception" (Kainz), slides with their
narration. Lines refer to 004_e5729e9928e2c152.txt."""
from __future__ import annotations

import functools

from torch import nn

from lib import cost
from lib.lectures import common
from lib.lectures import measure
from lib.lectures.chapters import ALEXNET, GOOGLENET, INCEPTION, LENET, NIN, VGG
from lib.lectures.claims import CORRECT, ROUNDING, WRONG, Computed, Digits, Exact, Holds, claim

LECTURE = "Imperial College deep learning: NiN, Inception"
SHORT = "Imperial NiN, Inception"
C, R, W = CORRECT, ROUNDING, WRONG


# --- NiN ----------------------------------------------------------------------------------------

def lenet_widths() -> str:
    return ", ".join(str(l.output_shape[0]) for l in measure.layers("lenet", "Linear"))


def vgg_over_alexnet() -> float:
    return common.curse_weights("vgg16") / common.curse_weights("alexnet")


def nine_times() -> Computed:
    ok = all(cost.conv_params(3, c_in, c_out, bias=False) == 9 * c_in * c_out
             for c_in, c_out in ((64, 64), (3, 96), (384, 256)))
    return Computed(ok, "a 3×3 convolution has 9·c_in·c_out weights", holds=ok)


#: Networks whose dense layers the lesson of line 595 is checked on, at 224x224 with 1,000 classes.
DENSE_HEADED = (("AlexNet", "alexnet", {}), ("VGG-16", "vgg16", {}),
                ("NiN with a dense head", "nin", {"head": "dense"}))


def dense_shares() -> list[tuple[str, float, float]]:
    """(network, share of the parameters, share of the MACs) of the dense layers."""
    shares = []
    for label, name, kwargs in DENSE_HEADED:
        counted = measure.count(name, **kwargs)
        dense = [l for l in counted.layers if l.type == "Linear"]
        shares.append((label, sum(l.params for l in dense) / counted.params,
                       sum(l.macs for l in dense) / counted.macs))
    return shares


def dense_memory() -> Computed:
    shares = [(label, p) for label, p, _ in dense_shares()]
    return Computed(min(p for _, p in shares), "dense layers hold " + ", ".join(
        f"{p:.1%}" for _, p in shares) + " of the parameters of " + ", ".join(
        label for label, _ in shares), holds=all(p > 0.5 for _, p in shares))


def dense_compute() -> Computed:
    shares = [(label, m) for label, _, m in dense_shares()]
    return Computed(max(m for _, m in shares), "dense layers do " + ", ".join(
        f"{m:.1%}" for _, m in shares) + " of the MACs of " + ", ".join(
        label for label, _ in shares), holds=any(m > 0.5 for _, m in shares))


def nin_last_map() -> str:
    layers = measure.count("nin").layers
    last_pool = [l for l in layers if l.type == "MaxPool2d"][-1]
    return "×".join(map(str, last_pool.output_shape[1:]))


def nin_pools() -> int:
    return len(measure.layers("nin", "MaxPool2d"))


def lecture_nin(num_classes=10) -> nn.Sequential:
    """The slide's 'NiN in pytorch' (lines 143-192), its layers as written."""
    relu = nn.ReLU
    return nn.Sequential(
        nn.Conv2d(3, 192, 5, padding=2), relu(), nn.Conv2d(192, 160, 1), relu(),
        nn.Conv2d(160, 96, 1), relu(), nn.MaxPool2d(3, stride=2, ceil_mode=True), nn.Dropout(),
        nn.Conv2d(96, 192, 5, padding=2), relu(), nn.Conv2d(192, 192, 1), relu(),
        nn.Conv2d(192, 192, 1), relu(), nn.AvgPool2d(3, stride=2, ceil_mode=True), nn.Dropout(),
        nn.Conv2d(192, 192, 3, padding=1), relu(), nn.Conv2d(192, 192, 1), relu(),
        nn.Conv2d(192, num_classes, 1), relu(), nn.AvgPool2d(8, stride=1))


def lecture_nin_pools() -> Computed:
    net = lecture_nin()
    counted = cost.count(net, (3, 32, 32))
    at_32 = counted.layers[-1].output_shape
    at_64 = cost.count(net, (3, 64, 64)).layers[-1].output_shape
    return Computed(at_32, f"the CIFAR-10 NiN of the paper: {counted.params:,} parameters; its "
                    f"AvgPool2d(8) leaves {at_32[1]}×{at_32[2]} per class at 32×32, "
                    f"{at_64[1]}×{at_64[2]} at 64×64", holds=at_32[1:] == (1, 1))


# --- Inception --------------------------------------------------------------------------------

def kernel_sizes(name) -> str:
    """Kernel sizes of a network's convolutions, largest first."""
    return ", ".join(f"{h}×{w}" for h, w in sorted(measure.kernels(name), reverse=True))


def nin_one_by_one() -> Computed:
    convs = [m for _, m in measure.modules("nin", nn.Conv2d)]
    ones = sum(m.kernel_size == (1, 1) for m in convs)
    return Computed(ones, f"NiN: {ones} of its {len(convs)} convolutions are 1×1 (VGG-16: "
                    f"{kernel_sizes('vgg16')} only)", holds=ones > len(convs) / 2)


def same_size_padding() -> Computed:
    root = measure.find("googlenet", "inception3a")
    convs = [m for n, m in measure.model("googlenet").named_modules()
             if n.startswith(root + ".") and isinstance(m, nn.Conv2d) and m.kernel_size[0] > 1]
    pads = {m.kernel_size[0]: m.padding[0] for m in convs}
    ok = all(cost.conv_output_size(28, k, p) == 28 for k, p in pads.items())
    return Computed(pads, ", ".join(f"{k}×{k}: padding {p}" for k, p in sorted(pads.items()))
                    + "; every branch keeps 28×28", holds=ok and pads == {3: 1, 5: 2})


def inception_3a_channels() -> int:
    return measure.shapes("googlenet", ["inception3a"])["inception3a"][1][0]


def per_input_channel(k) -> int:
    """Weights per input channel of Inception (3a)'s k x k convolution: k^2 x its outputs."""
    net = measure.model("googlenet")
    root = measure.find("googlenet", "inception3a")
    conv = next(m for n, m in net.named_modules() if n.startswith(root + ".")
                and isinstance(m, nn.Conv2d) and m.kernel_size == (k, k))
    return conv.weight.numel() // conv.in_channels


def cost_ratio(k) -> float:
    rows = common.inception_vs_conv()
    return rows[f"conv{k}x{k}"][1] / rows["inception"][1]


def single_layer_formula() -> Computed:
    ok = all(cost.conv_macs(k, c_in, c_out, m) == k * k * c_in * c_out * m * m
             for k, c_in, c_out, m in ((3, 192, 256, 28), (5, 192, 256, 28), (1, 832, 384, 7)))
    return Computed(ok, "lib.cost.conv_macs for three layers", holds=ok)


def paths_formula() -> Computed:
    """c_in · m_h · m_w · Σ_j k_j² c_out,j: exact when every path is one convolution on all c_in
    channels (the naive module); GoogLeNet's reductions make (3a) cheaper than the formula."""
    naive = sum(cost.conv_macs(k, 256, c, 28) for k, c in ((1, 128), (3, 192), (5, 96)))
    formula = 256 * 28 * 28 * (1 * 128 + 9 * 192 + 25 * 96)
    inception = measure.macs("googlenet", ["inception3a"])
    as_paths = 192 * 28 * 28 * (64 + 9 * 128 + 25 * 32 + 32)
    return Computed(formula, f"naive module: {naive / 1e6:.1f} M by lib, {formula / 1e6:.1f} M by the "
                    f"formula; Inception (3a): {inception / 1e6:.0f} M, where the formula gives "
                    f"{as_paths / 1e6:.0f} M", holds=naive == formula)


@functools.cache
def stage_blocks() -> str:
    """Inception modules per stage of GoogLeNet, grouped by their output size."""
    net = measure.model("googlenet")
    modules = [n.rsplit(".", 1)[-1] for n, _ in net.named_modules()
               if n.rsplit(".", 1)[-1].startswith("inception")]
    sides = [out[1] for _, out in measure.shapes("googlenet", modules).values()]
    return ", ".join(str(sides.count(s)) for s in sorted(set(sides), reverse=True))


def pools_halve() -> Computed:
    sides = [l.output_shape[-1] for l in measure.count("googlenet").layers
             if l.type == "MaxPool2d" and l.name.rsplit(".", 1)[-1].startswith("maxpool")]
    steps = [112, *sides]
    return Computed(steps, "3×3/2 max-pools: " + " → ".join(map(str, steps)),
                    holds=all(a == 2 * b for a, b in zip(steps, steps[1:])))


def first_kernels() -> str:
    return ", ".join(f"{measure.modules(n, nn.Conv2d)[0][1].kernel_size[0]}×"
                     f"{measure.modules(n, nn.Conv2d)[0][1].kernel_size[1]}" for n in ("alexnet", "googlenet"))


def after_stage_two() -> str:
    """Side after the second max-pool of AlexNet and of GoogLeNet."""
    sides = []
    for name in ("alexnet", "googlenet"):
        pools = [l for l in measure.count(name).layers if l.type == "MaxPool2d"
                 and l.name.rsplit(".", 1)[-1] in ("pool2", "maxpool2")]
        sides.append(f"{pools[0].output_shape[1]}×{pools[0].output_shape[2]}")
    return ", ".join(sides)


def module_channels(*modules) -> str:
    got = measure.shapes("googlenet", modules)
    return ", ".join(str(got[m][1][0]) for m in modules)


def stage_three_sides() -> str:
    got = measure.shapes("googlenet", ["inception3a", "maxpool3"])
    return f"{got['inception3a'][0][1]}×{got['inception3a'][0][2]} → " \
           f"{got['maxpool3'][1][1]}×{got['maxpool3'][1][2]}"


def channels_and_classes() -> Computed:
    fc = measure.modules("googlenet", nn.Linear)[-1][1]
    return Computed((fc.in_features, fc.out_features), f"{fc.in_features} channels into a "
                    f"linear layer to {fc.out_features} classes", holds=fc.in_features == fc.out_features)


def gap_size() -> str:
    side = measure.shapes("googlenet", ["avgpool"])["avgpool"][0][1:]
    return "×".join(map(str, side))


def per_pair(*kernels) -> int:
    """Weights per input-output channel pair of a stack of convolutions."""
    return sum(cost.conv_params(k, 1, 1, bias=False) for k in kernels)


def receptive_field(*kernels):
    return (1 + sum(k[0] - 1 for k in kernels), 1 + sum(k[1] - 1 for k in kernels))


FOUR = ((7, 1), (1, 7), (7, 1), (1, 7))


def similar_cost() -> Computed:
    four, five = per_pair(*FOUR), per_pair(5)
    h, w = receptive_field(*FOUR)
    return Computed((four, five), f"{four} against {five} weights per channel pair; the four "
                    f"layers see {h}×{w}, not 5×5", holds=abs(four - five) <= 0.15 * five)


def v3_stage(grid) -> Computed:
    return {35: common.v3_35, 17: common.v3_17, 8: common.v3_8}[grid]()


CLAIMS = [
    claim("004.nin.lenet-widths", "line 42, Networks in Networks", "basically just 120 hidden "
          "units 84 and then 10 for output", "120, 84, 10", "lib's LeNet", lenet_widths, Exact(), C,
          chapters=(NIN, LENET)),
    claim("004.nin.lenet-last-layer", "line 46, Networks in Networks", "that was 48,000 "
          "parameters in LeNet", "48,000", "weights of the first dense layer",
          lambda: common.curse_weights("lenet"), Digits(), C, chapters=(NIN, LENET)),
    claim("004.nin.alexnet-last-layer", "line 46, Networks in Networks", "in AlexNet ... 26 "
          "million parameters", "26M", "weights of the first dense layer",
          lambda: common.curse_weights("alexnet"), Digits(), R, chapters=(NIN, ALEXNET)),
    claim("004.nin.vgg-four-times", "line 46, Networks in Networks", "in VGG 4 times that number",
          "4", "VGG-16's first dense layer over AlexNet's", vgg_over_alexnet, Digits(), R,
          chapters=(NIN, VGG)),
    claim("004.nin.nine-times", "line 48, Networks in Networks", "if you had a kernel size of "
          "three then that's nine times input times output", "9 c_in c_out",
          "weights without biases", nine_times, Holds(), C, chapters=(NIN,)),
    *common.curse_claims(
        "004", "lines 64-74, Networks in Networks",
        {"lenet": ("LeNet: 16 × 5 × 5 × 120 = 48k parameters", "48k", C, ""),
         "alexnet": ("AlexNet: 256 × 5 × 5 × 4096 = 26M", "26M", R, ""),
         "vgg16": ("VGG 512 × 7 × 7 × 4096 = 103M", "103M", R,
                   "102,760,448 rounded; lecture 001 truncates it to 102M.")},
        {"lenet": (NIN, LENET), "alexnet": (NIN, ALEXNET), "vgg16": (NIN, VGG)},
        "Convolution layers are parameter cheap: c_i × c_0 × k²",
        "Last layer is parameter expensive for n classes: c × m_w × m_h × n"),
    claim("004.nin.five-by-five", "line 92, Networks in Networks", "if in the end you only have "
          "maybe a five by five activation", "5×5", "NiN's last max-pool at 224×224",
          nin_last_map, Exact(), C, chapters=(NIN,)),
    claim("004.nin.block", "lines 109-113, NiN block", "Two 1x1 convolutions: 1 stride and no "
          "padding, share the same output channels as first layer", "two 1×1", "lib's NiN",
          common.nin_block, Holds(), C, chapters=(NIN,)),
    claim("004.nin.three-times", "line 121, NiN block", "max pooling in order to reduce the "
          "resolution and you did that three times", 3, "max-pools of lib's NiN", nin_pools,
          Exact(), C, chapters=(NIN,)),
    claim("004.nin.pytorch", "lines 143-192, NiN in pytorch", "NiN in pytorch: ... "
          "nn.AvgPool2d(8, stride=1)", "a global pool", "the slide's code, as written",
          lecture_nin_pools, Holds(), C,
          "A NiN, but the paper's CIFAR-10 network (three mlpconv layers of 192-160-96, "
          "192-192-192 and 192-192-10 channels, 32×32 inputs), not the ImageNet-style NiN of "
          "lecture 001 and d2l drawn above it; its fixed 8×8 pool is global only for 32×32 images.",
          (NIN,)),
    claim("004.kernels.lenet", "line 213, Which convolution is the best!?", "we have LeNet and "
          "this one has 5x5 convolutions", "5×5", "lib's LeNet", lambda: kernel_sizes("lenet"),
          Exact(), C, chapters=(GOOGLENET, LENET)),
    claim("004.kernels.alexnet", "line 215, Which convolution is the best!?", "then AlexNet here "
          "used 11 by 11 3 by 3 and 5 by 5 convolutions", "11×11, 5×5, 3×3", "lib's AlexNet",
          lambda: kernel_sizes("alexnet"), Exact(), C, chapters=(GOOGLENET, ALEXNET)),
    claim("004.kernels.nin", "line 217, Which convolution is the best!?", "Then vgg used some "
          "other mix of tools and then it used mostly one by ones", "mostly 1×1",
          "lib's NiN, the figure's fourth network", nin_one_by_one, Holds(), C,
          "Read as NiN, the network the figure shows next: VGG's convolutions are all 3×3.",
          (GOOGLENET, NIN)),
    claim("004.inception.padding", "line 267, Inception block", "that's why there are 3x3 half "
          "padding by one 5x5 and half-padding by two", "1 and 2", "Inception (3a) at 28×28",
          same_size_padding, Holds(), C, chapters=(GOOGLENET,)),
    claim("004.inception.channels", "lines 294-301, Inception block", "64 channels for the one by "
          "ones, 128 for the three by threes, thirty-two for the five by five ... add up to 256",
          256, "output channels of Inception (3a)", inception_3a_channels, Exact(), C,
          chapters=(GOOGLENET,)),
    claim("004.inception.5x5-weights", "line 298, Inception block", "it's 25 times 32", "25·32",
          "weights per input channel of (3a)'s 5×5 convolution",
          lambda: Computed(per_input_channel(5), f"{per_input_channel(5):,} = 25·32"),
          Digits(), C, chapters=(GOOGLENET,)),
    claim("004.inception.3x3-weights", "line 298, Inception block", "in the other case it's 9 "
          "times 128", "9·128", "weights per input channel of (3a)'s 3×3 convolution",
          lambda: Computed(per_input_channel(3), f"{per_input_channel(3):,} = 9·128"), Digits(), C,
          chapters=(GOOGLENET,)),
    *common.inception_vs_conv_claims("004", "lines 316-319, Inception blocks"),
    claim("004.inception.params-spoken", "line 331, Inception blocks", "with inception you only "
          "need 160,000 parameters", "160,000", "weights of Inception (3a), to two digits",
          lambda: common.inception_vs_conv()["inception"][0], Digits(step=10_000), R,
          chapters=(GOOGLENET,)),
    claim("004.inception.flops-spoken", "line 333, Inception blocks", "it costs 128 mega flops",
          "128M", "multiply-accumulates", lambda: common.inception_vs_conv()["inception"][1],
          Digits(), R, chapters=(GOOGLENET,)),
    claim("004.inception.3x3-ratio", "line 335, Inception blocks", "the 3 by 3 would cost you "
          "about three times that", "3", "MACs of one 3×3 convolution over Inception (3a)'s",
          functools.partial(cost_ratio, 3), Digits(), R, chapters=(GOOGLENET,)),
    claim("004.inception.5x5-ratio", "line 335, Inception blocks", "and a five by five about "
          "eight times that amount", "8", "MACs of one 5×5 convolution over Inception (3a)'s",
          functools.partial(cost_ratio, 5), Digits(), R, chapters=(GOOGLENET,)),
    claim("004.algebra.single", "line 347, Less parameters?", "k² × c_in × c_out × m_h × m_w",
          "k² c_in c_out m_h m_w", "multiply-adds of one convolution", single_layer_formula,
          Holds(), C, chapters=(GOOGLENET,)),
    claim("004.algebra.paths", "line 349, Less parameters?", "c_in × m_h × m_w × [Σ_path j "
          "k_j² × c_out,j]", "Σ_j k_j² c_out,j", "multiply-adds of a module of parallel paths",
          paths_formula, Holds(), C, "Exact when every path is one convolution reading all c_in "
          "channels, as in the naive module; GoogLeNet's 1×1 reductions make its modules far "
          "cheaper than the formula says.", (GOOGLENET,)),
    *common.googlenet_claims("004", "line 374, Inception"),
    claim("004.googlenet.pools-halve", "lines 392 and 404, Inception", "that max pooling halves "
          "my resolution", "halves", "lib's GoogLeNet at 224×224", pools_halve, Holds(), C,
          chapters=(GOOGLENET,)),
    claim("004.googlenet.split", "lines 402-415, Inception", "two of them then max pooling ... "
          "backbone of five inception blocks ... another two: a split of two five and two",
          "2, 5, 2", "Inception modules at 28×28, 14×14 and 7×7", stage_blocks, Exact(), C,
          chapters=(GOOGLENET,)),
    claim("004.googlenet.first-kernel", "line 430, Stage 1 and 2", "in an Alexnet it's basically "
          "a very wide convolution 11 by 11 ... it's only a seven by seven", "11×11, 7×7",
          "first convolutions of AlexNet and GoogLeNet", first_kernels, Exact(), C,
          chapters=(GOOGLENET, ALEXNET)),
    claim("004.googlenet.stage-two", "line 436, Stage 1 and 2", "in AlexNet ended up with a 12 "
          "by 12 in the end this is 28 by 28", "12×12, 28×28",
          "after the second max-pool, at 224×224", after_stage_two, Exact(), C,
          chapters=(GOOGLENET, ALEXNET)),
    claim("004.googlenet.stage-three-channels", "line 449, Stage 3", "for the first block you "
          "have 256 channels and the second one you have 480", "256, 480",
          "output channels of (3a) and (3b)",
          lambda: module_channels("inception3a", "inception3b"), Exact(), C,
          chapters=(GOOGLENET,)),
    claim("004.googlenet.stage-three-sides", "line 449, Stage 3", "you start out with 28 by 28 "
          "then the end you get 14 by 14", "28×28 → 14×14", "stage 3's input and its max-pool",
          stage_three_sides, Exact(), C, chapters=(GOOGLENET,)),
    claim("004.googlenet.stage-four-channels", "line 457, Stage 4 and 5", "you increase the "
          "number of channels to 512 up to 832", "512 … 832",
          "output channels of (4a) to (4e)",
          lambda: "512 … 832" if module_channels("inception4a", "inception4e") == "512, 832"
          else module_channels("inception4a", "inception4e"), Exact(), C,
          chapters=(GOOGLENET,)),
    claim("004.googlenet.classes", "line 461, Stage 4 and 5", "in the end you have basically a "
          "1024 channels and that just so happens to be the same thing as ... the number of "
          "classes", "1024 = classes", "", channels_and_classes, Holds(), W,
          "1,024 channels feed a linear layer to 1,000 classes (1,025,000 parameters); unlike "
          "NiN's last block, GoogLeNet's has no channel per class.", (GOOGLENET,)),
    claim("004.googlenet.gap", "line 467, Stage 4 and 5", "global average pooling over a 7x7",
          "7×7", "the average pool's input at 224×224", gap_size, Exact(), C,
          chapters=(GOOGLENET,)),
    *common.flavor_claims("004", {"v2": "line 471", "3x3": "line 473", "1x7": "line 474",
                                  "1x3": "line 475", "deeper": "line 476", "v4": "line 477"}),
    claim("004.v4.imports-resnet", "line 494, Flavours of Inception Networks", "inception v4 then "
          "copies from ResNet and essentially imports the ResNet ideas into Inception",
          "residual connections", "", common.v4_residual, Holds(), W, common.V4_EXPLANATION,
          (INCEPTION,)),
    claim("004.v3.stage-three", "lines 506-508, Inception V3 block for stage 3", "the right-hand "
          "side replaced its five by five convolution by two three by threes", "no 5×5", "",
          functools.partial(v3_stage, 35), Holds(), W, common.V3_35_EXPLANATION, (INCEPTION,)),
    claim("004.v3.stage-four", "line 527, Inception V3 block for stage 4", "it's the five by five "
          "that were replaced and replaced by 1 by 7s and 7 by ones", "1×7, 7×1", "",
          functools.partial(v3_stage, 17), Holds(), C, chapters=(INCEPTION,)),
    claim("004.v3.seven-params", "line 531, Inception V3 block for stage 4", "7 by 1 is quite "
          "narrow right but it requires only 7 parameters per channel", 7,
          "weights per channel pair", lambda: per_pair((7, 1)), Digits(), C, chapters=(INCEPTION,)),
    claim("004.v3.cheaper", "line 533, Inception V3 block for stage 4", "it's actually cheaper to "
          "do this than 3x3s", "cheaper", "weights per channel pair",
          lambda: Computed(per_pair((7, 1)), f"{per_pair((7, 1))} against {per_pair(3)}",
                           holds=per_pair((7, 1)) < per_pair(3)), Holds(), C, chapters=(INCEPTION,)),
    claim("004.v3.five-params", "line 537, Inception V3 block for stage 4", "the 5 by 5 that's 25 "
          "parameters", 25, "weights per channel pair", lambda: per_pair(5), Digits(), C,
          chapters=(INCEPTION,)),
    claim("004.v3.four-layers", "line 539, Inception V3 block for stage 4", "those four layers of "
          "seven by one and one by seven convolutions that are alternated cost you twenty eight "
          "parameters", 28, "weights per channel pair", lambda: per_pair(*FOUR), Digits(), C,
          chapters=(INCEPTION,)),
    claim("004.v3.similar", "line 541, Inception V3 block for stage 4", "This means that the cost "
          "is very similar", "similar", "weights per channel pair", similar_cost, Holds(), C,
          "The costs are close, the fields are not: four alternating 7×1 and 1×7 layers see "
          "13×13, the field of two 7×7 layers (98 weights), while a 5×5 sees 5×5.", (INCEPTION,)),
    claim("004.v3.stage-five", "line 573, Inception V3 block for stage 5", "rather than those three "
          "by threes it used one by three and three by ones", "1×3, 3×1", "",
          functools.partial(v3_stage, 8), Holds(), C, chapters=(INCEPTION,)),
    claim("004.lessons.dense-memory", "line 595, What do we learn from that?", "Dense layers are "
          "... memory intensive", "memory intensive", "parameters of the dense layers, 224×224, "
          "1,000 classes", dense_memory, Holds(), C, "The first dense layer grows with the area "
          "of the last feature map and the last one with the number of classes, as the lecture's "
          "next sentence says.", (NIN,)),
    claim("004.lessons.dense-compute", "line 595, What do we learn from that?", "Dense layers are "
          "computationally ... intensive", "computationally intensive", "MACs of the dense "
          "layers, 224×224, 1,000 classes", dense_compute, Holds(), W, "A dense layer uses each "
          "weight once per image, a convolution each of its weights at every output pixel (257 "
          "times on average in AlexNet, 1,043 in VGG-16): the dense layers hold most of the "
          "parameters and do a few percent of the arithmetic. What they cost is memory and, at "
          "small batches, the time to read their weights.", (NIN,)),
]
