"""The zoo table (data/zoo_table.csv and .md) is current, and the published numbers behind it
agree with their sources where those can be read: torchvision's weights metadata and d2l."""
import importlib.util
from pathlib import Path

import pytest
import torch

from lib import cost, models
from lib.models.references import ACCURACY, REFERENCES

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("zoo_table", ROOT / "scripts" / "zoo_table.py")
zoo_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(zoo_table)

TORCHVISION = [n for n in models.names() if REFERENCES[n].weights]
REGENERATE = "out of date: run `python scripts/zoo_table.py` and commit data/zoo_table.*"


@pytest.fixture(scope="module")
def table():
    return zoo_table.rows()


def test_every_registered_model_has_a_reference():
    assert sorted(REFERENCES) == sorted(models.names())
    assert sorted(ACCURACY) == sorted(models.names())


@pytest.mark.parametrize("name", [n for n in models.names() if ACCURACY[n].weights])
def test_accuracy_literals_are_torchvisions(name):
    acc = ACCURACY[name]
    meta, crop = zoo_table.torchvision_meta(acc.weights)
    assert acc.weights in acc.source
    assert acc.top1 == meta["_metrics"]["ImageNet-1K"]["acc@1"]
    assert crop == models.input_size(name)[-1], "measured at another resolution than the model's"


def test_every_accuracy_is_a_percentage_with_a_source_or_a_reason():
    for name, acc in ACCURACY.items():
        assert acc.source
        if acc.top1 is None:
            assert acc.note, name
        else:
            assert 50 < acc.top1 < 90, (name, acc.top1)
    # a bigger EfficientNet is more accurate, as the paper's Table 2 has it
    top1 = [ACCURACY[f"efficientnet_b{i}"].top1 for i in range(8)]
    assert top1 == sorted(top1) and len(set(top1)) == 8


def test_committed_csv_is_current(table):
    assert zoo_table.CSV_PATH.read_text() == zoo_table.to_csv(table), f"data/zoo_table.csv {REGENERATE}"


def test_committed_markdown_is_current(table):
    assert zoo_table.MD_PATH.read_text() == zoo_table.to_markdown(table), f"data/zoo_table.md {REGENERATE}"


def test_differences_above_one_percent_are_explained(table):
    for row in table:
        for column in ("params_diff_pct", "macs_diff_pct"):
            if row[column] is not None and abs(row[column]) > 1:
                assert REFERENCES[row["name"]].note, (row["name"], column, row[column])


@pytest.mark.parametrize("name", TORCHVISION)
def test_literals_are_torchvisions(name):
    ref = REFERENCES[name]
    meta, crop = zoo_table.torchvision_meta(ref.weights)
    assert ref.weights in ref.source
    assert ref.params == meta["num_params"]
    if crop == models.input_size(name)[-1]:
        assert round(ref.macs / 1e9, 3) == meta["_ops"]
    else:
        # torchvision measured at another crop (EfficientNet-B2: 288): the table cites the paper.
        assert round(ref.macs / 1e9, 3) != meta["_ops"] and "Table" in ref.source


@pytest.mark.parametrize("name", TORCHVISION)
def test_within_0_1_percent_of_torchvision(name, table):
    meta, crop = zoo_table.torchvision_meta(REFERENCES[name].weights)
    row = next(r for r in table if r["name"] == name)
    assert row["params"] == meta["num_params"]
    with torch.device("meta"):
        net = models.create(name).eval()
    macs = cost.count(net, (3, crop, crop)).macs
    assert abs(macs / (meta["_ops"] * 1e9) - 1) <= 1e-3, (macs, meta["_ops"])
    if crop == models.input_size(name)[-1]:
        assert row["macs"] == macs and abs(row["macs_diff_pct"]) <= 0.1


def test_auxiliary_classifiers_are_not_counted(table):
    rows = {r["name"]: r for r in table}
    with torch.device("meta"):
        net = models.create("inception_v3")
    train = cost.count(net.train(), (3, 299, 299)).macs
    # The auxiliary classifier by hand: 5x5/3 average pool to 5x5, 1x1 768 -> 128,
    # 5x5 128 -> 768 on a 1x1 output, linear 768 -> 1000.
    aux = cost.conv_macs(1, 768, 128, 5) + cost.conv_macs(5, 128, 768, 1) + 768 * 1000
    assert rows["inception_v3"]["macs"] == train - aux
    assert rows["inception_v3"]["params"] == 27_161_264  # the auxiliary classifier's included


def test_lenet_reference_is_d2ls():
    from d2l import torch as d2l  # installed by scripts/setup.sh
    net = d2l.LeNet(num_classes=10)
    with torch.no_grad():
        net(torch.zeros(1, 1, 28, 28))
    assert sum(p.numel() for p in net.parameters()) == REFERENCES["lenet"].params


def test_markdown_shows_every_model_and_note(table):
    md = zoo_table.to_markdown(table)
    for row in table:
        assert f"| `{row['name']}` | {row['input_size']} |" in md
        if row["note"]:
            assert f"- `{row['name']}`: {row['note']}" in md
        assert f"- `{row['name']}`: {'–' if row['top1'] is None else row['top1']}, " in md
    assert zoo_table.si(61_706) == "61.71 K" and zoo_table.si(1.5e9) == "1.5 G"
    assert zoo_table.pct(10.526) == "**+10.53 %**" and zoo_table.pct(-0.1) == "-0.10 %"
