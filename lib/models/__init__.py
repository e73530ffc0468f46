"""Every architecture of the course, created by name.

    >>> from lib import models
    >>> net = models.create("lenet")
    >>> models.input_size("lenet")
    (1, 28, 28)

One module per paper, imported in the course's order: importing a module registers its
builders, so `names()` lists the models in this order. Layers that several families share are
in `layers`, the checks of arguments in `checks`, the published counts in `references`.
"""
from lib.models.registry import course_config, create, input_size, names, register

from lib.models import (  # noqa: F401 (each registers its models)
    lenet, alexnet, vgg, nin, googlenet, inception_bn, inception_v3, inception_v4, xception,
    resnet, senet, densenet, squeezenet, mobilenet, shufflenet, efficientnet)

__all__ = ["course_config", "create", "input_size", "names", "register"]
