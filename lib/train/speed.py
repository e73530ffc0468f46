"""Speed of the machine and of training steps: what the benchmarks compare."""
from __future__ import annotations

import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from lib.train import precision as arithmetic
from lib.train.loop import logits, prepare, training_device


def _seconds(step, device: torch.device, steps: int, warmup: int) -> list[float]:
    """Wall-clock seconds of each of `steps` calls of `step`, after `warmup` untimed ones."""
    times = []
    for i in range(warmup + steps):
        arithmetic.synchronize(device)
        start = time.perf_counter()
        step()
        arithmetic.synchronize(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def matmul_flops(precision: str = "float32", n: int = 2048, steps: int = 20, device=None) -> float:
    """FLOP/s of an n x n matrix product in `precision` (float32, bfloat16 or float16) on
    `device`: the peak that training steps are measured against. 2 n^3 FLOPs a product; the
    fastest of `steps` timed products (a peak: other processes can slow a product down, never
    speed it up)."""
    device = training_device(device)
    dtype = arithmetic.DTYPES[precision] or torch.float32
    a, b = (torch.randn(n, n, device=device).to(dtype) for _ in range(2))
    return 2 * n ** 3 / min(_seconds(lambda: a @ b, device, steps, warmup=5))


def images_per_second(model: nn.Module, input_size, batch_size: int = 64, steps: int = 10,
                      warmup: int = 3, train: bool = True, device=None, precision=None) -> float:
    """Images per second of training steps (forward, backward, SGD update) or, with
    train=False, of inference, on random inputs of shape (batch_size, *input_size), in the
    precision and memory layout `fit` uses (see `lib.train.fit`). The median of `steps`
    timed steps, after `warmup` untimed ones."""
    first = next(model.parameters(), None)
    device = torch.device(device) if device is not None else (
        first.device if first is not None else training_device())
    chosen = arithmetic.resolve(device, precision)
    model = prepare(model, device)
    x = torch.randn(batch_size, *input_size, device=device)
    if arithmetic.channels_last(device) and len(input_size) == 3:
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    model.train(train)

    def step():
        if train:
            with arithmetic.autocast(device, chosen):
                out = logits(model(x))
            y = torch.randint(out.shape[1], (batch_size,), device=device)
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(out.float(), y).backward()
            optimizer.step()
        else:
            with torch.no_grad(), arithmetic.autocast(device, chosen):
                model(x)

    return batch_size / statistics.median(_seconds(step, device, steps, warmup))


def cpu_name() -> str:
    """The processor's model name, as /proc/cpuinfo gives it where there is one."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine(device=None) -> str:
    """One line that says where a measured time comes from: the device (the CPU's model and
    threads, or the GPU's name), torch's version and the load average."""
    device = training_device(device)
    if device.type == "cuda":
        where = torch.cuda.get_device_name(device)
    else:
        threads = torch.get_num_threads()
        where = f"{cpu_name()}, {threads} thread{'' if threads == 1 else 's'}"
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return f"{where}; torch {torch.__version__}; load average {load}"
