"""The course library: models, cost accounting, data, training, widgets and plots.

Chapters import from here and never redefine what lives here.
"""
__version__ = "0.1.0"

#: The course repository (the same as `repository:` in _config.yml; a test checks it).
REPOSITORY = "https://github.com/modern-convnets/course"
BRANCH = "main"
