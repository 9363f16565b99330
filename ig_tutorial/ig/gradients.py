"""The one seam between Integrated Gradients and a model: scores and gradients of a batch.

Integrated Gradients (Sundararajan et al., 2017, arXiv:1703.01365) needs, at points on a path of
images, the gradient of a score ``F`` of the target class with respect to the image. ``F`` is
the target's softmax **probability**, as in the TensorFlow tutorial, or its **logit** (which does
not saturate the same way). This module is the only place in :mod:`ig_tutorial.ig` that calls a
model; every method (fixed and adaptive steps, Blur IG, the ensembles, the batch-size
measurement) goes through it, so a new model type or a new device policy is one change here.

- :func:`compute_gradients` is the tutorial's small, readable version (taught in
  ``notebooks/04_gradients_and_saturation.py``).
- :func:`path_gradient_sum` is what :func:`ig_tutorial.integrated_gradients` runs: it builds a
  batch of points on the straight line, differentiates them and returns the *weighted sum* of
  their gradients, so only one image-sized tensor leaves the graph per batch and memory does not
  grow with the number of steps.
- :func:`path_gradients` returns the gradient at *each* point on the straight line, for the
  locally refined quadrature of ``m_steps="auto"`` (:mod:`ig_tutorial.ig.adaptive_steps`), which
  needs every node's gradient to judge each sub-interval.
- :func:`gradients_and_scores` differentiates arbitrary images, for paths that are not straight
  lines (the blur path of :mod:`ig_tutorial.ig.path_methods`).
- :func:`model_logits` is a forward pass only (the target's ``"top-1"``, the path's ends).

The compiled functions are built once per model, score and input rank (3 for images, 1 for the
feature vectors of a tabular model, taught in ``notebooks/10_your_own_model.py``) by
:func:`_compiled` and kept in one cache keyed weakly on the model.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import tensorflow as tf

from ig_tutorial.checks import one_of

#: What the IG core calls a model: images in ``[0, 1]`` ``(n, height, width, channels)`` (or
#: feature vectors ``(n, n_features)``) to logits ``(n, num_classes)``, differentiable with
#: :class:`tf.GradientTape`; e.g. a :class:`ig_tutorial.Classifier`.
Model = Callable[[tf.Tensor], tf.Tensor]

#: Scores that can be attributed.
TARGET_OUTPUTS: tuple[str, ...] = ("probability", "logit")


def target_scores(logits: tf.Tensor, target: int | tf.Tensor, output: str) -> tf.Tensor:
    """Pick the attributed score of class ``target`` from a batch of logits.

    Taught in ``notebooks/02_baseline.py``.

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


def model_logits(model: Model, images: tf.Tensor) -> tf.Tensor:
    """Run the model forward on a batch of images, without gradients.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    images : tensor or array
        Shape ``(n, height, width, 3)``.

    Returns
    -------
    tf.Tensor
        Logits, shape ``(n, num_classes)``.
    """
    return model(tf.convert_to_tensor(images, tf.float32))


def compute_gradients(
    model: Model, images: tf.Tensor, target: int, output: str = "probability"
) -> tf.Tensor:
    """Return the gradient of the target score with respect to each image in a batch.

    The tutorial's ``compute_gradients``, with the score made explicit. Taught in
    ``notebooks/04_gradients_and_saturation.py``.

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
    one_of(output, TARGET_OUTPUTS, "output")
    images = tf.convert_to_tensor(images, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        scores = target_scores(model(images), target, output)
    return tape.gradient(scores, images)


def _gradients_of_batch(model, output, images, target):
    with tf.GradientTape() as tape:
        tape.watch(images)
        scores = target_scores(model(images), target, output)
    return tape.gradient(scores, images), scores


def _straight_line_points(baseline, image, alphas):
    # One alpha per point, broadcast over the input's axes: (n, 1, 1, 1) for an image,
    # (n, 1) for a feature vector.
    alphas_x = tf.reshape(alphas, [-1] + [1] * baseline.shape.rank)
    return baseline[tf.newaxis] + alphas_x * (image - baseline)[tf.newaxis]


def _weighted_path_gradients(model, output, baseline, image, alphas, weights, target):
    images = _straight_line_points(baseline, image, alphas)
    gradients, scores = _gradients_of_batch(model, output, images, target)
    return tf.tensordot(weights, gradients, axes=1), scores


def _path_gradients(model, output, baseline, image, alphas, target):
    return _gradients_of_batch(
        model, output, _straight_line_points(baseline, image, alphas), target
    )


_VECTOR = tf.TensorSpec([None], tf.float32)
_CLASS = tf.TensorSpec([], tf.int32)


def _signature(kind: str, rank: int) -> list[tf.TensorSpec]:
    """The input signature of ``kind`` for inputs of ``rank`` (3: images, 1: feature vectors).

    The signatures leave the batch and input sizes open, so one trace serves every batch.
    """
    one = tf.TensorSpec([None] * rank, tf.float32)
    if kind == "batch":
        return [tf.TensorSpec([None] * (rank + 1), tf.float32), _CLASS]
    if kind == "path":
        return [one, one, _VECTOR, _VECTOR, _CLASS]
    return [one, one, _VECTOR, _CLASS]  # "path points"


# What can be compiled: the traced Python function of each kind.
_TRACEABLE = {
    "batch": _gradients_of_batch,
    "path": _weighted_path_gradients,
    "path points": _path_gradients,
}

_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(
    model: Model, kind: str, output: str, rank: int = 3
) -> Callable[..., tuple[tf.Tensor, tf.Tensor]]:
    """Return (and cache, per model, kind, score and input rank) the compiled ``kind``."""
    per_model = _COMPILED.setdefault(model, {})
    key = (kind, output, rank)
    if key not in per_model:
        function = _TRACEABLE[kind]
        # The cache is keyed weakly on the model; a strong reference from the compiled function
        # would keep every model alive forever.
        model_ref = weakref.ref(model)
        per_model[key] = tf.function(
            lambda *tensors: function(model_ref(), output, *tensors),
            input_signature=_signature(kind, rank),
            reduce_retracing=True,
        )
    return per_model[key]


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
        Shape ``(height, width, channels)`` (or ``(n_features,)``): the path runs from
        ``baseline`` (alpha 0) to ``image``.
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
    image = tf.convert_to_tensor(image, tf.float32)
    score = one_of(output, TARGET_OUTPUTS, "output")
    compiled = _compiled(model, "path", score, image.shape.rank)
    return compiled(
        tf.convert_to_tensor(baseline, tf.float32),
        image,
        tf.convert_to_tensor(alphas, tf.float32),
        tf.convert_to_tensor(weights, tf.float32),
        tf.constant(target, tf.int32),
    )


def path_gradients(
    model: Model,
    baseline: tf.Tensor,
    image: tf.Tensor,
    alphas: tf.Tensor,
    target: int,
    output: str = "probability",
) -> tuple[tf.Tensor, tf.Tensor]:
    """Target-score gradients and scores at points on the straight path, in one model call.

    Unlike :func:`path_gradient_sum`, every point's gradient leaves the graph: the caller keeps
    what it needs (``m_steps="auto"`` keeps each node's gradient to judge the sub-intervals next to
    it). Keep ``alphas`` to one batch: the returned gradients take ``len(alphas)`` image-sized
    tensors of memory.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    baseline, image : tf.Tensor
        Shape ``(height, width, channels)`` (or ``(n_features,)``): the path runs from
        ``baseline`` (alpha 0) to ``image``.
    alphas : tf.Tensor
        Shape ``(n,)``: the batch's interpolation constants.
    target : int
        Class index.
    output : {"probability", "logit"}, default "probability"
        The differentiated score.

    Returns
    -------
    gradients : tf.Tensor
        ``dF/dx at x' + alphas[k] (x - x')``, shape ``(n, height, width, 3)``.
    scores : tf.Tensor
        The target score at each point, shape ``(n,)``.
    """
    image = tf.convert_to_tensor(image, tf.float32)
    score = one_of(output, TARGET_OUTPUTS, "output")
    compiled = _compiled(model, "path points", score, image.shape.rank)
    return compiled(
        tf.convert_to_tensor(baseline, tf.float32),
        image,
        tf.convert_to_tensor(alphas, tf.float32),
        tf.constant(target, tf.int32),
    )


def gradients_and_scores(
    model: Model, images: tf.Tensor, target: int, output: str = "probability"
) -> tuple[tf.Tensor, tf.Tensor]:
    """Gradients and scores of the target class at arbitrary images, in one compiled model call.

    The compiled counterpart of :func:`compute_gradients`, for paths that are not straight lines
    (:func:`ig_tutorial.ig.path_methods.integrate_gradients_along_path`).

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
    images = tf.convert_to_tensor(images, tf.float32)
    score = one_of(output, TARGET_OUTPUTS, "output")
    compiled = _compiled(model, "batch", score, images.shape.rank - 1)
    return compiled(images, tf.constant(target, tf.int32))


def split_at_layer(model: Model, layer: str, inputs: tf.Tensor) -> tuple[tf.Tensor, Model]:
    """The activations of a Keras model's ``layer`` at ``inputs``, and the model from it on.

    What Integrated Gradients at a layer needs (:mod:`ig_tutorial.ig.layer_attribution`, taught
    in ``notebooks/12_text.py``): the path's two ends in the layer's space, and a model that
    scores points of that space. The model is cut once per layer by
    :func:`ig_tutorial.ig.model_split.split_keras_model`; the returned head is then attributed
    like any model, through the functions above.

    Parameters
    ----------
    model : keras.Model or Classifier
        A Keras model built with ``keras.Input``, inputs -> logits.
    layer : str
        The name of the layer, e.g. ``"embedding"``.
    inputs : tensor or array
        A batch of the model's inputs, ``(n, ...)``, in the model's own dtype (token ids stay
        integers).

    Returns
    -------
    activations : tf.Tensor
        The layer's output, shape ``(n, *layer_shape)``.
    head : keras.Model
        The layer's output flattened, ``(n, prod(layer_shape))``, -> logits.

    Raises
    ------
    ValueError
        As :func:`ig_tutorial.ig.model_split.split_keras_model`.
    """
    from ig_tutorial.ig.model_split import split_keras_model

    split = split_keras_model(model, layer)
    return split.encoder(tf.convert_to_tensor(inputs)), split.head
