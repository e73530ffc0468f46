"""Every model runs unchanged the way a GPU runs it fast: under bfloat16 autocast, in channels-last
memory format and compiled, computing what it computes in float32, contiguous and eager; and
it computes a batch in one go, with no Python loop over its images or pixels.

Checked at the course scale (`course_config(name)`) on the CPU, where the same model code runs:
autocast on "cpu" and on "cuda" both run convolutions and linear layers in 16 bits (their lists
differ in a few other operations).

Two properties of randomly initialised networks shape the checks:

- In eval mode their activations decay or grow layer after layer (EfficientNet's logits are
  ~1e-14, ResNet-152's ~1e7): outputs are compared relative to their own size. Decaying
  activations reach float32's subnormal range, where CPU arithmetic is ~30x slower (MobileNet
  v2: 3 s instead of 0.1 s per batch), so subnormals are flushed to zero while these tests run.
- In training mode a deep network with batch norm is chaotic at initialisation: rounding only
  its input to bfloat16, in float32 arithmetic, moves MobileNet v2's logits by 71 % and
  ResNet-50's by 15 % (VGG-16's by 0.1 %). bfloat16 arithmetic cannot be held closer to float32
  than the float32 network is to itself, so in training mode the bound on its error grows with
  that sensitivity: 5 % plus ten times it. Training itself (forward and backward, finite float32
  gradients for every parameter) is checked for every model.
"""
import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from lib import models

NAMES = models.names()
BATCH = 2
TRAIN_BATCH = 4  # batch norm over 2 values per channel (a 1x1 map) is a sign function
BF16 = dict(device_type="cpu", dtype=torch.bfloat16)


@pytest.fixture(autouse=True, scope="module")
def flush_subnormals():
    # The flag is per thread and the thread pool already runs: compute on this thread alone.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    assert torch.set_flush_denormal(True), "this CPU cannot flush subnormal floats"
    yield
    torch.set_flush_denormal(False)
    torch.set_num_threads(threads)


def course_model(name, **overrides):
    torch.manual_seed(0)
    kwargs = {**models.course_config(name), **overrides}
    return models.create(name, **kwargs), models.input_size(name, **kwargs)


def logits(out):
    return out[0] if isinstance(out, tuple) else out


def relative_error(actual, expected):
    actual, expected = actual.float(), expected.float()
    return ((actual - expected).norm() / expected.norm()).item()


def no_dropout(net):
    """Dropout and stochastic depth draw their masks in memory order, so channels-last runs drop
    other elements than contiguous ones: switch them off where outputs are compared."""
    for m in net.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd) or type(m).__name__ == "StochasticDepth":
            m.p = 0.0
    return net


def channels_last(net, x):
    return net.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)


# --- Eval mode ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_eval_bfloat16_and_channels_last(name):
    net, size = course_model(name)
    net.eval()
    x = torch.randn(BATCH, *size)
    with torch.no_grad():
        expected = net(x)
        with torch.autocast(**BF16):
            half = net(x)
        cl_net, cl_x = channels_last(net, x)
        layouts = []
        hooks = [m.register_forward_hook(lambda m, args, out: layouts.append(
                     out.is_contiguous(memory_format=torch.channels_last)))
                 for m in cl_net.modules() if isinstance(m, nn.Conv2d)]
        cl = cl_net(cl_x)
        for h in hooks:
            h.remove()
    assert half.dtype == torch.bfloat16 and torch.isfinite(half).all()
    # bfloat16 keeps 8 bits of mantissa (relative rounding 2^-9 = 0.2 %); through up to 270
    # convolutions the logits move by 0.15-3.6 % (SqueezeNet 1.1 the most).
    assert relative_error(half, expected) < 0.05
    assert layouts and all(layouts), "every convolution computes in channels-last format"
    assert cl.dtype == torch.float32
    assert relative_error(cl, expected) < 1e-4


class CountCalls(TorchFunctionMode):
    """Counts the torch functions and tensor methods called from Python."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("name", NAMES)
def test_a_batch_is_computed_at_once(name):
    """The images of a batch do not affect each other, and no Python loop runs over images or
    pixels: such a loop would call torch once per image or pixel."""
    net, size = course_model(name)
    larger, larger_size = course_model(name, image_size=2 * size[-1])
    net.eval(), larger.eval()
    images = torch.randn(3, 1, *size).unbind()
    batch, larger_image = torch.cat(images), torch.randn(1, *larger_size)
    counts = {}
    with torch.no_grad():
        with CountCalls() as counts["batch of 3"]:
            together = net(batch)
        alone = []
        for image in images:
            with CountCalls() as counts["one image"]:
                alone.append(net(image))
        with CountCalls() as counts["twice the resolution"]:
            larger(larger_image)
    for i, image in enumerate(alone):
        assert relative_error(image[0], together[i]) < 1e-5, i
    calls = {label: c.calls for label, c in counts.items()}
    assert len(set(calls.values())) == 1 and calls["one image"] > 0, calls


# --- Training mode -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_train_bfloat16_and_channels_last(name):
    net, size = course_model(name)
    x = torch.randn(TRAIN_BATCH, *size)
    net.train()
    # As it is, dropout and stochastic depth included: both at once, forward and backward.
    cl_net, cl_x = channels_last(net, x)
    with torch.autocast(**BF16):
        out = logits(cl_net(cl_x))
    assert out.dtype == torch.bfloat16 and torch.isfinite(out).all()
    out.float().square().mean().backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 and torch.isfinite(p.grad).all()
               for p in net.parameters()), "every parameter gets a finite float32 gradient"

    no_dropout(net)
    with torch.no_grad():
        cl = logits(cl_net(cl_x))
        net.to(memory_format=torch.contiguous_format)
        expected = logits(net(x))
        with torch.autocast(**BF16):
            half = logits(net(x))
        sensitivity = relative_error(logits(net(x.bfloat16().float())), expected)
    assert relative_error(cl, expected) < 1e-2  # observed at most 2e-3 (MobileNet v2)
    # Autocast rounds the input of every convolution to bfloat16; `sensitivity` is what rounding
    # the network's input alone does, in float32. Observed: error <= 0.05 + 5.4 x sensitivity.
    error = relative_error(half, expected)
    assert error < 0.05 + 10 * sensitivity, (error, sensitivity)
    assert 0.5 < (half.float().norm() / expected.norm()).item() < 2  # logits of the same size


# --- torch.compile -----------------------------------------------------------------------------

# A plain network, a residual one with batch norm, and one of depthwise convolutions with
# inverted residuals. TorchInductor generates C++ and compiles it with the system's compiler:
# about 40 s for the three on two cores without its cache, 7 s with it.
@pytest.mark.parametrize("name", ["lenet", "resnet18", "mobilenet_v2"])
def test_compiled_equals_eager(name):
    net, size = course_model(name)
    net.eval()
    x = torch.randn(BATCH, *size)
    compiled = torch.compile(net, fullgraph=True)  # fullgraph: no graph breaks in forward
    with torch.no_grad():
        expected, out = net(x), compiled(x)
    assert relative_error(out, expected) < 1e-5


# --- On a CUDA GPU (benchmarks/gpu_check.sh runs these; they skip elsewhere) --------------------

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def digits_on_gpu():
    from lib import data as datasets
    return datasets.load("mnist_5k", batch_size=128, device="cuda") if torch.cuda.is_available() else None


class Watch:
    """Records what the loop runs: the dtype and layout of the first convolution's output,
    and whether a gradient scaler scales the loss."""

    def __init__(self, net):
        from lib import train
        self.dtypes, self.channels_last, self.scaling = set(), set(), set()
        conv = next(m for m in net.modules() if isinstance(m, nn.Conv2d))
        conv.register_forward_hook(self.hook)
        watch = self

        class Scaler(train.Callback):
            def on_batch_end(self, trainer):
                watch.scaling.add(trainer.scaler.is_enabled())
        self.callback = Scaler()

    def hook(self, module, args, out):
        self.dtypes.add(out.dtype)
        self.channels_last.add(out.is_contiguous(memory_format=torch.channels_last))


@cuda
@pytest.mark.parametrize("precision, dtype, scaled", [("bfloat16", torch.bfloat16, False),
                                                      ("float16", torch.float16, True),
                                                      ("float32", torch.float32, False)])
def test_cuda_training_in_each_precision_channels_last(digits_on_gpu, precision, dtype, scaled):
    from lib import train
    if precision == "bfloat16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    torch.manual_seed(0)
    net = models.create("lenet", activation="relu", pool="max")
    watch = Watch(net)
    h = train.fit(net, digits_on_gpu, epochs=2, lr=2e-3, optimizer="adam", budget="full",
                  precision=precision, callbacks=[watch.callback], verbose=False)
    assert watch.dtypes == {dtype} and watch.channels_last == {True} and watch.scaling == {scaled}
    assert h.precision == precision and h.device.startswith("cuda") and h.test_acc[-1] > 0.8
    assert all(p.dtype == torch.float32 and p.is_cuda for p in net.parameters())
    assert train.evaluate(net, digits_on_gpu, precision=precision) == pytest.approx(h.test_acc[-1])


@cuda
def test_cuda_auto_precision_is_the_gpus_own():
    from lib.train import precision
    expected = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    assert precision.resolve(torch.device("cuda"), "auto") == expected


@cuda
@pytest.mark.parametrize("name", ["lenet", "resnet18", "mobilenet_v2"])
def test_cuda_compiled_equals_eager_in_bfloat16_channels_last(name):
    net, size = course_model(name)
    net = net.cuda().eval().to(memory_format=torch.channels_last)
    x = torch.randn(8, *size, device="cuda").contiguous(memory_format=torch.channels_last)
    compiled = torch.compile(net, fullgraph=True)
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        expected, out = net(x), compiled(x)
    assert relative_error(out, expected) < 2e-2
