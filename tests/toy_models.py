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

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        self.calls.assign_add(1)
        self.images_seen.assign_add(tf.cast(tf.shape(images)[0], tf.int64))
        return self.model(images)
