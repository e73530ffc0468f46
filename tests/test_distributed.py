"""`python -m lib.train` under torchrun: two CPU processes (gloo) train as one."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lib import data as datasets, models, train

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--model", "lenet", "--data", "mnist_5k", "--epochs", "1", "--batch-size", "64",
        "--budget", "full", "--lr", "3e-3", "--optimizer", "adam", "--seed", "3",
        "--precision", "float32", "--quiet"]


def torchrun():
    exe = shutil.which("torchrun")
    return [exe] if exe else [sys.executable, "-m", "torch.distributed.run"]


@pytest.fixture(scope="module")
def distributed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COURSE_DATA": "offline"}
    result = subprocess.run(
        [*torchrun(), "--standalone", "--nproc_per_node", "2", "-m", "lib.train", *ARGS,
         "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, json.loads((out / "lenet.json").read_text()), torch.load(out / "lenet.pt")


def test_only_rank_zero_prints(distributed_run):
    result, record, _ = distributed_run
    lines = result.stdout.strip().splitlines()
    assert lines[0] == ("budget full: 1 epoch on all 4,000 training images, tested on all 1,000 "
                        "test images (cpu, float32).")
    assert len(lines) == 2 and lines[1].startswith("wrote ")
    assert record["history"]["world_size"] == 2


def test_both_ranks_end_with_identical_weights(distributed_run):
    _, record, _ = distributed_run
    assert record["replica_max_abs_diff"] == 0.0


def test_two_processes_match_one_on_the_same_global_batch(distributed_run):
    _, record, checkpoint = distributed_run
    data = datasets.load("mnist_5k", batch_size=64, device="cpu", seed=3)
    torch.manual_seed(3)
    net = models.create("lenet")
    start = {k: v.clone() for k, v in net.state_dict().items()}
    history = train.fit(net, data, epochs=1, lr=3e-3, optimizer="adam", budget="full", seed=3,
                        device="cpu", precision="float32", verbose=False)
    moved = max((net.state_dict()[k] - start[k]).abs().max().item() for k in start)
    assert moved > 1e-2, "the run must move the weights for the comparison to mean anything"
    for k, v in net.state_dict().items():
        torch.testing.assert_close(checkpoint["state_dict"][k], v, atol=1e-5, rtol=1e-4)
    ddp = record["history"]
    assert ddp["train_loss"] == pytest.approx(history.train_loss, rel=1e-5)
    assert ddp["train_acc"] == pytest.approx(history.train_acc, abs=1 / 4000)
    assert ddp["test_acc"] == pytest.approx(history.test_acc, abs=1 / 1000)
    assert ddp["num_train_images"] == history.num_train_images == 4000
