"""Training budgets: how much of what a chapter asks for one training call runs.

The chapter's code names its epochs (`fit(..., epochs=10)`); the budget, chosen by the
environment variable COURSE_BUDGET, bounds them and the images, so that the same code runs
on a GPU, on a laptop CPU and in CI. See the package's docstring for the three budgets.
"""
from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass

import torch

#: Seed of the fixed subsets a budget trains and tests on.
SUBSET_SEED = 0


@dataclass(frozen=True)
class Budget:
    """Upper bounds on one training call; None leaves that dimension as the chapter asks."""
    name: str
    max_epochs: int | None = None
    max_train_images: int | None = None
    max_test_images: int | None = None
    max_train_batches: int | None = None   # per epoch
    max_test_batches: int | None = None
    learns: bool = True                    # long enough to judge whether the network learns
    meaning: str = ""


BUDGETS = {
    "full": Budget("full", meaning="the chapter as written: its epochs, on every image"),
    "quick": Budget("quick", max_epochs=5, max_train_images=4000, max_test_images=1000,
                    meaning="at most 5 epochs on at most 4,000 training and 1,000 test images"),
    "smoke": Budget("smoke", max_epochs=1, max_train_batches=2, max_test_batches=1, learns=False,
                    meaning="2 minibatches, to check that the code runs, not what it learns"),
}


def get_budget(budget: str | Budget | None = None) -> Budget:
    """The budget named by `budget`, else by COURSE_BUDGET, else full with CUDA and quick without."""
    if isinstance(budget, Budget):
        return budget
    name = budget or os.environ.get("COURSE_BUDGET") or ("full" if torch.cuda.is_available() else "quick")
    if name not in BUDGETS:
        source = "COURSE_BUDGET" if budget is None else "budget"
        raise ValueError(f"{source}={name!r}; valid budgets: {', '.join(BUDGETS)}")
    return BUDGETS[name]


class Plan:
    """What one call runs under a budget: epochs, the training and test batches, image counts.
    Under data-parallel training every rank gets the same number of images, so up to
    `world_size - 1` images of each split are left out."""

    def __init__(self, budget: Budget, data, epochs: int, world_size: int = 1):
        self.budget, self.data, self.world_size = budget, data, world_size
        self.requested_epochs = epochs
        self.epochs = min(epochs, budget.max_epochs or epochs)
        self.train_set, self.test_set = data.train, data.test
        if budget.max_train_images is not None:
            self.train_set = data.train.subset(budget.max_train_images, seed=SUBSET_SEED)
        if budget.max_test_images is not None:
            self.test_set = data.test.subset(budget.max_test_images, seed=SUBSET_SEED)
        self.train_batches = len(self.train_set) if budget.max_train_batches is None else min(
            len(self.train_set), budget.max_train_batches)
        self.test_batches = budget.max_test_batches
        self.num_train_images = self._images(self.train_set, budget.max_train_batches)
        self.num_test_images = self._images(self.test_set, budget.max_test_batches)

    def _images(self, batches, max_batches) -> int:
        n = batches.num_images
        if max_batches is not None:
            n = min(n, max_batches * batches.batch_size)
        return n - n % self.world_size

    def chance(self) -> float:
        """Test accuracy of always answering the test images' most common class."""
        labels = self.test_set.labels[:self.num_test_images]
        return torch.bincount(labels.cpu()).max().item() / max(len(labels), 1)

    def announcement(self, where: str) -> str:
        """The line a training call starts with; `where` names the device and precision."""
        b, n = self.budget, self.world_size
        epochs = (f"{self.epochs} epoch{'s' if self.epochs > 1 else ''}"
                  if self.epochs == self.requested_epochs
                  else f"{self.epochs} of {self.requested_epochs} epochs")
        line = (f"budget {b.name}: {epochs} on {_share(self.num_train_images, self.data.num_train, n)} "
                f"training images, tested on {_share(self.num_test_images, self.data.num_test, n)} "
                f"test images ({where}).")
        if b.name != "full":
            line += f"\n  {b.name} = {b.meaning}; COURSE_BUDGET=full runs the chapter as written."
        return wrap(line)


#: The widest line a training call prints: the book's code column at 1280 px holds 99 characters.
COLUMN = 99


def wrap(text: str) -> str:
    """`text` broken into lines of at most `COLUMN` characters; each of its lines keeps its
    indentation, and what continues it is indented two spaces more."""
    def fill(line):
        indent = line[:len(line) - len(line.lstrip())]
        return textwrap.fill(line.strip(), COLUMN, initial_indent=indent,
                             subsequent_indent=indent + "  ", break_on_hyphens=False)
    return "\n".join(fill(line) for line in text.split("\n"))


def _share(used: int, total: int, world_size: int) -> str:
    return f"all {total:,}" if used >= total - (world_size - 1) else f"{used:,} of {total:,}"
