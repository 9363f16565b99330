"""What a model's outputs are, and so what the attributed score ``F`` is taken from.

Taught in ``notebooks/14_any_model.py`` through ``load_model(model, head="sigmoid")``.
Integrated Gradients attributes one number, the score
``F`` of the target ``t``. The model's *head* says what its outputs ``z`` mean, and so what
``output="probability"`` and ``output="logit"`` take from them:

- **softmax**, logits of exclusive classes (``k >= 2`` outputs): ``softmax(z)[t]`` and ``z[t]``;
- **sigmoid**, one logit per class that may be present (multi-label): ``sigmoid(z[t])`` and
  ``z[t]``. With one unit it is a binary classifier of classes 0 and 1: class 1 gets
  ``sigmoid(z)`` and ``z``, class 0 ``1 - sigmoid(z)`` and ``-z`` (its log-odds);
- **linear**, values (a regression; one output without an activation): ``"logit"`` is the
  value ``z[t]``, and ``"probability"`` is refused with what to pass instead (a softmax over
  one output is always 1, so its gradient would be 0 everywhere).

A model that ends in its own softmax or sigmoid returns probabilities ``p``; their logits are
recovered (``log p``, whose softmax is ``p`` again; ``log(p / (1 - p))`` for a sigmoid), so a
softmax is never applied twice. The head comes from the model: :func:`ig_tutorial.load_model`
records it (``head=`` declares it), a Keras model's last activation tells it, and any other
model is taken for softmax logits (linear with one output). A model of several outputs (a list
or a dict) is attributed through one of them: ``load_model(model, model_output=name)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_of

#: The heads, as the table of the module's docstring describes them.
HEADS: tuple[str, ...] = ("softmax", "sigmoid", "linear")


@dataclass(frozen=True)
class Head:
    """How the score of a target is taken from a model's outputs (the module's table).

    ``kind`` is one of :data:`HEADS`; ``probabilities`` says the model ends in that softmax or
    sigmoid itself; ``select`` picks one output of a model of several (a name or an index).
    """

    kind: str = "softmax"
    probabilities: bool = False
    select: str | int | None = None

    def __post_init__(self) -> None:
        one_of(self.kind, HEADS, "head")

    def logits(self, outputs: Any) -> tf.Tensor:
        """The logits (or a regression's values) ``(n, k)`` in the model's outputs."""
        if self.select is not None:
            outputs = outputs[self.select]
        elif isinstance(outputs, (list, tuple, dict)):
            names = list(outputs) if isinstance(outputs, dict) else list(range(len(outputs)))
            raise ValueError(
                f"the model returns {len(outputs)} outputs ({names}); attribute one of them: "
                f"load_model(model, model_output=...) with one of {names}."
            )
        outputs = tf.convert_to_tensor(outputs)
        if not self.probabilities:
            return outputs
        log_p = tf.math.log(tf.maximum(outputs, 1e-30))  # log(0) would be -inf
        if self.kind == "softmax":
            return log_p
        return log_p - tf.math.log(tf.maximum(1.0 - outputs, 1e-30))

    def kind_for(self, columns: int) -> str:
        """The kind that rules logits of ``columns`` columns: one column of softmax is linear."""
        return "linear" if self.kind == "softmax" and columns == 1 else self.kind

    def classes(self, logits: tf.Tensor) -> tf.Tensor:
        """One column per class: a binary classifier's one logit ``z`` becomes ``(-z, z)``.

        ``-z`` is the log-odds of class 0, so its sigmoid is ``1 - sigmoid(z)``.
        """
        if self.kind == "sigmoid" and logits.shape[-1] == 1:
            return tf.concat([-logits, logits], axis=-1)
        return logits

    def class_scores(self, logits: tf.Tensor, output: str) -> tf.Tensor:
        """Every class's score ``(n, classes)``: its probability or its logit (module's text).

        Raises
        ------
        ValueError
            For ``"probability"`` of a linear head (one column of softmax logits is linear).
        """
        values = self.classes(logits)
        if output == "probability":
            kind = self.probability_kind(values.shape[-1])
            values = tf.nn.softmax(values, axis=-1) if kind == "softmax" else tf.sigmoid(values)
        return values

    def probability_kind(self, columns: int | None) -> str:
        """What turns ``columns`` logits into probabilities: ``"softmax"`` or ``"sigmoid"``.

        Raises
        ------
        ValueError
            For a linear head, with what to pass instead (:meth:`no_probability`).
        """
        kind = self.kind_for(columns)
        if kind == "linear":
            raise ValueError(self.no_probability())
        return kind

    def no_probability(self) -> str:
        """Why a linear head has no probability, and what to pass instead."""
        return (
            "the model has a linear head (values without a softmax or sigmoid: a regression, or "
            "one logit), so there is no probability to attribute: a softmax over one output is "
            "always 1 and its gradient 0. Pass output='logit' to attribute the output itself (a "
            "regression's value), or load a binary classifier that returns one logit with "
            "load_model(model, head='sigmoid')."
        )


def head_of(model: Any) -> Head:
    """The head of ``model``: its own, a Keras model's last activation, or softmax logits.

    A :class:`~ig_tutorial.Classifier` has its own; softmax logits of one column count as
    linear (:meth:`Head.kind_for`).
    """
    head = getattr(model, "head", None)
    if isinstance(head, Head):
        return head
    keras_head = _keras_head(model)
    if keras_head is not None:
        return keras_head
    return Head()


def _keras_head(model: Any) -> Head | None:
    """The head a Keras model's last layer declares; ``None`` for other models."""
    import keras

    if not isinstance(model, keras.Model) or not model.layers:
        return None
    try:
        outputs, shape = model.outputs, model.output_shape
    except (AttributeError, ValueError):  # a subclassed model, never built
        return None
    if len(outputs or []) > 1:
        return Head()  # several outputs: one is chosen with load_model(..., model_output=...)
    last = model.layers[-1]
    while isinstance(last, keras.Model) and last.layers:  # e.g. an application in a Sequential
        last = last.layers[-1]
    name = "softmax" if isinstance(last, keras.layers.Softmax) else ""
    name = name or getattr(getattr(last, "activation", None), "__name__", "")
    units = int(np.prod(shape[1:]))
    if name in ("softmax", "sigmoid"):
        return Head(name, probabilities=True)
    return Head(Head().kind_for(units))  # a softmax's logits, or one value: linear
