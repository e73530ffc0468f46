"""Shown library source: the course's own highlighting, the same under any Pygments and Python."""
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lib.plot import show_source
from lib.source import STYLES, highlight

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted((ROOT / "lib").rglob("*.py"))


def text_of(page):
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def coloured(page):
    """(kind, text) of every coloured span."""
    kinds = {style: kind for kind, style in STYLES.items()}
    return [(kinds[style], html.unescape(text))
            for style, text in re.findall(r"<span style='([^']*)'>(.*?)</span>", page, re.S)]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_highlighting_keeps_every_character(path):
    code = path.read_text()
    assert text_of(highlight(code)) == code


def test_tokens_get_the_styles_of_their_kind():
    code = '''@register("lenet")
class LeNet(nn.Module):
    """Doc with <html> & 'quotes'."""

    def forward(self, x):  # (B, C, H, W)
        return len(x) * 2.5 if x is not None else f"{x!r:>{8}}"
'''
    spans = coloured(highlight(code))
    assert spans == [
        ("decorator", "@register"), ("string", '"lenet"'), ("keyword", "class"), ("class", "LeNet"),
        ("operator", "."), ("docstring", '"""Doc with <html> & \'quotes\'."""'),
        ("keyword", "def"), ("function", "forward"), ("builtin", "self"), ("comment", "# (B, C, H, W)"),
        ("keyword", "return"), ("builtin", "len"), ("operator", "*"), ("number", "2.5"),
        ("keyword", "if"), ("keyword", "is"), ("keyword", "not"), ("keyword", "None"),
        ("keyword", "else"), ("string", 'f"{x!r:>{8}}"')]


def test_code_that_does_not_tokenize_is_shown_plain():
    code = "x = '''never closed <"
    assert highlight(code) == html.escape(code, quote=False)


def test_shown_source_needs_no_pygments():
    """A Pygments release can never change what nbval compares: the course does not import it."""
    script = ("import sys; sys.modules['pygments'] = None\n"
              "from lib.plot import show_source; from lib import cost\n"
              "print(show_source(cost.conv_output_size)._repr_html_())")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=True)
    from lib import cost
    assert run.stdout.rstrip("\n") == show_source(cost.conv_output_size)._repr_html_()


def test_html_and_text_show_the_same_source():
    from lib import cost
    shown = show_source(cost.conv_output_size, cost.Cost)
    (where, code), _ = shown.parts
    assert where.startswith("lib/geometry.py") and ", lines " in where
    assert text_of(shown._repr_html_()) == "".join(w + c for w, c in shown.parts)
    assert repr(shown) == "\n".join(f"# {w}\n{c}" for w, c in shown.parts)


def test_argument_checks_can_be_left_out_with_a_comment_that_names_their_lines():
    from lib.source import without_checks
    code = '''def f(x, n, mode="max"):
    """Doc."""
    integer("n", n)
    one_of("mode", mode, ("max", "avg"))
    if x.dim() == 3:
        return f(x[None], n, mode)[0]
    for label, value in (("n", n),):
        check_size(label, value)
    if n > x.shape[-1]:
        raise ValueError("n too large")
    elif n < 0:
        raise ValueError("n negative")
    y = []
    for row in x:
        if row.numel() == 0:
            raise ValueError("empty row")
        y.append(row * n)
    init_weights(y)
    return y
'''
    shown = "".join(without_checks(code.splitlines(keepends=True), first=10))
    assert shown == '''def f(x, n, mode="max"):
    """Doc."""
    # ... argument checks (lines 12-13) not shown
    if x.dim() == 3:
        return f(x[None], n, mode)[0]
    # ... argument checks (lines 16-21) not shown
    y = []
    for row in x:
        # ... argument checks (lines 24-25) not shown
        y.append(row * n)
    init_weights(y)
    return y
'''


def test_shown_source_without_checks_keeps_the_computation_of_lib_functions():
    import ast
    from lib import ops
    full, short = show_source(ops.conv2d), show_source(ops.conv2d, checks=False)
    assert full.parts[0][0] == short.parts[0][0]                  # the same file and lines
    code = short.parts[0][1]
    ast.parse(code)
    assert "raise" in full.parts[0][1] and "raise" not in code and "_check_dims" not in code
    assert "torch.einsum" in code and code.count("argument checks") == 2
    assert text_of(short._repr_html_()) == "".join(w + c for w, c in short.parts)
