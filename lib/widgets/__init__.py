"""Widgets: pure functions (values in, HTML out) and the thin ipywidgets shell around them.

`core` holds the pattern; each topic module holds the pure functions one chapter explores.
"""
from lib.widgets.core import Explorer, error_html, explore, render, static_html

__all__ = ["Explorer", "error_html", "explore", "render", "static_html"]
