"""A tiny classifier for smoke runs of the benchmark machinery (seconds, not minutes).

Its timings mean nothing; it exists so the benchmark code can be exercised by a fast test
(``tests/test_benchmark_smoke.py``) and by ``--model toy``.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ig_tutorial import Classifier

TOY_INPUT_SIZE = 16


class _ToyConvNet(tf.Module):
    def __init__(self, num_classes: int, seed: int) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.kernel = tf.constant(rng.normal(scale=0.8, size=(3, 3, 3, 8)), tf.float32)
        self.dense = tf.constant(rng.normal(scale=1.5, size=(8, num_classes)), tf.float32)

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        # ReLU6 like EfficientNet-Lite, so the path integrand is piecewise smooth in the same way.
        hidden = tf.nn.relu6(4.0 * tf.nn.conv2d(images, self.kernel, strides=1, padding="SAME"))
        return tf.reduce_mean(hidden, axis=[1, 2]) @ self.dense


def toy_classifier(num_classes: int = 5, seed: int = 0) -> Classifier:
    """A random ReLU6 conv net on 16x16 images, wrapped as a :class:`ig_tutorial.Classifier`."""
    return Classifier(
        function=_ToyConvNet(num_classes, seed),
        handle="toy conv net",
        input_shape=(TOY_INPUT_SIZE, TOY_INPUT_SIZE, 3),
        num_classes=num_classes,
    )


def toy_images(count: int = 2, seed: int = 0) -> dict[str, tf.Tensor]:
    """Random images in ``[0, 1]`` of the toy model's size, by name."""
    rng = np.random.default_rng(seed)
    shape = (TOY_INPUT_SIZE, TOY_INPUT_SIZE, 3)
    return {f"toy{i}": tf.constant(rng.uniform(size=shape), tf.float32) for i in range(count)}
