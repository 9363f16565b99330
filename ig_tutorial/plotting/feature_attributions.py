"""Attributions of a tabular model: one bar per feature.

Taught in ``notebooks/10_your_own_model.py``. Integrated Gradients of a feature vector is a
vector of the same length (one number per column of the table), so its natural figure is a bar
chart: the features with the largest attributions, signed, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ig_tutorial.checks import positive_integer
from ig_tutorial.plotting.attribution_maps import attributions_of


def plot_feature_attributions(
    panels: Mapping[str, Any],
    feature_names: Sequence[str],
    *,
    top_k: int = 10,
) -> Figure:
    """Bar charts of per-feature attributions, one panel per sample, largest first.

    Each panel shows the ``top_k`` features with the largest absolute attribution of its
    sample, signed: to the right (orange) a feature that pushed the score up from the
    baseline's, to the left (blue) one that pushed it down.

    Parameters
    ----------
    panels : mapping of str to array or result
        Title -> attributions of shape ``(n_features,)``, or any result with ``.attributions``
        (e.g. from :func:`ig_tutorial.integrated_gradients` on a feature vector).
    feature_names : sequence of str
        One name per feature, in the model's input order.
    top_k : int, default 10
        How many features each panel shows.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``panels`` is empty, ``top_k`` is not a positive integer, or attributions are not
        one number per name in ``feature_names``.
    """
    top_k = positive_integer(top_k, "top_k")
    if len(panels) == 0:
        raise ValueError("panels is empty; give at least one title -> attributions pair.")
    names = list(feature_names)
    values = {title: attributions_of(value) for title, value in panels.items()}
    for title, attributions in values.items():
        if attributions.shape != (len(names),):
            raise ValueError(
                f"attributions of {title!r} have shape {attributions.shape}; expected "
                f"({len(names)},), one per name in feature_names."
            )
    shown = min(top_k, len(names))
    fig, axes = plt.subplots(
        1, len(values), figsize=(5.5 * len(values), 0.35 * shown + 1.2), squeeze=False
    )
    for ax, (title, attributions) in zip(axes[0], values.items(), strict=True):
        order = np.argsort(-np.abs(attributions), kind="stable")[:shown][::-1]
        colours = ["tab:orange" if attributions[i] >= 0 else "tab:blue" for i in order]
        ax.barh([names[i] for i in order], attributions[order], color=colours)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set(title=title, xlabel="attribution")
    fig.tight_layout()
    return fig
