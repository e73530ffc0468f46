"""Activation memory (`lib.cost.memory`) against what PyTorch holds: the meta-device count equals,
byte for byte, what the CPU allocator still holds at the end of a real training-mode forward pass
(read from PyTorch's profiler), on models with in-place ReLUs, dropout, identities,
concatenations, residual additions, max-pooling indices and checkpointing."""
import pytest
import torch
from torch import nn

from lib import cost, models
from lib.cost import memory
from lib.models.densenet import DenseLayer
from lib.models.resnet import cifar_resnet


def batch_norm_statistics(model):
    """Bytes batch norm keeps per batch whatever its size: a float32 mean and inverse standard
    deviation per channel, for each call outside a checkpointed region (a checkpointed batch
    norm recomputes them in the backward pass)."""
    checkpointed = {id(layer.norm1) for layer in model.modules()
                    if isinstance(layer, DenseLayer) and layer.memory_efficient
                    and layer.bottleneck}
    return sum(8 * m.num_features for m in model.modules()
               if isinstance(m, nn.modules.batchnorm._BatchNorm) and id(m) not in checkpointed)


def course(name, **kwargs):
    config = {**models.course_config(name), **kwargs}
    torch.manual_seed(0)
    return models.create(name, **config), models.input_size(name, **config)


TOY = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(inplace=True), nn.Identity(), nn.Dropout(0.3),
                    nn.Flatten(), nn.Linear(4 * 26 * 26, 10), nn.Dropout(0.5))

MODELS = {
    "toy: in-place ReLU, identity, dropout": lambda: (TOY, (1, 28, 28)),
    "lenet": lambda: course("lenet"),
    "vgg11 course": lambda: course("vgg11"),
    "nin course": lambda: course("nin"),
    "resnet18 course": lambda: course("resnet18"),
    "resnet18 course, pre-activation": lambda: course("resnet18", block_variant="pre"),
    "resnet18 course, plain": lambda: course("resnet18", residual=False),
    "resnet20, option A": lambda: (cifar_resnet(20, 8, in_channels=1), (1, 28, 28)),
    "densenet121 course": lambda: course("densenet121"),
    "densenet121 course, checkpointed": lambda: course("densenet121", memory_efficient=True),
}


@pytest.mark.parametrize("name", MODELS)
def test_count_equals_what_the_allocator_holds_after_the_forward_pass(name):
    model, size = MODELS[name]()
    batch = 3
    step = memory.training_step(model, torch.randn(batch, *size))
    counted = cost.count(model, size, batch_size=batch).activation_bytes
    assert step.forward == counted + batch_norm_statistics(model)
    assert step.peak >= step.forward  # the backward pass adds the gradients at least


def test_per_image_is_what_one_more_image_holds():
    model, size = course("resnet18")
    three, five = (memory.training_step(model, torch.randn(b, *size)).forward for b in (3, 5))
    assert five - three == 2 * cost.count(model, size).activation_bytes


@pytest.mark.parametrize("name", ["resnet50", "densenet121", "inception_v3", "efficientnet_b0",
                                  "mobilenet_v2"])
def test_allocation_rules_agree_with_meta_kernels(name):
    model, size = cost.meta_model(name), models.input_size(name)
    assert memory.activations(model, size) == memory.activations(model, size, rules=False)


def test_each_storage_counts_once():
    # conv -> BN -> in-place ReLU keeps two maps: BN's input (the convolution's output) and
    # the BN output that the ReLU overwrites and saves. Identity and flatten create nothing;
    # the linear layer's input is that same map, and its output is held as the output.
    c, h = 6, 10
    model = nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                          nn.Identity(), nn.Flatten(), nn.Linear(c * h * h, 5))
    a = memory.activations(model, (1, h, h))
    assert a.per_image == (2 * c * h * h + 5) * 4
    assert a.by_module == {"0": c * h * h * 4, "1": c * h * h * 4, "5": 5 * 4}


def test_concatenations_and_sums_are_counted():
    class Concat(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 1)

        def forward(self, x):
            y = torch.cat([x, self.conv(x)], 1)           # (B, 4, H, W), kept by the mul
            return y * y                                   # the output

    a = memory.activations(Concat(), (2, 5, 5))
    # the convolution's output dies once concatenated; the concatenation is saved by the product
    assert a.by_module == {"": 2 * 4 * 25 * 4}


def test_checkpointing_keeps_less():
    full = cost.count("densenet121", **models.course_config("densenet121"))
    efficient = cost.count("densenet121", **models.course_config("densenet121"),
                           memory_efficient=True)
    assert (efficient.params, efficient.macs) == (full.params, full.macs)
    assert efficient.activation_bytes < 0.6 * full.activation_bytes


def test_scales_with_batch_and_dtype_and_is_measured_when_read():
    c = cost.count("resnet18", **models.course_config("resnet18"))
    assert "activations" not in vars(c)  # counting alone does not measure memory
    per_image = c.activation_bytes
    assert cost.count("resnet18", **models.course_config("resnet18"),
                      batch_size=8).activation_bytes == 8 * per_image
    half = cost.count("resnet18", **models.course_config("resnet18"), dtype=torch.bfloat16)
    # max-pooling's indices are int64 in any dtype: everything else halves
    indices = 16 * 14 * 14 * 8
    assert half.activation_bytes - indices == (per_image - indices) // 2


def test_a_training_step_leaves_the_model_as_it_was():
    model, size = course("lenet")
    model.eval()
    memory.training_step(model, torch.randn(2, *size))
    assert all(p.grad is None for p in model.parameters())
    memory.activations(model, size)
    assert not model.training
    assert not model._forward_hooks and not model._forward_pre_hooks
