"""Figures of the model randomisation test: the maps at each step, and their rank correlations.

Taught in ``notebooks/11_sanity_checks.py``, after Figures 2 and 4 of Adebayo et al. (2018,
"Sanity Checks for Saliency Maps", arXiv:1810.03292).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from ig_tutorial.plotting.attribution_maps import draw_maps
from ig_tutorial.plotting.tutorial_figures import axes_grid, finish

if TYPE_CHECKING:
    from ig_tutorial.ig.sanity_checks import ModelRandomizationCheck


def plot_randomization_maps(
    check: ModelRandomizationCheck,
    image: np.ndarray | tf.Tensor,
    *,
    clip_percentile: float = 99.0,
    cmap: str | None = None,
) -> Figure:
    """One row per method: the image, then its absolute map at each step of the cascade.

    Each map is titled with the layers randomised up to it and its rank correlation with the
    original, and scaled on its own, so the figure compares *where* attribution goes, as the
    rank correlation does. Taught in ``notebooks/11_sanity_checks.py``.
    """
    columns = len(check.steps) + 1
    fig, axes = axes_grid(len(check.attributions) * columns, columns, (2.2, 2.4))
    for row, (method, maps) in enumerate(check.attributions.items()):
        row_axes = axes[row * columns : (row + 1) * columns]
        titles = [
            f"{step}\n|rank| {correlation:.2f}"
            for step, correlation in zip(check.steps, check.rank_correlations[method], strict=True)
        ]
        panels = dict(zip(titles, maps, strict=True))
        draw_maps(row_axes, panels, image, clip_percentile=clip_percentile, cmap=cmap)
        row_axes[0].text(
            -0.08, 0.5, method, transform=row_axes[0].transAxes, rotation=90,
            ha="right", va="center", fontsize=10,
        )  # fmt: skip
    for ax in axes:
        ax.title.set_fontsize(9)
    fig.suptitle("Randomised from the logits down to ...", fontsize=11)
    return finish(fig)


def plot_rank_correlations(check: ModelRandomizationCheck) -> Figure:
    """Rank correlation of each method's map with its original, step by step.

    Left: absolute maps, with the check's threshold dotted (a method whose line ends above it
    fails); right: signed maps. Taught in ``notebooks/11_sanity_checks.py``.
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
        ax.set_title(f"Spearman rank correlation with the original, {title}", fontsize=10)
        ax.set_ylim(-1.05, 1.05)
        ax.grid(alpha=0.3)
    left.set_ylabel("rank correlation")
    left.legend(loc="lower left", fontsize=9)
    return finish(fig)
