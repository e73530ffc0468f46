"""Freed memory kept for the next training step instead of handed back to the kernel.

A training step allocates the same large buffers every time: activations, their gradients.
glibc's malloc serves a request above its mmap threshold (32 MiB at most) with fresh pages
from the kernel and unmaps them when the tensor is freed, so every step faults each 4 KiB
page in again and the kernel zeroes it. ResNet-18 at 96x96 in the course widths, batch 128 in
bfloat16, spent 108 ms of kernel CPU time a step that way, in 42,000 page faults; with the
buffers kept, no faults and 14 ms, and the step ran 1.08x faster (VGG-11's course form 1.14x;
`python benchmarks/allocator.py`). `keep_freed_memory` makes malloc serve every size from its
heap and never trim it. The price: the process keeps the largest heap it has used until it
exits.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import platform

# mallopt parameters, from glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4

_kept = False


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse; True where that took effect (Linux
    with glibc), False elsewhere (macOS, Windows, musl), where nothing changes. Idempotent."""
    global _kept
    if _kept:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    no_trimming = ctypes.c_int(2 ** 31 - 1)  # bytes free at the heap's top before malloc trims
    _kept = bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, no_trimming))
    return _kept
