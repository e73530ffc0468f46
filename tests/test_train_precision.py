"""Precision: bfloat16 mixed precision where the device computes it natively, float32
elsewhere, an argument and COURSE_PRECISION to override it, and the same accuracy either way."""
import pytest
import torch
from torch import nn

from lib import data as datasets, models, train
from lib.train import precision

CPU, CUDA, MPS = torch.device("cpu"), torch.device("cuda"), torch.device("mps")


@pytest.mark.parametrize("native, expected", [(True, "bfloat16"), (False, "float32")])
def test_auto_on_the_cpu_follows_its_bfloat16_hardware(monkeypatch, native, expected):
    monkeypatch.delenv("COURSE_PRECISION", raising=False)
    monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda: native)
    assert precision.resolve(CPU) == precision.resolve(CPU, "auto") == expected


def test_cpu_detection_matches_what_pytorch_reports():
    reported = torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()
    assert precision.cpu_has_bfloat16() == reported


@pytest.mark.parametrize("bf16, expected", [(True, "bfloat16"), (False, "float16")])
def test_cuda_and_mps_keep_their_own_rules(monkeypatch, bf16, expected):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    assert precision.automatic(CUDA) == expected
    assert precision.resolve(CUDA, "float16") == "float16"
    assert precision.automatic(MPS) == "float32"
    assert not precision.channels_last(MPS)


def test_the_argument_overrides_the_environment_which_overrides_auto(monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda: True)
    monkeypatch.setenv("COURSE_PRECISION", "float32")
    assert precision.resolve(CPU) == "float32"
    assert precision.resolve(CPU, "bfloat16") == "bfloat16"
    assert precision.resolve(CPU, torch.float32) == "float32"
    monkeypatch.setenv("COURSE_PRECISION", "fp8")
    with pytest.raises(ValueError, match="COURSE_PRECISION='fp8'; valid: auto, float32, bfloat16, float16"):
        precision.resolve(CPU)


def test_bfloat16_runs_the_convolutions_and_keeps_float32_weights():
    digits = datasets.load("mnist_5k", batch_size=64, device="cpu")
    torch.manual_seed(0)
    net = models.create("lenet", activation="relu", pool="max")
    seen = set()
    net.features[0].register_forward_hook(lambda m, args, out: seen.add(out.dtype))
    h = train.fit(net, digits, epochs=1, lr=1e-3, optimizer="adam", budget="smoke",
                  precision="bfloat16", verbose=False)
    assert seen == {torch.bfloat16} and h.precision == "bfloat16"
    assert all(p.dtype == torch.float32 for p in net.parameters())


def test_bfloat16_costs_no_accuracy():
    """Two epochs on the digits from the same weights: the two precisions end within run-to-run
    noise of each other (on 1,000 test images, 1.5 points is about two standard errors at 0.9;
    benchmarks/precision_parity.py compares longer runs over several seeds)."""
    digits = datasets.load("mnist_5k", batch_size=128, device="cpu")
    accuracy = {}
    for name in ("float32", "bfloat16"):
        torch.manual_seed(0)
        net = models.create("lenet", activation="relu", pool="max")
        h = train.fit(net, digits, epochs=2, lr=2e-3, optimizer="adam", budget="full",
                      precision=name, verbose=False)
        accuracy[name] = h.test_acc[-1]
    assert accuracy["float32"] > 0.9, accuracy
    assert abs(accuracy["float32"] - accuracy["bfloat16"]) <= 0.015, accuracy


def test_evaluate_and_speed_use_the_same_precision():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    assert train.images_per_second(net, (1, 28, 28), batch_size=8, steps=1, warmup=1,
                                   precision="bfloat16") > 0
    assert train.matmul_flops("bfloat16", n=256, steps=2) > 0
