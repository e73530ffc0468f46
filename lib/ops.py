"""The operations of a convolutional network, written from scratch. Explained in
chapters/01_building_blocks.ipynb, where each is checked against `torch.nn.functional`.

Shapes follow PyTorch: a single-channel image is (H, W), a multi-channel one (C, H, W), a batch
(N, C, H, W). A kernel is (k_h, k_w), (C_in, k_h, k_w) for one output channel, or
(C_out, C_in / groups, k_h, k_w) for a layer. Everything is vectorised with `Tensor.unfold`:
the only Python loops run over kernel taps or channels, never over pixels.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from lib.checks import one_of
from lib.geometry import conv_output_size, pair


def _check_dims(name, t, dims):
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"{name} must be a tensor, got {type(t).__name__}")
    if t.dim() not in dims:
        shapes = " or ".join(f"{d}-D" for d in dims)
        raise ValueError(f"{name} must be {shapes}, got shape {tuple(t.shape)}")


# --- From a dense layer to a convolution (1-D) --------------------------------------------------
# A layer y = W x is described by an index matrix `ids` of W's shape (n outputs, m inputs):
# W[j, i] = theta[ids[j, i]] where ids[j, i] >= 0, and W[j, i] = 0 (no connection) where it is -1.

def dense_connections(m: int, n: int) -> torch.Tensor:
    """Every input to every output, each with its own weight: m*n parameters."""
    return torch.arange(n * m).reshape(n, m)


def local_connections(m: int, k: int, stride: int = 1) -> torch.Tensor:
    """Output j sees the k inputs j*stride ... j*stride + k - 1, each with its own weight."""
    n = conv_output_size(m, k, 0, stride)
    ids = torch.full((n, m), -1)
    for a in range(k):  # one kernel tap at a time, all outputs at once
        ids[torch.arange(n), torch.arange(n) * stride + a] = torch.arange(n) * k + a
    return ids


def shared_connections(m: int, k: int, stride: int = 1) -> torch.Tensor:
    """Local connections whose k weights are the same for every output: a 1-D convolution."""
    ids = local_connections(m, k, stride)
    return torch.where(ids >= 0, ids % k, ids)


class SparseLinear(nn.Module):
    """y = W x with W[j, i] = theta[ids[j, i]] (or 0 where ids[j, i] = -1).

    `parameters()` holds theta: one scalar per distinct index. `multiplies` counts the products
    one forward pass needs: one per connection, however many connections share a weight.
    """

    def __init__(self, ids: torch.Tensor):
        super().__init__()
        self.register_buffer("ids", ids.clone())
        self.theta = nn.Parameter(torch.randn(int(ids.max()) + 1))

    @property
    def multiplies(self) -> int:
        return int((self.ids >= 0).sum())

    def weight(self) -> torch.Tensor:
        """The dense (n, m) matrix this layer multiplies by."""
        return torch.where(self.ids >= 0, self.theta[self.ids.clamp(min=0)], 0.0)

    def forward(self, x):  # (..., m) -> (..., n)
        return x @ self.weight().T


# --- Cross-correlation and convolution ----------------------------------------------------------

def windows(x: torch.Tensor, kernel_size, stride=1) -> torch.Tensor:
    """Every k_h x k_w window of x: (..., H, W) -> (..., m_h, m_w, k_h, k_w), a view (no copy)."""
    (k_h, k_w), (s_h, s_w) = pair(kernel_size), pair(stride)
    return x.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w)


def pad2d(x: torch.Tensor, padding, value: float = 0.0) -> torch.Tensor:
    """Surround the last two dimensions with `padding` rows and columns of `value`."""
    p_h, p_w = pair(padding)
    if p_h == p_w == 0:
        return x
    out = x.new_full((*x.shape[:-2], x.shape[-2] + 2 * p_h, x.shape[-1] + 2 * p_w), value)
    out[..., p_h:p_h + x.shape[-2], p_w:p_w + x.shape[-1]] = x
    return out


def _output_size(x, kernel_size, padding, stride):
    """(m_h, m_w), or a ValueError naming the sizes when the kernel does not fit."""
    (k_h, k_w), (p_h, p_w), (s_h, s_w) = pair(kernel_size), pair(padding), pair(stride)
    return (conv_output_size(x.shape[-2], k_h, p_h, s_h),
            conv_output_size(x.shape[-1], k_w, p_w, s_w))


def _check_fits(x, kernel_size, padding, stride):
    """A ValueError naming the sizes unless the kernel fits the padded input."""
    _output_size(x, kernel_size, padding, stride)


def corr2d(x: torch.Tensor, k: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    """Cross-correlation of one channel: Y[i, j] = sum_a sum_b X[s*i + a, s*j + b] K[a, b].

    x: (H, W), k: (k_h, k_w) -> (m_h, m_w) with m = floor((n + 2p - k) / s) + 1.
    """
    _check_dims("x", x, (2,))
    _check_dims("k", k, (2,))
    _check_fits(x, k.shape, padding, stride)
    return (windows(pad2d(x, padding), k.shape, stride) * k).sum((-2, -1))


def convolve2d(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Convolution as signal processing defines it, the 'full' output:

        z(n1, n2) = sum_k1 sum_k2 x(k1, k2) y(n1 - k1, n2 - k2)

    x: (M1, M2), y: (N1, N2) -> (M1 + N1 - 1, M2 + N2 - 1). Each x(k1, k2) adds a copy of y,
    scaled by it and shifted by (k1, k2); loop over the smaller argument (convolution commutes).
    """
    _check_dims("x", x, (2,))
    _check_dims("y", y, (2,))
    if x.numel() > y.numel():
        x, y = y, x
    (m1, m2), (n1, n2) = x.shape, y.shape
    z = x.new_zeros(m1 + n1 - 1, m2 + n2 - 1)
    for k1 in range(m1):
        for k2 in range(m2):
            z[k1:k1 + n1, k2:k2 + n2] += x[k1, k2] * y
    return z


def corr2d_multi_in(x: torch.Tensor, k: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    """One output channel from C_in input channels: the sum of one correlation per channel.

    x: (C_in, H, W), k: (C_in, k_h, k_w) -> (m_h, m_w).
    """
    _check_dims("x", x, (3,))
    _check_dims("k", k, (3,))
    if x.shape[0] != k.shape[0]:
        raise ValueError(f"x has {x.shape[0]} channels but the kernel has {k.shape[0]}; "
                         "a kernel needs one slice per input channel")
    return sum(corr2d(x_c, k_c, padding, stride) for x_c, k_c in zip(x, k))


def corr2d_multi_in_out(x: torch.Tensor, k: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    """C_out output channels: stack the outputs of C_out multi-input kernels.

    x: (C_in, H, W), k: (C_out, C_in, k_h, k_w) -> (C_out, m_h, m_w).
    """
    _check_dims("k", k, (4,))
    return torch.stack([corr2d_multi_in(x, k_o, padding, stride) for k_o in k])


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride=1, padding=0, groups: int = 1) -> torch.Tensor:
    """What `torch.nn.functional.conv2d` computes (a cross-correlation), in one einsum:

        Y[n, o, i, j] = bias[o]
                        + sum_{c in group(o)} sum_a sum_b X[n, c, s*i + a, s*j + b] W[o, c, a, b]

    x: (N, C_in, H, W) or (C_in, H, W); weight: (C_out, C_in / groups, k_h, k_w).
    Group g sees input channels g*C_in/groups ... (g+1)*C_in/groups - 1 and produces output
    channels g*C_out/groups ... (g+1)*C_out/groups - 1.
    """
    _check_dims("x", x, (3, 4))
    _check_dims("weight", weight, (4,))
    if x.dim() == 3:
        return conv2d(x[None], weight, bias, stride, padding, groups)[0]
    n, c_in = x.shape[:2]
    c_out, c_group, k_h, k_w = weight.shape
    if not isinstance(groups, int) or groups < 1 or c_in % groups or c_out % groups:
        raise ValueError(f"groups={groups} must be a positive integer dividing both the "
                         f"{c_in} input and the {c_out} output channels")
    if c_group * groups != c_in:
        raise ValueError(f"x has {c_in} channels but weight expects {c_group} per group x "
                         f"{groups} groups = {c_group * groups}")
    m_h, m_w = _output_size(x, (k_h, k_w), padding, stride)
    cols = windows(pad2d(x, padding), (k_h, k_w), stride)        # (N, C_in, m_h, m_w, k_h, k_w)
    cols = cols.reshape(n, groups, c_group, m_h, m_w, k_h, k_w)
    w = weight.reshape(groups, c_out // groups, c_group, k_h, k_w)
    y = torch.einsum("ngchwab,gocab->ngohw", cols, w).reshape(n, c_out, m_h, m_w)
    return y if bias is None else y + bias.view(1, -1, 1, 1)


def conv1x1(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution is a dense layer applied to the channel vector of every pixel.

    x: (C_in, H, W), weight: (C_out, C_in) -> (C_out, H, W): one matrix product.
    """
    _check_dims("x", x, (3,))
    _check_dims("weight", weight, (2,))
    c_in, h, w = x.shape
    if weight.shape[1] != c_in:
        raise ValueError(f"x has {c_in} channels but weight is {tuple(weight.shape)}: "
                         f"it needs {c_in} columns")
    return (weight @ x.reshape(c_in, h * w)).reshape(-1, h, w)


# --- Pooling -----------------------------------------------------------------------------------

POOLING_MODES = ("max", "avg")


def pool2d(x: torch.Tensor, kernel_size, stride=None, padding=0,
           mode: str = "max") -> torch.Tensor:
    """Max or average of every window, channel by channel: (..., H, W) -> (..., m_h, m_w).

    `stride` defaults to `kernel_size`, as in PyTorch. Max pooling pads with -inf (padding never
    wins); average pooling pads with zeros and counts them (PyTorch's count_include_pad=True).
    """
    one_of("mode", mode, POOLING_MODES)
    _check_dims("x", x, (2, 3, 4))
    kernel_size = pair(kernel_size)
    stride = kernel_size if stride is None else pair(stride)
    for p, k in zip(pair(padding), kernel_size):
        if p > k // 2:
            raise ValueError(f"padding {p} is more than half the pooling window {k}: "
                             f"a window could hold padding only; use padding <= {k // 2}")
    _check_fits(x, kernel_size, padding, stride)
    fill = -math.inf if mode == "max" else 0.0
    cols = windows(pad2d(x, padding, fill), kernel_size, stride)
    return cols.amax((-2, -1)) if mode == "max" else cols.mean((-2, -1))


def receptive_field(layers) -> list[tuple[int, int]]:
    """Receptive field r and jump j after each (kernel_size, stride) layer of a stack:

        r_l = r_{l-1} + (k_l - 1) * j_{l-1},   j_l = j_{l-1} * s_l,   r_0 = j_0 = 1.

    r_l is the width of the input region one output of layer l sees; j_l is how far apart
    neighbouring outputs of layer l look in the input. Pooling layers count as layers.
    """
    r, j, out = 1, 1, []
    for k, s in layers:
        if k < 1 or s < 1:
            raise ValueError(f"kernel size and stride must be >= 1, got ({k}, {s})")
        r, j = r + (k - 1) * j, j * s
        out.append((r, j))
    return out


# --- Activations and softmax -------------------------------------------------------------------

def sigmoid(x):
    """1 / (1 + e^-x); for very negative x, e^-x overflows to inf and the result is exactly 0."""
    return 1 / (1 + torch.exp(-x))


def sigmoid_grad(x):
    """sigma'(x) = sigma(x) (1 - sigma(x)), at most 1/4 (at x = 0)."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    """(e^x - e^-x) / (e^x + e^-x), multiplied through by e^-|x| so that nothing overflows."""
    e = torch.exp(-2 * x.abs())
    return torch.sign(x) * (1 - e) / (1 + e)


def tanh_grad(x):
    """tanh'(x) = 1 - tanh(x)^2, at most 1 (at x = 0)."""
    return 1 - tanh(x) ** 2


def relu(x):
    """max(x, 0)."""
    return torch.where(x > 0, x, torch.zeros_like(x))


def relu_grad(x):
    """1 for x > 0, else 0 (PyTorch's choice at x = 0, and the lecture's)."""
    return (x > 0).to(x.dtype)


def leaky_relu(x, negative_slope: float = 0.01):
    """x for x > 0, else negative_slope * x."""
    return torch.where(x > 0, x, negative_slope * x)


def leaky_relu_grad(x, negative_slope: float = 0.01):
    """1 for x > 0, else negative_slope: never exactly zero."""
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, negative_slope))


#: name -> (function, its derivative written by hand)
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "ReLU": (relu, relu_grad),
    "leaky ReLU": (leaky_relu, leaky_relu_grad),
}


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """e^{x_n} / sum_i e^{x_i}, computed as e^{x_n - c} / sum_i e^{x_i - c} with c = max_i x_i.

    Subtracting c changes nothing mathematically, but the largest exponent becomes e^0 = 1:
    no overflow, and the sum is at least 1.
    """
    z = torch.exp(x - x.amax(dim, keepdim=True))
    return z / z.sum(dim, keepdim=True)
