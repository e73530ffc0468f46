"""Freed memory kept for the next training step: `lib.train.allocator`."""
import json
import platform
import subprocess
import sys

import pytest

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# Page faults of filling a fresh 64 MiB tensor, sixteen times in a row: 16,384 pages of 4 KiB
# each time the memory went back to the kernel. Kept, the heap grows over the first few (small
# allocations in between can split a freed block) and then serves the tensor from its own pages.
FAULTS = """
import json, resource, sys, torch
from lib.train import allocator
kept = allocator.keep_freed_memory() if sys.argv[1] == "keep" else False
faults = []
for _ in range(16):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x = torch.ones(16 * 2 ** 20)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    del x
print(json.dumps({"kept": kept, "faults": faults[-8:]}))
"""


def faults(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", FAULTS, mode], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc only")
def test_kept_memory_is_reused_without_page_faults():
    default, kept = faults("default"), faults("keep")
    assert min(default["faults"]) > 8_000, default  # mapped afresh: a fault for nearly every page
    assert kept["kept"] and sum(kept["faults"]) < 1_000, kept


def test_fit_on_the_cpu_keeps_freed_memory():
    script = """
import torch, contextlib, io
from lib import data, models, train
from lib.train import allocator
d = data.load("mnist_5k", batch_size=64, device="cpu")
with contextlib.redirect_stdout(io.StringIO()):
    train.fit(models.create("lenet"), d, epochs=1, lr=0.1, budget="smoke", verbose=False)
print(allocator._kept)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == str(GLIBC)
