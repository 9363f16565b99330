"""The TensorFlow tutorial's figures: photos, the interpolation strip, saturation, the 2x2 overlay.

Each function draws on a new :class:`matplotlib.figure.Figure` and returns it, so notebooks can
display it and scripts can save it (``fig.savefig(...)``). Taught in
``notebooks/01_setup_and_classification.py`` (photos), ``notebooks/03_interpolation.py``
(strip), ``notebooks/04_gradients_and_saturation.py`` (saturation) and
``notebooks/06_visualization.py`` (the attribution mask and overlay).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ig_tutorial.ig.pixel_maps import clip_limit, pixel_map


def to_numpy(value: tf.Tensor | np.ndarray) -> np.ndarray:
    """A tensor or array as a numpy array, for matplotlib."""
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def draw_image(ax: Axes, image: tf.Tensor | np.ndarray) -> None:
    """Draw an image with values in ``[0, 1]``: RGB in colour, one channel in grey.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    image : tensor or array
        Shape ``(height, width, 3)``, or ``(height, width, 1)`` for a grayscale image (such as
        the digits of ``notebooks/10_your_own_model.py``).
    """
    picture = np.clip(to_numpy(image), 0, 1)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        ax.imshow(picture[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(picture)


def plot_images(images: dict[str, tf.Tensor | np.ndarray], ncols: int | None = None) -> Figure:
    """Show named images side by side.

    Parameters
    ----------
    images : dict of str to image
        Title -> image ``(height, width, 3)`` (or ``(height, width, 1)``, grey) with values in
        ``[0, 1]``.
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
        draw_image(ax, image)
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
    interpolated = to_numpy(interpolated)
    n = len(interpolated)
    fig, axes = plt.subplots(1, n, figsize=(2.2 * n, 2.6), squeeze=False)
    for ax, image, alpha in zip(axes[0], interpolated, np.asarray(alphas), strict=True):
        draw_image(ax, image)
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
    alphas = to_numpy(alphas)
    gradients = to_numpy(path_gradients)
    average = np.mean(np.abs(gradients), axis=tuple(range(1, gradients.ndim)))
    span = average.max() - average.min()
    normalized = (average - average.min()) / span if span > 0 else np.zeros_like(average)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(alphas, to_numpy(path_scores))
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

    Raises
    ------
    ValueError
        If the attributions are not ``(height, width, channels)``.
    """
    return pixel_map(to_numpy(attributions))


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

    By default the mask is drawn as the tutorial draws it, scaled to its largest value; a few
    very bright pixels then leave the rest of it almost black. ``clip_percentile=99`` clips the
    mask at that percentile first (as :func:`ig_tutorial.visualize_attributions` does, taught in
    ``notebooks/09_toolkit.py``), so the structure underneath becomes visible.

    Parameters
    ----------
    image, baseline : tensor or array
        Shape ``(height, width, 3)`` (or ``(height, width, 1)``, drawn in grey), values in
        ``[0, 1]``.
    attributions : tensor or array
        Integrated Gradients of ``image``, same shape.
    cmap : str, default "inferno"
        Colormap of the mask.
    overlay_alpha : float, default 0.4
        Opacity of the mask over the image.
    title : str, optional
        Figure title, e.g. the class name.
    clip_percentile : float, optional
        Clip the mask at this percentile of its values, in ``(0, 100]``; default no clipping.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``clip_percentile`` is not in ``(0, 100]``.
    """
    mask = attribution_mask(attributions)
    if clip_percentile is not None:
        mask = np.minimum(mask, clip_limit(mask, clip_percentile))
    fig, axes = plt.subplots(2, 2, figsize=(8, 8))
    draw_image(axes[0, 0], baseline)
    axes[0, 0].set_title("Baseline image")
    draw_image(axes[0, 1], image)
    axes[0, 1].set_title("Original image")
    axes[1, 0].imshow(np.clip(mask, 0, None), cmap=cmap)
    axes[1, 0].set_title("Attribution mask")
    draw_image(axes[1, 1], image)
    axes[1, 1].imshow(mask, cmap=cmap, alpha=overlay_alpha)
    axes[1, 1].set_title("Overlay")
    for ax in axes.flat:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
