"""Attributions of a table row (one bar per feature) and of a sequence (one line per channel).

Taught in ``notebooks/10_your_own_model.py`` and ``notebooks/14_any_model.py``. Integrated
Gradients of a feature vector is one number per column of the table, so its figure is a bar chart
of the largest, signed; a sequence's is a curve over time per channel.
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


def plot_sequence_attributions(
    sequence: Any,
    attributions: Any,
    *,
    channel_names: Sequence[str] | None = None,
    window: slice | None = None,
    title: str | None = None,
) -> Figure:
    """A sequence's channels over time (top) and their signed attributions under them (bottom).

    Taught in ``notebooks/14_any_model.py``. A sequence's attributions have its shape, so one line
    per channel on the time axis shows when, and in which channel, the score was made.

    Parameters
    ----------
    sequence : array ``(time, channels)`` or ``(time,)``
        The attributed input.
    attributions : array or result
        Its attributions, the same shape, or any result with ``.attributions``.
    channel_names : sequence of str, optional
        One name per channel; default ``channel 0``, ``channel 1``, ...
    window : slice, optional
        Time steps to shade in both panels, e.g. where the signal is known to be.
    """
    values = np.asarray(sequence, np.float64)
    credit = attributions_of(attributions).astype(np.float64)
    if values.ndim not in (1, 2) or credit.shape != values.shape:
        raise ValueError(
            f"sequence {values.shape} and attributions {credit.shape} must have one shape, "
            "(time, channels) or (time,): give the sequence's own attributions."
        )
    values, credit = values.reshape(len(values), -1), credit.reshape(len(values), -1)
    names = list(channel_names or [f"channel {c}" for c in range(values.shape[1])])
    if len(names) != values.shape[1]:
        raise ValueError(
            f"channel_names has {len(names)} names for {values.shape[1]} channels; give one each."
        )
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 5))
    steps = np.arange(len(values))
    for channel, name in enumerate(names):
        top.plot(steps, values[:, channel], label=name)
        bottom.plot(steps, credit[:, channel], drawstyle="steps-mid", label=name)
    bottom.axhline(0, color="black", linewidth=0.8)
    if window is not None:
        shaded = steps[window]
        for ax in (top, bottom):
            ax.axvspan(shaded[0] - 0.5, shaded[-1] + 0.5, color="grey", alpha=0.2)
    top.set(title="input", ylabel="value")
    bottom.set(title="attribution", xlabel="time step")
    top.legend(loc="upper right")
    return finish(fig, title)
