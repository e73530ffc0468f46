"""Activation memory: what a training step holds between its forward and its backward pass.

**Definition.** A model's activation memory is the bytes that the forward pass of a training
step (training mode, gradients on) allocates and still holds when it returns: the tensors
autograd saves for the backward pass (the input of every convolution, linear layer and batch
norm, the output of every ReLU, max-pooling's indices, dropout's masks, the inputs that
checkpointing keeps to recompute from) and the output. Each storage counts once, however many
tensors view it and however many operations keep it, so an in-place ReLU costs nothing beyond
the tensor it overwrites, and a concatenation or a sum counts as the new tensor it is. Not
counted: the input batch and the parameters, which exist before the step, and the per-channel
statistics batch norm keeps for one batch (a few kilobytes that do not grow with the batch).
It is per image: a batch of B images holds B times as much.

This is what PyTorch holds, not an estimate: `activations` runs the model on the meta device
(shapes only, no memory) and records every storage the operations below autograd create;
`training_step` measures a real step with PyTorch's profiler, and the tests check that the two
agree byte for byte. The backward pass needs more at its peak (the gradients of the parameters
and its own temporaries): `training_step` reports that peak too.

    >>> from lib import cost
    >>> cost.count("resnet18", batch_size=64).activation_bytes / 2**20   # MiB, float32
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import functional_call
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode

from lib.cost import _fast

#: Batch sizes of the two meta passes: their difference is exactly what grows with the batch.
_BATCHES = (2, 4)


@dataclass
class Activations:
    """Activation memory per image, in total and by the module that created each tensor
    (its qualified name; "" for the model's own forward)."""
    per_image: int
    by_module: dict[str, int] = field(default_factory=dict)
    dtype: torch.dtype = torch.float32


class _Allocations(TorchDispatchMode):
    """Records each storage that an operation creates, with the module whose forward runs."""

    def __init__(self, known: set[int], where: list[str], rules: bool):
        super().__init__()
        self.known, self.where, self.rules = known, where, rules
        self.created: dict[int, tuple[StorageWeakRef, int, str]] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        rule = _fast.ALLOCATION_RULES.get(func) if self.rules else None
        out = rule(*args, **kwargs) if rule else None
        if out is None:
            out = func(*args, **kwargs)
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor):
                storage = t.untyped_storage()
                key = storage._cdata
                if key not in self.known:
                    self.known.add(key)
                    self.created[key] = (StorageWeakRef(storage), storage.nbytes(),
                                         self.where[-1])
        return out


@contextlib.contextmanager
def _training_mode(model: nn.Module, where: list[str]):
    """`model` in training mode, each module's name pushed on `where` while its forward runs;
    modes and hooks restored afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    handles = []
    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_pre_hook(
                lambda m, args, name=name: where.append(name) and None))
            handles.append(module.register_forward_hook(
                lambda m, args, out: where.pop() and None, always_call=True))
    model.train()
    try:
        yield
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.train(mode)


def _held(model: nn.Module, input_size, batch: int, dtype: torch.dtype,
          rules: bool) -> dict[str, int]:
    """Bytes held at the end of a training-mode forward pass on `batch` meta images, by the
    module that created them."""
    def like(t, grad):
        floating = t.is_floating_point()
        return torch.empty(t.shape, dtype=dtype if floating else t.dtype, device="meta",
                           requires_grad=grad and floating)

    tensors = {**{k: like(v, True) for k, v in model.named_parameters()},
               **{k: like(v, False) for k, v in model.named_buffers()}}
    x = torch.empty((batch, *input_size), dtype=dtype, device="meta")
    known = {t.untyped_storage()._cdata for t in (x, *tensors.values())}
    where = [""]
    mode = _Allocations(known, where, rules)
    with _training_mode(model, where), torch.enable_grad(), mode:
        out = functional_call(model, tensors, (x,), tie_weights=True, strict=False)
    held: dict[str, int] = {}
    for ref, nbytes, name in mode.created.values():
        if not ref.expired():
            held[name] = held.get(name, 0) + nbytes
    del out
    return held


def activations(model: nn.Module, input_size, dtype: torch.dtype = torch.float32,
                rules: bool = True) -> Activations:
    """The activation memory of `model` per (C, H, W) image of `dtype` (see the module's
    docstring), measured on meta copies of its tensors: `model` is left as it was.

    Two meta passes, on 2 and 4 images: what grows between them is exactly the per-image
    part. `rules=False` runs PyTorch's own meta kernels everywhere (slower), for the tests.
    """
    small, large = (_held(model, input_size, b, dtype, rules) for b in _BATCHES)
    step = _BATCHES[1] - _BATCHES[0]
    by_module = {}
    for name in large:
        grown = large[name] - small.get(name, 0)
        if grown:
            by_module[name] = grown // step
    return Activations(sum(by_module.values()), by_module, dtype)


# --- Measured on a real device -------------------------------------------------------------

@dataclass
class StepMemory:
    """Memory of one training step as the device's allocator saw it, in bytes above what was
    allocated before the step: `forward` is what the forward pass still holds when it returns
    (what `activations` counts, for the whole batch, plus batch norm's per-batch statistics),
    `peak` the most held at any moment of the forward and backward passes (the gradients of
    the parameters included)."""
    forward: int
    peak: int
    batch_size: int


def _allocations(prof, device_type) -> list[int]:
    events = [e for e in prof.profiler.kineto_results.events()
              if e.name() == "[memory]" and e.device_type() == device_type]
    return [e.nbytes() for e in sorted(events, key=lambda e: e.start_ns())]


@contextlib.contextmanager
def _native_logging_silenced():
    """The profiler's native library logs its start and stop to file descriptor 2, which a
    notebook would show under the cell; Python's own sys.stderr is left alone."""
    saved, sink = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(sink)


def training_step(model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None = None,
                  loss=nn.functional.cross_entropy) -> StepMemory:
    """Run one training step of `model` (forward, loss, backward; no optimizer update) on
    `images` and return what the allocator held, from PyTorch's profiler. The model's
    gradients are set to None first, so that the step allocates them as the first step of a
    training run does; they are set to None again afterwards, and its mode is restored."""
    from torch.profiler import ProfilerActivity, profile

    device = images.device
    activity = ProfilerActivity.CUDA if device.type == "cuda" else ProfilerActivity.CPU
    kind = torch._C._autograd.DeviceType.CUDA if device.type == "cuda" else \
        torch._C._autograd.DeviceType.CPU
    if labels is None:
        labels = torch.zeros(len(images), dtype=torch.long, device=device)
    was_training = model.training
    model.train()
    model.zero_grad(set_to_none=True)
    with _native_logging_silenced():
        with profile(activities=[activity], profile_memory=True) as forward_pass:
            out = model(images)
        with profile(activities=[activity], profile_memory=True) as backward_pass:
            loss(out, labels).backward()
    held = sum(_allocations(forward_pass, kind))
    running = peak = 0
    for nbytes in _allocations(forward_pass, kind):
        running += nbytes
        peak = max(peak, running)
    for nbytes in _allocations(backward_pass, kind):
        running += nbytes
        peak = max(peak, running)
    del out
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return StepMemory(forward=held, peak=peak, batch_size=len(images))
