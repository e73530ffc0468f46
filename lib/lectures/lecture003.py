"""Lecture 003: "Inceptions & Xception" (Xue, 6 July 2018): Inception v1 to v4 and Xception,
with the papers' tables. Lines refer to 003_be7df583eebd9a1b.txt."""
from __future__ import annotations

import functools

import torch
from torch import nn

from lib import cost, models
from lib.lectures import measure
from lib.lectures.chapters import BATCHNORM, GOOGLENET, INCEPTION
from lib.lectures.claims import (CORRECT, ROUNDING, WRONG, Computed, Digits, Exact, Holds, claim,
                                 unchecked)

LECTURE = "Inceptions and Xception (2018)"
SHORT = "Inceptions & Xception"
C, R, W = CORRECT, ROUNDING, WRONG


def c_squared() -> Computed:
    """A 3x3 convolution from C to C channels on the same map, for C and 2C."""
    base, double = cost.conv_macs(3, 64, 64, 28), cost.conv_macs(3, 128, 128, 28)
    return Computed(double / base, f"9·C² multiply-adds per output pixel; doubling C multiplies "
                    f"them by {double / base:g}", holds=double == 4 * base)


# --- The naive and the bottleneck Inception module (28×28×256 input) --------------------------

SIDE, IN = 28, 256


def term(k, c_out, c_in=IN) -> int:
    """One convolution of the module: [k x k conv, c_out] on c_in channels at 28x28."""
    return cost.conv_macs(k, c_in, c_out, SIDE)


# (key, the slide's term as printed, k, c_out, c_in, verdict)
NAIVE = (("1x1", "[1x1 conv, 128] 28x28x128x1x1x256", 1, 128, 256),
         ("3x3", "[3x3 conv, 192] 28x28x192x3x3x256", 3, 192, 256),
         ("5x5", "[5x5 conv, 96] 28x28x96x5x5x256", 5, 96, 256))
BOTTLENECK = (("3x3-reduce", "[1x1 conv, 64] 28x28x64x1x1x256", 1, 64, 256),
              ("5x5-reduce", "[1x1 conv, 64] 28x28x64x1x1x256", 1, 64, 256),
              ("1x1", "[1x1 conv, 128] 28x28x128x1x1x256", 1, 128, 256),
              ("3x3", "[3x3 conv, 192] 28x28x192x3x3x64", 3, 192, 64),
              ("5x5", "[5x5 conv, 96] 28x28x96x5x5x64", 5, 96, 64),
              ("pool-proj", "[1x1 conv, 64] 28x28x64x1x1x256", 1, 64, 256))


def total(rows) -> int:
    return sum(term(k, c_out, c_in) for *_, k, c_out, c_in in rows)


def naive_depth() -> Computed:
    """Output channels of the naive module: its three convolutions and the pooled input."""
    out = sum(c_out for *_, c_out, _ in NAIVE) + IN
    return Computed(out, f"128 + 192 + 96 + 256 = {out} channels from {IN}", holds=out > IN)


def one_by_one() -> Computed:
    c = cost.count(nn.Conv2d(64, 32, 1, bias=False), (64, 56, 56))
    per_filter = c.params // 32
    return Computed(per_filter, f"each of the 32 filters: 1×1×{per_filter} weights, "
                    f"{c.macs // (56 * 56 * 32)} multiply-adds per output")


def one_by_one_shape() -> Computed:
    c = cost.count(nn.Conv2d(64, 32, 1, bias=False), (64, 56, 56))
    out = c.layers[0].output_shape
    return Computed(out, f"64×56×56 → {out[0]}×{out[1]}×{out[2]}",
                    holds=out[1:] == (56, 56) and out[0] < 64)


def term_claims(prefix, rows, where):
    return [claim(f"003.{prefix}.{key}", where, printed.split("] ")[0] + "]", printed.split("] ")[1],
                  "multiply-adds at 28×28", functools.partial(term, k, c_out, c_in), Digits(), C,
                  chapters=(GOOGLENET,))
            for key, printed, k, c_out, c_in in rows]


# --- GoogLeNet, the paper's Table 1 -----------------------------------------------------------

# Rows of Table 1 (lines 181-200) as printed: key, type, the modules of lib's GoogLeNet the row
# stands for (first, last), output size, depth, then (printed, verdict) for params and ops
# (None where the row has none).
GOOGLENET_TABLE = (
    ("conv1", "convolution 7×7/2", ("conv1", "conv1"), "112×112×64", 1, ("2.7K", W), ("34M", W)),
    ("pool1", "max pool 3×3/2", ("maxpool1", "maxpool1"), "56×56×64", 0, None, None),
    ("conv2", "convolution 3×3/1", ("conv2", "conv3"), "56×56×192", 2, ("112K", C), ("360M", R)),
    ("pool2", "max pool 3×3/2", ("maxpool2", "maxpool2"), "28×28×192", 0, None, None),
    ("3a", "inception (3a)", ("inception3a",) * 2, "28×28×256", 2, ("159K", R), ("128M", R)),
    ("3b", "inception (3b)", ("inception3b",) * 2, "28×28×480", 2, ("380K", R), ("304M", R)),
    ("pool3", "max pool 3×3/2", ("maxpool3", "maxpool3"), "14×14×480", 0, None, None),
    ("4a", "inception (4a)", ("inception4a",) * 2, "14×14×512", 2, ("364K", R), ("73M", R)),
    ("4b", "inception (4b)", ("inception4b",) * 2, "14×14×512", 2, ("437K", R), ("88M", R)),
    ("4c", "inception (4c)", ("inception4c",) * 2, "14×14×512", 2, ("463K", W), ("100M", R)),
    ("4d", "inception (4d)", ("inception4d",) * 2, "14×14×528", 2, ("580K", W), ("119M", R)),
    ("4e", "inception (4e)", ("inception4e",) * 2, "14×14×832", 2, ("840K", R), ("170M", R)),
    ("pool4", "max pool 3×3/2", ("maxpool4", "maxpool4"), "7×7×832", 0, None, None),
    ("5a", "inception (5a)", ("inception5a",) * 2, "7×7×832", 2, ("1072K", W), ("54M", W)),
    ("5b", "inception (5b)", ("inception5b",) * 2, "7×7×1024", 2, ("1388K", W), ("71M", R)),
    ("avgpool", "avg pool 7×7/1", ("avgpool", "avgpool"), "1×1×1024", 0, None, None),
    ("dropout", "dropout (40%)", ("dropout", "dropout"), "1×1×1024", 0, None, None),
    ("linear", "linear", ("fc", "fc"), "1×1×1000", 1, ("1000K", C), ("1M", R)),
    ("softmax", "softmax", None, "1×1×1000", 0, None, None),
)
GOOGLENET_EXPLANATIONS = {
    ("conv1", "params"): "7·7·3·64 = 9,408 weights, 9.2 K. The printed 2.7K and 34M agree with "
                         "each other (2.7·1024·112·112 = 34.7 M) but not with a 7×7 convolution "
                         "to 64 channels: even one input channel gives 3,136 weights.",
    ("conv1", "ops"): "9,408 weights at 112×112: 118.0 M multiply-adds. The ops column adds up "
                      "to 1,502 M, the paper's budget of 1.5 billion, only with the printed 34M.",
    ("4c", "params"): "The row's columns give 497.5 K; the printed ops, 100M, follow from them.",
    ("4d", "params"): "The row's columns give 590.5 K; the printed ops, 119M, follow from them.",
    ("5a", "params"): "The row's columns give 1,018 K; the printed 1072K and 54M agree with each "
                      "other (1072·1024·7·7 = 53.8 M), not with the columns.",
    ("5a", "ops"): "1,042,432 weights at 7×7: 51.1 M multiply-adds.",
    ("5b", "params"): "The row's columns give 1,409 K; the printed ops, 71M, follow from them.",
}
PARAMS_CONVENTION = "weights without biases; K = 1024 (112K is 114,688 = 112·1024)"


def row_parts(row):
    return [row[0]] if row[0] == row[1] else list(row)


def softmax_depth() -> int:
    x = torch.empty(1, 1000, device="meta", requires_grad=True)
    source = x.view_as(x)
    return measure.longest_path(torch.softmax(source, 1), source, measure.is_layer)


def table_output(name, modules) -> str:
    last = modules[1]
    return measure.hwc(measure.shapes(name, [last])[last][1])


def googlenet_claims():
    out = []
    for key, kind, modules, size, depth, params, ops in GOOGLENET_TABLE:
        chapters = (GOOGLENET,)
        where = "lines 181-200, Table 1"
        out.append(claim(
            f"003.googlenet-table.{key}.output", where, f"{kind}: output size", size,
            "lib's GoogLeNet at 224×224", functools.partial(
                table_output, "googlenet", modules or ("fc", "fc")), Exact(), C, chapters=chapters))
        out.append(claim(
            f"003.googlenet-table.{key}.depth", where, f"{kind}: depth", depth,
            "layers with weights on the row's longest path",
            softmax_depth if modules is None else functools.partial(measure.depth, "googlenet", *modules),
            Exact(), C, chapters=chapters))
        if params:
            out.append(claim(
                f"003.googlenet-table.{key}.params", where, f"{kind}: params", params[0],
                PARAMS_CONVENTION, functools.partial(measure.weights, "googlenet", row_parts(modules)),
                Digits(kilo=1024, tolerance=0.01), params[1],
                GOOGLENET_EXPLANATIONS.get((key, "params"), ""), chapters))
            out.append(claim(
                f"003.googlenet-table.{key}.ops", where, f"{kind}: ops", ops[0],
                "multiply-adds per 224×224 image",
                functools.partial(measure.macs, "googlenet", row_parts(modules)), Digits(), ops[1],
                GOOGLENET_EXPLANATIONS.get((key, "ops"), ""), chapters))
        if key == "dropout":
            out.append(claim(
                "003.googlenet-table.dropout.rate", where, "dropout (40%)", "40%",
                "probability of dropping a unit", lambda: measure.modules("googlenet", nn.Dropout)[0][1].p,
                Digits(), C, chapters=chapters))
    return out


# --- BN-Inception ("Inception V2"): Figure 5 of the batch-norm paper --------------------------

# key, type, lib's modules (first, last), output size, depth, verdicts of the two
V2_TABLE = (
    ("conv1", "convolution* 7×7/2", ("conv1", "conv1"), "112×112×64", 1, C, C),
    ("pool1", "max pool 3×3/2", ("pool1", "pool1"), "56×56×64", 0, C, C),
    ("conv2", "convolution 3×3/1", ("conv2_reduce", "conv2"), "56×56×192", 1, C, W),
    ("pool2", "max pool 3×3/2", ("pool2", "pool2"), "28×28×192", 0, C, C),
    ("3a", "inception (3a)", ("inception_3a",) * 2, "28×28×256", 3, C, C),
    ("3b", "inception (3b)", ("inception_3b",) * 2, "28×28×320", 3, C, C),
    ("3c", "inception (3c), stride 2", ("inception_3c",) * 2, "28×28×576", 3, W, C),
    ("4a", "inception (4a)", ("inception_4a",) * 2, "14×14×576", 3, C, C),
    ("4b", "inception (4b)", ("inception_4b",) * 2, "14×14×576", 3, C, C),
    ("4c", "inception (4c)", ("inception_4c",) * 2, "14×14×576", 3, W, C),
    ("4d", "inception (4d)", ("inception_4d",) * 2, "14×14×576", 3, W, C),
    ("4e", "inception (4e), stride 2", ("inception_4e",) * 2, "14×14×1024", 3, W, C),
    ("5a", "inception (5a)", ("inception_5a",) * 2, "7×7×1024", 3, C, C),
    ("5b", "inception (5b)", ("inception_5b",) * 2, "7×7×1024", 3, C, C),
    ("avgpool", "avg pool 7×7/1", ("avgpool", "avgpool"), "1×1×1024", 0, C, C),
)
V2_EXPLANATIONS = {
    ("3c", "output"): "A stride-2 module: 28×28 in, 14×14 out, as the next row's input says.",
    ("4c", "output"): "Its columns give 160 + 160 + 160 + 128 = 608 channels, which (4d) then "
                      "reads.",
    ("4d", "output"): "Its columns give 96 + 192 + 192 + 128 = 608 channels.",
    ("4e", "output"): "Stride 2 takes 14×14 to 7×7, and 192 + 256 + 608 passed through = 1,056 "
                      "channels; 1,024 would need (4d) to have 576.",
    ("conv2", "depth"): "A 1×1 reduction to 64 channels, then the 3×3: two layers, as GoogLeNet's "
                        "Table 1 counts the same row.",
    ("conv1", "depth"): "The starred convolution is separable (a 7×7 depthwise and a 1×1 layer), "
                        "counted as one layer.",
}


def v2_claims():
    out = []
    where = "lines 230-245, Inception V2 table"
    for key, kind, modules, size, depth, size_verdict, depth_verdict in V2_TABLE:
        out += [
            claim(f"003.v2-table.{key}.output", where, f"{kind}: output size", size,
                  "lib's BN-Inception at 224×224",
                  functools.partial(table_output, "inception_bn", modules), Exact(), size_verdict,
                  V2_EXPLANATIONS.get((key, "output"), ""), (INCEPTION,)),
            claim(f"003.v2-table.{key}.depth", where, f"{kind}: depth", depth,
                  "layers with weights on the longest path; a separable pair counts once",
                  functools.partial(measure.depth, "inception_bn", *modules, separable_as_one=True),
                  Exact(), depth_verdict, V2_EXPLANATIONS.get((key, "depth"), ""), (INCEPTION,)),
        ]
        if "stride 2" in kind:
            out.append(claim(
                f"003.v2-table.{key}.stride", where, f"{kind}", 2, "input side over output side",
                functools.partial(v2_stride, modules[0]), Exact(), C, chapters=(INCEPTION,)))
    return out


def v2_stride(module) -> int:
    (_, h_in, _), (_, h_out, _) = measure.shapes("inception_bn", [module])[module]
    return h_in // h_out


def v2_no_5x5() -> Computed:
    k = measure.kernels("inception_bn")
    return Computed(k, "BN-Inception's kernels: " + ", ".join(f"{h}×{w}" for h, w in sorted(k))
                    + " (the 7×7 is its separable first layer)", holds=(5, 5) not in k)


def v1_dropout() -> Computed:
    p = measure.modules("googlenet", nn.Dropout)[0][1].p
    a = {m.p for _, m in measure.modules("alexnet", nn.Dropout)}.pop()
    return Computed((p, a), f"GoogLeNet {p:.0%}, AlexNet and VGG {a:.0%}", holds=(p, a) == (0.4, 0.5))


# --- Inception v3: Table 1 of "Rethinking the Inception Architecture" ------------------------

# Rows as printed (lines 261-275): key, type and patch, input size, the lib module whose input
# that row describes (None: the row's input is the classifier's output), verdict.
V3_TABLE = (
    ("conv1", "conv 3×3/2", "299×299×3", "Conv2d_1a_3x3", C),
    ("conv2", "conv 3×3/1", "149×149×32", "Conv2d_2a_3x3", C),
    ("conv3", "conv padded 3×3/1", "147×147×32", "Conv2d_2b_3x3", C),
    ("pool1", "pool 3×3/2", "147×147×64", "maxpool1", C),
    ("conv4", "conv 3×3/1", "73×73×64", "Conv2d_3b_1x1", C),
    ("conv5", "conv 3×3/2", "71×71×80", "Conv2d_4a_3x3", W),
    ("conv6", "conv 3×3/1", "35×35×192", "maxpool2", W),
    ("inception-35", "3×Inception (figure 5)", "35×35×288", "Mixed_5b", W),
    ("inception-17", "5×Inception (figure 6)", "17×17×768", "Mixed_6b", C),
    ("inception-8", "2×Inception (figure 7)", "8×8×1280", "Mixed_7b", C),
    ("pool2", "pool 8×8", "8×8×2048", "avgpool", C),
    ("linear", "linear logits", "1×1×2048", "fc", C),
    ("softmax", "softmax classifier", "1×1×1000", None, C),
)
V3_STEM = ("The paper's Table 1 does not describe its released network (TF-Slim's checkpoint, "
           "torchvision and lib): there a 1×1 convolution to 80 channels keeps 73×73, a 3×3/1 "
           "convolution gives 71×71×192, and a 3×3/2 max-pool 35×35×192, which enters the first "
           "Inception module directly.")
V3_EXPLANATIONS = {
    "conv5": V3_STEM,
    "conv6": V3_STEM,
    "inception-35": "The first 35×35 module reads 192 channels; 288 is the input of the third "
                    "(and of the grid reduction after it).",
}


def v3_input(module) -> str:
    if module is None:
        return measure.hwc(measure.shapes("inception_v3", ["fc"])["fc"][1])
    return measure.hwc(measure.shapes("inception_v3", [module])[module][0])


@functools.cache
def v3_modules() -> dict[str, tuple]:
    names = [n.rsplit(".", 1)[-1] for n, _ in measure.model("inception_v3").named_modules()
             if n.rsplit(".", 1)[-1].startswith("Mixed_")]
    return measure.shapes("inception_v3", names)


def v3_module_count(side) -> int:
    """Inception modules that keep a side×side grid (the grid reductions between are apart)."""
    return sum(i[1] == o[1] == side for i, o in v3_modules().values())


def v3_grids() -> str:
    sides = sorted({o[1] for _, o in v3_modules().values()}, reverse=True)
    return " / ".join(f"{s}×{s}" for s in sides)


def v3_factorised() -> Computed:
    k = {k for k in measure.kernels("inception_v3") if k[0] != k[1]}
    return Computed(k, "asymmetric kernels: " + ", ".join(f"{h}×{w}" for h, w in sorted(k)),
                    holds=k == {(1, 7), (7, 1), (1, 3), (3, 1)})


def v3_claims():
    out = []
    where = "lines 261-275, Inception V3 (the paper's Table 1)"
    for key, kind, size, module, verdict in V3_TABLE:
        out.append(claim(f"003.v3-table.{key}.input", where, f"{kind}: input size", size,
                         "lib's Inception v3 at 299×299", functools.partial(v3_input, module),
                         Exact(), verdict, V3_EXPLANATIONS.get(key, ""), (INCEPTION,)))
    for side, (count, verdict) in {35: (3, C), 17: (5, W), 8: (2, C)}.items():
        out.append(claim(
            f"003.v3-table.inception-{side}.count", where,
            f"{count}×Inception at {side}×{side}", count,
            "modules that keep the grid (the grid reductions are counted apart)",
            functools.partial(v3_module_count, side), Exact(), verdict,
            "The released network has four 17×17 modules after the 35→17 grid reduction."
            if verdict == W else "", (INCEPTION,)))
    return out


CLAIMS = [
    claim("003.motivation.c-squared", "line 32, Problems", "3 × 3 × C → 3 × 3 × C: C² "
          "computations", "C²", "multiply-adds of a 3×3 convolution, C channels in and out",
          c_squared, Holds(), C, chapters=(GOOGLENET,)),
    unchecked("003.arora.venue", "line 45, Sparsely Connected Architecture", "Arora et al. ... "
              "ICML 2014", "2014", "Arora, Bhaskara, Ge & Ma, 'Provable Bounds for Learning Some "
              "Deep Representations', ICML 2014.", (GOOGLENET,)),
    unchecked("003.judd.year", "line 53, Why Arora et al. is important", "in 1988 J. Stephen "
              "Judd shows the following problem to be NP-hard", "1988", "Judd, 'On the "
              "complexity of loading shallow neural networks', Journal of Complexity, 1988.",
              (GOOGLENET,)),
    unchecked("003.judd.two-thirds", "line 57, Why Arora et al. is important", "even if it only "
              "requires ... the correct output for just two-thirds of the training examples",
              "2/3", "A result on the complexity of training, quoted from the O'Reilly article "
              "the slide cites; no code can check it.", (GOOGLENET,)),
    unchecked("003.blum-rivest.year", "line 57, Why Arora et al. is important", "In 1993, Blum "
              "and Rivest make the news worse", "1993", "Blum & Rivest, 'Training a 3-node neural "
              "network is NP-complete': NIPS 1988 and Neural Networks 5(1), 1992; 1993 is its "
              "reprint in Springer's Lecture Notes in Computer Science 661.", (GOOGLENET,)),
    unchecked("003.blum-rivest.network", "line 57, Why Arora et al. is important", "a simple "
              "network with just two layers and three nodes is NP-hard to train",
              "2 layers, 3 nodes", "The paper's network: 2 layers, 3 nodes, n inputs, linear "
              "threshold units.", (GOOGLENET,)),
    *term_claims("naive", NAIVE, "line 121, Naïve Inception module"),
    claim("003.naive.total", "line 121, Naïve Inception module", "Total: 854M ops", "854M",
          "multiply-adds at 28×28×256", lambda: total(NAIVE), Digits(), R, chapters=(GOOGLENET,)),
    claim("003.naive.depth", "line 125, Naïve Inception module", "Pooling layer also preserves "
          "feature depth, which means total depth after concatenation can only grow",
          "grows", "output channels", naive_depth, Holds(), C, chapters=(GOOGLENET,)),
    claim("003.1x1.dot-product", "lines 143-145, Inception 1x1 Conv", "1x1 Conv with 32 filters "
          "(each filter has size 1x1x64, and performs a 64-dimensional dot product)", 64,
          "a 1×1 convolution on 64×56×56", one_by_one, Exact(), C, chapters=(GOOGLENET,)),
    claim("003.1x1.shape", "lines 153-155, Inception 1x1 Conv", "preserves spatial dimensions, "
          "reduces depth!", "same size, fewer channels", "", one_by_one_shape, Holds(), C,
          chapters=(GOOGLENET,)),
    *term_claims("bottleneck", BOTTLENECK, "line 175, Inception module with dimension reduction"),
    claim("003.bottleneck.total", "line 175, Inception module with dimension reduction",
          "Total: 358M ops", "358M", "multiply-adds at 28×28×256", lambda: total(BOTTLENECK),
          Digits(), W, "The slide's own six terms add up to 271 M, which is what the module costs. "
          "358 M is that sum with the 3×3 term taken over 128 input channels instead of the 64 "
          "the slide writes (173.4 M instead of 86.7 M).", (GOOGLENET,)),
    claim("003.bottleneck.naive", "line 177, Inception module with dimension reduction",
          "Compared to 854M ops for naive version", "854M", "multiply-adds at 28×28×256",
          lambda: total(NAIVE), Digits(), R, chapters=(GOOGLENET,)),
    *googlenet_claims(),
    claim("003.v2.5x5-3x3", "line 206, Inception V2", "Inception V2 > 5x5 --- 3x3", "no 5×5",
          "lib's BN-Inception", v2_no_5x5, Holds(), C, chapters=(INCEPTION,)),
    unchecked("003.v2-notes.dropout", "line 218, Inception V2 > BN", "最后的模型分别使用10%、5%和"
              "0%的dropout (the final models use 10 %, 5 % and 0 % dropout)", "10 %, 5 %, 0 %",
              "Training choices of Ioffe & Szegedy (2015), Section 4.2.1 ('Remove Dropout'), "
              "that no code here can check.", (INCEPTION, BATCHNORM)),
    claim("003.v2-notes.previous-dropout", "line 218, Inception V2 > BN", "与之前的40%-50%相比 "
          "(against the 40 %-50 % before)", "40 %-50 %", "dropout of lib's GoogLeNet and AlexNet",
          v1_dropout, Holds(), C, chapters=(INCEPTION, BATCHNORM)),
    unchecked("003.v2-notes.l2", "line 220, Inception V2 > BN", "降低L2权重衰减系数 ... 降低为原来"
              "的5倍 (the L2 weight decay is reduced five times)", "5", "Ioffe & Szegedy (2015), "
              "Section 4.2.1: the weight of the L2 loss is reduced by a factor of 5.",
              (INCEPTION, BATCHNORM)),
    *v2_claims(),
    claim("003.v3-notes.factorisation", "line 255, Inception v3", "将7x7分解成两个一维的卷积"
          "(1x7,7x1)，3x3也是一样(1x3,3x1) (7x7 factorised into 1x7 and 7x1, 3x3 into 1x3 and 3x1)",
          "1×7, 7×1, 1×3, 3×1", "lib's Inception v3", v3_factorised, Holds(), C,
          chapters=(INCEPTION,)),
    claim("003.v3-notes.input", "line 255, Inception v3", "网络输入从224x224变为了299x299 (the "
          "input grows from 224×224 to 299×299)", "299×299", "lib's input size",
          lambda: "×".join(map(str, models.input_size("inception_v3")[1:])), Exact(), C,
          chapters=(INCEPTION,)),
    claim("003.v3-notes.grids", "line 255, Inception v3", "更加精细设计了35x35/17x17/8x8的模块 "
          "(modules for the 35×35, 17×17 and 8×8 grids)", "35×35 / 17×17 / 8×8",
          "grids of lib's Inception v3 modules", v3_grids, Exact(), C, chapters=(INCEPTION,)),
    *v3_claims(),
]
