"""Every checkable number of the course's five lectures, recomputed by `lib`.

    >>> from lib import lectures
    >>> lectures.table("04_alexnet")            # the chapter's table: stated, computed, verdict
    >>> lectures.table("07_googlenet", "003.googlenet-table.*")   # only some claims, by id
    >>> lectures.errata("001")                  # one lecture, every claim, with its chapters
    >>> print(lectures.summary())               # claims per lecture and per verdict

In a chapter, the table of "the lectures' numbers" is one code cell: `lectures.table(stem)`,
optionally with claim-id patterns to split it. Its HTML is what the book shows; its text is what
nbval compares.

One module per lecture (`lecture000` ... `lecture004`) holds its claims as literal data, in the
order of the lecture, with the small functions that compute them; `common` builds the slides
several lectures share; `claims` defines a claim and the course's one comparison rule;
`measure` reads models and counts; `render` draws the tables; `chapters` lists the chapter stems
and which chapters exist. `python -m lib.lectures` prints the summary.
"""
from __future__ import annotations

import fnmatch
import functools
import html
from collections import Counter

from lib.lectures import lecture000, lecture001, lecture002, lecture003, lecture004
from lib.lectures.chapters import TITLES, WRITTEN, check_stem
from lib.lectures.claims import (CORRECT, NOT_COMPUTABLE, ROUNDING, VERDICTS, WRONG, Claim,
                                 Computed, Digits, Exact, Holds, Result, compare, printed)
from lib.lectures.claims import check as _check
from lib.lectures.render import WIDTH, ClaimTable

MODULES = {"000": lecture000, "001": lecture001, "002": lecture002, "003": lecture003,
           "004": lecture004}
LECTURES = {number: module.LECTURE for number, module in MODULES.items()}
CLAIMS: tuple[Claim, ...] = tuple(c for module in MODULES.values() for c in module.CLAIMS)
BY_ID = {c.id: c for c in CLAIMS}


def _validate():
    seen = Counter(c.id for c in CLAIMS)
    twice = [i for i, n in seen.items() if n > 1]
    if twice:
        raise ValueError(f"claim ids used twice: {twice}")
    for c in CLAIMS:
        if not c.chapters or not all(isinstance(s, str) for s in c.chapters):
            raise ValueError(f"claim {c.id}: chapters={c.chapters!r} must name chapter stems")
        for stem in c.chapters:
            check_stem(stem)


_validate()


@functools.cache
def check(claim_id: str) -> Result:
    """The claim with this id, computed and compared (once per session)."""
    if claim_id not in BY_ID:
        raise KeyError(f"no claim {claim_id!r}; ids look like '001.complexity.conv1.alexnet.params'")
    return _check(BY_ID[claim_id])


def claims(chapter: str | None = None, *patterns: str, lecture: str | None = None) -> list[Claim]:
    """Claims in lecture order: those a chapter discusses, of one lecture, and/or whose ids match
    one of the shell-style `patterns` ("003.googlenet-table.*")."""
    if chapter is not None:
        check_stem(chapter)
    if lecture is not None and lecture not in MODULES:
        raise ValueError(f"unknown lecture {lecture!r}; the lectures are {', '.join(MODULES)}")
    chosen = [c for c in CLAIMS
              if (chapter is None or chapter in c.chapters)
              and (lecture is None or c.lecture == lecture)
              and (not patterns or any(fnmatch.fnmatchcase(c.id, p) for p in patterns))]
    if patterns and not chosen:
        raise ValueError(f"no claim matches {', '.join(patterns)}"
                         + (f" in chapter {chapter}" if chapter else ""))
    return chosen


def table(chapter: str, *patterns: str, title: str = "") -> ClaimTable:
    """The chapter's table of lecture claims: where each is, what it states, what `lib`
    computes and the verdict, with the explanation of every wrong one. `patterns` (claim ids,
    shell-style) restrict it to some of the chapter's claims; `title`, if any, goes above it
    (the chapter's own heading usually says what the table is)."""
    chosen = claims(chapter, *patterns)
    return ClaimTable([check(c.id) for c in chosen], title)


def errata(lecture: str, title: str | None = None) -> ClaimTable:
    """Every claim of one lecture, in its order, with the chapters that discuss it. `title`
    replaces the lecture's name above the table ("" for none: a page with its own heading)."""
    chosen = claims(lecture=lecture)
    return ClaimTable([check(c.id) for c in chosen],
                      f"Lecture {lecture}: {LECTURES[lecture]}" if title is None else title,
                      chapters=True)


class Summary:
    """Claims per lecture and per verdict, as text (`print`) and as an HTML table."""

    def __init__(self):
        self.rows = []
        for number, module in MODULES.items():
            tally = Counter(check(c.id).verdict for c in claims(lecture=number))
            self.rows.append((f"{number} {module.SHORT}", tally))
        self.rows.append(("total", sum((t for _, t in self.rows), Counter())))
        self.disagree = [c.id for c in CLAIMS if not check(c.id).agrees]

    def _cells(self):
        head = ["lecture", "claims", *VERDICTS]
        return head, [[name, str(sum(t.values())), *(str(t[v]) for v in VERDICTS)]
                      for name, t in self.rows]

    def __str__(self):
        head, rows = self._cells()
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                           for i, (cell, w) in enumerate(zip(row, widths))) for row in [head, *rows]]
        if self.disagree:
            lines.append(f"{len(self.disagree)} claims compute another verdict than the recorded "
                         "one: " + ", ".join(self.disagree))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        head, rows = self._cells()
        e = html.escape
        cell = lambda tag, i, text: (  # noqa: E731
            f"<{tag} style='text-align:{'left' if i == 0 else 'right'};padding:0.2em 0.6em'>"
            f"{e(text)}</{tag}>")
        body = "".join("<tr>" + "".join(cell("td", i, t) for i, t in enumerate(r)) + "</tr>"
                       for r in rows)
        return (f"<table style='border-collapse:collapse'><thead><tr>"
                + "".join(cell("th", i, t) for i, t in enumerate(head))
                + f"</tr></thead><tbody>{body}</tbody></table>")


def summary() -> Summary:
    """Claims per lecture and per verdict, and the total: print it, or show it in a notebook."""
    return Summary()


__all__ = ["CLAIMS", "CORRECT", "Claim", "Computed", "Digits", "Exact", "Holds", "LECTURES",
           "NOT_COMPUTABLE", "ROUNDING", "Result", "TITLES", "VERDICTS", "WIDTH", "WRITTEN", "WRONG",
           "check", "claims", "compare", "errata", "printed", "summary", "table"]
