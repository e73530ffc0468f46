"""Widgets: pure functions (values in, HTML out) and the thin ipywidgets shell around them.

`core` holds the pattern; each topic module holds the pure functions one chapter explores. A
pure function accepts every value its controls offer and more, up to the maxima its module
states in a `RANGES` table, and answers in milliseconds; anything else raises a ValueError that
names the value and what would be valid. Where a model is involved, the shapes it shows are read
from the model's `lib.cost.count`, not worked out again.
"""
from lib.widgets.core import Explorer, error_html, explore, render, static_html

__all__ = ["Explorer", "error_html", "explore", "render", "static_html"]
