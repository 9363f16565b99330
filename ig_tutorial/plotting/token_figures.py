"""Sentences with each token coloured by its attribution: a figure, and HTML for a notebook.

Taught in ``notebooks/12_text.py``. Token attributions
(:func:`ig_tutorial.ig.token_attribution.token_attributions`) are signed: green for a token
that pushed the target's score up from the baseline's, red for one that pushed it down, and the
stronger the colour the larger the share. One symmetric scale, ``[-m, m]`` with ``m`` the
largest absolute attribution shown, serves every sentence of a figure, so colours compare
across sentences and white always means zero.
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


def _token_rows(
    sentences: Mapping[str, tuple[Sequence[str], Any]],
) -> dict[str, tuple[list[str], np.ndarray]]:
    """Title -> (tokens, attributions), checked: one attribution per token."""
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
    return rows


def _symmetric_scale(rows: dict[str, tuple[list[str], np.ndarray]]) -> Normalize:
    largest = max(float(np.max(np.abs(values), initial=0.0)) for _, values in rows.values())
    largest = largest if largest > 0 else 1.0
    return Normalize(vmin=-largest, vmax=largest)


def token_colours(values: Any, norm: Normalize, cmap: str | Colormap = TOKEN_CMAP) -> np.ndarray:
    """The RGBA colour of each attribution on the scale ``norm``, shape ``(n, 4)``."""
    return plt.get_cmap(cmap)(norm(np.asarray(values, dtype=np.float64)))


def plot_token_attributions(
    sentences: Mapping[str, tuple[Sequence[str], Any]],
    *,
    cmap: str | Colormap = TOKEN_CMAP,
) -> Figure:
    """One row per sentence, each token on a background coloured by its attribution.

    Parameters
    ----------
    sentences : mapping of str to (tokens, attributions)
        Title -> the sentence's tokens and one attribution per token, e.g.
        ``(attributed.tokens(vocabulary), attributed.token_values)`` of a
        :class:`ig_tutorial.ig.token_attribution.TokenAttributions`.
    cmap : str or Colormap, default TOKEN_CMAP
        A diverging colour map: its low end for negative attributions, its middle for zero.

    Returns
    -------
    matplotlib.figure.Figure
        With a colour bar (the legend of the symmetric scale) under the sentences.

    Raises
    ------
    ValueError
        If ``sentences`` is empty or a sentence has not one attribution per token.
    """
    rows = _token_rows(sentences)
    norm = _symmetric_scale(rows)
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
    """The sentences of :func:`plot_token_attributions` as HTML, for a notebook's output.

    Each token is a ``<span>`` on its colour, with its attribution (to 4 decimals) as the
    tooltip; a line under the sentences states the scale. Show it in Jupyter with
    ``IPython.display.HTML``.

    Parameters
    ----------
    sentences, cmap
        As for :func:`plot_token_attributions`.

    Returns
    -------
    str
        One ``<div>`` per sentence, each token a ``<span>`` on its colour, and a legend.

    Raises
    ------
    ValueError
        As :func:`plot_token_attributions`.
    """
    rows = _token_rows(sentences)
    norm = _symmetric_scale(rows)
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
