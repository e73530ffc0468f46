"""The course library: models, cost accounting, data, training, widgets and plots.

Chapters import from here and never redefine what lives here. Every module is an attribute of
the package, imported on first use: `import lib` alone loads neither PyTorch nor ipywidgets,
and `lib.cost.count(...)` works without `from lib import cost`.
"""
import importlib
import pkgutil

__version__ = "0.2.0"

#: The course repository (the same as `repository:` in _config.yml; a test checks it).
REPOSITORY = "https://github.com/modern-convnets/course"
BRANCH = "main"
#: The release that every chapter's first cell installs where the course is missing (Colab):
#: the tag of this version, cut as the README's "Releases" describes.
RELEASE = f"v{__version__}"


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__))


def __getattr__(name: str):
    if name in _modules():
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}; its modules: {', '.join(_modules())}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_modules()))
