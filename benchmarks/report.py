"""What every training benchmark prints around its figures: the command, the load average, and
a copy of everything printed in its result file under benchmarks/results/."""
from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def load() -> str:
    """The load average: timings on a shared machine are only as good as its load."""
    return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())


class Tee(io.TextIOBase):
    """Writes to several streams at once."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for s in self.streams:
            s.write(text)
            s.flush()
        return len(text)


@contextlib.contextmanager
def recorded(out: str | Path, script: str):
    """Prints the command line and the time, then copies everything printed to `out` (unless
    it is "-"), and says where it went."""
    with contextlib.ExitStack() as stack:
        if str(out) != "-":
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(contextlib.redirect_stdout(
                Tee(sys.stdout, stack.enter_context(open(out, "w")))))
        print(f"$ python benchmarks/{script} {' '.join(sys.argv[1:])}".rstrip())
        print(f"{time.strftime('%Y-%m-%d %H:%M')}; {load()}")
        yield
    if str(out) != "-":
        print(f"wrote {out}")
