"""Baselines ``x'``: the "absence of signal" that Integrated Gradients starts its path from.

Taught in ``notebooks/02_baseline.py`` and compared in ``notebooks/07_baselines.py``. The paper
(Sundararajan et al., 2017, arXiv:1703.01365, section 3) asks for a baseline whose prediction is
near zero; for images the black image is the usual choice. Every baseline has a blind spot: the
attribution of pixel ``i`` carries the factor ``(x_i - x'_i)``, so pixels equal to the baseline
get none however important they are (Sturmfels, Lundberg & Lee, 2020, "Visualizing the Impact
of Feature Attribution Baselines", Distill). Each function takes the image (its shape, and for
some its content) and returns a ``float32`` tensor of that shape in ``[0, 1]``; the random ones
are reproducible from a ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_per_input, same_shape, stacked


def black_baseline(image: tf.Tensor) -> tf.Tensor:
    """All zeros: the paper's and the tutorial's baseline."""
    return tf.zeros_like(tf.convert_to_tensor(image, tf.float32))


def white_baseline(image: tf.Tensor) -> tf.Tensor:
    """All ones: blind to white pixels instead of black ones."""
    return tf.ones_like(tf.convert_to_tensor(image, tf.float32))


def uniform_noise_baseline(image: tf.Tensor, seed: int = 0) -> tf.Tensor:
    """Independent uniform noise in ``[0, 1]`` per pixel and channel."""
    shape = tf.convert_to_tensor(image).shape
    return tf.random.stateless_uniform(shape, seed=(seed, 0), dtype=tf.float32)


def gaussian_noise_baseline(image: tf.Tensor, stddev: float = 0.2, seed: int = 0) -> tf.Tensor:
    """The image plus Gaussian noise of ``stddev`` (in the ``[0, 1]`` range), clipped."""
    image = tf.convert_to_tensor(image, tf.float32)
    noise = tf.random.stateless_normal(image.shape, seed=(seed, 1), stddev=stddev)
    return tf.clip_by_value(image + noise, 0.0, 1.0)


def blurred_baseline(image: tf.Tensor, sigma: float = 10.0) -> tf.Tensor:
    """The image under a Gaussian blur of ``sigma`` pixels: removes detail, keeps colours."""
    from scipy.ndimage import gaussian_filter

    array = np.asarray(image, dtype=np.float32)
    blurred = gaussian_filter(array, sigma=(sigma, sigma, 0), mode="nearest")
    return tf.convert_to_tensor(blurred, tf.float32)


def maximum_distance_baseline(image: tf.Tensor) -> tf.Tensor:
    """Per value, the farthest end of ``[0, 1]``: 1 where ``x < 0.5``, else 0.

    The baseline at the largest L1 distance from the image (Sturmfels et al., 2020): no pixel
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
    """The baseline called ``name`` (one of :data:`BASELINES`) for ``image``.

    Taught in ``notebooks/02_baseline.py``. ``seed`` draws the random ones.

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


def baselines_for(
    baseline: str | np.ndarray | tf.Tensor | Sequence | None,
    inputs: np.ndarray,
    name: str = "images",
) -> np.ndarray:
    """One baseline per input, ``(n, ...)`` like ``inputs``: the one place that broadcasts them.

    ``baseline`` is ``None`` (zeros: black), a name of :data:`BASELINES` (made for each input),
    one baseline for all inputs, or one per input (an array ``(n, ...)``, or a sequence whose
    ``None`` items are zeros). The dtype is kept (token ids stay integers); ``name`` is how
    messages call the inputs.

    Raises
    ------
    ValueError
        If a baseline's shape differs from an input's (naming both), or there are not as many
        baselines as inputs.
    """
    if baseline is None:
        return np.zeros_like(inputs)
    if isinstance(baseline, str):
        return np.stack([make_baseline(baseline, each).numpy() for each in inputs])
    if isinstance(baseline, (list, tuple)):
        baseline = [np.zeros_like(inputs[0]) if b is None else b for b in baseline]
        baseline = stacked(baseline, "baselines") if baseline else np.zeros((0, *inputs.shape[1:]))
    baseline = np.asarray(baseline)
    if baseline.ndim == inputs.ndim:  # one per input
        one_per_input(
            list(baseline), len(inputs), "baselines", single=(), hint="baseline", inputs=name
        )
        same_shape(baseline[0], inputs[0])
        return baseline
    same_shape(baseline, inputs[0])
    return np.broadcast_to(baseline, inputs.shape)
