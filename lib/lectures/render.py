"""Claims as the book shows them: a table whose HTML is the page's and whose plain text is
compact and deterministic (nbval compares it), both fitting a book column of 100 characters."""
from __future__ import annotations

import html
import re
import textwrap
from collections import Counter

from lib.lectures.chapters import TITLES, WRITTEN
from lib.lectures.claims import MARKS, NOT_COMPUTABLE, VERDICTS, Result, show

WIDTH = 100
INDENT = "    "

STYLE = """<style>
.lecture-claims table { border-collapse: collapse; width: 100%; table-layout: fixed;
  font-size: 0.88em; }
.lecture-claims th, .lecture-claims td { padding: 0.3em 0.4em; vertical-align: top;
  border-bottom: 1px solid #e4e4e4; text-align: left; overflow-wrap: anywhere; }
.lecture-claims col.where { width: 13%; } .lecture-claims col.claim { width: 43%; }
.lecture-claims col.stated { width: 12%; } .lecture-claims col.computed { width: 21%; }
.lecture-claims col.verdict { width: 11%; }
.lecture-claims td.where { overflow-wrap: normal; }
.lecture-claims td.value { font-variant-numeric: tabular-nums; }
.lecture-claims td.verdict { text-align: center; font-size: 1.15em; overflow-wrap: normal; }
.lecture-claims tr.wrong td.verdict { color: #c0392b; }
.lecture-claims tr.correct td.verdict { color: #1e8449; }
.lecture-claims tr.rounding td.verdict { color: #7d6608; }
.lecture-claims .note { color: #555; font-size: 0.92em; margin-top: 0.25em; }
.lecture-claims .small { color: #666; font-size: 0.85em; }
</style>"""


def counts(results) -> str:
    """'12 claims: 8 correct, 2 rounding, 2 wrong'."""
    tally = Counter(r.verdict for r in results)
    parts = [f"{tally[v]} {v}" for v in VERDICTS if tally[v]]
    return f"{len(results)} claim{'s' if len(results) != 1 else ''}: {', '.join(parts)}"


def _computed(r: Result) -> str:
    return "—" if r.verdict == NOT_COMPUTABLE and r.claim.compute is None else show(r.computed)


def _verdict_text(r: Result) -> str:
    text = f"{MARKS[r.verdict]} {r.verdict}" + (f" ({r.note})" if r.note else "")
    if not r.agrees:
        text += f" [the registry records {r.claim.verdict}]"
    return text


def _wrap(text: str, indent: str = INDENT) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False) or [indent]


def _chapter_names(stems) -> str:
    return ", ".join(TITLES[s] + ("" if s in WRITTEN else " (to come)") for s in sorted(stems))


def text_entry(r: Result, chapters: bool = False) -> list[str]:
    """A claim in three or four lines: where and what; stated → computed, verdict, convention;
    the explanation (for a claim no code checks, its source); the chapters."""
    c = r.claim
    lines = _wrap(f"{c.lecture}, {c.where}: {c.quote}", indent="")
    lines[1:] = [INDENT + line.lstrip() for line in lines[1:]]
    if c.compute is None:
        check = f"{c.stated} · {_verdict_text(r)}"
    else:
        check = f"{c.stated} → {_computed(r)} · {_verdict_text(r)}"
    lines += _wrap(check + (f" · {c.convention}" if c.convention else ""))
    if c.explanation:
        lines += _wrap(("source: " if c.compute is None else "") + c.explanation, INDENT + "  ")
    if chapters and c.chapters:
        lines += _wrap(f"discussed in: {_chapter_names(c.chapters)}", INDENT + "  ")
    return lines


def _unbroken(where: str) -> str:
    """'lines 75-78, Inception Blocks' with no line break inside 'lines 75-78'."""
    return re.sub(r"(lines?) (\d+)(?:-(\d+))?",
                  lambda m: m[1] + "&nbsp;" + m[2] + ("&#8209;" + m[3] if m[3] else ""),
                  html.escape(where))


def _powers(text: str) -> str:
    """'25.5×10^6' with its exponent raised."""
    return re.sub(r"10\^(\d+)", r"10<sup>\1</sup>", text)


def _link(stem: str) -> str:
    if stem in WRITTEN:
        return f'<a href="{stem}.html">{html.escape(TITLES[stem])}</a>'
    return f"{html.escape(TITLES[stem])} (to come)"


def html_row(r: Result, chapters: bool = False) -> str:
    c = r.claim
    e = html.escape
    notes = []
    if c.convention:
        notes.append(f"<div class='note'>counted as: {e(c.convention)}</div>")
    if c.explanation:
        source = "<em>source:</em> " if c.compute is None else ""
        notes.append(f"<div class='note'>{source}{e(c.explanation)}</div>")
    if chapters and c.chapters:
        notes.append("<div class='note'>discussed in: "
                     + ", ".join(_link(s) for s in sorted(c.chapters)) + "</div>")
    verdict = e(r.verdict + (f", {r.note}" if r.note else ""))
    if not r.agrees:
        verdict += e(f"; the registry records {c.verdict}")
    return (f"<tr id='claim-{e(c.id)}' class='{r.verdict.replace(' ', '-')}'>"
            f"<td class='where'>{e(c.lecture)}<div class='small'>{_unbroken(c.where)}</div></td>"
            f"<td>{e(c.quote)}{''.join(notes)}</td>"
            f"<td class='value'>{_powers(e(str(c.stated)))}</td>"
            f"<td class='value'>{e(_computed(r))}</td>"
            f"<td class='verdict' title='{verdict}'>{MARKS[r.verdict]}<div class='small'>"
            f"{e(r.verdict if r.verdict != NOT_COMPUTABLE else 'source')}</div></td></tr>")


class ClaimTable:
    """Claims and their checks, shown as an HTML table in the book and as compact text in a
    terminal or under nbval."""

    def __init__(self, results: list[Result], title: str, chapters: bool = False):
        self.results = list(results)
        self.title = title
        self.chapters = chapters

    def __len__(self):
        return len(self.results)

    def __iter__(self):
        return iter(self.results)

    def __repr__(self):
        lines = [*(_wrap(self.title, indent="") if self.title else []), counts(self.results)]
        for r in self.results:
            lines += text_entry(r, self.chapters)
        return "\n".join(line.rstrip() for line in lines)

    def _repr_html_(self):
        columns = "".join(f"<col class='{c}'>" for c in ("where", "claim", "stated", "computed", "verdict"))
        head = (f"<colgroup>{columns}</colgroup><thead><tr><th>lecture</th><th>the lecture says</th>"
                "<th>stated</th><th>computed</th><th></th></tr></thead>")
        rows = "".join(html_row(r, self.chapters) for r in self.results)
        title = f"<strong>{html.escape(self.title)}</strong><br>" if self.title else ""
        return (f"<div class='lecture-claims'>{STYLE}<p>{title}{html.escape(counts(self.results))}</p>"
                f"<table>{head}<tbody>{rows}</tbody></table></div>")
