"""The training loop: minibatch gradient descent on the cross-entropy loss, one epoch at a time."""
from __future__ import annotations

import os
import time
from typing import Callable, Iterable

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from lib.data import default_device
from lib.train import allocator, precision as arithmetic
from lib.train.budget import Plan, get_budget
from lib.train.callbacks import AppendHistory, Callback, Diagnosis, default_callbacks
from lib.train.history import History

OPTIMIZERS: dict[str, Callable] = {
    "sgd": lambda params, lr, wd: torch.optim.SGD(params, lr=lr, weight_decay=wd),
    "momentum": lambda params, lr, wd: torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd),
    "adam": lambda params, lr, wd: torch.optim.Adam(params, lr=lr, weight_decay=wd),
    "adamw": lambda params, lr, wd: torch.optim.AdamW(params, lr=lr, weight_decay=wd),
}


def check_arguments(epochs, lr, optimizer, schedule):
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs={epochs!r}; valid: a positive integer")
    if not (isinstance(lr, (int, float)) and not isinstance(lr, bool) and 0 < lr < float("inf")):
        raise ValueError(f"lr={lr!r}; valid: a positive number")
    if schedule not in (None, "cosine"):
        raise ValueError(f"schedule={schedule!r}; valid: None, 'cosine'")
    if isinstance(optimizer, str) and optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer={optimizer!r}; valid: {', '.join(OPTIMIZERS)}, "
                         f"or a function of the parameters returning a torch.optim.Optimizer")


def training_device(device=None) -> torch.device:
    """`device`, else this process's CUDA device, then MPS, then the CPU."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return default_device()


def distributed() -> tuple[int, int]:
    """(rank, world size) of this process; (0, 1) outside torchrun."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def on_device(X, y, device: torch.device):
    """A minibatch moved to `device`, images channels-last where that layout runs fastest."""
    X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
    if arithmetic.channels_last(device) and X.dim() == 4:
        X = X.contiguous(memory_format=torch.channels_last)
    return X, y


def sum_over_ranks(*values, device: torch.device) -> list[float]:
    """Python floats, summed over the ranks under torchrun."""
    values = [v.item() if isinstance(v, torch.Tensor) else v for v in values]
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        t = torch.tensor(values, dtype=torch.float64,
                         device=device if dist.get_backend() == "nccl" else "cpu")
        dist.all_reduce(t)
        values = t.tolist()
    return [float(v) for v in values]


def logits(output):
    # Auxiliary classifiers (GoogLeNet, Inception v3) return several outputs while training;
    # the main one comes first.
    return output[0] if isinstance(output, (tuple, list)) else output


class Trainer:
    """The state of one training run; `fit` builds one and calls `run`."""

    def __init__(self, model: nn.Module, data, plan: Plan, optimizer: torch.optim.Optimizer,
                 device: torch.device, precision: str, callbacks: Iterable[Callback] = (),
                 schedule: str | None = None, seed: int = 0):
        self.rank, self.world_size = distributed()
        self.data, self.plan, self.device, self.precision, self.seed = data, plan, device, precision, seed
        self.model = model if self.world_size == 1 else nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
        self.optimizer = optimizer
        self.scheduler = None if schedule is None else torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=plan.epochs * plan.train_batches)
        self.scaler = torch.amp.GradScaler("cuda", enabled=precision == "float16")
        self.callbacks = list(callbacks)
        self.history = History(epochs=plan.epochs, budget=plan.budget.name, device=str(device),
                               precision=precision, num_train_images=plan.num_train_images,
                               num_test_images=plan.num_test_images, world_size=self.world_size)
        self.epoch, self.batch, self.loss, self.stop = 0, 0, None, False

    def _call(self, event):
        for c in self.callbacks:
            getattr(c, event)(self)

    def _step(self, X, y) -> tuple[torch.Tensor, torch.Tensor]:
        """One update; the logits and the loss."""
        with arithmetic.autocast(self.device, self.precision):
            out = logits(self.model(X))
            loss = F.cross_entropy(out, y)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.scheduler is not None:
            self.scheduler.step()
        return out, loss.detach()

    def train_epoch(self):
        """Sums over the epoch's minibatches: loss x images, correct answers, images."""
        self.model.train()
        loss_sum = torch.zeros((), device=self.device, dtype=arithmetic.accumulator_dtype(self.device))
        correct = torch.zeros((), device=self.device, dtype=torch.int64)
        count = 0
        batches = self.plan.train_set.epoch(self.epoch - 1, seed=self.seed, rank=self.rank,
                                            world_size=self.world_size, max_batches=self.plan.train_batches)
        for self.batch, (X, y) in enumerate(batches):
            X, y = on_device(X, y, self.device)
            out, self.loss = self._step(X, y)
            with torch.no_grad():
                loss_sum += self.loss * len(y)
                correct += (out.argmax(1) == y).sum()
            count += len(y)
            self._call("on_batch_end")
        return loss_sum, correct, count

    @torch.no_grad()
    def test_epoch(self):
        """Correct answers and images over the test batches."""
        self.model.eval()
        correct, count = torch.zeros((), device=self.device, dtype=torch.int64), 0
        for X, y in self.plan.test_set.epoch(0, rank=self.rank, world_size=self.world_size,
                                             max_batches=self.plan.test_batches):
            X, y = on_device(X, y, self.device)
            with arithmetic.autocast(self.device, self.precision):
                correct += (logits(self.model(X)).argmax(1) == y).sum()
            count += len(y)
        return correct, count

    def run(self) -> History:
        torch.manual_seed(self.seed + self.rank)  # dropout and other randomness inside the model
        self._call("on_fit_start")
        for self.epoch in range(1, self.plan.epochs + 1):
            self._call("on_epoch_start")
            arithmetic.synchronize(self.device)
            started = time.perf_counter()
            trained = self.train_epoch()
            arithmetic.synchronize(self.device)
            train_seconds = time.perf_counter() - started
            loss_sum, correct, count, test_correct, test_count = sum_over_ranks(
                *trained, *self.test_epoch(), device=self.device)
            self.history.append(self.epoch, loss_sum / max(count, 1), correct / max(count, 1),
                                test_correct / max(test_count, 1), count / train_seconds,
                                time.perf_counter() - started)
            self._call("on_epoch_end")
            if self.stop:
                break
        self._call("on_fit_end")
        return self.history


def prepare(model: nn.Module, device: torch.device) -> nn.Module:
    """The model on `device`, channels-last where that layout runs fastest; on the CPU, freed
    activations kept for the next step (`allocator.keep_freed_memory`)."""
    if device.type == "cpu":
        allocator.keep_freed_memory()
    model = model.to(device)
    if arithmetic.channels_last(device):
        model = model.to(memory_format=torch.channels_last)
    return model


def make_optimizer(model: nn.Module, optimizer, lr: float, weight_decay: float):
    params = [p for p in model.parameters() if p.requires_grad]
    if isinstance(optimizer, str):
        return OPTIMIZERS[optimizer](params, lr, weight_decay)
    return optimizer(params)


def fit(model: nn.Module, data, epochs: int, lr: float, optimizer="sgd", weight_decay: float = 0.0,
        budget=None, callbacks: Iterable[Callback] = (), seed: int = 0, schedule: str | None = None,
        device=None, precision=None, verbose: bool = True) -> History:
    """Train `model` on `data` (from `lib.data.load`) with cross-entropy; return its `History`.

    epochs: the epochs the chapter asks for (the budget may run fewer; see `lib.train`).
    lr, weight_decay: of the optimizer.
    optimizer: "sgd" (plain, as in d2l), "momentum" (SGD with momentum 0.9, as in most papers),
        "adam", "adamw", or a function taking the parameters and returning an optimizer.
    budget: "full", "quick", "smoke", a `Budget`, or None for COURSE_BUDGET's (see `get_budget`).
    callbacks: `Callback` objects, called after the default ones (progress, plot or text lines).
    seed: fixes the order of the minibatches and any randomness in the model (dropout).
    schedule: None (constant learning rate) or "cosine" (decays to 0 over the run's steps).
    device: default CUDA, then MPS, then the CPU. The model is moved there.
    precision: "auto" (bfloat16 mixed precision where the device computes it natively, see
        `lib.train.precision`), "float32", "bfloat16", "float16" (CUDA), or None for
        COURSE_PRECISION's, else "auto".
    verbose: False leaves out the default callbacks; the budget line and the diagnosis of a
        run that goes wrong are always printed.
    """
    check_arguments(epochs, lr, optimizer, schedule)
    device = training_device(device)
    chosen = arithmetic.resolve(device, precision)
    rank, world_size = distributed()
    plan = Plan(get_budget(budget), data, epochs, world_size)
    model = prepare(model, device)
    watching = ((default_callbacks() if verbose else []) + list(callbacks)) if rank == 0 else []
    watching.append(Diagnosis())  # on every rank: all stop together
    if rank == 0 and os.environ.get("COURSE_HISTORY_LOG"):
        watching.append(AppendHistory(os.environ["COURSE_HISTORY_LOG"]))
    trainer = Trainer(model, data, plan, make_optimizer(model, optimizer, lr, weight_decay), device,
                      chosen, callbacks=watching, schedule=schedule, seed=seed)
    if rank == 0:
        print(plan.announcement(f"{device}, {arithmetic.describe(chosen)}"), flush=True)
    return trainer.run()


@torch.no_grad()
def evaluate(model: nn.Module, data, split: str = "test", device=None, precision=None) -> float:
    """Accuracy of `model` on every image of `data.test` (or `data.train`), in the precision
    `fit` would train it in (see `fit`)."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r}; valid: 'train', 'test'")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    chosen = arithmetic.resolve(device, precision)
    was_training = model.training
    model.eval()
    correct, count = 0, 0
    for X, y in getattr(data, split).epoch(0, seed=0):
        X, y = on_device(X, y, device)
        with arithmetic.autocast(device, chosen):
            correct += (logits(model(X)).argmax(1) == y).sum().item()
        count += len(y)
    model.train(was_training)
    return correct / count
