"""Memory traffic: the elements every operation of a model reads and writes, per image.

MACs count arithmetic. An operation also reads its inputs (and weights) from memory and writes
its output, and operations without a single MAC, a ReLU, an addition, a concatenation, the copy
inside a channel shuffle, move data all the same. ShuffleNet v2 (Ma et al., 2018) calls this the
memory access cost: a 1x1 convolution from c1 to c2 channels on an h x w map reads h w c1 inputs
and c1 c2 weights and writes h w c2 outputs.

    >>> traffic = memory_traffic("shufflenet_v1")
    >>> traffic.total, traffic.by_operation()["convolution"]

`record_operations` runs a model once and records every ATen operation it dispatches, with the
elements of its tensor inputs and outputs (and, on a real device, its wall time);
`memory_traffic` does so on the meta device (no memory, no arithmetic) in inference mode. Views
(reshape, transpose, split) move nothing and are left out; an in-place operation reads and
writes its tensor (counted twice), a copy reads its source and writes its destination.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from lib.cost.counter import model_and_input


@dataclass(frozen=True)
class Record:
    """One operation as it ran: its ATen name without underscores at either end
    ("convolution", "cat", "relu"), the elements it read and wrote, the shapes of its tensor
    inputs (a convolution's weight among them) and outputs and, when timed, its wall time in
    seconds."""
    operation: str
    elements: int
    shapes: tuple[tuple[int, ...], ...]
    output_shapes: tuple[tuple[int, ...], ...]
    seconds: float = 0.0


@dataclass
class Traffic:
    """The operations of one forward pass, in the order they ran."""
    records: list[Record] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Elements read and written, all operations together."""
        return sum(r.elements for r in self.records)

    def by_operation(self) -> Counter:
        """Elements read and written, summed by ATen operation."""
        out = Counter()
        for r in self.records:
            out[r.operation] += r.elements
        return out

    def __repr__(self):
        top = ", ".join(f"{op} {n:,}" for op, n in self.by_operation().most_common(3))
        return f"Traffic({len(self.records)} operations, {self.total:,} elements: {top}, ...)"


class _Recorder(TorchDispatchMode):
    def __init__(self, timed: bool):
        super().__init__()
        self.records, self.timed = [], timed

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        inputs = [t for t in tree_leaves((args[1:] if name == "copy_" else args, kwargs))
                  if isinstance(t, torch.Tensor)]
        cuda = self.timed and any(t.is_cuda for t in inputs)
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = func(*args, **kwargs)
        if cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start if self.timed else 0.0
        if not (func.is_view or name.startswith("empty")):
            outputs = [t for t in tree_leaves(out) if isinstance(t, torch.Tensor)]
            self.records.append(Record(name.strip("_"), sum(t.numel() for t in inputs + outputs),
                                       tuple(tuple(t.shape) for t in inputs),
                                       tuple(tuple(t.shape) for t in outputs), seconds))
        return out


def record_operations(model: nn.Module, x: torch.Tensor, timed: bool = False) -> Traffic:
    """Run `model(x)` without gradients and record every operation. With `timed`, each gets
    its wall time (on a GPU, synchronised before and after it, which serialises the run)."""
    with torch.no_grad(), _Recorder(timed) as recorder:
        model(x)
    return Traffic(recorder.records)


def memory_traffic(model: nn.Module | str, input_size=None, **model_kwargs) -> Traffic:
    """The elements every operation of `model` reads and writes for one (C, H, W) input, in
    inference mode, counted on the meta device. `model` is a module or the name of a registered
    model (built on the meta device from `model_kwargs`; `input_size` then defaults to the
    model's)."""
    model, input_size = model_and_input(model, input_size, model_kwargs)
    if not all(t.is_meta for t in model.state_dict().values()):
        import copy
        model = copy.deepcopy(model).to("meta")
    was_training = model.training
    model.eval()
    try:
        return record_operations(model, torch.empty(1, *input_size, device="meta"))
    finally:
        model.train(was_training)
