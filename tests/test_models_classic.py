"""AlexNet, VGG, NiN and GoogLeNet against independent references.

Sources: torchvision's VGG (parameters, `meta["_ops"]` of its ImageNet weights, the layers of
`torchvision.models.vgg.make_layers`), torchvision's `Inception` signature, the hand formulas of
`lib.cost`, and Table 1 and Section 5 of the GoogLeNet paper (arXiv:1409.4842).
"""
import importlib
import inspect

import pytest
import torch
import torchvision
from torch import nn

from lib import cost, models
from lib.cost import conv_params
from lib.models.googlenet import INCEPTIONS, GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux
from lib.models.nin import NiNBlock
from lib.models.vgg import (CONFIGS, VGG, VGGBlock, config_from_blocks,
                            one_kernel_per_block)
from lib.ops import receptive_field

tv_vgg = importlib.import_module("torchvision.models.vgg")
tv_googlenet = importlib.import_module("torchvision.models.googlenet")

TORCHVISION_VGG = [("vgg11", "A", "VGG11"), ("vgg13", "B", "VGG13"),
                   ("vgg16", "D", "VGG16"), ("vgg19", "E", "VGG19")]


# --- VGG against torchvision ------------------------------------------------------------------

@pytest.mark.parametrize("name,config,weights", TORCHVISION_VGG)
def test_vgg_parameters_equal_torchvision(name, config, weights):
    with torch.device("meta"):
        ours, theirs = models.create(name), getattr(torchvision.models, name)()
    assert [p.shape for p in ours.parameters()] == [p.shape for p in theirs.parameters()]
    n = sum(p.numel() for p in ours.parameters())
    assert n == sum(p.numel() for p in theirs.parameters())
    assert n == getattr(torchvision.models, f"{weights}_Weights").IMAGENET1K_V1.meta["num_params"]
    assert CONFIGS[config] == tuple(tv_vgg.cfgs[config])


@pytest.mark.parametrize("name,config,weights", TORCHVISION_VGG)
def test_vgg_macs_match_torchvision_ops(name, config, weights):
    ops = getattr(torchvision.models, f"{weights}_Weights").IMAGENET1K_V1.meta["_ops"]  # GMACs
    assert cost.count(name).macs / 1e9 == pytest.approx(ops, rel=1e-3)


@pytest.mark.parametrize("config", ["A", "B", "D", "E"])
def test_vgg_features_compute_what_torchvision_computes(config):
    torch.manual_seed(0)
    theirs = tv_vgg.make_layers(tv_vgg.cfgs[config]).eval()
    ours = VGG(config, image_size=32, hidden=1).features.eval()  # the classifier plays no part
    ours_params, their_params = list(ours.parameters()), list(theirs.parameters())
    with torch.no_grad():
        for mine, other in zip(ours_params, their_params, strict=True):
            mine.copy_(other)
        x = torch.randn(1, 3, 64, 64)
        assert torch.allclose(ours(x), theirs(x), atol=1e-5)


def test_vgg_from_blocks_equals_configuration_a():
    with torch.device("meta"):
        a = VGG(config_from_blocks(((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))))
        a_registered = models.create("vgg11")
    assert [p.shape for p in a.parameters()] == [p.shape for p in a_registered.parameters()]


def _fields_at_pools(config):
    # receptive field and jump of the input after each max-pool of a configuration
    layers, fields = [], []
    for v in config:
        layers.append((2, 2) if v == "M" else (v[0] if isinstance(v, tuple) else 3, 1))
        if v == "M":
            fields.append(receptive_field(layers)[-1])
    return fields


@pytest.mark.parametrize("config", ["A", "B", "D", "E"])
def test_one_kernel_per_block_keeps_channels_and_receptive_fields(config):
    merged = one_kernel_per_block(config)
    assert merged.count("M") == CONFIGS[config].count("M")
    assert _fields_at_pools(merged) == _fields_at_pools(CONFIGS[config])
    with torch.device("meta"):
        stacked, single = VGG(config), VGG(merged)
    assert [b[-3].out_channels for b in single.features] == [
        b[-3].out_channels for b in stacked.features]
    assert all(sum(isinstance(m, nn.Conv2d) for m in b) == 1 for b in single.features)


def test_one_kernel_per_block_of_b_is_the_papers_shallow_net():
    # Section 4.1: B with each pair of 3x3 layers replaced by a single 5x5 layer
    assert one_kernel_per_block("B") == tuple(
        item for n in (64, 128, 256, 512, 512) for item in ((5, n), "M"))


def test_vgg_block():
    block = VGGBlock(2, 3, 8)
    assert block(torch.randn(1, 3, 32, 30)).shape == (1, 8, 16, 15)
    assert sum(p.numel() for p in block.parameters()) == conv_params(3, 3, 8) + conv_params(3, 8, 8)
    c_block = VGGBlock(3, 128, 256, kernel_sizes=(3, 3, 1))
    assert sum(p.numel() for p in c_block.parameters()) == (
        conv_params(3, 128, 256) + conv_params(3, 256, 256) + conv_params(1, 256, 256))
    assert any(isinstance(m, nn.LocalResponseNorm) for m in VGGBlock(1, 3, 64, lrn=True))


def test_vgg_lrn_and_conv1_are_where_table_1_puts_them():
    with torch.device("meta"):
        a_lrn, c = models.create("vgg11_lrn").features, models.create("vgg16_c").features
    assert isinstance(a_lrn[0][2], nn.LocalResponseNorm)  # conv3-64, ReLU, LRN, pool
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in a_lrn.modules()) == 1
    kernels = [[m.kernel_size[0] for m in block if isinstance(m, nn.Conv2d)] for block in c]
    assert kernels == [[3, 3], [3, 3], [3, 3, 1], [3, 3, 1], [3, 3, 1]]


# --- NiN --------------------------------------------------------------------------------------

def test_nin_block():
    block = NiNBlock(3, 96, 11, 4)
    assert block(torch.randn(1, 3, 224, 224)).shape == (1, 96, 54, 54)
    assert sum(p.numel() for p in block.parameters()) == conv_params(11, 3, 96) + 2 * conv_params(1, 96, 96)


def test_nin_has_no_dense_layer_and_one_score_map_per_class():
    with torch.device("meta"):
        net = models.create("nin", num_classes=17)
    assert not any(isinstance(m, nn.Linear) for m in net.modules())
    assert net.features.block4[-2].out_channels == 17
    assert cost.count(net, (3, 224, 224)).layers[-1].output_shape == (17,)


def test_nin_class_relus_decide_whether_a_dead_class_map_gets_gradient():
    torch.manual_seed(0)
    for class_relus, dead in ((True, True), (False, False)):
        net = models.create("nin", **{**models.course_config("nin"), "class_relus": class_relus})
        net.eval()
        last = [m for m in net.features.block4 if isinstance(m, nn.Conv2d)][-1]
        assert isinstance(net.features.block4[-1], nn.ReLU) == class_relus
        assert sum(isinstance(m, nn.ReLU) for m in net.features.block4) == 3 * class_relus
        with torch.no_grad():
            last.bias[3] = -1e3                 # class 3's map below zero at every pixel
        net(torch.randn(8, 1, 128, 128))[:, 3].sum().backward()
        assert (last.weight.grad[3].abs().sum() == 0).item() == dead


def test_nin_course_form_has_no_relu_in_its_last_block():
    kwargs = models.course_config("nin")
    assert kwargs["class_relus"] is False
    with pytest.raises(ValueError, match="class_relus"):
        models.create("nin", class_relus="no")


def test_nin_dense_head_replaces_the_last_block_and_global_pooling_with_alexnets_head():
    with torch.device("meta"):
        gap, dense = models.create("nin"), models.create("nin", head="dense")
    assert [n for n, _ in dense.features.named_children()] == [
        n for n, _ in gap.features.named_children()][:-2]       # no dropout, no block4
    fcs = [m for m in dense.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in fcs] == [
        (384 * 5 * 5, 4096), (4096, 4096), (4096, 1000)]
    body = cost.count("nin").params - sum(p.numel() for p in gap.features.block4.parameters())
    head = sum(p.numel() for m in fcs for p in m.parameters())
    assert cost.count("nin", head="dense").params == body + head
    course = {**models.course_config("nin"), "head": "dense", "hidden": 64}
    net = models.create("nin", **course)
    assert net(torch.randn(2, 1, 128, 128)).shape == (2, 10)
    assert net.classifier.fc1.in_features == 96 * 2 * 2
    with pytest.raises(ValueError, match="head"):
        models.create("nin", head="linear")

# --- GoogLeNet --------------------------------------------------------------------------------

def test_inception_takes_torchvisions_arguments():
    names = list(inspect.signature(Inception).parameters)
    theirs = list(inspect.signature(tv_googlenet.Inception).parameters)
    assert names == theirs[:7]


def test_inception_3a_against_hand_formula():
    block = Inception(192, 64, 96, 128, 16, 32, 32)
    assert block.out_channels == 256
    assert block(torch.randn(1, 192, 28, 28)).shape == (1, 256, 28, 28)
    expected = (conv_params(1, 192, 64) + conv_params(1, 192, 96) + conv_params(3, 96, 128)
                + conv_params(1, 192, 16) + conv_params(5, 16, 32) + conv_params(1, 192, 32))
    assert sum(p.numel() for p in block.parameters()) == expected


def test_naive_inception_module_passes_the_pooled_input_on():
    naive = Inception(192, 64, None, 128, None, 32, None)
    assert naive.out_channels == 64 + 128 + 32 + 192
    assert naive(torch.randn(1, 192, 7, 7)).shape == (1, 416, 7, 7)
    assert sum(p.numel() for p in naive.parameters()) == (
        conv_params(1, 192, 64) + conv_params(3, 192, 128) + conv_params(5, 192, 32))


def test_googlenet_output_channels_follow_table_1():
    # Paper, Table 1, "output size" depth of each Inception row.
    depths = {"3a": 256, "3b": 480, "4a": 512, "4b": 512, "4c": 512, "4d": 528, "4e": 832,
              "5a": 832, "5b": 1024}
    with torch.device("meta"):
        net = models.create("googlenet")
    for row in INCEPTIONS:
        if row != "M":
            assert net.features.get_submodule(f"inception{row[0]}").out_channels == depths[row[0]]
            assert sum(row[i] for i in (1, 3, 5, 6)) == depths[row[0]]
    assert net.fc.in_features == 1024


def test_googlenet_uses_5x5_convolutions_and_no_batch_norm():
    with torch.device("meta"):
        net, without_lrn = models.create("googlenet"), models.create("googlenet", lrn=False)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())
    assert sum(isinstance(m, nn.Conv2d) and m.kernel_size == (5, 5) for m in net.modules()) == 9
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in net.modules()) == 2
    assert not any(isinstance(m, nn.LocalResponseNorm) for m in without_lrn.modules())


def test_googlenet_light_stem_and_no_reductions_keep_table_1s_widths():
    light = models.create("googlenet", in_channels=1, num_classes=10, image_size=28,
                          stem="light", lrn=False, width_mult=0.25)
    assert [name for name, _ in light.features.named_children()][:2] == ["conv1", "maxpool1"]
    assert light(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    shapes = {l.name: l.output_shape for l in cost.count(
        "googlenet", in_channels=1, image_size=28, stem="light").layers}
    assert shapes["features.maxpool1"] == (192, 14, 14) and shapes["features.maxpool2"][1:] == (7, 7)
    with torch.device("meta"):
        naive = models.create("googlenet", stem="light", image_size=28, reductions=False)
    for row in INCEPTIONS:
        if row != "M":
            block = naive.features.get_submodule(f"inception{row[0]}")
            assert block.out_channels == sum(row[i] for i in (1, 3, 5, 6))
            assert not hasattr(block.branch2, "reduce") and hasattr(block.branch4, "proj")
            assert block.branch3.conv5x5.conv.in_channels == block.branch1.conv.in_channels


def test_googlenet_starts_with_logits_of_order_one():
    torch.manual_seed(0)
    for options in (dict(width_mult=0.25), dict(width_mult=0.125, reductions=False)):
        net = models.create("googlenet", in_channels=1, num_classes=10, image_size=28,
                            stem="light", lrn=False, **options).eval()
        with torch.no_grad():
            assert net(torch.randn(64, 1, 28, 28)).std() < 3, options


def test_aux_logits():
    torch.manual_seed(0)
    net = models.create("googlenet", aux_logits=True, num_classes=7, image_size=96, width_mult=0.25)
    x = torch.randn(2, 3, 96, 96)
    out = net.train()(x)
    assert isinstance(out, GoogLeNetOutputs) and len(out) == 3
    assert all(t.shape == (2, 7) for t in out)
    net.eval()
    with torch.no_grad():
        assert isinstance(net(x), torch.Tensor) and net(x).shape == (2, 7)
    assert not isinstance(models.create("googlenet", image_size=96, width_mult=0.25).train()(x), tuple)


def test_aux_classifiers_follow_section_5():
    with torch.device("meta"):
        plain, with_aux = models.create("googlenet"), models.create("googlenet", aux_logits=True)
    # 5x5/3 average pool (14x14 -> 4x4), 1x1 conv with 128 filters, 1024-unit dense layer, classifier.
    aux = {c: conv_params(1, c, 128) + (128 * 4 * 4 + 1) * 1024 + (1024 + 1) * 1000 for c in (512, 528)}
    extra = sum(p.numel() for p in with_aux.parameters()) - sum(p.numel() for p in plain.parameters())
    assert extra == aux[512] + aux[528]
    assert list(with_aux.aux) == ["inception4a", "inception4d"]
    assert with_aux.aux["inception4a"].dropout.p == 0.7
    assert InceptionAux(528, 10, 14)(torch.randn(1, 528, 14, 14)).shape == (1, 10)


def test_alexnet_geometry():
    with torch.device("meta"):
        net, small = models.create("alexnet"), models.create("alexnet", width_mult=0.25)
    assert net.classifier.fc6.in_features == 256 * 5 * 5
    assert [m.out_channels for m in net.features if isinstance(m, nn.Conv2d)] == [96, 256, 384, 384, 256]
    assert [m.out_channels for m in small.features if isinstance(m, nn.Conv2d)] == [24, 64, 96, 96, 64]


@pytest.mark.parametrize("name", ["alexnet", "vgg11", "vgg11_lrn", "vgg13", "vgg16_c", "vgg16",
                                  "vgg19", "nin", "googlenet"])
def test_course_scale_is_small(name):
    kwargs = models.course_config(name)
    assert kwargs["in_channels"] == 1 and kwargs["num_classes"] == 10
    c = cost.count(name, **kwargs)
    assert c.macs <= 26e6, c.summary()
    assert models.input_size(name, **kwargs) == (1, kwargs["image_size"], kwargs["image_size"])


# --- Bad arguments ----------------------------------------------------------------------------

@pytest.mark.parametrize("build,words", [
    (lambda: VGG("F"), ["'F'", "A-LRN", "E"]),
    (lambda: VGG((64, 128)), ["must end with 'M'"]),
    (lambda: VGG((64, 128, "M")), ["same number of channels", "64, 128"]),
    (lambda: VGG(("conv3-64", "M")), ["'conv3-64'", "'M'"]),
    (lambda: VGG("A", image_size=16), ["image_size=16", ">= 32"]),
    (lambda: models.create("vgg16", width_mult=0), ["width_mult", "0"]),
    (lambda: models.create("vgg16", hidden=0), ["hidden", "0"]),
    (lambda: models.create("vgg16", dropout=1.0), ["dropout", "1.0"]),
    (lambda: VGGBlock(2, 3, 8, kernel_sizes=(3,)), ["kernel_sizes=(3,)", "num_convs=2"]),
    (lambda: VGGBlock(1, 3, 8, kernel_sizes=2), ["kernel_sizes=(2,)", "odd"]),
    (lambda: VGGBlock(0, 3, 8), ["num_convs", "0"]),
    (lambda: config_from_blocks((64, 128)), ["(num_convs, out_channels)", "64"]),
    (lambda: one_kernel_per_block("C"), ["block 3", "(3, 3, 1)"]),
    (lambda: one_kernel_per_block("A-LRN"), ["block 1", "LRN"]),
    (lambda: one_kernel_per_block("F"), ["'F'", "A-LRN"]),
    (lambda: models.create("alexnet", image_size=60), ["image_size=60", ">= 65"]),
    (lambda: models.create("alexnet", width_mult=-1), ["width_mult", "-1"]),
    (lambda: models.create("nin", image_size=50), ["image_size=50", ">= 67"]),
    (lambda: NiNBlock(3, 0, 3), ["out_channels", "0"]),
    (lambda: Inception(192, 0, 96, 128, 16, 32, 32), ["ch1x1", "0"]),
    (lambda: Inception(192, 64, 96, 128, 16, 32, "32"), ["pool_proj", "'32'"]),
    (lambda: models.create("googlenet", aux_logits=True, image_size=64), ["image_size=64", ">= 65", "aux_logits=False"]),
    (lambda: models.create("googlenet", aux_logits="yes"), ["aux_logits", "'yes'"]),
    (lambda: GoogLeNet(image_size=0), ["image_size", "0"]),
    (lambda: GoogLeNet(stem="tiny"), ["stem='tiny'", "'light'"]),
    (lambda: GoogLeNet(reductions="no"), ["reductions", "'no'"]),
    (lambda: GoogLeNet(stem="light", image_size=16, aux_logits=True), ["image_size=16", ">= 17"]),
])
def test_bad_arguments_are_named(build, words):
    with pytest.raises(ValueError) as e:
        build()
    assert all(w in str(e.value) for w in words), str(e.value)


def test_smallest_sizes_named_in_messages_work():
    for name, size in (("alexnet", 65), ("nin", 67)):
        assert cost.count(name, image_size=size).layers[-1].output_shape == (1000,)
    assert cost.count("googlenet", aux_logits=True, image_size=65).params > 0
