"""Every pure widget function checks its arguments against its documented ranges: each value its
controls offer lies inside them, the largest value of each range still gets an answer, and
anything outside, or not a number of the right kind, gets a message that names it."""
import math

import pytest

from lib.widgets import (alexnet, batchnorm, conv, lenet, mobilenet, nin, render, senet, shufflenet,
                         squeezenet, vgg)

WIDGETS = {
    "conv_layer": (conv.conv_layer, conv.CONV_LAYER_CONTROLS, conv.CONV_LAYER_DEFAULTS,
                   conv.CONV_LAYER_RANGES),
    "receptive_field": (conv.receptive_field, conv.RECEPTIVE_FIELD_CONTROLS,
                        conv.RECEPTIVE_FIELD_DEFAULTS, conv.RECEPTIVE_FIELD_RANGES),
    "lenet_cost": (lenet.lenet_cost, lenet.CONTROLS, lenet.DEFAULTS, lenet.RANGES),
    "alexnet_cost": (alexnet.alexnet_cost, alexnet.CONTROLS, alexnet.DEFAULTS, alexnet.RANGES),
    "vgg_builder": (vgg.vgg_builder, vgg.VGG_BUILDER_CONTROLS, vgg.VGG_BUILDER_DEFAULTS,
                    vgg.VGG_BUILDER_RANGES),
    "stacked_convs": (vgg.stacked_convs, vgg.STACK_CONTROLS, vgg.STACK_DEFAULTS,
                      vgg.STACK_RANGES),
    "last_layer": (nin.last_layer, nin.LAST_LAYER_CONTROLS, nin.LAST_LAYER_DEFAULTS,
                   nin.LAST_LAYER_RANGES),
    "fire_design": (squeezenet.fire_design, squeezenet.CONTROLS, squeezenet.DEFAULTS,
                    squeezenet.RANGES),
    "multipliers": (mobilenet.multipliers, mobilenet.CONTROLS, mobilenet.DEFAULTS,
                    mobilenet.RANGES),
    "running_statistics": (batchnorm.running_statistics, batchnorm.CONTROLS, batchnorm.DEFAULTS,
                           batchnorm.RANGES),
    "shufflenet_cost": (shufflenet.shufflenet_cost, shufflenet.CONTROLS, shufflenet.DEFAULTS,
                        shufflenet.RANGES),
    "se_cost": (senet.se_cost, senet.CONTROLS, senet.DEFAULTS, senet.RANGES),
}
CASES = [(widget, arg) for widget, (_, _, _, ranges) in WIDGETS.items() for arg in ranges]


@pytest.mark.parametrize("widget", WIDGETS)
def test_the_controls_offer_values_inside_the_ranges(widget):
    _, controls, _, ranges = WIDGETS[widget]
    for arg, values in controls.items():
        if arg in ranges:
            low, high = ranges[arg]
            assert all(low <= v <= high for v in values), (arg, values, ranges[arg])


def answer_or_message(fn, values):
    """The answer's HTML, or the message of a ValueError (a combination that does not fit)."""
    try:
        return render(fn, values)
    except Exception as e:  # anything but a ValueError would be a bug
        raise AssertionError(f"{fn.__name__}({values}) raised {type(e).__name__}: {e}") from e


@pytest.mark.parametrize("widget, arg", CASES)
def test_the_largest_value_gets_an_answer(widget, arg):
    fn, _, defaults, ranges = WIDGETS[widget]
    low, high = ranges[arg]
    page = answer_or_message(fn, {**defaults, arg: high})
    assert "Traceback" not in page and len(page) < 200_000


@pytest.mark.parametrize("widget, arg", CASES)
@pytest.mark.parametrize("kind", ["above", "below", "huge", "fraction", "none", "inf", "nan",
                                  "bool", "text"])
def test_values_outside_the_range_are_named(widget, arg, kind):
    fn, _, defaults, ranges = WIDGETS[widget]
    low, high = ranges[arg]
    integral = not isinstance(low, float)
    bad = {"above": high + 1, "below": low - 1 if integral else -1.0, "huge": 10 ** 12,
           "fraction": 2.5 if integral else None, "none": None, "inf": math.inf,
           "nan": math.nan, "bool": True, "text": "3"}[kind]
    if kind == "fraction" and not integral:
        pytest.skip("a float range takes fractions")
    with pytest.raises(ValueError, match=rf"^{arg}={bad!r} must be "):
        fn(**{**defaults, arg: bad})
    assert "explorer-error" in render(fn, {**defaults, arg: bad})


@pytest.mark.parametrize("call, message", [
    (lambda: conv.receptive_field(layers=10 ** 9), "layers=1000000000 must be an integer from 1 to 64"),
    (lambda: vgg.stacked_convs(layers=10 ** 5), "layers=100000 must be an integer from 1 to 16"),
    (lambda: vgg.stacked_convs(channels=10 ** 12), "channels=1000000000000 must be an integer from"),
    (lambda: alexnet.alexnet_cost(width_mult=math.inf), r"width_mult=inf must be in \(0.0, 8.0\]"),
    (lambda: vgg.vgg_builder(width_mult=math.nan), r"width_mult=nan must be in \(0.0, 8.0\]"),
    (lambda: conv.conv_layer(kernel_size=2.5), "kernel_size=2.5 must be an integer from 1 to 64"),
    (lambda: conv.conv_layer(kernel_size=None), "kernel_size=None must be an integer from 1 to 64"),
    (lambda: conv.receptive_field(pooling=None), "pooling=None; valid: 'none', '2×2 max pool'"),
    (lambda: vgg.vgg_builder(convs="1-9"), r"convs\[1\]=9 must be an integer from 1 to 8"),
])
def test_the_cases_of_the_issue(call, message):
    with pytest.raises(ValueError, match=message):
        call()
