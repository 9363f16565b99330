"""Sentences with each token coloured by its attribution: a figure, and HTML for a notebook.

Taught in ``notebooks/12_text.py``. Green for a token that pushed the target's score up from
the baseline's, red for one that pushed it down. One symmetric scale, ``[-m, m]`` with ``m`` the
largest absolute attribution shown, serves every sentence, so colours compare across sentences
and white means zero.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Colormap, LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure

#: Red (against the target) to green (for it), white at zero; the ends light enough for black text.
TOKEN_CMAP = LinearSegmentedColormap.from_list("red_white_green", ["#e8504a", "white", "#3bb35c"])


def _rows_and_scale(
    sentences: Mapping[str, tuple[Sequence[str], Any]],
) -> tuple[dict[str, tuple[list[str], np.ndarray]], Normalize]:
    """Title -> (tokens, attributions), one attribution per token; and the symmetric scale."""
    if len(sentences) == 0:
        raise ValueError("sentences is empty; give at least one title -> (tokens, values) pair.")
    rows = {}
    for title, (tokens, values) in sentences.items():
        tokens = [str(token) for token in tokens]
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.shape != (len(tokens),):
            raise ValueError(
                f"sentence {title!r} has {len(tokens)} tokens but {values.size} attributions; "
                "give one attribution per token (padding left out, e.g. "
                "TokenAttributions.tokens(vocabulary) and .token_values)."
            )
        rows[title] = (tokens, values)
    # All zero: any positive scale draws white.
    largest = max(float(np.max(np.abs(values), initial=0.0)) for _, values in rows.values()) or 1.0
    return rows, Normalize(vmin=-largest, vmax=largest)


def token_colours(values: Any, norm: Normalize, cmap: str | Colormap = TOKEN_CMAP) -> np.ndarray:
    """The RGBA colour of each attribution on the scale ``norm``, shape ``(n, 4)``."""
    return plt.get_cmap(cmap)(norm(np.asarray(values, dtype=np.float64)))


def plot_token_attributions(
    sentences: Mapping[str, tuple[Sequence[str], Any]],
    *,
    cmap: str | Colormap = TOKEN_CMAP,
) -> Figure:
    """One row per sentence, each token on its attribution's colour; the scale's bar below.

    Parameters
    ----------
    sentences : mapping of str to (tokens, attributions)
        Title -> the sentence's tokens and one attribution per token, e.g.
        ``(attributed.tokens(vocabulary), attributed.token_values)`` of a
        :class:`ig_tutorial.ig.token_attribution.TokenAttributions`.
    cmap : str or Colormap, default TOKEN_CMAP
        Diverging: its low end for negative attributions, its middle for zero.
    """
    rows, norm = _rows_and_scale(sentences)
    longest = max(len(" ".join(tokens)) for tokens, _ in rows.values())
    width = max(6.0, 0.11 * longest + 1.0)
    height = 0.75 * len(rows) + 1.3
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0.02, 1.2 / height, 0.96, 1 - 1.3 / height))
    ax.set_axis_off()
    ax.set(xlim=(0, 1), ylim=(len(rows) - 0.5, -0.5))
    renderer = fig.canvas.get_renderer()
    for row, (title, (tokens, values)) in enumerate(rows.items()):
        ax.text(0.0, row - 0.32, title, fontsize=9, color="0.35", va="center")
        x = 0.0
        for token, colour in zip(tokens, token_colours(values, norm, cmap), strict=True):
            label = ax.text(
                x,
                row + 0.12,
                token,
                fontsize=12,
                va="center",
                bbox={"facecolor": colour, "edgecolor": "none", "boxstyle": "round,pad=0.25"},
            )
            box = label.get_window_extent(renderer).transformed(ax.transData.inverted())
            x = box.x1 + 0.02
    bar_axes = fig.add_axes((0.25, 0.55 / height, 0.5, 0.2 / height))
    fig.colorbar(
        plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=bar_axes, orientation="horizontal"
    )
    bar_axes.set_xlabel("attribution (red: against the target, green: for it)", fontsize=9)
    return fig


def token_attributions_html(
    sentences: Mapping[str, tuple[Sequence[str], Any]],
    *,
    cmap: str | Colormap = TOKEN_CMAP,
) -> str:
    """The sentences of :func:`plot_token_attributions` as HTML, for ``IPython.display.HTML``.

    One ``<div>`` per sentence, each token a ``<span>`` on its colour with its attribution as
    the tooltip, and a line stating the scale.
    """
    rows, norm = _rows_and_scale(sentences)
    lines = []
    for title, (tokens, values) in rows.items():
        spans = [
            f'<span title="{value:+.4f}" style="background-color: rgb({r:.0f}, {g:.0f}, {b:.0f}); '
            f'padding: 1px 3px; border-radius: 3px">{html.escape(token)}</span>'
            for token, value, (r, g, b) in zip(
                tokens, values, 255 * token_colours(values, norm, cmap)[:, :3], strict=True
            )
        ]
        lines.append(
            f'<div style="margin: 4px 0"><small>{html.escape(title)}</small><br>'
            f"{' '.join(spans)}</div>"
        )
    lines.append(
        f"<div><small>colour scale: red {norm.vmin:+.3f} (against the target), white 0, "
        f"green {norm.vmax:+.3f} (for it)</small></div>"
    )
    return "\n".join(lines)
