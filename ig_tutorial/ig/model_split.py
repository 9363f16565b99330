"""A Keras model cut at one of its layers: inputs to the layer's output, and the rest to logits.

Integrated Gradients at a layer (:mod:`ig_tutorial.ig.layer_attribution`) integrates along the
straight line between two of the layer's *activations*, and needs the model "from this layer
on" to score the points of that line. This module builds the two halves of a Keras model
without calling it (Keras rewires the layers' graph; no weights are copied, both halves share
the model's layers):

- the **encoder**, the model's inputs to the layer's output ``(n, *layer_shape)``;
- the **head**, the layer's output, flattened to vectors ``(n, size)``, to the logits.

The head takes flat vectors because the IG core attributes one image ``(height, width,
channels)`` or one vector ``(n_features,)``: a flattened activation is a vector whatever the
layer's rank (text embeddings are ``(seq_len, dim)``), so the core's checks, batching, compiled
functions and completeness report apply unchanged.

Only the seam, :func:`ig_tutorial.ig.gradients.split_at_layer`, uses this module: the halves are
models, and the seam is where the package calls models. The halves are built once per model and
layer and cached weakly on the model, so the seam's compiled functions for the head are traced
once too.
"""

from __future__ import annotations

import math
import weakref
from typing import Any, NamedTuple

import keras

from ig_tutorial.checks import keras_layer, keras_model


class ModelSplit(NamedTuple):
    """The two halves of a Keras model cut at a layer.

    Attributes
    ----------
    encoder : keras.Model
        The model's inputs -> the layer's output, shape ``(n, *layer_shape)``.
    head : keras.Model
        The layer's output flattened, ``(n, prod(layer_shape))``, -> the model's logits.
    layer_shape : tuple of int
        The shape of the layer's output for one input, e.g. ``(seq_len, dim)``.
    """

    encoder: keras.Model
    head: keras.Model
    layer_shape: tuple[int, ...]


_SPLITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _graph_ends(model: keras.Model, layer: keras.layers.Layer) -> tuple[Any, Any, Any]:
    """The model's inputs, the layer's output and the model's outputs, as Keras tensors."""
    try:
        outputs = model.outputs
        return model.inputs, layer.output, outputs[0] if len(outputs) == 1 else outputs
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"cannot cut {model.name!r} at layer {layer.name!r}: {error} Build the model with "
            "keras.Input (functional or Sequential), and use a layer it calls once."
        ) from None


def split_keras_model(model: Any, layer: str) -> ModelSplit:
    """Cut a Keras model at the named layer into an encoder and a head (cached per model).

    Parameters
    ----------
    model : keras.Model or Classifier
        A functional or Sequential Keras model built with ``keras.Input`` (or
        :func:`ig_tutorial.load_model` of one), inputs -> logits.
    layer : str
        The name of the layer whose output is attributed, e.g. ``"embedding"``.

    Returns
    -------
    ModelSplit
        ``head(flatten(encoder(x)))`` equals ``model(x)``.

    Raises
    ------
    ValueError
        If ``model`` is not a Keras model, ``layer`` names none of its layers (the message lists
        them), the layer's output has no fixed shape, or the model cannot be cut there (a model
        without ``keras.Input``, a layer called more than once).
    """
    model = keras_model(model)
    per_model = _SPLITS.setdefault(model, {})
    if layer not in per_model:
        found = keras_layer(model, layer)
        inputs, activations, outputs = _graph_ends(model, found)
        layer_shape = tuple(activations.shape[1:])
        if any(size is None for size in layer_shape):
            raise ValueError(
                f"layer {layer!r} of {model.name!r} has output shape {tuple(activations.shape)}; "
                "attribution at a layer needs a fixed shape per input: give keras.Input a fixed "
                "shape, e.g. keras.Input(shape=(seq_len,)) for token ids."
            )
        encoder = keras.Model(inputs, activations, name=f"{model.name}_to_{layer}")
        rest = keras.Model(activations, outputs, name=f"{model.name}_from_{layer}")
        flat = keras.Input(shape=(math.prod(layer_shape),), name=f"{layer}_flat")
        head = keras.Model(
            flat, rest(keras.layers.Reshape(layer_shape)(flat)), name=f"{model.name}_head"
        )
        per_model[layer] = ModelSplit(encoder, head, layer_shape)
    return per_model[layer]
