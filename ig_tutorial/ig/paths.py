r"""The paths Integrated Gradients integrates along: the straight line, and the blur path.

Integrated Gradients (Sundararajan et al., 2017, arXiv:1703.01365, eq. 1) walks the straight line
from a baseline ``x'`` to the input ``x``: the points :math:`x' + \alpha (x - x')` for
:math:`\alpha` in ``[0, 1]`` (:func:`interpolate_images`, taught in
``notebooks/03_interpolation.py``). Blur IG (Xu et al., 2020, arXiv:2004.03383) walks another
path with the same kind of ends: the input under a Gaussian blur that shrinks to nothing
(:func:`blur_path`, taught in ``notebooks/09_toolkit.py``).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_of, positive_integer, positive_number
from ig_tutorial.ig.baselines import blurred_baseline

#: How :func:`blur_path` spaces its sigmas: ``max_sigma * u ** power`` for ``u`` from 1 to 0.
#: ``"linear"`` is the paper's code; ``"quadratic"`` puts more points at small sigma, where
#: fine detail appears and the score changes fastest.
BLUR_SPACINGS: dict[str, float] = {"linear": 1.0, "quadratic": 2.0}


def interpolate_images(
    baseline: tf.Tensor, image: tf.Tensor, alphas: tf.Tensor, *, rows: tf.Tensor | None = None
) -> tf.Tensor:
    """Points on the straight line from ``baseline`` to ``image``: ``x' + alpha (x - x')``.

    Taught in ``notebooks/03_interpolation.py``. ``baseline`` and ``image`` are one input each,
    and the result holds one point per alpha, shape ``(len(alphas), *image.shape)``. With
    ``rows``, they hold the ends of several lines ``(n, ...)`` and point ``j`` lies on line
    ``rows[j]``: how the points of several inputs share one batch.
    """
    baseline = tf.convert_to_tensor(baseline, getattr(baseline, "dtype", tf.float32))
    image = tf.convert_to_tensor(image, baseline.dtype)
    if rows is None:  # one line, every point on it
        baseline, image = baseline[tf.newaxis], image[tf.newaxis]
    else:
        baseline, image = tf.gather(baseline, rows), tf.gather(image, rows)
    # One alpha per point, broadcast over the input's axes: (n, 1, 1, 1) for an image.
    alphas = tf.reshape(
        tf.convert_to_tensor(alphas, baseline.dtype), [-1] + [1] * (baseline.shape.rank - 1)
    )
    return baseline + alphas * (image - baseline)


def blur_path(
    image: tf.Tensor | np.ndarray,
    max_sigma: float = 50.0,
    steps: int = 128,
    spacing: str = "quadratic",
) -> tuple[np.ndarray, np.ndarray]:
    """The Blur IG path: the image under Gaussian blurs of sigma ``max_sigma`` down to 0.

    ``max_sigma`` (pixels) is the paper's default for 224-pixel images, where the first image
    is nearly one colour; ``steps`` is the number of intervals.

    Returns
    -------
    images : numpy.ndarray
        Shape ``(steps + 1, height, width, channels)``, from most blurred to the image itself.
    sigmas : numpy.ndarray
        Shape ``(steps + 1,)``, descending from ``max_sigma`` to 0.

    Raises
    ------
    ValueError
        If ``max_sigma`` is not positive, ``steps`` is not a positive integer, or ``spacing``
        is not one of :data:`BLUR_SPACINGS`.
    """
    max_sigma = positive_number(max_sigma, "max_sigma", "a blur width in pixels")
    steps = positive_integer(steps, "steps")
    one_of(spacing, BLUR_SPACINGS, "spacing")
    sigmas = max_sigma * np.linspace(1.0, 0.0, steps + 1) ** BLUR_SPACINGS[spacing]
    image = np.asarray(image, dtype=np.float32)
    # sigma 0 is the image itself, bit for bit, so the path ends exactly at the input.
    images = [blurred_baseline(image, sigma).numpy() if sigma > 0 else image for sigma in sigmas]
    return np.stack(images), sigmas
