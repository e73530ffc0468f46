"""Counting a model: run it once on the meta device and record every leaf layer's output.

Counting runs the model on the meta device: shapes flow through, no memory is allocated and
no arithmetic is done, so VGG-16 at 224x224 costs as little to count as LeNet. The private
`lib.cost._fast` makes that run faster still, without changing what it records.
"""
from __future__ import annotations

import contextlib
import functools
import math
import numbers

import torch
from torch import nn
from torch.func import functional_call

from lib import models
from lib.checks import integer
from lib.cost import _fast, memory
from lib.cost.result import Cost, Layer, shape_text


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


def trace(model: nn.Module, input_size, rules: bool = True) -> list[Layer]:
    """Run `model` on one meta input of `input_size` and return a `Layer` per leaf-layer call.

    A layer's parameters are counted in the row of its first call, and a parameter shared by
    several layers (tied weights) in the row of the first that runs, so that the rows add up
    to the model's parameters. Shape-preserving layers always return their input (batch norm
    could not run in training mode on one 1x1 image). With `rules` (the default) the layers
    and functions with a shape rule skip their meta kernels too; `rules=False` runs them, for
    the tests to compare.
    """
    layers: list[Layer] = []
    seen: set[int] = set()

    def record(module, name, output):
        own = [p for p in module._parameters.values() if p is not None and id(p) not in seen]
        seen.update(id(p) for p in own)
        layers.append(Layer(name, type(module).__name__, tuple(output.shape[1:]),
                            sum(p.numel() for p in own), _macs(module, output)))

    def counted(module, name, forward):
        rule = None
        if "forward" not in module.__dict__:
            rule = (_fast.same if isinstance(module, _fast.SHAPE_PRESERVING)
                    else rules and _fast.LAYER_RULES.get(type(module)))

        def call(*args, **kwargs):
            with torch._C.DisableTorchFunction():  # the rules' own .shape and .dim() need none
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
        own = [t for t in (*module._parameters.values(), *module._buffers.values())
               if t is not None]
        on_meta = on_meta and all(t.is_meta for t in own)
        if (all(m is None for m in module._modules.values())
                or any(p is not None for p in module._parameters.values())):
            patched.append((module, module.__dict__.get("forward")))
            module.__dict__["forward"] = counted(module, name or type(module).__name__,
                                                 module.forward)
    x = torch.empty((1, *input_size), device="meta")
    try:
        with torch.no_grad(), (_fast.ShapeRules() if rules else contextlib.nullcontext()):
            if on_meta:
                model(x)
            else:
                tensors = {k: torch.empty(v.shape, dtype=v.dtype, device="meta")
                           for k, v in [*model.named_parameters(), *model.named_buffers()]}
                functional_call(model, tensors, (x,), tie_weights=True, strict=False)
    except RuntimeError as e:
        raise ValueError(f"the model cannot take a {shape_text(input_size)} input: {e}") from None
    finally:
        for module, forward in patched:
            if forward is None:
                del module.__dict__["forward"]
            else:
                module.__dict__["forward"] = forward
    return layers


def build_on_meta(builder, *args, **kwargs) -> nn.Module:
    """`builder(*args, **kwargs)` built on the meta device, without initialising its weights
    (meta tensors hold no values): a module to count, built in microseconds per layer."""
    with torch.device("meta"), _fast.no_init():
        return builder(*args, **kwargs)


@functools.lru_cache(maxsize=64)
def _cached_build(name: str, frozen_kwargs: tuple) -> nn.Module:
    return build_on_meta(models.create, name, **dict(frozen_kwargs))


def meta_model(name: str, **kwargs) -> nn.Module:
    """The registered model `name` built on the meta device, without weights. Built once per
    configuration: a slider that comes back to a value, or changes only the input resolution,
    recounts without rebuilding. Treat the result as read-only."""
    try:
        key = tuple(sorted(kwargs.items()))
        hash(key)
    except TypeError:
        return build_on_meta(models.create, name, **kwargs)
    return _cached_build(name, key)


meta_model.cache_clear = _cached_build.cache_clear


@_fast.gc_paused()
def model_and_input(model: nn.Module | str, input_size, model_kwargs: dict):
    """The module to count and its checked (C, H, W): `model` itself, or the registered model of
    that name built on the meta device from `model_kwargs` (its input size by default)."""
    if isinstance(model, str):
        if input_size is None:
            input_size = models.input_size(model, **model_kwargs)
        model = meta_model(model, **model_kwargs)
    elif not isinstance(model, nn.Module):
        raise ValueError(f"model={model!r} must be an nn.Module or the name of a registered "
                         f"model (lib.models.names())")
    elif model_kwargs:
        raise ValueError(f"model keyword arguments {sorted(model_kwargs)} need a model name, "
                         f"not a module: build the module with them instead")
    return model, _check_input_size(model, input_size)


def count(model: nn.Module | str, input_size=None, batch_size: int = 1,
          dtype: torch.dtype = torch.float32, **model_kwargs) -> Cost:
    """Count the parameters, MACs and activation memory of `model` for one (C, H, W) input.

    Parameters and MACs are counted at once; the activation memory (`lib.cost.memory`) when
    `activation_bytes` or `activations` is first read, because it takes a training-mode pass
    with autograd (tens to hundreds of milliseconds).

    `model` is a module (left untouched: counting runs on meta copies of its tensors) or the
    name of a registered model, built on the meta device from `model_kwargs`; its
    `input_size` then defaults to `lib.models.input_size(name, **model_kwargs)`.
    """
    model, input_size = model_and_input(model, input_size, model_kwargs)
    batch_size = integer("batch_size", batch_size)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"dtype={dtype!r} must be a torch.dtype, such as torch.float16")

    layers = trace(model, input_size)
    return Cost(params=sum(p.numel() for p in model.parameters()),
                macs=sum(l.macs for l in layers),
                input_size=input_size, batch_size=batch_size, dtype=dtype, layers=layers,
                measure_activations=functools.partial(memory.activations, model, input_size,
                                                      dtype))


#: What one input of a model of 1-D, 2-D or 3-D convolutions is, and an example.
_INPUT_SHAPES = {1: ("(C, L)", "(3, 224)"), 2: ("(C, H, W)", "(3, 224, 224)"),
                 3: ("(C, D, H, W)", "(3, 16, 112, 112)")}


def _check_input_size(model: nn.Module, input_size) -> tuple[int, ...]:
    """The size of one input as a tuple of positive ints: (C, H, W) for a model whose first
    convolution is 2-D, (C, L) for 1-D, (C, D, H, W) for 3-D, any length for a model without."""
    d = next((len(m.kernel_size) for m in model.modules()
              if isinstance(m, nn.modules.conv._ConvNd)), None)
    wanted, example = _INPUT_SHAPES.get(d, ("the shape", "(3, 224, 224)"))
    hint = f"pass {wanted} of one input, without the batch dimension, e.g. {example}"
    if input_size is None:
        raise ValueError(f"input_size is required: {hint}")
    try:
        size = tuple(input_size)
    except TypeError:
        raise ValueError(f"input_size={input_size!r} is not a shape: {hint}") from None
    if isinstance(input_size, str) or not size or any(
            isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in size):
        raise ValueError(f"input_size={input_size!r} must be positive integers: {hint}")
    if d is not None and len(size) != d + 1:
        raise ValueError(f"input_size={input_size!r} has {len(size)} entries, but a model of "
                         f"{d}-D convolutions takes {wanted}: {hint}")
    return tuple(int(v) for v in size)
