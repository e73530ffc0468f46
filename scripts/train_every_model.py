"""Train every registered model with the command line's defaults and report which learn.

    python scripts/train_every_model.py                  # all models, the quick budget
    python scripts/train_every_model.py lenet nin --budget full

Each model runs as `python -m lib.train --model NAME` would with no other option (its course
form, its default optimizer and learning rate, 10 epochs capped by the budget) on the offline
digits. One line per model: final test accuracy, chance, time, and the diagnosis of a run
that went wrong. Exits with status 1 when any model did not learn.
"""
import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch starts its threads: see lib.train

from lib import models  # noqa: E402
from lib.train import cli  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="models to train (default: every registered model)")
    p.add_argument("--budget", default="quick", choices=["full", "quick", "smoke"])
    args = p.parse_args(argv)
    os.environ["COURSE_DATA"] = "offline"
    names = args.names or models.names()
    print(f"{len(names)} models, budget {args.budget}, load average "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}", flush=True)
    failures = []
    with tempfile.TemporaryDirectory() as out:
        for name in names:
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                cli.main(["--model", name, "--budget", args.budget, "--quiet", "--out", out])
            files = {p.name: p for p in Path(out).glob(f"{name}.*")}
            record = json.loads(files.get(f"{name}.json", files.get(f"{name}.failed.json")).read_text())
            for path in files.values():
                path.unlink()
            h = record["history"]
            learned = not h["diagnosis"]
            failures += [] if learned else [name]
            print(f"{name:<22} {record['optimizer']:>5} lr {record['lr']:<7g} batch {record['batch_size']:<4} test acc "
                  f"{h['test_acc'][-1]:.3f} "
                  f"(chance {h['chance']:.3f}) after {len(h['epoch'])} epochs, "
                  f"{time.perf_counter() - start:5.0f} s  {h['diagnosis'] or 'learns'}", flush=True)
    print(f"{len(names) - len(failures)} of {len(names)} learn" +
          (f"; not: {', '.join(failures)}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
