"""The TensorFlow tutorial's Integrated Gradients, written out plainly as a reference.

It follows the tutorial step by step: ``m_steps + 1`` alphas from ``tf.linspace``, gradients of
the softmax probability collected batch by batch in a ``tf.TensorArray``, the trapezoid rule
``mean((g[:-1] + g[1:]) / 2)``, then scaling by ``(image - baseline)``.
"""

from __future__ import annotations

import tensorflow as tf


def tutorial_integrated_gradients(
    model, baseline, image, target_class_idx, m_steps=50, batch_size=32
):
    alphas = tf.linspace(start=0.0, stop=1.0, num=m_steps + 1)
    gradient_batches = tf.TensorArray(tf.float32, size=m_steps + 1)
    for from_ in tf.range(0, len(alphas), batch_size):
        to = tf.minimum(from_ + batch_size, len(alphas))
        alpha_batch = alphas[from_:to]
        x = alpha_batch[:, None, None, None]
        interpolated = baseline[None] + x * (image[None] - baseline[None])
        with tf.GradientTape() as tape:
            tape.watch(interpolated)
            probs = tf.nn.softmax(model(interpolated), axis=-1)[:, target_class_idx]
        gradient_batches = gradient_batches.scatter(
            tf.range(from_, to), tape.gradient(probs, interpolated)
        )
    total = gradient_batches.stack()
    avg_gradients = tf.math.reduce_mean((total[:-1] + total[1:]) / tf.constant(2.0), axis=0)
    return (image - baseline) * avg_gradients
