"""Figures of the tutorial: interpolation strips, saturation plots and attribution overlays.

Each function draws on a new :class:`matplotlib.figure.Figure` and returns it, so notebooks can
display it and scripts can save it (``fig.savefig(...)``). Taught in
``notebooks/03_interpolation.py`` (strip), ``notebooks/04_gradients_and_saturation.py``
(saturation), ``notebooks/06_visualization.py`` (attribution masks and overlays),
``notebooks/07_baselines.py`` (comparison grids, the spread across baselines),
``notebooks/08_integration_rules_and_steps.py`` (convergence) and ``notebooks/09_toolkit.py``
(visualization modes).

Attribution maps follow the conventions of the IG paper's figures and of SmoothGrad (Smilkov et
al., 2017, arXiv:1706.03825): channels are summed per pixel, and the few largest values are
clipped at a percentile so that one outlier pixel does not paint the rest of the map black.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ig_tutorial.attribution import relative_l2_error

if TYPE_CHECKING:
    from ig_tutorial.attribution import IntegratedGradientsResult
    from ig_tutorial.convergence import ConvergenceStudy
    from ig_tutorial.ensembles import AveragedAttributions

#: How :func:`attribution_map` turns ``(height, width, 3)`` attributions into one value per pixel.
VISUALIZATION_MODES: tuple[str, ...] = ("absolute", "signed", "positive", "negative")

#: Default colormap of each mode: diverging and centred at 0 for signed maps.
DEFAULT_COLORMAPS: dict[str, str] = {
    "absolute": "inferno",
    "signed": "RdBu_r",
    "positive": "Greens",
    "negative": "Reds",
}


def _numpy(value: tf.Tensor | np.ndarray) -> np.ndarray:
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def plot_images(images: dict[str, tf.Tensor | np.ndarray], ncols: int | None = None) -> Figure:
    """Show named images side by side.

    Parameters
    ----------
    images : dict of str to image
        Title -> image ``(height, width, 3)`` with values in ``[0, 1]``.
    ncols : int, optional
        Columns of the grid; default one row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    ncols = ncols or len(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 4 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (title, image) in zip(axes.flat, images.items(), strict=False):
        ax.imshow(np.clip(_numpy(image), 0, 1))
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_interpolation_strip(
    interpolated: tf.Tensor | np.ndarray, alphas: Sequence[float] | np.ndarray
) -> Figure:
    """Show images along the path with their ``alpha`` (the tutorial's interpolation figure).

    Parameters
    ----------
    interpolated : tensor or array
        Shape ``(n, height, width, 3)``, from :func:`ig_tutorial.interpolate_images`.
    alphas : sequence of float
        The ``n`` interpolation constants.

    Returns
    -------
    matplotlib.figure.Figure
    """
    interpolated = _numpy(interpolated)
    n = len(interpolated)
    fig, axes = plt.subplots(1, n, figsize=(2.2 * n, 2.6), squeeze=False)
    for ax, image, alpha in zip(axes[0], interpolated, np.asarray(alphas), strict=True):
        ax.imshow(np.clip(image, 0, 1))
        ax.set_title(f"alpha: {alpha:.1f}")
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_saturation(
    alphas: np.ndarray | tf.Tensor,
    path_scores: np.ndarray | tf.Tensor,
    path_gradients: np.ndarray | tf.Tensor,
    score_name: str = "Target class probability",
) -> Figure:
    """The tutorial's two saturation panels: score and average gradient along the path.

    Parameters
    ----------
    alphas : array
        Shape ``(n,)``.
    path_scores : array
        The target score at each alpha, shape ``(n,)``.
    path_gradients : array
        The gradients at each alpha, shape ``(n, height, width, 3)``.
    score_name : str
        Axis label of the score.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the score saturates well before ``alpha = 1``. Right: the average absolute pixel
        gradient, normalised to ``[0, 1]``, collapses where the score saturates.
    """
    alphas = _numpy(alphas)
    gradients = _numpy(path_gradients)
    average = np.mean(np.abs(gradients), axis=tuple(range(1, gradients.ndim)))
    span = average.max() - average.min()
    normalized = (average - average.min()) / span if span > 0 else np.zeros_like(average)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(alphas, _numpy(path_scores))
    left.set(
        title="Target class score over alpha", xlabel="alpha", ylabel=score_name, ylim=(0, None)
    )
    right.plot(alphas, normalized)
    right.set(
        title="Average pixel gradients (normalized) over alpha",
        xlabel="alpha",
        ylabel="Average pixel gradients",
        ylim=(0, 1.05),
    )
    fig.tight_layout()
    return fig


def plot_toy_saturation(threshold: float = 0.8) -> Figure:
    """The tutorial's toy function ``f(x) = min(x, threshold)`` and its gradient.

    Past ``threshold`` the gradient is 0: a plain gradient says ``x`` does not matter although
    ``f`` grew by ``threshold`` from ``x = 0``. Integrated Gradients credits exactly that amount.

    Parameters
    ----------
    threshold : float, default 0.8
        Where the function saturates.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.linspace(0.0, 1.0, 201)
    f = np.minimum(x, threshold)
    grad = (x < threshold).astype(float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(x, f)
    left.axvspan(threshold, 1.0, color="tab:red", alpha=0.15, label="saturated: gradient 0")
    left.set(title=f"f(x) = min(x, {threshold})", xlabel="x (model input)", ylabel="f(x)")
    left.legend(loc="lower right")
    right.plot(x, grad)
    right.axvspan(threshold, 1.0, color="tab:red", alpha=0.15)
    right.set(title="df/dx", xlabel="x (model input)", ylabel="gradient", ylim=(-0.05, 1.1))
    fig.tight_layout()
    return fig


def attribution_mask(attributions: np.ndarray | tf.Tensor) -> np.ndarray:
    """Sum of absolute attributions over colour channels: the tutorial's attribution mask.

    Parameters
    ----------
    attributions : array
        Shape ``(height, width, channels)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width)``, non-negative.
    """
    return np.sum(np.abs(_numpy(attributions)), axis=-1)


def plot_img_attributions(
    image: tf.Tensor | np.ndarray,
    baseline: tf.Tensor | np.ndarray,
    attributions: tf.Tensor | np.ndarray,
    cmap: str = "inferno",
    overlay_alpha: float = 0.4,
    title: str | None = None,
) -> Figure:
    """The tutorial's 2x2 figure: baseline, image, attribution mask, and mask over the image.

    Parameters
    ----------
    image, baseline : tensor or array
        Shape ``(height, width, 3)``, values in ``[0, 1]``.
    attributions : tensor or array
        Integrated Gradients of ``image``, same shape.
    cmap : str, default "inferno"
        Colormap of the mask.
    overlay_alpha : float, default 0.4
        Opacity of the mask over the image.
    title : str, optional
        Figure title, e.g. the class name.

    Returns
    -------
    matplotlib.figure.Figure
    """
    mask = attribution_mask(attributions)
    fig, axes = plt.subplots(2, 2, figsize=(8, 8))
    panels = [
        (axes[0, 0], "Baseline image", _numpy(baseline), None),
        (axes[0, 1], "Original image", _numpy(image), None),
        (axes[1, 0], "Attribution mask", mask, cmap),
    ]
    for ax, name, data, colormap in panels:
        ax.imshow(np.clip(data, 0, None) if colormap else np.clip(data, 0, 1), cmap=colormap)
        ax.set_title(name)
    axes[1, 1].imshow(np.clip(_numpy(image), 0, 1))
    axes[1, 1].imshow(mask, cmap=cmap, alpha=overlay_alpha)
    axes[1, 1].set_title("Overlay")
    for ax in axes.flat:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class AttributionMap:
    """One value per pixel, ready for :func:`matplotlib.pyplot.imshow`.

    Attributes
    ----------
    values : numpy.ndarray
        Shape ``(height, width)``, already clipped to ``[vmin, vmax]``.
    vmin, vmax : float
        The colour limits; symmetric around 0 for ``mode="signed"``.
    mode : str
        One of :data:`VISUALIZATION_MODES`.
    """

    values: np.ndarray
    vmin: float
    vmax: float
    mode: str


def attribution_map(
    attributions: np.ndarray | tf.Tensor, mode: str = "absolute", clip_percentile: float = 99.0
) -> AttributionMap:
    """Reduce attributions to one clipped value per pixel, in one of four modes.

    Taught in ``notebooks/09_toolkit.py``.

    Parameters
    ----------
    attributions : array
        Shape ``(height, width, channels)``.
    mode : {"absolute", "signed", "positive", "negative"}, default "absolute"
        ``"absolute"``: ``sum_c |a|`` (the tutorial's mask: how much a pixel matters).
        ``"signed"``: ``sum_c a``, limits ``[-v, v]`` symmetric around 0 (evidence for the class
        is positive, against it negative). ``"positive"``: ``max(sum_c a, 0)``.
        ``"negative"``: ``max(-sum_c a, 0)``, the magnitude of the evidence against.
    clip_percentile : float, default 99.0
        Values above this percentile of the magnitudes are clipped to it. For ``"positive"``
        and ``"negative"`` the percentile is taken over the pixels of that sign only. 100 keeps
        the maximum.

    Returns
    -------
    AttributionMap
        If every value is 0, the limits are ``[0, 1]`` (``[-1, 1]`` signed).

    Raises
    ------
    ValueError
        If ``mode`` is unknown, ``clip_percentile`` is not in ``(0, 100]``, or the attributions
        are not ``(height, width, channels)``.
    """
    if mode not in VISUALIZATION_MODES:
        raise ValueError(f"mode must be one of {VISUALIZATION_MODES}, got {mode!r}.")
    if not 0 < clip_percentile <= 100:
        raise ValueError(
            f"clip_percentile must be in (0, 100], got {clip_percentile!r}; use 100 for no "
            f"clipping."
        )
    attributions = _numpy(attributions).astype(np.float64)
    if attributions.ndim != 3:
        raise ValueError(
            f"attributions must have shape (height, width, channels), got {attributions.shape}."
        )
    if mode == "absolute":
        values = np.sum(np.abs(attributions), axis=-1)
    else:
        signed = np.sum(attributions, axis=-1)
        values = {
            "signed": signed,
            "positive": np.maximum(signed, 0.0),
            "negative": np.maximum(-signed, 0.0),
        }[mode]
    magnitudes = np.abs(values)
    if mode in ("positive", "negative"):
        magnitudes = magnitudes[magnitudes > 0]
    limit = float(np.percentile(magnitudes, clip_percentile)) if magnitudes.size else 0.0
    if limit == 0.0:
        limit = 1.0  # an all-zero map: any positive limit draws it as "nothing"
    vmin = -limit if mode == "signed" else 0.0
    return AttributionMap(np.clip(values, vmin, limit), vmin, limit, mode)


def visualize_attributions(
    attributions: np.ndarray | tf.Tensor,
    image: np.ndarray | tf.Tensor | None = None,
    *,
    mode: str = "absolute",
    clip_percentile: float = 99.0,
    cmap: str | None = None,
    overlay: bool = False,
    overlay_alpha: float = 0.5,
    ax: Axes | None = None,
    title: str | None = None,
    colorbar: bool = True,
) -> Figure:
    """Draw an attribution map: absolute, signed, positive or negative, optionally over the image.

    Taught in ``notebooks/09_toolkit.py``.

    Parameters
    ----------
    attributions : array
        Shape ``(height, width, channels)``, e.g. ``result.attributions``.
    image : array, optional
        The input image, values in ``[0, 1]``; needed for ``overlay=True``.
    mode : {"absolute", "signed", "positive", "negative"}, default "absolute"
        See :func:`attribution_map`.
    clip_percentile : float, default 99.0
        Outliers above this percentile are clipped; see :func:`attribution_map`.
    cmap : str, optional
        Colormap; default :data:`DEFAULT_COLORMAPS` of the mode (``"RdBu_r"`` for signed maps,
        with 0 in white).
    overlay : bool, default False
        Draw the map with ``overlay_alpha`` opacity over the grey-scaled image.
    overlay_alpha : float, default 0.5
        Opacity of the map in an overlay.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    title : str, optional
        Axes title; default the mode.
    colorbar : bool, default True
        Add a colour bar.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or the new figure.

    Raises
    ------
    ValueError
        If ``overlay`` is requested without ``image``, or as :func:`attribution_map`.
    """
    amap = attribution_map(attributions, mode=mode, clip_percentile=clip_percentile)
    if overlay and image is None:
        raise ValueError("overlay=True needs the image: pass image=... (values in [0, 1]).")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 4.5))
    else:
        fig = ax.figure
    if overlay:
        # Grey keeps the photo readable under a coloured map whose colours carry the meaning.
        grey = np.clip(_numpy(image), 0, 1).mean(axis=-1)
        ax.imshow(grey, cmap="gray", vmin=0, vmax=1)
    shown = ax.imshow(
        amap.values,
        cmap=cmap or DEFAULT_COLORMAPS[mode],
        vmin=amap.vmin,
        vmax=amap.vmax,
        alpha=overlay_alpha if overlay else None,
    )
    if colorbar:
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title if title is not None else f"{mode} attributions")
    ax.axis("off")
    return fig


def _attributions_of(value: Any) -> np.ndarray:
    return _numpy(getattr(value, "attributions", value))


def _grid(count: int, ncols: int | None) -> tuple[Figure, list[Axes]]:
    ncols = ncols or min(count, 5)
    nrows = int(np.ceil(count / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.4 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, list(axes.flat)


def _draw_panels(
    axes: list[Axes],
    panels: Mapping[str, Any],
    image: np.ndarray | tf.Tensor | None,
    show_image: bool,
    **style: Any,
) -> list[Axes]:
    """Draw the image (optionally) and one map per panel; return the axes left unused."""
    axes = list(axes)
    if image is not None and show_image:
        first = axes.pop(0)
        first.imshow(np.clip(_numpy(image), 0, 1))
        first.set_title("Image")
    for title, value in panels.items():
        visualize_attributions(
            _attributions_of(value), image, ax=axes.pop(0), title=title, colorbar=False, **style
        )
    return axes


def plot_attribution_grid(
    panels: Mapping[str, Any],
    image: np.ndarray | tf.Tensor | None = None,
    *,
    mode: str = "absolute",
    clip_percentile: float = 99.0,
    cmap: str | None = None,
    overlay: bool = False,
    ncols: int | None = None,
    show_image: bool = True,
) -> Figure:
    """Several attribution maps side by side, each with its title, e.g. one per baseline.

    Each map is clipped and scaled on its own, so the grid compares *where* attribution goes,
    not how much. Taught in ``notebooks/07_baselines.py``.

    Parameters
    ----------
    panels : mapping of str to array or result
        Title -> attributions ``(height, width, 3)`` or any result with ``.attributions``.
    image : array, optional
        The input; shown as the first panel when ``show_image``, and under every map with
        ``overlay=True``.
    mode, clip_percentile, cmap, overlay
        As for :func:`visualize_attributions`.
    ncols : int, optional
        Columns; default all panels in one row (at most 5 per row).
    show_image : bool, default True
        Show ``image`` (if given) as the first panel.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``panels`` is empty, or as :func:`visualize_attributions`.
    """
    if len(panels) == 0:
        raise ValueError("panels is empty; give at least one title -> attributions pair.")
    count = len(panels) + (1 if image is not None and show_image else 0)
    fig, axes = _grid(count, ncols)
    style = {"mode": mode, "clip_percentile": clip_percentile, "cmap": cmap, "overlay": overlay}
    _draw_panels(axes, panels, image, show_image, **style)
    fig.tight_layout()
    return fig


def plot_averaged_attributions(
    averaged: AveragedAttributions,
    image: np.ndarray | tf.Tensor | None = None,
    *,
    mode: str = "absolute",
    clip_percentile: float = 99.0,
    max_members: int = 4,
    ncols: int | None = None,
) -> Figure:
    """Members, their mean and the per-pixel standard deviation of averaged attributions.

    For :func:`ig_tutorial.integrated_gradients_over_baselines` and
    :func:`ig_tutorial.smoothgrad_integrated_gradients`. The last panel, the standard deviation
    across members (summed over channels, own colour bar), shows where the attribution depends
    on the baseline or the noise. Taught in ``notebooks/07_baselines.py``.

    Parameters
    ----------
    averaged : AveragedAttributions
        The averaged result.
    image : array, optional
        The input, shown first.
    mode : str, default "absolute"
        Mode of the member and mean maps, see :func:`attribution_map`.
    clip_percentile : float, default 99.0
        See :func:`attribution_map`.
    max_members : int, default 4
        Show at most this many members.
    ncols : int, optional
        Columns of the grid.

    Returns
    -------
    matplotlib.figure.Figure
    """
    shown_members = list(zip(averaged.member_names, averaged.members, strict=True))[:max_members]
    panels: dict[str, Any] = dict(shown_members)
    panels[f"mean of {len(averaged.members)}"] = averaged.attributions
    count = len(panels) + 1 + (1 if image is not None else 0)
    fig, axes = _grid(count, ncols)
    left = _draw_panels(axes, panels, image, True, mode=mode, clip_percentile=clip_percentile)
    spread = attribution_map(averaged.standard_deviation, "absolute", clip_percentile)
    shown = left[0].imshow(spread.values, cmap="viridis", vmin=spread.vmin, vmax=spread.vmax)
    fig.colorbar(shown, ax=left[0], fraction=0.046, pad=0.04)
    left[0].set_title(f"std across {len(averaged.members)}")
    fig.tight_layout()
    return fig


def plot_convergence(
    study: ConvergenceStudy | None = None,
    auto: IntegratedGradientsResult | None = None,
    *,
    x: str = "evaluations",
    tolerance: float | None = None,
) -> Figure:
    """Error of the IG integral against the number of steps, on log-log axes.

    Left: the relative completeness error. Right: the relative L2 error against the study's
    high-step reference and, for an ``m_steps="auto"`` result, the change between its successive
    refinements (what it stops on, with the completeness error). Zero errors cannot be drawn on
    a log axis and are left out. Taught in ``notebooks/08_integration_rules_and_steps.py``.

    Parameters
    ----------
    study : ConvergenceStudy, optional
        From :func:`ig_tutorial.convergence_study`: one line per rule.
    auto : IntegratedGradientsResult, optional
        A result of ``integrated_gradients(..., m_steps="auto")``: its convergence history.
    x : {"evaluations", "steps"}, default "evaluations"
        The horizontal axis: gradient evaluations (the cost) or ``m_steps``.
    tolerance : float, optional
        Draw the tolerance as a dotted line on both panels.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If neither ``study`` nor ``auto`` is given, ``auto`` has no convergence history, or
        ``x`` is unknown.
    """
    if study is None and auto is None:
        raise ValueError("give a convergence study, an m_steps='auto' result, or both.")
    if auto is not None and not auto.convergence_history:
        raise ValueError(
            "auto has no convergence history: it was computed with a fixed m_steps; compute it "
            "with m_steps='auto'."
        )
    if x not in ("evaluations", "steps"):
        raise ValueError(f"x must be 'evaluations' or 'steps', got {x!r}.")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    if study is not None:
        for method in study.results:
            xs = study.num_evaluations(method) if x == "evaluations" else study.m_steps(method)
            left.plot(xs, study.completeness_errors(method), "o-", label=method)
            right.plot(xs, study.l2_errors(method), "o-", label=method)
    if auto is not None:
        history = auto.convergence_history
        xs = [step.num_evaluations if x == "evaluations" else step.m_steps for step in history]
        left.plot(xs, [step.relative_completeness_error for step in history], "k*--", label="auto")
        changes = [(xi, step.refinement_change) for xi, step in zip(xs, history, strict=True)]
        changes = [(xi, change) for xi, change in changes if change is not None]
        right.plot(*zip(*changes, strict=True), "k*--", label="auto: change per refinement")
        if study is not None:
            final_l2 = relative_l2_error(auto.attributions, study.reference.attributions)
            right.plot([xs[-1]], [final_l2], "r*", markersize=14, label="auto: L2 vs reference")
    xlabel = "gradient evaluations" if x == "evaluations" else "m_steps"
    left.set(title="Completeness error", xlabel=xlabel, ylabel="|sum(IG) - ΔF| / |ΔF|")
    right_title = "L2 error vs reference" if study is not None else "Change between refinements"
    right.set(title=right_title, xlabel=xlabel, ylabel="relative error")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log", nonpositive="mask")
        if tolerance is not None:
            ax.axhline(tolerance, color="grey", linestyle=":", label=f"tolerance {tolerance:g}")
        ax.legend(fontsize="small")
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_completeness_vs_steps(
    results: Mapping[str, Sequence[IntegratedGradientsResult]],
    tolerance: float | None = 0.05,
) -> Figure:
    """Completeness error against gradient evaluations, one line per image, log axes.

    The picture of "the effect of ``m_steps``" in ``notebooks/05_integration.py``: more steps cost
    more evaluations and, usually but not monotonically, give a smaller completeness error
    (Sundararajan et al., 2017, section 5, suggest steps until it is within 5%).

    Parameters
    ----------
    results : mapping of str to sequence of IntegratedGradientsResult
        Image title -> its results at several step counts.
    tolerance : float or None, default 0.05
        Draw this error level as a dotted line; ``None`` draws none.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(6, 4))
    for title, runs in results.items():
        ordered = sorted(runs, key=lambda result: result.num_evaluations)
        ax.plot(
            [result.num_evaluations for result in ordered],
            [result.relative_completeness_error for result in ordered],
            "o-",
            label=title,
        )
    if tolerance is not None:
        ax.axhline(tolerance, color="grey", linestyle=":", label=f"{tolerance:.0%}")
    ax.set(
        xscale="log",
        title="Completeness error against cost",
        xlabel="gradient evaluations",
        ylabel="|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|",
    )
    ax.set_yscale("log", nonpositive="mask")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
