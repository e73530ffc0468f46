"""Cost accounting: parameters, multiply-accumulates and activation memory of a model.

Conventions, written once for the whole course:

- **params**: learnable scalars (`sum(p.numel() for p in model.parameters())`).
- **MACs**: multiply-accumulates of convolution and linear layers, per image. This is what the
  papers and torchvision's documentation call "FLOPs".
- **FLOPs**: 2 x MACs (one multiply and one add), what `torch.utils.flop_counter` reports.

For a convolution with a k_h x k_w kernel, c_in input and c_out output channels, g groups and
an m_h x m_w output:

    params = k_h * k_w * (c_in / g) * c_out  (+ c_out biases)
    MACs   = m_h * m_w * k_h * k_w * (c_in / g) * c_out

Counting runs the model on the meta device: shapes flow through, no memory is allocated and
no arithmetic is done, so VGG-16 at 224x224 costs as little to count as LeNet.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import html
import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import functional_call


# --- Hand formulas --------------------------------------------------------------------------

def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_output_size(n: int, kernel_size: int, padding: int = 0, stride: int = 1,
                     dilation: int = 1) -> int:
    """floor((n + 2p - d(k - 1) - 1) / s) + 1, which is floor((n + 2p - k) / s) + 1 for d = 1.

    Raises ValueError, naming the values, when the result would not be a positive size.
    """
    for label, value, low in (("input size", n, 1), ("kernel size", kernel_size, 1),
                              ("padding", padding, 0), ("stride", stride, 1),
                              ("dilation", dilation, 1)):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"{label} must be an integer >= {low}, got {value!r}")
    span = dilation * (kernel_size - 1) + 1
    if span > n + 2 * padding:
        raise ValueError(
            f"kernel size {kernel_size}" + (f" (dilated to {span})" if dilation > 1 else "")
            + f" is larger than the padded input {n} + 2*{padding} = {n + 2 * padding}; "
            f"use a kernel of at most {n + 2 * padding} or pad by at least "
            f"{math.ceil((span - n) / 2)}")
    return (n + 2 * padding - span) // stride + 1


def _check_groups(c_in, c_out, groups):
    for label, value in (("input channels", c_in), ("output channels", c_out), ("groups", groups)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    if c_in % groups or c_out % groups:
        bad = " and ".join(f"{label} {c}" for label, c in (("input channels", c_in),
                                                           ("output channels", c_out)) if c % groups)
        raise ValueError(f"groups={groups} does not divide {bad}; "
                         f"valid group counts: {_divisors(math.gcd(c_in, c_out))}")


def _divisors(n):
    return ", ".join(str(d) for d in range(1, n + 1) if n % d == 0)


def conv_params(kernel_size, c_in: int, c_out: int, groups: int = 1, bias: bool = True) -> int:
    """k_h * k_w * (c_in / groups) * c_out, plus c_out biases."""
    _check_groups(c_in, c_out, groups)
    k_h, k_w = _pair(kernel_size)
    return k_h * k_w * (c_in // groups) * c_out + (c_out if bias else 0)


def conv_macs(kernel_size, c_in: int, c_out: int, output_size, groups: int = 1) -> int:
    """m_h * m_w * k_h * k_w * (c_in / groups) * c_out."""
    _check_groups(c_in, c_out, groups)
    k_h, k_w = _pair(kernel_size)
    m_h, m_w = _pair(output_size)
    return m_h * m_w * k_h * k_w * (c_in // groups) * c_out


# --- Counting a model -----------------------------------------------------------------------

@dataclass
class Layer:
    """One leaf layer as it ran: its qualified name, type, output shape (per image) and cost."""
    name: str
    type: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


@dataclass
class Cost:
    """What `count` measured. `macs` and `flops` are per image; `activation_bytes` is for
    `batch_size` images of `dtype`."""
    params: int
    macs: int
    activation_bytes: int
    input_size: tuple[int, ...]
    batch_size: int = 1
    dtype: torch.dtype = torch.float32
    layers: list[Layer] = field(default_factory=list, repr=False)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    def __repr__(self):
        return (f"Cost(params={self.params:,}, macs={self.macs:,}, flops={self.flops:,}, "
                f"activation_bytes={self.activation_bytes:,}, input_size={self.input_size})")

    def summary(self) -> str:
        """Totals in the units the papers use."""
        return (f"{self.params / 1e6:.2f} M params, {self.macs / 1e6:,.1f} M MACs "
                f"({self.flops / 1e9:.2f} GFLOPs) per {'x'.join(map(str, self.input_size))} image")

    def table(self, max_rows: int | None = None) -> str:
        """The per-layer table as plain text."""
        rows = [("layer", "type", "output shape", "params", "MACs")]
        shown = self.layers if max_rows is None else self.layers[:max_rows]
        rows += [(l.name, l.type, _shape(l.output_shape), f"{l.params:,}", f"{l.macs:,}")
                 for l in shown]
        if max_rows is not None and len(self.layers) > max_rows:
            rows.append((f"... {len(self.layers) - max_rows} more layers", "", "", "", ""))
        rows.append(("total", "", "", f"{self.params:,}", f"{self.macs:,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        align = ("<", "<", "<", ">", ">")
        return "\n".join("  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, align, widths)).rstrip()
                         for r in rows)

    def _repr_html_(self) -> str:
        return self.html()

    def html(self, max_rows: int | None = 60) -> str:
        """The per-layer table as HTML, with a bar for each layer's share of the MACs."""
        total = max(self.macs, 1)
        head = ("<tr><th>layer</th><th>type</th><th>output shape</th>"
                "<th style='text-align:right'>params</th><th style='text-align:right'>MACs</th>"
                "<th>share of MACs</th></tr>")
        shown = self.layers if max_rows is None else self.layers[:max_rows]
        body = []
        for l in shown:
            bar = f"<div style='background:#4c72b0;height:0.8em;width:{100 * l.macs / total:.1f}%'></div>"
            body.append(f"<tr><td><code>{html.escape(l.name)}</code></td><td>{l.type}</td>"
                        f"<td>{_shape(l.output_shape)}</td><td style='text-align:right'>{l.params:,}</td>"
                        f"<td style='text-align:right'>{l.macs:,}</td><td style='width:8em'>{bar}</td></tr>")
        if len(shown) < len(self.layers):
            body.append(f"<tr><td colspan=6>... {len(self.layers) - len(shown)} more layers "
                        f"(<code>cost.table()</code> lists them all)</td></tr>")
        body.append(f"<tr style='font-weight:bold'><td>total</td><td></td><td></td>"
                    f"<td style='text-align:right'>{self.params:,}</td>"
                    f"<td style='text-align:right'>{self.macs:,}</td><td></td></tr>")
        return (f"<table class='cost-table'><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
                f"<p>{html.escape(self.summary())}; activations {self.activation_bytes / 2**20:,.1f} MiB "
                f"for a batch of {self.batch_size} in {str(self.dtype).replace('torch.', '')}.</p>")

    def plot(self, ax=None, top: int | None = 30):
        """Bar chart of MACs and parameters per layer (the `top` costliest by MACs)."""
        from lib.plot import cost_bars
        return cost_bars(self, ax=ax, top=top)


def _shape(shape):
    return "x".join(map(str, shape))


def _macs(module: nn.Module, output: torch.Tensor) -> int:
    """MACs of one call of `module` per image, from its output shape."""
    if isinstance(module, nn.modules.conv._ConvNd):
        per_output = math.prod(module.kernel_size) * module.in_channels // module.groups
        return output[0].numel() * per_output
    if isinstance(module, nn.Linear):
        return output[0].numel() * module.in_features
    if isinstance(module, nn.Bilinear):
        return output[0].numel() * module.in1_features * module.in2_features
    return 0


# --- Shape rules -----------------------------------------------------------------------------
# Counting needs only the shape of every layer's output, and PyTorch's meta kernels are mostly
# Python decompositions: an addition costs about 0.2 ms, batch norm milliseconds. While counting,
# the layers and functions below produce their output shape from a formula instead. Anything
# else, and any input a rule does not recognise, runs the real meta kernel, so an invalid input
# still fails as PyTorch would say it.

# Layers whose output has the shape of their input: while counting they return their input.
SHAPE_PRESERVING = (
    nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm,
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.Softmax, nn.LogSoftmax,
    nn.Dropout, nn.Dropout2d, nn.AlphaDropout, nn.Identity,
)


def sliding_output_size(n: int, kernel_size: int, stride: int, padding: int = 0, dilation: int = 1,
                        ceil_mode: bool = False) -> int:
    """PyTorch's output size of a convolution or pooling window, without validation (see
    `conv_output_size` for that). With ceil_mode, pooling's last window may hang over the edge
    but must start inside the input or its left padding."""
    out = (n + 2 * padding - dilation * (kernel_size - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def _empty(shape, like):
    return torch.empty(shape, dtype=like.dtype, device="meta")


def _conv_rule(m, x):
    d = len(m.kernel_size)
    if x.dim() != d + 2 or x.shape[1] != m.in_channels or isinstance(m.padding, str) and m.padding != "valid":
        return None
    padding = (0,) * d if isinstance(m.padding, str) else m.padding
    if m.padding_mode != "zeros" and any(p >= n for p, n in zip(padding, x.shape[2:])):
        return None
    size = [sliding_output_size(*args) for args in
            zip(x.shape[2:], m.kernel_size, m.stride, padding, m.dilation)]
    return _empty((x.shape[0], m.out_channels, *size), x) if min(size) > 0 else None


def _linear_rule(m, x):
    if x.dim() < 1 or x.shape[-1] != m.in_features:
        return None
    return _empty((*x.shape[:-1], m.out_features), x)


def _pool_rule(m, x):
    if x.dim() != 4 or getattr(m, "return_indices", False):
        return None
    k, s, p = (_pair(v) for v in (m.kernel_size, m.stride or m.kernel_size, m.padding))
    dilation = _pair(getattr(m, "dilation", 1))
    if any(pi > ki // 2 for ki, pi in zip(k, p)):
        return None
    size = [sliding_output_size(*args, m.ceil_mode) for args in zip(x.shape[2:], k, s, p, dilation)]
    return _empty((*x.shape[:2], *size), x) if min(size) > 0 else None


def _adaptive_size(x, output_size, d=2):
    size = (output_size,) * d if isinstance(output_size, int) else tuple(output_size)
    if x.dim() != d + 2 or len(size) != d or min(x.shape[2:]) < 1 or any(
            o is not None and (not isinstance(o, int) or o < 1) for o in size):
        return None
    return _empty((*x.shape[:2], *(n if o is None else o for o, n in zip(size, x.shape[2:]))), x)


def _adaptive_rule(m, x):
    return None if getattr(m, "return_indices", False) else _adaptive_size(x, m.output_size)


def _same(m, x):
    return x


LAYER_RULES = {
    nn.Conv1d: _conv_rule, nn.Conv2d: _conv_rule, nn.Conv3d: _conv_rule,
    nn.Linear: _linear_rule,
    nn.MaxPool2d: _pool_rule, nn.AvgPool2d: _pool_rule,
    nn.AdaptiveAvgPool2d: _adaptive_rule, nn.AdaptiveMaxPool2d: _adaptive_rule,
}


def _meta(*tensors):
    """Meta tensors of one floating-point dtype, for which no rule needs to promote types."""
    return (all(isinstance(t, torch.Tensor) and t.is_meta and t.is_floating_point() for t in tensors)
            and len({t.dtype for t in tensors}) == 1)


def _broadcast(a, b=()):
    """The broadcast of two shapes, or None where they do not broadcast."""
    if len(a) < len(b):
        a, b = b, a
    b = (1,) * (len(a) - len(b)) + tuple(b)
    if any(m != n and m != 1 and n != 1 for m, n in zip(a, b)):
        return None
    return tuple(m if n == 1 else n for m, n in zip(a, b))


def _binary(func, types, args, kwargs):
    a, b = args[0], args[1] if len(args) > 1 else kwargs.get("other")
    tensors = [t for t in (a, b) if isinstance(t, torch.Tensor)]
    if not _meta(*tensors) or len(args) > 2 or set(kwargs) - {"other"}:
        return NotImplemented
    shape = _broadcast(*(t.shape for t in tensors))
    if shape is None:
        return NotImplemented
    name = func.__name__
    if name.startswith("__i") or not name.startswith("__") and name.endswith("_"):  # in place
        return a if shape == a.shape else NotImplemented
    return _empty(shape, tensors[0])


def _unary(func, types, args, kwargs):
    return args[0] if args and _meta(args[0]) else NotImplemented


def _mean(func, types, args, kwargs):
    x, dim = args[0], args[1] if len(args) > 1 else kwargs.get("dim")
    keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    if not _meta(x) or dim is None or kwargs.get("dtype") is not None or len(args) > 3:
        return NotImplemented
    listed = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = {d % x.dim() for d in listed if -x.dim() <= d < x.dim()}
    if not listed or len(dims) != len(listed):  # out of range, or repeated
        return NotImplemented
    shape = [1 if i in dims else n for i, n in enumerate(x.shape) if keepdim or i not in dims]
    return _empty(shape, x)


def _cat(func, types, args, kwargs):
    tensors, dim = args[0], args[1] if len(args) > 1 else kwargs.get("dim", 0)
    if not isinstance(dim, int) or not tensors or not _meta(*tensors):
        return NotImplemented
    first = tensors[0].shape
    if not -len(first) <= dim < len(first):
        return NotImplemented
    dim %= len(first)
    if any(len(t.shape) != len(first) or t.shape[:dim] != first[:dim]
           or t.shape[dim + 1:] != first[dim + 1:] for t in tensors):
        return NotImplemented
    return _empty((*first[:dim], sum(t.shape[dim] for t in tensors), *first[dim + 1:]), tensors[0])


def _adaptive_pool(func, types, args, kwargs):
    x = args[0]
    size = args[1] if len(args) > 1 else kwargs.get("output_size")
    if not _meta(x) or kwargs.get("return_indices") or len(args) > 2:
        return NotImplemented
    out = _adaptive_size(x, size)
    return NotImplemented if out is None else out


T, F = torch.Tensor, nn.functional
FUNCTION_RULES = {
    **{f: _binary for f in (T.__add__, T.__radd__, T.__iadd__, T.__sub__, T.__rsub__, T.__isub__,
                            T.__mul__, T.__rmul__, T.__imul__, T.__truediv__, T.__itruediv__,
                            torch.add, torch.sub, torch.mul, torch.div, T.add, T.add_, T.sub,
                            T.mul, T.mul_, T.div, T.div_)},
    **{f: _unary for f in (torch.sigmoid, T.sigmoid, T.sigmoid_, torch.tanh, T.tanh, torch.relu,
                           T.relu, T.relu_, F.relu, F.relu6, F.silu, F.gelu, F.hardswish,
                           F.hardsigmoid, F.dropout)},
    torch.mean: _mean, T.mean: _mean,
    torch.cat: _cat, torch.concat: _cat,
    F.adaptive_avg_pool2d: _adaptive_pool, F.adaptive_max_pool2d: _adaptive_pool,
}
del T, F


class _ShapeRules(torch.overrides.TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        rule = FUNCTION_RULES.get(func)
        if rule is not None and not (kwargs and "out" in kwargs):
            out = rule(func, types, args, kwargs or {})
            if out is not NotImplemented:
                return out
        return func(*args, **(kwargs or {}))


class _no_init:
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
def _gc_paused():
    """Building and tracing a model make thousands of small objects; a garbage collection in
    the middle of a count doubles its time now and then."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@functools.lru_cache(maxsize=64)
def _cached_build(name: str, frozen_kwargs: tuple) -> nn.Module:
    return _build(name, dict(frozen_kwargs))


def _build(name: str, kwargs: dict) -> nn.Module:
    from lib import models
    with torch.device("meta"), _no_init():
        return models.create(name, **kwargs)


def meta_model(name: str, **kwargs) -> nn.Module:
    """The registered model `name` built on the meta device, without weights. Built once per
    configuration: a slider that comes back to a value, or changes only the input resolution,
    recounts without rebuilding. Treat the result as read-only."""
    try:
        key = tuple(sorted(kwargs.items()))
        hash(key)
    except TypeError:
        return _build(name, kwargs)
    return _cached_build(name, key)


def trace(model: nn.Module, input_size, rules: bool = True) -> list[Layer]:
    """Run `model` on one meta input of `input_size` and return a `Layer` per leaf-layer call.

    Shape-preserving layers always return their input (batch norm could not run in training
    mode on one 1x1 image). With `rules` (the default) the layers and functions with a shape
    rule skip their meta kernels too; `rules=False` runs them, for the tests to compare.
    """
    layers: list[Layer] = []
    seen: set[int] = set()

    def record(module, name, output):
        first = id(module) not in seen
        seen.add(id(module))
        params = sum(p.numel() for p in module._parameters.values() if p is not None) if first else 0
        layers.append(Layer(name, type(module).__name__, tuple(output.shape[1:]), params,
                            _macs(module, output)))

    def counted(module, name, forward):
        rule = None
        if "forward" not in module.__dict__:
            rule = _same if isinstance(module, SHAPE_PRESERVING) else rules and LAYER_RULES.get(type(module))

        def call(*args, **kwargs):
            with torch._C.DisableTorchFunction():  # the rules' own .shape and .dim() need no rules
                out = rule(module, args[0]) if rule and len(args) == 1 and not kwargs else None
            if out is None:
                out = forward(*args, **kwargs)
            if isinstance(out, torch.Tensor):
                with torch._C.DisableTorchFunction():
                    record(module, name, out)
            return out
        return call

    patched, on_meta = [], True
    for name, module in model.named_modules():
        own = [t for t in (*module._parameters.values(), *module._buffers.values()) if t is not None]
        on_meta = on_meta and all(t.is_meta for t in own)
        if (all(m is None for m in module._modules.values())
                or any(p is not None for p in module._parameters.values())):
            patched.append((module, module.__dict__.get("forward")))
            module.__dict__["forward"] = counted(module, name or type(module).__name__, module.forward)
    x = torch.empty((1, *input_size), device="meta")
    try:
        with torch.no_grad(), (_ShapeRules() if rules else contextlib.nullcontext()):
            if on_meta:
                model(x)
            else:
                tensors = {k: torch.empty(v.shape, dtype=v.dtype, device="meta")
                           for k, v in [*model.named_parameters(), *model.named_buffers()]}
                functional_call(model, tensors, (x,), tie_weights=True, strict=False)
    except RuntimeError as e:
        raise ValueError(f"the model cannot take a {_shape(input_size)} input: {e}") from None
    finally:
        for module, forward in patched:
            if forward is None:
                del module.__dict__["forward"]
            else:
                module.__dict__["forward"] = forward
    return layers


@_gc_paused()
def count(model: nn.Module | str, input_size=None, batch_size: int = 1,
          dtype: torch.dtype = torch.float32, **model_kwargs) -> Cost:
    """Count the parameters, MACs and activation memory of `model` for one (C, H, W) input.

    `model` is a module (left untouched: counting runs on meta copies of its tensors) or the
    name of a registered model, built on the meta device from `model_kwargs`; its
    `input_size` then defaults to `lib.models.input_size(name, **model_kwargs)`.
    """
    if isinstance(model, str):
        from lib import models
        if input_size is None:
            input_size = models.input_size(model, **model_kwargs)
        model = meta_model(model, **model_kwargs)
    elif model_kwargs:
        raise TypeError(f"model keyword arguments {sorted(model_kwargs)} need a model name, not a module")
    if input_size is None:
        raise ValueError("input_size is required: pass (C, H, W)")
    input_size = tuple(int(v) for v in input_size)
    if len(input_size) < 1 or any(v < 1 for v in input_size):
        raise ValueError(f"input_size must be positive (C, H, W), got {input_size}")

    layers = trace(model, input_size)
    itemsize = torch.empty((), dtype=dtype).element_size()
    activations = sum(math.prod(l.output_shape) for l in layers) * batch_size * itemsize
    return Cost(params=sum(p.numel() for p in model.parameters()),
                macs=sum(l.macs for l in layers),
                activation_bytes=activations,
                input_size=input_size, batch_size=batch_size, dtype=dtype, layers=layers)
