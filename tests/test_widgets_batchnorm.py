"""The running-statistics explorer of chapter 9 against the formulas its docstring states."""
import math

import pytest

from lib.widgets import batchnorm as w
from lib.widgets import render


@pytest.mark.parametrize("batch_size, momentum", [(8, 0.1), (32, 0.1), (128, 0.5), (32, 1.0)])
def test_without_drift_the_error_is_the_predicted_noise(batch_size, momentum):
    r = w.running_statistics(batch_size, momentum, drift=0.0)
    assert abs(r.bias) < 1e-9                        # the start at 0 is forgotten after 200 steps
    assert r.mean_error == pytest.approx(r.noise, rel=0.25)   # 100 runs: about 7 % sampling error
    if momentum == 1.0:
        assert r.noise == pytest.approx(1 / math.sqrt(batch_size))


def test_drift_makes_the_running_mean_lag_by_d_one_minus_a_over_a():
    r = w.running_statistics(512, 0.1, drift=0.01)
    assert r.bias == pytest.approx(0.01 * 0.9 / 0.1, rel=1e-6)
    assert r.mean_error == pytest.approx(math.hypot(r.noise, r.bias), rel=0.1)
    assert r.true_mean[-1] == pytest.approx(w.START_MEAN + 0.01 * (w.STEPS - 1))


def test_small_momentum_has_not_forgotten_its_start():
    r = w.running_statistics(32, 0.001, drift=0.0)
    assert r.bias == pytest.approx(w.START_MEAN * (1 - 0.001) ** w.STEPS, rel=1e-6)
    assert r.mean_error > 0.5


def test_larger_batches_give_smaller_errors_and_the_page_renders():
    errors = [w.running_statistics(m, 0.1, 0.0).mean_error for m in w.CONTROLS["batch_size"]]
    assert errors == sorted(errors, reverse=True)
    page = render(w.running_statistics, w.DEFAULTS)
    assert "<svg" in page and "running mean" in page and "Traceback" not in page


def test_bad_values_are_named():
    with pytest.raises(ValueError, match="momentum=0 must be in"):
        w.running_statistics(momentum=0)
    with pytest.raises(ValueError, match="batch_size=1 must be an integer from 2"):
        w.running_statistics(batch_size=1)
