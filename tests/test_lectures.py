"""The lecture-claims registry: every claim of the five lectures, recomputed, must give the
verdict the registry records (a wrong claim stays wrong: if a change to a model makes it agree,
this fails and someone looks); the one comparison rule; and the tables the book shows."""
import html
import re
from collections import Counter

import pytest

from lib import lectures
from lib.lectures import (CORRECT, NOT_COMPUTABLE, ROUNDING, WRONG, Computed, Digits, Exact,
                          Holds, compare, printed)
from lib.lectures.chapters import TITLES, WRITTEN
from lib.lectures.render import WIDTH

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
IDS = [c.id for c in lectures.CLAIMS]


@pytest.mark.parametrize("claim_id", IDS)
def test_claim(claim_id):
    result = lectures.check(claim_id)
    claim = result.claim
    assert result.verdict == claim.verdict, (
        f"{claim_id}: the lecture states {claim.stated!r}, lib computes {result.computed}, which "
        f"is {result.verdict!r}; the registry records {claim.verdict!r}")
    if claim.verdict == WRONG:
        assert claim.explanation, f"{claim_id}: a wrong claim says why"


# --- The comparison rule --------------------------------------------------------------------------

@pytest.mark.parametrize("text, value, step", [
    ("1.2M", 1.2e6, 1e5), ("35K", 35e3, 1e3), ("48k", 48e3, 1e3), ("0.16 M", 0.16e6, 1e4),
    ("1G", 1e9, 1e9), ("25.5×10^6", 25.5e6, 1e5), ("4.1×10^9", 4.1e9, 1e8), ("2.3X", 2.3, 0.1),
    ("76x", 76, 1), ("40%", 0.4, 0.01), ("1,000", 1000, 1), ("28x28x128x1x1x256", 25_690_112, 0),
    ("25·32", 800, 0)])
def test_printed(text, value, step):
    assert printed(text) == pytest.approx((value, step))


def test_printed_units():
    assert printed("112K", Digits(kilo=1024)) == (112 * 1024, 1024)
    assert printed("133", Digits(scale=1e6)) == (133e6, 1e6)
    assert printed("160,000", Digits(step=10_000)) == (160_000, 10_000)
    with pytest.raises(ValueError, match="not a number"):
        printed("about 3")


@pytest.mark.parametrize("stated, value, verdict, note", [
    ("150", 150, CORRECT, ""),
    ("35K", 34_848, ROUNDING, "rounded"),
    ("101M", 101_616_768, ROUNDING, "truncated"),
    ("1.22 M", 1_228_800, ROUNDING, "truncated"),
    ("4", 3.92, ROUNDING, "rounded"),
    # chapter 4's old rule accepted 1.12 M for "1.2M" and showed a cross: neither rounding nor
    # truncation gives 1.2 from 1.12
    ("1.2M", 1_120_000, WRONG, ""),
    ("1.2M", 117_600, WRONG, ""),
    ("28x28x192x3x3x64", 28 * 28 * 192 * 9 * 64, CORRECT, ""),
    ("28x28x192x3x3x64", 28 * 28 * 192 * 9 * 64 + 1, WRONG, ""),
])
def test_compare_digits(stated, value, verdict, note):
    assert compare(stated, value, Digits()) == (verdict, note)


def test_compare_tolerance_and_other_rules():
    assert compare("380K", 388_096, Digits(kilo=1024)) == (WRONG, "")
    assert compare("380K", 388_096, Digits(kilo=1024, tolerance=0.01)) == (ROUNDING, "within 1 %")
    assert compare("580K", 604_672, Digits(kilo=1024, tolerance=0.01)) == (WRONG, "")
    assert compare("28×28", "28×28", Exact()) == (CORRECT, "")
    assert compare("28×28", Computed("14×14"), Exact()) == (WRONG, "")
    assert compare("x", Computed(1, holds=True), Holds()) == (CORRECT, "")
    assert compare("x", Computed(1, holds=False), Holds()) == (WRONG, "")
    with pytest.raises(TypeError):
        compare("x", 1, Holds())


# --- The registry ----------------------------------------------------------------------------------

def test_ids_are_unique_and_name_their_lecture():
    assert len(set(IDS)) == len(IDS)
    for c in lectures.CLAIMS:
        assert re.fullmatch(r"00[0-4]\.[a-z0-9.-]+", c.id), c.id
        assert c.id.startswith(c.lecture + ".")


def test_every_lecture_and_verdict_is_represented():
    by_lecture = Counter(c.lecture for c in lectures.CLAIMS)
    assert set(by_lecture) == set(lectures.LECTURES)
    assert all(n >= 40 for n in by_lecture.values()), by_lecture
    assert set(Counter(c.verdict for c in lectures.CLAIMS)) == {CORRECT, ROUNDING, WRONG,
                                                                 NOT_COMPUTABLE}


def test_claims_come_in_lecture_order():
    """Within a lecture, claims follow the lecture's lines (the errata page reads top to bottom)."""
    for number in lectures.LECTURES:
        firsts = [int(re.search(r"\d+", c.where).group()) for c in lectures.claims(lecture=number)]
        assert firsts == sorted(firsts), number


def test_not_computable_claims_name_a_source():
    for c in lectures.CLAIMS:
        if c.verdict == NOT_COMPUTABLE:
            assert c.compute is None and len(c.explanation) > 20, c.id


def test_lines_quoted_exist_in_the_lecture_notes():
    """Every claim's first line number is inside its lecture's text file, when the notes are
    available (they live outside the repository)."""
    candidates = (ROOT.parent / "shared" / "lectures", ROOT.parent.parent / "shared" / "lectures")
    notes = next((p for p in candidates if p.exists()), None)
    files = {p.name[:3]: p for p in notes.glob("00?_*.txt")} if notes else {}
    if not files:
        pytest.skip("the lecture notes are not next to this checkout")
    for c in lectures.CLAIMS:
        lines = files[c.lecture].read_text().count("\n") + 1
        for n in map(int, re.findall(r"\d+", c.where.split(",")[0])):
            assert 1 <= n <= lines, (c.id, n)


def test_the_lectures_own_tables_are_there():
    """GoogLeNet's Table 1 row by row, the Inception v2 and v3 tables, MobileNet Tables 4-7, the
    naive and bottleneck modules, the cost formulas, EfficientNet's coefficients."""
    ids = set(IDS)
    for row in ("conv1", "conv2", "3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b", "linear"):
        assert {f"003.googlenet-table.{row}.{c}" for c in ("output", "depth", "params", "ops")} <= ids
    assert len(lectures.claims(None, "003.v2-table.*.output")) == 15
    assert len(lectures.claims(None, "003.v3-table.*.input")) == 13
    for table in ("t4", "t5", "t6", "t7"):
        assert len(lectures.claims(None, f"002.mobilenet.{table}.*")) >= 6
    assert len(lectures.claims(None, "003.naive.*")) == 5
    assert len(lectures.claims(None, "003.bottleneck.*")) == 8
    for lecture in ("000", "001"):
        assert {f"{lecture}.cost.{k}" for k in ("params", "computation", "groups")} <= ids
    assert {"004.algebra.single", "004.algebra.paths"} <= ids
    assert len(lectures.claims(None, "001.efficientnet.*")) == 6


def test_selection_errors_are_explained():
    with pytest.raises(ValueError, match="unknown chapter '07_inception'"):
        lectures.table("07_inception")
    with pytest.raises(ValueError, match="no claim matches 001.nothing"):
        lectures.table("04_alexnet", "001.nothing.*")
    with pytest.raises(ValueError, match="unknown lecture '005'"):
        lectures.errata("005")
    with pytest.raises(KeyError, match="no claim '001.x'"):
        lectures.check("001.x")


def test_written_chapters_are_the_ones_on_disk():
    on_disk = {p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")}
    assert WRITTEN == on_disk & set(TITLES)


# --- The tables the book shows ---------------------------------------------------------------------

@pytest.mark.parametrize("chapter", sorted(TITLES))
def test_chapter_table_fits_the_column_and_is_deterministic(chapter):
    chosen = lectures.claims(chapter)
    if not chosen:
        pytest.skip(f"no lecture discusses {chapter}")
    table = lectures.table(chapter)
    text = repr(table)
    assert text == repr(lectures.table(chapter))
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    page = table._repr_html_()
    assert page.count("<tr id='claim-") == len(chosen)
    for c in chosen:
        assert f"id='claim-{html.escape(c.id)}'" in page


def test_table_filters_by_pattern():
    table = lectures.table("04_alexnet", "001.complexity.*")
    assert len(table) == 26
    assert {r.claim.id.split(".")[1] for r in table} == {"complexity"}


def test_errata_links_only_to_written_chapters():
    page = "".join(lectures.errata(n)._repr_html_() for n in lectures.LECTURES)
    linked = set(re.findall(r'href="([^"]+)\.html"', page))
    # a written chapter is linked from every claim it discusses (17_zoo discusses none)
    assert linked == {stem for stem in WRITTEN if lectures.claims(stem)}
    # a claim's chapter still to be written is named without a link
    unwritten = {stem for claim in lectures.CLAIMS for stem in claim.chapters} - WRITTEN
    assert ("(to come)" in page) == bool(unwritten)


def test_summary_adds_up():
    text = str(lectures.summary())
    total = text.splitlines()[-1].split()
    assert total[0] == "total" and int(total[1]) == len(lectures.CLAIMS)
    counts = Counter(c.verdict for c in lectures.CLAIMS)
    assert [int(n) for n in total[2:]] == [counts[v] for v in lectures.VERDICTS]
    assert max(len(line) for line in text.splitlines()) <= 80
    assert lectures.summary()._repr_html_().count("<tr>") == len(lectures.LECTURES) + 2
