"""What the claims are computed from: the registered models (`lib.models.create`), their counts
(`lib.cost.count`) and a few structural measurements on PyTorch's meta device (no memory, no
arithmetic): the longest path of layers between two modules, concatenations, residual
additions, the shapes a module reads and writes.

A claim names a part of a network as the paper does, by the module's own name ("inception3a",
"Mixed_6b"); `find` locates it wherever the model nests it, so only the names of the papers'
rows are tied to the models' code."""
from __future__ import annotations

import contextlib
import functools
import math

import torch
from torch import nn

from lib import cost, models


def _frozen(kwargs):
    return tuple(sorted(kwargs.items()))


@functools.lru_cache(maxsize=None)
def _count(name, frozen):
    return cost.count(name, **dict(frozen))


def count(name: str, **kwargs) -> cost.Cost:
    """`lib.cost.count(name, **kwargs)`, once per configuration."""
    return _count(name, _frozen(kwargs))


@contextlib.contextmanager
def _without_init():
    """nn.init's functions as no-ops: meta tensors hold no values, and initialising them is the
    one step of building a model that needs PyTorch's meta kernels (seconds to load, once)."""
    saved = {n: f for n, f in vars(nn.init).items()
             if n.endswith("_") and not n.startswith("_") and callable(f)}
    for n in saved:
        setattr(nn.init, n, lambda tensor, *args, **kwargs: tensor)
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(nn.init, n, f)


@functools.lru_cache(maxsize=None)
def _model(name, frozen):
    with torch.device("meta"), _without_init():
        return models.create(name, **dict(frozen)).eval()


def model(name: str, **kwargs) -> nn.Module:
    """The registered model on the meta device, in eval mode, built once per configuration.
    Treat it as read-only."""
    return _model(name, _frozen(kwargs))


def _under(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


WEIGHTED = (nn.modules.conv._ConvNd, nn.Linear)


def _roots(name, parts, kwargs):
    return [find(name, part, **kwargs) for part in parts]


def weights(name: str, parts, **kwargs) -> int:
    """Weights of the convolutions and linear layers inside the modules named `parts`, without
    biases (and without batch normalisation's scales and shifts): what the papers' tables
    count. A layer's MACs are its weights times its output positions, so the count says it."""
    roots = _roots(name, parts, kwargs)
    return sum(l.macs // math.prod(l.output_shape[1:]) for l in count(name, **kwargs).layers
               if l.macs and _under(l.name, roots))


def macs(name: str, parts, **kwargs) -> int:
    """Multiply-accumulates of the layers inside the modules named `parts`, per image."""
    roots = _roots(name, parts, kwargs)
    return sum(l.macs for l in count(name, **kwargs).layers if _under(l.name, roots))


def layers(name: str, kind: str, **kwargs) -> list:
    """The counted layers of one type ("Conv2d", "Linear", "MaxPool2d"), in the order they ran."""
    return [l for l in count(name, **kwargs).layers if l.type == kind]


def hwc(shape) -> str:
    """A (C, H, W) shape as the papers' tables write it, H×W×C; a vector of C as 1×1×C."""
    if len(shape) == 1:
        shape = (shape[0], 1, 1)
    c, h, w = shape
    return f"{h}×{w}×{c}"


def modules(name: str, kind, **kwargs) -> list[tuple[str, nn.Module]]:
    """The (qualified name, module) pairs of one type, in order."""
    return [(n, m) for n, m in model(name, **kwargs).named_modules() if isinstance(m, kind)]


# --- Structure measured on the autograd graph -------------------------------------------------

_LAYERS = ("ConvolutionBackward", "AddmmBackward", "MmBackward")


@functools.lru_cache(maxsize=None)
def _trace(name, frozen):
    """One forward pass of the model on a meta input that requires grad: the input node, the
    output, and every module's input and output tensors (their autograd nodes say how they were
    computed)."""
    kwargs = dict(frozen)
    net = model(name, **kwargs)
    seen, handles = {}, []
    for qualified, module in net.named_modules():
        def before(m, args, qualified=qualified):
            if args and isinstance(args[0], torch.Tensor):
                seen.setdefault(qualified, [args[0], None])

        def after(m, args, out, qualified=qualified):
            if qualified in seen and isinstance(out, torch.Tensor):
                seen[qualified][1] = out
        handles += [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
    x = torch.empty((1, *models.input_size(name, **kwargs)), device="meta", requires_grad=True)
    source = x.view_as(x)  # a node in the graph, from which paths can be measured
    try:
        out = net(source)
    finally:
        for h in handles:
            h.remove()
    return source, out, {n: tuple(io) for n, io in seen.items()}


def module_io(name: str, first: str, last: str, **kwargs):
    """The input of the module named `first` and the output of the one named `last`."""
    _, _, records = _trace(name, _frozen(kwargs))
    return records[find(name, first, **kwargs)][0], records[find(name, last, **kwargs)][1]


def post_order(output: torch.Tensor) -> list:
    """The autograd nodes behind `output`, every node after all the nodes it depends on."""
    order, seen, stack = [], set(), [(output.grad_fn, False)]
    while stack:
        fn, done = stack.pop()
        if fn is None:
            continue
        if done:
            order.append(fn)
            continue
        if fn in seen:
            continue
        seen.add(fn)
        stack.append((fn, True))
        stack.extend((child, False) for child, _ in fn.next_functions if child not in seen)
    return order


def longest_path(output: torch.Tensor, source: torch.Tensor, counts) -> int:
    """The largest number of autograd nodes satisfying `counts` on a path from `source` to
    `output` (0 when `output` is `source`)."""
    best = {source.grad_fn: 0}
    for fn in post_order(output):
        if fn is source.grad_fn:
            continue
        below = [best[c] for c, _ in fn.next_functions if best.get(c) is not None]
        best[fn] = max(below) + (1 if counts(fn) else 0) if below else None
    found = best.get(output.grad_fn)
    if found is None:
        raise ValueError("the output does not depend on the source")
    return found


def is_layer(fn, separable_as_one=False):
    kind = type(fn).__name__
    if not kind.startswith(_LAYERS):
        return False
    if separable_as_one and kind.startswith("ConvolutionBackward"):
        weight = fn._saved_weight
        return not (fn._saved_groups > 1 and weight.shape[1] == 1)  # a depthwise convolution
    return True


def depth(name: str, first: str, last: str, separable_as_one=False, **kwargs) -> int:
    """Layers with weights (convolutions, linear layers) on the longest path from the input of
    the module named `first` to the output of the one named `last`: the "depth" column of the
    Inception tables. With `separable_as_one`, a depthwise convolution and the pointwise one
    after it count as one layer."""
    source, output = module_io(name, first, last, **kwargs)
    return longest_path(output, source, functools.partial(is_layer, separable_as_one=separable_as_one))


def network_depth(name: str, **kwargs) -> int:
    """Layers with weights on the longest path through the whole network (eval mode: without
    auxiliary classifiers). GoogLeNet's "22 layers"."""
    source, out, _ = _trace(name, _frozen(kwargs))
    return longest_path(out, source, is_layer)


def nodes(name: str, kind: str, **kwargs) -> int:
    """Autograd nodes of one kind ("CatBackward": concatenations) in a forward pass."""
    _, out, _ = _trace(name, _frozen(kwargs))
    return sum(type(fn).__name__.startswith(kind) for fn in post_order(out))


def residual_additions(name: str, **kwargs) -> int:
    """Additions of two activations that both depend on the input: residual connections."""
    source, out, _ = _trace(name, _frozen(kwargs))
    reaches, found = {source.grad_fn: True}, 0
    for fn in post_order(out):
        children = [c for c, _ in fn.next_functions if c is not None]
        reaches[fn] = fn is source.grad_fn or any(reaches.get(c, False) for c in children)
        if (type(fn).__name__.startswith("AddBackward") and len(children) == 2
                and all(reaches.get(c, False) for c in children)):
            found += 1
    return found


@functools.lru_cache(maxsize=None)
def _module_names(name, frozen):
    """Every module's qualified name, read from the counted leaf layers (no model is built)."""
    names = {""}
    for layer in _count(name, frozen).layers:
        parts = layer.name.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(names)


def find(name: str, part: str, **kwargs) -> str:
    """The qualified name of the module of `name` called `part` ("inception3a" is
    "features.inception3a"; "AuxLogits.fc" a dotted tail): claims name modules as the papers do,
    wherever the model nests them. Of several matches the outermost is meant."""
    found = [n for n in _module_names(name, _frozen(kwargs)) if n == part or n.endswith("." + part)]
    if found:
        top = min(n.count(".") for n in found)
        found = [n for n in found if n.count(".") == top]
    if len(found) != 1:
        raise KeyError(f"{name} has {len(found)} outermost modules named {part!r}: {found}")
    return found[0]


def shapes(name: str, parts, **kwargs) -> dict[str, tuple[tuple, tuple]]:
    """{name: (input shape, output shape)} per image of the modules named in `parts`."""
    _, _, records = _trace(name, _frozen(kwargs))
    got = {}
    for part in parts:
        x, y = records[find(name, part, **kwargs)]
        got[part] = (tuple(x.shape[1:]), tuple(y.shape[1:]))
    return got


def kernels(name: str, parts=None, **kwargs) -> set[tuple[int, int]]:
    """Kernel sizes of the convolutions inside the modules named in `parts` (all by default)."""
    net = model(name, **kwargs)
    roots = [find(name, part, **kwargs) for part in parts] if parts else [""]
    return {m.kernel_size for n, m in net.named_modules() if isinstance(m, nn.Conv2d)
            and any(r == "" or _under(n, [r]) for r in roots)}
