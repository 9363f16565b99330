"""The TensorFlow tutorial's figures, and the few helpers every figure of the package shares.

Each function returns a new :class:`matplotlib.figure.Figure`, for a notebook to show or a script
to save. Taught in ``notebooks/01_setup_and_classification.py`` (photos),
``notebooks/03_interpolation.py`` (strip), ``notebooks/04_gradients_and_saturation.py``
(saturation) and ``notebooks/06_visualization.py`` (mask and overlay).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ig_tutorial.ig.pixel_maps import clip_limit, pixel_map


def draw_image(ax: Axes, image: tf.Tensor | np.ndarray, title: str | None = None) -> None:
    """Draw an image with values in ``[0, 1]``: RGB in colour, ``(height, width, 1)`` in grey."""
    picture = np.clip(np.asarray(image), 0, 1)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        ax.imshow(picture[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(picture)
    if title is not None:
        ax.set_title(title)


def axes_grid(count: int, ncols: int, panel_size: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    """A figure of ``count`` panels, ``ncols`` per row, each ``panel_size`` inches, axes off."""
    nrows = int(np.ceil(count / ncols))
    width, height = panel_size
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, list(axes.flat)


def finish(fig: Figure, title: str | None = None) -> Figure:
    """Give the figure its title, if any, and lay it out: how every figure here ends."""
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_images(images: dict[str, tf.Tensor | np.ndarray], ncols: int | None = None) -> Figure:
    """Show named images (title -> image, values in ``[0, 1]``) side by side; default one row."""
    fig, axes = axes_grid(len(images), ncols or len(images), (4, 4))
    for ax, (title, image) in zip(axes, images.items(), strict=False):
        draw_image(ax, image, title)
    return finish(fig)


def plot_interpolation_strip(
    interpolated: tf.Tensor | np.ndarray, alphas: Sequence[float] | np.ndarray
) -> Figure:
    """Show the images along the path, ``(n, height, width, 3)``, each titled with its alpha."""
    fig, axes = axes_grid(len(interpolated), len(interpolated), (2.2, 2.6))
    for ax, image, alpha in zip(axes, np.asarray(interpolated), np.asarray(alphas), strict=True):
        draw_image(ax, image, f"alpha: {alpha:.1f}")
    return finish(fig)


def plot_saturation(
    alphas: np.ndarray | tf.Tensor,
    path_scores: np.ndarray | tf.Tensor,
    path_gradients: np.ndarray | tf.Tensor,
    score_name: str = "Target class probability",
) -> Figure:
    """The tutorial's saturation panels: the score and the average gradient along the path.

    Left: the score saturates well before ``alpha = 1``. Right: the average absolute gradient,
    scaled to ``[0, 1]``, collapses where it does. ``path_scores`` has shape ``(n,)``,
    ``path_gradients`` ``(n, height, width, 3)``.
    """
    alphas, gradients = np.asarray(alphas), np.asarray(path_gradients)
    average = np.mean(np.abs(gradients), axis=tuple(range(1, gradients.ndim)))
    span = average.max() - average.min()
    normalized = (average - average.min()) / span if span > 0 else np.zeros_like(average)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(alphas, np.asarray(path_scores))
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
    return finish(fig)


def plot_toy_saturation(threshold: float = 0.8) -> Figure:
    """The tutorial's toy ``f(x) = min(x, threshold)`` and its gradient, 0 past ``threshold``.

    A plain gradient says ``x`` does not matter there, although ``f`` grew by ``threshold`` from
    ``x = 0``; Integrated Gradients credits exactly that amount.
    """
    x = np.linspace(0.0, 1.0, 201)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(x, np.minimum(x, threshold))
    left.axvspan(threshold, 1.0, color="tab:red", alpha=0.15, label="saturated: gradient 0")
    left.set(title=f"f(x) = min(x, {threshold})", xlabel="x (model input)", ylabel="f(x)")
    left.legend(loc="lower right")
    right.plot(x, (x < threshold).astype(float))
    right.axvspan(threshold, 1.0, color="tab:red", alpha=0.15)
    right.set(title="df/dx", xlabel="x (model input)", ylabel="gradient", ylim=(-0.05, 1.1))
    return finish(fig)


def attribution_mask(attributions: np.ndarray | tf.Tensor) -> np.ndarray:
    """The tutorial's attribution mask: ``sum_c |a|``, one value per pixel (see ``pixel_map``)."""
    return pixel_map(attributions)


def plot_img_attributions(
    image: tf.Tensor | np.ndarray,
    baseline: tf.Tensor | np.ndarray,
    attributions: tf.Tensor | np.ndarray,
    cmap: str = "inferno",
    overlay_alpha: float = 0.4,
    title: str | None = None,
    clip_percentile: float | None = None,
) -> Figure:
    """The tutorial's 2x2 figure: baseline, image, attribution mask, and mask over the image.

    By default the mask is scaled to its largest value, as the tutorial draws it; a few bright
    pixels then leave the rest almost black. ``clip_percentile=99`` clips it at that percentile
    first (as :func:`ig_tutorial.visualize_attributions` does), so the structure shows.

    Parameters
    ----------
    image, baseline, attributions : tensor or array
        Shape ``(height, width, 3)``, or ``(height, width, 1)`` drawn in grey; images in
        ``[0, 1]``.
    overlay_alpha : float, default 0.4
        Opacity of the mask over the image.
    title : str, optional
        Figure title, e.g. the class name.
    clip_percentile : float, optional
        In ``(0, 100]``; default no clipping.
    """
    mask = attribution_mask(attributions)
    if clip_percentile is not None:
        mask = np.minimum(mask, clip_limit(mask, clip_percentile))
    fig, (baseline_ax, image_ax, mask_ax, overlay_ax) = axes_grid(4, 2, (4, 4))
    draw_image(baseline_ax, baseline, "Baseline image")
    draw_image(image_ax, image, "Original image")
    mask_ax.imshow(mask, cmap=cmap)
    mask_ax.set_title("Attribution mask")
    draw_image(overlay_ax, image, "Overlay")
    overlay_ax.imshow(mask, cmap=cmap, alpha=overlay_alpha)
    return finish(fig, title)
