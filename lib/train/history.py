"""What a training call measured, epoch by epoch."""
from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field

from lib.train.precision import describe


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
    precision: str = "float32"  # float32, or the 16-bit type of mixed precision
    num_train_images: int = 0   # training images per epoch
    num_test_images: int = 0
    world_size: int = 1
    chance: float = 0.0         # test accuracy of always answering the most common class
    diagnosis: str = ""         # "", or "non-finite", "diverged", "chance": what went wrong
    notes: list[str] = field(default_factory=list)  # the messages that explain it

    def append(self, epoch: int, train_loss: float, train_acc: float, test_acc: float,
               images_per_s: float, seconds: float):
        """Records one epoch."""
        self.epoch.append(epoch)
        self.train_loss.append(train_loss)
        self.train_acc.append(train_acc)
        self.test_acc.append(test_acc)
        self.images_per_s.append(images_per_s)
        self.seconds.append(seconds)

    @property
    def throughput(self) -> float:
        """Median training images per second over the epochs (0 before any epoch)."""
        return statistics.median(self.images_per_s) if self.images_per_s else 0.0

    @property
    def failed(self) -> bool:
        """True when training was stopped because its loss became non-finite or diverged."""
        return self.diagnosis in ("non-finite", "diverged")

    def to_dict(self) -> dict:
        """The fields as JSON-ready values: a non-finite number becomes None (JSON's null)."""
        def finite(value):
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return [finite(v) for v in value] if isinstance(value, list) else value
        return {key: finite(value) for key, value in asdict(self).items()}

    def plot(self, ax=None):
        from lib.plot import training_curves
        return training_curves(self, ax=ax)

    def summary(self) -> str:
        """The final epoch's figures, the device and the precision (no timing: a page shows
        this line, and speed measured on a busy machine would mislead)."""
        if not self.epoch:
            return "no epoch trained"
        processes = f", {self.world_size} processes" if self.world_size > 1 else ""
        return (f"loss {self.train_loss[-1]:.3f}, train acc {self.train_acc[-1]:.3f}, "
                f"test acc {self.test_acc[-1]:.3f} after {self.epoch[-1]} epoch"
                f"{'s' if self.epoch[-1] > 1 else ''} ({self.device}, "
                f"{describe(self.precision)}{processes})")

    def __repr__(self):
        return f"History({self.summary()})"
