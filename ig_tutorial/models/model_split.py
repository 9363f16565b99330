"""A Keras model cut at one of its layers: inputs to the layer's output, and the rest to logits.

Integrated Gradients at a layer (:mod:`ig_tutorial.ig.layer_attribution`) integrates between two
of the layer's activations and needs the model "from this layer on" to score them. The head
takes the activations flattened, so the IG core sees one vector per input whatever the layer's
rank. No weights are copied: both halves share the model's layers.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import keras

from ig_tutorial.checks import keras_layer, keras_model
from ig_tutorial.models.classifier import cached_on_model
from ig_tutorial.models.heads import Head, head_of


class ModelSplit(NamedTuple):
    """The two halves of a Keras model cut at a layer.

    Attributes
    ----------
    encoder : keras.Model
        The model's inputs -> the layer's output, shape ``(n, *layer_shape)``.
    head : keras.Model
        The layer's output flattened, ``(n, prod(layer_shape))``, -> the model's logits; its
        ``head`` attribute is the whole model's (:mod:`ig_tutorial.models.heads`).
    layer_shape : tuple of int
        The shape of the layer's output for one input, e.g. ``(seq_len, dim)``.
    """

    encoder: keras.Model
    head: keras.Model
    layer_shape: tuple[int, ...]


def split_keras_model(model: Any, layer: str) -> ModelSplit:
    """Cut a Keras model at the named layer into an encoder and a head (built once per model).

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
        them), the layer's output has no fixed shape, or the model cannot be cut there.
    """
    network = keras_model(model)
    # The rest of the model has the whole model's head: its kind is the model's own (a
    # Classifier may declare it), and the Keras model says whether it ends in probabilities.
    head = Head(head_of(model).kind, head_of(network).probabilities)
    return cached_on_model(network, ("split", layer, head), lambda _: _split(network, layer, head))


def _split(model: keras.Model, layer: str, model_head: Head) -> ModelSplit:
    found = keras_layer(model, layer)
    try:
        inputs, activations, outputs = model.inputs, found.output, model.outputs
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"cannot cut {model.name!r} at layer {layer!r}: {error} Build the model with "
            "keras.Input (functional or Sequential), and use a layer it calls once."
        ) from None
    layer_shape = tuple(activations.shape[1:])
    if any(size is None for size in layer_shape):
        raise ValueError(
            f"layer {layer!r} of {model.name!r} has output shape {tuple(activations.shape)}; "
            "attribution at a layer needs a fixed shape per input: give keras.Input a fixed "
            "shape, e.g. keras.Input(shape=(seq_len,)) for token ids."
        )
    encoder = keras.Model(inputs, activations, name=f"{model.name}_to_{layer}")
    rest = keras.Model(
        activations, outputs[0] if len(outputs) == 1 else outputs, name=f"{model.name}_from_{layer}"
    )
    flat = keras.Input(shape=(math.prod(layer_shape),), name=f"{layer}_flat")
    head = keras.Model(
        flat, rest(keras.layers.Reshape(layer_shape)(flat)), name=f"{model.name}_head"
    )
    head.head = model_head
    return ModelSplit(encoder, head, layer_shape)
