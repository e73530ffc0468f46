"""Backpropagation through convolution, pooling and activations, written out by hand.

Explained in chapters/02_backprop.ipynb, where every function here is checked against autograd.
Tensors are batched, (N, C, H, W). The gradients of a convolution are themselves convolutions,
computed with the forward operation `lib.ops.conv2d`; the only Python loops run over the k x k
offsets of a pooling window. The activations' derivatives are `lib.ops.sigmoid_grad`,
`tanh_grad` and `relu_grad`.

For a convolution layer (a cross-correlation, as in every deep-learning library) with input
o (N, C, H, W), weight w (O, C, k, k), stride s and output x (N, O, m, m),

    x[n, o, i, j] = b[o] + sum_{c, a, b} w[o, c, a, b] * o[n, c, s*i + a, s*j + b]

and the output gradient delta = dE/dx (N, O, m, m):

    dE/dw[o, c, a, b] = sum_{n, i, j} delta[n, o, i, j] * o[n, c, s*i + a, s*j + b]
                      = the cross-correlation of the input with the output gradient
    dE/do[n, c]       = sum_o (full convolution of delta[n, o] with w[o, c])
                      = the cross-correlation of the zero-padded delta with rot180(w)
    dE/db[o]          = sum_{n, i, j} delta[n, o, i, j]
"""
from __future__ import annotations

import math

import torch
from torch import nn

from lib import ops
from lib.checks import integer, one_of
from lib.geometry import conv_output_size


def _check_4d(name, t):
    if not isinstance(t, torch.Tensor) or t.dim() != 4:
        shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
        raise ValueError(f"{name} must be a 4-D tensor (N, C, H, W), got {shape}")


def rot180(w: torch.Tensor) -> torch.Tensor:
    """The kernel turned by 180 degrees: flipped upside down and left to right."""
    return w.flip(-2, -1)


def dilate(delta: torch.Tensor, stride: int) -> torch.Tensor:
    """Insert stride - 1 zeros between neighbouring entries of the last two dimensions.

    A stride-s convolution is a stride-1 convolution of which only every s-th output is kept;
    the outputs it skipped receive no gradient, which is what the zeros say.
    """
    integer("stride", stride)
    if stride == 1:
        return delta
    *lead, h, w = delta.shape
    out = delta.new_zeros(*lead, (h - 1) * stride + 1, (w - 1) * stride + 1)
    out[..., ::stride, ::stride] = delta
    return out


def _conv_output(input_size, kernel_size, stride, padding):
    return tuple(conv_output_size(n, kernel_size, padding, stride) for n in input_size)


def conv2d_weight_grad(x: torch.Tensor, grad_out: torch.Tensor, kernel_size: int, stride: int = 1,
                       padding: int = 0) -> torch.Tensor:
    """dE/dw (O, C, k, k): the cross-correlation of the padded input with the output gradient.

    The batch plays the part of the channels that are summed over, the input channels that of
    the batch: conv2d(o^T, delta^T) has shape (C, O, k, k), transposed back to (O, C, k, k).
    With stride s the output gradient is first dilated: the input rows between strided
    outputs met the kernel only through outputs that were never computed.
    """
    _check_4d("x", x)
    _check_4d("grad_out", grad_out)
    m = _conv_output(x.shape[-2:], kernel_size, stride, padding)
    if grad_out.shape[0] != x.shape[0] or tuple(grad_out.shape[-2:]) != m:
        raise ValueError(f"grad_out has shape {tuple(grad_out.shape)}, but a "
                         f"{kernel_size}x{kernel_size} convolution with stride {stride} and "
                         f"padding {padding} of x {tuple(x.shape)} "
                         f"gives outputs of shape ({x.shape[0]}, O, {m[0]}, {m[1]})")
    x = ops.pad2d(x, padding)
    g = ops.conv2d(x.transpose(0, 1), dilate(grad_out, stride).transpose(0, 1))  # (C, O, >=k, >=k)
    return g[..., :kernel_size, :kernel_size].transpose(0, 1)


def conv2d_input_grad(grad_out: torch.Tensor, w: torch.Tensor, input_size, stride: int = 1,
                      padding: int = 0) -> torch.Tensor:
    """dE/do (N, C, H, W): the full convolution of the output gradient with the kernel.

    A full convolution is a cross-correlation of the gradient, zero-padded by k - 1 on every
    side, with the kernel turned by 180 degrees; input and output channels swap roles, so the
    kernel is also transposed to (C, O, k, k). Rows of the padded input that no window reached
    (when (H + 2p - k) is not a multiple of s) get zero; the padding is cut off at the end.
    """
    _check_4d("grad_out", grad_out)
    _check_4d("w", w)
    k = w.shape[-1]
    h, wd = input_size
    m = _conv_output((h, wd), k, stride, padding)
    if grad_out.shape[1] != w.shape[0] or tuple(grad_out.shape[-2:]) != m:
        raise ValueError(f"grad_out has shape {tuple(grad_out.shape)}, but a {k}x{k} "
                         f"convolution with {w.shape[0]} output channels, stride {stride} and "
                         f"padding {padding} of a {h}x{wd} input gives outputs of shape "
                         f"(N, {w.shape[0]}, {m[0]}, {m[1]})")
    delta = ops.pad2d(dilate(grad_out, stride), k - 1)
    g = ops.conv2d(delta, rot180(w).transpose(0, 1))  # (N, C, (m-1)s + k, ...)
    hp, wp = h + 2 * padding, wd + 2 * padding
    full = g.new_zeros(*g.shape[:2], hp, wp)
    full[..., :g.shape[-2], :g.shape[-1]] = g
    return full[..., padding:padding + h, padding:padding + wd]


def conv2d_bias_grad(grad_out: torch.Tensor) -> torch.Tensor:
    """dE/db (O,): every output position of a channel used the same bias."""
    _check_4d("grad_out", grad_out)
    return grad_out.sum(dim=(0, 2, 3))


# --- Pooling --------------------------------------------------------------------------------

def _pool_geometry(input_size, kernel_size, stride):
    integer("kernel_size", kernel_size)
    stride = kernel_size if stride is None else stride
    integer("stride", stride)
    return stride, _conv_output(input_size, kernel_size, stride, 0)


def max_pool2d_backward(x: torch.Tensor, grad_out: torch.Tensor, kernel_size: int,
                        stride: int | None = None) -> torch.Tensor:
    """The gradient of max pooling: each window's gradient goes to the input that won the max.

    Overlapping windows (stride < kernel size) that share a winner add their gradients there.
    Ties go to the first maximum in reading order, as in PyTorch.
    """
    _check_4d("x", x)
    _check_4d("grad_out", grad_out)
    s, (mh, mw) = _pool_geometry(tuple(x.shape[-2:]), kernel_size, stride)
    if grad_out.shape[:2] != x.shape[:2] or tuple(grad_out.shape[-2:]) != (mh, mw):
        raise ValueError(f"grad_out has shape {tuple(grad_out.shape)}; "
                         f"{kernel_size}x{kernel_size} pooling with stride {s} of x "
                         f"{tuple(x.shape)} gives {(*x.shape[:2], mh, mw)}")
    k = kernel_size
    # (N, C, mh, mw): the index a*k + b of each window's maximum inside the window
    winner = ops.windows(x, k, s).reshape(*grad_out.shape, k * k).argmax(dim=-1)
    dx = torch.zeros_like(x)
    for a in range(k):
        for b in range(k):
            dx[..., a:a + s * mh:s, b:b + s * mw:s] += grad_out * (winner == a * k + b)
    return dx


def avg_pool2d_backward(grad_out: torch.Tensor, input_size, kernel_size: int,
                        stride: int | None = None) -> torch.Tensor:
    """The gradient of average pooling: each window's gradient, times 1/(k*k), to all its
    inputs."""
    _check_4d("grad_out", grad_out)
    h, w = input_size
    s, (mh, mw) = _pool_geometry((h, w), kernel_size, stride)
    if tuple(grad_out.shape[-2:]) != (mh, mw):
        raise ValueError(f"grad_out has shape {tuple(grad_out.shape)}; "
                         f"{kernel_size}x{kernel_size} pooling with stride {s} of a {h}x{w} "
                         f"input gives {mh}x{mw} outputs")
    k = kernel_size
    dx = grad_out.new_zeros(*grad_out.shape[:2], h, w)
    for a in range(k):
        for b in range(k):
            dx[..., a:a + s * mh:s, b:b + s * mw:s] += grad_out / (k * k)
    return dx


# --- Gradients through depth ----------------------------------------------------------------

INITS = ("matched", "default", "xavier", "kaiming")
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "ReLU": nn.ReLU}  # the names of lib.ops


def deep_stack(activation: str = "ReLU", depth: int = 20, width: int = 16, in_channels: int = 1,
               image_size: int = 16, num_classes: int = 10,
               init: str = "matched") -> nn.Sequential:
    """`depth` 3x3 convolutions (padding 1, `width` channels), each followed by `activation`,
    and a linear classifier.

    `init`: "default" keeps PyTorch's initialisation (uniform, variance 1 / (3 fan_in));
    "xavier" (Glorot) keeps the variance of a linear layer's signal, variance 2/(fan_in + fan_out);
    "kaiming" (He) doubles it for ReLU, which zeroes half its inputs, variance 2 / fan_in;
    "matched" is Xavier for sigmoid and tanh and Kaiming for ReLU.
    """
    one_of("activation", activation, ACTIVATIONS)
    one_of("init", init, INITS)
    integer("depth", depth)
    integer("width", width)
    if init == "matched":
        init = "kaiming" if activation == "ReLU" else "xavier"
    act = ACTIVATIONS[activation]
    layers, c = [], in_channels
    for _ in range(depth):
        conv = nn.Conv2d(c, width, 3, padding=1)
        if init == "xavier":
            nn.init.xavier_normal_(conv.weight)
            nn.init.zeros_(conv.bias)
        elif init == "kaiming":
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)
        layers += [conv, act()]
        c = width
    return nn.Sequential(*layers, nn.Flatten(),
                         nn.Linear(width * image_size * image_size, num_classes))


def gradient_norms(activation: str = "ReLU", depth: int = 20, width: int = 16,
                   image_size: int = 16, init: str = "matched", batch_size: int = 8, seed: int = 0,
                   dtype: torch.dtype = torch.float32) -> list[float]:
    """The norm of dE/dw of each convolution in `deep_stack`, from the input side to the output
    side, for one cross-entropy loss on a batch of random images and labels (reproducible from
    `seed`).

    The gradients are computed in `dtype` (float32 is what networks train in); their norms in
    float64. A float32 norm squares the entries in float32, where any square below about 1e-45
    is 0: entries of 1e-26, far from underflowing themselves, would give a norm of 0."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = deep_stack(activation, depth, width, 1, image_size, 10, init).to(dtype)
        x = torch.randn(batch_size, 1, image_size, image_size, dtype=dtype)
        y = torch.randint(0, 10, (batch_size,))
    nn.functional.cross_entropy(net(x), y).backward()
    return [m.weight.grad.double().norm().item() for m in net if isinstance(m, nn.Conv2d)]


def geometric_mean_ratio(norms) -> float:
    """The average factor by which a gradient norm changes per layer, going from the output side
    towards the input: (first / last) ** (1 / (layers - 1))."""
    norms = list(norms)
    if len(norms) < 2:
        raise ValueError(f"need the norms of at least two layers, got {len(norms)}")
    if min(norms) <= 0:
        raise ValueError(f"layer {norms.index(min(norms)) + 1}'s gradient norm is "
                         f"{min(norms)}: it has underflowed (or the layer is dead); measure in "
                         f"float64 or over fewer layers")
    return math.exp((math.log(norms[0]) - math.log(norms[-1])) / (len(norms) - 1))
