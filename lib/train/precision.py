"""The arithmetic a training run uses, chosen for the device it runs on.

- CUDA: bfloat16 autocast where the GPU has it (Ampere and later), else float16 autocast with
  a gradient scaler.
- CPU: bfloat16 autocast where the CPU computes bfloat16 natively (AMX tiles or the AVX512-BF16
  instructions, as PyTorch reports them): a bfloat16 matrix product runs 2-3 times faster
  there than a float32 one. float32 on other CPUs, where bfloat16 would be emulated and slower.
- MPS (Apple silicon): float32.

Autocast keeps the weights, gradients and optimizer in float32 and runs convolutions and
matrix products in 16 bits; losses and normalisations stay in float32. `fit(precision=...)`,
`--precision` on the command line, or the environment variable COURSE_PRECISION overrides the
choice: "auto" (the default), "float32", "bfloat16" or "float16" (CUDA only).
"""
from __future__ import annotations

import contextlib
import os

import torch

PRECISIONS = ("auto", "float32", "bfloat16", "float16")

DTYPES = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}


def cpu_has_bfloat16() -> bool:
    """True when this CPU computes bfloat16 in hardware (AMX or AVX512-BF16)."""
    cpu = torch.cpu
    return any(getattr(cpu, probe, lambda: False)()
               for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"))


def automatic(device: torch.device) -> str:
    """The precision "auto" stands for on `device`."""
    if device.type == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if device.type == "cpu" and cpu_has_bfloat16():
        return "bfloat16"
    return "float32"


def resolve(device: torch.device, precision=None) -> str:
    """The precision a run on `device` uses: `precision` if given, else COURSE_PRECISION's,
    else "auto"; "auto" becomes the device's own choice. Also accepts a torch dtype."""
    source = "precision"
    if precision is None:
        precision, source = os.environ.get("COURSE_PRECISION") or "auto", "COURSE_PRECISION"
    if isinstance(precision, torch.dtype):
        precision = {torch.float32: "float32", torch.bfloat16: "bfloat16",
                     torch.float16: "float16"}.get(precision, str(precision))
    if precision not in PRECISIONS:
        raise ValueError(f"{source}={precision!r}; valid: {', '.join(PRECISIONS)}")
    if precision == "auto":
        return automatic(device)
    if precision == "float16" and device.type != "cuda":
        raise ValueError(f"{source}='float16' runs on CUDA only (with a gradient scaler); "
                         f"valid on {device.type}: auto, float32, bfloat16")
    return precision


def describe(precision: str) -> str:
    """How a training line names the precision: 'float32' or 'bfloat16 mixed precision'."""
    return precision if precision == "float32" else f"{precision} mixed precision"


def autocast(device: torch.device, precision: str):
    """The context a forward pass runs in."""
    dtype = DTYPES[precision]
    return contextlib.nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


def channels_last(device: torch.device) -> bool:
    """Images and convolution weights kept NHWC, the layout cuDNN's tensor-core kernels and
    oneDNN's CPU kernels run fastest (1.2-2x faster training steps for most course models)."""
    return device.type in ("cuda", "cpu")


def accumulator_dtype(device: torch.device) -> torch.dtype:
    """Running sums on the device: float64 where it has it; MPS has no float64."""
    return torch.float32 if device.type == "mps" else torch.float64


def synchronize(device: torch.device) -> None:
    """Waits for the device's queued work, so that wall-clock times measure it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
