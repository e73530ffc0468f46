"""Runs that go wrong say so, and nothing is lost: non-finite and diverging losses stop
training, a run at chance is reported, checkpoints are whole or absent, and the loop keeps
no float64 on devices that have none (Apple's MPS)."""
import contextlib
import json
import math

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from lib import data as datasets, models, train
from lib.train import checkpoint, precision
from tests.test_train import linear, tiny_data


@pytest.fixture(scope="module")
def digits():
    return datasets.load("mnist_5k", batch_size=64, device="cpu")


def strict_json(history) -> dict:
    return json.loads(json.dumps(history.to_dict(), allow_nan=False))


class NaNAfter(nn.Module):
    """A linear model whose output turns to NaN from its `after`-th call on."""

    def __init__(self, after=1):
        super().__init__()
        self.net, self.calls, self.after = linear(), 0, after

    def forward(self, x):
        self.calls += 1
        out = self.net(x)
        return out * math.nan if self.calls > self.after else out


def test_a_non_finite_loss_stops_training_and_the_history_stays_valid_json(capsys):
    h = train.fit(NaNAfter(), tiny_data(128), epochs=5, lr=0.1, budget="full", verbose=False)
    out = " ".join(capsys.readouterr().out.split())
    assert h.epoch == [1] and h.diagnosis == "non-finite" and h.failed
    assert "epoch 1: the training loss is nan; training stopped. A smaller learning rate than 0.1" in out
    assert strict_json(h)["train_loss"] == [None]


def test_divergence_is_reported_and_stops_training(capsys, digits):
    torch.manual_seed(0)
    h = train.fit(models.create("lenet"), digits, epochs=3, lr=1e6, budget="full", verbose=False)
    out = capsys.readouterr().out
    assert h.epoch == [1] and h.diagnosis == "diverged" and h.failed
    assert ("far above 2.30, the loss of guessing uniformly among 10 classes: training diverged"
            in " ".join(out.split()))
    assert len(h.notes) == 1 and " ".join(h.notes[0].split()) in " ".join(out.split())
    assert max(len(line) for line in out.splitlines()) <= 99


class Guess(nn.Module):
    """Ignores its input: the best it can learn is to answer the most common class."""

    def __init__(self, classes=5):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(classes))

    def forward(self, x):
        return self.bias.expand(len(x), -1)


def test_a_run_at_chance_says_so(capsys):
    data = tiny_data(256, n_test=200)
    h = train.fit(Guess(), data, epochs=2, lr=0.1, budget="full", verbose=False)
    majority = torch.bincount(data.test.labels).max().item() / 200
    assert h.chance == majority and max(h.test_acc) <= majority
    assert h.diagnosis == "chance" and not h.failed and h.epoch == [1, 2]
    assert (f"the test accuracy stayed at chance: at best {max(h.test_acc):.3f}, where always "
            f"answering the most common class scores {majority:.3f}") in " ".join(capsys.readouterr().out.split())


def test_the_smoke_budget_does_not_judge_learning(capsys):
    h = train.fit(Guess(), tiny_data(256), epochs=2, lr=0.1, budget="smoke", verbose=False)
    assert h.diagnosis == "" and "chance" not in capsys.readouterr().out


# --- Devices without float64 ------------------------------------------------------------------

class NoFloat64(TorchDispatchMode):
    """Fails any operation that makes a float64 tensor, as MPS would."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else [out]:
            if isinstance(t, torch.Tensor) and t.dtype == torch.float64:
                raise TypeError(f"{func} made a float64 tensor")
        return out


def test_mps_gets_float32_accumulators():
    assert precision.accumulator_dtype(torch.device("mps")) == torch.float32
    assert precision.accumulator_dtype(torch.device("cpu")) == torch.float64


def test_the_loop_runs_without_float64_where_the_device_has_none(monkeypatch, digits):
    """The device-independent part of training on MPS, on the CPU: with the accumulators MPS
    gets, no operation of the loop makes a float64 tensor, and the figures are those of a
    float64 run to float32 rounding."""
    histories = []
    for dtype in (torch.float64, torch.float32):
        monkeypatch.setattr(precision, "accumulator_dtype", lambda device: dtype)
        torch.manual_seed(0)
        net = models.create("lenet", activation="relu", pool="max")
        with NoFloat64() if dtype == torch.float32 else contextlib.nullcontext():
            histories.append(train.fit(net, digits, epochs=1, lr=1e-3, optimizer="adam",
                                       budget="smoke", precision="float32", verbose=False))
    wide, narrow = histories
    assert narrow.train_loss == pytest.approx(wide.train_loss, rel=1e-6)
    assert (narrow.train_acc, narrow.test_acc) == (wide.train_acc, wide.test_acc)


# --- Checkpoint files -------------------------------------------------------------------------

def test_an_interrupted_write_leaves_the_old_file_and_no_debris(tmp_path):
    path = tmp_path / "net.pt"
    path.write_bytes(b"the good checkpoint")

    def interrupted(f):
        f.write(b"half a check")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        checkpoint.atomic_write(path, interrupted)
    assert path.read_bytes() == b"the good checkpoint"
    assert [p.name for p in tmp_path.iterdir()] == ["net.pt"]


def test_weights_and_record_are_written_as_a_pair(tmp_path):
    net = linear()
    weights, summary = checkpoint.save(tmp_path, "net", {"state_dict": net.state_dict()},
                                       {"run_id": "abc", "seed": 3})
    saved = torch.load(weights)
    assert saved["record"] == json.loads(summary.read_text()) == {"run_id": "abc", "seed": 3}
    assert torch.equal(saved["state_dict"]["1.weight"], net[1].weight)
    assert oct(weights.stat().st_mode & 0o777) == oct(summary.stat().st_mode & 0o777)
    assert weights.stat().st_mode & 0o044, "readable by others as files normally are"


def test_a_record_with_nan_is_refused_rather_than_written_as_invalid_json(tmp_path):
    with pytest.raises(ValueError):
        checkpoint.save_record(tmp_path / "bad.json", {"loss": math.nan})
    assert list(tmp_path.iterdir()) == []
