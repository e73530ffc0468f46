"""The widget pattern every chapter uses: a pure function wrapped by a thin ipywidgets shell.

The pure function takes the controls' values as keyword arguments and returns HTML (a string,
or any object with `_repr_html_`, such as `lib.cost.Cost`). For an invalid combination it raises
`ValueError` with a message that names the value and what would be valid; the widget shows that
message instead of a traceback.

`explore(fn, controls)` returns an `Explorer`. In a live kernel it is an ipywidgets box with one
slider or dropdown per control, under ipywidgets 8 or Colab's 7.7 alike. Its display also
carries a static HTML version: `fn` evaluated by `lib` over the whole control grid, with a few
lines of JavaScript that pick the stored answer for the chosen values. Pages of the built book,
where no kernel runs, and any front end without a widget manager show that version, so every
number a reader sees there still comes from `lib`.
"""
from __future__ import annotations

import hashlib
import html
import itertools
import json
import math
from typing import Callable, Sequence

import ipywidgets as w

#: Largest control grid rendered into a static page.
MAX_STATIC_COMBINATIONS = 5000

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Colab ships ipywidgets 7.7 (its front end does not render 8); both are supported.
IPYWIDGETS_MAJOR = int(w.__version__.split(".")[0])

_ERROR_STYLE = ("color:#8a1f11;background:#fdecea;border-left:4px solid #c0392b;"
                "padding:0.4em 0.8em;margin:0.3em 0")


def error_html(message: str) -> str:
    return f"<div class='explorer-error' style='{_ERROR_STYLE}'>{html.escape(message)}</div>"


def render(fn: Callable[..., object], values: dict) -> str:
    """`fn(**values)` as HTML; a `ValueError` becomes its message, shown as an error box."""
    try:
        result = fn(**values)
    except ValueError as e:
        return error_html(str(e))
    if hasattr(result, "_repr_html_"):
        return result._repr_html_()
    return str(result)


def _label(name: str) -> str:
    return name.replace("_", " ")


class Explorer(w.VBox):
    """Controls over a pure function's arguments, and the function's HTML answer below them."""

    def __init__(self, fn: Callable[..., object], controls: dict[str, Sequence],
                 value: dict | None = None, labels: dict[str, str] | None = None, title: str = ""):
        if not controls:
            raise ValueError("an explorer needs at least one control")
        value = dict(value or {})
        labels = dict(labels or {})
        self.fn = fn
        self.controls = {name: list(options) for name, options in controls.items()}
        for name, options in self.controls.items():
            if not options:
                raise ValueError(f"control {name!r} has no values")
            value.setdefault(name, options[len(options) // 2])
            if value[name] not in options:
                raise ValueError(f"default {name}={value[name]!r} is not among its values {options}")
        self.value = value
        self.labels = {name: labels.get(name, _label(name)) for name in self.controls}
        self.title = title
        self._widgets = {name: self._make_control(name, options) for name, options in self.controls.items()}
        self._output = w.HTML(render(fn, value))
        children = ([w.HTML(f"<b>{html.escape(title)}</b>")] if title else []) + [
            w.HBox(list(self._widgets.values()), layout=w.Layout(flex_flow="row wrap")), self._output]
        super().__init__(children)

    def _make_control(self, name, options):
        style = {"description_width": "initial"}
        numeric = all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in options)
        if numeric and len(options) > 4:
            control = w.SelectionSlider(options=options, value=self.value[name],
                                        description=self.labels[name], style=style,
                                        continuous_update=True)
        else:
            control = w.Dropdown(options=options, value=self.value[name],
                                 description=self.labels[name], style=style)
        control.observe(lambda change, name=name: self._update(name, change["new"]), names="value")
        return control

    def _update(self, name, new):
        self.value[name] = new
        self._output.value = render(self.fn, self.value)

    def set(self, **values):
        """Move controls programmatically (as a reader would), returning the new answer's HTML."""
        for name, v in values.items():
            if name not in self._widgets:
                raise ValueError(f"no control named {name!r}; controls: {', '.join(self._widgets)}")
            self._widgets[name].value = v
        return self._output.value

    def static_html(self) -> str:
        return static_html(self.fn, self.controls, self.value, self.labels, self.title)

    def _repr_mimebundle_(self, **kwargs):
        """The live view, and the static version for front ends that have no widget manager."""
        return {WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": self.model_id},
                "text/html": self.static_html(),
                "text/plain": f"Explorer({', '.join(self.controls)}) over {self.fn.__name__}"}

    if IPYWIDGETS_MAJOR < 8:
        def _ipython_display_(self, **kwargs):
            """ipywidgets 7 (Colab's) displays widgets through this hook, which IPython prefers
            to `_repr_mimebundle_`: the same display, both views, goes out here."""
            from IPython.display import display

            display(self._repr_mimebundle_(), raw=True)
            self._handle_displayed(**kwargs)


def explore(fn: Callable[..., object], controls: dict[str, Sequence], value: dict | None = None,
            labels: dict[str, str] | None = None, title: str = "") -> Explorer:
    """Widget over `fn`: one control per keyword argument, each choosing from a list of values."""
    return Explorer(fn, controls, value=value, labels=labels, title=title)


def static_html(fn, controls: dict[str, Sequence], value: dict, labels: dict[str, str] | None = None,
                title: str = "") -> str:
    """A self-contained HTML widget: `fn` evaluated over the whole grid of control values."""
    names = list(controls)
    options = [list(controls[n]) for n in names]
    total = math.prod(len(o) for o in options)
    if total > MAX_STATIC_COMBINATIONS:
        raise ValueError(f"the control grid has {total} combinations; at most "
                         f"{MAX_STATIC_COMBINATIONS} can be stored in a static page: offer fewer values")
    answers, index, table = [], {}, []
    for combo in itertools.product(*options):
        out = render(fn, dict(zip(names, combo)))
        if out not in index:
            index[out] = len(answers)
            answers.append(out)
        table.append(index[out])
    payload = json.dumps({"answers": answers, "table": table, "sizes": [len(o) for o in options]})
    uid = "explorer-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
    labels = labels or {}
    inputs = []
    for i, (name, opts) in enumerate(zip(names, options)):
        start = opts.index(value[name])
        text = html.escape(labels.get(name, _label(name)))
        shown = json.dumps([str(o) for o in opts])
        inputs.append(
            f"<label style='margin-right:1.2em;white-space:nowrap'>{text} "
            f"<input type='range' min='0' max='{len(opts) - 1}' value='{start}' step='1' "
            f"data-axis='{i}' data-labels='{html.escape(shown)}' style='vertical-align:middle'> "
            f"<output>{html.escape(str(opts[start]))}</output></label>")
    start_index = 0
    for i, (name, opts) in enumerate(zip(names, options)):
        start_index = start_index * len(opts) + opts.index(value[name])
    heading = f"<b>{html.escape(title)}</b><br>" if title else ""
    return (
        f"<div class='explorer-static' id='{uid}'>{heading}<div class='explorer-controls'>{''.join(inputs)}</div>"
        f"<div class='explorer-answer'>{answers[table[start_index]]}</div>"
        f"<script type='application/json' class='explorer-data'>{_script_safe(payload)}</script>"
        "<script>(function(){"
        f"var root=document.getElementById('{uid}');if(!root||root.dataset.ready)return;root.dataset.ready='1';"
        "var d=JSON.parse(root.querySelector('.explorer-data').textContent);"
        "var inputs=root.querySelectorAll('input[type=range]');"
        "function show(){var k=0;inputs.forEach(function(el,i){k=k*d.sizes[i]+Number(el.value);"
        "el.nextElementSibling.textContent=JSON.parse(el.dataset.labels)[Number(el.value)];});"
        "root.querySelector('.explorer-answer').innerHTML=d.answers[d.table[k]];}"
        "inputs.forEach(function(el){el.addEventListener('input',show);});})();</script></div>"
    )


def _script_safe(text: str) -> str:
    return text.replace("</", "<\\/")
