"""`python -m lib.train`: train a registered model from the command line, in one process or
under `torchrun --nproc_per_node N` (DistributedDataParallel: NCCL on GPUs, gloo on CPUs)."""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import time
import uuid
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from lib.train import checkpoint
from lib.train.budget import BUDGETS
from lib.train.loop import OPTIMIZERS, fit
from lib.train.precision import PRECISIONS

#: Optimizer, learning rate and minibatch size each model trains with when the command line
#: names none: every registered model learns with them under the quick budget
#: (scripts/train_every_model.py checks). The sigmoid LeNet needs more, larger steps than the
#: ReLU networks: with Adam at 1e-3 on minibatches of 256 it is still on its plateau after 5 epochs.
DEFAULT = {"optimizer": "adam", "lr": 1e-3, "batch_size": 256}
DEFAULTS: dict[str, dict] = {
    "lenet": {"lr": 3e-3, "batch_size": 64},
}


def defaults(model: str) -> dict:
    """The optimizer, learning rate and minibatch size `model` trains with by default."""
    return {**DEFAULT, **DEFAULTS.get(model, {})}


def _number(kind, valid: str, accept):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"{text!r}; valid: {valid}")
        return value
    parse.__name__ = valid
    return parse


positive_int = _number(int, "a positive integer", lambda v: v >= 1)
natural_int = _number(int, "an integer >= 0", lambda v: v >= 0)
positive_float = _number(float, "a positive number", lambda v: 0 < v < math.inf)
natural_float = _number(float, "a number >= 0", lambda v: 0 <= v < math.inf)


def parser() -> argparse.ArgumentParser:
    from lib import data as datasets, models
    p = argparse.ArgumentParser(
        prog="python -m lib.train",
        description="Train a registered model on Fashion-MNIST (or the offline digits). Runs as is "
                    "in one process, or under `torchrun --nproc_per_node N` with "
                    "DistributedDataParallel (NCCL on GPUs, gloo on CPUs).")
    p.add_argument("--model", required=True, choices=models.names(), metavar="NAME",
                   help="a name from lib.models.names()")
    p.add_argument("--data", default="fashion_mnist", choices=datasets.DATASETS,
                   help="fashion_mnist (the offline digits when it cannot be downloaded) or mnist_5k")
    p.add_argument("--epochs", type=positive_int, default=10)
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help=f"global minibatch size, split over the processes (default: the model's "
                        f"own, {DEFAULT['batch_size']} for most)")
    p.add_argument("--budget", choices=list(BUDGETS), default=None,
                   help="default: COURSE_BUDGET, else full with CUDA and quick without")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default=None,
                   help=f"default: the model's own ({DEFAULT['optimizer']} for most)")
    p.add_argument("--lr", type=positive_float, default=None,
                   help=f"default: the model's own ({DEFAULT['lr']:g} for most)")
    p.add_argument("--weight-decay", type=natural_float, default=0.0)
    p.add_argument("--schedule", choices=["cosine"], default=None)
    p.add_argument("--precision", choices=PRECISIONS, default=None,
                   help="default: COURSE_PRECISION, else auto (bfloat16 where the device has it)")
    p.add_argument("--seed", type=natural_int, default=0)
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


def parse(argv=None) -> argparse.Namespace:
    """The arguments, with the model's defaults filled in; argparse's errors for bad values,
    an --out that cannot be written included (before any training)."""
    p = parser()
    args = p.parse_args(argv)
    for key, value in defaults(args.model).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if args.batch_size % world_size:
        p.error(f"--batch-size {args.batch_size} must be a multiple of the {world_size} processes")
    if int(os.environ.get("RANK", "0")) == 0:
        try:
            checkpoint.check_writable(args.out)
        except OSError as e:
            p.error(f"--out {args.out}: cannot write there ({e.strerror or e})")
    return args


def _replica_difference(module: nn.Module) -> float:
    """Largest absolute difference between any rank's parameters and rank 0's."""
    flat = torch.cat([p.detach().reshape(-1).float() for p in module.parameters()])
    if dist.get_backend() != "nccl":
        flat = flat.cpu()
    gathered = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, flat)
    return max((g - gathered[0]).abs().max().item() for g in gathered)


def _start_processes():
    """(device, world size) under torchrun, after joining the process group; (None, 1) alone."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return None, 1
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
        dist.init_process_group("nccl", device_id=device)
    else:
        device = torch.device("cpu")
        dist.init_process_group("gloo")
    return device, world_size


def train(args, device, world_size: int) -> None:
    from lib import data as datasets, models
    kwargs = (models.course_config(args.model) if args.scale == "course"
              else {"in_channels": 1, "num_classes": 10})
    c, h, w = models.input_size(args.model, **kwargs)
    if dist.is_initialized():
        if dist.get_rank() == 0:
            datasets.load(args.data, batch_size=args.batch_size, device="cpu")  # downloads once
        dist.barrier()
    data = datasets.load(args.data, resize=None if (h, w) == (28, 28) else (h, w),
                         batch_size=args.batch_size, device=device, seed=args.seed)
    torch.manual_seed(args.seed)
    model = models.create(args.model, **kwargs)
    history = fit(model, data, epochs=args.epochs, lr=args.lr, optimizer=args.optimizer,
                  weight_decay=args.weight_decay, schedule=args.schedule, budget=args.budget,
                  seed=args.seed, device=device, precision=args.precision, verbose=not args.quiet)
    record = {"run_id": uuid.uuid4().hex, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "model": args.model, "kwargs": kwargs, "scale": args.scale, "input_size": [c, h, w],
              "data": data.source, "batch_size": args.batch_size, "lr": args.lr,
              "optimizer": args.optimizer, "seed": args.seed, "history": history.to_dict()}
    if world_size > 1:
        record["replica_max_abs_diff"] = _replica_difference(model)
    if dist.is_initialized() and dist.get_rank() != 0:
        return
    if history.failed:
        path = args.out / f"{args.model}.failed.json"
        checkpoint.save_record(path, record)
        print(f"the weights are not saved (training {history.diagnosis}); any earlier "
              f"{args.out / args.model}.pt and .json are kept; this run's record is in {path}")
        return
    state = {"model": args.model, "kwargs": kwargs, "state_dict": model.state_dict()}
    weights, summary = checkpoint.save(args.out, args.model, state, record)
    print(f"wrote {weights} and {summary}")


def main(argv=None):
    args = parse(argv)
    device, world_size = _start_processes()
    try:
        with contextlib.ExitStack() as stack:
            if dist.is_initialized() and dist.get_rank() != 0:  # only rank 0 prints
                stack.enter_context(contextlib.redirect_stdout(stack.enter_context(open(os.devnull, "w"))))
            train(args, device, world_size)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
