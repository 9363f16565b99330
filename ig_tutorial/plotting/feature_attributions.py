"""Attributions of a tabular model: one bar per feature.

Taught in ``notebooks/10_your_own_model.py``. Integrated Gradients of a feature vector is one
number per column of the table, so its figure is a bar chart of the largest, signed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ig_tutorial.checks import positive_integer
from ig_tutorial.plotting.attribution_maps import attributions_of
from ig_tutorial.plotting.tutorial_figures import finish


def plot_feature_attributions(
    panels: Mapping[str, Any],
    feature_names: Sequence[str],
    *,
    top_k: int = 10,
) -> Figure:
    """Bar charts of per-feature attributions, one panel per sample, largest first.

    Each panel shows its sample's ``top_k`` features by absolute attribution, signed: to the
    right (orange) a feature that pushed the score up from the baseline's, to the left (blue)
    one that pushed it down.

    Parameters
    ----------
    panels : mapping of str to array or result
        Title -> attributions ``(n_features,)``, or any result with ``.attributions``.
    feature_names : sequence of str
        One name per feature, in the model's input order.
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
    return finish(fig)
