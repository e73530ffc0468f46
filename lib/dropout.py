"""Dropout (Srivastava, Hinton et al., 2014, JMLR 15), written from scratch.

Explained in chapters/04_alexnet.ipynb, where it is checked against `torch.nn.Dropout`.

Two conventions for the same probability: the paper's p is the probability of *keeping* a unit
(0.5 for hidden layers); PyTorch's `p`, used here, is the probability of *dropping* it. The paper
keeps activations as they are during training and multiplies the weights by the keep
probability at test time. Inverted dropout, which every library implements, divides the kept
activations by the keep probability during training instead, so that the expected activation
is unchanged and the network is used as it is at test time.
"""
from __future__ import annotations

import itertools

import torch
from torch import nn

from lib.checks import integer, probability


def _check_p(p):
    probability("dropout probability p", p, one=True)


def dropout(x: torch.Tensor, p: float = 0.5, training: bool = True) -> torch.Tensor:
    """Inverted dropout: zero each entry with probability p and divide the others by 1 - p.

    In evaluation (`training=False`) it is the identity. E[dropout(x)] = x entry by entry:
    (1 - p) * x / (1 - p) + p * 0.
    """
    _check_p(p)
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.empty_like(x).bernoulli_(1 - p)  # 1 with probability 1 - p
    return x * (keep / (1 - p))


class Dropout(nn.Module):
    """`dropout` as a layer: random in `train()` mode, the identity in `eval()` mode."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        _check_p(p)
        self.p = p

    def forward(self, x):
        return dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


def masks(n: int, p: float = 0.5):
    """Every keep/drop mask of n units with its probability: (mask, probability) pairs, where a
    mask is a tuple of 0 (dropped) and 1 (kept) and each unit is dropped with probability p.

    p may be a `fractions.Fraction` (or a sympy number) to keep the probabilities exact.
    """
    _check_p(float(p))
    integer("number of units n", n, 1, 16)  # 2^n masks
    for mask in itertools.product((1, 0), repeat=n):
        kept = sum(mask)
        yield mask, (1 - p) ** kept * p ** (n - kept)


def expected_output(weights, inputs, p: float = 0.5, inverted: bool = False):
    """E[a] for a = sum_i w_i m_i x_i over every dropout mask m, enumerated exactly.

    Without scaling (the paper's training-time neuron) E[a] = (1 - p) sum_i w_i x_i; with inverted
    dropout (kept units divided by 1 - p) E[a] = sum_i w_i x_i. Weights and inputs may be
    numbers or symbols (sympy), so the sum can be shown term by term.
    """
    weights, inputs = list(weights), list(inputs)
    if len(weights) != len(inputs):
        raise ValueError(f"{len(weights)} weights but {len(inputs)} inputs: a neuron needs "
                         f"one weight per input")
    scale = 1 / (1 - p) if inverted and p != 1 else 1
    total = 0
    for mask, prob in masks(len(weights), p):
        total += prob * sum(w * m * x for w, m, x in zip(weights, mask, inputs)) * scale
    return total
