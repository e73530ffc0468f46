"""Callbacks: what watches a training run. The loop calls them; they print, draw and judge.

Each hook receives the `Trainer`, whose attributes are the loop's state: `model`, `data`,
`plan` (epochs and batches under the budget), `optimizer`, `history`, `epoch` (1-based),
`batch` (0-based index in the epoch), `loss` (the last minibatch's loss, a tensor), `rank`.
Setting `trainer.stop = True` ends training after the current epoch.
"""
from __future__ import annotations

import math
import sys
import time

from lib.train.budget import wrap
from lib.train.precision import describe


class Callback:
    def on_fit_start(self, trainer): ...
    def on_epoch_start(self, trainer): ...
    def on_batch_end(self, trainer): ...
    def on_epoch_end(self, trainer): ...
    def on_fit_end(self, trainer): ...


class ProgressBar(Callback):
    """A tqdm bar over all minibatches of the run, with the recent loss."""

    def on_fit_start(self, trainer):
        from tqdm.auto import tqdm
        self.bar = tqdm(total=trainer.plan.epochs * trainer.plan.train_batches, leave=False,
                        unit="batch")
        self.last = 0.0

    def on_epoch_start(self, trainer):
        self.bar.set_description(f"epoch {trainer.epoch}/{trainer.plan.epochs}")

    def on_batch_end(self, trainer):
        self.bar.update(1)
        now = time.perf_counter()
        if now - self.last > 0.5:  # reading the loss waits for the GPU: not at every step
            self.bar.set_postfix(loss=f"{trainer.loss.item():.3f}")
            self.last = now

    def on_fit_end(self, trainer):
        self.bar.close()


class PrintEpochs(Callback):
    """One text line per epoch, with its speed (for terminals: a page shows `PrintSummary`)."""

    def on_epoch_end(self, trainer):
        h = trainer.history
        print(f"epoch {h.epoch[-1]}/{h.epochs}: loss {h.train_loss[-1]:.3f}, train acc "
              f"{h.train_acc[-1]:.3f}, test acc {h.test_acc[-1]:.3f}; {h.images_per_s[-1]:,.0f} "
              f"images/s, {h.seconds[-1]:.1f} s ({describe(h.precision)})", flush=True)


class PrintSummary(Callback):
    """One line at the end: the last epoch's loss and accuracies, the device and precision."""

    def on_fit_end(self, trainer):
        print(wrap(trainer.history.summary()), flush=True)


class LivePlot(Callback):
    """Training curves in a notebook, redrawn in place at the end of every epoch."""

    def on_fit_start(self, trainer):
        import matplotlib.pyplot as plt
        self.fig, self.ax = plt.subplots(figsize=(5, 3))
        plt.close(self.fig)  # shown through the display handle only, not again at the cell's end
        self.handle = None

    def on_epoch_end(self, trainer):
        from IPython.display import display
        trainer.history.plot(ax=self.ax)
        if self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)


class Diagnosis(Callback):
    """Says when a run goes wrong, in `history.diagnosis` and `history.notes`, printed too.

    - The training loss of an epoch is not finite: training stops.
    - It diverged: ten times above both ln(C), the loss of guessing uniformly among C classes,
      and the first minibatch's loss. Training stops. (An epoch's mean loss can exceed ln(C)
      while a run with a large learning rate still learns; ten times is far beyond that.)
    - The test accuracy stayed at chance: even the best epoch is within three standard errors
      of what always answering the most common class scores. Not judged under a budget too
      short to learn in (smoke).
    Every rank judges the same summed figures, so all ranks stop together."""

    def on_fit_start(self, trainer):
        trainer.history.chance = trainer.plan.chance()
        self.first_loss = None

    def on_batch_end(self, trainer):
        if self.first_loss is None:
            self.first_loss = trainer.loss.item()

    def on_epoch_end(self, trainer):
        loss, classes = trainer.history.train_loss[-1], len(trainer.data.classes)
        if not math.isfinite(loss):
            self._report(trainer, "non-finite", f"epoch {trainer.epoch}: the training loss is "
                         f"{loss}; training stopped. {self._advice(trainer)}")
        elif loss > 10 * max(math.log(classes), self.first_loss):
            self._report(trainer, "diverged", f"epoch {trainer.epoch}: the training loss {loss:.3g} "
                         f"is far above {math.log(classes):.2f}, the loss of guessing uniformly "
                         f"among {classes} classes: training diverged and was stopped. "
                         f"{self._advice(trainer)}")

    def on_fit_end(self, trainer):
        h = trainer.history
        if h.diagnosis or not trainer.plan.budget.learns or not h.test_acc:
            return
        p, n = h.chance, max(h.num_test_images, 1)
        if max(h.test_acc) <= p + 3 * math.sqrt(p * (1 - p) / n):
            self._report(trainer, "chance", f"the test accuracy stayed at chance: at best "
                         f"{max(h.test_acc):.3f}, where always answering the most common class "
                         f"scores {p:.3f}. The network has not learned: try another learning rate "
                         f"than {self._lr(trainer):g}, another optimizer, or more epochs.")

    @staticmethod
    def _lr(trainer) -> float:
        group = trainer.optimizer.param_groups[0]
        return group.get("initial_lr", group["lr"])

    def _advice(self, trainer) -> str:
        return f"A smaller learning rate than {self._lr(trainer):g} may help."

    @staticmethod
    def _report(trainer, diagnosis: str, note: str):
        trainer.history.diagnosis = diagnosis
        trainer.history.notes.append(note)
        trainer.stop = trainer.stop or diagnosis != "chance"
        if trainer.rank == 0:
            print(wrap(note), flush=True)


class AppendHistory(Callback):
    """Appends the run's history as one JSON line to a file at the end of training (the file
    COURSE_HISTORY_LOG names, for `scripts/execute_notebooks.py`'s report)."""

    def __init__(self, path):
        self.path = path

    def on_fit_end(self, trainer):
        import json
        record = {"model": type(trainer.model).__name__, **trainer.history.to_dict()}
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Colab included)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def default_callbacks() -> list[Callback]:
    """A progress bar, live plot and summary line in notebooks; text lines (and a bar on a
    terminal) elsewhere."""
    if in_notebook():
        return [ProgressBar(), LivePlot(), PrintSummary()]
    return ([ProgressBar()] if sys.stderr.isatty() else []) + [PrintEpochs()]
