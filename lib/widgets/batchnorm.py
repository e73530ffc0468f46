"""Widget of chapters/09_batchnorm.ipynb: how well batch norm's running statistics estimate the
statistics that inference needs, by batch size and momentum.

One feature of a layer is followed through a short training run. At step t its values are
normal with mean mu_t = 1 + drift * t (the layer's weights keep changing, so its mean moves)
and standard deviation 1. Each step draws a minibatch of `batch_size` values and updates the
running mean and variance with `lib.batchnorm.batch_norm`, exactly as a training step does;
inference at the end would use them in place of the feature's statistics at that moment. RUNS
independent runs go side by side (as RUNS features of one layer), so that the errors are
measured, not sampled once; every combination of the controls starts from the same seed.

Where the running mean's error comes from, with momentum a and m values per minibatch:
- noise: a minibatch mean strays by 1/sqrt(m); the running mean averages about 2/a - 1
  minibatches, so it strays by sqrt(a / (2 - a) / m) once its start is forgotten;
- bias: it starts at 0 and keeps (1 - a)^t of that after t steps, and under a drift of d per
  step it trails the current mean by d (1 - a) / a.
Momentum 1 keeps only the last minibatch's statistics.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

import torch

from lib.batchnorm import batch_norm
from lib.checks import integer, number
from lib.html_table import table

#: Steps of the simulated run, and the independent runs measured side by side.
STEPS, RUNS = 200, 100
#: The feature's mean at step 0 (its standard deviation is 1 throughout).
START_MEAN = 1.0
SEED = 0

CONTROLS = {"batch_size": [2, 8, 32, 128, 512], "momentum": [0.001, 0.01, 0.1, 0.5, 1.0],
            "drift": [0.0, 0.01]}
DEFAULTS = {"batch_size": 32, "momentum": 0.1, "drift": 0.01}
LABELS = {"batch_size": "batch size m", "momentum": "momentum a",
          "drift": "drift d of the mean per step"}
#: The (smallest, largest) value of each argument `running_statistics` accepts.
RANGES = {"batch_size": (2, 2048), "momentum": (0.0, 1.0), "drift": (0.0, 0.1)}


@dataclass
class RunningStatistics:
    batch_size: int
    momentum: float
    drift: float
    true_mean: list[float]       # mu_t, per step
    batch_mean: list[float]      # each minibatch's mean (the first run)
    running_mean: list[float]    # after each step's update (the first run)
    mean_error: float            # root mean square over the runs of (running mean - mu), at the end
    var_error: float             # the same for (running variance - 1)
    bias: float                  # mu - E[running mean] at the end

    @property
    def noise(self) -> float:
        """Standard deviation of the running mean at the end."""
        a, m = self.momentum, self.batch_size
        return math.sqrt(a / (2 - a) * (1 - (1 - a) ** (2 * STEPS)) / m)

    @property
    def memory(self) -> float:
        """About how many minibatches the running average is made of."""
        return min(2 / self.momentum - 1, STEPS)

    def _repr_html_(self) -> str:
        m, a = self.batch_size, self.momentum
        rows = [
            ["one minibatch's mean strays by 1/√m", f"{1 / math.sqrt(m):.3f}"],
            [f"running mean: noise, √(a/(2−a)/m), an average of about {self.memory:,.0f} "
             f"minibatches", f"{self.noise:.3f}"],
            ["running mean: bias (what is left of its start at 0; the lag d(1−a)/a behind the "
             "drift)", f"{self.bias:.3f}"],
            ["<b>running mean's error at the end</b>, root mean square over "
             f"{RUNS} runs", f"<b>{self.mean_error:.3f}</b>"],
            ["<b>running variance's error at the end</b>, root mean square of v − 1",
             f"<b>{self.var_error:.3f}</b>"],
        ]
        note = ("In standard deviations of the feature; the plot shows the first run. The error "
                "is close to √(noise² + bias²). Momentum 1 keeps only the last minibatch: the "
                "statistics lecture 002's 'from the last batch' would use.")
        return (_plot(self) + table(["", "σ"], rows, numeric={1}, css_class="running-stats")
                + f"<p style='font-size:90%'>{html.escape(note)}</p>")


def running_statistics(batch_size: int = 32, momentum: float = 0.1,
                       drift: float = 0.01) -> RunningStatistics:
    """Follow one feature's running mean and variance through STEPS training steps of
    `batch_size` values each, updated with `momentum`, while its mean drifts by `drift`
    standard deviations per step; RUNS runs side by side."""
    integer("batch_size", batch_size, *RANGES["batch_size"])
    number("momentum", momentum, 0.0, 1.0, low_open=True)
    number("drift", drift, *RANGES["drift"])
    generator = torch.Generator().manual_seed(SEED)
    f64 = dict(dtype=torch.float64)
    gamma, beta = torch.ones(RUNS, **f64), torch.zeros(RUNS, **f64)
    running_mean, running_var = torch.zeros(RUNS, **f64), torch.ones(RUNS, **f64)
    expected = 0.0                                  # E[running mean]: the update without noise
    true_mean, batch_mean, first_run = [], [], []
    for t in range(STEPS):
        mu = START_MEAN + drift * t
        noise = torch.randn(batch_size, RUNS, generator=generator, **f64)
        x = mu + noise                                               # (m, RUNS)
        batch_norm(x, gamma, beta, running_mean, running_var, training=True, momentum=momentum)
        expected += momentum * (mu - expected)
        true_mean.append(mu)
        batch_mean.append(x[:, 0].mean().item())
        first_run.append(running_mean[0].item())
    mean_error = (running_mean - true_mean[-1]).square().mean().sqrt().item()
    var_error = (running_var - 1).square().mean().sqrt().item()
    return RunningStatistics(batch_size, momentum, drift, true_mean, batch_mean, first_run,
                             mean_error, var_error, true_mean[-1] - expected)


def _plot(r: RunningStatistics, width: int = 560, height: int = 190) -> str:
    """The true mean, each minibatch's mean and the running mean over the steps, as SVG."""
    left, right, top, bottom = 40, 10, 10, 28
    low, high = -1.0, 4.0
    inner_w, inner_h = width - left - right, height - top - bottom

    def xy(t, v):
        v = min(max(v, low), high)
        return (f"{left + inner_w * t / (STEPS - 1):.0f},"
                f"{top + inner_h * (high - v) / (high - low):.0f}")

    def line(values, colour, w=1.5, every=1):
        points = " ".join(xy(t * every, v) for t, v in enumerate(values))
        return f"<polyline fill='none' stroke='{colour}' stroke-width='{w}' points='{points}'/>"

    ticks = "".join(
        f"<text x='{left - 4}' y='{top + inner_h * (high - v) / (high - low) + 4:.0f}' "
        f"text-anchor='end'>{v:g}</text>" for v in (0, 1, 2, 3, 4))
    steps = "".join(f"<text x='{left + inner_w * t / (STEPS - 1):.0f}' y='{height - 12}' "
                    f"text-anchor='middle'>{t}</text>" for t in (0, 50, 100, 150, 199))
    legend = ("<text x='{0}' y='{1}' fill='#999'>minibatch mean</text>"
              "<text x='{2}' y='{1}' fill='#c44e52'>running mean</text>"
              "<text x='{3}' y='{1}' fill='#222'>true mean</text>").format(
        left + 8, top + 12, left + 120, left + 220)
    return (f"<svg width='{width}' height='{height}' style='font:11px sans-serif'>"
            f"<rect x='{left}' y='{top}' width='{inner_w}' height='{inner_h}' fill='none' "
            f"stroke='#ccc'/>{ticks}{steps}"
            f"<text x='{left + inner_w / 2:.0f}' y='{height - 1}' text-anchor='middle'>"
            f"training step</text>"
            f"{line(r.batch_mean[::2], '#bbb', 1, 2)}{line(r.true_mean, '#222')}"
            f"{line(r.running_mean, '#c44e52', 2)}{legend}</svg>")
