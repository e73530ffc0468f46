"""A `Cost` as a plain-text table, an HTML table and a bar chart."""
from __future__ import annotations

import html as html_escape

from lib.html_table import bar, table


def shape_text(shape) -> str:
    """(3, 224, 224) as 3x224x224."""
    return "x".join(map(str, shape))


def text(cost, max_rows: int | None = None) -> str:
    """One line per layer (name, type, output shape, parameters, MACs), then the totals."""
    rows = [("layer", "type", "output shape", "params", "MACs")]
    shown = cost.layers if max_rows is None else cost.layers[:max_rows]
    rows += [(l.name, l.type, shape_text(l.output_shape), f"{l.params:,}", f"{l.macs:,}")
             for l in shown]
    if max_rows is not None and len(cost.layers) > max_rows:
        rows.append((f"... {len(cost.layers) - max_rows} more layers", "", "", "", ""))
    rows.append(("total", "", "", f"{cost.params:,}", f"{cost.macs:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    align = ("<", "<", "<", ">", ">")
    return "\n".join("  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, align, widths)).rstrip()
                     for r in rows)


def html(cost, max_rows: int | None = 60) -> str:
    """The same as HTML, with a bar for each layer's share of the MACs, then the totals in the
    papers' units and the activation memory."""
    total = max(cost.macs, 1)
    shown = cost.layers if max_rows is None else cost.layers[:max_rows]
    rows = [[f"<code>{html_escape.escape(l.name)}</code>", l.type, shape_text(l.output_shape),
             f"{l.params:,}", f"{l.macs:,}", bar(l.macs / total)] for l in shown]
    if len(shown) < len(cost.layers):
        rows.append(f"... {len(cost.layers) - len(shown)} more layers "
                    f"(<code>cost.table()</code> lists them all)")
    dtype = str(cost.dtype).replace("torch.", "")
    return (table(["layer", "type", "output shape", "params", "MACs", "share of MACs"], rows,
                  total=["total", "", "", f"{cost.params:,}", f"{cost.macs:,}", ""],
                  numeric={3, 4}, css_class="cost-table")
            + f"<p>{html_escape.escape(cost.summary())}; activations "
              f"{cost.activation_bytes / 2**20:,.1f} MiB for a batch of {cost.batch_size} "
              f"in {dtype}.</p>")


def bars(cost, ax=None, top: int | None = 30):
    """Horizontal bars of MACs and parameters per layer, for the `top` costliest layers."""
    import matplotlib.pyplot as plt

    layers = [l for l in cost.layers if l.macs or l.params]
    if top is not None:
        layers = sorted(layers, key=lambda l: l.macs, reverse=True)[:top]
        order = {id(l): i for i, l in enumerate(cost.layers)}
        layers.sort(key=lambda l: order[id(l)])
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(10, 0.28 * len(layers) + 1.2), sharey=True)
    y = range(len(layers))
    ax[0].barh(y, [l.macs / 1e6 for l in layers], color="#4c72b0")
    ax[0].set_xlabel("MACs (millions)")
    ax[1].barh(y, [l.params / 1e6 for l in layers], color="#dd8452")
    ax[1].set_xlabel("parameters (millions)")
    ax[0].set_yticks(list(y), [l.name for l in layers], fontsize=8)
    ax[0].invert_yaxis()
    ax[0].figure.tight_layout()
    return ax
