"""The one seam between Integrated Gradients and a model: scores and gradients of a batch.

Integrated Gradients (Sundararajan et al., 2017, arXiv:1703.01365) needs, at points on a path of
images, the gradient of a score ``F`` of the target class with respect to the image. ``F`` is
the target's softmax **probability**, as in the TensorFlow tutorial, or its **logit** (which does
not saturate the same way). This module is the only place in :mod:`ig_tutorial.ig` that calls a
model; every method (fixed and adaptive steps, Blur IG, the ensembles, the batch-size
measurement) goes through it, so a new model type or a new device policy is one change here.

- :func:`compute_gradients` is the tutorial's small, readable version (taught in
  ``notebooks/04_gradients_and_saturation.py``).
- :func:`gradients_in_batches` is what every method runs: it walks the points of a path (any
  sequence of inputs that can be sliced, such as the straight line's
  :class:`~ig_tutorial.ig.paths.StraightLines`, which computes its points a batch at a time, or
  the blur path's array) ``batch_size`` points per model call and yields each batch's gradients
  and scores. The caller reduces them at once (a weighted sum for a fixed rule, kept per node
  for ``m_steps="auto"``), so memory is bounded by one batch, not by the number of steps.
- :func:`line_sums_in_batches` walks a fixed rule over many small inputs' straight lines,
  whole inputs a call: each call interpolates its points, differentiates and sums each input's
  weighted gradients in one compiled graph (:func:`compiled_line_sums`), so nothing per input
  or per point leaves TensorFlow.
- :func:`gradients_and_scores` is one such call on a batch of inputs.
- :func:`model_logits` is a forward pass only (the target's ``"top-1"``, the path's ends), and
  :func:`logits_in_batches` walks a sequence of inputs with it, ``batch_size`` a call (the
  perturbed images of the faithfulness metrics, :mod:`ig_tutorial.ig.faithfulness`).

Both differentiate with one compiled function, built by :func:`compiled_gradients` once per
model, score and input rank (3 for images, 1 for the feature vectors of a tabular model, taught
in ``notebooks/10_your_own_model.py``) and kept in one cache keyed weakly on the model; the
forward passes are compiled the same way (:func:`compiled_logits`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import tensorflow as tf
from tqdm import std

from ig_tutorial.checks import one_of
from ig_tutorial.progress import progress_bar

#: What the IG core calls a model: images in ``[0, 1]`` ``(n, height, width, channels)`` (or
#: feature vectors ``(n, n_features)``) to logits ``(n, num_classes)``, differentiable with
#: :class:`tf.GradientTape`; e.g. a :class:`ig_tutorial.Classifier`.
Model = Callable[[tf.Tensor], tf.Tensor]

#: Scores that can be attributed.
TARGET_OUTPUTS: tuple[str, ...] = ("probability", "logit")

#: The default score: the target's probability, as in the TensorFlow tutorial.
DEFAULT_OUTPUT = "probability"


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
    """Run the model forward on a batch of inputs, without gradients, in one compiled call.

    Compiled by :func:`compiled_logits`: a Keras model called eagerly spends milliseconds a
    call in Python, which for a table row or a digit is more than its arithmetic.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    images : tensor or array
        Shape ``(n, height, width, 3)`` (or ``(n, n_features)``).

    Returns
    -------
    tf.Tensor
        Logits, shape ``(n, num_classes)``.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    return compiled_logits(model, images.shape.rank - 1)(images)


def logits_in_batches(
    model: Model, inputs: Sequence, batch_size: int, *, bar: std.tqdm | None = None
) -> Iterator[tf.Tensor]:
    """Forward passes over a sequence of inputs, ``batch_size`` inputs per model call.

    Parameters
    ----------
    model : callable
        Inputs -> logits.
    inputs : sequence of inputs
        Anything with ``len`` whose slices are batches of inputs, such as an array
        ``(n, height, width, channels)`` or a sequence that builds its images a batch at a time.
    batch_size : int
        Inputs per model call.
    bar : tqdm, optional
        Advanced once per model call.

    Yields
    ------
    tf.Tensor
        The logits of each batch, shape ``(len(batch), num_classes)``, in order.
    """
    for first in range(0, len(inputs), batch_size):
        logits = model_logits(model, inputs[first : first + batch_size])
        if bar is not None:
            bar.update(1)
        yield logits


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


#: The compiled functions of each model (gradients by score and input rank, forward passes by
#: input rank); keyed weakly on the model.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: ``(inputs, targets) -> (gradients, scores)``, one model call; one target per input.
CompiledGradients = Callable[[tf.Tensor, tf.Tensor], tuple[tf.Tensor, tf.Tensor]]

#: ``(baselines, images, alphas, weights, targets) -> (sums, scores)``, one model call.
CompiledLineSums = Callable[..., tuple[tf.Tensor, tf.Tensor]]


def target_scores_of(logits: tf.Tensor, targets: tf.Tensor | np.ndarray, output: str) -> tf.Tensor:
    """``F`` of each input's own target: :func:`target_scores` with one class index per row.

    Parameters
    ----------
    logits : tf.Tensor
        Shape ``(n, num_classes)``.
    targets : tensor or array
        Shape ``(n,)``: the class of each row (the points of several attributions in one call).
    output : {"probability", "logit"}
        Softmax probability or the raw logit.

    Returns
    -------
    tf.Tensor
        Shape ``(n,)``.
    """
    if output == "probability":
        logits = tf.nn.softmax(logits, axis=-1)
    return tf.gather(logits, targets, axis=1, batch_dims=1)


def _compiled(model: Model, key: tuple, build: Callable[[weakref.ref], Callable]) -> Callable:
    """The compiled function ``key`` of ``model``: ``build(model_ref)`` once, then the cache's.

    The cache is keyed weakly on the model, and ``build`` gets only a weak reference to it: a
    strong reference from the compiled function would keep every model alive forever.
    """
    per_model = _COMPILED.setdefault(model, {})
    if key not in per_model:
        per_model[key] = build(weakref.ref(model))
    return per_model[key]


def compiled_logits(model: Model, rank: int) -> Callable[[tf.Tensor], tf.Tensor]:
    """The compiled forward pass of ``model`` for inputs of ``rank`` axes: built once, cached.

    Kept in the same cache as :func:`compiled_gradients`, keyed weakly on the model; the
    signature leaves the batch and input sizes open.

    Parameters
    ----------
    model : callable
        Inputs -> logits.
    rank : int
        Axes of one input.

    Returns
    -------
    callable
        ``inputs -> logits``.
    """

    def build(model_ref: weakref.ref) -> Callable:
        @tf.function(
            input_signature=[tf.TensorSpec([None] * (rank + 1), tf.float32)],
            reduce_retracing=True,
        )
        def logits_of_batch(inputs: tf.Tensor) -> tf.Tensor:
            return model_ref()(inputs)

        return logits_of_batch

    return _compiled(model, ("logits", rank), build)


def compiled_gradients(model: Model, output: str, rank: int) -> CompiledGradients:
    """The compiled gradient of the target score for ``model``: built once, then cached.

    The signature leaves the batch and input sizes open, so one trace serves every batch of
    inputs of ``rank`` axes (3 for images, 1 for feature vectors).

    Parameters
    ----------
    model : callable
        Inputs -> logits.
    output : {"probability", "logit"}
        The differentiated score.
    rank : int
        Axes of one input.

    Returns
    -------
    callable
        ``(inputs, targets) -> (gradients, scores)``, with one class index per input:
        ``dF/dx`` at each input (same shape as ``inputs``) and ``F`` at each, shape ``(n,)``.
        The inputs of one call may belong to several attributions, each with its own target.
    """

    def build(model_ref: weakref.ref) -> Callable:
        @tf.function(
            input_signature=[
                tf.TensorSpec([None] * (rank + 1), tf.float32),
                tf.TensorSpec([None], tf.int32),
            ],
            reduce_retracing=True,
        )
        def gradients_of_batch(inputs: tf.Tensor, targets: tf.Tensor):
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                scores = target_scores_of(model_ref()(inputs), targets, output)
            return tape.gradient(scores, inputs), scores

        return gradients_of_batch

    return _compiled(model, (output, rank), build)


def gradients_and_scores(
    model: Model, images: tf.Tensor, target: int, output: str = "probability"
) -> tuple[tf.Tensor, tf.Tensor]:
    """Gradients and scores of the target class at a batch of inputs, in one compiled call.

    The compiled counterpart of :func:`compute_gradients`.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    images : tf.Tensor
        Shape ``(n, height, width, 3)`` (or ``(n, n_features)``); keep ``n`` to a batch size,
        the gradients of all inputs are returned.
    target : int
        Class index.
    output : {"probability", "logit"}, default "probability"
        The differentiated score.

    Returns
    -------
    gradients : tf.Tensor
        ``dF/dx`` at each input, same shape as ``images``.
    scores : tf.Tensor
        The target score of each input, shape ``(n,)``.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    compiled = compiled_gradients(
        model, one_of(output, TARGET_OUTPUTS, "output"), images.shape.rank - 1
    )
    return compiled(images, tf.fill([tf.shape(images)[0]], tf.constant(target, tf.int32)))


def gradients_in_batches(
    model: Model,
    points: Sequence,
    target: int | np.ndarray,
    output: str,
    batch_size: int,
    *,
    bar: std.tqdm | None = None,
) -> Iterator[tuple[int, tf.Tensor, tf.Tensor]]:
    """Gradients and scores along a path, ``batch_size`` points per model call.

    Parameters
    ----------
    model : callable
        Inputs -> logits.
    points : sequence of inputs
        The path: anything with ``len`` whose slices are batches of inputs, such as a
        :class:`~ig_tutorial.ig.paths.StraightLines` (computed a batch at a time) or an array of
        shape ``(n, height, width, channels)``.
    target : int or numpy.ndarray
        Class index of every point, or one per point (points of several attributions).
    output : {"probability", "logit"}
        The differentiated score.
    batch_size : int
        Points per model call.
    bar : tqdm, optional
        Advanced once per model call.

    Yields
    ------
    first : int
        Index in ``points`` of the batch's first point.
    gradients : tf.Tensor
        ``dF/dx`` at each point of the batch, shape ``(len(batch), ...)``.
    scores : tf.Tensor
        ``F`` at each point of the batch, shape ``(len(batch),)``.
    """
    if bar is None:
        bar = progress_bar(disable=True)
    compiled = None
    targets = np.broadcast_to(np.asarray(target, np.int32), (len(points),))
    for first in range(0, len(points), batch_size):
        batch = tf.convert_to_tensor(points[first : first + batch_size], tf.float32)
        if compiled is None:
            compiled = compiled_gradients(model, output, batch.shape.rank - 1)
        gradients, scores = compiled(batch, tf.constant(targets[first : first + len(batch)]))
        bar.update(1)
        yield first, gradients, scores


def compiled_line_sums(model: Model, output: str, rank: int) -> CompiledLineSums:
    """The compiled weighted gradient sums along whole straight lines: built once, then cached.

    One call takes several inputs whole, with every node of a fixed rule: it interpolates the
    points, differentiates the target score at each and sums each input's weighted gradients,
    all in one graph. The points and the gradients never leave TensorFlow, and the sums are one
    broadcast product and one reduction over the nodes, whatever the number of inputs.

    Parameters
    ----------
    model, output, rank
        As for :func:`compiled_gradients`.

    Returns
    -------
    callable
        ``(baselines, images, alphas, weights, targets) -> (sums, scores)`` for ``k`` inputs
        and ``m`` nodes: ``baselines`` and ``images`` ``(k, ...)``, ``alphas`` and ``weights``
        ``(m,)``, ``targets`` ``(k,)``; ``sums[r]`` is the sum over the nodes of
        ``weights[j] * dF/dx`` at ``baselines[r] + alphas[j] * (images[r] - baselines[r])``
        (shape ``(k, ...)``) and ``scores[r, j]`` is ``F`` there (shape ``(k, m)``).
    """

    def build(model_ref: weakref.ref) -> Callable:
        ends = tf.TensorSpec([None] * (rank + 1), tf.float32)
        per_node = tf.TensorSpec([None], tf.float32)

        @tf.function(
            input_signature=[ends, ends, per_node, per_node, tf.TensorSpec([None], tf.int32)],
            reduce_retracing=True,
        )
        def sums_of_batch(baselines, images, alphas, weights, targets):
            nodes = tf.shape(alphas)[0]
            along = tf.reshape(alphas, [1, -1] + [1] * rank)
            # (k, m, ...): the m points of each input's line, then one batch of k * m points.
            points = baselines[:, tf.newaxis] + along * (images - baselines)[:, tf.newaxis]
            points = tf.reshape(points, tf.concat([[-1], tf.shape(baselines)[1:]], axis=0))
            with tf.GradientTape() as tape:
                tape.watch(points)
                scores = target_scores_of(model_ref()(points), tf.repeat(targets, nodes), output)
            gradients = tape.gradient(scores, points)
            per_input = tf.concat([[-1, nodes], tf.shape(baselines)[1:]], axis=0)
            weighted = tf.reshape(gradients, per_input) * tf.reshape(weights, [1, -1] + [1] * rank)
            return tf.reduce_sum(weighted, axis=1), tf.reshape(scores, [-1, nodes])

        return sums_of_batch

    return _compiled(model, ("line sums", output, rank), build)


def line_sums_in_batches(
    model: Model,
    baselines: np.ndarray,
    images: np.ndarray,
    alphas: np.ndarray,
    weights: np.ndarray,
    targets: np.ndarray,
    output: str,
    inputs_per_call: int,
    *,
    bar: std.tqdm | None = None,
) -> Iterator[tuple[int, tf.Tensor, tf.Tensor]]:
    """A fixed rule's weighted gradient sums for many inputs, whole inputs a model call.

    What a fixed rule needs for many small inputs (:func:`compiled_line_sums`): the gradients
    are summed per input inside the call, instead of coming back point by point as from
    :func:`gradients_in_batches`.

    Parameters
    ----------
    model : callable
        Inputs -> logits.
    baselines, images : numpy.ndarray
        The lines' ends, shape ``(n, ...)``.
    alphas, weights : numpy.ndarray
        The rule's nodes and weights, shape ``(m,)``.
    targets : numpy.ndarray
        Shape ``(n,)``: each input's class index.
    output : {"probability", "logit"}
        The differentiated score.
    inputs_per_call : int
        Inputs per model call: ``inputs_per_call * m`` points.
    bar : tqdm, optional
        Advanced once per model call.

    Yields
    ------
    first : int
        The call's first input.
    sums : tf.Tensor
        The weighted gradient sums of inputs ``first, first + 1, ...``, shape ``(k, ...)``.
    scores : tf.Tensor
        ``F`` at each of their nodes, shape ``(k, m)``.
    """
    if bar is None:
        bar = progress_bar(disable=True)
    compiled = compiled_line_sums(model, output, np.ndim(images) - 1)
    alphas = tf.constant(np.asarray(alphas, np.float32))
    weights = tf.constant(np.asarray(weights, np.float32))
    targets = np.asarray(targets, np.int32)
    for first in range(0, len(images), inputs_per_call):
        stop = first + inputs_per_call
        sums, scores = compiled(
            tf.constant(baselines[first:stop], tf.float32),
            tf.constant(images[first:stop], tf.float32),
            alphas,
            weights,
            tf.constant(targets[first:stop]),
        )
        bar.update(1)
        yield first, sums, scores


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
