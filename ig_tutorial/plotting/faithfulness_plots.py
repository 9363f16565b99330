"""Figures of the faithfulness metrics: deletion and insertion curves, and scores against steps.

Taught in ``notebooks/13_evaluating_attributions.py``. A faithful map's deletion curve falls fast
and its insertion curve rises fast; the area under each is its score
(:mod:`ig_tutorial.ig.faithfulness`). Several methods' curves on one pair of axes show what one
number per curve hides: where along the ranking two maps part.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ig_tutorial.ig.method_comparison import MethodScore
from ig_tutorial.plotting.tutorial_figures import finish

#: The kinds of curve drawn, one panel each, with the direction that is better.
PANELS = (("deletion", "lower area is better"), ("insertion", "higher area is better"))

#: Line styles of the controls, one each, so that two grey lines can be told apart.
CONTROL_DASHES = ("--", ":", "-.")


def plot_perturbation_curves(scores: Sequence[MethodScore], *, title: str | None = None) -> Figure:
    """The deletion (left) and insertion (right) curves of several methods, areas in the legend.

    ``scores`` come from :func:`ig_tutorial.ig.method_comparison.score_methods`. The controls
    (names with "control") are grey and dashed, dotted, ..., so that what a method adds over them
    shows.
    """
    if len(scores) == 0:
        raise ValueError("scores is empty; pass the list score_methods returns.")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    colours = plt.get_cmap("tab10")
    coloured, controls = 0, 0
    for score in scores:
        if "control" in score.method.lower():
            dashes = CONTROL_DASHES[controls % len(CONTROL_DASHES)]
            style = {"color": "0.45", "linestyle": dashes, "linewidth": 1.3}
            controls += 1
        else:
            style = {"color": colours(coloured % 10), "linewidth": 1.6}
            coloured += 1
        for ax, (kind, _) in zip(axes, PANELS, strict=True):
            curve = getattr(score, kind)
            label = f"{score.method} ({curve.auc:.3f})"
            ax.plot(curve.fractions, curve.probabilities, label=label, **style)
    for ax, (kind, better) in zip(axes, PANELS, strict=True):
        ax.set(
            title=f"{kind.capitalize()} ({better})",
            xlabel=f"fraction of pixels {'deleted' if kind == 'deletion' else 'inserted'}",
            xlim=(0, 1),
            ylim=(0, None),
        )
        ax.legend(fontsize=7, loc="upper right" if kind == "deletion" else "lower right")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("probability of the target")
    return finish(fig, title)


def plot_scores_against_steps(
    steps: Sequence[int | str],
    deletion: Sequence[float],
    insertion: Sequence[float],
    *,
    completeness_errors: Sequence[float] | None = None,
    title: str | None = None,
) -> Figure:
    """Deletion and insertion areas of one method at several step counts.

    With ``completeness_errors`` a second, logarithmic axis shows how far the integral was from
    converged at each setting: do the scores need it to converge?

    Parameters
    ----------
    steps : sequence of int or str
        The settings, e.g. ``[16, 32, 64, 128, 256, "auto"]``; drawn evenly spaced, in order.
    deletion, insertion, completeness_errors : sequence of float
        The areas, and the relative completeness errors (optional), at each setting.
    """
    errors = [] if completeness_errors is None else list(completeness_errors)
    lengths = {len(steps), len(deletion), len(insertion)} | ({len(errors)} if errors else set())
    if not len(steps) or len(lengths) != 1:
        raise ValueError(
            f"steps, deletion, insertion (and completeness_errors) must be non-empty and of one "
            f"length; got {len(steps)}, {len(deletion)}, {len(insertion)}"
            + (f" and {len(errors)}." if errors else ".")
        )
    positions = np.arange(len(steps))
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.plot(positions, deletion, "o-", label="deletion (lower is better)")
    ax.plot(positions, insertion, "s-", label="insertion (higher is better)")
    ax.set_xticks(positions, [str(step) for step in steps])
    ax.set(xlabel="m_steps", ylabel="area under the curve", ylim=(0, None))
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if errors:
        right = ax.twinx()
        right.semilogy(positions, errors, "^:", color="0.4", label="completeness error (right)")
        right.set_ylabel("relative completeness error")
        more_handles, more_labels = right.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    ax.legend(handles, labels, fontsize=8, loc="center right")
    if title:
        ax.set_title(title)
    return finish(fig)
