"""The DenseNet explorer (chapter 11) against whole-network counts and its refusals."""
import pytest

from lib import cost, models
from lib.widgets.densenet import BATCH, dense_blocks


def test_parts_add_up_to_the_course_densenet121():
    table = dense_blocks(12, "6-12-24-16", 0.5)
    whole = cost.count("densenet121", **models.course_config("densenet121"), batch_size=BATCH)
    assert (table.params, table.macs, table.activation_bytes) == \
        (whole.params, whole.macs, whole.activation_bytes)
    names = [p.name for p in table.parts]
    assert names == ["stem", "dense block 1", "transition 1", "dense block 2", "transition 2",
                     "dense block 3", "transition 3", "dense block 4", "head"]
    assert table.parts[1].detail == "96 × 14×14"          # 24 + 6 * 12 channels


def test_no_compression_widens_the_later_blocks():
    compressed, full = dense_blocks(compression=0.5), dense_blocks(compression=1.0)
    assert full.parts[1] == compressed.parts[1]            # block 1 comes before any transition
    assert full.parts[3].params > compressed.parts[3].params
    assert full.activation_bytes > compressed.activation_bytes


@pytest.mark.parametrize("kwargs, message", [
    (dict(growth_rate=0), "growth_rate=0 must be"),
    (dict(blocks="6-x"), "blocks='6-x' must be 1 to 6 block sizes"),
    (dict(blocks="100"), "blocks='100' must be"),
    (dict(compression=0), "compression=0 must be"),
])
def test_bad_values_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dense_blocks(**kwargs)
