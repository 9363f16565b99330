"""The model contract of the whole package: inputs (images in ``[0, 1]``, ...) to logits.

Taught in ``notebooks/01_setup_and_classification.py``; for a model of your own (a grayscale
digit classifier, a tabular network) in ``notebooks/10_your_own_model.py``; what the logits
are (its head) in ``notebooks/14_any_model.py``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from ig_tutorial.models.heads import Head
from ig_tutorial.models.labels import ImageNetLabels


@dataclass(eq=False)  # identity equality: compiled gradient functions are cached per model
class Classifier:
    """A model as Integrated Gradients sees it: inputs to **logits**, and what they mean.

    Parameters
    ----------
    function : callable
        Maps a ``float32`` batch of inputs to logits (not probabilities: the package applies
        the softmax or sigmoid itself) or, for a regression, values. Images are ``(n, height,
        width, channels)`` with values in ``[0, 1]``; other models take inputs of any shape.
        Any preprocessing the network needs belongs inside ``function``. Must be differentiable
        with :class:`tf.GradientTape`.
    handle : str
        Where the model came from (hub handle, folder, or a description).
    input_shape : tuple of int
        One input's shape: ``(height, width, channels)``, e.g. ``(8, 8, 1)``, or ``(n_features,)``.
    num_classes : int
        The class indices a target may take (a binary classifier's one logit: 2).
    labels, num_parameters : optional
        Class names and number of weights, when known.
    head : Head
        What the logits are: softmax (the default), sigmoid or linear
        (:mod:`ig_tutorial.models.heads`).
    """

    function: Callable[[tf.Tensor], tf.Tensor]
    handle: str
    input_shape: tuple[int, ...]
    num_classes: int
    labels: ImageNetLabels | None = None
    num_parameters: int | None = field(default=None)
    head: Head = field(default_factory=Head)

    @property
    def input_size(self) -> tuple[int, int]:
        """The ``(height, width)`` of an image model's inputs; ``ValueError`` for other inputs."""
        if len(self.input_shape) != 3:
            raise ValueError(
                f"model {self.handle!r} takes inputs of shape {self.input_shape}, not images "
                "(height, width, channels); it has no input_size."
            )
        return self.input_shape[0], self.input_shape[1]

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        """Return the logits of a batch of inputs (images in ``[0, 1]``)."""
        return self.function(tf.convert_to_tensor(images, dtype=tf.float32))

    def predict_top_k(self, image: tf.Tensor, k: int = 3) -> list[tuple[int, str, float]]:
        """The ``k`` most probable classes of one input: ``(index, label, probability)``.

        The probability is the head's (:mod:`ig_tutorial.models.heads`); the label is
        ``str(index)`` when the model has no labels.
        """
        logits = self(tf.expand_dims(image, 0))
        probabilities = self.head.class_scores(logits, "probability")[0].numpy()
        top = np.argsort(probabilities)[::-1][:k]
        return [
            (int(i), class_label(self, int(i)) or str(int(i)), float(probabilities[i])) for i in top
        ]

    def summary(self) -> str:
        """The input/output contract in a few lines (the tutorial's ``model.summary()``)."""
        shape = ", ".join(str(size) for size in self.input_shape)
        if len(self.input_shape) != 3:
            meaning = "features"
        elif self.input_shape[-1] == 3:
            meaning = "RGB values in [0, 1]"
        else:
            meaning = "values in [0, 1]"
        lines = [
            f"Model:   {self.handle}",
            f"Input:   float32 (batch, {shape}), {meaning}",
            f"Output:  float32 (batch, {self.num_classes}) logits ({self.head.kind} head)",
        ]
        if self.labels is not None and self.labels.offset:
            lines.append("Classes: index 0 is 'background'; ImageNet class k is output k + 1")
        elif self.labels is not None:
            lines.append("Classes: the 1000 ImageNet-1k classes, index k is class k")
        if self.num_parameters is not None:
            lines.append(f"Params:  {self.num_parameters:,}")
        return "\n".join(lines)


def class_label(model: object, index: int) -> str | None:
    """The name of output ``index`` of any model; ``None`` when it has no ``labels``."""
    labels = getattr(model, "labels", None)
    return labels[int(index)] if labels is not None else None


#: What the package derives from a model (compiled functions, a measured batch size, the halves
#: of a model cut at a layer), per model; weakly keyed, so it goes when the model does.
_DERIVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached_on_model(model: object, key: Hashable, build: Callable[[weakref.ref], Any]) -> Any:
    """``build(weakref.ref(model))`` once per model and ``key``; then the value kept for it.

    ``build`` gets a weak reference only: a compiled function holding the model itself would
    keep it alive for ever through this cache.
    """
    per_model = _DERIVED.setdefault(model, {})
    if key not in per_model:
        per_model[key] = build(weakref.ref(model))
    return per_model[key]


def declared_input_shape(model: object) -> tuple[int | None, ...] | None:
    """One input's shape as ``model`` declares it (``None`` for any size), or ``None``.

    A :class:`Classifier` declares its ``input_shape``, a Keras model of one input its own;
    other models (and models of several inputs) declare none.
    """
    if isinstance(model, Classifier):
        return model.input_shape
    try:
        shape = model.input_shape  # Keras: (None, ...) with the batch axis first
    except (AttributeError, ValueError):
        return None
    if not isinstance(shape, tuple) or not shape or isinstance(shape[0], (tuple, list)):
        return None
    return tuple(None if size is None else int(size) for size in shape[1:])
