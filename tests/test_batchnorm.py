"""Batch norm from scratch (lib.batchnorm) against nn.BatchNorm1d/2d, autograd and the folded
convolution, and the chapter's deep plain network and measurements."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib import batchnorm as bn


def pair(num_features, dim, momentum=0.1):
    """Our layer and PyTorch's, with the same random gamma and beta."""
    torch.manual_seed(0)
    ours = bn.BatchNorm(num_features, momentum=momentum)
    theirs = (nn.BatchNorm1d if dim == 1 else nn.BatchNorm2d)(num_features, momentum=momentum)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 2.0)
        theirs.bias.uniform_(-1.0, 1.0)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


SHAPES = {1: (16, 5), 2: (4, 3, 6, 7)}


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_training_forward_and_running_statistics_match_pytorch(dim, momentum):
    ours, theirs = pair(SHAPES[dim][1], dim, momentum)
    for step in range(4):
        x = torch.randn(*SHAPES[dim]) * (step + 1) + 3 * step   # the statistics move
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(ours, name), getattr(theirs, name), rtol=1e-5, atol=1e-6)
    assert ours.num_batches_tracked.item() == 4


@pytest.mark.parametrize("dim", [1, 2])
def test_evaluation_uses_the_running_statistics_not_the_batch(dim):
    ours, theirs = pair(SHAPES[dim][1], dim)
    for _ in range(3):
        x = torch.randn(*SHAPES[dim]) * 2 + 1
        ours(x), theirs(x)
    ours.eval(), theirs.eval()
    x = torch.randn(*SHAPES[dim]) * 5 - 4
    before = ours.running_mean.clone()
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    assert torch.equal(ours.running_mean, before)                        # nothing updated
    shape = (1, -1) + (1,) * (x.dim() - 2)
    by_hand = ((x - ours.running_mean.view(shape)) / torch.sqrt(ours.running_var.view(shape) + 1e-5)
               * ours.weight.view(shape) + ours.bias.view(shape))
    torch.testing.assert_close(ours(x), by_hand)
    # one example at a time gives the same answer as the whole batch: no batch statistics
    torch.testing.assert_close(torch.cat([ours(x[i:i + 1]) for i in range(len(x))]), ours(x))


def test_statistics_are_per_channel_over_examples_and_positions():
    x = torch.randn(4, 3, 5, 5) * torch.tensor([1.0, 10.0, 0.1]).view(1, 3, 1, 1)
    y = bn.batch_norm(x, torch.ones(3), torch.zeros(3))
    assert bn.values_per_channel(x) == 4 * 5 * 5
    torch.testing.assert_close(y.mean((0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.var((0, 2, 3), unbiased=False), torch.ones(3), atol=1e-3, rtol=0)
    # not per example, not per position
    assert y.mean((1, 2, 3)).abs().max() > 1e-3 and y.mean((0, 1)).abs().max() > 1e-3


@pytest.mark.parametrize("shape", [(8, 5), (3, 4, 5, 6)])
def test_backward_by_hand_matches_autograd(shape):
    torch.manual_seed(1)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    c = shape[1]
    gamma = torch.rand(c, dtype=torch.float64, requires_grad=True)
    beta = torch.randn(c, dtype=torch.float64, requires_grad=True)
    grad_out = torch.randn(*shape, dtype=torch.float64)
    bn.batch_norm(x, gamma, beta).backward(grad_out)
    d_x, d_gamma, d_beta = bn.batch_norm_backward(grad_out, x.detach(), gamma.detach())
    torch.testing.assert_close(d_x, x.grad)
    torch.testing.assert_close(d_gamma, gamma.grad)
    torch.testing.assert_close(d_beta, beta.grad)
    # and autograd through ours is autograd through PyTorch's
    x2 = x.detach().requires_grad_()
    F.batch_norm(x2, None, None, gamma.detach(), beta.detach(), training=True).backward(grad_out)
    torch.testing.assert_close(x2.grad, x.grad)


@pytest.mark.parametrize("bias", [True, False])
def test_folding_into_the_convolution_gives_the_same_output(bias):
    torch.manual_seed(2)
    conv, norm = nn.Conv2d(3, 8, 3, padding=1, bias=bias), nn.BatchNorm2d(8)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 2)
        norm.bias.uniform_(-1, 1)
    for _ in range(5):
        norm(conv(torch.randn(16, 3, 10, 10) * 3 + 1))                  # running statistics
    norm.eval()
    x = torch.randn(2, 3, 10, 10)
    folded = bn.fold(conv, norm)
    assert folded.bias is not None and folded.weight.shape == conv.weight.shape
    with torch.no_grad():
        torch.testing.assert_close(folded(x), norm(conv(x)), rtol=1e-4, atol=1e-5)
        reference = nn.utils.fusion.fuse_conv_bn_eval(conv.eval(), norm)
        torch.testing.assert_close(folded(x), reference(x), rtol=1e-5, atol=1e-5)


def test_fold_model_removes_every_batch_norm_and_keeps_the_output():
    torch.manual_seed(3)
    model = bn.DeepCNN(depth=6, norm="batch", widths=(4, 8, 8))
    x = torch.randn(32, 1, 28, 28)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(x)
    folded = bn.fold_model(model, x[:8])
    assert not bn.batch_norms(folded)
    assert len(bn.batch_norms(model)) == 6                               # the original is kept
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(folded(x), model(x), rtol=1e-4, atol=1e-4)
    # each folded convolution gains a bias of c_out; each batch norm loses gamma and beta
    params = lambda m: sum(p.numel() for p in m.parameters())
    channels = sum(m.num_features for _, m in bn.batch_norms(model))
    assert params(model) - params(folded) == 2 * channels - channels

def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        bn.batch_norm(torch.randn(5), torch.ones(5), torch.zeros(5))
    with pytest.raises(ValueError, match="more than one value per channel"):
        bn.batch_norm(torch.randn(1, 3), torch.ones(3), torch.zeros(3))
    with pytest.raises(ValueError, match="num_features=3"):
        bn.BatchNorm(3)(torch.randn(4, 5))
    with pytest.raises(ValueError, match="momentum=1.5 must be"):
        bn.BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match="8 output channels"):
        bn.fold(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(4))
    with pytest.raises(ValueError, match="cannot be folded"):
        bn.fold(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, track_running_stats=False))
    with pytest.raises(ValueError, match="depth=10 must be a multiple of 3"):
        bn.DeepCNN(depth=10)
    with pytest.raises(ValueError, match="norm='layer'"):
        bn.DeepCNN(norm="layer")


def test_one_example_in_training_is_refused_as_pytorch_refuses_it():
    with pytest.raises(ValueError):
        nn.BatchNorm1d(3)(torch.randn(1, 3))
    with pytest.raises(ValueError, match="the variance of one value is 0"):
        bn.BatchNorm(3)(torch.randn(1, 3))


@pytest.mark.parametrize("norm, count", [(None, 0), ("batch", 9), ("noisy_batch", 9)])
def test_deep_cnn_shapes_and_norms(norm, count):
    model = bn.DeepCNN(depth=9, norm=norm, widths=(4, 8, 8))
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert len(bn.batch_norms(model)) == count
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 10 and all((c.bias is None) == (norm is not None) for c in convs[1:])


def test_noisy_batch_norm_is_random_in_training_and_plain_in_evaluation():
    torch.manual_seed(4)
    noisy, plain = bn.NoisyBatchNorm2d(3), nn.BatchNorm2d(3)
    x = torch.randn(8, 3, 4, 4)
    assert not torch.allclose(noisy(x), noisy(x))
    plain.load_state_dict(noisy.state_dict())                            # same running statistics
    noisy.eval(), plain.eval()
    torch.testing.assert_close(noisy(x), plain(x))


def test_measurements_run_and_leave_the_model_alone():
    torch.manual_seed(5)
    model = bn.DeepCNN(depth=3, norm="batch", widths=(4, 4, 8))
    X, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    names, stds, grads = bn.layer_statistics(model, X, y)
    assert len(names) == len(stds) == len(grads) == 5                    # 4 convolutions, 1 dense
    names, relative, cosine = bn.gradient_shift(model, X, y, lr=0.1)
    assert relative[0] == pytest.approx(0, abs=1e-6) and cosine[0] == pytest.approx(1, abs=1e-5)
    assert all(r > 0 for r in relative[1:])
    names, mean_error, std_error = bn.statistics_error(model, X, 8)
    _, mean_error_64, _ = bn.statistics_error(model, X, 64)
    assert all(e == pytest.approx(0, abs=1e-4) for e in mean_error_64)  # one batch: the population
    assert all(a > b for a, b in zip(mean_error, mean_error_64))
    bn.batch_statistics_accuracy(model, X, y, 16)
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k
