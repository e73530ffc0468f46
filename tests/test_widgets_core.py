"""The widget shell: live controls, readable errors, and the static version's stored answers."""
import json
import re

import pytest

from lib import cost
from lib.widgets import explore, render, static_html


def output_size(n, k, p):
    return f"<b>{cost.conv_output_size(n, k, p)}</b>"


CONTROLS = {"n": [4, 8], "k": [1, 3, 5, 7, 9, 11], "p": [0, 1, 2]}


def test_invalid_values_show_the_message_not_a_traceback():
    box = explore(output_size, CONTROLS, value={"n": 8, "k": 3, "p": 1})
    assert box.set(k=11, p=0).count("kernel size 11 is larger than the padded input 8") == 1
    assert "Traceback" not in box.set(k=11, p=0)
    assert box.set(k=3, p=1) == "<b>8</b>"


def test_non_value_errors_are_not_swallowed():
    def broken(n, k, p):
        raise TypeError("a bug, not bad input")

    with pytest.raises(TypeError):
        render(broken, {"n": 1, "k": 1, "p": 0})


def test_static_version_stores_lib_answers_for_every_combination():
    page = static_html(output_size, CONTROLS, {"n": 8, "k": 3, "p": 1})
    data = json.loads(re.search(r"class='explorer-data'>(.*?)</script>", page).group(1).replace("<\\/", "</"))
    assert data["sizes"] == [2, 6, 3] and len(data["table"]) == 36
    k_index = {k: i for i, k in enumerate(CONTROLS["k"])}
    for n_i, n in enumerate(CONTROLS["n"]):
        for k in CONTROLS["k"]:
            for p in CONTROLS["p"]:
                flat = (n_i * 6 + k_index[k]) * 3 + p
                assert data["answers"][data["table"][flat]] == render(output_size, {"n": n, "k": k, "p": p})
    assert "<div class='explorer-answer'><b>8</b></div>" in page


def test_static_version_is_deterministic_and_bounded():
    assert static_html(output_size, CONTROLS, {"n": 8, "k": 3, "p": 1}) == \
        static_html(output_size, CONTROLS, {"n": 8, "k": 3, "p": 1})
    with pytest.raises(ValueError, match="combinations"):
        static_html(output_size, {"n": list(range(1, 100)), "k": list(range(1, 100)), "p": [0]},
                    {"n": 1, "k": 1, "p": 0})


def test_display_carries_live_and_static_views():
    bundle = explore(output_size, CONTROLS)._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"} <= set(bundle)


def test_bad_defaults_are_explained():
    with pytest.raises(ValueError, match=r"default k=4 is not among its values \[1, 3, 5, 7, 9, 11\]"):
        explore(output_size, CONTROLS, value={"k": 4})
