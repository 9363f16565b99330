"""Gradients of a class score along a straight path: the only place IG differentiates a model.

Taught in ``notebooks/04_gradients_and_saturation.py``. Integrated Gradients (Sundararajan et
al., 2017, arXiv:1703.01365) needs, for each interpolation constant ``alpha``, the gradient of the
target class's score with respect to the interpolated image
``x' + alpha * (x - x')``. The score is the softmax **probability** of the target class, as in the
TensorFlow tutorial, or optionally its **logit** (which does not saturate the same way).

:func:`compute_gradients` is the tutorial's small, readable version. :func:`path_gradient_sum`
is what :func:`ig_tutorial.integrated_gradients` runs: one compiled :func:`tf.function` per model
and score kind that builds the batch of interpolated images, differentiates it, and returns the
*weighted sum* of the gradients, so only one image-sized tensor leaves the graph per batch and
memory does not grow with the number of steps. :func:`gradients_and_scores` is the same
compiled seam for images that do not lie on a straight line, such as the blur path of
:mod:`ig_tutorial.blur_ig` (taught in ``notebooks/09_toolkit.py``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import tensorflow as tf

#: Scores that can be attributed.
TARGET_OUTPUTS: tuple[str, ...] = ("probability", "logit")

Model = Callable[[tf.Tensor], tf.Tensor]


def check_output(output: str) -> str:
    """Validate the name of the attributed score.

    Raises
    ------
    ValueError
        If ``output`` is not one of :data:`TARGET_OUTPUTS`.
    """
    if output not in TARGET_OUTPUTS:
        raise ValueError(f"output must be one of {TARGET_OUTPUTS}, got {output!r}.")
    return output


def target_scores(logits: tf.Tensor, target: int | tf.Tensor, output: str) -> tf.Tensor:
    """Pick the attributed score of class ``target`` from a batch of logits.

    Parameters
    ----------
    logits : tf.Tensor
        Shape ``(n, num_classes)``.
    target : int or tf.Tensor
        The class index.
    output : {"probability", "logit"}
        Softmax probability (the tutorial's choice) or the raw logit.

    Returns
    -------
    tf.Tensor
        Shape ``(n,)``.
    """
    if output == "probability":
        return tf.nn.softmax(logits, axis=-1)[:, target]
    return logits[:, target]


def compute_gradients(
    model: Model, images: tf.Tensor, target: int, output: str = "probability"
) -> tf.Tensor:
    """Return the gradient of the target score with respect to each image in a batch.

    The tutorial's ``compute_gradients``, with the score made explicit.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits, e.g. a :class:`ig_tutorial.Classifier`.
    images : tf.Tensor
        Shape ``(n, height, width, 3)``.
    target : int
        Class index.
    output : {"probability", "logit"}, default "probability"
        The differentiated score.

    Returns
    -------
    tf.Tensor
        Same shape as ``images``.
    """
    check_output(output)
    images = tf.convert_to_tensor(images, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        scores = target_scores(model(images), target, output)
    return tape.gradient(scores, images)


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled_path_gradient_sum(model: Model, output: str) -> Callable[..., tuple[tf.Tensor, ...]]:
    """Return (and cache, per model and score) the compiled weighted path-gradient sum."""
    per_model = _COMPILED.setdefault(model, {})
    if ("path", output) in per_model:
        return per_model[("path", output)]

    # The cache is keyed weakly on the model; a strong reference from the compiled function
    # would keep every model alive forever.
    model_ref = weakref.ref(model)

    # One trace serves every batch size and image size: the signature leaves them open.
    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, None], tf.float32),  # baseline
            tf.TensorSpec([None, None, None], tf.float32),  # image
            tf.TensorSpec([None], tf.float32),  # alphas of this batch
            tf.TensorSpec([None], tf.float32),  # their quadrature weights
            tf.TensorSpec([], tf.int32),  # target class
        ],
        reduce_retracing=True,
    )
    def weighted_sum(baseline, image, alphas, weights, target):
        alphas_x = alphas[:, tf.newaxis, tf.newaxis, tf.newaxis]
        images = baseline[tf.newaxis] + alphas_x * (image - baseline)[tf.newaxis]
        with tf.GradientTape() as tape:
            tape.watch(images)
            scores = target_scores(model_ref()(images), target, output)
        gradients = tape.gradient(scores, images)
        return tf.tensordot(weights, gradients, axes=1), scores

    per_model[("path", output)] = weighted_sum
    return weighted_sum


def _compiled_gradients_and_scores(
    model: Model, output: str
) -> Callable[..., tuple[tf.Tensor, ...]]:
    """Return (and cache, per model and score) the compiled gradients of a batch of images."""
    per_model = _COMPILED.setdefault(model, {})
    if ("batch", output) in per_model:
        return per_model[("batch", output)]
    model_ref = weakref.ref(model)  # weak for the same reason as in the path sum

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, None, None], tf.float32),  # images
            tf.TensorSpec([], tf.int32),  # target class
        ],
        reduce_retracing=True,
    )
    def batch_gradients(images, target):
        with tf.GradientTape() as tape:
            tape.watch(images)
            scores = target_scores(model_ref()(images), target, output)
        return tape.gradient(scores, images), scores

    per_model[("batch", output)] = batch_gradients
    return batch_gradients


def path_gradient_sum(
    model: Model,
    baseline: tf.Tensor,
    image: tf.Tensor,
    alphas: tf.Tensor,
    weights: tf.Tensor,
    target: int,
    output: str = "probability",
) -> tuple[tf.Tensor, tf.Tensor]:
    """Weighted sum of target-score gradients at points on the straight path, in one model call.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    baseline, image : tf.Tensor
        Shape ``(height, width, 3)``: the path runs from ``baseline`` (alpha 0) to ``image``.
    alphas, weights : tf.Tensor
        Shape ``(n,)``: the batch's interpolation constants and quadrature weights.
    target : int
        Class index.
    output : {"probability", "logit"}, default "probability"
        The differentiated score.

    Returns
    -------
    weighted_gradients : tf.Tensor
        ``sum_k weights[k] * dF/dx at x' + alphas[k] (x - x')``, shape ``(height, width, 3)``.
    scores : tf.Tensor
        The target score at each point, shape ``(n,)``.
    """
    compiled = _compiled_path_gradient_sum(model, check_output(output))
    return compiled(
        tf.convert_to_tensor(baseline, tf.float32),
        tf.convert_to_tensor(image, tf.float32),
        tf.convert_to_tensor(alphas, tf.float32),
        tf.convert_to_tensor(weights, tf.float32),
        tf.constant(target, tf.int32),
    )


def gradients_and_scores(
    model: Model, images: tf.Tensor, target: int, output: str = "probability"
) -> tuple[tf.Tensor, tf.Tensor]:
    """Gradients and scores of the target class at arbitrary images, in one compiled model call.

    The compiled counterpart of :func:`compute_gradients`, for paths that are not straight lines
    (Blur IG, :func:`ig_tutorial.blur_integrated_gradients`). Taught in
    ``notebooks/09_toolkit.py``.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    images : tf.Tensor
        Shape ``(n, height, width, 3)``; keep ``n`` to a batch size, the gradients of all images
        are returned.
    target : int
        Class index.
    output : {"probability", "logit"}, default "probability"
        The differentiated score.

    Returns
    -------
    gradients : tf.Tensor
        ``dF/dx`` at each image, same shape as ``images``.
    scores : tf.Tensor
        The target score of each image, shape ``(n,)``.
    """
    compiled = _compiled_gradients_and_scores(model, check_output(output))
    return compiled(tf.convert_to_tensor(images, tf.float32), tf.constant(target, tf.int32))
