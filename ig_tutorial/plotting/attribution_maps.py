"""Attribution maps beyond the tutorial's mask: four modes, clipping, grids, averaged results.

Taught in ``notebooks/07_baselines.py`` (comparison grids, the spread across baselines) and
``notebooks/09_toolkit.py`` (visualization modes). Attribution maps follow the conventions of the
IG paper's figures and of SmoothGrad (Smilkov et al., 2017, arXiv:1706.03825): channels are summed
per pixel, and the few largest values are clipped at a percentile so that one outlier pixel does
not paint the rest of the map black.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ig_tutorial.checks import one_of, percentile
from ig_tutorial.ig.pixel_maps import clip_limit, pixel_map
from ig_tutorial.plotting.tutorial_figures import draw_image, to_numpy

if TYPE_CHECKING:
    from ig_tutorial.ig.ensembles import AveragedAttributions

#: How :func:`attribution_map` turns ``(height, width, 3)`` attributions into one value per pixel.
VISUALIZATION_MODES: tuple[str, ...] = ("absolute", "signed", "positive", "negative")

#: Default colormap of each mode: diverging and centred at 0 for signed maps.
DEFAULT_COLORMAPS: dict[str, str] = {
    "absolute": "inferno",
    "signed": "RdBu_r",
    "positive": "Greens",
    "negative": "Reds",
}


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

    What :func:`visualize_attributions` draws (taught in ``notebooks/09_toolkit.py``).

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
    one_of(mode, VISUALIZATION_MODES, "mode")
    percentile(clip_percentile)
    attributions = to_numpy(attributions).astype(np.float64)
    if mode == "absolute":
        values = pixel_map(attributions)
    else:
        signed = pixel_map(attributions, absolute=False)
        values = {
            "signed": signed,
            "positive": np.maximum(signed, 0.0),
            "negative": np.maximum(-signed, 0.0),
        }[mode]
    magnitudes = np.abs(values)
    if mode in ("positive", "negative"):
        magnitudes = magnitudes[magnitudes > 0]
    limit = clip_limit(magnitudes, clip_percentile)
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
        grey = np.clip(to_numpy(image), 0, 1).mean(axis=-1)
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


def attributions_of(value: Any) -> np.ndarray:
    """The attributions of a result (anything with ``.attributions``) or of an array, as numpy."""
    return to_numpy(getattr(value, "attributions", value))


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
        draw_image(first, image)
        first.set_title("Image")
    for title, value in panels.items():
        visualize_attributions(
            attributions_of(value), image, ax=axes.pop(0), title=title, colorbar=False, **style
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
