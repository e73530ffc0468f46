"""The zoo chart of chapters/17_zoo.ipynb: its data are lib's counts, its front is
lib.zoo.pareto_front's, and the JavaScript front it draws in the static book agrees with it."""
import json
import random
import shutil
import subprocess

import pytest

from lib import zoo
from lib.widgets import zoo as zw

NAMES = ["lenet", "alexnet", "resnet18", "mobilenet_v2", "efficientnet_b0"]


@pytest.fixture(scope="module")
def rows():
    return zoo.paper_scale(NAMES)


def test_chart_carries_every_network_and_its_front(rows):
    chart = zw.zoo_chart(rows)
    page = chart._repr_html_()
    for name in NAMES:
        assert f'"name":"{name}"' in page
    assert "latency" not in chart.quantities
    front = chart.front()
    points = chart.points("macs", "top1")
    assert front == zoo.pareto_front(points)
    assert {p[2] for p in front} <= {r.name for r in rows if r.top1 is not None}
    for name in (p[2] for p in front):
        assert f"{name} ◆" in chart._fallback()


def test_latencies_add_axes_per_device(rows):
    latencies = [zoo.Latency("resnet18", "cpu", 1, 0.02), zoo.Latency("resnet18", "cpu", 16, 0.16)]
    chart = zw.zoo_chart(rows, latencies, x="latency_cpu", y="top1")
    values = next(r["v"] for r in chart.rows if r["name"] == "resnet18")
    assert values["latency_cpu"] == pytest.approx(20.0)
    assert values["throughput_cpu"] == pytest.approx(100.0)
    assert next(r["v"] for r in chart.rows if r["name"] == "lenet")["latency_cpu"] is None


def test_bad_axis_names_the_valid_ones(rows):
    with pytest.raises(ValueError, match=r"x='flops'; valid: 'top1', 'macs'"):
        zw.zoo_chart(rows, x="flops")
    with pytest.raises(ValueError, match="y='latency'"):
        zw.zoo_chart(rows, y="latency")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the chart's script")
@pytest.mark.parametrize("x_higher, y_higher", [(False, True), (True, True), (False, False)])
def test_javascript_front_is_pythons(x_higher, y_higher):
    rng = random.Random(1)
    points = [[rng.randint(0, 30), rng.randint(0, 30), f"n{i}"] for i in range(50)]
    script = (zw.FRONT_JS + f"console.log(JSON.stringify(paretoFront({json.dumps(points)},"
              f"{json.dumps(x_higher)},{json.dumps(y_higher)})));")
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    front = zoo.pareto_front([tuple(p) for p in points], not x_higher, y_higher)
    assert [tuple(p[:2]) for p in json.loads(out.stdout)] == [p[:2] for p in front]
