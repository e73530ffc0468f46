"""Every architecture of the course, created by name.

    >>> from lib import models
    >>> net = models.create("lenet")
    >>> models.input_size("lenet")
    (1, 28, 28)
"""
from lib.models.registry import course_config, create, input_size, names, register

# Each family registers its builders on import.
from lib.models import lenet  # noqa: F401, E402

__all__ = ["course_config", "create", "input_size", "names", "register"]
