"""Every registered model: counted on the meta device at paper scale, then run at course scale."""
import pytest
import torch

from lib import cost, models

NAMES = models.names()


@pytest.mark.parametrize("name", NAMES)
def test_paper_scale_counts_before_it_runs(name):
    c = cost.count(name)
    assert c.params > 0 and c.macs > 0
    assert c.layers[-1].output_shape == (1000,) or name == "lenet"


@pytest.mark.parametrize("name", NAMES)
def test_course_scale_forward_backward(name):
    torch.manual_seed(0)
    kwargs = models.course_config(name)
    net = models.create(name, **kwargs)
    c_in, h, w = models.input_size(name, **kwargs)
    assert c_in == kwargs.get("in_channels", c_in)
    x = torch.randn(2, c_in, h, w)
    net.train()
    out = net(x)
    out = out[0] if isinstance(out, tuple) else out
    assert out.shape == (2, kwargs.get("num_classes", 10))
    assert torch.isfinite(out).all()
    out.square().mean().backward()
    grads = [p.grad for p in net.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    net.eval()
    with torch.no_grad():
        assert torch.equal(net(x), net(x)), "eval mode must be deterministic"


@pytest.mark.parametrize("name", NAMES)
def test_counting_leaves_the_model_untouched(name):
    kwargs = models.course_config(name)
    net = models.create(name, **kwargs)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    c = cost.count(net, models.input_size(name, **kwargs))
    assert c.params == sum(p.numel() for p in net.parameters())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.device.type == "cpu" for p in net.parameters())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kwargs", [
    dict(num_classes=0), dict(num_classes=-1), dict(num_classes=2.5), dict(num_classes=True),
    dict(in_channels=0), dict(in_channels=None), dict(image_size=-5), dict(image_size=224.0),
])
def test_bad_common_arguments_are_named_by_every_model(name, kwargs):
    (arg, value), = kwargs.items()
    with pytest.raises(ValueError, match=rf"{arg}={value!r} must be a positive integer"):
        models.create(name, **kwargs)
    if arg != "num_classes":
        with pytest.raises(ValueError, match=rf"{arg}={value!r} must be a positive integer"):
            models.input_size(name, **kwargs)


def test_unknown_names_list_the_known_ones():
    for call in (models.create, models.input_size, models.course_config):
        with pytest.raises(ValueError, match="unknown model 'resnet17'; known models: lenet, "):
            call("resnet17")
