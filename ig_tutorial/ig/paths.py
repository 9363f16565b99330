r"""The paths Integrated Gradients integrates along: the straight line, and the blur path.

Integrated Gradients (Sundararajan et al., 2017, arXiv:1703.01365, eq. 1) walks the straight line
from a baseline ``x'`` to the input ``x``: the images :math:`x' + \alpha (x - x')` for
:math:`\alpha` in ``[0, 1]`` (:func:`interpolate_images`, taught in
``notebooks/03_interpolation.py``). Any other path with the same ends gives another *path method*
(section 4 of the paper); Blur IG (Xu et al., 2020, arXiv:2004.03383) starts at the input under a
very wide Gaussian blur and removes the blur step by step (:func:`blur_path`, taught in
``notebooks/09_toolkit.py``), so every point on it is a coarser version of the input and no
baseline's own features enter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_of, positive_integer, positive_number
from ig_tutorial.ig.baselines import blurred_baseline

#: How the sigmas of :func:`blur_path` are spaced: ``max_sigma * u ** power`` for ``u`` evenly
#: spaced from 1 to 0. ``"linear"`` is the spacing of the paper's code; ``"quadratic"`` puts more
#: points at small sigma, where fine detail appears and the score changes fastest.
BLUR_SPACINGS: dict[str, float] = {"linear": 1.0, "quadratic": 2.0}


def interpolate_images(baseline: tf.Tensor, image: tf.Tensor, alphas: tf.Tensor) -> tf.Tensor:
    """Points on the straight line from ``baseline`` to ``image``: ``x' + alpha (x - x')``.

    Taught in ``notebooks/03_interpolation.py``.

    Parameters
    ----------
    baseline, image : tf.Tensor
        Shape ``(height, width, channels)`` (or ``(n_features,)``, any shape both share).
    alphas : tf.Tensor
        Shape ``(n,)``, interpolation constants, usually in ``[0, 1]``.

    Returns
    -------
    tf.Tensor
        Shape ``(n, height, width, channels)``.
    """
    baseline = tf.convert_to_tensor(baseline, tf.float32)
    image = tf.convert_to_tensor(image, tf.float32)
    # One alpha per point, broadcast over the input's axes: (n, 1, 1, 1) for an image.
    alphas = tf.reshape(tf.convert_to_tensor(alphas, tf.float32), [-1] + [1] * baseline.shape.rank)
    return baseline[tf.newaxis] + alphas * (image - baseline)[tf.newaxis]


@dataclass(frozen=True)
class StraightLines:
    """Points ``x'_r + alpha (x_r - x'_r)`` on the straight lines of one or more inputs.

    A sequence of inputs for :func:`ig_tutorial.ig.gradients.gradients_in_batches`: point ``k``
    lies on the line of input ``rows[k]`` at ``alphas[k]``, and slicing interpolates only the
    sliced points, so memory holds one batch of points however many there are. One batch may
    hold the points of several inputs: that is how many small inputs share a model call.

    Attributes
    ----------
    baselines, images : tf.Tensor or numpy.ndarray
        The lines' ends ``x'`` (alpha 0) and ``x`` (alpha 1), shape ``(n, ...)``. A batch of
        one input's points is interpolated by TensorFlow; the points of several inputs by
        numpy, with the same float32 arithmetic (so give arrays for several inputs: a tensor
        would be copied to numpy at every batch).
    rows : numpy.ndarray
        Shape ``(p,)``: the input each point belongs to.
    alphas : numpy.ndarray
        Shape ``(p,)``: where on its line each point lies.
    """

    baselines: tf.Tensor | np.ndarray
    images: tf.Tensor | np.ndarray
    rows: np.ndarray
    alphas: np.ndarray

    def __len__(self) -> int:
        return len(self.alphas)

    def __getitem__(self, batch: slice) -> tf.Tensor | np.ndarray:
        rows = self.rows[batch]
        if rows.size and rows[0] == rows[-1]:
            # All of one input (always so for one input): the plain interpolation.
            row = int(rows[0])
            return interpolate_images(self.baselines[row], self.images[row], self.alphas[batch])
        # Points of several inputs: interpolated by numpy, no eager op per batch.
        baselines, images = np.asarray(self.baselines), np.asarray(self.images)
        starts, ends = baselines[rows], images[rows]
        alphas = self.alphas[batch].astype(np.float32).reshape((-1,) + (1,) * (starts.ndim - 1))
        return starts + alphas * (ends - starts)


def straight_line(baseline: tf.Tensor, image: tf.Tensor, alphas: np.ndarray) -> StraightLines:
    """The points ``x' + alpha (x - x')`` at ``alphas`` of one input's line, a batch at a time."""
    return StraightLines(
        tf.convert_to_tensor(baseline, tf.float32)[tf.newaxis],
        tf.convert_to_tensor(image, tf.float32)[tf.newaxis],
        np.zeros(len(alphas), np.int64),
        np.asarray(alphas),
    )


def blur_path(
    image: tf.Tensor | np.ndarray,
    max_sigma: float = 50.0,
    steps: int = 128,
    spacing: str = "quadratic",
) -> tuple[np.ndarray, np.ndarray]:
    """The Blur IG path: the image under Gaussian blurs of sigma ``max_sigma`` down to 0.

    Parameters
    ----------
    image : tensor or array
        Shape ``(height, width, 3)``.
    max_sigma : float, default 50.0
        Blur of the first path image, in pixels (the default of the paper's code, for 224-pixel
        images: the first image is nearly one colour).
    steps : int, default 128
        Intervals of the path.
    spacing : {"quadratic", "linear"}, default "quadratic"
        How the sigmas are spaced, see :data:`BLUR_SPACINGS`.

    Returns
    -------
    images : numpy.ndarray
        Shape ``(steps + 1, height, width, 3)``, from most blurred to the image itself.
    sigmas : numpy.ndarray
        Shape ``(steps + 1,)``, descending from ``max_sigma`` to 0.

    Raises
    ------
    ValueError
        If ``max_sigma`` is not positive, ``steps`` is not a positive integer, or ``spacing``
        is unknown.
    """
    max_sigma = positive_number(max_sigma, "max_sigma", "a blur width in pixels")
    steps = positive_integer(steps, "steps")
    one_of(spacing, BLUR_SPACINGS, "spacing")
    sigmas = max_sigma * np.linspace(1.0, 0.0, steps + 1) ** BLUR_SPACINGS[spacing]
    image = np.asarray(image, dtype=np.float32)
    # sigma 0 is the image itself, bit for bit, so the path ends exactly at the input.
    images = [blurred_baseline(image, sigma).numpy() if sigma > 0 else image for sigma in sigmas]
    return np.stack(images), sigmas
