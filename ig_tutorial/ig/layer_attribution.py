r"""Integrated Gradients at a hidden layer of a Keras model: the layer's units as the features.

Taught in ``notebooks/12_text.py``. Token ids are integers, so for a text model the path cannot
start at the ids; it runs between two *embeddings* instead. In general, split the model as
``F(x) = G(h(x))`` at a layer with output ``h`` and attribute to unit ``j``

.. math:: \mathrm{IG}_j = (h_j(x) - h_j(x')) \int_0^1
          \frac{\partial G(h(x') + \alpha (h(x) - h(x')))}{\partial h_j} \, d\alpha .

The attributions add up to ``G(h(x)) - G(h(x'))``, which is ``F(x) - F(x')`` when the path
starts at the activations of a baseline input ``x'``. The model is cut at the layer
(:func:`ig_tutorial.models.model_split.split_keras_model`) and
:func:`ig_tutorial.integrated_gradients_many` attributes the part "from this layer on", so fixed
steps, ``"auto"``, batching and the completeness check are those of the input attributions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_per_input
from ig_tutorial.ig.baselines import baselines_for
from ig_tutorial.ig.gradients import logits_in_batches
from ig_tutorial.ig.integrated_gradients import integrated_gradients_many
from ig_tutorial.ig.results import IntegratedGradientsResult
from ig_tutorial.ig.targets import resolve_targets
from ig_tutorial.models.model_split import split_keras_model

#: Inputs the encoder (the model up to the layer) takes in one call.
ENCODER_BATCH = 256


@dataclass(frozen=True)
class LayerIntegratedGradientsResult(IntegratedGradientsResult):
    """Integrated Gradients of one input at a layer: one attribution per unit of the layer.

    As :class:`ig_tutorial.ig.results.IntegratedGradientsResult`, with ``attributions`` the
    shape of the layer's output for one input (``(seq_len, dim)`` for an embedding),
    ``score_at_baseline`` ``G(h(x'))``, and the path's ends ``activations`` ``h(x)`` and
    ``baseline_activations`` ``h(x')``.
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
    """Attribute a Keras model's score to the units of its layer ``layer`` for one input.

    Taught in ``notebooks/12_text.py``. ``model`` is a Keras model built with ``keras.Input``
    (or :func:`ig_tutorial.load_model` of one); ``inputs`` one input without the batch axis (an
    image, or one sentence's token ids ``(seq_len,)``). The path starts at the activations of
    ``baseline`` (an input; default zeros, for token ids the padding id 0) or at
    ``layer_baseline``, given in the layer's space (e.g. an all-zero embedding), not both.
    ``m_steps`` and ``options`` (``method``, ``batch_size``, ``output``, ``progress``,
    ``tolerance``, ``max_steps``) are :func:`ig_tutorial.integrated_gradients`'.

    Raises
    ------
    ValueError
        If ``model`` is not a Keras model, ``layer`` names none of its layers (listing them),
        both baselines are given or a baseline's shape does not match, and as
        :func:`ig_tutorial.integrated_gradients`.

    Examples
    --------
    >>> result = layer_integrated_gradients(classifier, token_ids, 1, layer="embedding")
    >>> per_token = result.attributions.sum(axis=-1)
    """
    (result,) = layer_integrated_gradients_many(
        model,
        np.asarray(inputs)[np.newaxis],
        [target],
        layer=layer,
        baseline=baseline,
        layer_baseline=None if layer_baseline is None else [layer_baseline],
        m_steps=m_steps,
        **options,
    )
    return result


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
    """:func:`layer_integrated_gradients` of many inputs ``(n, ...)`` in one vectorised call.

    ``targets``, ``baseline`` and ``layer_baseline`` are one for all inputs or one per input.
    The activations come from batched passes of the model up to the layer; the points of
    several inputs share each model call after it.
    """
    if baseline is not None and layer_baseline is not None:
        raise ValueError(
            "give baseline (an input, whose activations start the path) or layer_baseline (the "
            "start in the layer's space), not both."
        )
    inputs = np.asarray(inputs)
    count = len(inputs)
    targets = resolve_targets(model, inputs, targets, ENCODER_BATCH)
    split = split_keras_model(model, layer)

    def activations_of(batch: np.ndarray) -> np.ndarray:
        layer_outputs = logits_in_batches(split.encoder, batch, ENCODER_BATCH, head=False)
        return np.concatenate(list(layer_outputs))

    if layer_baseline is None:  # the path starts at the baselines' activations
        baselines = baselines_for(baseline, inputs, name="inputs")
        starts, ends = np.split(activations_of(np.concatenate([baselines, inputs])), 2)
    else:
        ends = activations_of(inputs)
        per_input = one_per_input(
            layer_baseline,
            count,
            "layer baselines",
            single=(np.ndarray, tf.Tensor),
            hint="layer baseline",
            inputs="inputs",
        )
        starts = np.stack([np.asarray(each, np.float32) for each in per_input])
        if starts.shape[1:] != ends.shape[1:]:
            raise ValueError(
                f"layer_baseline shape {starts.shape[1:]} does not match the shape of layer "
                f"{layer!r}'s output for one input, {ends.shape[1:]}."
            )
    results = integrated_gradients_many(
        split.head,
        ends.reshape(count, -1),
        targets,
        baseline=starts.reshape(count, -1),
        m_steps=m_steps,
        **options,
    )
    return [
        LayerIntegratedGradientsResult(
            **{**vars(result), "attributions": result.attributions.reshape(end.shape)},
            layer=layer,
            activations=end,
            baseline_activations=start,
        )
        for result, start, end in zip(results, starts, ends, strict=True)
    ]
