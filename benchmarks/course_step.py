"""One training step of a course model as `lib.train.fit` runs it on the CPU: Adam, channels-last,
the automatic precision, random images. Shared by the benchmarks that time single steps."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from lib import models
from lib.train import precision

#: The course models the step benchmarks time, with what differs from `models.course_config`.
MODELS = {"alexnet": {}, "vgg11": {}, "resnet18": {"image_size": 96}}


def label(name: str) -> str:
    return name + (" 96x96" if MODELS[name] else " course form")


def course_step(name: str, batch_size: int):
    """(step, the model, its input size, the precision it runs in) for `name` in MODELS."""
    kwargs = {**models.course_config(name), **MODELS[name]}
    torch.manual_seed(0)
    size = models.input_size(name, **kwargs)
    net = models.create(name, **kwargs).to(memory_format=torch.channels_last)
    x = torch.randn(batch_size, *size).contiguous(memory_format=torch.channels_last)
    y = torch.randint(kwargs["num_classes"], (batch_size,))
    optimizer = torch.optim.Adam(net.parameters(), 1e-3)
    cpu = torch.device("cpu")
    chosen = precision.resolve(cpu, "auto")

    def step():
        with precision.autocast(cpu, chosen):
            loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step, net, size, chosen
