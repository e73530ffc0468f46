"""Every architecture of the course, created by name.

    >>> from lib import models
    >>> net = models.create("lenet")
    >>> models.input_size("lenet")
    (1, 28, 28)
"""
from lib.models.registry import course_config, create, input_size, names, register

import importlib

# One module per family, in the course's order; each registers its builders on import.
FAMILIES = ('lenet', 'alexnet', 'vgg', 'nin', 'googlenet', 'inception', 'xception', 'resnet', 'senet', 'densenet', 'squeezenet', 'mobilenet', 'shufflenet', 'efficientnet')
for _family in FAMILIES:
    importlib.import_module(f"lib.models.{_family}")

__all__ = ["course_config", "create", "input_size", "names", "register"]
