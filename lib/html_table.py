"""The one way the library draws an HTML table: cost tables, widget answers, comparisons.

    table(["layer", "params"], [["conv1", "156"], ["fc1", "48,120"]], numeric={1})

Cells are HTML strings (escape text with `html.escape` first). A table carries its own short
style sheet, so it looks the same in a notebook, in a static page of the book and in a widget.
"""
from __future__ import annotations

# Short, and only the rules a table uses: a static widget stores one table per combination of
# its controls' values.
STYLE = ".lt td,.lt th{padding:1px 8px;text-align:left}"
NUMERIC_STYLE = ".lt .n{text-align:right}"
BAR_STYLE = ".lt i{display:inline-block;height:.7em}"


def bar(fraction: float, colour: str = "#4c72b0", width_em: float = 6) -> str:
    """A horizontal bar `fraction` of `width_em` long: a row's share of a total."""
    return f"<i style='width:{width_em * fraction:.2f}em;background:{colour}'></i>"


def table(head, rows, total=None, numeric=(), css_class: str = "") -> str:
    """An HTML table.

    Args:
        head: the header cells, or None for a table without a header row.
        rows: rows of cells; a row given as one string spans every column (a note).
        total: a last row, in bold (header cells), or None.
        numeric: indices of the columns to right-align.
        css_class: a class added to the table's own ("lt"), for a page's style sheet or a test.
    """
    width = len(head) if head is not None else max(len(r) for r in rows if not isinstance(r, str))

    def row(cells, tag="td"):
        return "<tr>" + "".join(f"<{tag} class=n>{c}</{tag}>" if i in numeric else
                                f"<{tag}>{c}</{tag}>" for i, c in enumerate(cells)) + "</tr>"

    lines = [] if head is None else [row(head, "th")]
    lines += [f"<tr><td colspan={width}>{r}</td></tr>" if isinstance(r, str) else row(r)
              for r in rows]
    if total is not None:
        lines.append(row(total, "th"))
    body = "".join(lines)
    style = STYLE + (NUMERIC_STYLE if numeric else "") + (BAR_STYLE if "<i " in body else "")
    classes = "lt" + (" " + css_class if css_class else "")
    return f"<style>{style}</style><table class='{classes}'>{body}</table>"
