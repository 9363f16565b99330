r"""Integrated Gradients at a hidden layer of a Keras model: the layer's units as the features.

Taught in ``notebooks/12_text.py``. Integrated Gradients (Sundararajan, Taly & Yan, 2017,
arXiv:1703.01365) needs a path along which the model is differentiable. Token ids are integers,
so for a text model the path cannot start at the ids; it runs between two *embeddings* instead.
In general, for a layer with output ``h(x)``, split the model as ``F(x) = G(h(x))`` and attribute
to unit ``j`` of the layer

.. math:: \mathrm{IG}_j = (h_j(x) - h_j(x')) \int_0^1
          \frac{\partial G(h(x') + \alpha (h(x) - h(x')))}{\partial h_j} \, d\alpha .

Completeness holds in the layer's space: the attributions add up to ``G(h(x)) - G(h(x'))``,
which is ``F(x) - F(x')`` when the path starts at the activations of a baseline input ``x'``.

:func:`layer_integrated_gradients` cuts the model at the layer (through the seam,
:func:`ig_tutorial.ig.gradients.split_at_layer`) and runs :func:`ig_tutorial.integrated_gradients`
on the model "from this layer on", so fixed steps, ``m_steps="auto"``, batching and the
completeness check are those of the input attributions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_per_input
from ig_tutorial.ig.gradients import split_at_layer
from ig_tutorial.ig.integrated_gradients import TARGET_HINT, integrated_gradients_many
from ig_tutorial.ig.results import IntegratedGradientsResult
from ig_tutorial.ig.targets import resolve_targets


@dataclass(frozen=True)
class LayerIntegratedGradientsResult(IntegratedGradientsResult):
    """Integrated Gradients of one input at a layer: one attribution per unit of the layer.

    The attributes not listed are those of
    :class:`ig_tutorial.ig.results.IntegratedGradientsResult`; ``score_at_baseline`` is
    ``G(h(x'))``.

    Attributes
    ----------
    attributions : numpy.ndarray
        ``IG_j``, the shape of the layer's output for one input (e.g. ``(seq_len, dim)`` for an
        embedding, ``(height, width, channels)`` for a convolution).
    layer : str
        The layer's name.
    activations, baseline_activations : numpy.ndarray
        ``h(x)`` and ``h(x')``, the path's ends, shaped like ``attributions``.
    """

    layer: str = ""
    activations: np.ndarray | None = None
    baseline_activations: np.ndarray | None = None

    #: How reports name the start of the path.
    path_start_name = "h'"


def layer_integrated_gradients(
    model: Any,
    inputs: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    layer: str,
    baseline: tf.Tensor | np.ndarray | None = None,
    layer_baseline: tf.Tensor | np.ndarray | None = None,
    m_steps: int | Literal["auto"] = 50,
    **options: Any,
) -> LayerIntegratedGradientsResult:
    """Attribute a Keras model's score to the units of one of its layers.

    Parameters
    ----------
    model : keras.Model or Classifier
        A functional or Sequential Keras model built with ``keras.Input`` (or
        :func:`ig_tutorial.load_model` of one) mapping a batch of inputs to logits: images,
        feature vectors or token ids.
    inputs : tensor or array
        One input ``x``, without the batch axis: an image ``(height, width, channels)``, or the
        token ids of one sentence ``(seq_len,)``.
    target : int or str
        Class index, a label name, or ``"top-1"``; resolved on the whole model at ``inputs``.
    layer : str
        The name of the layer whose output is attributed, e.g. ``"embedding"``.
    baseline : tensor or array, optional
        A baseline *input* ``x'``, shaped like ``inputs``: the path starts at its activations.
        Default: all zeros (a black image; for token ids, the padding id 0 at every position).
    layer_baseline : tensor or array, optional
        The path's start ``h'`` given in the layer's space instead, shaped like the layer's
        output for one input (e.g. an all-zero embedding). Give ``baseline`` or
        ``layer_baseline``, not both.
    m_steps : int or "auto", default 50
        As for :func:`ig_tutorial.integrated_gradients`.
    **options
        ``method``, ``batch_size``, ``output``, ``progress``, ``tolerance``, ``max_steps``, as
        for :func:`ig_tutorial.integrated_gradients`.

    Returns
    -------
    LayerIntegratedGradientsResult
        One attribution per unit of the layer, its completeness check
        (``sum(IG) = G(h(x)) - G(h')``) and the path's two ends.

    Raises
    ------
    ValueError
        If ``model`` is not a Keras model (naming what was given), ``layer`` names none of its
        layers (listing them), both baselines are given, a baseline's shape does not match, and
        as :func:`ig_tutorial.integrated_gradients`.

    References
    ----------
    Sundararajan, Taly & Yan (2017), Axiomatic Attribution for Deep Networks, arXiv:1703.01365;
    the layer form as in Captum's ``LayerIntegratedGradients``.

    Examples
    --------
    >>> result = layer_integrated_gradients(classifier, token_ids, 1, layer="embedding")
    >>> result.attributions.shape  # (seq_len, embedding dim)
    (12, 16)
    >>> per_token = result.attributions.sum(axis=-1)
    """
    (result,) = layer_integrated_gradients_many(
        model,
        np.asarray(inputs)[np.newaxis],
        [target],
        layer=layer,
        baseline=None if baseline is None else np.asarray(baseline)[np.newaxis],
        layer_baseline=None if layer_baseline is None else [layer_baseline],
        m_steps=m_steps,
        **options,
    )
    return result


#: Inputs the encoder (the model up to the layer) takes in one call.
ENCODER_BATCH = 256


def layer_integrated_gradients_many(
    model: Any,
    inputs: tf.Tensor | np.ndarray,
    targets: int | str | Sequence[int | str] = "top-1",
    *,
    layer: str,
    baseline: tf.Tensor | np.ndarray | None = None,
    layer_baseline: tf.Tensor | np.ndarray | Sequence | None = None,
    m_steps: int | Literal["auto"] = 50,
    **options: Any,
) -> list[LayerIntegratedGradientsResult]:
    """:func:`layer_integrated_gradients` of many inputs in one vectorised call.

    The layer's activations of all inputs and baselines come from batched passes of the model up
    to the layer; :func:`ig_tutorial.integrated_gradients_many` then attributes the model from
    the layer on, the path points of several inputs sharing each model call (notebook 12 uses
    it through :func:`ig_tutorial.ig.token_attribution.token_attributions_many`).

    Parameters
    ----------
    model, layer, m_steps
        As for :func:`layer_integrated_gradients`.
    inputs : tensor or array
        The inputs, ``(n, ...)``: images, or the token ids of ``n`` sentences ``(n, seq_len)``.
    targets : int, str or sequence of them, default "top-1"
        One target for all inputs, or one per input; resolved on the whole model.
    baseline : tensor or array, optional
        Baseline inputs: one shaped like an input, or one per input ``(n, ...)``. Default: all
        zeros.
    layer_baseline : tensor, array or sequence, optional
        The path's start in the layer's space instead: one for all inputs, or one per input.
    **options
        ``method``, ``batch_size``, ``output``, ``progress``, ``tolerance``, ``max_steps``, as
        for :func:`ig_tutorial.integrated_gradients_many`.

    Returns
    -------
    list of LayerIntegratedGradientsResult
        In the order of ``inputs``.

    Raises
    ------
    ValueError
        As :func:`layer_integrated_gradients`, and if ``targets`` or a sequence of baselines has
        another length than ``inputs``.
    """
    if baseline is not None and layer_baseline is not None:
        raise ValueError(
            "give baseline (an input, whose activations start the path) or layer_baseline (the "
            "start in the layer's space), not both."
        )
    inputs = np.asarray(inputs)
    count = len(inputs)
    if baseline is None:
        baseline = np.zeros_like(inputs)
    baseline = np.asarray(baseline)
    if baseline.shape == inputs.shape[1:]:
        baseline = np.broadcast_to(baseline, inputs.shape)
    if baseline.shape != inputs.shape:
        shape = baseline.shape[1:] if baseline.ndim == inputs.ndim else baseline.shape
        raise ValueError(
            f"baseline shape {shape} does not match the input's shape {inputs.shape[1:]}."
        )
    targets = one_per_input(
        targets, count, "targets", single=(str, int, np.integer), hint=TARGET_HINT, inputs="inputs"
    )
    targets = resolve_targets(model, inputs, targets, ENCODER_BATCH)
    both = np.concatenate([baseline, inputs])
    pieces = [
        split_at_layer(model, layer, both[first : first + ENCODER_BATCH])
        for first in range(0, len(both), ENCODER_BATCH)
    ]
    head = pieces[0][1]
    activations = tf.concat([piece[0] for piece in pieces], axis=0)
    starts, ends = activations[:count], activations[count:]
    if layer_baseline is not None:
        if not isinstance(layer_baseline, (list, tuple)):
            layer_baseline = [layer_baseline] * count
        if len(layer_baseline) != count:
            raise ValueError(
                f"got {len(layer_baseline)} layer baselines for {count} inputs; give one per "
                f"input, or one for all of them."
            )
        starts = tf.stack([tf.convert_to_tensor(each, tf.float32) for each in layer_baseline])
        if tuple(starts.shape[1:]) != tuple(ends.shape[1:]):
            raise ValueError(
                f"layer_baseline shape {tuple(starts.shape[1:])} does not match the shape of "
                f"layer {layer!r}'s output for one input, {tuple(ends.shape[1:])}."
            )
    results = integrated_gradients_many(
        head,
        tf.reshape(ends, [count, -1]),
        targets,
        baseline=tf.reshape(starts, [count, -1]),
        m_steps=m_steps,
        **options,
    )
    shape = tuple(ends.shape[1:])
    return [
        LayerIntegratedGradientsResult(
            **{**vars(result), "attributions": result.attributions.reshape(shape)},
            layer=layer,
            activations=end.numpy(),
            baseline_activations=start.numpy(),
        )
        for result, start, end in zip(results, tf.unstack(starts), tf.unstack(ends), strict=True)
    ]
