"""Plots shared by the chapters: cost bars per layer, training curves, images and filters."""
from __future__ import annotations

import matplotlib.pyplot as plt


def cost_bars(cost, ax=None, top: int | None = 30):
    """Horizontal bars of MACs and parameters per layer, for the `top` costliest layers."""
    layers = [l for l in cost.layers if l.macs or l.params]
    if top is not None:
        layers = sorted(layers, key=lambda l: l.macs, reverse=True)[:top]
        order = {id(l): i for i, l in enumerate(cost.layers)}
        layers.sort(key=lambda l: order[id(l)])
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(10, 0.28 * len(layers) + 1.2), sharey=True)
    names = [l.name for l in layers]
    y = range(len(layers))
    ax[0].barh(y, [l.macs / 1e6 for l in layers], color="#4c72b0")
    ax[0].set_xlabel("MACs (millions)")
    ax[1].barh(y, [l.params / 1e6 for l in layers], color="#dd8452")
    ax[1].set_xlabel("parameters (millions)")
    ax[0].set_yticks(list(y), names, fontsize=8)
    ax[0].invert_yaxis()
    ax[0].figure.tight_layout()
    return ax
