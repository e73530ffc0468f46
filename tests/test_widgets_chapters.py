"""Every explorer the chapters show, built as its chapter builds it, displayed, and each control
moved through all its values, under whichever ipywidgets is installed.

tests/test_widgets_ipywidgets7.py runs this file again under ipywidgets 7.7.1, Colab's release;
the environment variable COURSE_IPYWIDGETS names the version such a run must find."""
import ast
import os
from pathlib import Path

import ipywidgets
import nbformat
import pytest

from lib.widgets import render

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def explorer_cells():
    """(chapter, cell source, stored static HTML) of every cell whose output is an explorer."""
    found = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                page = output.get("data", {}).get("text/html", "")
                if "explorer-static" in page:
                    found.append(pytest.param(path, cell.source, page, id=f"{path.stem}:{len(found)}"))
    return found


def chapter_imports(path):
    """The chapter's import statements, run in a fresh namespace: what its explorer cells use."""
    namespace = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        text = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        for node in ast.parse(text).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], []), str(path), "exec"), namespace)
    return namespace


def build(path, source):
    tree = ast.parse(source)
    *statements, last = tree.body
    namespace = chapter_imports(path)
    exec(compile(ast.Module(statements, []), str(path), "exec"), namespace)
    return eval(compile(ast.Expression(last.value), str(path), "eval"), namespace)


def displayed(obj) -> dict:
    """The mime bundle a notebook front end receives when `obj` is displayed."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as captured:
        display(obj)
    (output,) = captured.outputs
    return output.data


def test_the_expected_ipywidgets_is_running():
    expected = os.environ.get("COURSE_IPYWIDGETS")
    if expected:
        assert ipywidgets.__version__ == expected


def test_the_chapters_have_explorers():
    assert len(explorer_cells()) >= 7


@pytest.mark.parametrize("path, source, stored", explorer_cells())
def test_explorer_displays_its_live_and_static_views(path, source, stored):
    bundle = displayed(build(path, source))
    assert set(bundle) == {WIDGET_VIEW, "text/html", "text/plain"}
    same = bundle["text/html"] == stored  # not in the assert: pytest would diff 0.5 MB for hours
    assert same, "the static version differs from the chapter's stored one"
    assert bundle[WIDGET_VIEW]["model_id"]


@pytest.mark.parametrize("path, source, stored", explorer_cells())
def test_every_control_moves_and_the_answer_follows(path, source, stored):
    explorer = build(path, source)
    start = dict(explorer.value)
    for name, options in explorer.controls.items():
        control = explorer._widgets[name]
        assert list(control.options) == options and control.value == start[name]
        for option in options:
            control.value = option
            assert explorer._output.value == render(explorer.fn, {**start, name: option}), (name, option)
        control.value = start[name]
    assert explorer.value == start
    assert explorer._output.value == render(explorer.fn, start)
