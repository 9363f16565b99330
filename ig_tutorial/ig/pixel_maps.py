"""One value per pixel: the attribution map ``sum_c |a|``, and where it is clipped.

Attributions of an image have the image's shape ``(height, width, channels)``. To draw, compare
or check them they are reduced to one value per pixel: the sum over the colour channels of the
absolute values (how much a pixel matters: the TensorFlow tutorial's "attribution mask"), or of
the signed values (also which way it pushes the score). A few very large values would leave the
rest of such a map almost black, so maps are clipped at a percentile of their values, the 99th
by default, as in the figures of the IG paper and of SmoothGrad (Smilkov et al., 2017,
arXiv:1706.03825).

This module owns both rules. The figures (:mod:`ig_tutorial.plotting.tutorial_figures`,
:mod:`ig_tutorial.plotting.attribution_maps`), the map comparisons of the sanity checks
(:mod:`ig_tutorial.ig.map_metrics`) and the exercises' self-checks
(:mod:`ig_tutorial.course.self_checks`) import them, so a map means the same everywhere.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import percentile


def pixel_map(attributions: np.ndarray | tf.Tensor, *, absolute: bool = True) -> np.ndarray:
    """Sum attributions over the channels: one value per pixel.

    Parameters
    ----------
    attributions : array
        Shape ``(height, width, channels)``.
    absolute : bool, default True
        Sum the absolute values, ``sum_c |a|`` (True), or the signed ones, ``sum_c a`` (False).

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width)``, in the attributions' own dtype (pass float64 attributions
        for float64 sums); non-negative when ``absolute``.

    Raises
    ------
    ValueError
        If the attributions are not ``(height, width, channels)``.
    """
    values = np.asarray(attributions)
    if values.ndim != 3:
        raise ValueError(
            f"attributions must have shape (height, width, channels), got {values.shape}."
        )
    return np.sum(np.abs(values), axis=-1) if absolute else np.sum(values, axis=-1)


def clip_limit(values: np.ndarray, clip_percentile: float = 99.0) -> float:
    """The value a map is clipped at: the ``clip_percentile``-th percentile of its values.

    What a caller does with a limit of 0 (a map that is mostly zero) is its own choice: a figure
    draws it with any positive limit, a comparison may scale by the maximum instead.

    Parameters
    ----------
    values : array
        The map's values, e.g. :func:`pixel_map`'s, or a subset of them.
    clip_percentile : float, default 99.0
        In ``(0, 100]``; 100 is the maximum.

    Returns
    -------
    float
        ``0.0`` when there are no values.

    Raises
    ------
    ValueError
        If ``clip_percentile`` is not in ``(0, 100]``.
    """
    percentile(clip_percentile)
    values = np.asarray(values)
    return float(np.percentile(values, clip_percentile)) if values.size else 0.0
