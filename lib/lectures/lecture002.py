"""Lecture 002: "CNNs Overloaded", Session 5 (Sundar, 2018). Lines refer to
002_ae18b79a70dc0fce.txt."""
from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

from lib import cost, models
from lib.lectures import common
from lib.lectures import measure
from lib.lectures.chapters import (ALEXNET, BACKPROP, BATCHNORM, BLOCKS, GOOGLENET, INCEPTION,
                                   LENET, MOBILENET, RESNET, SQUEEZENET, VGG)
from lib.lectures.claims import (CORRECT, ROUNDING, WRONG, Computed, Digits, Exact, Holds, claim,
                                 unchecked)

LECTURE = "CNNs Overloaded (2018)"
SHORT = "CNNs Overloaded"
C, R, W = CORRECT, ROUNDING, WRONG


# --- Local connectivity and parameter sharing -------------------------------------------------

# The slide's figure: m = 7 inputs, n = 3 outputs, windows of k = 3 inputs, 2 apart.
M, N, K, STRIDE = 7, 3, 3, 2


def layer_costs(m=M, k=K, stride=STRIDE) -> dict[str, tuple[int, int]]:
    """(parameters, multiplies) of the dense, locally connected and shared layers: the shared one
    is a Conv1d; the locally connected one has a weight of its own per connection."""
    shared = cost.count(nn.Conv1d(1, 1, k, stride=stride, bias=False), (1, m))
    n = shared.layers[0].output_shape[-1]
    dense = cost.count(nn.Linear(m, n, bias=False), (m,))
    return {"dense": (dense.params, dense.macs), "local": (shared.macs, shared.macs),
            "shared": (shared.params, shared.macs)}


def saving(layer, kind) -> float:
    """How many times fewer parameters ("storage") or multiplies ("runtime") than the dense
    layer."""
    costs = layer_costs()
    i = 0 if kind == "storage" else 1
    return costs["dense"][i] / costs[layer][i]


def layer_rule(layer) -> Computed:
    """The general rules, for windows of k inputs with stride 1 over m inputs."""
    ok = True
    for m, k in ((7, 3), (28, 5), (100, 9)):
        n = m - k + 1
        params, mults = layer_costs(m, k, 1)[layer]
        expected = {"dense": (m * n, m * n), "local": (k * n, k * n), "shared": (k, k * n)}[layer]
        ok &= (params, mults) == expected
    rule = {"dense": "m·n parameters, m·n multiplies", "local": "k·n parameters, k·n multiplies",
            "shared": "k parameters, k·n multiplies"}[layer]
    return Computed(ok, f"{rule}, for three layer sizes", holds=ok)


# --- Convolution and pooling ------------------------------------------------------------------

IMAGE = ((1, 1, 1, 0, 0), (0, 1, 1, 1, 0), (0, 0, 1, 1, 1), (0, 0, 1, 1, 0), (0, 1, 1, 0, 0))
KERNEL = ((1, 0, 1), (0, 1, 0), (1, 0, 1))


def _rows(t) -> str:
    return " / ".join(" ".join(str(int(v)) for v in row) for row in t.tolist())


def convolved_feature() -> str:
    x, k = torch.tensor(IMAGE, dtype=torch.float32), torch.tensor(KERNEL, dtype=torch.float32)
    return _rows(F.conv2d(x[None, None], k[None, None])[0, 0])


def output_size(kernels) -> Computed:
    """An H×W×C input and `kernels` D×D×C kernels, stride 1, no padding."""
    h, w, c, d = 32, 24, 3, 5
    out = F.conv2d(torch.zeros(1, c, h, w), torch.zeros(kernels, c, d, d)).shape[1:]
    slide = (h * d + 1, w * d + 1, kernels)  # the slide's "(H D + 1)", read as written
    return Computed(tuple(out), f"(H − D + 1)·(W − D + 1)·{'K' if kernels > 1 else 1}: "
                    f"{h - d + 1}×{w - d + 1}×{kernels} for H = {h}, W = {w}, D = {d}",
                    holds=slide == (out[1], out[2], out[0]))


def pooling_size() -> Computed:
    """W2 = (W1 - F + 2P)/S + 1 against PyTorch's max pooling, for every small layer."""
    agree = 0
    for w1 in range(2, 16):
        for f in range(1, 5):
            for p in range(0, f // 2 + 1):
                for s in range(1, 4):
                    if f > w1 + 2 * p:
                        continue
                    got = F.max_pool2d(torch.zeros(1, 1, w1, w1), f, s, p).shape[-1]
                    if got != (w1 - f + 2 * p) // s + 1:
                        return Computed(False, f"differs at W1={w1}, F={f}, P={p}, S={s}", holds=False)
                    agree += 1
    return Computed(True, f"PyTorch's size for {agree} pooling layers, the division floored",
                    holds=True)


def pooling_depth() -> Computed:
    out = nn.MaxPool2d(2)(torch.zeros(1, 64, 8, 8)).shape[1]
    return Computed(out, f"D2 = D1: 64 channels in, {out} out", holds=False)


def pooling_params() -> int:
    return cost.count(nn.MaxPool2d(2), (64, 224, 224)).params


def chain_rule() -> Computed:
    """d x3 / d w1 through three sigmoid units x_l = sigma(w_l x_{l-1}), by autograd and by the
    slide's formula (activations x2, x1 where the chain rule puts the weights w3, w2)."""
    w1, w2, w3 = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.5, -1.5, 2.0))
    x0 = torch.tensor(1.2, dtype=torch.float64)
    x1 = torch.sigmoid(w1 * x0)
    x2 = torch.sigmoid(w2 * x1)
    x3 = torch.sigmoid(w3 * x2)
    (autograd,) = torch.autograd.grad(x3, w1)
    with torch.no_grad():
        d = lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z))  # noqa: E731
        slide = d(w3 * x2) * x2 * d(w2 * x1) * x1 * d(w1 * x0) * x0
        fixed = d(w3 * x2) * w3 * d(w2 * x1) * w2 * d(w1 * x0) * x0
    return Computed(autograd.item(), f"autograd {autograd.item():+.4f}; the slide's formula "
                    f"{slide.item():+.4f}; with w3, w2 for x2(i), x1(i) {fixed.item():+.4f}",
                    holds=math.isclose(slide.item(), autograd.item()))


def flatten() -> Computed:
    d, m, n = 16, 5, 5
    out = nn.Flatten()(torch.zeros(1, d, m, n)).shape[1]
    return Computed(out, f"{m}×{n}×{d} → {out} = MND", holds=out == m * n * d)


# --- Backpropagation --------------------------------------------------------------------------

def _true_convolution(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """z(n) = sum_k x(k) y(n - k) where x and the kernel overlap fully (the 'valid' part), by
    the definition: the kernel runs backwards over the input."""
    kh, kw = k.shape
    out = torch.zeros(x.shape[0] - kh + 1, x.shape[1] - kw + 1, dtype=x.dtype)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = sum(x[i + kh - 1 - a, j + kw - 1 - b] * k[a, b]
                            for a in range(kh) for b in range(kw))
    return out


@functools.cache
def _example():
    torch.manual_seed(0)
    o = torch.randn(6, 7, dtype=torch.float64)
    w = torch.randn(3, 2, dtype=torch.float64)
    delta = torch.randn(4, 6, dtype=torch.float64)
    return o, w, delta


def _xcorr(x, k):
    return F.conv2d(x[None, None], k[None, None])[0, 0]


def rot180(t):
    return t.flip(0, 1)


def forward_rotated_sum() -> Computed:
    o, w, _ = _example()
    same = torch.allclose(rot180(_xcorr(o, w)), _xcorr(o, w))
    return Computed(same, "rotating the whole sum turns the output map by 180°: not the forward "
                    "pass", holds=same)


def forward_rotated_kernel() -> Computed:
    o, w, _ = _example()
    same = torch.allclose(_true_convolution(o, rot180(w)), _xcorr(o, w))
    return Computed(same, "a true convolution with rot180(w) equals PyTorch's conv2d with w",
                    holds=same)


def weight_gradient() -> Computed:
    o, w, delta = _example()
    w = w.clone().requires_grad_()
    (_xcorr(o, w) * delta).sum().backward()
    same = torch.allclose(w.grad, _true_convolution(o, rot180(delta)))
    return Computed(same, "rot180(δ) * o (true convolution) equals autograd's ∂E/∂w", holds=same)


def delta_rule() -> Computed:
    torch.manual_seed(1)
    x = torch.randn(6, 7, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 2, dtype=torch.float64)
    delta_next = torch.randn(4, 6, dtype=torch.float64)
    (_xcorr(torch.sigmoid(x), w) * delta_next).sum().backward()
    kh, kw = w.shape
    full = F.conv2d(F.pad(delta_next, (kw - 1, kw - 1, kh - 1, kh - 1))[None, None],
                    rot180(w)[None, None])[0, 0]
    f_prime = torch.sigmoid(x) * (1 - torch.sigmoid(x))
    same = torch.allclose(x.grad, full * f_prime.detach())
    return Computed(same, "δ^{l+1} padded by k − 1, cross-correlated with rot180(w), times f′: "
                    "equals autograd", holds=same)


def derivative(name) -> Computed:
    f, rule = {"relu": (torch.relu, lambda x, y: (x > 0).to(x.dtype)),
               "sigmoid": (torch.sigmoid, lambda x, y: y * (1 - y)),
               "tanh": (torch.tanh, lambda x, y: 1 - y ** 2)}[name]
    x = torch.linspace(-5, 5, 1001, dtype=torch.float64, requires_grad=True)
    y = f(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    same = torch.allclose(g, rule(x.detach(), y.detach()))
    return Computed(same, "equal to autograd on [−5, 5]", holds=same)


def pool_gradient(mode) -> Computed:
    x = torch.tensor([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0],
                      [0.0, 2.0, 1.0, 1.0], [7.0, 1.0, 3.0, 9.0]], requires_grad=True)
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    pool(x[None], 2).sum().backward()
    if mode == "max":
        windows = x.detach().unfold(0, 2, 2).unfold(1, 2, 2).reshape(2, 2, 4)
        expected = torch.zeros(4, 4)
        for i in range(2):
            for j in range(2):
                a = windows[i, j].argmax().item()
                expected[2 * i + a // 2, 2 * j + a % 2] = 1
        return Computed(torch.equal(x.grad, expected), "each window's gradient goes to its "
                        "maximum, the rest get 0", holds=torch.equal(x.grad, expected))
    ok = torch.allclose(x.grad, torch.full((4, 4), 1 / 4))
    return Computed(ok, "every input of a 2×2 window gets 1/4 of its gradient", holds=ok)


# --- Batch norm and dropout --------------------------------------------------------------------

def bn_inference() -> Computed:
    torch.manual_seed(0)
    bn = nn.BatchNorm1d(3, momentum=0.1)
    first, last = torch.randn(32, 3) + 5, torch.randn(32, 3) - 5
    bn(first), bn(last)
    bn.eval()
    probe = torch.randn(8, 3)
    with torch.no_grad():
        last_batch = (probe - last.mean(0)) / torch.sqrt(last.var(0, unbiased=False) + bn.eps)
        uses_last = torch.allclose(bn(probe), last_batch * bn.weight + bn.bias)
    return Computed(uses_last, "in eval mode batch norm normalises with running averages of the "
                    "training batches' means and variances (momentum 0.1), not the last batch's",
                    holds=uses_last)


def bn_batch_of_one() -> Computed:
    bn = nn.BatchNorm1d(4).train()
    try:
        bn(torch.randn(1, 4))
        refused = False
    except ValueError:
        refused = True
    return Computed(refused, "one example: PyTorch refuses (a variance of one value is 0; every "
                    "output would be β)", holds=refused)


def keep_probability() -> float:
    drops = {m.p for _, m in measure.modules("alexnet", nn.Dropout)}
    return 1 - drops.pop() if len(drops) == 1 else float("nan")


def _expected(masks):
    """E[a] for a = w1 x + w2 y over (probability, kept w1 x, kept w2 y) terms, as coefficients
    of w1 x and w2 y."""
    return (sum(p * a for p, a, _ in masks), sum(p * b for p, _, b in masks))


def dropout_expectation() -> Computed:
    masks = [(0.25, a, b) for a in (1, 0) for b in (1, 0)]
    slide = [(0.25, 1, 1), (0.25, 1, 0), (0.25, 0, 0), (0.25, 0, 1), (0.25, 0, 1), (0.25, 0, 1)]
    true, printed = _expected(masks), _expected(slide)
    return Computed(true, f"four masks: E[a] = {true[0]:g} w1x + {true[1]:g} w2y; the slide's six "
                    f"terms: {printed[0]:g} w1x + {printed[1]:g} w2y", holds=true == printed)


def dropout_test_time() -> Computed:
    p = 0.5
    masks = [((p if a else 1 - p) * (p if b else 1 - p), a, b) for a in (1, 0) for b in (1, 0)]
    expected = _expected(masks)
    return Computed(expected, f"E[a] = {expected[0]:g} (w1x + w2y) = p × the test-time output",
                    holds=expected == (p, p))


# --- Architectures ----------------------------------------------------------------------------

def lenet_recipe() -> Computed:
    kinds = [l.type for l in measure.count("lenet").layers]
    stages = kinds[:kinds.index("Flatten")]
    ok = (stages.count("Conv2d") == 2 and stages.count("AvgPool2d") == 2
          and set(stages) <= {"Conv2d", "AvgPool2d", "Sigmoid", "Tanh"}
          and kinds[kinds.index("Flatten") + 1:].count("Linear") == 3)
    return Computed(ok, "two stages of convolution, sigmoid and average pooling, then three "
                    "dense layers", holds=ok)


def alexnet_features() -> Computed:
    kinds = {type(m).__name__ for _, m in measure.modules("alexnet", nn.Module)}
    pools = [m for _, m in measure.modules("alexnet", nn.MaxPool2d)]
    overlapping = all(m.kernel_size > m.stride for m in pools)
    ok = {"ReLU", "Dropout"} <= kinds and overlapping and "AvgPool2d" not in kinds
    k, s = pools[0].kernel_size, pools[0].stride
    return Computed(ok, f"ReLU, dropout, {k}×{k} max pools with stride {s} (overlapping)", holds=ok)


def three_by_three() -> Computed:
    c = 256
    fields = [1 + 2 * n for n in (2, 3)]
    stacks = [n * cost.conv_params(3, c, c, bias=False) // c ** 2 for n in (2, 3)]
    singles = [cost.conv_params(f, c, c, bias=False) // c ** 2 for f in fields]
    return Computed(stacks, f"2 and 3 stacked 3×3 see {fields[0]}×{fields[0]} and "
                    f"{fields[1]}×{fields[1]} with {stacks[0]}C² and {stacks[1]}C² weights, "
                    f"against {singles[0]}C² and {singles[1]}C²",
                    holds=all(s < t for s, t in zip(stacks, singles)))


def vgg_fewer_params() -> Computed:
    vgg, alexnet = measure.count("vgg16").params, measure.count("alexnet").params
    return Computed(vgg / alexnet, f"VGG-16 {vgg:,} against AlexNet {alexnet:,} "
                    f"({vgg / alexnet:.1f}× more)", holds=vgg < alexnet)


def depth_ratio() -> float:
    return common.weight_layers("vgg16") / common.weight_layers("alexnet")


VGG_CONFIGS = {"A": "vgg11", "A-LRN": "vgg11_lrn", "B": "vgg13", "C": "vgg16_c", "D": "vgg16",
               "E": "vgg19"}
VGG_LAYERS = {"A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19}
# Table 2, "Number of parameters (in millions)"; A and A-LRN share a cell.
VGG_PARAMS = (("A", ("vgg11", "vgg11_lrn"), "A,A-LRN", "133"), ("B", ("vgg13",), "B", "133"),
              ("C", ("vgg16_c",), "C", "134"), ("D", ("vgg16",), "D", "138"),
              ("E", ("vgg19",), "E", "144"))


def vgg_params(names) -> int:
    counts = {measure.count(n).params for n in names}
    if len(counts) != 1:
        raise ValueError(f"{names} differ in parameters: {counts}")
    return counts.pop()


def bottleneck_saves() -> Computed:
    """Weights of lecture 003's naive module (256 channels in: 1x1 128, 3x3 192, 5x5 96) and of
    the same module with 1x1 reductions to 64 before the 3x3 and 5x5 and after the pool."""
    naive = sum(cost.conv_params(k, 256, c, bias=False) for k, c in ((1, 128), (3, 192), (5, 96)))
    reduced = (sum(cost.conv_params(1, 256, c, bias=False) for c in (64, 64, 128, 64))
               + cost.conv_params(3, 64, 192, bias=False) + cost.conv_params(5, 64, 96, bias=False))
    return Computed(naive / reduced, f"{naive:,} weights without the 1×1 reductions, {reduced:,} "
                    f"with them", holds=reduced < naive)


def inception_kernels() -> str:
    modules = [n.rsplit(".", 1)[-1] for n, _ in measure.model("googlenet").named_modules()
               if n.rsplit(".", 1)[-1].startswith("inception")]
    return common._kernel_text(measure.kernels("googlenet", modules))


def aux_classifiers() -> str:
    aux = measure.model("googlenet", aux_logits=True).aux
    return ", ".join(name.removeprefix("inception") for name in aux)


def resnet_two_convs() -> Computed:
    """Weight layers per residual block: ResNet-18's longest path less the stem and the
    classifier, over its residual additions."""
    layers, blocks = measure.network_depth("resnet18"), measure.residual_additions("resnet18")
    per_block = (layers - 2) / blocks
    return Computed(per_block, f"ResNet-18: {layers} layers on the longest path, {blocks} blocks "
                    f"of {per_block:g} convolutions", holds=per_block == 2)


# --- SqueezeNet and MobileNet -----------------------------------------------------------------

def squeezenet_speed() -> Computed:
    alexnet, v10, v11 = (measure.count(n).macs for n in ("alexnet", "squeezenet1_0", "squeezenet1_1"))
    return Computed(alexnet / v10, f"{alexnet / v10:.2f}× fewer MACs than AlexNet "
                    f"(SqueezeNet 1.1: {alexnet / v11:.1f}×)")


def mobilenet_bn_relu() -> Computed:
    convs, norms, relus = (len(measure.modules("mobilenet_v1", kind))
                           for kind in (nn.Conv2d, nn.BatchNorm2d, (nn.ReLU, nn.ReLU6)))
    return Computed((convs, norms, relus), f"{convs} convolutions, {norms} batch norms, {relus} "
                    f"ReLUs", holds=convs == norms == relus)


def mobilenet_multipliers() -> Computed:
    base = measure.count("mobilenet_v1").macs
    width, resolution = (measure.count("mobilenet_v1", **kw).macs / base
                         for kw in ({"alpha": 0.5}, {"image_size": 160}))
    return Computed((width, resolution), f"α = 0.5: ×{width:.2f} MACs; 160×160: ×{resolution:.2f}",
                    holds=width < 1 and resolution < 1)


def mobilenet_vs_squeezenet() -> Computed:
    small = measure.count("mobilenet_v1", alpha=0.5, image_size=160)
    squeeze = measure.count("squeezenet1_0")
    return Computed((small.macs, squeeze.macs),
                    f"0.5 MobileNet-160: {small.params / 1e6:.2f} M parameters, "
                    f"{small.macs / 1e6:.0f} M MACs; SqueezeNet: {squeeze.params / 1e6:.2f} M, "
                    f"{squeeze.macs / 1e6:.0f} M", holds=small.macs < squeeze.macs / 5
                    and small.params < 1.1 * squeeze.params)


# MobileNet, Tables 4-7 as the lecture prints them (garbled, then partly printed again):
# key, row, kwargs of lib's mobilenet_v1, then (printed, verdict) for the accuracy, million
# Mult-Adds and million parameters.
MOBILENET_TABLES = (
    ("t4.conv", "Table 4, Conv MobileNet", {"depthwise": False}, "71.7%", ("4866", R), ("29.3", R)),
    ("t4.mobilenet", "Table 4, MobileNet", {}, "70.6%", ("569", R), ("4.2", R)),
    ("t5.0.75", "Table 5, 0.75 MobileNet", {"alpha": 0.75}, "68.4%", ("325", R), ("2.6", R)),
    ("t5.shallow", "Table 5, Shallow MobileNet", {"shallow": True}, "65.3%", ("307", R), ("2.9", R)),
    ("t6.1.0", "Table 6, 1.0 MobileNet-224", {}, "70.6%", ("569", R), ("4.2", R)),
    ("t6.0.75", "Table 6, 0.75 MobileNet-224", {"alpha": 0.75}, "68.4%", ("325", R), ("2.6", R)),
    ("t6.0.5", "Table 6, 0.5 MobileNet-224", {"alpha": 0.5}, "63.7%", ("149", R), ("1.3", R)),
    ("t6.0.25", "Table 6, 0.25 MobileNet-224", {"alpha": 0.25}, "50.6%", ("41", R), ("0.5", R)),
    ("t7.224", "Table 7, 1.0 MobileNet-224", {}, "70.6%", ("569", R), ("4.2", R)),
    ("t7.192", "Table 7, 1.0 MobileNet-192", {"image_size": 192}, "69.1%", ("418", R), ("4.2", R)),
    ("t7.160", "Table 7, 1.0 MobileNet-160", {"image_size": 160}, "67.2%", ("290", R), ("4.2", R)),
    ("t7.128", "Table 7, 1.0 MobileNet-128", {"image_size": 128}, "64.4%", ("186", R), ("4.2", R)),
)
MOBILENET_LINES = {"t4": "line 795", "t5": "lines 801-803", "t6": "lines 809-815",
                   "t7": "lines 816-822"}
# The second copy of Tables 6 and 7 (lines 824-834): its first row prints 309 for 569.
MOBILENET_AGAIN = (
    ("t6.1.0", "Table 6 again, '224'", {}, "70.6%", ("309", W), ("4.2", R)),
    ("t6.0.75", "Table 6 again, '-224'", {"alpha": 0.75}, "68.4%", ("325", R), ("2.6", R)),
    ("t6.0.5", "Table 6 again, '224'", {"alpha": 0.5}, "63.7%", ("149", R), ("1.3", R)),
    ("t6.0.25", "Table 6 again, '-224'", {"alpha": 0.25}, "50.6%", ("41", R), ("0.5", R)),
    ("t7.224", "Table 7 again, 224", {}, "70.6%", ("569", R), ("4.2", R)),
    ("t7.192", "Table 7 again, 192", {"image_size": 192}, "69.1%", ("418", R), ("4.2", R)),
    ("t7.160", "Table 7 again, 160", {"image_size": 160}, "67.2%", ("290", R), ("4.2", R)),
    ("t7.128", "Table 7 again, 128", {"image_size": 128}, "64.4%", ("186", R), ("4.2", R)),
)
MOBILENET_EXPLANATIONS = {
    ("t4.conv", "mult-adds"): "The paper's count is 0.03 % below a layer-by-layer count of "
                              "its Table 1 network with full 3×3 convolutions; the other "
                              "columns agree to the digits printed.",
    ("again.t6.1.0", "mult-adds"): "A garbled copy: the first copy of the table, the paper and "
                                   "the count give 569.",
}


def mobilenet_claims(rows, prefix, where_of):
    out = []
    for key, row, kwargs, accuracy, (mult_adds, ma_verdict), (params, p_verdict) in rows:
        where = where_of(key)
        ident = f"002.mobilenet.{prefix}{key}"
        table = key.split(".")[0][1]
        out += [
            unchecked(f"{ident}.accuracy", where, f"{row}: ImageNet accuracy", accuracy,
                      f"Top-1 accuracy on ImageNet needs the trained network; Howard et al. "
                      f"(2017), Table {table}, print the same.", (MOBILENET,)),
            claim(f"{ident}.mult-adds", where, f"{row}: million Mult-Adds", mult_adds,
                  "multiply-accumulates per image, millions",
                  functools.partial(lambda kw: measure.count("mobilenet_v1", **kw).macs, kwargs),
                  Digits(scale=1e6, tolerance=0.001 if key == "t4.conv" else 0), ma_verdict,
                  MOBILENET_EXPLANATIONS.get((prefix + key, "mult-adds"), ""), (MOBILENET,)),
            claim(f"{ident}.params", where, f"{row}: million parameters", params,
                  "all parameters, millions",
                  functools.partial(lambda kw: measure.count("mobilenet_v1", **kw).params, kwargs),
                  Digits(scale=1e6), p_verdict, chapters=(MOBILENET,)),
        ]
    return out


CLAIMS = [
    claim("002.lc.dense.params", "line 50, Parameter sharing", "MLNN (21 parameters)", 21,
          "7 inputs, 3 outputs", lambda: layer_costs()["dense"][0], Digits(), C, chapters=(BLOCKS,)),
    claim("002.lc.local.params", "line 54, Parameter sharing", "MLNN-LC (3 X 3 = 9 parameters)", 9,
          "windows of 3 inputs, 2 apart", lambda: layer_costs()["local"][0], Digits(), C,
          chapters=(BLOCKS,)),
    claim("002.lc.local.runtime", "line 56, Parameter sharing", "2.3X runtime ... efficient",
          "2.3X", "multiplies of the dense layer over the local one",
          lambda: saving("local", "runtime"), Digits(), R, chapters=(BLOCKS,)),
    claim("002.lc.local.storage", "line 56, Parameter sharing", "2.3X ... storage efficient",
          "2.3X", "parameters of the dense layer over the local one",
          lambda: saving("local", "storage"), Digits(), R, chapters=(BLOCKS,)),
    claim("002.lc.shared.params", "line 60, Parameter sharing", "MLNN-LC-PS (3 parameters)", 3,
          "a Conv1d with one kernel of 3", lambda: layer_costs()["shared"][0], Digits(), C,
          chapters=(BLOCKS,)),
    claim("002.lc.shared.runtime", "line 61, Parameter sharing", "2.3X faster", "2.3X",
          "multiplies of the dense layer over the shared one", lambda: saving("shared", "runtime"),
          Digits(), R, "Sharing saves storage, not time: each output still needs its k multiplies.",
          (BLOCKS,)),
    claim("002.lc.shared.storage", "line 62, Parameter sharing", "7X storage efficient", "7X",
          "parameters of the dense layer over the shared one", lambda: saving("shared", "storage"),
          Digits(), C, chapters=(BLOCKS,)),
    claim("002.lc.rule.dense", "lines 66-69 (and 34-37)", "MLNN have m x n parameters, O(m × n) "
          "runtime", "m×n", "", lambda: layer_rule("dense"), Holds(), C, chapters=(BLOCKS,)),
    claim("002.lc.rule.local", "lines 72-75 (and 40-43)", "MLNN-LC have k x n parameters, "
          "O(k × n) runtime", "k×n", "", lambda: layer_rule("local"), Holds(), C, chapters=(BLOCKS,)),
    claim("002.lc.rule.shared", "lines 77-80", "MLNN-LC-PS have k parameters, O(k × n) runtime",
          "k", "", lambda: layer_rule("shared"), Holds(), C, chapters=(BLOCKS,)),
    claim("002.conv.feature", "lines 107-117, Convolution Layer", "the 5×5 image and its "
          "'Convolved Feature' (the figure)", "4 3 4 / 2 4 3 / 2 3 4",
          "the image of the slide with the 3×3 kernel of ones on its corners and centre",
          convolved_feature, Exact(), C, chapters=(BLOCKS,)),
    claim("002.conv.output-one", "line 147, Multiple Channels", "Output is (H D + 1) * (W D + 1) * 1",
          "(H D + 1)(W D + 1)", "stride 1, no padding", lambda: output_size(1), Holds(), W,
          "The minus signs are lost: (H − D + 1) × (W − D + 1) × 1.", (BLOCKS,)),
    claim("002.conv.output-k", "line 148, Multiple Channels", "Stack K such filters, (H D + 1) * "
          "(W D + 1) * K", "(H D + 1)(W D + 1) K", "stride 1, no padding",
          lambda: output_size(6), Holds(), W,
          "The minus signs are lost: (H − D + 1) × (W − D + 1) × K.", (BLOCKS,)),
    claim("002.pool.width", "line 173, Pooling Layer", "W2=(W1-F+2P)/S+1", "(W1 − F + 2P)/S + 1",
          "", pooling_size, Holds(), C, "With the division floored when S does not divide "
          "W1 − F + 2P: no window starts past the last position that fits.", (BLOCKS,)),
    claim("002.pool.height", "line 173, Pooling Layer", "H2=(H1-F+2P)/S+1", "(H1 − F + 2P)/S + 1",
          "", pooling_size, Holds(), C, "Floored, as the width.", (BLOCKS,)),
    claim("002.pool.depth", "line 173, Pooling Layer", "D2=K", "K", "", pooling_depth, Holds(), W,
          "Pooling works on each channel alone: D2 = D1. D2 = K is the rule for a convolution "
          "with K filters.", (BLOCKS,)),
    claim("002.pool.params", "line 174, Pooling Layer", "Introduces zero parameters", 0,
          "a max-pool on 64×224×224", pooling_params, Exact(), C, chapters=(BLOCKS,)),
    claim("002.activation.chain-rule", "line 189 (again 200, 222), Activation functions",
          "∂C/∂w1(i) = σ′(w3ᵀx2) · x2(i) · σ′(w2ᵀx1) · x1(i) · σ′(w1ᵀx0) · x0(i)", "the formula",
          "three sigmoid units, w = 0.5, −1.5, 2.0, x0 = 1.2", chain_rule, Holds(), W,
          "Differentiating w3ᵀx2 by x2 gives the weight w3, not the activation x2(i): the middle "
          "factors are w3 and w2. The argument survives: one σ′ ≤ 1/4 per layer.",
          (BLOCKS, BACKPROP)),
    claim("002.flatten", "line 244, Flattening", "converting M X N X D tensor to a MND X 1 vector",
          "MND", "nn.Flatten", flatten, Holds(), C, chapters=(BLOCKS,)),
    claim("002.backprop.forward-sum", "line 273, Forward Propagation",
          "x^l = rot180{ Σ Σ w^l o^{l−1}_{i+i′, j+j′} + b^l }", "rot180 of the sum", "",
          forward_rotated_sum, Holds(), W,
          "Notation: the sum is already the layer's cross-correlation; turning it by 180° turns the "
          "output map. Only the kernel should be turned, as the slide's next line does.",
          (BACKPROP,)),
    claim("002.backprop.forward-kernel", "line 273, Forward Propagation",
          "x^l = rot180{w^l} * o^{l−1} + b^l", "rot180{w} * o", "* a true convolution",
          forward_rotated_kernel, Holds(), C, chapters=(BACKPROP,)),
    claim("002.backprop.weight-gradient", "lines 318-322, Weight update",
          "∂E/∂w = Σ Σ δ o_{i′−i, j′−j} = cot180{δ} * o", "rot180{δ} * o", "* a true convolution",
          weight_gradient, Holds(), C, "'cot' is rot, and one Σ_{i′} stands for Σ_{j′}: "
          "a cross-correlation of the input with δ.", (BACKPROP,)),
    claim("002.backprop.delta", "lines 347-350, Delta update",
          "δ^l = δ^{l+1} * cot180{w^{l+1}} f′(x^l)", "δ * rot180{w} f′", "",
          delta_rule, Holds(), C, "With * read as a full cross-correlation (δ padded by k − 1 "
          "zeros); in the forward slide's convention, a true convolution, the kernel would not "
          "be turned.", (BACKPROP,)),
    claim("002.backprop.relu", "line 357, Derivatives", "ReLU: f′ = 1 if x > 0, 0 if x ≤ 0",
          "1 or 0", "", lambda: derivative("relu"), Holds(), C, chapters=(BACKPROP,)),
    claim("002.backprop.sigmoid", "line 360, Derivatives", "Sigmoid: f′ = f (1 − f)", "f(1 − f)",
          "", lambda: derivative("sigmoid"), Holds(), C, chapters=(BACKPROP,)),
    claim("002.backprop.tanh", "line 363, Derivatives", "Tanh: f′ = 1 − f²", "1 − f²", "",
          lambda: derivative("tanh"), Holds(), C, chapters=(BACKPROP,)),
    claim("002.backprop.max-pool", "lines 367-368, Backprop in Pooling Layer",
          "Max Pooling: the error is just assigned to where it comes from", "to the max", "",
          lambda: pool_gradient("max"), Holds(), C, chapters=(BLOCKS, BACKPROP)),
    claim("002.backprop.avg-pool", "lines 369-370, Backprop in Pooling Layer",
          "Average Pooling: the error is multiplied by 1/(NxN) and assigned to the whole pooling "
          "block", "1/N²", "", lambda: pool_gradient("avg"), Holds(), C,
          chapters=(BLOCKS, BACKPROP)),
    unchecked("002.bn.whitening", "line 417, Solutions", "Whiten the inputs (LeCun, 1998)", "1998",
              "LeCun, Bottou, Orr & Müller, 'Efficient BackProp' (1998), recommend shifting the "
              "inputs to zero mean, decorrelating and equalising their variances.", (BATCHNORM,)),
    claim("002.bn.algorithm", "lines 440-454, Batch Norm algorithm", "μ_B = 1/m Σ x_i; σ_B² = "
          "1/m Σ (x_i − μ_B)²; x̂_i = (x_i − μ_B)/√(σ_B² + ε); y_i = γ x̂_i + β", "Algorithm 1",
          "", common.bn_formula, Holds(), C, chapters=(BATCHNORM,)),
    claim("002.bn.inference", "line 468, During Inference", "Set beta and gamma from the last run "
          "(last batch).", "the last batch", "", bn_inference, Holds(), W,
          "γ and β are learned like weights. At inference batch norm replaces the minibatch's "
          "mean and variance by their running averages over training (Ioffe & Szegedy, 2015, "
          "Section 3.1).", (BATCHNORM,)),
    claim("002.bn.batch-of-one", "line 469, During Inference", "Donot use BN on batch size of 1",
          1, "", bn_batch_of_one, Holds(), C, chapters=(BATCHNORM,)),
    claim("002.dropout.keep", "line 520, Dropout training", "Probability of including a unit is "
          "a hyperparameter typically 0.5", "0.5", "1 − PyTorch's p in lib's AlexNet",
          keep_probability, Digits(), C, "Srivastava et al. (2014) keep hidden units with 0.5 and "
          "inputs with 0.8.", (ALEXNET,)),
    claim("002.dropout.test-time", "line 551, Dropout - test time", "At test time, multiply by "
          "dropout probability", "× p", "one linear neuron, keep probability p = 0.5",
          dropout_test_time, Holds(), C, "Exact for a linear neuron; after a non-linearity it "
          "approximates the average over masks (Srivastava et al., 2014).", (ALEXNET,)),
    claim("002.dropout.expectation", "line 555, Dropout - test time", "E[a] = 1/4(w1x + w2y) + "
          "1/4(w1x + 0y) + 1/4(0x + 0y) + 1/4(0x + w2y) + 1/4(0x + w2y) + 1/4(0x + w2y)",
          "six terms", "keep probability 1/2 per input", dropout_expectation, Holds(), W,
          "Two inputs have four masks: E[a] = 1/2 (w1x + w2y). The slide repeats the last term "
          "twice, so its probabilities add up to 6/4.", (ALEXNET,)),
    unchecked("002.dropout.figure", "line 575, Effects of using Dropout", "ranging from 2 to 4 "
              "hidden layers ... and 1024 to 2048 units", "2 to 4, 1024 to 2048",
              "The figure is from Srivastava et al. (2014), Figure 4 (MNIST), whose caption "
              "gives the same ranges.", (ALEXNET,)),
    unchecked("002.lenet.year", "line 586, LENET5", "Implemented in 1994", "1994",
              "LeNet-5 is described in full in LeCun et al. (1998); lecture 001 says 1995.",
              (LENET,)),
    unchecked("002.lenet.since", "line 586, LENET5", "many previous successful iterations since "
              "the year 1988", "1988", "LeCun et al. (1989), 'Backpropagation applied to "
              "handwritten zip code recognition', is the first of them in print.", (LENET,)),
    claim("002.lenet.recipe", "lines 593-596, LENET5", "use sequence of 3 layers: convolution, "
          "pooling, non-linearity; tanh or sigmoids; MLP as final classifier", "3 layers",
          "lib's LeNet", lenet_recipe, Holds(), C, "lib follows d2l: the sigmoid comes before "
          "the pooling; LeNet-5 squashed after its subsampling.", (LENET,)),
    unchecked("002.alexnet.year", "line 600, AlexNET", "Brought DL back to mainstream in 2012",
              "2012", "ILSVRC-2012 (Krizhevsky et al., 2012).", (ALEXNET,)),
    claim("002.alexnet.features", "lines 609-611, AlexNet", "ReLU; dropout; overlapping max "
          "pooling", "ReLU, dropout, overlapping", "lib's AlexNet", alexnet_features, Holds(), C,
          chapters=(ALEXNET,)),
    unchecked("002.alexnet.gpus", "line 612, AlexNet", "use of GPUs (NVIDIA GTX 580)", "GTX 580",
              "The paper trained on two GTX 580 GPUs with 3 GB each (Krizhevsky et al., 2012, "
              "Section 3.2).", (ALEXNET,)),
    unchecked("002.vgg.first", "line 618, VGG", "first to use much smaller 3×3 filters in each "
              "layer", "first", "The VGG paper itself (Section 2.3) notes that Ciresan et al. "
              "(2011) used small filters before, in much shallower networks.", (VGG,)),
    claim("002.vgg.replace", "line 619, VGG", "multiple 3×3 convolution can replace 5x5 and 7x7 "
          "convolutions", "replaces", "weights per channel pair", three_by_three, Holds(), C,
          chapters=(VGG,)),
    claim("002.vgg.fewer-params", "line 620, VGG", "Fewer params than Alexnet", "fewer",
          "all parameters", vgg_fewer_params, Holds(), W,
          "Every VGG has more parameters than AlexNet (torchvision's AlexNet has 61.1 M); what "
          "holds is per receptive field: stacked 3×3 layers need fewer weights than one large "
          "kernel.", (VGG,)),
    claim("002.vgg.deeper", "line 620, VGG", "thrice as deep", "3", "weight layers of VGG-16 over "
          "AlexNet's", depth_ratio, Digits(), W, "VGG-16 is twice as deep as AlexNet (16 against "
          "8 weight layers), VGG-19 2.4 times; thrice would take 24.", (VGG,)),
    claim("002.vgg.names", "line 621, VGG", "VGG 16, 19", "16, 19", "weight layers",
          lambda: f"{common.weight_layers('vgg16')}, {common.weight_layers('vgg19')}", Exact(), C,
          chapters=(VGG,)),
    *[claim(f"002.vgg-table.layers.{config.lower()}", "lines 629-631, VGG Table 1",
            f"ConvNet configuration {config}: {n} weight layers", n,
            "convolutions and dense layers", lambda name=name: common.weight_layers(name),
            Exact(), C, chapters=(VGG,))
      for (config, name), n in zip(VGG_CONFIGS.items(), VGG_LAYERS.values())],
    claim("002.vgg-table.input", "line 632, VGG Table 1", "input (224 × 224 RGB image)",
          "3×224×224", "lib's input size for every configuration",
          lambda: "×".join(map(str, {models.input_size(n) for n in VGG_CONFIGS.values()}.pop())),
          Exact(), C, chapters=(VGG,)),
    *[claim(f"002.vgg-table.params.{key.lower()}", "line 663, VGG Table 2",
            f"Number of parameters (in millions), {cell}", stated, "all parameters, millions",
            lambda names=names: vgg_params(names), Digits(scale=1e6), R, chapters=(VGG,))
      for key, names, cell, stated in VGG_PARAMS],
    unchecked("002.googlenet.year", "line 670, GoogLeNet and Inception", "devised GoogLeNet in "
              "2014", "2014", "Szegedy et al., 'Going Deeper with Convolutions', arXiv "
              "September 2014 (CVPR 2015).", (GOOGLENET,)),
    unchecked("002.googlenet.won", "line 671, GoogLeNet and Inception", "Won Imagenet that year",
              "2014", "GoogLeNet won ILSVRC-2014's classification task with 6.67 % top-5 error "
              "(Szegedy et al., 2014, Section 7).", (GOOGLENET,)),
    claim("002.inception.kernels", "line 678, Inception Block", "Combination of 1×1, 3×3, and 5×5 "
          "convolutional filters", "1×1, 3×3, 5×5", "kernels inside GoogLeNet's Inception "
          "modules", inception_kernels, Exact(), C, chapters=(GOOGLENET,)),
    claim("002.inception.bottleneck", "lines 680-681, Inception Block", "1x1 Convolutions save "
          "params; Called Bottleneck", "saves", "an Inception module on 28×28×256 (lecture 003)",
          bottleneck_saves, Holds(), C, chapters=(GOOGLENET,)),
    claim("002.googlenet.layers", "line 692, Why multiple softmaxes?", "22 layers", 22,
          "layers with weights on the longest path", lambda: measure.network_depth("googlenet"),
          Exact(), C, chapters=(GOOGLENET,)),
    claim("002.googlenet.aux", "line 693, Why multiple softmaxes?", "Added multiple softmaxes at "
          "inception 4a, 4d", "4a, 4d", "lib's GoogLeNet with aux_logits=True", aux_classifiers,
          Exact(), C, chapters=(GOOGLENET,)),
    unchecked("002.v3.date", "line 702, Inception V3 (and V2)", "December 2015", "12/2015",
              "Szegedy et al., 'Rethinking the Inception Architecture for Computer Vision', "
              "arXiv 1512.00567, 2 December 2015.", (INCEPTION,)),
    claim("002.v2.bn", "line 705, Inception V3 (and V2)", "Batchnorm added (incep v2)",
          "batch norm", "", common.v2_batch_norm, Holds(), C, chapters=(INCEPTION, BATCHNORM)),
    claim("002.v3.3x3", "line 709, Inception V3 (and V2)", "use only 3×3 convolution, when "
          "possible, given that filter of 5×5 and 7×7 can be decomposed with multiple 3×3",
          "decomposed", "weights per channel pair", three_by_three, Holds(), C,
          chapters=(INCEPTION,)),
    unchecked("002.resnet.date", "line 725, ResNet", "December 2015 (around Inception v3)",
              "12/2015", "He, Zhang, Ren & Sun, 'Deep Residual Learning for Image Recognition', "
              "arXiv 1512.03385, 10 December 2015.", (RESNET,)),
    claim("002.resnet.two-convs", "line 727, ResNet", "Feed the output of two successive "
          "convolutional layers", 2, "convolutions per basic block", resnet_two_convs, Holds(),
          C, chapters=(RESNET,)),
    claim("002.v4.residual", "lines 737-739, Inception v4 or Inception_Resnet_v2",
          "Added residual connections", "residual connections", "", common.v4_residual, Holds(),
          W, common.V4_EXPLANATION, (INCEPTION,)),
    claim("002.squeezenet.faster", "line 745, SqueezeNet", "SqueezeNet can be 3 times faster ... "
          "than Alexnet", "3", "MACs per 224×224 image, AlexNet over SqueezeNet 1.0",
          squeezenet_speed, Digits(), W,
          "SqueezeNet 1.0 needs nearly as many multiply-accumulates as AlexNet: its saving is in "
          "parameters. SqueezeNet 1.1 (the authors' repository) is the version about 3 times "
          "cheaper.", (SQUEEZENET,)),
    unchecked("002.squeezenet.smaller", "line 745, SqueezeNet", "500 times smaller than Alexnet",
              "500", "The paper's 510× is after Deep Compression (pruning and 6-bit weights, "
              "0.47 MB against 240 MB), which the course does not implement; uncompressed, "
              "SqueezeNet has 50× fewer parameters (the paper's title).", (SQUEEZENET,)),
    unchecked("002.squeezenet.accuracy", "line 745, SqueezeNet", "with same accuracy",
              "AlexNet's", "Iandola et al. (2016), Table 2: 57.5 % top-1 and 80.3 % top-5 against "
              "AlexNet's 57.2 % and 80.3 %.", (SQUEEZENET,)),
    claim("002.mobilenet.bn-relu", "line 771, Mobilenets", "MobileNets use both batchnorm and "
          "ReLU nonlinearities for both layers", "BN and ReLU", "lib's MobileNet v1",
          mobilenet_bn_relu, Holds(), C, chapters=(MOBILENET,)),
    claim("002.mobilenet.multipliers", "line 774, Mobilenets", "Also uses width and resolution "
          "multipliers to save on computation", "saves", "MACs relative to 1.0 MobileNet-224",
          mobilenet_multipliers, Holds(), C, "The width multiplier α cuts the MACs by about α² "
          "(the 1×1 convolutions exactly), the resolution multiplier ρ by ρ².", (MOBILENET,)),
    claim("002.mobilenet.vs-squeezenet", "line 775, Mobilenets", "Even more effective than "
          "Squeezenet", "more effective", "lib's counts", mobilenet_vs_squeezenet, Holds(), C,
          "Howard et al. (2017), Table 10: 0.50 MobileNet-160 reaches 60.2 % top-1 against "
          "SqueezeNet's 57.5 %, with about as many parameters and a tenth of the multiply-adds.",
          (MOBILENET, SQUEEZENET)),
    *mobilenet_claims(MOBILENET_TABLES, "", lambda key: MOBILENET_LINES[key.split(".")[0]]),
    *mobilenet_claims(MOBILENET_AGAIN, "again.",
                      lambda key: "lines 824-827" if key.startswith("t6") else "lines 831-834"),
]
