"""Baselines ``x'``: the "absence of signal" that Integrated Gradients starts its path from.

Taught in ``notebooks/02_baseline.py`` and compared in ``notebooks/07_baselines.py``. The paper
(Sundararajan et al., 2017, arXiv:1703.01365, section 3) asks for a baseline whose prediction is
near zero; for images the black image is the usual choice. Every baseline has a blind spot: the
attribution of pixel ``i`` carries the factor ``(x_i - x'_i)``, so pixels equal to the baseline get
zero attribution however important they are (a black baseline cannot credit black pixels).
Alternatives trade that blind spot for others (Sturmfels, Lundberg & Lee, 2020, "Visualizing
the Impact of Feature Attribution Baselines", Distill).

Every function takes the image (for its shape, and for the image-dependent baselines) and returns
a ``float32`` tensor of the same shape with values in ``[0, 1]``. Random baselines take a ``seed``
and are reproducible.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf


def black_baseline(image: tf.Tensor) -> tf.Tensor:
    """All zeros: the paper's and the tutorial's baseline."""
    return tf.zeros_like(tf.convert_to_tensor(image, tf.float32))


def white_baseline(image: tf.Tensor) -> tf.Tensor:
    """All ones: blind to white pixels instead of black ones."""
    return tf.ones_like(tf.convert_to_tensor(image, tf.float32))


def uniform_noise_baseline(image: tf.Tensor, seed: int = 0) -> tf.Tensor:
    """Independent uniform noise in ``[0, 1]`` per pixel and channel.

    Parameters
    ----------
    image : tf.Tensor
        Gives the shape.
    seed : int, default 0
        Makes the noise reproducible.
    """
    shape = tf.convert_to_tensor(image).shape
    return tf.random.stateless_uniform(shape, seed=(seed, 0), dtype=tf.float32)


def gaussian_noise_baseline(image: tf.Tensor, stddev: float = 0.2, seed: int = 0) -> tf.Tensor:
    """The image plus Gaussian noise, clipped to ``[0, 1]``.

    Parameters
    ----------
    image : tf.Tensor
        The input image.
    stddev : float, default 0.2
        Standard deviation of the noise, in units of the ``[0, 1]`` pixel range.
    seed : int, default 0
        Makes the noise reproducible.
    """
    image = tf.convert_to_tensor(image, tf.float32)
    noise = tf.random.stateless_normal(image.shape, seed=(seed, 1), stddev=stddev)
    return tf.clip_by_value(image + noise, 0.0, 1.0)


def blurred_baseline(image: tf.Tensor, sigma: float = 10.0) -> tf.Tensor:
    """The image under a Gaussian blur: removes detail, keeps colours.

    Parameters
    ----------
    image : tf.Tensor
        The input image, ``(height, width, channels)``.
    sigma : float, default 10.0
        Blur width in pixels.
    """
    from scipy.ndimage import gaussian_filter

    array = np.asarray(image, dtype=np.float32)
    blurred = gaussian_filter(array, sigma=(sigma, sigma, 0), mode="nearest")
    return tf.convert_to_tensor(blurred, tf.float32)


def maximum_distance_baseline(image: tf.Tensor) -> tf.Tensor:
    """Per value, the farthest end of ``[0, 1]``: 1 where ``x < 0.5``, else 0.

    The baseline at the largest L1 distance from the image (Sturmfels et al., 2020); no pixel
    equals its baseline, but the baseline encodes the image's own edges.
    """
    image = tf.convert_to_tensor(image, tf.float32)
    return tf.where(image < 0.5, 1.0, 0.0)


#: Baselines that need nothing but the image (and maybe a seed), by name.
BASELINES: dict[str, Callable[..., tf.Tensor]] = {
    "black": black_baseline,
    "white": white_baseline,
    "uniform": uniform_noise_baseline,
    "gaussian": gaussian_noise_baseline,
    "blur": blurred_baseline,
    "maximum_distance": maximum_distance_baseline,
}

#: The names of :data:`BASELINES` drawn at random: they take a ``seed``.
SEEDED_BASELINES: frozenset[str] = frozenset({"uniform", "gaussian"})


def make_baseline(name: str, image: tf.Tensor, seed: int = 0) -> tf.Tensor:
    """Build a named baseline for ``image``.

    Parameters
    ----------
    name : str
        One of :data:`BASELINES`.
    image : tf.Tensor
        The input image.
    seed : int, default 0
        Seed of the random baselines (``"uniform"``, ``"gaussian"``).

    Returns
    -------
    tf.Tensor
        Same shape as ``image``.

    Raises
    ------
    ValueError
        If ``name`` is unknown; the message lists the known names.
    """
    if name not in BASELINES:
        raise ValueError(f"Unknown baseline {name!r}; choose one of {', '.join(BASELINES)}.")
    if name in SEEDED_BASELINES:
        return BASELINES[name](image, seed=seed)
    return BASELINES[name](image)


def baseline_for(
    baseline: str | tf.Tensor | np.ndarray | None, image: tf.Tensor, seed: int = 0
) -> tf.Tensor | np.ndarray | None:
    """The baseline an attribution was given: a name is built for ``image``, the rest passes.

    Parameters
    ----------
    baseline : str, tensor, array or None
        A name of :data:`BASELINES`, an image, or ``None`` (black, filled in by the caller).
    image : tf.Tensor
        The input, for the named baselines.
    seed : int, default 0
        Seed of the random baselines.

    Returns
    -------
    tensor, array or None
        ``baseline`` itself unless it is a name.

    Raises
    ------
    ValueError
        As :func:`make_baseline` for an unknown name.
    """
    if isinstance(baseline, str):
        return make_baseline(baseline, image, seed=seed)
    return baseline
