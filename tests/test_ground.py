"""The ground floor: argument checks and their messages, sliding-window geometry against
PyTorch, and the HTML table every table of the library is drawn with."""
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

from lib import checks, geometry, html_table


@pytest.mark.parametrize("call, message", [
    (lambda: checks.integer("layers", 0), "layers=0 must be a positive integer"),
    (lambda: checks.integer("layers", True), "layers=True must be a positive integer"),
    (lambda: checks.integer("layers", 2.0), "layers=2.0 must be a positive integer"),
    (lambda: checks.integer("padding", -1, 0), "padding=-1 must be an integer >= 0"),
    (lambda: checks.integer("size", 5000, 1, 4096), "size=5000 must be an integer from 1 to 4,096"),
    (lambda: checks.integers("channels", (6, 0)), r"channels\[1\]=0 must be a positive integer"),
    (lambda: checks.integers("channels", (6,), 2), r"channels=\(6,\) must have 2 entries"),
    (lambda: checks.integers("channels", 6), "channels=6 must be a sequence of integers"),
    (lambda: checks.positive("width", 0), "width=0 must be a positive number"),
    (lambda: checks.positive("width", math.inf), "width=inf must be a positive number"),
    (lambda: checks.positive("width", math.nan), "width=nan must be a positive number"),
    (lambda: checks.positive("width", "1"), "width='1' must be a positive number"),
    (lambda: checks.probability("dropout", 1.0), r"dropout=1.0 must be in \[0, 1\)"),
    (lambda: checks.number("phi", -1, 0), "phi=-1 must be a number >= 0"),
    (lambda: checks.number("rho", 2, 0, 1, low_open=True, hint=" (Table 7)"),
     r"rho=2 must be in \(0, 1\] \(Table 7\)"),
    (lambda: checks.one_of("mode", "median", ("max", "avg")), "mode='median'; valid: 'max', 'avg'"),
    (lambda: checks.one_of("groups", True, (1, 2)), "groups=True; valid: 1, 2"),
    (lambda: checks.one_of("groups", 5, (1, 2), where="Table 1"), r"groups=5; valid \(Table 1\): 1, 2"),
    (lambda: checks.within({"k": (1, 7), "w": (0.0, 2.0)}, k=3, w=2.5), r"w=2.5 must be in \(0.0, 2.0\]"),
])
def test_bad_values_are_named_with_what_is_valid(call, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        call()


def test_good_values_come_back():
    assert checks.integer("n", np.int64(3)) == 3 and type(checks.integer("n", np.int64(3))) is int
    assert checks.integers("k", [3, 5], 2) == (3, 5)
    assert checks.probability("p", Fraction(1, 2)) == Fraction(1, 2)
    assert checks.one_of("scale", 1, (0.5, 1.0)) == 1
    checks.within({"k": (1, 7), "w": (0.0, 2.0)}, k=7, w=2.0)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_output_size_is_pytorchs_or_explains_itself(n, k, s, p, d):
    conv = nn.Conv2d(1, 1, k, s, p, d)
    try:
        expected = conv(torch.zeros(1, 1, n, n)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError, match=f"kernel size {k}.* is larger than the padded input"):
            geometry.conv_output_size(n, k, p, s, d)
        return
    assert geometry.conv_output_size(n, k, p, s, d) == expected
    assert geometry.sliding_output_size(n, k, s, p, d) == expected


@pytest.mark.parametrize("path", [
    [(11, 4, 1), (3, 2, 0), (5, 1, 2), (3, 2, 0), (3, 1, 1), (3, 1, 1), (3, 1, 1), (3, 2, 0)],
    [(3, 2, 0), (3, 1, 0), (3, 1, 1), (3, 2, 0), (1, 1, 0), (3, 1, 0), (3, 2, 0)],
    [(7, 2, 3), (3, 2, 1), (3, 2, 1)],
])
def test_smallest_input_is_the_first_size_that_runs(path):
    net = nn.Sequential(*[nn.Conv2d(1, 1, k, s, p) for k, s, p in path])

    def runs(n):
        try:
            net(torch.zeros(1, 1, n, n))
            return True
        except RuntimeError:
            return False

    smallest = geometry.smallest_input(path)
    assert runs(smallest) and not runs(smallest - 1)
    assert geometry.output_sizes(smallest, path)[-1] >= 1
    with pytest.raises(ValueError):
        geometry.output_sizes(smallest - 1, path)


def test_divisors_as_messages_list_them():
    assert geometry.divisors(12) == "1, 2, 3, 4, 6, 12"
    assert geometry.pair(3) == (3, 3) and geometry.pair((1, 7)) == (1, 7)


def test_html_table_rows_columns_and_style():
    page = html_table.table(["layer", "params"], [["conv1", "156"], "a note", ["fc1", "48,120"]],
                            total=["total", "48,276"], numeric={1}, css_class="cost-table")
    assert page.count("<tr>") == 5 and page.count("<th") == 4  # head, 2 rows, a note, total
    assert "<td colspan=2>a note</td>" in page and "<th class=n>48,276</th>" in page
    assert "class='lt cost-table'" in page and ".lt .n{text-align:right}" in page
    assert ".lt i{" not in page  # no bars, no rule for them
    assert ".lt i{" in html_table.table(None, [["x", html_table.bar(0.5)]])
