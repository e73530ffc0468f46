"""The zoo compared: every registered network's family, chapter and year, its published ImageNet
accuracy and its cost at paper scale, what it costs on this machine, and a roofline model of
why the MACs do not predict that. Explained in chapters/17_zoo.ipynb.

    >>> rows = paper_scale()                      # one row per registered model
    >>> times = measure(["resnet50"], (1, 16))    # median seconds per batch, in inference
    >>> roofline(cost.count("mobilenet_v2"), peak_flops, bandwidth)

The roofline model (Williams, Waterman & Patterson, 2009) bounds each layer's time by its
arithmetic, `flops / peak`, and by its memory traffic, `bytes / bandwidth`: a layer that does
few FLOPs per byte it moves (a depthwise convolution, a batch norm, a dense layer at batch 1)
waits for memory however few MACs it has. Traffic is counted as if nothing stayed in a cache:
a layer reads its weights, writes its output, and the next layer reads that output back.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import torch

from lib import cost, models
from lib.checks import integer, positive
from lib.models.references import ACCURACY
from lib.train import speed

# --- Families, chapters and the lectures' timeline --------------------------------------------

#: Family (for the chart's colours and filter) and chapter of every registered model.
MODELS = {
    "lenet": ("classic", "03_lenet"),
    "alexnet": ("classic", "04_alexnet"),
    "vgg11": ("classic", "05_vgg"), "vgg11_lrn": ("classic", "05_vgg"),
    "vgg13": ("classic", "05_vgg"), "vgg16_c": ("classic", "05_vgg"),
    "vgg16": ("classic", "05_vgg"), "vgg19": ("classic", "05_vgg"),
    "nin": ("classic", "06_nin"),
    "googlenet": ("Inception", "07_googlenet"),
    "inception_bn": ("Inception", "09_batchnorm"),
    "inception_v3": ("Inception", "08_inception"), "inception_v4": ("Inception", "08_inception"),
    "inception_resnet_v2": ("Inception", "08_inception"),
    "xception": ("Inception", "08_inception"),
    "resnet18": ("residual", "10_resnet"), "resnet34": ("residual", "10_resnet"),
    "resnet50": ("residual", "10_resnet"), "resnet101": ("residual", "10_resnet"),
    "resnet152": ("residual", "10_resnet"), "resnext50_32x4d": ("residual", "10_resnet"),
    "se_resnet50": ("residual", "15_senet"),
    "densenet121": ("DenseNet", "11_densenet"), "densenet169": ("DenseNet", "11_densenet"),
    "densenet201": ("DenseNet", "11_densenet"),
    "squeezenet1_0": ("mobile", "12_squeezenet"), "squeezenet1_1": ("mobile", "12_squeezenet"),
    "mobilenet_v1": ("mobile", "13_mobilenet"), "mobilenet_v2": ("mobile", "13_mobilenet"),
    "shufflenet_v1": ("mobile", "14_shufflenet"), "shufflenet_v2": ("mobile", "14_shufflenet"),
    **{f"efficientnet_b{i}": ("EfficientNet", "16_efficientnet") for i in range(8)},
}
FAMILIES = ("classic", "Inception", "residual", "DenseNet", "mobile", "EfficientNet")

#: The lectures' networks in the order they appeared (year of the first public version, most
#: on arXiv), the course model that stands for each, its chapter and what it added.
TIMELINE = (
    (1998, "LeNet-5", "lenet", "03_lenet",
     "convolution, subsampling and dense layers trained end to end by backpropagation"),
    (2012, "AlexNet", "alexnet", "04_alexnet",
     "ReLU, dropout, overlapping max pooling, data augmentation, training on GPUs"),
    (2013, "Network in Network", "nin", "06_nin",
     "1×1 convolutions (a perceptron at every pixel); global average pooling for a head"),
    (2014, "VGG", "vgg16", "05_vgg", "blocks of stacked 3×3 convolutions, 11 to 19 layers"),
    (2014, "GoogLeNet", "googlenet", "07_googlenet",
     "the Inception block: parallel paths, 1×1 bottlenecks before large kernels"),
    (2015, "BN-Inception", "inception_bn", "09_batchnorm",
     "batch normalization: each layer's inputs normalised over the minibatch"),
    (2015, "Inception v3", "inception_v3", "08_inception",
     "factorised convolutions (1×n after n×1), grid reduction, label smoothing"),
    (2015, "ResNet", "resnet50", "10_resnet",
     "residual connections: 152 layers train, and deeper means better"),
    (2016, "SqueezeNet", "squeezenet1_0", "12_squeezenet",
     "fire modules: AlexNet's accuracy with 50× fewer parameters"),
    (2016, "Inception v4, Inception-ResNet", "inception_resnet_v2", "08_inception",
     "uniform Inception stages; residual connections inside Inception blocks"),
    (2016, "DenseNet", "densenet121", "11_densenet",
     "each layer reads the concatenated maps of every layer before it"),
    (2016, "Xception", "xception", "08_inception",
     "depthwise separable convolutions in place of Inception blocks"),
    (2016, "ResNeXt", "resnext50_32x4d", "10_resnet",
     "grouped convolutions: cardinality as a dimension besides depth and width"),
    (2017, "MobileNet", "mobilenet_v1", "13_mobilenet",
     "depthwise separable convolutions with width and resolution multipliers"),
    (2017, "ShuffleNet", "shufflenet_v1", "14_shufflenet",
     "grouped 1×1 convolutions with a channel shuffle between them"),
    (2017, "SENet", "se_resnet50", "15_senet",
     "squeeze-and-excitation: channels reweighted from the whole image"),
    (2018, "MobileNet v2", "mobilenet_v2", "13_mobilenet",
     "inverted residual blocks with linear bottlenecks"),
    (2018, "ShuffleNet v2", "shufflenet_v2", "14_shufflenet",
     "designed by measured speed instead of FLOPs: channel split"),
    (2019, "EfficientNet", "efficientnet_b0", "16_efficientnet",
     "a searched MBConv baseline scaled in depth, width and resolution together"),
)


def family(name: str) -> str:
    _check(name)
    return MODELS[name][0]


def chapter(name: str) -> str:
    _check(name)
    return MODELS[name][1]


def _check(name: str) -> None:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(models.names())}")


# --- Paper scale: counts and published accuracy -----------------------------------------------

@dataclass
class PaperScale:
    """A registered model in its default (paper) configuration, counted for one image."""
    name: str
    family: str
    chapter: str
    input_size: tuple[int, int, int]
    params: int
    macs: int
    activation_bytes: int   # lib.cost's activation memory, one float32 image
    top1: float | None      # published ImageNet top-1 (%), lib.models.references.ACCURACY
    top1_source: str
    cost: cost.Cost = field(repr=False)


def count(name: str) -> cost.Cost:
    """`create(name)` at `input_size(name)`, in eval mode (auxiliary classifiers off), counted
    on the meta device."""
    return cost.count(cost.build_on_meta(models.create, name).eval(), models.input_size(name))


def paper_scale(names=None) -> list[PaperScale]:
    """One row per model of `names` (default: every registered model, in registration order)."""
    rows = []
    for name in names or models.names():
        c, acc = count(name), ACCURACY[name]
        rows.append(PaperScale(name, family(name), chapter(name), c.input_size, c.params, c.macs,
                               c.activation_bytes, acc.top1, acc.source, c))
    return rows


def pareto_front(points, x_lower_is_better: bool = True, y_higher_is_better: bool = True):
    """The points (x, y, ...) that no other point beats on both x and y, sorted by x. With the
    defaults: the cheapest network for each level of accuracy."""
    sx = 1 if x_lower_is_better else -1
    sy = -1 if y_higher_is_better else 1
    ranked = sorted(points, key=lambda p: (sx * p[0], sy * p[1]))
    front, best = [], None
    for p in ranked:
        if best is None or sy * p[1] < best:
            front.append(p)
            best = sy * p[1]
    return sorted(front, key=lambda p: p[0])


# --- Measured latency --------------------------------------------------------------------------

#: The batch of the throughput measurement on each kind of device, and the most memory one
#: layer's output may take in it (the batch shrinks for networks with large maps).
THROUGHPUT_BATCH = {"cpu": 16, "cuda": 64}
MAX_LAYER_BYTES = 512 * 2 ** 20


@dataclass
class Latency:
    """Median time of one inference batch of `name` on `device`."""
    name: str
    device: str
    batch_size: int
    seconds: float

    @property
    def images_per_second(self) -> float:
        return self.batch_size / self.seconds


def throughput_batch(c: cost.Cost, device: str = "cpu") -> int:
    """THROUGHPUT_BATCH of the device, halved until the largest layer output of the batch fits
    in MAX_LAYER_BYTES (float32)."""
    batch = THROUGHPUT_BATCH.get(torch.device(device).type, THROUGHPUT_BATCH["cpu"])
    largest = max(4 * _numel(l.output_shape) for l in c.layers)
    while batch > 1 and batch * largest > MAX_LAYER_BYTES:
        batch //= 2
    return batch


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def measure(names, batch_sizes=None, device="cpu", steps: int = 3, warmup: int = 1,
            precision: str = "float32", deadline_s: float | None = None,
            progress: bool = True) -> tuple[list[Latency], list[str]]:
    """Inference latency of each model of `names` (built with its paper configuration, random
    weights, eval mode) at each batch size: `lib.train.speed.images_per_second(train=False)`,
    the median of `steps` timed batches after `warmup`. `batch_sizes` defaults to 1 and the
    model's `throughput_batch`. Models are measured in the order given (the first always) until
    `deadline_s` seconds have passed; returns the measurements and the names left unmeasured."""
    integer("steps", steps)
    integer("warmup", warmup, 0)
    if deadline_s is not None:
        positive("deadline_s", deadline_s)
    names = list(names)
    for name in names:
        _check(name)
    start, done, skipped = time.perf_counter(), [], []
    bar = _progress(len(names), progress)
    for i, name in enumerate(names):
        if i and deadline_s is not None and time.perf_counter() - start > deadline_s:
            skipped = names[i:]
            break
        sizes = batch_sizes or (1, throughput_batch(count(name), device))
        torch.manual_seed(0)
        model = models.create(name).eval()
        for b in sizes:
            ips = speed.images_per_second(model, models.input_size(name), batch_size=b,
                                          steps=steps, warmup=warmup, train=False,
                                          device=device, precision=precision)
            done.append(Latency(name, str(device), b, b / ips))
        del model
        bar(name)
    bar(None)
    return done, skipped


def _progress(total: int, show: bool):
    """A tqdm bar (a widget in notebooks) over `total` models, closed when called with None."""
    if not show:
        return lambda name: None
    from tqdm.auto import tqdm
    bar = tqdm(total=total, unit="model", leave=False)

    def step(name):
        if name is None:
            bar.close()
        else:
            bar.set_postfix_str(name)
            bar.update(1)
    return step


# --- The machine's ceilings and the roofline ---------------------------------------------------

def memory_bandwidth(device="cpu", megabytes: int = 256, steps: int = 5) -> float:
    """Bytes per second of copying a `megabytes` float32 tensor into another (read and write:
    twice its size moved), the median of `steps` copies after one untimed: the bandwidth that
    a layer streaming its input and output sees."""
    integer("megabytes", megabytes, 1, 16_384)
    integer("steps", steps)
    device = torch.device(device)
    n = megabytes * 2 ** 20 // 4
    src, dst = torch.ones(n, device=device), torch.empty(n, device=device)
    times = []
    for i in range(steps + 1):
        _synchronize(device)
        t = time.perf_counter()
        dst.copy_(src)
        _synchronize(device)
        if i:
            times.append(time.perf_counter() - t)
    return 2 * n * 4 / statistics.median(times)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class LayerTime:
    """One layer under the roofline model: its FLOPs and bytes for the batch, and the time each
    would take at the machine's ceilings."""
    name: str
    type: str
    flops: int
    bytes: int
    compute_s: float
    memory_s: float

    @property
    def seconds(self) -> float:
        return max(self.compute_s, self.memory_s)

    @property
    def intensity(self) -> float:
        """FLOPs per byte moved."""
        return self.flops / self.bytes if self.bytes else float("inf")

    @property
    def memory_bound(self) -> bool:
        return self.memory_s > self.compute_s


@dataclass
class Roofline:
    """A network under the roofline model, layer by layer."""
    name: str
    batch_size: int
    peak_flops: float
    bandwidth: float
    layers: list[LayerTime]

    @property
    def flops(self) -> int:
        return sum(l.flops for l in self.layers)

    @property
    def bytes(self) -> int:
        return sum(l.bytes for l in self.layers)

    @property
    def intensity(self) -> float:
        return self.flops / self.bytes

    @property
    def seconds(self) -> float:
        """The model's time: each layer waits for its slower ceiling."""
        return sum(l.seconds for l in self.layers)

    @property
    def memory_bound_share(self) -> float:
        """The fraction of the model's time spent in layers that wait for memory."""
        return sum(l.seconds for l in self.layers if l.memory_bound) / self.seconds

    def by_type(self) -> dict[str, float]:
        """Modelled seconds per layer type, largest first."""
        out = {}
        for l in self.layers:
            out[l.type] = out.get(l.type, 0.0) + l.seconds
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def roofline(c: cost.Cost, peak_flops: float, bandwidth: float, batch_size: int = 1,
             itemsize: int = 4, name: str = "") -> Roofline:
    """The roofline model of the counted network `c` for a batch: layer i does 2 * MACs FLOPs
    per image and moves its weights once and its output twice (written, then read by the next
    layer), `itemsize` bytes each."""
    positive("peak_flops", peak_flops)
    positive("bandwidth", bandwidth)
    integer("batch_size", batch_size)
    layers = []
    for l in c.layers:
        flops = 2 * l.macs * batch_size
        moved = itemsize * (l.params + 2 * batch_size * _numel(l.output_shape))
        layers.append(LayerTime(l.name, l.type, flops, moved, flops / peak_flops,
                                moved / bandwidth))
    return Roofline(name, batch_size, peak_flops, bandwidth, layers)
