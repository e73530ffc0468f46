"""Dropout from scratch (lib.dropout) against torch.nn.Dropout and the expectation argument."""
import math
from fractions import Fraction

import pytest
import torch
from torch import nn

from lib import dropout as d


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_training_zeroes_a_fraction_p_and_scales_the_rest(p):
    torch.manual_seed(0)
    x = torch.rand(200, 500) + 0.5  # no zeros among the inputs
    y = d.dropout(x, p)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / x.numel())  # binomial, five sigmas
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / (1 - p))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_expectation_is_preserved_and_matches_nn_dropout_in_distribution(p):
    torch.manual_seed(1)
    x = torch.full((400_000,), 3.0)
    ours, theirs = d.dropout(x, p), nn.Dropout(p)(x)
    for y in (ours, theirs):
        assert abs(y.mean().item() - 3.0) < 5 * 3.0 * math.sqrt(p / (1 - p) / x.numel())
    assert set(ours.unique().tolist()) == set(theirs.unique().tolist())


def test_eval_mode_is_the_identity_like_nn_dropout():
    x = torch.randn(8, 16)
    ours, theirs = d.Dropout(0.5), nn.Dropout(0.5)
    ours.eval(), theirs.eval()
    assert torch.equal(ours(x), x) and torch.equal(theirs(x), x)
    ours.train()
    assert not torch.equal(ours(x), x)


def test_gradient_flows_only_through_kept_units_scaled_by_one_over_keep():
    torch.manual_seed(2)
    x = torch.randn(1000, requires_grad=True)
    y = d.dropout(x, 0.25)
    y.sum().backward()
    kept = y.detach() != 0
    assert torch.allclose(x.grad[kept], torch.full_like(x.grad[kept], 1 / 0.75))
    assert torch.all(x.grad[~kept] == 0)


def test_edge_probabilities_and_bad_values():
    x = torch.randn(10)
    assert torch.equal(d.dropout(x, 0.0), x)
    assert torch.equal(d.dropout(x, 1.0), torch.zeros_like(x))
    for bad in (-0.1, 1.5, "half", True):
        with pytest.raises(ValueError, match=r"dropout probability p=.* must be in \[0, 1\]"):
            d.Dropout(bad)


def test_masks_enumerate_every_pattern_with_probabilities_summing_to_one():
    table = list(d.masks(3, Fraction(1, 5)))
    assert len(table) == 8 and len({m for m, _ in table}) == 8
    assert sum(prob for _, prob in table) == 1
    assert dict(table)[(1, 1, 1)] == Fraction(4, 5) ** 3
    with pytest.raises(ValueError, match="number of units"):
        list(d.masks(0))


def test_expected_output_of_the_lecture_neuron():
    # a = w1 x + w2 y with each input kept with probability 1/2 (Srivastava et al., section 1).
    w1, w2, x, y = 2, -3, 5, 7
    half = Fraction(1, 2)
    # Four equally likely masks: (w1x + w2y), w1x, w2y, 0, each with probability 1/4.
    by_hand = Fraction(1, 4) * ((w1 * x + w2 * y) + w1 * x + w2 * y + 0)
    assert d.expected_output([w1, w2], [x, y], half) == by_hand == half * (w1 * x + w2 * y)
    assert d.expected_output([w1, w2], [x, y], half, inverted=True) == w1 * x + w2 * y
    assert d.expected_output([1, 1, 1], [1, 2, 3], Fraction(1, 3)) == Fraction(2, 3) * 6
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        d.expected_output([1, 2], [1, 2, 3])
