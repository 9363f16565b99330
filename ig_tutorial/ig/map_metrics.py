"""How alike two attribution maps are: the rank correlation and the structural similarity.

Taught in ``notebooks/11_sanity_checks.py``. The model randomisation test
(:mod:`ig_tutorial.ig.sanity_checks`) compares each map with the trained model's by both, as
Adebayo et al. (2018, arXiv:1810.03292) do.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ig_tutorial.ig.pixel_maps import clip_limit, pixel_map


def _pixel_value_pair(
    first: np.ndarray | tf.Tensor, second: np.ndarray | tf.Tensor, absolute: bool
) -> tuple[np.ndarray, np.ndarray]:
    a = pixel_map(np.asarray(first, np.float64), absolute=absolute)
    b = pixel_map(np.asarray(second, np.float64), absolute=absolute)
    if a.shape != b.shape:
        raise ValueError(f"the maps' shapes differ: {a.shape} and {b.shape}.")
    return a, b


def rank_correlation(
    first: np.ndarray | tf.Tensor,
    second: np.ndarray | tf.Tensor,
    *,
    absolute: bool = True,
    mask: np.ndarray | tf.Tensor | None = None,
) -> float:
    """Spearman rank correlation of two attribution maps, pixel by pixel: 1 the same order.

    Each ``(height, width, channels)`` map becomes :func:`~ig_tutorial.ig.pixel_maps.pixel_map`
    (absolute: how much a pixel matters, or signed). Insensitive to the maps' scale, so a
    randomised model's much smaller or larger gradients compare fairly. ``mask``, bool
    ``(height, width)``, compares only its pixels, e.g. the photo without the black padding of
    :func:`ig_tutorial.read_image` (pixels equal to a black baseline get no IG from any model).

    Raises
    ------
    ValueError
        If the shapes differ or are not ``(height, width, channels)``, the mask's shape is not
        ``(height, width)`` or it selects fewer than 2 pixels, or a map is constant on the
        compared pixels (it ranks no pixel above another, so the correlation is undefined).
    """
    from scipy.stats import spearmanr

    a, b = _pixel_value_pair(first, second, absolute)
    if mask is not None:
        selected = np.asarray(mask)
        if selected.shape != a.shape or selected.dtype != bool:
            raise ValueError(
                f"mask must be a boolean array of shape {a.shape} (height, width), got "
                f"{selected.dtype} of shape {selected.shape}."
            )
        if selected.sum() < 2:
            raise ValueError(f"mask selects {int(selected.sum())} pixel(s); at least 2 are needed.")
        a, b = a[selected], b[selected]
    for name, values in (("first", a), ("second", b)):
        if np.ptp(values) == 0:
            raise ValueError(
                f"the {name} map is constant ({values.flat[0]!r} everywhere): it ranks no pixel "
                "above another, so its rank correlation is undefined."
            )
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def _unit_map(values: np.ndarray, clip_percentile: float = 99.0) -> np.ndarray:
    limit = clip_limit(values, clip_percentile)
    if limit == 0.0:
        limit = float(values.max()) or 1.0
    return np.clip(values / limit, 0.0, 1.0)


def map_similarity(first: np.ndarray | tf.Tensor, second: np.ndarray | tf.Tensor) -> float:
    """Structural similarity (SSIM; Wang et al., 2004) of two absolute maps: 1 the same picture.

    Each map is ``sum_c |a|``, scaled to ``[0, 1]`` by its 99th percentile (clipped above, as the
    figures are drawn), then compared with :func:`skimage.metrics.structural_similarity`. Unlike
    :func:`rank_correlation` it looks at local structure (edges, blobs).

    Raises
    ------
    ValueError
        If the shapes differ or are not ``(height, width, channels)``.
    """
    from skimage.metrics import structural_similarity

    a, b = _pixel_value_pair(first, second, absolute=True)
    return float(structural_similarity(_unit_map(a), _unit_map(b), data_range=1.0))
