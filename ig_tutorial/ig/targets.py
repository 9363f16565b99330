"""Which class to explain: a class index, a label name, or the model's top-1 class.

Taught in ``notebooks/01_setup_and_classification.py``. Every attribution method takes its
``target`` through :func:`resolve_target`, so ``"espresso"``, ``967`` and ``"top-1"`` mean the
same everywhere, whatever the model's label convention (1000 or 1001 classes, see
:class:`ig_tutorial.ImageNetLabels`).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ig_tutorial.ig.gradients import Model, model_logits

#: The strings that mean "the model's most probable class for this image".
TOP_1_NAMES: tuple[str, ...] = ("top-1", "top1", "top")


def resolve_target(model: Model, image: tf.Tensor, target: int | str) -> int:
    """Turn a class index, a label name or ``"top-1"`` into a class index.

    Parameters
    ----------
    model : callable
        The classifier; label names need a :class:`ig_tutorial.Classifier` with labels.
    image : tf.Tensor
        The image, used for ``"top-1"`` (its most probable class).
    target : int or str
        A class index, ``"top-1"``, or a class name such as ``"espresso"``.

    Returns
    -------
    int
        The model output index of the class to explain.

    Raises
    ------
    ValueError
        For an unknown label, or a label on a model without labels.
    """
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        return int(target)
    if not isinstance(target, str):
        raise ValueError(f"target must be a class index or a label, got {target!r}.")
    if is_top_1(target):
        logits = model_logits(model, tf.expand_dims(tf.convert_to_tensor(image, tf.float32), 0))
        return int(tf.argmax(logits[0]))
    labels = getattr(model, "labels", None)
    if labels is None:
        raise ValueError(
            f"target {target!r} is a label, but the model has no labels; pass a class index."
        )
    return labels.index(target)


def is_top_1(target: object) -> bool:
    """Whether ``target`` asks for the most probable class (``"top-1"``, any case)."""
    return isinstance(target, str) and target.lower() in TOP_1_NAMES


def resolve_targets(
    model: Model, images: np.ndarray, targets: list[int | str], batch_size: int
) -> list[int]:
    """:func:`resolve_target` for several inputs, their ``"top-1"`` in batched forward passes.

    Parameters
    ----------
    model : callable
        The classifier.
    images : numpy.ndarray
        The inputs, shape ``(n, ...)``, in their own dtype (token ids stay integers).
    targets : list of int or str
        One target per input.
    batch_size : int
        Inputs per forward pass.

    Returns
    -------
    list of int
        One class index per input.

    Raises
    ------
    ValueError
        As :func:`resolve_target`.
    """
    # Only "top-1" looks at the input; the others are resolved from the target alone, once
    # per distinct target (keyed by type too: True is not the class index 1).
    top_1, resolved, known = [], [], {}
    for row, target in enumerate(targets):
        key = (type(target), target)
        try:
            if key not in known:
                known[key] = _resolved(model, target)
            index = known[key]
        except TypeError:  # unhashable: resolve_target says what is wrong with it
            index = resolve_target(model, None, target)
        if index is None:
            top_1.append(row)
        resolved.append(index)
    for first in range(0, len(top_1), batch_size):
        rows = top_1[first : first + batch_size]
        logits = model_logits(model, images[rows])
        for row, index in zip(rows, tf.argmax(logits, axis=-1).numpy(), strict=True):
            resolved[row] = int(index)
    return resolved


def _resolved(model: Model, target: int | str) -> int | None:
    """The class index of ``target``, or ``None`` for ``"top-1"`` (which needs the input)."""
    return None if is_top_1(target) else resolve_target(model, None, target)
