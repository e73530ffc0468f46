"""Library source shown in a chapter, highlighted by the course itself.

Chapters show `lib` code with `lib.plot.show_source(obj)` instead of copying it. The HTML is
made here from Python's own tokenizer, with the colours of Pygments' "friendly" style, so the
stored output of such a cell is the same under any Pygments release (nbval compares it
exactly) and on any Python from 3.10 on: f-strings, which 3.12 splits into many tokens, are
coloured as one string, as 3.11 sees them.
"""
from __future__ import annotations

import builtins
import html
import inspect
import io
import keyword
import token
import tokenize
from pathlib import Path

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


class Source:
    """Source code with the file it comes from; HTML (highlighted) in a notebook, text elsewhere."""

    def __init__(self, *objs):
        self.parts = []
        for obj in objs:
            lines, first = inspect.getsourcelines(obj)
            path = Path(inspect.getsourcefile(obj)).resolve()
            where = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
            self.parts.append((f"{where}, lines {first}-{first + len(lines) - 1}", "".join(lines)))

    def __repr__(self):
        return "\n".join(f"# {where}\n{code}" for where, code in self.parts)

    def _repr_html_(self):
        return "".join(
            f"<div class='course-source'><div style='{WHERE_STYLE}'>{html.escape(where)}</div>"
            f"<pre style='{PRE_STYLE}'>{highlight(code)}</pre></div>" for where, code in self.parts)
