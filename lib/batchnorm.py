"""Batch normalization (Ioffe & Szegedy, ICML 2015, arXiv:1502.03167), written from scratch.

Explained in chapters/09_batchnorm.ipynb, where each function is checked against
`torch.nn.BatchNorm1d`/`BatchNorm2d`, autograd and `torch.nn.utils.fusion.fuse_conv_bn_eval`.

Algorithm 1 of the paper, over a minibatch B = {x_1 ... x_m} of the values of one activation:

    mu_B      = 1/m sum_i x_i                       minibatch mean
    sigma_B^2 = 1/m sum_i (x_i - mu_B)^2            minibatch variance (over m, not m - 1)
    x_hat_i   = (x_i - mu_B) / sqrt(sigma_B^2 + eps)
    y_i       = gamma x_hat_i + beta

Which values share one mu_B: those of one feature of a dense layer over the m examples (input
(N, C)), and those of one channel of a convolution over the examples *and* every position
(input (N, C, H, W), m = N*H*W). So there is one (gamma, beta, mean, variance) per feature or
per channel: every axis but axis 1 is averaged over.

At inference the minibatch's statistics are replaced by estimates of the population's, kept
during training as running averages (`momentum`), the variance with Bessel's m/(m - 1).
With `momentum=None` the running averages are plain means over every batch seen, as the paper's
Algorithm 2 computes them after training.

Also here: the backward pass by hand, folding a batch norm into the convolution before it, the
deep plain CNN the chapter trains with and without normalisation, and the measurements the
chapter makes on it.
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from lib.checks import integer, number, one_of, positive


def _axes_and_shape(x: torch.Tensor):
    """The axes averaged over (all but the channel axis 1) and the shape that broadcasts a
    per-channel vector against x."""
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"batch norm needs an input of shape (N, C) or (N, C, ...), got {shape}")
    axes = [0] + list(range(2, x.dim()))
    return axes, (1, -1) + (1,) * (x.dim() - 2)


def values_per_channel(x: torch.Tensor) -> int:
    """m of Algorithm 1: how many values of x one mean and one variance are taken over."""
    return x.numel() // x.shape[1]


def batch_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor,
               running_mean: torch.Tensor | None = None, running_var: torch.Tensor | None = None,
               training: bool = True, momentum: float | None = 0.1, eps: float = 1e-5,
               num_batches_tracked: torch.Tensor | None = None) -> torch.Tensor:
    """Algorithm 1 in training (updating the running statistics, if given, in place);
    in evaluation, the same transform with the running statistics instead of the batch's.

    x: (N, C) or (N, C, ...); gamma, beta, running_mean, running_var: (C,).
    Running averages: new = (1 - momentum) * old + momentum * batch statistic; momentum=None
    averages every batch equally (it needs `num_batches_tracked`).
    """
    axes, shape = _axes_and_shape(x)
    if training:
        m = values_per_channel(x)
        if m < 2:
            raise ValueError(f"batch norm in training needs more than one value per channel, got "
                             f"input shape {tuple(x.shape)}: the variance of one value is 0")
        mu = x.mean(axes)                                        # (C,)
        var = ((x - mu.view(shape)) ** 2).mean(axes)             # (C,), over m
        if running_mean is not None:
            with torch.no_grad():
                if momentum is None:
                    num_batches_tracked += 1
                    weight = 1.0 / float(num_batches_tracked)
                else:
                    weight = momentum
                    if num_batches_tracked is not None:
                        num_batches_tracked += 1
                running_mean.lerp_(mu.to(running_mean.dtype), weight)
                running_var.lerp_((var * m / (m - 1)).to(running_var.dtype), weight)
    else:
        if running_mean is None:
            raise ValueError("batch norm in evaluation needs the running mean and variance")
        mu, var = running_mean, running_var
    x_hat = (x - mu.view(shape)) / torch.sqrt(var.view(shape) + eps)
    return gamma.view(shape) * x_hat + beta.view(shape)


def batch_norm_backward(grad_out: torch.Tensor, x: torch.Tensor, gamma: torch.Tensor,
                        eps: float = 1e-5):
    """dE/dx, dE/dgamma, dE/dbeta of batch norm in training, by the chain rule as the paper
    writes it (Section 3), from dE/dy = `grad_out`:

        dE/dx_hat   = dE/dy * gamma
        dE/dvar     = sum_i dE/dx_hat_i (x_i - mu) * (-1/2) (var + eps)^(-3/2)
        dE/dmu      = sum_i dE/dx_hat_i * (-1 / sqrt(var + eps))
        dE/dx_i     = dE/dx_hat_i / sqrt(var + eps) + dE/dvar * 2 (x_i - mu) / m + dE/dmu / m
        dE/dgamma   = sum_i dE/dy_i x_hat_i,        dE/dbeta = sum_i dE/dy_i
    """
    axes, shape = _axes_and_shape(x)
    m = values_per_channel(x)
    mu = x.mean(axes).view(shape)
    var = ((x - mu) ** 2).mean(axes).view(shape)
    inv_std = 1 / torch.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    d_x_hat = grad_out * gamma.view(shape)
    d_var = (d_x_hat * (x - mu)).sum(axes, keepdim=True) * -0.5 * inv_std ** 3
    d_mu = (d_x_hat * -inv_std).sum(axes, keepdim=True)  # + d_var * mean(-2 (x - mu)) = 0
    d_x = d_x_hat * inv_std + d_var * 2 * (x - mu) / m + d_mu / m
    return d_x, (grad_out * x_hat).sum(axes), grad_out.sum(axes)


class BatchNorm(nn.Module):
    """`batch_norm` as a layer, for (N, C) inputs (like `nn.BatchNorm1d`) and (N, C, H, W) ones
    (like `nn.BatchNorm2d`), with the same parameters, buffers and state_dict keys."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__()
        integer("num_features", num_features)
        positive("eps", eps)
        if momentum is not None:
            number("momentum", momentum, 0, 1, hint=" (or None: a plain mean of every batch)")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))   # gamma
        self.bias = nn.Parameter(torch.zeros(num_features))    # beta
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x):
        if isinstance(x, torch.Tensor) and x.dim() >= 2 and x.shape[1] != self.num_features:
            raise ValueError(f"input of shape {tuple(x.shape)} has {x.shape[1]} channels; this "
                             f"batch norm has num_features={self.num_features}")
        return batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var,
                          self.training, self.momentum, self.eps, self.num_batches_tracked)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class NoisyBatchNorm2d(nn.BatchNorm2d):
    """Batch norm followed, in training, by a random scale and shift per channel, drawn again at
    every step: y = s * BN(x) + t, with log s uniform in [-log scale, log scale] and t uniform
    in [-shift, shift]. The distribution each next layer sees changes from one step to the next
    on purpose: the experiment of Santurkar et al. (2018, Section 2.1). The identity noise
    (s = 1, t = 0) in evaluation."""

    def __init__(self, num_features: int, scale: float = 2.0, shift: float = 1.0, **kwargs):
        super().__init__(num_features, **kwargs)
        self.scale = number("scale", scale, 1)
        self.shift = number("shift", shift, 0)

    def forward(self, x):
        y = super().forward(x)
        if not self.training:
            return y
        c = self.num_features
        log_s = (torch.rand(c, device=x.device) * 2 - 1) * math.log(self.scale)
        t = (torch.rand(c, device=x.device) * 2 - 1) * self.shift
        return y * log_s.exp().view(1, c, 1, 1).to(y.dtype) + t.view(1, c, 1, 1).to(y.dtype)

    def extra_repr(self):
        return f"{super().extra_repr()}, scale={self.scale}, shift={self.shift}"


# --- Folding batch norm into the convolution before it, for inference ---------------------------

def fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """One convolution computing bn(conv(x)) in evaluation mode.

    With s = gamma / sqrt(running_var + eps), per output channel o:
        w'_o = s_o w_o,        b'_o = beta_o + s_o (b_o - running_mean_o)    (b_o = 0 without bias)
    """
    if not isinstance(conv, nn.Conv2d) or not isinstance(bn, (nn.BatchNorm2d, BatchNorm)):
        raise ValueError(f"fold takes an nn.Conv2d and the batch norm after it, got "
                         f"{type(conv).__name__} and {type(bn).__name__}")
    if conv.out_channels != bn.num_features:
        raise ValueError(f"the convolution has {conv.out_channels} output channels but the batch "
                         f"norm normalises {bn.num_features}")
    if bn.running_mean is None:
        raise ValueError("a batch norm without running statistics (track_running_stats=False) "
                         "normalises with every batch's own statistics: it cannot be folded")
    folded = copy.deepcopy(conv)
    with torch.no_grad():
        s = bn.weight / torch.sqrt(bn.running_var + bn.eps)                    # (O,)
        b = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        folded.weight.copy_(conv.weight * s.view(-1, 1, 1, 1))
        folded.bias = nn.Parameter(bn.bias + s * (b - bn.running_mean))
    return folded.eval()


def fold_model(model: nn.Module, example: torch.Tensor) -> nn.Module:
    """A copy of `model` for inference in which every batch norm that reads a convolution's
    output is folded into that convolution and replaced by the identity.

    The pairs are found by running `example` (a batch of inputs) through the model and
    matching each batch norm's input with the convolution output it is; the folded copy must
    then give the same output on `example`, else a ValueError says so (a convolution whose
    output also goes somewhere else than its batch norm cannot be folded)."""
    model = copy.deepcopy(model).eval()
    produced, pairs = {}, []

    def remember(name):
        return lambda module, inputs, output: produced.__setitem__(id(output), name)

    def pair(name):
        def hook(module, inputs):
            if id(inputs[0]) in produced:
                pairs.append((produced[id(inputs[0])], name))
        return hook

    hooks = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(remember(name)))
        elif isinstance(m, (nn.BatchNorm2d, BatchNorm)):
            hooks.append(m.register_forward_pre_hook(pair(name)))
    with torch.no_grad():
        expected = model(example)
    for h in hooks:
        h.remove()
    for conv_name, bn_name in pairs:
        _replace(model, conv_name, fold(model.get_submodule(conv_name),
                                        model.get_submodule(bn_name)))
        _replace(model, bn_name, nn.Identity())
    with torch.no_grad():
        error = (model(example) - expected).abs().max().item()
    if error > 1e-4 * max(1.0, expected.abs().max().item()):
        raise ValueError(f"the folded model's output differs by {error:.3g} from the model's: a "
                         f"folded convolution's output is used elsewhere than its batch norm")
    return model


def _replace(model: nn.Module, name: str, new: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, new)


# --- The deep plain network of the chapter ------------------------------------------------------

# Three stages at 28x28, 14x14 and 7x7 (a 2x2 max-pool between them), each of `depth // 3` 3x3
# convolutions of the stage's width; a 1x1 convolution from the input to the first width before
# them, global average pooling and one dense layer after.
WIDTHS = (16, 32, 64)
NORMS = (None, "batch", "noisy_batch")


class DeepCNN(nn.Module):
    """A plain (no shortcut) deep CNN for 28x28 images, with or without batch norm.

    Args:
        depth: 3x3 convolutions, a multiple of 3 (one third per stage).
        norm: None (convolution with bias, ReLU), "batch" (convolution without bias, batch
            norm, ReLU) or "noisy_batch" (`NoisyBatchNorm2d`).
        widths: channels of the three stages.
        in_channels, num_classes: of the images and the labels.
    All convolutions are initialised as He et al. (2015) recommend for ReLU networks, so the
    network without normalisation starts with activations of a stable scale too.
    """

    def __init__(self, depth: int = 12, norm: str | None = "batch", widths=WIDTHS,
                 in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        integer("depth", depth, 3, 60)
        if depth % 3:
            raise ValueError(f"depth={depth} must be a multiple of 3: one third per stage")
        one_of("norm", norm, NORMS)
        widths = tuple(integer(f"widths[{i}]", w) for i, w in enumerate(widths))
        if len(widths) != 3:
            raise ValueError(f"widths={widths} must name the channels of 3 stages")
        integer("in_channels", in_channels)
        integer("num_classes", num_classes)
        self.depth, self.norm = depth, norm
        layers = [nn.Conv2d(in_channels, widths[0], 1)]                      # (B, w0, 28, 28)
        c_in = widths[0]
        for stage, width in enumerate(widths):
            if stage:
                layers.append(nn.MaxPool2d(2))                               # halves H and W
            for _ in range(depth // 3):
                layers += conv_norm_relu(c_in, width, norm)
                c_in = width
        self.features = nn.Sequential(*layers)                               # (B, w2, 7, 7)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(c_in, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.head(self.features(x))


def conv_norm_relu(c_in: int, c_out: int, norm: str | None) -> list[nn.Module]:
    """A 3x3 convolution, its normalisation, a ReLU. Before a batch norm the convolution has no
    bias: the norm subtracts the mean, bias and all, and beta takes its place."""
    conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=norm is None)
    if norm is None:
        return [conv, nn.ReLU(inplace=True)]
    bn = nn.BatchNorm2d(c_out) if norm == "batch" else NoisyBatchNorm2d(c_out)
    return [conv, bn, nn.ReLU(inplace=True)]


# --- Measurements ----------------------------------------------------------------------------

def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The convolutions and dense layers of `model`, in order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def layer_statistics(model: nn.Module, X: torch.Tensor, y: torch.Tensor):
    """Per weight layer, in one training-mode forward and backward pass on (X, y) (on a copy:
    the model's running statistics are left alone): the standard deviation of its output and
    the norm of its weight's gradient. Returns (names, output stds, gradient norms)."""
    model = copy.deepcopy(model).train()
    layers = weight_layers(model)
    outputs = {}
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: outputs.__setitem__(n, o.detach()))
             for n, m in layers]
    F.cross_entropy(model(X), y).backward()
    for h in hooks:
        h.remove()
    names = [n for n, _ in layers]
    return (names, [outputs[n].float().std().item() for n in names],
            [m.weight.grad.norm().item() for _, m in layers])


def gradient_shift(model: nn.Module, X: torch.Tensor, y: torch.Tensor, lr: float):
    """Internal covariate shift as Santurkar et al. (2018, Definition 2.1) measure it: for each
    weight layer i, how much its gradient on (X, y) changes when every layer before it takes
    its SGD step (learning rate `lr`) first. Returns (names, ||G - G'|| / ||G||, cos(G, G')).
    Works on copies: the model is left as it was."""
    positive("lr", lr)
    base = copy.deepcopy(model).train()
    state = copy.deepcopy(base.state_dict())
    layers = weight_layers(base)
    base.zero_grad()
    F.cross_entropy(base(X), y).backward()
    grads = [m.weight.grad.clone() for _, m in layers]
    steps = [[(p, p.grad.clone()) for p in m.parameters()] for _, m in layers]
    names, relative, cosine = [], [], []
    for i, (name, layer) in enumerate(layers):
        base.load_state_dict(state)
        with torch.no_grad():
            for earlier in steps[:i]:
                for p, g in earlier:
                    p -= lr * g
        base.zero_grad()
        F.cross_entropy(base(X), y).backward()
        g, g_new = grads[i].flatten(), layer.weight.grad.flatten()
        names.append(name)
        relative.append(((g - g_new).norm() / g.norm()).item())
        cosine.append(F.cosine_similarity(g, g_new, dim=0).item())
    base.load_state_dict(state)
    return names, relative, cosine


def batch_norms(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, (nn.modules.batchnorm._BatchNorm, BatchNorm))]


@torch.no_grad()
def statistics_error(model: nn.Module, X: torch.Tensor, batch_size: int):
    """How far minibatch statistics stray from the population's, per batch norm of `model`.

    X is split into minibatches of `batch_size`; each batch norm's input statistics on each
    minibatch (mu_B, sigma_B) are compared with those over all of X (mu, sigma), channel by
    channel. Returns (names, mean |mu_B - mu| / sigma, mean |sigma_B / sigma - 1|), averaged
    over channels and minibatches."""
    integer("batch_size", batch_size, 1, len(X))
    model = copy.deepcopy(model).eval()
    norms = batch_norms(model)
    inputs = {n: [] for n, _ in norms}
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: inputs[n].append(i[0].float()))
             for n, m in norms]
    batches = X[:len(X) // batch_size * batch_size].split(batch_size)
    for batch in batches:
        model(batch)
    for h in hooks:
        h.remove()
    names, mean_error, std_error = [], [], []
    for name, chunks in inputs.items():
        everything = torch.cat(chunks)
        axes, _ = _axes_and_shape(everything)
        mu, sigma = everything.mean(axes), everything.std(axes, unbiased=False)
        mu_b = torch.stack([c.mean(axes) for c in chunks])                   # (batches, C)
        sigma_b = torch.stack([c.std(axes, unbiased=False) for c in chunks])
        names.append(name)
        mean_error.append(((mu_b - mu).abs() / sigma).mean().item())
        std_error.append((sigma_b / sigma - 1).abs().mean().item())
    return names, mean_error, std_error


@torch.no_grad()
def batch_statistics_accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                              batch_size: int) -> float:
    """Accuracy on (X, y) when every batch norm normalises each minibatch of `batch_size` with
    that minibatch's own statistics, as in training, instead of the running ones. The model's
    running statistics are left as they are."""
    integer("batch_size", batch_size, 1, len(X))
    model = copy.deepcopy(model).train()
    for _, m in batch_norms(model):
        m.momentum = 0.0   # running = (1 - 0) * running + 0 * batch: unchanged
    correct = 0
    n = len(X) // batch_size * batch_size
    for xb, yb in zip(X[:n].split(batch_size), y[:n].split(batch_size)):
        correct += (model(xb).argmax(1) == yb).sum().item()
    return correct / n
