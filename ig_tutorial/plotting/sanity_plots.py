"""Figures of the model randomisation test: the maps at each step, and their rank correlations.

Taught in ``notebooks/11_sanity_checks.py``, after Figures 2 and 4 of Adebayo et al. (2018,
"Sanity Checks for Saliency Maps", NeurIPS, arXiv:1810.03292): one row of maps per method, one
column per randomisation step, and the rank correlation with the original map against the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from ig_tutorial.plotting.attribution_maps import visualize_attributions
from ig_tutorial.plotting.tutorial_figures import draw_image

if TYPE_CHECKING:
    from ig_tutorial.ig.sanity_checks import ModelRandomizationCheck


def plot_randomization_maps(
    check: ModelRandomizationCheck,
    image: np.ndarray | tf.Tensor,
    *,
    clip_percentile: float = 99.0,
    cmap: str | None = None,
) -> Figure:
    """One row per method, one column per randomisation step: how each map changes.

    The first column is the image; then the trained model's map (``"original"``), then the map
    after each step of the cascade, each titled with the layers randomised up to it. Every map is
    scaled on its own (absolute values, clipped at ``clip_percentile``), so the figure compares
    *where* attribution goes, as the rank correlation does. Taught in
    ``notebooks/11_sanity_checks.py``.

    Parameters
    ----------
    check : ModelRandomizationCheck
        From :func:`ig_tutorial.model_randomization_check`.
    image : array
        The input, values in ``[0, 1]``.
    clip_percentile : float, default 99.0
        See :func:`ig_tutorial.plotting.attribution_maps.attribution_map`.
    cmap : str, optional
        Colormap; default that of absolute maps.

    Returns
    -------
    matplotlib.figure.Figure
    """
    methods = list(check.attributions)
    columns = len(check.steps) + 1
    fig, axes = plt.subplots(
        len(methods), columns, figsize=(2.2 * columns, 2.4 * len(methods)), squeeze=False
    )
    for row, method in enumerate(methods):
        draw_image(axes[row, 0], image)
        axes[row, 0].axis("off")
        axes[row, 0].set_title("Image", fontsize=9)
        axes[row, 0].text(
            -0.08, 0.5, method, transform=axes[row, 0].transAxes, rotation=90,
            ha="right", va="center", fontsize=10,
        )  # fmt: skip
        for column, step in enumerate(check.steps, start=1):
            correlation = check.rank_correlations[method][column - 1]
            visualize_attributions(
                check.attributions[method][column - 1],
                clip_percentile=clip_percentile,
                cmap=cmap,
                ax=axes[row, column],
                title=f"{step}\n|rank| {correlation:.2f}",
                colorbar=False,
            )
            axes[row, column].title.set_fontsize(9)
    fig.suptitle("Randomised from the logits down to ...", fontsize=11)
    fig.tight_layout()
    return fig


def plot_rank_correlations(check: ModelRandomizationCheck) -> Figure:
    """Rank correlation of each method's map with its original, step by step.

    Left: absolute maps; right: signed maps. A dotted line marks the check's threshold on the
    left: a method whose line ends above it fails the test. Taught in
    ``notebooks/11_sanity_checks.py``.

    Parameters
    ----------
    check : ModelRandomizationCheck
        From :func:`ig_tutorial.model_randomization_check`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    positions = np.arange(len(check.steps))
    for method in check.attributions:
        left.plot(positions, check.rank_correlations[method], marker="o", label=method)
        right.plot(positions, check.signed_rank_correlations[method], marker="o", label=method)
    left.axhline(check.threshold, color="grey", linestyle=":", label="threshold")
    for ax, title in ((left, "absolute maps"), (right, "signed maps")):
        ax.axhline(0.0, color="black", linewidth=0.5)
        ax.set_xticks(positions, check.steps, rotation=30, ha="right")
        ax.set_xlabel("randomised from the logits down to")
        ax.set_title(f"Spearman rank correlation with the original, {title}")
        ax.title.set_fontsize(10)
        ax.set_ylim(-1.05, 1.05)
        ax.grid(alpha=0.3)
    left.set_ylabel("rank correlation")
    left.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig
