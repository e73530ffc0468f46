"""Library source shown in a chapter, highlighted by the course itself.

Chapters show `lib` code with `lib.plot.show_source(obj)` instead of copying it. The HTML is
made here from Python's own tokenizer, with the colours of Pygments' "friendly" style, so the
stored output of such a cell is the same under any Pygments release (nbval compares it
exactly) and on any Python from 3.10 on: f-strings, which 3.12 splits into many tokens, are
coloured as one string, as 3.11 sees them.

`show_source(obj, checks=False)` leaves out the statements that only check arguments (calls to
`lib.checks` and to `check...` functions, `if ...: raise`, loops of such statements, asserts):
each run of them becomes one comment that names the lines left out, so that what a chapter shows
is the computation, and a reader knows where the checks are.
"""
from __future__ import annotations

import ast
import builtins
import html
import inspect
import io
import keyword
import token
import textwrap
import tokenize
from pathlib import Path

from lib import checks as _checks

ROOT = Path(__file__).resolve().parent.parent

# Pygments' "friendly" style, one entry per kind of token the course colours.
STYLES = {
    "keyword": "color:#007020;font-weight:bold",
    "builtin": "color:#007020",
    "function": "color:#06287e",
    "class": "color:#0e84b5;font-weight:bold",
    "decorator": "color:#555555;font-weight:bold",
    "string": "color:#4070a0",
    "docstring": "color:#4070a0;font-style:italic",
    "number": "color:#40a070",
    "comment": "color:#60a0b0;font-style:italic",
    "operator": "color:#666666",
}
PRE_STYLE = "background:#f0f0f0;line-height:125%;padding:0.5em 0.7em;margin:0 0 0.6em 0;overflow-x:auto"
WHERE_STYLE = "font-size:80%;color:#666;margin-top:0.4em"

BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_")) | {"self", "cls"}
PUNCTUATION = frozenset("()[]{},:;")
# Tokens that open and close an f-string (Python 3.12) or a t-string (3.14) split into parts.
_OPENERS = {getattr(token, n) for n in ("FSTRING_START", "TSTRING_START") if hasattr(token, n)}
_CLOSERS = {getattr(token, n) for n in ("FSTRING_END", "TSTRING_END") if hasattr(token, n)}


def _spans(code: str):
    """(start, end, kind) character ranges of `code` to colour, in order."""
    offsets = [0]
    for line in code.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))

    cursor = 0

    def locate(tok):
        """Where `tok` starts in `code`. Python 3.12 reports some columns in bytes (after a
        non-ASCII character in a string spanning lines): then its text is searched for instead."""
        nonlocal cursor
        start = offsets[tok.start[0] - 1] + tok.start[1]
        if not code.startswith(tok.string, start):
            start = code.find(tok.string, cursor)
        cursor = start + len(tok.string)
        return start

    spans, previous, line_start, decorator, depth, opened = [], None, True, False, 0, None
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type in _OPENERS:
            depth += 1
            opened = opened if depth > 1 else locate(tok)
            continue
        if depth:
            if tok.type in _CLOSERS:
                depth -= 1
                if depth == 0:
                    spans.append((opened, locate(tok) + len(tok.string), "string"))
                    previous, line_start = tok, False
            continue
        after = previous.string if previous is not None and previous.type == token.NAME else None
        decorator = (decorator and tok.string not in ("(", "\n", "")) or (line_start and tok.string == "@")
        kind = None
        if decorator:
            kind = "decorator"
        elif tok.type == token.NAME:
            if after in ("def", "class"):
                kind = "function" if after == "def" else "class"
            elif keyword.iskeyword(tok.string):
                kind = "keyword"
            elif tok.string in BUILTINS and (previous is None or previous.string != "."):
                kind = "builtin"
        elif tok.type == token.STRING:
            triple = tok.string.lstrip("rRbBuUfF")[:3] in ('"""', "'''")
            kind = "docstring" if triple and line_start else "string"
        elif tok.type == token.NUMBER:
            kind = "number"
        elif tok.type == token.COMMENT:
            kind = "comment"
        elif tok.type == token.OP and tok.string not in PUNCTUATION:
            kind = "operator"
        if kind is not None:
            start = locate(tok)
            end = start + len(tok.string)
            if spans and spans[-1][1] == start and spans[-1][2] == kind:  # `@`, `torch`, `.`, `no_grad`
                start = spans.pop()[0]
            spans.append((start, end, kind))
        if tok.type not in (token.NL, token.COMMENT):
            line_start = tok.type in (token.NEWLINE, token.INDENT, token.DEDENT)
            previous = tok
    return spans


def highlight(code: str) -> str:
    """`code` as HTML: escaped text, with coloured spans; plain escaped text if it does not tokenize."""
    try:
        spans = _spans(code)
    except (tokenize.TokenError, SyntaxError):
        spans = []
    out, done = [], 0
    for start, end, kind in spans:
        out.append(html.escape(code[done:start], quote=False))
        out.append(f"<span style='{STYLES[kind]}'>{html.escape(code[start:end], quote=False)}</span>")
        done = end
    out.append(html.escape(code[done:], quote=False))
    return "".join(out)


# Functions whose calls, as statements of their own, only check arguments: those of lib.checks,
# any whose name starts with "check" or "_check", and the models' input-size check.
CHECKERS = frozenset(name for name, f in vars(_checks).items()
                     if inspect.isfunction(f) and f.__module__ == _checks.__name__) | {"too_small"}


def _called(node) -> str | None:
    func = node.func if isinstance(node, ast.Call) else None
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def is_check(stmt: ast.stmt) -> bool:
    """Whether a statement only checks: a call to a checker, `if ...: raise ...` (with elifs of
    the same kind), a loop whose body only checks, an assert."""
    if isinstance(stmt, ast.Assert):
        return True
    if isinstance(stmt, ast.Expr):
        name = _called(stmt.value)
        return name is not None and (name in CHECKERS or name.lstrip("_").startswith("check"))
    if isinstance(stmt, ast.If):
        return (all(isinstance(s, ast.Raise) or is_check(s) for s in stmt.body)
                and all(is_check(s) for s in stmt.orelse))
    if isinstance(stmt, (ast.For, ast.While)):
        return not stmt.orelse and all(is_check(s) for s in stmt.body)
    return False


def check_runs(code: str) -> list[tuple[int, int]]:
    """(first, last) lines, counted from 1 in `code`, of each run of consecutive statements of a
    function body (at any depth) that only check arguments."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    runs = []

    def visit(body):
        run = None
        for stmt in body:
            if is_check(stmt):
                run = (run[0] if run else stmt.lineno, stmt.end_lineno)
                continue
            if run:
                runs.append(run)
                run = None
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(stmt, block, []))
                for handler in getattr(stmt, "handlers", []):
                    visit(handler.body)
        if run:
            runs.append(run)

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            visit(node.body)
    return sorted(runs)


def without_checks(lines: list[str], first: int) -> list[str]:
    """`lines` (of a file, from line `first`) with each run of argument checks replaced by a
    comment naming the lines it stood on."""
    lines = list(lines)
    for start, end in reversed(check_runs("".join(lines))):
        indent = lines[start - 1][:len(lines[start - 1]) - len(lines[start - 1].lstrip())]
        span = (f"line {first + start - 1}" if start == end
                else f"lines {first + start - 1}-{first + end - 1}")
        lines[start - 1:end] = [f"{indent}# ... argument checks ({span}) not shown\n"]
    return lines


class Source:
    """Source code with the file it comes from; HTML (highlighted) in a notebook, text elsewhere.

    `checks=False` replaces the statements that only check arguments by a comment naming their
    lines (`without_checks`)."""

    def __init__(self, *objs, checks: bool = True):
        self.parts = []
        for obj in objs:
            lines, first = inspect.getsourcelines(obj)
            path = Path(inspect.getsourcefile(obj)).resolve()
            where = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
            where = f"{where}, lines {first}-{first + len(lines) - 1}"
            self.parts.append((where, "".join(lines if checks else without_checks(lines, first))))

    def __repr__(self):
        return "\n".join(f"# {where}\n{code}" for where, code in self.parts)

    def _repr_html_(self):
        return "".join(
            f"<div class='course-source'><div style='{WHERE_STYLE}'>{html.escape(where)}</div>"
            f"<pre style='{PRE_STYLE}'>{highlight(code)}</pre></div>" for where, code in self.parts)
