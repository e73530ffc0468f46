"""`lib.ops` against independent references: torch.nn.functional, scipy and numpy, autograd,
the lecture's worked example and hand counts."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st
from torch import nn

from lib import cost, ops

# The lecture's 5x5 binary image and 3x3 kernel (the UFLDL tutorial's example) and the
# convolved feature that tutorial gives.
IMAGE = torch.tensor([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]],
                     dtype=torch.float32)
KERNEL = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=torch.float32)
FEATURE = torch.tensor([[4, 3, 4], [2, 4, 3], [2, 3, 4]], dtype=torch.float32)


def torch_corr(x, k, padding=0, stride=1):
    return F.conv2d(x[None, None], k[None, None], padding=padding, stride=stride)[0, 0]


# --- dense -> local -> shared -------------------------------------------------------------------

def test_lecture_layers_have_21_9_3_parameters_and_21_9_9_multiplies():
    layers = {"dense": ops.dense_connections(7, 3), "local": ops.local_connections(7, 3, stride=2),
              "shared": ops.shared_connections(7, 3, stride=2)}
    counts = {name: (sum(p.numel() for p in ops.SparseLinear(ids).parameters()), ops.SparseLinear(ids).multiplies)
              for name, ids in layers.items()}
    m, n, k = 7, 3, 3
    assert counts == {"dense": (m * n, m * n), "local": (k * n, k * n), "shared": (k, k * n)}


def test_dense_layer_is_nn_linear_and_shared_layer_is_conv1d():
    torch.manual_seed(0)
    x = torch.randn(5, 7)
    dense = ops.SparseLinear(ops.dense_connections(7, 3))
    linear = nn.Linear(7, 3, bias=False)
    with torch.no_grad():
        linear.weight.copy_(dense.weight())
    torch.testing.assert_close(dense(x), linear(x))
    shared = ops.SparseLinear(ops.shared_connections(7, 3, stride=2))
    conv = nn.Conv1d(1, 1, 3, stride=2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(shared.theta.view(1, 1, 3))
    torch.testing.assert_close(shared(x), conv(x[:, None])[:, 0])
    # lib.cost counts the torch modules: the multiplies survive parameter sharing
    assert (cost.count(linear, (7,)).params, cost.count(linear, (7,)).macs) == (21, 21)
    assert (cost.count(conv, (1, 7)).params, cost.count(conv, (1, 7)).macs) == (3, 9)


def test_local_layer_sees_only_its_window():
    torch.manual_seed(0)
    layer = ops.SparseLinear(ops.local_connections(7, 3, stride=2))
    x = torch.randn(7)
    expected = (x.unfold(0, 3, 2) * layer.theta.view(3, 3)).sum(1)
    torch.testing.assert_close(layer(x), expected)
    x2 = x.clone()
    x2[6] += 1.0  # only the last output sees x_7
    assert torch.equal((layer(x2) != layer(x)), torch.tensor([False, False, True]))


def test_local_connections_need_a_kernel_that_fits():
    with pytest.raises(ValueError, match="kernel size 9 is larger than the padded input 7"):
        ops.local_connections(7, 9)


# --- cross-correlation and convolution ----------------------------------------------------------

def test_lecture_example_convolved_feature():
    assert torch.equal(ops.corr2d(IMAGE, KERNEL), FEATURE)
    assert torch.equal(torch_corr(IMAGE, KERNEL), FEATURE)


@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", [(1, 1), (3, 3), (2, 4)])
def test_corr2d_matches_conv2d(padding, stride, kernel):
    torch.manual_seed(0)
    x, k = torch.randn(7, 8), torch.randn(*kernel)
    torch.testing.assert_close(ops.corr2d(x, k, padding, stride), torch_corr(x, k, padding, stride))


def test_windows_is_a_view():
    x = torch.arange(20.0).reshape(4, 5)
    w = ops.windows(x, (2, 3), stride=(2, 1))
    assert w.shape == (2, 3, 2, 3) and w.data_ptr() == x.data_ptr()
    assert torch.equal(w[1, 2], x[2:4, 2:5])


def test_convolve2d_is_the_signal_processing_convolution():
    from scipy import signal  # required by requirements.txt
    torch.manual_seed(0)
    x, y = torch.randn(4, 6, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    expected = torch.from_numpy(signal.convolve2d(x.numpy(), y.numpy(), mode="full"))
    torch.testing.assert_close(ops.convolve2d(x, y), expected)
    torch.testing.assert_close(ops.convolve2d(y, x), expected)  # it commutes


def test_convolve2d_in_one_dimension_is_numpy_convolve():
    a, b = torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[0.0, 1.0, 0.5]])
    assert ops.convolve2d(a, b)[0].tolist() == np.convolve(a[0].numpy(), b[0].numpy()).tolist()


def test_convolution_is_correlation_with_the_kernel_rotated_180_degrees():
    torch.manual_seed(0)
    x, k = torch.randn(6, 7, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    full = ops.corr2d(x, k.flip(0, 1), padding=(2, 1))
    torch.testing.assert_close(ops.convolve2d(x, k), full)
    # the lecture's kernel is symmetric under that rotation: both operations agree on it
    assert torch.equal(KERNEL.flip(0, 1), KERNEL)
    assert torch.equal(ops.convolve2d(IMAGE, KERNEL)[2:-2, 2:-2], FEATURE)


def test_padding_and_stride_on_the_lecture_image():
    torch.testing.assert_close(ops.corr2d(IMAGE, KERNEL, padding=1), torch_corr(IMAGE, KERNEL, 1))
    assert ops.corr2d(IMAGE, KERNEL, padding=1).shape == (5, 5)
    assert ops.corr2d(IMAGE, KERNEL, stride=2).tolist() == [[4, 4], [2, 4]]  # every other entry of FEATURE


def test_pad2d():
    x = torch.ones(2, 3)
    padded = ops.pad2d(x, (1, 2), value=-1)
    assert padded.shape == (4, 7) and padded.sum() == 6 - 22
    assert torch.equal(padded, F.pad(x, (2, 2, 1, 1), value=-1))


# --- channels ---------------------------------------------------------------------------------

def test_multi_channel_correlations_match_conv2d():
    torch.manual_seed(0)
    x, k = torch.randn(3, 6, 5), torch.randn(4, 3, 2, 3)
    torch.testing.assert_close(ops.corr2d_multi_in(x, k[0], padding=1), F.conv2d(x[None], k[:1], padding=1)[0, 0])
    torch.testing.assert_close(ops.corr2d_multi_in_out(x, k, stride=2), F.conv2d(x[None], k, stride=2)[0])


def test_lecture_multi_channel_shapes():
    """H x W x C input, K filters of D x D x C: (H - D + 1) x (W - D + 1) x K."""
    H, W, C, D, K = 32, 28, 3, 5, 6
    y = ops.corr2d_multi_in_out(torch.randn(C, H, W), torch.randn(K, C, D, D))
    assert y.shape == (K, H - D + 1, W - D + 1)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(3, 9), w=st.integers(3, 9), k_h=st.integers(1, 3),
       k_w=st.integers(1, 3), p=st.integers(0, 2), s=st.integers(1, 3), g=st.sampled_from([1, 2, 3]),
       c_in_per_group=st.integers(1, 3), c_out_per_group=st.integers(1, 3), bias=st.booleans())
def test_conv2d_matches_torch(n, h, w, k_h, k_w, p, s, g, c_in_per_group, c_out_per_group, bias):
    torch.manual_seed(0)
    x = torch.randn(n, g * c_in_per_group, h, w, dtype=torch.float64)
    weight = torch.randn(g * c_out_per_group, c_in_per_group, k_h, k_w, dtype=torch.float64)
    b = torch.randn(g * c_out_per_group, dtype=torch.float64) if bias else None
    torch.testing.assert_close(ops.conv2d(x, weight, b, stride=s, padding=p, groups=g),
                               F.conv2d(x, weight, b, stride=s, padding=p, groups=g))
    torch.testing.assert_close(ops.conv2d(x[0], weight, b, stride=s, padding=p, groups=g),
                               F.conv2d(x[0], weight, b, stride=s, padding=p, groups=g))


def test_one_by_one_convolution_is_a_dense_layer_on_every_pixel():
    torch.manual_seed(0)
    x = torch.randn(5, 4, 6, dtype=torch.float64)
    linear = nn.Linear(5, 3, bias=False).double()
    per_pixel = linear(x.permute(1, 2, 0)).permute(2, 0, 1)  # (H, W, C_in) -> (H, W, C_out)
    torch.testing.assert_close(ops.conv1x1(x, linear.weight), per_pixel)
    torch.testing.assert_close(ops.conv2d(x, linear.weight[:, :, None, None]), per_pixel)


@pytest.mark.parametrize("call, message", [
    (lambda: ops.corr2d(torch.ones(3, 3), torch.ones(4, 4)), "kernel size 4 is larger than the padded input 3"),
    (lambda: ops.corr2d(torch.ones(1, 3, 3), torch.ones(2, 2)), r"x must be 2-D, got shape \(1, 3, 3\)"),
    (lambda: ops.corr2d_multi_in(torch.ones(3, 5, 5), torch.ones(2, 3, 3)), "x has 3 channels but the kernel has 2"),
    (lambda: ops.conv2d(torch.ones(1, 6, 5, 5), torch.ones(4, 3, 3, 3), groups=4), "groups=4 must be a positive integer dividing"),
    (lambda: ops.conv2d(torch.ones(1, 6, 5, 5), torch.ones(4, 2, 3, 3), groups=2), "weight expects 2 per group x 2 groups = 4"),
    (lambda: ops.conv1x1(torch.ones(3, 2, 2), torch.ones(4, 2)), "x has 3 channels"),
    (lambda: ops.pool2d(torch.ones(4, 4), 2, mode="median"), "mode='median'; valid: 'max', 'avg'"),
    (lambda: ops.pool2d(torch.ones(4, 4), 2, padding=2), "padding 2 is more than half the pooling window 2"),
    (lambda: ops.pool2d(torch.ones(4, 4), 5), "kernel size 5 is larger than the padded input 4"),
    (lambda: ops.corr2d([[1.0]], torch.ones(1, 1)), "x must be a tensor, got list"),
])
def test_bad_input_gives_a_readable_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- pooling ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), (3, 1, 0), ((2, 3), (1, 2), (1, 1))])
def test_pooling_matches_torch(kernel, stride, padding):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 7, 8)
    torch.testing.assert_close(ops.pool2d(x, kernel, stride, padding, "max"), F.max_pool2d(x, kernel, stride, padding))
    torch.testing.assert_close(ops.pool2d(x, kernel, stride, padding, "avg"), F.avg_pool2d(x, kernel, stride, padding))


def test_pooling_keeps_the_channels_and_has_no_parameters():
    x = torch.randn(64, 224, 224)
    assert ops.pool2d(x, 2).shape == (64, 112, 112)  # D2 = D1, not the number of filters
    assert sum(p.numel() for p in nn.MaxPool2d(2).parameters()) == 0


def test_pooling_gradients_follow_the_lecture():
    """Max: the error goes to where the maximum came from; average: 1/(N x N) to every entry."""
    x = torch.tensor([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0], [0.0, 2.0, 1.0, 1.0], [7.0, 1.0, 3.0, 9.0]],
                     requires_grad=True)
    ops.pool2d(x, 2, mode="max").sum().backward()
    assert x.grad.tolist() == [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [1, 0, 0, 1]]
    x.grad = None
    ops.pool2d(x, 2, mode="avg").sum().backward()
    assert torch.equal(x.grad, torch.full((4, 4), 1 / 4))


@pytest.mark.parametrize("stack", [[(3, 1)] * 3, [(5, 2), (3, 1), (2, 2)], [(7, 2), (3, 2), (3, 1), (2, 2)],
                                   [(1, 1), (4, 3)]])
def test_receptive_field_matches_autograd(stack):
    """The input pixels one output pixel depends on, found by back-propagating from it."""
    layers = [nn.Conv2d(1, 1, k, stride=s, bias=False) for k, s in stack]
    for layer in layers:
        nn.init.constant_(layer.weight, 1.0)
    x = torch.ones(1, 1, 64, 64, requires_grad=True)
    y = nn.Sequential(*layers)(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero()
    r, j = ops.receptive_field(stack)[-1]
    assert rows.max() - rows.min() + 1 == r
    assert j == np.prod([s for _, s in stack])


# --- activations and softmax --------------------------------------------------------------------

X = torch.linspace(-30, 30, 2001, dtype=torch.float64)


@pytest.mark.parametrize("name, reference", [
    ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("ReLU", torch.relu), ("leaky ReLU", F.leaky_relu)])
def test_activations_and_hand_derivatives_match_torch_and_autograd(name, reference):
    f, f_grad = ops.ACTIVATIONS[name]
    torch.testing.assert_close(f(X), reference(X))
    x = X.clone().requires_grad_()
    reference(x).sum().backward()
    torch.testing.assert_close(f_grad(X), x.grad)


def test_sigmoid_derivative_is_at_most_a_quarter():
    assert ops.sigmoid_grad(X).max() == 0.25 == ops.sigmoid_grad(torch.tensor(0.0))
    assert ops.tanh_grad(torch.tensor(0.0)) == 1.0


def test_stable_activations_do_not_overflow():
    big = torch.tensor([-1000.0, 1000.0])
    assert ops.sigmoid(big).tolist() == [0.0, 1.0]
    assert ops.tanh(big).tolist() == [-1.0, 1.0]


def test_softmax_matches_torch_and_survives_large_logits():
    torch.manual_seed(0)
    x = torch.randn(4, 10) * 5
    torch.testing.assert_close(ops.softmax(x), torch.softmax(x, -1))
    torch.testing.assert_close(ops.softmax(x, dim=0), torch.softmax(x, 0))
    big = torch.tensor([1000.0, 1001.0, 1002.0])
    assert torch.isnan(torch.exp(big) / torch.exp(big).sum()).all()  # the formula as written
    torch.testing.assert_close(ops.softmax(big), torch.softmax(torch.tensor([0.0, 1.0, 2.0]), -1))
