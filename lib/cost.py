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


# Layers whose output has the shape of their input. While counting they return their input
# unchanged: their meta kernels are Python decompositions (batch norm's costs milliseconds).
SHAPE_PRESERVING = (
    nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm,
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.Softmax, nn.LogSoftmax,
    nn.Dropout, nn.Dropout2d, nn.AlphaDropout, nn.Identity,
)


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


def _passthrough(x, *args, **kwargs):
    return x


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
        with torch.device("meta"), _no_init():
            model = models.create(model, **model_kwargs)
    elif model_kwargs:
        raise TypeError(f"model keyword arguments {sorted(model_kwargs)} need a model name, not a module")
    if input_size is None:
        raise ValueError("input_size is required: pass (C, H, W)")
    input_size = tuple(int(v) for v in input_size)
    if len(input_size) < 1 or any(v < 1 for v in input_size):
        raise ValueError(f"input_size must be positive (C, H, W), got {input_size}")

    layers: list[Layer] = []
    seen: set[int] = set()
    names = {}

    def hook(module, args, output):
        if not isinstance(output, torch.Tensor):
            return
        first = id(module) not in seen
        seen.add(id(module))
        params = sum(p.numel() for p in module.parameters(recurse=False)) if first else 0
        layers.append(Layer(names[module], type(module).__name__, tuple(output.shape[1:]),
                            params, _macs(module, output)))

    handles, patched = [], []
    for name, module in model.named_modules():
        if next(module.children(), None) is None or next(module.parameters(recurse=False), None) is not None:
            names[module] = name or type(module).__name__
            handles.append(module.register_forward_hook(hook))
            if isinstance(module, SHAPE_PRESERVING) and "forward" not in module.__dict__:
                module.forward = _passthrough
                patched.append(module)
    tensors = {k: torch.empty_like(v, device="meta") for k, v in
               [*model.named_parameters(), *model.named_buffers()]}
    x = torch.empty((1, *input_size), device="meta")
    try:
        with torch.no_grad():
            functional_call(model, tensors, (x,), tie_weights=True, strict=False)
    except RuntimeError as e:
        raise ValueError(f"the model cannot take a {_shape(input_size)} input: {e}") from None
    finally:
        for h in handles:
            h.remove()
        for module in patched:
            del module.forward

    itemsize = torch.empty((), dtype=dtype).element_size()
    activations = sum(math.prod(l.output_shape) for l in layers) * batch_size * itemsize
    return Cost(params=sum(p.numel() for p in model.parameters()),
                macs=sum(l.macs for l in layers),
                activation_bytes=activations,
                input_size=input_size, batch_size=batch_size, dtype=dtype, layers=layers)
