"""Hand-written gradients of lib.backprop against autograd and against the definitions written as sums."""
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch.nn import functional as F

from lib import backprop as bp

D = torch.float64  # exact enough to compare sums taken in different orders


def conv_case(n, c, o, size, k, stride, padding, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, size, size, generator=g, dtype=D, requires_grad=True)
    w = torch.randn(o, c, k, k, generator=g, dtype=D, requires_grad=True)
    b = torch.randn(o, generator=g, dtype=D, requires_grad=True)
    y = F.conv2d(x, w, b, stride=stride, padding=padding)
    delta = torch.randn(y.shape, generator=g, dtype=D)
    y.backward(delta)
    return x, w, b, y, delta


def test_rot180_turns_the_kernel():
    w = torch.arange(9.).view(1, 1, 3, 3)
    assert bp.rot180(w)[0, 0].tolist() == [[8, 7, 6], [5, 4, 3], [2, 1, 0]]
    assert torch.equal(bp.rot180(bp.rot180(w)), w)


def test_dilate_inserts_zeros():
    d = torch.tensor([[1., 2.], [3., 4.]]).view(1, 1, 2, 2)
    assert bp.dilate(d, 3)[0, 0].tolist() == [[1, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), o=st.integers(1, 3), size=st.integers(5, 9),
       k=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2))
def test_convolution_gradients_match_autograd(n, c, o, size, k, stride, padding):
    x, w, b, y, delta = conv_case(n, c, o, size, k, stride, padding)
    assert torch.allclose(bp.conv2d_weight_grad(x.detach(), delta, k, stride, padding), w.grad)
    assert torch.allclose(bp.conv2d_input_grad(delta, w.detach(), (size, size), stride, padding), x.grad)
    assert torch.allclose(bp.conv2d_bias_grad(delta), b.grad)


def test_weight_gradient_is_the_correlation_of_input_and_output_gradient():
    # One channel, one image: the definition written as four nested sums.
    x, w, _, _, delta = conv_case(1, 1, 1, 6, 3, 1, 0)
    x = x.detach()
    by_definition = torch.zeros(3, 3, dtype=D)
    for a in range(3):
        for b in range(3):
            by_definition[a, b] = sum(delta[0, 0, i, j] * x[0, 0, i + a, j + b]
                                      for i in range(4) for j in range(4))
    assert torch.allclose(bp.conv2d_weight_grad(x, delta, 3)[0, 0], by_definition)


def test_input_gradient_scatters_each_output_gradient_through_the_kernel():
    # dE/do[i + a, j + b] += delta[i, j] * w[a, b]: the scatter form, equal to the full convolution.
    x, w, _, _, delta = conv_case(1, 1, 1, 6, 3, 1, 0)
    scattered = torch.zeros(6, 6, dtype=D)
    for i in range(4):
        for j in range(4):
            scattered[i:i + 3, j:j + 3] += delta[0, 0, i, j] * w[0, 0].detach()
    assert torch.allclose(bp.conv2d_input_grad(delta, w.detach(), (6, 6))[0, 0], scattered)


def test_wrong_shapes_raise_readable_errors():
    x = torch.randn(1, 2, 6, 6)
    with pytest.raises(ValueError, match="grad_out has shape"):
        bp.conv2d_weight_grad(x, torch.randn(1, 3, 5, 5), 3)
    with pytest.raises(ValueError, match="4-D"):
        bp.conv2d_weight_grad(x[0], torch.randn(1, 3, 4, 4), 3)
    with pytest.raises(ValueError, match="larger than the padded input"):
        bp.conv2d_input_grad(torch.randn(1, 3, 1, 1), torch.randn(3, 2, 7, 7), (6, 6))
    with pytest.raises(ValueError, match="stride=0 must be a positive integer"):
        bp.dilate(torch.randn(1, 1, 2, 2), 0)
    with pytest.raises(ValueError, match="grad_out has shape"):
        bp.conv2d_input_grad(torch.randn(1, 2, 4, 4), torch.randn(3, 2, 3, 3), (6, 6))


@pytest.mark.parametrize("size, k, stride", [(8, 2, None), (7, 3, 2), (9, 3, 1), (6, 3, 3)])
def test_pooling_gradients_match_autograd(size, k, stride):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, size, size, generator=g, dtype=D, requires_grad=True)
    y = F.max_pool2d(x, k, stride)
    delta = torch.randn(y.shape, generator=g, dtype=D)
    y.backward(delta)
    assert torch.allclose(bp.max_pool2d_backward(x.detach(), delta, k, stride), x.grad)
    x.grad = None
    y = F.avg_pool2d(x, k, stride)
    y.backward(delta)
    assert torch.allclose(bp.avg_pool2d_backward(delta, (size, size), k, stride), x.grad)


def test_max_pooling_routes_to_the_argmax_and_average_pooling_spreads_evenly():
    x = torch.tensor([[1., 5.], [2., 3.]]).view(1, 1, 2, 2)
    one = torch.ones(1, 1, 1, 1)
    assert bp.max_pool2d_backward(x, one, 2)[0, 0].tolist() == [[0, 1], [0, 0]]
    assert bp.avg_pool2d_backward(one, (2, 2), 2)[0, 0].tolist() == [[0.25, 0.25], [0.25, 0.25]]
    # Every window hands on exactly its own gradient: the total is conserved.
    d = torch.randn(1, 1, 3, 3)
    assert torch.isclose(bp.avg_pool2d_backward(d, (6, 6), 2).sum(), d.sum())
    assert torch.isclose(bp.max_pool2d_backward(torch.randn(1, 1, 6, 6), d, 2).sum(), d.sum())


def test_sigmoid_gradients_vanish_through_depth_and_relu_gradients_do_not():
    sigmoid = bp.gradient_norms("sigmoid", depth=12, width=8, image_size=8)
    relu = bp.gradient_norms("ReLU", depth=12, width=8, image_size=8)
    assert len(sigmoid) == len(relu) == 12
    # sigmoid' <= 1/4: the input-side layer gets orders of magnitude less than the output side.
    assert sigmoid[0] / sigmoid[-1] < 1e-4
    assert 0.1 < relu[0] / relu[-1] < 10
    assert bp.geometric_mean_ratio(sigmoid) < 0.5
    # With PyTorch's default initialisation ReLU gradients shrink too: ReLU alone is not enough.
    default = bp.gradient_norms("ReLU", depth=12, width=8, image_size=8, init="default")
    assert default[0] / default[-1] < 1e-2


def test_gradient_norms_do_not_underflow_where_the_gradients_do_not():
    """Deep in a float32 sigmoid stack the entries are tiny but representable; squaring them in
    float32 would give a norm of 0."""
    norms = bp.gradient_norms("sigmoid", depth=40, width=8, image_size=8)
    assert norms[0] < torch.finfo(torch.float32).tiny ** 0.5  # squares below float32's range
    assert min(norms) > 0


def test_gradient_norms_are_reproducible_and_check_their_arguments():
    assert bp.gradient_norms("tanh", depth=3, width=4, image_size=6) == \
        bp.gradient_norms("tanh", depth=3, width=4, image_size=6)
    with pytest.raises(ValueError, match="activation='gelu'"):
        bp.gradient_norms("gelu")
    with pytest.raises(ValueError, match="init='he'"):
        bp.deep_stack("ReLU", init="he")
