"""Training: one loop for every chapter.

    >>> data = lib.data.load("fashion_mnist", batch_size=256)
    >>> history = lib.train.fit(model, data, epochs=10, lr=0.1)
    >>> history.test_acc[-1], history.throughput     # accuracy, training images per second

The trainer knows nothing about any model, widget or plot: it runs minibatch gradient descent
on the cross-entropy loss and records, per epoch, the training loss and accuracy (over the
minibatches as they were trained on), the test accuracy and the training images per second.
Progress bars, the live plot and text lines attach through callbacks.

A training budget, chosen by the environment variable COURSE_BUDGET, bounds what a call does,
so that the same chapter code runs on a GPU, on a laptop and in CI:

- ``full``: the epochs the chapter asks for, on all training and test images. The default
  when there is a CUDA GPU.
- ``quick``: at most 5 epochs, on at most 4,000 training images (a fixed random subset, the
  same in every run) and 1,000 test images. The default without a CUDA GPU: a few minutes
  per chapter on a 2-core laptop CPU for the course-scale models.
- ``smoke``: 1 epoch of 2 training minibatches, tested on 1 minibatch: seconds; it checks
  that the code runs, not what it learns. The tests use it.

Every call prints one line naming the budget and what it ran.

On CUDA the trainer uses mixed precision (bfloat16 autocast, or float16 with a gradient
scaler on GPUs without bfloat16). On the CPU it runs in float32 and is reproducible: the same
seed gives the same history. On both, images and convolution weights are kept channels-last
(NHWC), the layout that cuDNN's tensor-core kernels and oneDNN's CPU kernels run fastest: on
the CPU that trains most course-scale models 1.2 to 2 times faster than the default layout.

Under `torchrun` (see `python -m lib.train --help`) the model is wrapped in
DistributedDataParallel: every rank trains on its share of each global minibatch, metrics are
summed over ranks, and only rank 0 prints.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from lib.data import default_device


# --- Budgets ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Budget:
    """Upper bounds on one training call; None leaves that dimension as the chapter asks."""
    name: str
    max_epochs: int | None = None
    max_train_images: int | None = None
    max_test_images: int | None = None
    max_train_batches: int | None = None   # per epoch
    max_test_batches: int | None = None
    meaning: str = ""


BUDGETS = {
    "full": Budget("full", meaning="the chapter's epochs on all images"),
    "quick": Budget("quick", max_epochs=5, max_train_images=4000, max_test_images=1000,
                    meaning="at most 5 epochs, on a fixed random subset of at most 4,000 "
                            "training images and 1,000 test images"),
    "smoke": Budget("smoke", max_epochs=1, max_train_batches=2, max_test_batches=1,
                    meaning="1 epoch of 2 training minibatches, tested on 1 minibatch: "
                            "checks that the code runs"),
}

#: Seed of the fixed subsets the quick budget trains and tests on.
SUBSET_SEED = 0


def get_budget(budget: str | Budget | None = None) -> Budget:
    """The budget named by `budget`, else by COURSE_BUDGET, else full with CUDA and quick without."""
    if isinstance(budget, Budget):
        return budget
    name = budget or os.environ.get("COURSE_BUDGET") or ("full" if torch.cuda.is_available() else "quick")
    if name not in BUDGETS:
        source = "COURSE_BUDGET" if budget is None else "budget"
        raise ValueError(f"{source}={name!r}; valid budgets: {', '.join(BUDGETS)}")
    return BUDGETS[name]


# --- History ----------------------------------------------------------------------------------

@dataclass
class History:
    """Per-epoch measurements of one training call."""
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    images_per_s: list[float] = field(default_factory=list)  # training images per second
    seconds: list[float] = field(default_factory=list)       # wall time of the epoch, test included
    epochs: int = 0             # epochs planned under the budget
    budget: str = ""
    device: str = ""
    precision: str = "float32"
    num_train_images: int = 0   # training images per epoch
    num_test_images: int = 0
    world_size: int = 1

    @property
    def throughput(self) -> float:
        """Median training images per second over the epochs (0 before any epoch)."""
        return statistics.median(self.images_per_s) if self.images_per_s else 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def plot(self, ax=None):
        from lib.plot import training_curves
        return training_curves(self, ax=ax)

    def summary(self) -> str:
        if not self.epoch:
            return "no epoch trained"
        return (f"loss {self.train_loss[-1]:.3f}, train acc {self.train_acc[-1]:.3f}, "
                f"test acc {self.test_acc[-1]:.3f} after {self.epoch[-1]} epoch"
                f"{'s' if self.epoch[-1] > 1 else ''}; {self.throughput:,.0f} images/s on "
                f"{self.device} ({self.precision}"
                f"{f', {self.world_size} processes' if self.world_size > 1 else ''})")

    def __repr__(self):
        return f"History({self.summary()})"


# --- Callbacks --------------------------------------------------------------------------------

class Callback:
    """Hooks into the training loop. Each receives the `Trainer`, whose attributes are the
    loop's state: `model`, `data`, `optimizer`, `history`, `epoch` (1-based), `epochs`, `batch`
    (0-based index in the epoch), `num_batches`, `loss` (last minibatch's loss, a tensor), `rank`.
    Setting `trainer.stop = True` ends training after the current epoch."""

    def on_fit_start(self, trainer): ...
    def on_epoch_start(self, trainer): ...
    def on_batch_end(self, trainer): ...
    def on_epoch_end(self, trainer): ...
    def on_fit_end(self, trainer): ...


class ProgressBar(Callback):
    """A tqdm bar over all minibatches of the run, with the recent loss."""

    def on_fit_start(self, trainer):
        from tqdm.auto import tqdm
        self.bar = tqdm(total=trainer.epochs * trainer.num_batches, leave=False, unit="batch")
        self.last = 0.0

    def on_epoch_start(self, trainer):
        self.bar.set_description(f"epoch {trainer.epoch}/{trainer.epochs}")

    def on_batch_end(self, trainer):
        self.bar.update(1)
        now = time.perf_counter()
        if now - self.last > 0.5:  # reading the loss waits for the GPU: not at every step
            self.bar.set_postfix(loss=f"{trainer.loss.item():.3f}")
            self.last = now

    def on_fit_end(self, trainer):
        self.bar.close()


class PrintEpochs(Callback):
    """One text line per epoch."""

    def on_epoch_end(self, trainer):
        h = trainer.history
        print(f"epoch {h.epoch[-1]}/{h.epochs}: loss {h.train_loss[-1]:.3f}, train acc "
              f"{h.train_acc[-1]:.3f}, test acc {h.test_acc[-1]:.3f}, "
              f"{h.images_per_s[-1]:,.0f} images/s, {h.seconds[-1]:.1f} s", flush=True)


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


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Colab included)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def default_callbacks() -> list[Callback]:
    """A progress bar and live plot in notebooks; text lines (and a bar on a terminal) elsewhere."""
    if in_notebook():
        return [ProgressBar(), LivePlot()]
    return ([ProgressBar()] if sys.stderr.isatty() else []) + [PrintEpochs()]


# --- The loop ---------------------------------------------------------------------------------

OPTIMIZERS: dict[str, Callable] = {
    "sgd": lambda params, lr, wd: torch.optim.SGD(params, lr=lr, weight_decay=wd),
    "momentum": lambda params, lr, wd: torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd),
    "adam": lambda params, lr, wd: torch.optim.Adam(params, lr=lr, weight_decay=wd),
    "adamw": lambda params, lr, wd: torch.optim.AdamW(params, lr=lr, weight_decay=wd),
}


def _precision(device: torch.device, amp) -> torch.dtype | None:
    """The autocast dtype: bfloat16 (or float16) on CUDA unless amp=False; none elsewhere."""
    if amp is False or device.type != "cuda":
        return None
    if amp in (torch.bfloat16, torch.float16):
        return amp
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _channels_last(device: torch.device) -> bool:
    return device.type in ("cuda", "cpu")


def _distributed() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _logits(output):
    # Auxiliary classifiers (GoogLeNet, Inception v3) return several outputs while training;
    # the main one comes first.
    return output[0] if isinstance(output, (tuple, list)) else output


class Trainer:
    """The state of one training run; `fit` builds one and calls `run`."""

    def __init__(self, model: nn.Module, data, epochs: int, lr: float, optimizer="sgd",
                 weight_decay: float = 0.0, schedule: str | None = None, budget=None,
                 callbacks: Iterable[Callback] = (), seed: int = 0, device=None, amp=None,
                 verbose: bool = True):
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            raise ValueError(f"epochs={epochs!r}; valid: a positive integer")
        if not (isinstance(lr, (int, float)) and lr > 0):
            raise ValueError(f"lr={lr!r}; valid: a positive number")
        if schedule not in (None, "cosine"):
            raise ValueError(f"schedule={schedule!r}; valid: None, 'cosine'")
        if isinstance(optimizer, str) and optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={optimizer!r}; valid: {', '.join(OPTIMIZERS)}, "
                             f"or a function of the parameters returning a torch.optim.Optimizer")
        self.budget = get_budget(budget)
        self.rank, self.world_size = _distributed()
        self.device = torch.device(device) if device is not None else (
            torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available()
            else default_device())
        self.dtype = _precision(self.device, amp)
        self.seed = seed
        self.data = data
        self.requested_epochs = epochs
        b = self.budget
        self.epochs = min(epochs, b.max_epochs or epochs)
        self.train_set = data.train
        if b.max_train_images is not None:
            self.train_set = data.train.subset(b.max_train_images, seed=SUBSET_SEED)
        self.test_set = data.test
        if b.max_test_images is not None:
            self.test_set = data.test.subset(b.max_test_images, seed=SUBSET_SEED)
        self.num_batches = len(self.train_set) if b.max_train_batches is None else min(
            len(self.train_set), b.max_train_batches)

        self.module = model.to(self.device)
        self.channels_last = _channels_last(self.device)
        if self.channels_last:
            self.module = self.module.to(memory_format=torch.channels_last)
        self.model = self.module
        if self.world_size > 1:
            self.model = nn.parallel.DistributedDataParallel(
                self.module, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        params = [p for p in self.module.parameters() if p.requires_grad]
        self.optimizer = (OPTIMIZERS[optimizer](params, lr, weight_decay) if isinstance(optimizer, str)
                          else optimizer(params))
        self.scheduler = None
        if schedule == "cosine":
            self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
                self.optimizer, T_max=self.epochs * self.num_batches)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.dtype == torch.float16)
        self.callbacks = list(callbacks)
        if verbose and self.rank == 0:
            self.callbacks = default_callbacks() + self.callbacks
        elif self.rank != 0:
            self.callbacks = []
        self.history = History(epochs=self.epochs, budget=b.name, device=str(self.device),
                               precision=f"{str(self.dtype).replace('torch.', '')} autocast"
                               if self.dtype else "float32",
                               num_train_images=self._images_per_epoch(), world_size=self.world_size,
                               num_test_images=self._test_images())
        self.epoch, self.batch, self.loss, self.stop = 0, 0, None, False

    def _images_per_epoch(self) -> int:
        n = self.train_set.num_images
        if self.budget.max_train_batches is not None:
            n = min(n, self.budget.max_train_batches * self.train_set.batch_size)
        return n - n % self.world_size

    def _test_images(self) -> int:
        n = self.test_set.num_images
        if self.budget.max_test_batches is not None:
            n = min(n, self.budget.max_test_batches * self.test_set.batch_size)
        return n - n % self.world_size

    def announcement(self) -> str:
        b, h = self.budget, self.history
        total_train, total_test = self.data.num_train, self.data.num_test
        epochs = (f"{self.epochs} epoch{'s' if self.epochs > 1 else ''}" if self.epochs == self.requested_epochs
                  else f"{self.epochs} of {self.requested_epochs} epochs")
        train = (f"all {total_train:,} training images" if h.num_train_images >= total_train - self.world_size
                 else f"{h.num_train_images:,} of {total_train:,} training images")
        test = (f"all {total_test:,} test images" if h.num_test_images >= total_test - self.world_size
                else f"{h.num_test_images:,} of {total_test:,} test images")
        line = f"budget {b.name}: {epochs} on {train}, tested on {test}"
        if b.name != "full":
            line += f" ({b.name} = {b.meaning}; COURSE_BUDGET=full runs the chapter as written)"
        return line + "."

    def _call(self, event):
        for c in self.callbacks:
            getattr(c, event, lambda trainer: None)(self)

    def _sum(self, *values: torch.Tensor) -> list[float]:
        """Sums over ranks (no-op in one process), as Python floats."""
        t = torch.stack([v.detach().double() for v in values])
        if self.world_size > 1:
            t = t.to(self.device if dist.get_backend() == "nccl" else "cpu")
            dist.all_reduce(t)
        return t.tolist()

    def _sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def _batch(self, X, y):
        X = X.to(self.device, non_blocking=True)
        y = y.to(self.device, non_blocking=True)
        if self.channels_last and X.dim() == 4:
            X = X.contiguous(memory_format=torch.channels_last)
        return X, y

    def _autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def train_epoch(self):
        self.model.train()
        loss_sum = torch.zeros((), device=self.device, dtype=torch.float64)
        correct = torch.zeros((), device=self.device, dtype=torch.float64)
        count = torch.zeros((), device=self.device, dtype=torch.float64)
        batches = self.train_set.epoch(self.epoch - 1, seed=self.seed, rank=self.rank,
                                       world_size=self.world_size, max_batches=self.num_batches)
        for self.batch, (X, y) in enumerate(batches):
            X, y = self._batch(X, y)
            with self._autocast():
                logits = _logits(self.model(X))
                loss = F.cross_entropy(logits, y)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            if self.scheduler is not None:
                self.scheduler.step()
            with torch.no_grad():
                loss_sum += loss.detach() * len(y)
                correct += (logits.argmax(1) == y).sum()
                count += len(y)
            self.loss = loss.detach()
            self._call("on_batch_end")
        return loss_sum, correct, count

    @torch.no_grad()
    def test_epoch(self):
        self.model.eval()
        correct = torch.zeros((), device=self.device, dtype=torch.float64)
        count = torch.zeros((), device=self.device, dtype=torch.float64)
        for X, y in self.test_set.epoch(0, rank=self.rank, world_size=self.world_size,
                                        max_batches=self.budget.max_test_batches):
            X, y = self._batch(X, y)
            with self._autocast():
                logits = _logits(self.model(X))
            correct += (logits.argmax(1) == y).sum()
            count += len(y)
        return correct, count

    def run(self) -> History:
        if self.rank == 0:
            print(self.announcement(), flush=True)
        torch.manual_seed(self.seed + self.rank)  # dropout and other randomness inside the model
        self._call("on_fit_start")
        for self.epoch in range(1, self.epochs + 1):
            self._call("on_epoch_start")
            self._sync()
            start = time.perf_counter()
            loss_sum, correct, count = self.train_epoch()
            self._sync()
            train_seconds = time.perf_counter() - start
            test_correct, test_count = self.test_epoch()
            loss_sum, correct, count, test_correct, test_count = self._sum(
                loss_sum, correct, count, test_correct, test_count)
            h = self.history
            h.epoch.append(self.epoch)
            h.train_loss.append(loss_sum / max(count, 1))
            h.train_acc.append(correct / max(count, 1))
            h.test_acc.append(test_correct / max(test_count, 1))
            h.images_per_s.append(count / train_seconds)
            h.seconds.append(time.perf_counter() - start)
            if not math.isfinite(h.train_loss[-1]):
                self.stop = True
                if self.rank == 0:
                    print(f"epoch {self.epoch}: the loss is {h.train_loss[-1]}; stopping "
                          f"(a smaller learning rate than {self.optimizer.param_groups[0]['lr']:g} "
                          f"may help)")
            self._call("on_epoch_end")
            if self.stop:
                break
        self._call("on_fit_end")
        if self.rank == 0 and self.callbacks and not any(isinstance(c, PrintEpochs) for c in self.callbacks):
            print(self.history.summary(), flush=True)
        return self.history


def fit(model: nn.Module, data, epochs: int, lr: float, optimizer="sgd", weight_decay: float = 0.0,
        budget=None, callbacks: Iterable[Callback] = (), seed: int = 0, schedule: str | None = None,
        device=None, amp=None, verbose: bool = True) -> History:
    """Train `model` on `data` (from `lib.data.load`) with cross-entropy; return its `History`.

    epochs: the epochs the chapter asks for (the budget may run fewer; see the module's doc).
    lr, weight_decay: of the optimizer.
    optimizer: "sgd" (plain, as in d2l), "momentum" (SGD with momentum 0.9, as in most papers),
        "adam", "adamw", or a function taking the parameters and returning an optimizer.
    budget: "full", "quick", "smoke", a `Budget`, or None for COURSE_BUDGET's (see `get_budget`).
    callbacks: `Callback` objects, called after the default ones (progress, plot or text lines).
    seed: fixes the order of the minibatches and any randomness in the model (dropout).
    schedule: None (constant learning rate) or "cosine" (decays to 0 over the run's steps).
    device: default CUDA, then MPS, then the CPU. The model is moved there.
    amp: None (bfloat16/float16 autocast on CUDA), False (float32), or a dtype.
    verbose: False leaves out the default callbacks; the budget line is always printed.
    """
    return Trainer(model, data, epochs, lr, optimizer=optimizer, weight_decay=weight_decay,
                   schedule=schedule, budget=budget, callbacks=callbacks, seed=seed, device=device,
                   amp=amp, verbose=verbose).run()


@torch.no_grad()
def evaluate(model: nn.Module, data, split: str = "test", device=None, amp=None) -> float:
    """Accuracy of `model` on every image of `data.test` (or `data.train`)."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r}; valid: 'train', 'test'")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    dtype = _precision(device, amp)
    was_training = model.training
    model.eval()
    correct, count = 0, 0
    for X, y in getattr(data, split).epoch(0, seed=0):
        X, y = X.to(device), y.to(device)
        if _channels_last(device) and X.dim() == 4:
            X = X.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=dtype) if dtype else contextlib.nullcontext():
            correct += (_logits(model(X)).argmax(1) == y).sum().item()
        count += len(y)
    model.train(was_training)
    return correct / count


def images_per_second(model: nn.Module, input_size, batch_size: int = 64, steps: int = 10,
                      warmup: int = 3, train: bool = True, device=None, amp=None,
                      num_classes: int | None = None) -> float:
    """Images per second of training steps (forward, backward, SGD update) or, with
    train=False, of inference, on random inputs of shape (batch_size, *input_size).
    The median of `steps` timed steps, after `warmup` untimed ones."""
    device = torch.device(device) if device is not None else (
        next(model.parameters()).device if next(model.parameters(), None) is not None else default_device())
    model = model.to(device)
    dtype = _precision(device, amp)
    channels_last = _channels_last(device) and len(input_size) == 3
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    x = torch.randn(batch_size, *input_size, device=device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    model.train(train)
    autocast = (lambda: torch.autocast(device.type, dtype=dtype)) if dtype else contextlib.nullcontext

    def step():
        if train:
            with autocast():
                out = _logits(model(x))
            y = torch.randint(out.shape[1], (batch_size,), device=device)
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(out.float(), y).backward()
            optimizer.step()
        else:
            with torch.no_grad(), autocast():
                model(x)

    times = []
    for i in range(warmup + steps):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return batch_size / statistics.median(times)


# --- Command line (and torchrun) --------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m lib.train",
        description="Train a registered model on Fashion-MNIST (or the offline digits). Runs "
                    "as is in one process, or under `torchrun --nproc_per_node N` with "
                    "DistributedDataParallel (NCCL on GPUs, gloo on CPUs).")
    p.add_argument("--model", required=True, help="a name from lib.models.names()")
    p.add_argument("--data", default="fashion_mnist", help="fashion_mnist or mnist_5k")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256,
                   help="global minibatch size (split over the processes)")
    p.add_argument("--budget", choices=list(BUDGETS), default=None,
                   help="default: COURSE_BUDGET, else full with CUDA and quick without")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="sgd")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--schedule", choices=["cosine"], default=None)
    p.add_argument("--seed", type=int, default=0)
    scale = p.add_mutually_exclusive_group()
    scale.add_argument("--course", dest="scale", action="store_const", const="course",
                       help="the course-scale form, lib.models.course_config(name) (default)")
    scale.add_argument("--paper", dest="scale", action="store_const", const="paper",
                       help="the paper's architecture at its resolution, with 1 input channel "
                            "and 10 classes")
    p.set_defaults(scale="course")
    p.add_argument("--out", type=Path, default=Path("runs"),
                   help="folder for NAME.pt (weights) and NAME.json (history)")
    p.add_argument("--quiet", action="store_true", help="no progress output, only the budget line")
    return p


def _replica_difference(module: nn.Module) -> float:
    """Largest absolute difference between any rank's parameters and rank 0's."""
    flat = torch.cat([p.detach().reshape(-1).float() for p in module.parameters()])
    if dist.get_backend() != "nccl":
        flat = flat.cpu()
    gathered = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, flat)
    return max((g - gathered[0]).abs().max().item() for g in gathered)


def main(argv=None):
    args = _parser().parse_args(argv)
    from lib import data as datasets, models

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = None
    if world_size > 1:
        if torch.cuda.is_available():
            local_rank = int(os.environ.get("LOCAL_RANK", "0"))
            torch.cuda.set_device(local_rank)
            device = torch.device("cuda", local_rank)
            dist.init_process_group("nccl", device_id=device)
        else:
            device = torch.device("cpu")
            dist.init_process_group("gloo")
        if args.batch_size % world_size:
            raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the "
                             f"{world_size} processes")
    quiet = open(os.devnull, "w") if rank != 0 else None
    try:
        with contextlib.redirect_stdout(quiet) if quiet else contextlib.nullcontext():
            if args.model not in models.names():
                raise SystemExit(f"unknown model {args.model!r}; known: {', '.join(models.names())}")
            kwargs = (models.course_config(args.model) if args.scale == "course"
                      else {"in_channels": 1, "num_classes": 10})
            c, h, w = models.input_size(args.model, **kwargs)
            if rank == 0 and world_size > 1:
                datasets.load(args.data, batch_size=args.batch_size, device="cpu")  # downloads once
            if world_size > 1:
                dist.barrier()
            data = datasets.load(args.data, resize=None if (h, w) == (28, 28) else (h, w),
                                 batch_size=args.batch_size, device=device, seed=args.seed)
            torch.manual_seed(args.seed)
            model = models.create(args.model, **kwargs)
            history = fit(model, data, epochs=args.epochs, lr=args.lr, optimizer=args.optimizer,
                          weight_decay=args.weight_decay, schedule=args.schedule, budget=args.budget,
                          seed=args.seed, device=device, verbose=not args.quiet)
            record = {"model": args.model, "kwargs": kwargs, "scale": args.scale,
                      "input_size": [c, h, w], "data": data.source, "batch_size": args.batch_size,
                      "lr": args.lr, "optimizer": args.optimizer, "seed": args.seed,
                      "history": history.to_dict()}
            if world_size > 1:
                record["replica_max_abs_diff"] = _replica_difference(model)
            if rank == 0:
                args.out.mkdir(parents=True, exist_ok=True)
                torch.save({"model": args.model, "kwargs": kwargs, "state_dict": model.state_dict()},
                           args.out / f"{args.model}.pt")
                (args.out / f"{args.model}.json").write_text(json.dumps(record, indent=2))
                print(f"wrote {args.out / f'{args.model}.pt'} and {args.out / f'{args.model}.json'}")
    finally:
        if world_size > 1:
            dist.destroy_process_group()
        if quiet:
            quiet.close()


if __name__ == "__main__":
    main()
