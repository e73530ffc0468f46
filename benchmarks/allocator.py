"""What returning freed memory to the kernel costs a CPU training step, and what keeping it saves.

    python benchmarks/allocator.py        # writes benchmarks/results/allocator_cpu.txt
    python benchmarks/allocator.py --models resnet18 --runs 1 --out -

For each course model, training steps (Adam, batch 128, bfloat16 mixed precision where the CPU
has it, channels-last: what `lib.train.fit` runs) are timed in a fresh process, once with
glibc's malloc as it comes (the baseline) and once after `lib.train.allocator.keep_freed_memory`,
alternating, `--runs` times each. Printed per model: the median step time, the minor page faults
and the kernel (system) CPU time a step, and the speed-up over the baseline.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch's OpenMP starts

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from course_step import MODELS, label  # noqa: E402
from report import RESULTS, load, recorded  # noqa: E402

SETTINGS = ("glibc default", "kept")


def steps(name: str, keep: bool, batch_size: int, count: int) -> dict:
    """Runs in the child process: seconds, minor faults and system seconds a training step."""
    from course_step import course_step
    from lib.train import allocator

    if keep and not allocator.keep_freed_memory():
        return {"error": "malloc here is not glibc's"}
    step, _, _, chosen = course_step(name, batch_size)
    for _ in range(3):
        step()
    seconds = []
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(count):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": statistics.median(seconds), "precision": chosen,
            "faults": (after.ru_minflt - before.ru_minflt) / count,
            "system": (after.ru_stime - before.ru_stime) / count}


def child(name: str, keep: bool, batch_size: int, count: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", name, str(int(keep)), str(batch_size),
                          str(count)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--runs", type=int, default=3, help="processes per model and setting")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per process")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", default=str(RESULTS / "allocator_cpu.txt"))
    args = parser.parse_args(argv)
    with recorded(args.out, "allocator.py"):
        print(f"batch {args.batch_size}, {args.steps} timed steps a process, {args.runs} processes per "
              f"model and setting, alternating; figures are medians over the processes")
        for name in args.models:
            runs = {s: [] for s in SETTINGS}
            for _ in range(args.runs):
                for setting in SETTINGS:
                    runs[setting].append(child(name, setting == "kept", args.batch_size, args.steps))
            if "error" in runs["kept"][0]:
                print(f"{name}: {runs['kept'][0]['error']}; nothing to compare")
                continue
            print(f"{label(name)} ({runs['kept'][0]['precision']}):")
            for setting in SETTINGS:
                r = runs[setting]
                print(f"  {setting:<14} {1e3 * statistics.median(x['seconds'] for x in r):7.1f} ms a step, "
                      f"{statistics.median(x['faults'] for x in r):8,.0f} page faults, "
                      f"{1e3 * statistics.median(x['system'] for x in r):6.1f} ms kernel CPU time")
            base, kept = (statistics.median(x["seconds"] for x in runs[s]) for s in SETTINGS)
            print(f"  kept / glibc default: {base / kept:.2f}x faster; {load()}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        name, keep, batch_size, count = sys.argv[2:6]
        print(json.dumps(steps(name, keep == "1", int(batch_size), int(count))))
    else:
        main()
