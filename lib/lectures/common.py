"""Slides several lectures share, and what they are computed from.

The Berkeley (000) and HKUST (001) decks are largely the same slides, and the Imperial lecture
(004) repeats several of them. Each lecture lists its own claims (its own lines, sometimes its
own digits); the functions here build the claims of a shared slide and compute its values once.
"""
from __future__ import annotations

import functools
import math

import torch
from torch import nn

from lib import cost
from lib.lectures import measure
from lib.lectures.chapters import (BATCHNORM, BLOCKS, GOOGLENET, INCEPTION, MOBILENET, NIN,
                                   RESNET)
from lib.lectures.claims import CORRECT, ROUNDING, WRONG, Computed, Digits, Exact, Holds, claim

# --- GoogLeNet's Inception (3a) against one convolution ---------------------------------------

# Inception (3a) reads 192 channels at 28x28 and writes 256; the slide replaces it by one 3x3 or
# 5x5 convolution with the same input and output.
INCEPTION_VS_CONV = (
    # row, as printed, #parameters, FLOPS, and their verdicts
    ("inception", "Inception", ("0.16 M", ROUNDING), ("128 M", ROUNDING)),
    ("conv3x3", "3x3 Conv", ("0.44 M", ROUNDING), ("346 M", ROUNDING)),
    ("conv5x5", "5x5 Conv", ("1.22 M", ROUNDING), ("963 M", ROUNDING)),
)


@functools.cache
def inception_vs_conv() -> dict[str, tuple[int, int]]:
    """(weights, MACs) of Inception (3a) and of single 3x3 and 5x5 convolutions in its place."""
    rows = {"inception": (measure.weights("googlenet", ["inception3a"]),
                          measure.macs("googlenet", ["inception3a"]))}
    for k in (3, 5):
        c = cost.count(nn.Conv2d(192, 256, k, padding=k // 2, bias=False), (192, 28, 28))
        rows[f"conv{k}x{k}"] = (c.params, c.macs)
    return rows


def inception_vs_conv_claims(lecture, where, chapters=(GOOGLENET,)):
    out = []
    for key, row, (params, params_verdict), (flops, flops_verdict) in INCEPTION_VS_CONV:
        out += [
            claim(f"{lecture}.inception-vs-conv.{key}.params", where, f"{row}: #parameters",
                  params, "weights without biases; 192 channels in, 256 out, at 28×28",
                  lambda key=key: inception_vs_conv()[key][0], Digits(), params_verdict,
                  chapters=chapters),
            claim(f"{lecture}.inception-vs-conv.{key}.flops", where, f"{row}: FLOPS", flops,
                  "multiply-accumulates (the slide's FLOPS) per 192×28×28 input",
                  lambda key=key: inception_vs_conv()[key][1], Digits(), flops_verdict,
                  chapters=chapters),
        ]
    return out


def inception_paths() -> int:
    """Branches concatenated by Inception (3a): the inputs of the concatenation at its end."""
    _, out = measure.module_io("googlenet", "inception3a", "inception3a")
    return len(out.grad_fn.next_functions)


def googlenet_stages() -> int:
    """Stages of GoogLeNet: the stride-2 max-pools separate them."""
    pools = [m for _, m in measure.modules("googlenet", nn.MaxPool2d) if m.stride == 2]
    return len(pools) + 1


def googlenet_blocks() -> int:
    """Inception blocks: the modules that concatenate branches (one `torch.cat` each)."""
    return measure.nodes("googlenet", "CatBackward")


def googlenet_claims(lecture, where, quote="5 stages with 9 inception blocks",
                     chapters=(GOOGLENET,)):
    return [
        claim(f"{lecture}.googlenet.stages", where, quote, 5, "stages between stride-2 max-pools",
              googlenet_stages, Exact(), CORRECT, chapters=chapters),
        claim(f"{lecture}.googlenet.blocks", where, quote, 9, "modules that concatenate branches",
              googlenet_blocks, Exact(), CORRECT, chapters=chapters),
    ]


# --- The flavours of Inception ----------------------------------------------------------------

def v2_batch_norm() -> Computed:
    convs = len(measure.modules("inception_bn", nn.Conv2d))
    norms = len(measure.modules("inception_bn", nn.BatchNorm2d))
    before = len(measure.modules("googlenet", nn.BatchNorm2d))
    return Computed((before, norms, convs),
                    f"GoogLeNet: {before} batch norms; BN-Inception: {norms} for {convs} "
                    f"convolutions (its first layer is a separable pair under one)",
                    holds=before == 0 and norms >= convs - 1)


V3_GRIDS = {35: ("Mixed_5b", "Mixed_5c", "Mixed_5d"),
            17: ("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"),
            8: ("Mixed_7b", "Mixed_7c")}


def _kernel_text(kernels) -> str:
    return ", ".join(f"{h}×{w}" for h, w in sorted(kernels, key=lambda k: (k[0] * k[1], k)))


def v3_grid_kernels(grid: int) -> set:
    return measure.kernels("inception_v3", V3_GRIDS[grid])


def v3_35() -> Computed:
    k = v3_grid_kernels(35)
    return Computed(k, f"35×35 modules: {_kernel_text(k)}", holds=(5, 5) not in k)


def v3_17() -> Computed:
    k = v3_grid_kernels(17)
    return Computed(k, f"17×17 modules: {_kernel_text(k)}",
                    holds={(1, 7), (7, 1)} <= k and (5, 5) not in k)


def v3_8() -> Computed:
    k = v3_grid_kernels(8)
    return Computed(k, f"8×8 modules: {_kernel_text(k)}", holds={(1, 3), (3, 1)} <= k)


def v3_deeper() -> Computed:
    v1, v3 = measure.network_depth("googlenet"), measure.network_depth("inception_v3")
    return Computed((v1, v3), f"{v3} weight layers on the longest path (GoogLeNet: {v1})",
                    holds=v3 > v1)


def v4_residual() -> Computed:
    v4, resnet_v2 = (measure.residual_additions("inception_v4"),
                     measure.residual_additions("inception_resnet_v2"))
    return Computed((v4, resnet_v2), f"residual additions: Inception-v4 {v4}, "
                    f"Inception-ResNet-v2 {resnet_v2}", holds=v4 > 0)


V3_35_EXPLANATION = (
    "The paper's Figure 5 draws the 35×35 module with two 3×3 convolutions in place of the 5×5; "
    "the released Inception v3 (TF-Slim, torchvision, lib) keeps a 5×5 branch beside the double "
    "3×3 one in all three 35×35 modules. BN-Inception (v2) is the network without any 5×5.")
V4_EXPLANATION = (
    "Inception-v4 has no residual connections; the same paper adds them to Inception-ResNet-v1 "
    "and -v2 (Szegedy et al., 2016), whose 10 + 20 + 10 residual blocks lib builds.")


def flavor_claims(lecture, lines, chapters=(INCEPTION,)):
    """The 'many flavors of Inception Networks' slide; `lines` maps each bullet to its line."""
    return [
        claim(f"{lecture}.flavors.v2-bn", lines["v2"], "Inception-BN (v2) - Add batch normalization",
              "batch norm", "", v2_batch_norm, Holds(), CORRECT, chapters=chapters + (BATCHNORM,)),
        claim(f"{lecture}.flavors.v3-5x5-3x3", lines["3x3"], "Inception-V3: Replace 5x5 by multiple "
              "3x3 convolutions", "no 5×5", "", v3_35, Holds(), WRONG, V3_35_EXPLANATION, chapters),
        claim(f"{lecture}.flavors.v3-1x7", lines["1x7"], "Inception-V3: Replace 5x5 by 1x7 and 7x1 "
              "convolutions", "1×7, 7×1", "", v3_17, Holds(), CORRECT,
              "In the 17×17 modules (Figure 6 of the paper), whose double 3×3 branch of the 35×35 "
              "modules becomes 7×1 and 1×7 pairs.", chapters),
        claim(f"{lecture}.flavors.v3-1x3", lines["1x3"], "Inception-V3: Replace 3x3 by 1x3 and 3x1 "
              "convolutions", "1×3, 3×1", "", v3_8, Holds(), CORRECT,
              "In the 8×8 modules (Figure 7), in parallel: a 3×3's output feeds a 1×3 and a 3×1 "
              "side by side, widening the filter bank; one 3×3 remains.", chapters),
        claim(f"{lecture}.flavors.v3-deeper", lines["deeper"], "Inception-V3: Generally deeper "
              "stack", "deeper", "layers with weights on the longest path", v3_deeper, Holds(),
              CORRECT, chapters=chapters),
        claim(f"{lecture}.flavors.v4-residual", lines["v4"], "Inception-V4 - Add residual "
              "connections", "residual connections", "", v4_residual, Holds(), WRONG,
              V4_EXPLANATION, chapters),
    ]


# --- Batch normalization ----------------------------------------------------------------------

def bn_formula() -> Computed:
    """PyTorch's batch norm in training against mu_B, the biased sigma_B^2 + eps, gamma, beta."""
    torch.manual_seed(0)
    x = torch.randn(64, 5, dtype=torch.float64) * 3 + 1
    bn = nn.BatchNorm1d(5, dtype=torch.float64).train()
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2), bn.bias.uniform_(-1, 1)
        mu = x.mean(0)
        var = ((x - mu) ** 2).mean(0)  # 1/|B|, not 1/(|B| - 1)
        formula = bn.weight * (x - mu) / torch.sqrt(var + bn.eps) + bn.bias
        unbiased = bn.weight * (x - mu) / torch.sqrt(x.var(0) + bn.eps) + bn.bias
        agree = torch.allclose(bn(x), formula) and not torch.allclose(bn(x), unbiased)
    return Computed(agree, "equal to nn.BatchNorm1d in training (variance over |B|, not |B| - 1)",
                    holds=agree)


def bn_dense() -> Computed:
    bn = nn.BatchNorm1d(4096)
    return Computed(bn.running_mean.numel(), "BatchNorm1d(4096): 4,096 means and variances, "
                    "one per unit, each over the minibatch", holds=bn.running_mean.numel() == 1)


def bn_conv() -> Computed:
    name, conv = measure.modules("resnet18", nn.Conv2d)[0]
    _, bn = measure.modules("resnet18", nn.BatchNorm2d)[0]
    n = bn.running_mean.numel()
    return Computed(n, f"ResNet-18's first BatchNorm2d: {n} statistics for {conv.out_channels} "
                    f"channels, each over the minibatch and every pixel",
                    holds=n == conv.out_channels)


BN_DENSE_EXPLANATION = (
    "One normalization per unit: a dense layer's batch norm keeps a mean and a variance for each "
    "of its units, each over the minibatch, as a convolution's keeps one per channel.")


def bn_claims(lecture, formula_where, details_where, chapters=(BATCHNORM,)):
    return [
        claim(f"{lecture}.bn.formula", formula_where, "μ_B = 1/|B| Σ x_i, σ_B² = 1/|B| Σ (x_i − "
              "μ_B)² + ε; x_{i+1} = γ (x_i − μ_B)/σ_B + β", "the formula", "", bn_formula,
              Holds(), CORRECT, chapters=chapters),
        claim(f"{lecture}.bn.dense", details_where, "Dense Layer: One normalization for all",
              "one for all", "", bn_dense, Holds(), WRONG, BN_DENSE_EXPLANATION, chapters),
        claim(f"{lecture}.bn.conv", details_where, "Convolution: One normalization per channel",
              "one per channel", "", bn_conv, Holds(), CORRECT, chapters=chapters),
    ]


def minibatch_source(size: str) -> str:
    return (f"An empirical rule; no code here can check it. Wu & He (2018, Group Normalization) "
            f"show batch norm's error growing as the batch per GPU shrinks (ResNet-50 on "
            f"ImageNet, from 32 down to 2 images); nothing in the papers singles out {size}.")


# --- ResNet ------------------------------------------------------------------------------------

def resnet_sum() -> Computed:
    blocks = measure.residual_additions("resnet18")
    return Computed(blocks, f"ResNet-18: {blocks} blocks, each adds its input to its output",
                    holds=blocks == 8)


def resnet_downsampling() -> Computed:
    sizes = []
    for layer in measure.count("resnet18").layers:
        side = layer.output_shape[-1] if len(layer.output_shape) == 3 else None
        if layer.type == "Conv2d" and side not in sizes:
            sizes.append(side)
    stages = sizes[1:]  # after the stem's 7x7/2 convolution
    halves = all(a == 2 * b for a, b in zip(stages, stages[1:]))
    return Computed(stages, "ResNet-18's stages: " + " → ".join(f"{s}×{s}" for s in stages)
                    + ", each module's first block with stride 2", holds=halves)


def resnet_claims(lecture, formula_where, formula_quote, stride_where, chapters=(RESNET,)):
    return [
        claim(f"{lecture}.resnet.sum", formula_where, formula_quote, "x + g(x)", "", resnet_sum,
              Holds(), CORRECT, chapters=chapters),
        claim(f"{lecture}.resnet.stride", stride_where, "Downsample per module (stride=2)",
              "stride 2", "", resnet_downsampling, Holds(), CORRECT, chapters=chapters),
    ]


# --- Cost formulas ----------------------------------------------------------------------------

# (k_h, k_w, c_i, c_o, groups, input side, padding, stride): layers of the course's networks.
CONVOLUTIONS = ((3, 3, 64, 64, 1, 56, 1, 1), (7, 7, 3, 64, 1, 224, 3, 2), (1, 1, 256, 1024, 1, 14, 0, 1),
                (1, 7, 768, 192, 1, 17, 0, 1), (3, 3, 128, 128, 32, 56, 1, 1),
                (3, 3, 512, 512, 32, 14, 1, 2), (3, 3, 32, 32, 32, 112, 1, 1))


def _conv_counts(formula, counted, grouped):
    """Whether `formula(k_h, k_w, c_i, c_o, b, m_h, m_w)` equals `counted(lib.cost.count(layer))`
    for every grouped (or every ungrouped) layer of CONVOLUTIONS, and how many were compared."""
    checked = 0
    for k_h, k_w, c_i, c_o, b, n, p, s in CONVOLUTIONS:
        if (b > 1) != grouped:
            continue
        padding = (p if k_h > 1 else 0, p if k_w > 1 else 0)
        c = cost.count(nn.Conv2d(c_i, c_o, (k_h, k_w), s, padding, groups=b, bias=False), (c_i, n, n))
        m_h, m_w = c.layers[0].output_shape[1:]
        if formula(k_h, k_w, c_i, c_o, b, m_h, m_w) != counted(c):
            return False, checked
        checked += 1
    return True, checked


def cost_params() -> Computed:
    ok, n = _conv_counts(lambda k_h, k_w, c_i, c_o, b, m_h, m_w: k_h * k_w * c_i * c_o,
                         lambda c: c.params, grouped=False)
    return Computed(ok, f"equal to lib.cost.count for {n} convolutions without bias", holds=ok)


def cost_macs() -> Computed:
    ok, n = _conv_counts(lambda k_h, k_w, c_i, c_o, b, m_h, m_w: m_h * m_w * k_h * k_w * c_i * c_o,
                         lambda c: c.macs, grouped=False)
    return Computed(ok, f"equal to lib.cost.count's MACs for {n} convolutions", holds=ok)


def cost_groups() -> Computed:
    ok, n = _conv_counts(lambda k_h, k_w, c_i, c_o, b, m_h, m_w:
                         m_h * m_w * k_h * k_w * (c_i // b) * (c_o // b) * b,
                         lambda c: c.macs, grouped=True)
    return Computed(ok, f"equal to lib.cost.count's MACs for {n} grouped convolutions", holds=ok)


def cost_depthwise() -> Computed:
    ok = True
    for c, n, k in ((32, 112, 3), (512, 14, 3), (240, 28, 5)):
        counted = cost.count(nn.Conv2d(c, c, k, padding=k // 2, groups=c, bias=False), (c, n, n))
        ok &= counted.macs == n * n * k * k * c
    return Computed(ok, "equal to lib.cost.count for depthwise 3×3 and 5×5 convolutions", holds=ok)


def cost_claims(lecture, where, chapters=(BLOCKS, RESNET)):
    return [
        claim(f"{lecture}.cost.params", where, "Parameters k_h · k_w · c_i · c_o",
              "k_h k_w c_i c_o", "weights without biases", cost_params, Holds(), CORRECT,
              chapters=chapters),
        claim(f"{lecture}.cost.computation", where, "Computation m_h · m_w · k_h · k_w · c_i · c_o",
              "m_h m_w k_h k_w c_i c_o", "multiply-accumulates", cost_macs, Holds(), CORRECT,
              chapters=chapters),
        claim(f"{lecture}.cost.groups", where, "Break up channels (mix only within): "
              "m_h · m_w · k_h · k_w · c_i/b · c_o/b · b", "(c_i/b)(c_o/b) b", "multiply-accumulates",
              cost_groups, Holds(), CORRECT, chapters=chapters),
    ]


def separable_claim(lecture, where, chapters=(BLOCKS, MOBILENET)):
    return claim(f"{lecture}.separable.computation", where, "Break up channels to the extreme, no "
                 "mixing between channels: m_h · m_w · k_h · k_w · c", "m_h m_w k_h k_w c",
                 "multiply-accumulates of a depthwise convolution", cost_depthwise, Holds(),
                 CORRECT, chapters=chapters)


# --- ResNet-50 against ResNeXt-50 (32×4d), the ResNeXt paper's Table 1 ------------------------

RESNEXT_OUTPUTS = (("conv1", "112×112"), ("conv2", "56×56"), ("conv3", "28×28"),
                   ("conv4", "14×14"), ("conv5", "7×7"), ("pool", "1×1"))


@functools.cache
def stage_outputs(name) -> list[str]:
    """Output sides of the stem, each stage and the global pool, in order."""
    sides = []
    for layer in measure.count(name).layers:
        if layer.type in ("Conv2d", "AdaptiveAvgPool2d") and len(layer.output_shape) == 3:
            side = f"{layer.output_shape[1]}×{layer.output_shape[2]}"
            if side not in sides:
                sides.append(side)
    return sides


def resnext_output(i) -> Computed:
    resnet, resnext = stage_outputs("resnet50")[i], stage_outputs("resnext50_32x4d")[i]
    return Computed(resnet if resnet == resnext else f"{resnet} and {resnext}")


def resnext_claims(lecture, where, chapters=(RESNET,)):
    out = [claim(f"{lecture}.resnext-table.output.{stage}", where,
                 f"ResNet-50 vs ResNeXt-50 (32×4d): output of {stage}", side,
                 "both networks at 224×224", lambda i=i: resnext_output(i), Exact(), CORRECT,
                 chapters=chapters)
           for i, (stage, side) in enumerate(RESNEXT_OUTPUTS)]
    note = ("The tables' FLOPs are multiply-adds; ResNet-50 halves the resolution in the 3×3 of a "
            "block, as the ResNeXt paper counts it (4.1 G; striding in the first 1×1, as the ResNet "
            "paper did, gives 3.9 G).")
    for net, label, params, flops in (("resnet50", "ResNet-50", "25.5×10^6", "4.1×10^9"),
                                       ("resnext50_32x4d", "ResNeXt-50 (32×4d)", "25.0×10^6",
                                        "4.2×10^9")):
        key = "resnet50" if net == "resnet50" else "resnext50"
        out += [
            claim(f"{lecture}.resnext-table.{key}.params", where, f"# params., {label}", params,
                  "all parameters, 1,000 classes", lambda net=net: measure.count(net).params,
                  Digits(), ROUNDING, chapters=chapters),
            claim(f"{lecture}.resnext-table.{key}.flops", where, f"FLOPs, {label}", flops,
                  "multiply-accumulates at 224×224", lambda net=net: measure.count(net).macs,
                  Digits(), ROUNDING, note if key == "resnet50" else "", chapters),
        ]
    return out


def cardinality() -> Computed:
    groups = {m.groups for _, m in measure.modules("resnext50_32x4d", nn.Conv2d) if m.groups > 1}
    return Computed(sorted(groups)[0] if len(groups) == 1 else sorted(groups),
                    ", ".join(map(str, sorted(groups))) + " groups in every 3×3 of ResNeXt-50")


def cardinality_claim(lecture, where, chapters=(RESNET,)):
    return claim(f"{lecture}.resnext.cardinality", where, "Slice blocks into 32 sub-blocks", 32,
                 "groups of the 3×3 convolutions", cardinality, Exact(), CORRECT, chapters=chapters)


def weight_layers(name) -> int:
    """Convolutions and dense layers: the depth that names VGG-16 and AlexNet's 8 layers."""
    return len(measure.layers(name, "Conv2d")) + len(measure.layers(name, "Linear"))


# --- NiN: the curse of the last layer, the NiN block ------------------------------------------

def curse_dense_formula() -> Computed:
    """Weights of each network's first dense layer against c·m_w·m_h of the map before it."""
    ok = True
    for name in ("lenet", "alexnet", "vgg16"):
        layers = measure.count(name).layers
        i = next(i for i, l in enumerate(layers) if l.type == "Linear")
        c, m_h, m_w = next(l.output_shape for l in reversed(layers[:i]) if len(l.output_shape) == 3)
        ok &= layers[i].macs == c * m_w * m_h * layers[i].output_shape[0]
    return Computed(ok, "the first dense layer of LeNet, AlexNet and VGG-16 has c·m_w·m_h·n weights",
                    holds=ok)


def curse_conv_formula() -> Computed:
    ok, n = True, 0
    for name in ("lenet", "alexnet", "vgg16", "nin"):
        for _, m in measure.modules(name, nn.Conv2d):
            ok &= m.weight.numel() == m.in_channels * m.out_channels * math.prod(m.kernel_size)
            n += 1
    return Computed(ok, f"c_i·c_o·k² weights in each of the {n} convolutions of LeNet, AlexNet, "
                    f"VGG-16 and NiN", holds=ok)


def curse_weights(name) -> int:
    """Weights of the first dense layer: one multiply-accumulate each."""
    return measure.layers(name, "Linear")[0].macs


def curse_claims(lecture, where, stated, chapters, conv_quote, dense_quote):
    """The 'curse of the last layer' slide: two formulas and three examples (`stated` maps
    lenet, alexnet, vgg16 to (the printed product, the printed value, verdict, explanation))."""
    out = [
        claim(f"{lecture}.curse.conv-formula", where, conv_quote, "c_i c_o k²",
              "weights without biases", curse_conv_formula, Holds(), CORRECT, chapters=(NIN,)),
        claim(f"{lecture}.curse.dense-formula", where, dense_quote, "c m_w m_h n",
              "weights without biases", curse_dense_formula, Holds(), CORRECT, chapters=(NIN,)),
    ]
    for name, (product, value, verdict, explanation) in stated.items():
        out.append(claim(f"{lecture}.curse.{name}", where, product, value,
                         "weights of the first dense layer, without biases",
                         lambda name=name: curse_weights(name), Digits(), verdict, explanation,
                         chapters[name]))
    return out


def nin_block() -> Computed:
    convs = [m for _, m in measure.modules("nin", nn.Conv2d)]
    ok = len(convs) % 3 == 0
    for first, a, b in zip(convs[::3], convs[1::3], convs[2::3]):
        for m in (a, b):
            ok &= (m.kernel_size == (1, 1) and m.stride == (1, 1) and m.padding == (0, 0)
                   and m.out_channels == first.out_channels)
    return Computed(ok, f"each of NiN's {len(convs) // 3} blocks: a convolution, then two 1×1 "
                    f"convolutions with stride 1, no padding, its output channels", holds=ok)
