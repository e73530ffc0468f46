"""lib.zoo: every registered model placed in a family and a chapter, the Pareto front, latency
measured in inference, and the roofline model worked out by hand on small networks."""
import itertools
import random

import pytest
import torch
from torch import nn

from lib import cost, models, zoo
from lib.lectures.chapters import TITLES
from lib.models.references import ACCURACY


def test_every_registered_model_has_a_family_and_a_chapter():
    assert sorted(zoo.MODELS) == sorted(models.names())
    for name, (family, chapter) in zoo.MODELS.items():
        assert family in zoo.FAMILIES and chapter in TITLES, name
    with pytest.raises(ValueError, match="unknown model 'resnet51'"):
        zoo.family("resnet51")


def test_timeline_is_in_order_and_names_registered_models():
    years = [year for year, *_ in zoo.TIMELINE]
    assert years == sorted(years)
    for _, _, name, chapter, added in zoo.TIMELINE:
        assert zoo.chapter(name) == chapter and added


def test_paper_scale_rows_are_the_counts_and_the_published_accuracy():
    (row,) = zoo.paper_scale(["resnet50"])
    counted = cost.count("resnet50")
    assert (row.params, row.macs, row.input_size) == (counted.params, counted.macs,
                                                      counted.input_size)
    assert row.top1 == ACCURACY["resnet50"].top1 and row.family == "residual"


def dominated(p, q, sx, sy):
    """q beats p on both axes (at least as good on each, better on one)."""
    return sx * q[0] <= sx * p[0] and sy * q[1] <= sy * p[1] and q[:2] != p[:2]


@pytest.mark.parametrize("x_low, y_high", list(itertools.product((True, False), repeat=2)))
def test_pareto_front_is_exactly_the_undominated_points(x_low, y_high):
    rng = random.Random(0)
    points = [(rng.randint(0, 20), rng.randint(0, 20), i) for i in range(40)]
    sx, sy = (1 if x_low else -1), (-1 if y_high else 1)
    front = zoo.pareto_front(points, x_low, y_high)
    undominated = [p for p in points if not any(dominated(p, q, sx, sy) for q in points)]
    assert {p[:2] for p in front} == {p[:2] for p in undominated}
    assert [p[0] for p in front] == sorted(p[0] for p in front)


def test_pareto_front_by_hand():
    points = [(1, 70, "a"), (2, 75, "b"), (3, 72, "c"), (4, 80, "d"), (5, 80, "e")]
    assert [p[2] for p in zoo.pareto_front(points)] == ["a", "b", "d"]


def test_throughput_batch_shrinks_for_large_maps():
    assert zoo.throughput_batch(cost.count("resnet18")) == zoo.THROUGHPUT_BATCH["cpu"]
    for name in ("vgg16", "efficientnet_b7"):
        c = cost.count(name)
        batch = zoo.throughput_batch(c)
        largest = max(4 * zoo._numel(l.output_shape) for l in c.layers)
        assert batch * largest <= zoo.MAX_LAYER_BYTES or batch == 1
        assert batch == zoo.THROUGHPUT_BATCH["cpu"] or 2 * batch * largest > zoo.MAX_LAYER_BYTES


def test_measure_returns_each_batch_and_keeps_its_deadline():
    done, skipped = zoo.measure(["lenet"], (1, 4), steps=1, warmup=0, progress=False)
    assert [(l.name, l.batch_size) for l in done] == [("lenet", 1), ("lenet", 4)]
    assert all(l.seconds > 0 for l in done) and skipped == []
    assert done[1].images_per_second == pytest.approx(4 / done[1].seconds)
    done, skipped = zoo.measure(["lenet", "lenet"], (1,), steps=1, warmup=0, deadline_s=1e-9,
                                progress=False)
    assert len(done) == 1 and skipped == ["lenet"]
    with pytest.raises(ValueError, match="steps=0"):
        zoo.measure(["lenet"], steps=0)


def test_memory_bandwidth_is_a_rate():
    assert zoo.memory_bandwidth(megabytes=4, steps=2) > 1e6
    with pytest.raises(ValueError, match="megabytes=0"):
        zoo.memory_bandwidth(megabytes=0)


def test_roofline_by_hand():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.Flatten(),
                        nn.Linear(8 * 4 * 4, 10, bias=False))
    c = cost.count(net, (3, 4, 4))
    peak, bandwidth = 1e9, 1e8
    model = zoo.roofline(c, peak, bandwidth, batch_size=2)
    conv, dense = [l for l in model.layers if l.type in ("Conv2d", "Linear")]
    assert conv.flops == 2 * 2 * (8 * 3 * 9 * 16)
    assert conv.bytes == 4 * (8 * 3 * 9 + 2 * 2 * 8 * 16)
    assert dense.flops == 2 * 2 * 128 * 10 and dense.bytes == 4 * (1280 + 2 * 2 * 10)
    assert dense.memory_bound and dense.intensity < 1
    assert model.seconds == pytest.approx(sum(max(l.flops / peak, l.bytes / bandwidth)
                                              for l in model.layers))
    assert 0 < model.memory_bound_share <= 1
    assert list(model.by_type())[0] in ("Conv2d", "Linear", "Flatten")
    with pytest.raises(ValueError, match="peak_flops=0"):
        zoo.roofline(c, 0, bandwidth)
