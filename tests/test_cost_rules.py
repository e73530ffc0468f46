"""`lib.cost`'s fast path (`lib.cost._fast`): its shape rules, which skip PyTorch's meta kernels
while counting, give exactly what the meta kernels give and step aside for any input they do
not recognise; building without initialisation leaves `torch.nn.init` as it was."""
import pytest
import torch
import torchvision
from hypothesis import given, settings, strategies as st
from torch import nn

from lib import cost, models
from lib.cost import _fast


def rows(layers):
    return [(l.name, l.type, l.output_shape, l.params, l.macs) for l in layers]


def meta(builder, **kwargs):
    with torch.device("meta"):
        return builder(**kwargs)


@pytest.mark.parametrize("name", models.names())
def test_rules_agree_with_meta_kernels_on_every_registered_model(name):
    model, size = cost.meta_model(name), models.input_size(name)
    fast = cost.trace(model, size)
    assert rows(fast) == rows(cost.trace(model, size, rules=False))
    assert len(fast) > 0


@pytest.mark.parametrize("builder, kwargs, size", [
    (torchvision.models.resnet50, {}, (3, 224, 224)),
    (torchvision.models.inception_v3, {"init_weights": False, "aux_logits": False}, (3, 299, 299)),
    (torchvision.models.mobilenet_v3_small, {}, (3, 224, 224)),
    (torchvision.models.efficientnet_b0, {}, (3, 224, 224)),
    (torchvision.models.convnext_tiny, {}, (3, 224, 224)),
    (torchvision.models.swin_t, {}, (3, 224, 224)),
    (torchvision.models.mnasnet1_0, {}, (3, 224, 224)),
    (torchvision.models.vit_b_16, {}, (3, 224, 224)),
    (torchvision.models.googlenet, {"init_weights": False, "aux_logits": False}, (3, 224, 224)),
])
def test_rules_agree_with_meta_kernels_on_torchvision_models(builder, kwargs, size):
    model = meta(builder, **kwargs).eval()
    assert rows(cost.trace(model, size)) == rows(cost.trace(model, size, rules=False))


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 2), ceil_mode=st.booleans(), kind=st.sampled_from(["max", "avg"]))
def test_pool_rule_matches_torch(n, k, s, p, d, ceil_mode, kind):
    if kind == "avg":
        d = 1
    x = torch.zeros(1, 1, n, n)
    try:
        if kind == "max":
            expected = nn.functional.max_pool2d(x, k, s, p, d, ceil_mode).shape[-1]
        else:
            expected = nn.functional.avg_pool2d(x, k, s, p, ceil_mode).shape[-1]
    except RuntimeError:
        expected = None
    layer = nn.MaxPool2d(k, s, p, d, ceil_mode=ceil_mode) if kind == "max" else nn.AvgPool2d(k, s, p, ceil_mode)
    got = _fast.pool_rule(layer, torch.empty(1, 1, n, n, device="meta"))
    assert (got if got is None else got.shape[-1]) == expected


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 3),
       d=st.integers(1, 2), c_in=st.sampled_from([2, 4]), mode=st.sampled_from(["zeros", "reflect"]))
def test_conv_rule_matches_torch(n, k, s, p, d, c_in, mode):
    conv = nn.Conv2d(c_in, 4, k, s, p, d, groups=2, padding_mode=mode)
    try:
        expected = conv(torch.zeros(1, c_in, n, n)).shape
    except RuntimeError:
        expected = None
    got = _fast.conv_rule(conv, torch.empty(1, c_in, n, n, device="meta"))
    assert (got if got is None else got.shape) == expected


@pytest.mark.parametrize("output_size", [1, 3, (2, None), (None, 5)])
def test_adaptive_pool_rule_matches_torch(output_size):
    x = torch.zeros(2, 3, 7, 6)
    expected = nn.functional.adaptive_avg_pool2d(x, output_size).shape
    assert _fast.adaptive_rule(nn.AdaptiveAvgPool2d(output_size), x.to("meta")).shape == expected


class Elementwise(nn.Module):
    def forward(self, x):
        y = torch.sigmoid(x.mean((2, 3), keepdim=True))
        z = torch.cat([x * y, 1 - x], dim=1) / 2
        z += z.relu()
        return z.add(nn.functional.adaptive_avg_pool2d(z, 1)).mean(1)


def test_function_rules_give_the_shapes_of_real_ops():
    x = torch.randn(2, 3, 5, 4)
    with torch.no_grad(), _fast.ShapeRules():
        fast = Elementwise()(x.to("meta"))
    assert fast.shape == Elementwise()(x).shape == (2, 5, 4)


@pytest.mark.parametrize("model, size, message", [
    (nn.Conv2d(3, 4, 3), (1, 8, 8), "cannot take a 1x8x8 input: Invalid channel dimensions"),
    (nn.Linear(10, 2), (12,), r"must have same reduction dim, but got \[1, 12\] X \[10, 2\]"),
    (nn.MaxPool2d(5), (1, 3, 3), "cannot take a 1x3x3 input"),
])
def test_inputs_outside_the_rules_fail_as_pytorch_says(model, size, message):
    with pytest.raises(ValueError, match=message):
        cost.count(model, size)


class Mismatch(nn.Module):
    def forward(self, x):
        x += torch.empty(1, 2, 3, 3, device=x.device)  # an in-place add that cannot broadcast into x
        return x


def test_in_place_broadcast_errors_are_pytorchs():
    with pytest.raises(ValueError, match="cannot take a 1x1x3 input"):
        cost.count(Mismatch(), (1, 1, 3))


def test_meta_models_are_built_once_per_configuration():
    assert cost.meta_model("resnet18") is cost.meta_model("resnet18")
    assert cost.meta_model("resnet18", num_classes=10) is not cost.meta_model("resnet18")
    first, again = cost.count("resnet18", image_size=96), cost.count("resnet18", image_size=96)
    assert rows(first.layers) == rows(again.layers) and first.macs == again.macs
    other_size = cost.count("resnet18", input_size=(3, 112, 112))
    assert other_size.macs == cost.count(models.create("resnet18"), (3, 112, 112)).macs != first.macs


def test_counting_leaves_a_module_as_it_was():
    model = torchvision.models.resnet18()
    forwards = {name: m.__dict__.get("forward") for name, m in model.named_modules()}
    cost.count(model, (3, 64, 64))
    assert {name: m.__dict__.get("forward") for name, m in model.named_modules()} == forwards
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, 1000)


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=4).map(tuple)


def real_shape(fn, *tensors):
    try:
        return tuple(fn(*tensors).shape)
    except (RuntimeError, IndexError):
        return None


def rule_shape(rule, func, *args, **kwargs):
    out = rule(func, (), tuple(args), kwargs)
    return None if out is NotImplemented else tuple(out.shape)


@settings(max_examples=100, deadline=None)
@given(a=shapes, b=shapes)
def test_binary_rule_broadcasts_as_torch_does(a, b):
    x, y = torch.zeros(a), torch.zeros(b)
    assert rule_shape(_fast.binary, torch.mul, x.to("meta"), y.to("meta")) == real_shape(torch.mul, x, y)
    in_place = real_shape(lambda u, v: u.clone().add_(v), x, y)
    assert rule_shape(_fast.binary, torch.Tensor.add_, x.to("meta"), y.to("meta")) == in_place


@settings(max_examples=60, deadline=None)
@given(a=shapes.filter(len), dims=st.lists(st.integers(-5, 4), min_size=1, max_size=2, unique=True),
       keepdim=st.booleans())
def test_mean_rule_reduces_as_torch_does(a, dims, keepdim):
    x = torch.zeros(a)
    expected = real_shape(lambda t: t.mean(dims, keepdim=keepdim), x)
    assert rule_shape(_fast.mean, torch.mean, x.to("meta"), dims, keepdim) == expected


@settings(max_examples=60, deadline=None)
@given(a=shapes.filter(len), b=shapes.filter(len), dim=st.integers(-4, 3))
def test_cat_rule_concatenates_as_torch_does(a, b, dim):
    x, y = torch.zeros(a), torch.zeros(b)
    expected = real_shape(lambda u, v: torch.cat([u, v], dim), x, y)
    assert rule_shape(_fast.cat, torch.cat, [x.to("meta"), y.to("meta")], dim) == expected


def test_building_without_initialisation_restores_torch_nn_init():
    before = dict(vars(nn.init))
    with pytest.raises(ValueError):
        with _fast.no_init():
            assert nn.init.kaiming_normal_ is not before["kaiming_normal_"]
            raise ValueError("a model that fails to build")
    assert dict(vars(nn.init)) == before
    net = cost.build_on_meta(nn.Linear, 3, 4)
    assert net.weight.is_meta and nn.init.kaiming_uniform_ is before["kaiming_uniform_"]


def test_counting_leaves_garbage_collection_as_it_was():
    import gc
    cost.count("lenet")
    assert gc.isenabled()
    gc.disable()
    try:
        cost.count("lenet")
        assert not gc.isenabled()
    finally:
        gc.enable()
