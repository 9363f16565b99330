"""Attribution maps beyond the tutorial's mask: four modes, grids of maps, averaged results.

Taught in ``notebooks/07_baselines.py`` (grids, the spread across baselines) and
``notebooks/09_toolkit.py`` (modes). The pixel map and its clipping at a percentile come from
:mod:`ig_tutorial.ig.pixel_maps`; this module adds the sign modes and the drawing.
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

from ig_tutorial.checks import one_of
from ig_tutorial.ig.pixel_maps import clip_limit, pixel_map
from ig_tutorial.plotting.tutorial_figures import axes_grid, draw_image, finish

if TYPE_CHECKING:
    from ig_tutorial.ig.ensembles import AveragedAttributions

#: Default colormap of each mode: diverging and centred at 0 for signed maps.
DEFAULT_COLORMAPS: dict[str, str] = {
    "absolute": "inferno",
    "signed": "RdBu_r",
    "positive": "Greens",
    "negative": "Reds",
}

#: How :func:`attribution_map` turns ``(height, width, 3)`` attributions into one value per pixel.
VISUALIZATION_MODES: tuple[str, ...] = tuple(DEFAULT_COLORMAPS)


@dataclass(frozen=True)
class AttributionMap:
    """One value per pixel, ``(height, width)``, clipped to ``[vmin, vmax]``, ready for imshow."""

    values: np.ndarray
    vmin: float
    vmax: float
    mode: str


def attribution_map(
    attributions: np.ndarray | tf.Tensor, mode: str = "absolute", clip_percentile: float = 99.0
) -> AttributionMap:
    """Reduce ``(height, width, channels)`` attributions to one clipped value per pixel.

    Parameters
    ----------
    mode : {"absolute", "signed", "positive", "negative"}, default "absolute"
        ``"absolute"``: ``sum_c |a|``, how much a pixel matters. ``"signed"``: ``sum_c a``, with
        limits symmetric around 0 (evidence for the class positive, against it negative).
        ``"positive"``, ``"negative"``: the magnitude of the evidence for, or against.
    clip_percentile : float, default 99.0
        Clip at this percentile of the magnitudes (of that sign's pixels only, for
        ``"positive"`` and ``"negative"``); 100 keeps the maximum. An all-zero map gets the
        limits ``[0, 1]`` (``[-1, 1]`` signed).
    """
    one_of(mode, VISUALIZATION_MODES, "mode")
    attributions = np.asarray(attributions, dtype=np.float64)
    values = pixel_map(attributions, absolute=mode == "absolute")
    magnitudes = np.abs(values)
    if mode in ("positive", "negative"):
        values = np.maximum(values if mode == "positive" else -values, 0.0)
        magnitudes = values[values > 0]
    # An all-zero map: any positive limit draws it as "nothing".
    limit = clip_limit(magnitudes, clip_percentile) or 1.0
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
    """Draw an attribution map in one of :data:`VISUALIZATION_MODES`, optionally over the image.

    Returns the figure of ``ax``, or a new one. Taught in ``notebooks/09_toolkit.py``.

    Parameters
    ----------
    mode, clip_percentile
        See :func:`attribution_map`.
    cmap : str, optional
        Default :data:`DEFAULT_COLORMAPS` of the mode (white at 0 for signed maps).
    overlay : bool, default False
        Draw the map with ``overlay_alpha`` opacity over the grey-scaled ``image``.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    title : str, optional
        Default the mode.
    """
    amap = attribution_map(attributions, mode=mode, clip_percentile=clip_percentile)
    if overlay and image is None:
        raise ValueError("overlay=True needs the image: pass image=... (values in [0, 1]).")
    fig, ax = plt.subplots(figsize=(5, 4.5)) if ax is None else (ax.figure, ax)
    if overlay:
        # Grey keeps the photo readable under a map whose colours carry the meaning.
        grey = np.clip(np.asarray(image), 0, 1).mean(axis=-1)
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
    return np.asarray(getattr(value, "attributions", value))


def _map_grid(count: int, ncols: int | None) -> tuple[Figure, list[Axes]]:
    """The grid of the figures of maps: ``count`` panels, at most 5 per row by default."""
    return axes_grid(count, ncols or min(count, 5), (3.6, 3.4))


def draw_maps(
    axes: list[Axes],
    panels: Mapping[str, Any],
    image: np.ndarray | tf.Tensor | None,
    show_image: bool = True,
    **style: Any,
) -> list[Axes]:
    """Draw the image (if given and ``show_image``), then one titled map per panel.

    ``style`` goes to :func:`visualize_attributions`. Returns the axes left unused.
    """
    axes = list(axes)
    if image is not None and show_image:
        draw_image(axes.pop(0), image, "Image")
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

    Each map is scaled on its own: the grid compares *where* attribution goes, not how much.
    Taught in ``notebooks/07_baselines.py``.

    Parameters
    ----------
    panels : mapping of str to array or result
        Title -> attributions ``(height, width, 3)``, or any result with ``.attributions``.
    image : array, optional
        Shown first when ``show_image``, and under every map with ``overlay=True``.
    mode, clip_percentile, cmap, overlay
        As for :func:`visualize_attributions`.
    ncols : int, optional
        Default one row of at most 5.
    """
    if len(panels) == 0:
        raise ValueError("panels is empty; give at least one title -> attributions pair.")
    fig, axes = _map_grid(len(panels) + (image is not None and show_image), ncols)
    style = {"mode": mode, "clip_percentile": clip_percentile, "cmap": cmap, "overlay": overlay}
    draw_maps(axes, panels, image, show_image, **style)
    return finish(fig)


def plot_averaged_attributions(
    averaged: AveragedAttributions,
    image: np.ndarray | tf.Tensor | None = None,
    *,
    mode: str = "absolute",
    clip_percentile: float = 99.0,
    max_members: int = 4,
    ncols: int | None = None,
) -> Figure:
    """The first ``max_members`` members, their mean, and the spread across all members.

    For :func:`ig_tutorial.integrated_gradients_over_baselines` and
    :func:`ig_tutorial.smoothgrad_integrated_gradients`. The last panel, the per-pixel standard
    deviation (own colour bar), shows where the attribution depends on the baseline or the
    noise. Taught in ``notebooks/07_baselines.py``.
    """
    count = len(averaged.members)
    members = zip(averaged.member_names, averaged.members, strict=True)
    panels: dict[str, Any] = dict(list(members)[:max_members])
    panels[f"mean of {count}"] = averaged.attributions
    fig, axes = _map_grid(len(panels) + 1 + (image is not None), ncols)
    spread_ax = draw_maps(axes, panels, image, mode=mode, clip_percentile=clip_percentile)[0]
    visualize_attributions(
        averaged.standard_deviation,
        clip_percentile=clip_percentile,
        cmap="viridis",
        ax=spread_ax,
        title=f"std across {count}",
    )
    return finish(fig)
