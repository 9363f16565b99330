"""The one seam between Integrated Gradients and a model: scores, gradients, forward passes.

Taught in ``notebooks/04_gradients_and_saturation.py``. Integrated Gradients needs, at points on
a path, the score ``F`` of the target class and its gradient with respect to the input. This is
the only module of :mod:`ig_tutorial.ig` that calls a model, so a new kind of model is one
change here. :func:`compute_gradients` holds the package's one ``tf.GradientTape``; the compiled
functions below wrap it (and the forward pass), built once per model and kept while it lives.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_of
from ig_tutorial.ig.integration_rules import integral_approximation
from ig_tutorial.ig.paths import interpolate_images
from ig_tutorial.models.classifier import cached_on_model
from ig_tutorial.models.heads import Head, head_of

#: What the IG core calls a model: a batch of inputs (images in ``[0, 1]``, feature vectors)
#: to logits ``(n, num_classes)``, differentiable with :class:`tf.GradientTape`.
Model = Callable[[tf.Tensor], tf.Tensor]

#: The scores that can be attributed; the default is the probability, as in the tutorial.
TARGET_OUTPUTS: tuple[str, ...] = ("probability", "logit")
DEFAULT_OUTPUT = "probability"


def target_scores(
    logits: tf.Tensor, target: int | tf.Tensor, output: str, head: Head | None = None
) -> tf.Tensor:
    """The attributed score ``F`` of each row: the target's probability, or its logit.

    Taught in ``notebooks/02_baseline.py``. ``target`` is one class index, or one per row;
    ``head`` says what the logits are (default: a softmax's, as in the tutorial), and so what
    the probability is: the rule of :mod:`ig_tutorial.models.heads`.

    Raises
    ------
    ValueError
        For another ``output``, or ``"probability"`` of a linear head (a regression).
    """
    head = Head() if head is None else head
    values = head.class_scores(logits, one_of(output, TARGET_OUTPUTS, "output"))
    targets = tf.broadcast_to(tf.cast(target, tf.int32), tf.shape(values)[:1])
    return tf.gather(values, targets, axis=1, batch_dims=1)


def compute_gradients(
    model: Model, images: tf.Tensor, target: int | tf.Tensor, output: str = DEFAULT_OUTPUT
) -> tuple[tf.Tensor, tf.Tensor]:
    """The gradient of the target's score at each input of a batch, and the score itself.

    The tutorial's ``compute_gradients``, also returning the score ``F`` that the tape recorded
    (the curve of the saturation plot). Taught in ``notebooks/04_gradients_and_saturation.py``.

    Returns
    -------
    gradients : tf.Tensor
        ``dF/dx``, the shape of ``images``.
    scores : tf.Tensor
        ``F`` at each input, shape ``(n,)``.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    head = head_of(model)  # what the model's outputs are: ig_tutorial.models.heads
    with tf.GradientTape() as tape:
        tape.watch(images)
        scores = target_scores(head.logits(model(images)), target, output, head)
    return tape.gradient(scores, images), scores


def _batch(rank: int) -> tf.TensorSpec:
    """A batch of float32 inputs of ``rank`` axes, of any sizes: one trace serves them all."""
    return tf.TensorSpec([None] * (rank + 1), tf.float32)


INTS, FLOATS = tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32)


def _compiled(function: Callable, *signature: tf.TensorSpec) -> Callable:
    """``function`` compiled for inputs of ``signature``: one trace serves every batch size.

    Each model gets compiled functions of its own, of the same code, each traced once;
    TensorFlow's warning about one code traced again and again would be a false alarm (and it
    prints an address that changes from run to run under a notebook's cell).
    """
    compiled = tf.function(function, input_signature=list(signature))
    compiled._omit_frequent_tracing_warning = True  # as TensorFlow does for loaded functions
    return compiled


def compiled_one_batch(model: Model, output: str, rank: int) -> Callable:
    """The compiled function every straight-line attribution runs on a batch of path points.

    ``one_batch(baselines, images, targets, rows, alphas, weights)`` takes the ends of ``n``
    straight lines ``(n, ...)`` and their classes ``(n,)``, and points ``j`` on line
    ``rows[j]`` (ascending) at ``alphas[j]`` with quadrature weights ``weights[j]``. Like the
    tutorial's ``one_batch`` it interpolates (:func:`~ig_tutorial.ig.paths.interpolate_images`)
    and differentiates (:func:`compute_gradients`); it also sums each line's weighted gradients
    (:func:`~ig_tutorial.ig.integration_rules.integral_approximation`), so that a batch of many
    small inputs returns one sum per input, not one gradient per point. Returns those sums (for
    lines ``rows[0]`` to ``rows[-1]``), ``F`` at each point and each point's gradient.
    """

    def build(model_ref: weakref.ref) -> Callable:
        def one_batch(baselines, images, targets, rows, alphas, weights):
            path = interpolate_images(baselines, images, alphas, rows=rows)
            gradients, scores = compute_gradients(
                model_ref(), path, tf.gather(targets, rows), output
            )
            sums = integral_approximation(gradients, weights, rows=rows - rows[0])
            return sums, scores, gradients

        return _compiled(one_batch, _batch(rank), _batch(rank), INTS, INTS, FLOATS, FLOATS)

    return cached_on_model(model, ("one batch", output, rank), build)


def gradients_at(
    model: Model, points: tf.Tensor | np.ndarray, targets: int | np.ndarray, output: str
) -> tuple[tf.Tensor, tf.Tensor]:
    """:func:`compute_gradients` compiled, at points that are not on a straight line.

    For Guided IG's steps, Blur IG's path and the plain gradient. ``targets``: one class for
    all points, or one per point.
    """
    points = tf.convert_to_tensor(points, tf.float32)

    def build(model_ref: weakref.ref) -> Callable:
        def gradients_of(points, targets):
            return compute_gradients(model_ref(), points, targets, output)

        return _compiled(gradients_of, _batch(points.shape.rank - 1), INTS)

    compiled = cached_on_model(model, ("gradients", output, points.shape.rank), build)
    return compiled(points, np.broadcast_to(np.int32(targets), points.shape[:1]))


def model_logits(model: Model, inputs: tf.Tensor | np.ndarray, *, head: bool = True) -> tf.Tensor:
    """A forward pass to the logits (:mod:`ig_tutorial.models.heads`), compiled per model.

    A Keras model called eagerly spends milliseconds a call in Python, more than a table row's
    arithmetic; compiled, it does not. ``head=False`` returns the outputs as they are (a
    layer's activations).
    """
    inputs = tf.convert_to_tensor(inputs, tf.float32)

    def build(model_ref: weakref.ref) -> Callable:
        def forward(batch: tf.Tensor) -> tf.Tensor:
            outputs = model_ref()(batch)
            return head_of(model_ref()).logits(outputs) if head else outputs

        return _compiled(forward, _batch(inputs.shape.rank - 1))

    return cached_on_model(model, ("logits", head, inputs.shape.rank), build)(inputs)


def scores_at(
    model: Model, inputs: tf.Tensor | np.ndarray, targets: np.ndarray, output: str
) -> tuple[int, np.ndarray, np.ndarray]:
    """``F`` and the target's logit at each input, and the number of classes: one compiled call.

    The forward pass of the paths' ends. A target out of range is scored as the last class,
    and a linear head's "probability" as its value: the caller refuses both, with its own
    messages (an error raised inside a compiled function would come wrapped in its trace).
    """
    inputs = tf.convert_to_tensor(inputs, tf.float32)

    def build(model_ref: weakref.ref) -> Callable:
        def scores_of(batch, targets):
            model = model_ref()
            head = head_of(model)
            logits = head.logits(model(batch))
            classes = tf.shape(head.classes(logits))[-1]
            targets = tf.clip_by_value(targets, 0, classes - 1)
            logit = target_scores(logits, targets, "logit", head)
            if output == "logit" or head.kind_for(logits.shape[-1]) == "linear":
                return classes, logit, logit  # a linear head's probability: refused by the caller
            return classes, target_scores(logits, targets, output, head), logit

        return _compiled(scores_of, _batch(inputs.shape.rank - 1), INTS)

    classes, scores, logits = cached_on_model(model, ("scores", output, inputs.shape.rank), build)(
        inputs, np.asarray(targets, np.int32)
    )
    return int(classes), scores.numpy(), logits.numpy()


def logits_in_batches(
    model: Model, inputs: Sequence, batch_size: int, *, bar=None, head: bool = True
) -> Iterator[tf.Tensor]:
    """Forward passes over ``inputs`` (anything that slices into batches), ``batch_size`` a call.

    ``head=False`` yields the outputs as they are, as :func:`model_logits`.
    """
    for first in range(0, len(inputs), batch_size):
        logits = model_logits(model, inputs[first : first + batch_size], head=head)
        if bar is not None:
            bar.update(1)
        yield logits
