"""One value per pixel: the attribution map ``sum_c |a|``, and where it is clipped.

Attributions of an image have its shape ``(height, width, channels)``. To draw, compare or check
them they become one value per pixel: the channel sum of the absolute values (how much a pixel
matters: the TensorFlow tutorial's "attribution mask") or of the signed values (also which way it
pushes). A few very large values would leave the rest of such a map black, so maps are clipped
at a percentile, the 99th by default, as in the figures of the IG paper and of SmoothGrad
(Smilkov et al., 2017, arXiv:1706.03825). The figures, the map comparisons and the self-checks
import both rules from here, so a map means the same everywhere.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import percentile


def pixel_map(attributions: np.ndarray | tf.Tensor, *, absolute: bool = True) -> np.ndarray:
    """One value per pixel: ``sum_c |a|`` (``absolute``) or ``sum_c a`` of attributions.

    ``attributions`` is ``(height, width, channels)``; the sums keep its dtype (pass float64
    attributions for float64 sums).

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
    """The value a map is clipped at: the ``clip_percentile``-th percentile (in ``(0, 100]``).

    ``0.0`` for no values. What to do with a limit of 0 (a mostly zero map) is the caller's
    choice: a figure draws it with any positive limit, a comparison may scale by the maximum.

    Raises
    ------
    ValueError
        If ``clip_percentile`` is not in ``(0, 100]``.
    """
    percentile(clip_percentile)
    values = np.asarray(values)
    return float(np.percentile(values, clip_percentile)) if values.size else 0.0
