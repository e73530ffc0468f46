"""`python -m lib.train`: argparse's errors for bad values, an --out that cannot be written
reported before training, per-model defaults that learn, and checkpoints that are never lost."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lib import models
from lib.train import checkpoint, cli, OPTIMIZERS

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["--model", "lenet", "--data", "mnist_5k", "--budget", "smoke", "--quiet"]


def python_m_lib_train(*args, **kwargs):
    env = {**os.environ, "COURSE_DATA": "offline", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "lib.train", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "argument --epochs: '0'; valid: a positive integer"),
    (["--epochs", "2.5"], "argument --epochs: '2.5'; valid: a positive integer"),
    (["--lr", "-1"], "argument --lr: '-1'; valid: a positive number"),
    (["--lr", "nan"], "argument --lr: 'nan'; valid: a positive number"),
    (["--batch-size", "0"], "argument --batch-size: '0'; valid: a positive integer"),
    (["--weight-decay", "-0.1"], "argument --weight-decay: '-0.1'; valid: a number >= 0"),
    (["--seed", "-3"], "argument --seed: '-3'; valid: an integer >= 0"),
    (["--data", "mnist"], "argument --data: invalid choice: 'mnist' (choose from 'fashion_mnist', 'mnist_5k')"),
    (["--precision", "half"], "argument --precision: invalid choice: 'half'"),
    (["--model", "lenet5"], "argument --model: invalid choice: 'lenet5' (choose from 'lenet', 'alexnet'"),
])
def test_bad_values_get_argparse_errors(capsys, args, message):
    with pytest.raises(SystemExit) as exit:
        cli.parse(["--model", "lenet", *args])
    err = capsys.readouterr().err
    assert exit.value.code == 2 and f"python -m lib.train: error: {message}" in err


def test_a_bad_value_gives_no_traceback():
    result = python_m_lib_train("--model", "lenet", "--epochs", "0")
    out, err = result.communicate(timeout=120)
    assert result.returncode == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == "python -m lib.train: error: argument --epochs: '0'; valid: a positive integer"


def test_an_unwritable_out_is_reported_before_training(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    result = python_m_lib_train("--model", "lenet", "--out", str(blocker / "runs"))
    out, err = result.communicate(timeout=120)
    assert result.returncode == 2 and out == "", "nothing trained, not even the budget line"
    assert f"error: --out {blocker / 'runs'}: cannot write there" in err


def test_every_model_has_defaults_and_the_command_line_overrides_them():
    assert set(cli.DEFAULTS) <= set(models.names())
    for name in models.names():
        d = cli.defaults(name)
        assert d["optimizer"] in OPTIMIZERS and d["lr"] > 0 and d["batch_size"] >= 1, name
    lenet = cli.defaults("lenet")
    args = cli.parse(["--model", "lenet", "--out", "runs"])
    assert (args.optimizer, args.lr, args.batch_size) == (lenet["optimizer"], lenet["lr"], lenet["batch_size"])
    args = cli.parse(["--model", "lenet", "--optimizer", "sgd", "--lr", "0.2", "--batch-size", "32",
                      "--out", "runs"])
    assert (args.optimizer, args.lr, args.batch_size) == ("sgd", 0.2, 32)


def test_lenet_learns_with_the_command_line_defaults(tmp_path, monkeypatch):
    """The sigmoid LeNet sat at chance with the old defaults (plain SGD at 0.1); every model is
    checked by scripts/train_every_model.py, too long for CI."""
    monkeypatch.setenv("COURSE_DATA", "offline")
    cli.main(["--model", "lenet", "--budget", "quick", "--quiet", "--out", str(tmp_path)])
    history = json.loads((tmp_path / "lenet.json").read_text())["history"]
    assert history["diagnosis"] == "" and history["test_acc"][-1] > 0.5, history["test_acc"]


def test_a_failed_run_keeps_the_good_checkpoint(tmp_path, capsys):
    cli.main([*SMOKE, "--out", str(tmp_path)])
    good = {p.name: p.read_bytes() for p in tmp_path.glob("lenet.*")}
    assert set(good) == {"lenet.pt", "lenet.json"}
    cli.main([*SMOKE, "--lr", "1e6", "--out", str(tmp_path)])
    assert "the weights are not saved (training diverged)" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in tmp_path.glob("lenet.p*")} == {"lenet.pt": good["lenet.pt"]}
    assert (tmp_path / "lenet.json").read_bytes() == good["lenet.json"]
    failed = json.loads((tmp_path / "lenet.failed.json").read_text(), parse_constant=float.__call__)
    assert failed["history"]["diagnosis"] == "diverged" and failed["lr"] == 1e6


def test_an_interrupt_while_saving_keeps_the_good_checkpoint(tmp_path, monkeypatch):
    cli.main([*SMOKE, "--out", str(tmp_path)])
    good = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def interrupted(obj, f):
        f.write(b"PK\x03\x04 a few bytes of a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli.main([*SMOKE, "--seed", "1", "--out", str(tmp_path)])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == good


def test_two_runs_into_one_folder_never_mix(tmp_path):
    runs = [python_m_lib_train(*SMOKE, "--batch-size", "512", "--seed", str(seed), "--out", str(tmp_path))
            for seed in (1, 2)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-2000:]
    saved = torch.load(tmp_path / "lenet.pt")
    record = json.loads((tmp_path / "lenet.json").read_text())
    assert saved["record"] == record and record["seed"] in (1, 2)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
