"""The fast path of counting: everything `lib.cost.count` does only to be fast. Private: what
it computes is exactly what running the model on the meta device gives (tests/test_cost_rules.py
compares the two on every registered model and on torchvision's), and nothing outside
`lib.cost.counter` uses it.

Three parts, each measured by benchmarks/cost_speed.py:

1. Shape rules. Counting needs only the shape of every layer's output, and PyTorch's meta kernels
   are mostly Python decompositions: an addition costs about 0.2 ms, batch norm milliseconds.
   While counting, the layers in LAYER_RULES and the functions in FUNCTION_RULES produce their
   output's shape from a formula instead (the functions through a TorchFunctionMode, a public
   but low-level PyTorch API). Anything else, and any input a rule does not recognise (a rule
   then returns None or NotImplemented), runs the real meta kernel, so an invalid input still
   fails as PyTorch would say it.
2. `no_init`: building a model on the meta device skips weight initialisation (the init
   functions were two thirds of the time to count a model by name) by replacing the functions
   of `torch.nn.init` while it runs.
3. `gc_paused`: no garbage collection in the middle of a count.
"""
from __future__ import annotations

import contextlib
import gc

import torch
from torch import nn

from lib.geometry import pair, sliding_output_size

# --- Shape rules -----------------------------------------------------------------------------

# Layers whose output has the shape of their input: while counting they return their input.
SHAPE_PRESERVING = (
    nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm,
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.Softmax, nn.LogSoftmax,
    nn.Dropout, nn.Dropout2d, nn.AlphaDropout, nn.Identity,
)


def empty(shape, like):
    return torch.empty(shape, dtype=like.dtype, device="meta")


def conv_rule(m, x):
    d = len(m.kernel_size)
    if (x.dim() != d + 2 or x.shape[1] != m.in_channels
            or isinstance(m.padding, str) and m.padding != "valid"):
        return None
    padding = (0,) * d if isinstance(m.padding, str) else m.padding
    if m.padding_mode != "zeros" and any(p >= n for p, n in zip(padding, x.shape[2:])):
        return None
    size = [sliding_output_size(*args) for args in
            zip(x.shape[2:], m.kernel_size, m.stride, padding, m.dilation)]
    return empty((x.shape[0], m.out_channels, *size), x) if min(size) > 0 else None


def linear_rule(m, x):
    if x.dim() < 1 or x.shape[-1] != m.in_features:
        return None
    return empty((*x.shape[:-1], m.out_features), x)


def pool_rule(m, x):
    if x.dim() != 4 or getattr(m, "return_indices", False):
        return None
    k, s, p = (pair(v) for v in (m.kernel_size, m.stride or m.kernel_size, m.padding))
    dilation = pair(getattr(m, "dilation", 1))
    if any(pi > ki // 2 for ki, pi in zip(k, p)):
        return None
    size = [sliding_output_size(*args, m.ceil_mode)
            for args in zip(x.shape[2:], k, s, p, dilation)]
    return empty((*x.shape[:2], *size), x) if min(size) > 0 else None


def adaptive_size(x, output_size, d=2):
    size = (output_size,) * d if isinstance(output_size, int) else tuple(output_size)
    if x.dim() != d + 2 or len(size) != d or min(x.shape[2:]) < 1 or any(
            o is not None and (not isinstance(o, int) or o < 1) for o in size):
        return None
    return empty((*x.shape[:2], *(n if o is None else o for o, n in zip(size, x.shape[2:]))), x)


def adaptive_rule(m, x):
    return None if getattr(m, "return_indices", False) else adaptive_size(x, m.output_size)


def same(m, x):
    return x


LAYER_RULES = {
    nn.Conv1d: conv_rule, nn.Conv2d: conv_rule, nn.Conv3d: conv_rule,
    nn.Linear: linear_rule,
    nn.MaxPool2d: pool_rule, nn.AvgPool2d: pool_rule,
    nn.AdaptiveAvgPool2d: adaptive_rule, nn.AdaptiveMaxPool2d: adaptive_rule,
}


def all_meta(*tensors):
    """Meta tensors of one floating-point dtype, for which no rule needs to promote types."""
    return (all(isinstance(t, torch.Tensor) and t.is_meta and t.is_floating_point()
                for t in tensors)
            and len({t.dtype for t in tensors}) == 1)


def broadcast(a, b=()):
    """The broadcast of two shapes, or None where they do not broadcast."""
    if len(a) < len(b):
        a, b = b, a
    b = (1,) * (len(a) - len(b)) + tuple(b)
    if any(m != n and m != 1 and n != 1 for m, n in zip(a, b)):
        return None
    return tuple(m if n == 1 else n for m, n in zip(a, b))


def binary(func, types, args, kwargs):
    a, b = args[0], args[1] if len(args) > 1 else kwargs.get("other")
    tensors = [t for t in (a, b) if isinstance(t, torch.Tensor)]
    if not all_meta(*tensors) or len(args) > 2 or set(kwargs) - {"other"}:
        return NotImplemented
    shape = broadcast(*(t.shape for t in tensors))
    if shape is None:
        return NotImplemented
    name = func.__name__
    if name.startswith("__i") or not name.startswith("__") and name.endswith("_"):  # in place
        return a if shape == a.shape else NotImplemented
    return empty(shape, tensors[0])


def unary(func, types, args, kwargs):
    return args[0] if args and all_meta(args[0]) else NotImplemented


def mean(func, types, args, kwargs):
    x, dim = args[0], args[1] if len(args) > 1 else kwargs.get("dim")
    keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    if not all_meta(x) or dim is None or kwargs.get("dtype") is not None or len(args) > 3:
        return NotImplemented
    listed = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = {d % x.dim() for d in listed if -x.dim() <= d < x.dim()}
    if not listed or len(dims) != len(listed):  # out of range, or repeated
        return NotImplemented
    shape = [1 if i in dims else n for i, n in enumerate(x.shape) if keepdim or i not in dims]
    return empty(shape, x)


def cat(func, types, args, kwargs):
    tensors, dim = args[0], args[1] if len(args) > 1 else kwargs.get("dim", 0)
    if not isinstance(dim, int) or not tensors or not all_meta(*tensors):
        return NotImplemented
    first = tensors[0].shape
    if not -len(first) <= dim < len(first):
        return NotImplemented
    dim %= len(first)
    if any(len(t.shape) != len(first) or t.shape[:dim] != first[:dim]
           or t.shape[dim + 1:] != first[dim + 1:] for t in tensors):
        return NotImplemented
    return empty((*first[:dim], sum(t.shape[dim] for t in tensors), *first[dim + 1:]), tensors[0])


def adaptive_pool(func, types, args, kwargs):
    x = args[0]
    size = args[1] if len(args) > 1 else kwargs.get("output_size")
    if not all_meta(x) or kwargs.get("return_indices") or len(args) > 2:
        return NotImplemented
    out = adaptive_size(x, size)
    return NotImplemented if out is None else out


T, F = torch.Tensor, nn.functional
FUNCTION_RULES = {
    **{f: binary for f in (T.__add__, T.__radd__, T.__iadd__, T.__sub__, T.__rsub__, T.__isub__,
                           T.__mul__, T.__rmul__, T.__imul__, T.__truediv__, T.__itruediv__,
                           torch.add, torch.sub, torch.mul, torch.div, T.add, T.add_, T.sub,
                           T.mul, T.mul_, T.div, T.div_)},
    **{f: unary for f in (torch.sigmoid, T.sigmoid, T.sigmoid_, torch.tanh, T.tanh, torch.relu,
                          T.relu, T.relu_, F.relu, F.relu6, F.silu, F.gelu, F.hardswish,
                          F.hardsigmoid, F.dropout)},
    torch.mean: mean, T.mean: mean,
    torch.cat: cat, torch.concat: cat,
    F.adaptive_avg_pool2d: adaptive_pool, F.adaptive_max_pool2d: adaptive_pool,
}
del T, F


class ShapeRules(torch.overrides.TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        rule = FUNCTION_RULES.get(func)
        if rule is not None and not (kwargs and "out" in kwargs):
            out = rule(func, types, args, kwargs or {})
            if out is not NotImplemented:
                return out
        return func(*args, **(kwargs or {}))


# --- Building without initialisation, counting without garbage collection ------------------

class no_init:
    """Skip weight initialisation while building on the meta device: meta tensors hold no values,
    and the init functions were two thirds of the time to count a model by name."""

    def __enter__(self):
        self.saved = {n: f for n, f in vars(nn.init).items()
                      if n.endswith("_") and not n.startswith("_") and callable(f)}
        for n in self.saved:
            setattr(nn.init, n, lambda tensor, *args, **kwargs: tensor)

    def __exit__(self, *exc):
        for n, f in self.saved.items():
            setattr(nn.init, n, f)


@contextlib.contextmanager
def gc_paused():
    """Building and tracing a model make thousands of small objects; a garbage collection in
    the middle of a count doubles its time now and then."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- Allocation rules: the costliest meta kernels of a training-mode forward pass -----------
# `lib.cost.memory` runs the model below autograd on the meta device and records the storages
# operations create. Batch norm's meta kernel computes its statistics as a chain of meta
# reductions (about 10 ms a call); convolution, concatenation and addition check their
# arguments in Python. These rules return tensors of the same shape, dtype and layout, or None
# to leave the call to the meta kernel.

def _like(shape, x):
    layout = (torch.channels_last if x.dim() == 4 and not x.is_contiguous()
              and x.is_contiguous(memory_format=torch.channels_last)
              else torch.contiguous_format)
    return torch.empty(shape, dtype=x.dtype, device="meta", memory_format=layout)


def batch_norm_allocation(x, weight, bias, running_mean, running_var, training, momentum, eps):
    if not training or not all_meta(x) or x.dim() < 2:
        return None
    stats = torch.empty(x.shape[1], dtype=torch.float32, device="meta")
    return _like(x.shape, x), stats, torch.empty_like(stats)


def convolution_allocation(x, weight, bias, stride, padding, dilation, transposed,
                           output_padding, groups):
    d = weight.dim() - 2
    if (transposed or not all_meta(x, weight) or x.dim() != d + 2
            or x.shape[1] != weight.shape[1] * groups or len(stride) != d):
        return None
    size = [sliding_output_size(*args) for args in
            zip(x.shape[2:], weight.shape[2:], stride, padding, dilation)]
    return _like((x.shape[0], weight.shape[0], *size), x) if min(size) > 0 else None


def cat_allocation(tensors, dim=0):
    out = cat(None, None, (tensors, dim), {})
    return None if out is NotImplemented else _like(out.shape, tensors[0])


def add_allocation(a, b, alpha=1):
    if not all_meta(a, b) or a.shape != b.shape:
        return None
    return _like(a.shape, a)


ALLOCATION_RULES = {
    torch.ops.aten.native_batch_norm.default: batch_norm_allocation,
    torch.ops.aten.convolution.default: convolution_allocation,
    torch.ops.aten.cat.default: cat_allocation,
    torch.ops.aten.add.Tensor: add_allocation,
}
