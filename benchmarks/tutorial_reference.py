"""The TensorFlow tutorial's Integrated Gradients, written out: the tests' oracle.

Not used by the package itself: the tests compare :func:`ig_tutorial.integrated_gradients` with
it, and the benchmark times it as the tutorial's baseline. It calls the model directly, as the
tutorial does, and stays independent of :mod:`ig_tutorial.ig` on purpose.

This is the tutorial's code (TensorFlow "Integrated gradients" tutorial, the version with a
``tf.TensorArray``; Sundararajan et al., 2017, arXiv:1703.01365) with as few changes as possible:
the tutorial reads ``model`` from a notebook global, so here the functions are built inside
:func:`make_tutorial_integrated_gradients` and close over the model instead. Everything else is
the tutorial's: ``m_steps + 1`` alphas from ``tf.linspace``, batches of 32 interpolated images,
gradients of the target's softmax probability stored in a ``TensorArray`` (so memory grows with
``m_steps``), the trapezoid rule ``mean((g[:-1] + g[1:]) / 2)``, and ``@tf.function`` around the
whole loop (so every new ``m_steps``, ``batch_size`` or target class traces a new graph).
"""

from __future__ import annotations

import tensorflow as tf


def make_tutorial_integrated_gradients(model):
    """Return the tutorial's ``integrated_gradients`` for ``model`` (a ``@tf.function``).

    Its signature is the tutorial's:
    ``integrated_gradients(baseline, image, target_class_idx, m_steps=50, batch_size=32)``.
    """

    def interpolate_images(baseline, image, alphas):
        alphas_x = alphas[:, tf.newaxis, tf.newaxis, tf.newaxis]
        baseline_x = tf.expand_dims(baseline, axis=0)
        input_x = tf.expand_dims(image, axis=0)
        delta = input_x - baseline_x
        images = baseline_x + alphas_x * delta
        return images

    def compute_gradients(images, target_class_idx):
        with tf.GradientTape() as tape:
            tape.watch(images)
            logits = model(images)
            probs = tf.nn.softmax(logits, axis=-1)[:, target_class_idx]
        return tape.gradient(probs, images)

    def integral_approximation(gradients):
        # riemann_trapezoidal
        grads = (gradients[:-1] + gradients[1:]) / tf.constant(2.0)
        integrated_gradients = tf.math.reduce_mean(grads, axis=0)
        return integrated_gradients

    @tf.function
    def integrated_gradients(baseline, image, target_class_idx, m_steps=50, batch_size=32):
        # 1. Generate alphas.
        alphas = tf.linspace(start=0.0, stop=1.0, num=m_steps + 1)

        # Initialize TensorArray outside loop to collect gradients.
        gradient_batches = tf.TensorArray(tf.float32, size=m_steps + 1)

        # Iterate alphas range and batch computation for speed, memory efficiency, and scaling
        # to larger m_steps.
        for alpha in tf.range(0, len(alphas), batch_size):
            from_ = alpha
            to = tf.minimum(from_ + batch_size, len(alphas))
            alpha_batch = alphas[from_:to]

            # 2. Generate interpolated inputs between baseline and input.
            interpolated_path_input_batch = interpolate_images(
                baseline=baseline, image=image, alphas=alpha_batch
            )

            # 3. Compute gradients between model outputs and interpolated inputs.
            gradient_batch = compute_gradients(
                images=interpolated_path_input_batch, target_class_idx=target_class_idx
            )

            # Write batch indices and gradients to extend TensorArray.
            gradient_batches = gradient_batches.scatter(tf.range(from_, to), gradient_batch)

        # Stack path gradients together row-wise into single tensor.
        total_gradients = gradient_batches.stack()

        # 4. Integral approximation through averaging gradients.
        avg_gradients = integral_approximation(gradients=total_gradients)

        # 5. Scale integrated gradients with respect to input.
        integrated_gradients = (image - baseline) * avg_gradients

        return integrated_gradients

    return integrated_gradients
