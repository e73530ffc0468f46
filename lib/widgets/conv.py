"""Widgets of chapters/01_building_blocks.ipynb: a kernel sliding over an image, one convolution
layer's shape and cost, and the receptive field of a stack of layers.

Each function takes the controls' values and returns an object whose HTML is the answer;
impossible combinations raise ValueError with a message naming the value and what would fit.
Each accepts the values its controls offer and more, up to the maxima of its `*_RANGES`.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import torch

from lib import cost, ops
from lib.checks import one_of, within
from lib.html_table import table


def _product(*factors) -> str:
    return "·".join(str(f) for f in factors)


@dataclass
class ConvLayer:
    """One `nn.Conv2d` applied to a (in_channels, input_size, input_size) input."""
    input_size: int
    kernel_size: int
    padding: int
    stride: int
    in_channels: int
    out_channels: int
    groups: int
    output_size: int
    params: int
    macs: int

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (self.out_channels, self.output_size, self.output_size)

    def code(self) -> str:
        extra = "".join(f", {name}={v}" for name, v, default in
                        (("stride", self.stride, 1), ("padding", self.padding, 0),
                         ("groups", self.groups, 1))
                        if v != default)
        return (f"nn.Conv2d({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size}{extra})")

    def _repr_html_(self) -> str:
        n, k, p, s, m, g = (self.input_size, self.kernel_size, self.padding, self.stride,
                            self.output_size, self.groups)
        c_in = f"({self.in_channels}/{g})" if g > 1 else str(self.in_channels)
        c_out = self.out_channels
        rows = [
            ("output", f"{c_out}×{m}×{m}", f"floor(({n} + 2·{p} − {k})/{s}) + 1 = {m}"),
            ("parameters", f"{self.params:,}",
             f"{_product(k, k, c_in, c_out)} + {c_out} = {self.params:,}"),
            ("MACs", f"{self.macs:,}", f"{_product(m, m, k, k, c_in, c_out)} = {self.macs:,}"),
        ]
        notes = []
        skipped = (n + 2 * p - k) % s
        if skipped:
            notes.append(f"(n + 2p − k)/s is not whole: the last {skipped} row(s) and column(s) "
                         f"of the padded input are never visited")
        if g > 1 and g == self.in_channels == self.out_channels:
            notes.append("depthwise: every channel is filtered on its own")
        elif g > 1:
            notes.append(f"{g} groups of {self.in_channels // g} → {self.out_channels // g} "
                         f"channels: {g}× fewer weights and MACs")
        if k == 1:
            notes.append("1×1: a dense layer on the channel vector of every pixel")
        cells = [[label, f"<b>{value}</b>", f"<code>{formula}</code>"]
                 for label, value, formula in rows]
        return (f"<code>{html.escape(self.code())}</code>" + table(None, cells)
                + "".join(f"<div>{html.escape(t)}</div>" for t in notes))


#: The explorer's values: the lecture's 5x5 image, Fashion-MNIST's 28x28 and ImageNet's 224x224;
#: channel counts that make 4 and 16 groups (grouped and depthwise) possible and impossible.
CONV_LAYER_CONTROLS = {
    "input_size": [5, 28, 224], "kernel_size": [1, 3, 5, 7], "padding": [0, 1, 2, 3],
    "stride": [1, 2], "in_channels": [1, 16], "out_channels": [1, 16, 64], "groups": [1, 4, 16],
}
CONV_LAYER_DEFAULTS = {"input_size": 28, "kernel_size": 3, "padding": 1, "stride": 2,
                       "in_channels": 16, "out_channels": 64, "groups": 1}
#: The (smallest, largest) value of each argument `conv_layer` accepts.
CONV_LAYER_RANGES = {
    "input_size": (1, 4096), "kernel_size": (1, 64), "padding": (0, 64), "stride": (1, 64),
    "in_channels": (1, 65_536), "out_channels": (1, 65_536), "groups": (1, 65_536),
}


def check_conv_layer(input_size, kernel_size, padding, stride, in_channels, out_channels, groups):
    """One ValueError that names every problem of the layer: a value out of CONV_LAYER_RANGES, a
    kernel larger than the padded input, groups that do not divide the channels."""
    within(CONV_LAYER_RANGES, input_size=input_size, kernel_size=kernel_size, padding=padding,
           stride=stride, in_channels=in_channels, out_channels=out_channels, groups=groups)
    problems = []
    for formula, args in ((cost.conv_output_size, (input_size, kernel_size, padding, stride)),
                          (cost.conv_params, (kernel_size, in_channels, out_channels, groups))):
        try:
            formula(*args)
        except ValueError as e:
            problems.append(str(e))
    if problems:
        raise ValueError("; ".join(problems))


def conv_layer(input_size: int = 28, kernel_size: int = 3, padding: int = 1, stride: int = 1,
               in_channels: int = 1, out_channels: int = 16, groups: int = 1) -> ConvLayer:
    """Output shape, parameters (with bias) and MACs of one square convolution, by the formulas

        m = floor((n + 2p - k) / s) + 1,
        params = k·k·(c_in/g)·c_out + c_out,
        MACs = m·m·k·k·(c_in/g)·c_out.
    """
    check_conv_layer(input_size, kernel_size, padding, stride, in_channels, out_channels, groups)
    m = cost.conv_output_size(input_size, kernel_size, padding, stride)
    params = cost.conv_params(kernel_size, in_channels, out_channels, groups)
    return ConvLayer(input_size, kernel_size, padding, stride, in_channels, out_channels, groups,
                     m, params, cost.conv_macs(kernel_size, in_channels, out_channels, m, groups))


@dataclass
class ReceptiveField:
    """Receptive field and jump after each layer of a stack, from `lib.ops.receptive_field`."""
    layers: list[tuple[str, int, int]]      # (description, kernel size, stride)
    fields: list[tuple[int, int]]           # (r, j) after each layer

    @property
    def size(self) -> int:
        return self.fields[-1][0]

    def _svg(self, side: int = 180) -> str:
        scale = side / self.size
        squares = []
        for i, (r, _) in enumerate(reversed(self.fields)):
            w = r * scale
            shade = 70 + 130 * i / max(len(self.fields) - 1, 1)
            squares.append(f"<rect x='{(side - w) / 2:.1f}' y='{(side - w) / 2:.1f}' "
                           f"width='{w:.1f}' height='{w:.1f}' "
                           f"fill='rgb({shade:.0f},{shade + 25:.0f},230)' stroke='#333'/>")
        pixel = max(scale, 1.5)
        return (f"<svg width='{side + 2}' height='{side + 2}' "
                f"viewBox='-1 -1 {side + 2} {side + 2}'>{''.join(squares)}"
                f"<rect x='{(side - scale) / 2:.1f}' y='{(side - scale) / 2:.1f}' "
                f"width='{pixel:.1f}' height='{pixel:.1f}' fill='#c0392b'/></svg>")

    def _repr_html_(self) -> str:
        head = ["layer", "k", "s", "r", "j", "r = r<sub>prev</sub> + (k − 1)·j<sub>prev</sub>"]
        rows, r_prev, j_prev = [], 1, 1
        for (name, k, s), (r, j) in zip(self.layers, self.fields):
            rows.append([name, k, s, f"<b>{r}</b>", j,
                         f"<code>{r_prev} + ({k} − 1)·{j_prev} = {r}</code>"])
            r_prev, j_prev = r, j
        convs = [k for name, k, _ in self.layers if name.startswith("conv")]
        note = (f"One output sees a {self.size}×{self.size} patch of the input (red: one input "
                f"pixel, to scale).")
        if all(s == 1 for _, _, s in self.layers) and len(convs) > 1:
            note += (f" Weights per (input, output) channel pair: {len(convs)} layers × "
                     f"{convs[0]}² = {sum(k * k for k in convs)}, against {self.size}² = "
                     f"{self.size ** 2} for one {self.size}×{self.size} layer with the same "
                     f"field.")
        return (f"<div style='display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start'>"
                f"{self._svg()}{table(head, rows, numeric={1, 2, 3, 4})}</div>"
                f"<p>{html.escape(note)}</p>")


POOLING_CHOICES = ("none", "2×2 max pool")


RECEPTIVE_FIELD_CONTROLS = {"kernel_size": [1, 3, 5, 7], "stride": [1, 2],
                            "layers": [1, 2, 3, 4, 5, 6], "pooling": list(POOLING_CHOICES)}
RECEPTIVE_FIELD_DEFAULTS = {"kernel_size": 3, "stride": 1, "layers": 3, "pooling": "none"}
#: The (smallest, largest) value of each numeric argument `receptive_field` accepts.
RECEPTIVE_FIELD_RANGES = {"kernel_size": (1, 31), "stride": (1, 8), "layers": (1, 64)}


def receptive_field(kernel_size: int = 3, stride: int = 1, layers: int = 3,
                    pooling: str = "none") -> ReceptiveField:
    """`layers` convolutions of kernel `kernel_size` and stride `stride`, each optionally followed
    by a 2×2 max pool of stride 2."""
    within(RECEPTIVE_FIELD_RANGES, kernel_size=kernel_size, stride=stride, layers=layers)
    one_of("pooling", pooling, POOLING_CHOICES)
    stack = []
    for i in range(1, layers + 1):
        stack.append((f"conv {i}", kernel_size, stride))
        if pooling != "none":
            stack.append((f"pool {i}", 2, 2))
    return ReceptiveField(stack, ops.receptive_field([(k, s) for _, k, s in stack]))


# --- The sliding window ------------------------------------------------------------------------

#: A 6x6 image of a bright bar, and the 3x3 kernels the explorer slides over it.
SLIDING_IMAGE = (
    (0, 0, 0, 0, 0, 0),
    (0, 0, 9, 9, 0, 0),
    (0, 0, 9, 9, 0, 0),
    (0, 0, 9, 9, 0, 0),
    (0, 0, 9, 9, 0, 0),
    (0, 0, 0, 0, 0, 0),
)
SLIDING_KERNELS = {
    "vertical edge": ((1, 0, -1), (1, 0, -1), (1, 0, -1)),
    "horizontal edge": ((1, 1, 1), (0, 0, 0), (-1, -1, -1)),
    "box (sum)": ((1, 1, 1), (1, 1, 1), (1, 1, 1)),
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
}
SLIDING_CONTROLS = {"kernel": list(SLIDING_KERNELS), "padding": [0, 1], "stride": [1, 2],
                    "step": list(range(1, 37))}
SLIDING_DEFAULTS = {"kernel": "vertical edge", "padding": 0, "stride": 1, "step": 1}
#: The (smallest, largest) value of each argument `sliding_window` accepts.
SLIDING_RANGES = {"padding": (0, 3), "stride": (1, 3), "step": (1, 100)}
_WINDOW, _OUTPUT = "background:#fe8", "background:#9cf;font-weight:bold"


def _grid(rows, marked=(), style="", pad=0) -> str:
    """Numbers in aligned columns; cells in `marked` (row, col) highlighted with `style`, the
    outer `pad` rings of padding grey."""
    lines = []
    for i, row in enumerate(rows):
        runs = []                   # [style, text] of consecutive cells styled alike
        for j, v in enumerate(row):
            inside = pad <= i < len(rows) - pad and pad <= j < len(row) - pad
            look = style if (i, j) in marked else "" if inside else "color:#aaa"
            if runs and runs[-1][0] == look:
                runs[-1][1] += f"{v:>4g}"
            else:
                runs.append([look, f"{v:>4g}"])
        lines.append("".join(f"<span style='{look}'>{html.escape(text)}</span>" if look
                             else html.escape(text) for look, text in runs))
    return "\n".join(lines)


@dataclass
class SlidingWindow:
    """One step of a 3x3 kernel sliding over SLIDING_IMAGE: the window it covers, the output
    cell it writes and the sum of products that gives that cell."""
    kernel: str
    padding: int
    stride: int
    step: int
    padded: list      # the input with its padding, (n + 2p) x (n + 2p)
    weights: list     # 3 x 3
    output: list      # m x m, the whole output, by ops.corr2d
    row: int
    col: int

    def _repr_html_(self) -> str:
        k, s, (i, j) = len(self.weights), self.stride, (self.row, self.col)
        window = {(s * i + a, s * j + b) for a in range(k) for b in range(k)}
        m = len(self.output)
        terms = " + ".join(f"{self.padded[s * i + a][s * j + b]:g}·" + (
            f"{w:g}" if w >= 0 else f"({w:g})") for a in range(k) for b, w in enumerate(
            self.weights[a]))
        n = len(self.padded) - 2 * self.padding
        panels = [
            (f"input {n}×{n}" + (f", padded by {self.padding}" if self.padding else ""),
             _grid(self.padded, window, _WINDOW, self.padding)),
            (f"kernel: {self.kernel}", _grid(self.weights)),
            (f"output {m}×{m}, step {self.step} of {m * m}",
             _grid(self.output, {(i, j)}, _OUTPUT)),
        ]
        blocks = "".join(f"<div><div>{html.escape(title)}</div><pre style='margin:0.2em 0;"
                         f"line-height:1.35'>{grid}</pre></div>" for title, grid in panels)
        return (f"<div style='display:flex;flex-wrap:wrap;gap:1.5em'>{blocks}</div>"
                f"<div>Y[{i}, {j}] = sum of window × kernel = {html.escape(terms)} = "
                f"<b>{self.output[i][j]:g}</b></div>")


def sliding_window(kernel: str = "vertical edge", padding: int = 0, stride: int = 1,
                   step: int = 1) -> SlidingWindow:
    """Output cell number `step` (from 1, in reading order) of a 3x3 cross-correlation of
    SLIDING_IMAGE with one of SLIDING_KERNELS: where the window sits and what it adds up."""
    one_of("kernel", kernel, SLIDING_KERNELS)
    within(SLIDING_RANGES, padding=padding, stride=stride, step=step)
    image = torch.tensor(SLIDING_IMAGE, dtype=torch.float32)
    weights = torch.tensor(SLIDING_KERNELS[kernel], dtype=torch.float32)
    output = ops.corr2d(image, weights, padding, stride)
    m = output.shape[0]
    if step > m * m:
        raise ValueError(f"step {step}: with padding {padding} and stride {stride} the "
                         f"output is {m}×{m}, so the window stops after {m * m} steps; "
                         f"choose a step of at most {m * m}")
    return SlidingWindow(kernel, padding, stride, step, ops.pad2d(image, padding).tolist(),
                         weights.tolist(), output.tolist(), *divmod(step - 1, m))
