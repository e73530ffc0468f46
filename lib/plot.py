"""Plots shared by the chapters: training curves, images, value grids, connections, activations
and architectures. A `Cost` draws its own bars (`lib.cost.render.bars`)."""
from __future__ import annotations

import matplotlib.pyplot as plt

from lib.source import Source


def image_grid(images, titles=(), ncols: int = 8, scale: float = 1.3, frame: bool = False):
    """Grey images (N, H, W) in a grid, each with its title; returns the figure. `frame` draws
    each image's border, so that a shifted image shows where its edges are."""
    n = len(images)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * ncols, (scale + 0.3) * nrows),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        if frame and i < n:
            ax.set(xticks=[], yticks=[])
        else:
            ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r")
            if i < len(titles):
                ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    return fig


def training_curves(history, ax=None):
    """Training loss, training accuracy and test accuracy per epoch, from a `lib.train.History`."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    ax.clear()
    epochs = history.epoch
    ax.plot(epochs, history.train_loss, "-o", color="#4c72b0", label="train loss", markersize=3)
    ax.plot(epochs, history.train_acc, "--o", color="#dd8452", label="train acc", markersize=3)
    ax.plot(epochs, history.test_acc, "-.o", color="#55a868", label="test acc", markersize=3)
    ax.set_xlabel("epoch")
    ax.set_xlim(0.5, max(history.epochs, len(epochs)) + 0.5)
    ax.grid(alpha=0.3)
    ax.legend(loc="center right", fontsize=8)
    ax.figure.tight_layout()
    return ax


def show_source(*objs, checks: bool = True):
    """The source of `lib` objects, highlighted: chapters show library code instead of copying it.
    `checks=False` shows each run of argument checks as one comment naming its lines."""
    return Source(*objs, checks=checks)


def value_grids(panels: dict, boxes: dict | None = None, padding: dict | None = None,
                fmt: str = "{:g}", cell: float = 0.42, cmap: str = "Blues"):
    """Small matrices side by side, every entry written in its cell; returns the figure.

    `panels` maps a title to a 2-D array; `boxes` maps a title to rectangles
    (row, col, height, width, colour) drawn over that panel, e.g. the window a kernel sees;
    `padding` maps a title to p: that panel is drawn surrounded by p rings of grey zeros.
    """
    import numpy as np
    from matplotlib.patches import Rectangle

    boxes, padding = boxes or {}, padding or {}
    arrays = {t: np.pad(np.asarray(a, dtype=float), padding.get(t, 0), constant_values=np.nan)
              for t, a in panels.items()}
    widths = [a.shape[1] for a in arrays.values()]
    height = max(a.shape[0] for a in arrays.values())
    size = (cell * (sum(widths) + 1.2 * len(widths)), cell * height + 0.7)
    fig, axes = plt.subplots(1, len(arrays), figsize=size, gridspec_kw={"width_ratios": widths},
                             squeeze=False)
    for ax, (title, a) in zip(axes[0], arrays.items()):
        finite = a[np.isfinite(a)]
        low, high = (finite.min(), finite.max()) if finite.size else (0, 1)
        ax.imshow(np.where(np.isfinite(a), a, np.nan), cmap=cmap,
                  vmin=low - 0.6 * (high - low + 1e-9), vmax=high + 0.3 * (high - low + 1e-9))
        for (i, j), v in np.ndenumerate(a):
            if np.isfinite(v):
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=9)
            elif title in padding:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, color="#e5e5e5"))
                ax.text(j, i, fmt.format(0), ha="center", va="center", fontsize=9, color="#888888")
        for r, c, h, w, colour in boxes.get(title, ()):
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor=colour,
                                   linewidth=2.5))
        ax.set_xticks(np.arange(a.shape[1] + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(a.shape[0] + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", linewidth=1)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def connection_matrices(layers: dict, cmap: str = "viridis"):
    """Layers y = W x drawn as graphs (top) and as their weight matrices (bottom).

    `layers` maps a title to an index matrix `ids` (n outputs, m inputs) as in `lib.ops`:
    entries with the same index share one parameter and get one colour; -1 is no connection.
    """
    import numpy as np

    fig, axes = plt.subplots(2, len(layers), figsize=(3.3 * len(layers), 4.6), squeeze=False,
                             gridspec_kw={"height_ratios": [1.1, 1]})
    colours = plt.get_cmap(cmap)
    for (graph, matrix), (title, ids) in zip(axes.T, layers.items()):
        ids = np.asarray(ids)
        n, m = ids.shape
        top = max(ids.max(), 1)
        x_in, x_out = np.arange(m), (np.arange(n) + 0.5) * (m - 1) / n
        for j, i in zip(*np.nonzero(ids >= 0)):
            graph.plot([x_in[i], x_out[j]], [0, 1], color=colours(ids[j, i] / top), linewidth=2)
        graph.scatter(x_in, np.zeros(m), s=90, color="white", edgecolor="black", zorder=3)
        graph.scatter(x_out, np.ones(n), s=90, color="#dddddd", edgecolor="black", zorder=3)
        graph.set_ylim(-0.25, 1.25)
        graph.axis("off")
        graph.set_title(title, fontsize=10)
        rgba = np.ones((n, m, 4))
        rgba[ids >= 0] = colours(ids[ids >= 0] / top)
        matrix.imshow(rgba)
        for (j, i), v in np.ndenumerate(ids):
            if v >= 0:
                matrix.text(i, j, str(v), ha="center", va="center", fontsize=8,
                            color="white" if v / top < 0.6 else "black")
        matrix.set_xticks(range(m), [f"$x_{i + 1}$" for i in range(m)], fontsize=8)
        matrix.set_yticks(range(n), [f"$y_{j + 1}$" for j in range(n)], fontsize=8)
        matrix.set_xticks(np.arange(m + 1) - 0.5, minor=True)
        matrix.set_yticks(np.arange(n + 1) - 0.5, minor=True)
        matrix.grid(which="minor", color="#999999", linewidth=0.5)
        matrix.tick_params(which="both", length=0)
    fig.tight_layout()
    return fig


def activation_curves(x, values: dict, gradients: dict):
    """Activation functions (left) and their derivatives (right) over the same inputs `x`."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    for name in values:
        left.plot(x, values[name], label=name)
        right.plot(x, gradients[name], label=name)
    left.set_title("f(x)", fontsize=10)
    right.set_title("f'(x), by autograd", fontsize=10)
    for ax in (left, right):
        ax.axhline(0, color="#999999", linewidth=0.6)
        ax.axvline(0, color="#999999", linewidth=0.6)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    right.axhline(0.25, color="#999999", linestyle=":", linewidth=1)
    right.text(x[0], 0.27, "1/4", fontsize=8, color="#666666")
    left.legend(fontsize=8)
    fig.tight_layout()
    return fig


def architecture(cost, ax=None, title: str = ""):
    """A network as a row of blocks, drawn from a `lib.cost.Cost`: the input, then every layer with
    weights and every pooling. A (C, H, W) output is a box whose height grows with sqrt(H) and
    width with sqrt(C); a vector is a thin bar whose height grows with the square root of its
    length. Each block is labelled with its layer's name and output shape."""
    import math

    from matplotlib.patches import Rectangle

    blocks, counts = [("input", tuple(cost.input_size))], {}
    for l in cost.layers:
        if not (l.params or "Pool" in l.type):
            continue
        name = l.name.rsplit(".", 1)[-1]
        if name.isdigit():  # an unnamed nn.Sequential entry: name it by kind and position
            kind = ("conv" if "Conv" in l.type else "pool" if "Pool" in l.type
                    else "fc" if l.type == "Linear" else l.type)
            counts[kind] = counts.get(kind, 0) + 1
            name = f"{kind}{counts[kind]}"
        blocks.append((name, l.output_shape))
    spatial = [s[1] for _, s in blocks if len(s) == 3]
    channels = [s[0] for _, s in blocks if len(s) == 3]
    vectors = [s[0] for _, s in blocks if len(s) == 1]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 1.05 * len(blocks)), 3.2))
    x = 0.0
    for name, shape in blocks:
        if len(shape) == 3:
            height = 0.3 + 2.2 * math.sqrt(shape[1] / max(spatial))
            width = 0.1 + 0.6 * math.sqrt(shape[0] / max(channels))
            colour = "#dd8452" if "pool" in name else "#4c72b0"
        else:
            height, width, colour = 0.3 + 2.2 * math.sqrt(shape[0] / max(vectors)), 0.1, "#55a868"
        ax.add_patch(Rectangle((x, -height / 2), width, height, facecolor=colour, alpha=0.75,
                               edgecolor="#333333"))
        ax.text(x + width / 2, height / 2 + 0.08, name, ha="center", va="bottom", fontsize=8)
        ax.text(x + width / 2, -height / 2 - 0.08, "×".join(map(str, shape)), ha="center",
                va="top", fontsize=7)
        x += width + 0.5
    ax.set_xlim(-0.3, x - 0.2)
    ax.set_ylim(-1.9, 1.9)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.tight_layout()
    return ax
