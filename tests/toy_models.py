"""Small models whose Integrated Gradients are known, and which count their own calls."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


class CountingLinearModel(tf.Module):
    """``logits = flatten(x) @ W``: IG of a logit is exactly ``(x - x') * W[:, target]``.

    Counts model calls and images seen in variables, so the counts stay right inside a
    :func:`tf.function` (a Python counter would only count traces).
    """

    def __init__(self, height: int, width: int, num_classes: int, seed: int = 0) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.shape = (height, width, 3)
        self.weights = tf.constant(rng.normal(size=(height * width * 3, num_classes)), tf.float32)
        self.calls = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.images_seen = tf.Variable(0, dtype=tf.int64, trainable=False)

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        self.calls.assign_add(1)
        self.images_seen.assign_add(tf.cast(tf.shape(images)[0], tf.int64))
        flat = tf.reshape(images, (tf.shape(images)[0], -1))
        return flat @ self.weights

    def exact_logit_ig(self, image: tf.Tensor, baseline: tf.Tensor, target: int) -> np.ndarray:
        weights = self.weights[:, target].numpy().reshape(self.shape)
        return (np.asarray(image) - np.asarray(baseline)) * weights


class SaturatingModel(tf.Module):
    """The tutorial's toy ``f(x) = min(x, 0.8)`` on a one-pixel, one-channel-summed image.

    The logit is ``min(mean(x), 0.8)``; from ``x' = 0`` to ``x = 1`` its IG sums to exactly 0.8
    although the gradient at ``x`` is 0.
    """

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        value = tf.minimum(tf.reduce_mean(images, axis=[1, 2, 3]), 0.8)
        return tf.stack([value, tf.zeros_like(value)], axis=1)


class SmallConvNet(tf.Module):
    """A tiny random conv net with a softmax-able output: smooth, non-linear, saturating."""

    def __init__(self, num_classes: int = 4, seed: int = 0) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.kernel = tf.constant(rng.normal(scale=0.8, size=(3, 3, 3, 6)), tf.float32)
        self.dense = tf.constant(rng.normal(scale=1.5, size=(6, num_classes)), tf.float32)

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        hidden = tf.nn.softplus(tf.nn.conv2d(images, self.kernel, strides=1, padding="SAME"))
        return 3.0 * tf.reduce_mean(hidden, axis=[1, 2]) @ self.dense


class CallCounter(tf.Module):
    """Wraps any model and counts its calls and the images it saw, in variables (see above)."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model
        self.calls = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.images_seen = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.largest_call = tf.Variable(0, dtype=tf.int64, trainable=False)

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        self.calls.assign_add(1)
        seen = tf.cast(tf.shape(images)[0], tf.int64)
        self.images_seen.assign_add(seen)
        self.largest_call.assign(tf.maximum(self.largest_call, seen))
        return self.model(images)


class SigmoidModel(tf.Module):
    """A saturating score with known IG: ``F(x) = sigmoid(k (w . x - theta))``.

    The logits are ``[k (w . x - theta), 0]``, so the probability of class 0 is the sigmoid. From
    the black baseline the score rises from about 0 to about 1 in a narrow band of the path around
    ``alpha* = theta / (w . x)``, and is saturated on both sides. Along the path ``dF/dx_i =
    sigmoid'(s(alpha)) k w_i`` with ``s(alpha) = k (alpha S - theta)``, ``S = w . x``, so
    ``IG_i = x_i w_i (sigmoid(s(1)) - sigmoid(s(0))) / S`` exactly.
    """

    def __init__(self, image: np.ndarray, transition: float, sharpness: float, seed: int = 0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weights = rng.uniform(0.5, 1.5, size=np.size(image))
        total = float(self.weights @ np.ravel(image))
        self.theta = transition * total
        self.steepness = sharpness / total
        self._weights = tf.constant(self.weights, tf.float32)

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        flat = tf.reshape(images, (tf.shape(images)[0], -1))
        logit = self.steepness * (tf.linalg.matvec(flat, self._weights) - self.theta)
        return tf.stack([logit, tf.zeros_like(logit)], axis=1)

    def exact_ig(self, image: np.ndarray) -> np.ndarray:
        image = np.asarray(image, np.float64)
        total = float(self.weights @ image.ravel())

        def sigmoid(value):
            return 1.0 / (1.0 + np.exp(-value))

        rise = sigmoid(self.steepness * (total - self.theta)) - sigmoid(
            -self.steepness * self.theta
        )
        return image * self.weights.reshape(image.shape) * rise / total


class KinkModel(tf.Module):
    """A logit with a jump in its gradient: ``min(w . x, c)``, IG known exactly.

    From the black baseline the gradient is ``w`` until ``alpha* = c / (w . x)`` and 0 after, so
    ``IG_i = x_i w_i alpha*``. The trapezoid rule is exact on every sub-interval but the one
    that holds the kink.
    """

    def __init__(self, image: np.ndarray, kink: float, seed: int = 0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weights = rng.uniform(-1.0, 2.0, size=np.size(image))
        self.kink = kink
        self.cap = kink * float(self.weights @ np.ravel(image))
        self._weights = tf.constant(self.weights, tf.float32)

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        flat = tf.reshape(images, (tf.shape(images)[0], -1))
        logit = tf.minimum(tf.linalg.matvec(flat, self._weights), self.cap)
        return tf.stack([logit, tf.zeros_like(logit)], axis=1)

    def exact_ig(self, image: np.ndarray) -> np.ndarray:
        image = np.asarray(image, np.float64)
        return image * self.weights.reshape(image.shape) * self.kink


class RandomWalkIntegrand:
    """A synthetic path integrand that moves like a random walk, as a ReLU network's gradient does.

    Each of ``pixels`` gradient components is a random walk on ``2^levels`` steps of ``alpha``,
    interpolated linearly in between, with a step size that is ``spread`` times larger around
    ``alpha = 0.25`` than elsewhere. ``F`` is its exact integral along ``x - x' = 1``, so the exact
    IG of any sub-interval is known: the integrand ``m_steps="auto"`` was calibrated for.
    """

    def __init__(self, pixels: int = 64, levels: int = 14, spread: float = 8.0, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.grid = np.linspace(0.0, 1.0, 2**levels + 1)
        scale = 1.0 + (spread - 1.0) * np.exp(-(((self.grid[1:] - 0.25) / 0.08) ** 2))
        steps = rng.normal(size=(2**levels, pixels)) * scale[:, None] / np.sqrt(2**levels)
        self.values = np.vstack([np.ones((1, pixels)), 1.0 + np.cumsum(steps, axis=0)])
        # The exact integral from 0 to each grid node (trapezoids of the linear interpolant).
        widths = np.diff(self.grid)[:, None]
        pieces = widths * (self.values[:-1] + self.values[1:]) / 2.0
        self.cumulative = np.vstack([np.zeros((1, pixels)), np.cumsum(pieces, axis=0)])

    def gradient(self, alphas: np.ndarray) -> np.ndarray:
        return np.stack([np.interp(alphas, self.grid, column) for column in self.values.T], axis=-1)

    def integral(self, alphas: np.ndarray) -> np.ndarray:
        """``int_0^alpha g``, per pixel, for each of ``alphas``."""
        alphas = np.asarray(alphas, np.float64)
        index = np.clip(np.searchsorted(self.grid, alphas, side="right") - 1, 0, len(self.grid) - 2)
        offset = (alphas - self.grid[index])[:, None]
        width = self.grid[1] - self.grid[0]
        slope = (self.values[index + 1] - self.values[index]) / width
        return self.cumulative[index] + offset * self.values[index] + offset**2 / 2.0 * slope

    def evaluate(self, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(gradients, F)`` at ``alphas``, as ``adaptive_calibration.replay`` asks for them."""
        gradients = self.gradient(np.asarray(alphas, np.float64)).astype(np.float32)
        return gradients, self.integral(alphas).sum(axis=-1)

    @property
    def exact(self) -> np.ndarray:
        """The exact IG over the whole path (``x - x' = 1``)."""
        return self.cumulative[-1]
