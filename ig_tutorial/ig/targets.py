"""Which class to explain: a class index, a label name, or the model's top-1 class.

Taught in ``notebooks/01_setup_and_classification.py``. Every attribution takes its ``target``
through :func:`resolve_targets`, so ``"espresso"``, ``967`` and ``"top-1"`` mean the same
everywhere, whatever the model's label convention (1000 or 1001 classes, see
:class:`ig_tutorial.ImageNetLabels`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_per_input
from ig_tutorial.ig.gradients import Model, model_logits
from ig_tutorial.models.heads import head_of

#: The strings that mean "the model's most probable class for this input".
TOP_1_NAMES: tuple[str, ...] = ("top-1", "top1", "top")

#: How a target is called in messages about one target for all inputs.
TARGET_HINT = "target (e.g. 'top-1')"


def resolve_target(model: Model, image: tf.Tensor | np.ndarray, target: int | str) -> int:
    """The class index of ``target``: a class index, a label name, or ``"top-1"`` of ``image``.

    Taught in ``notebooks/01_setup_and_classification.py``. Label names need a model with
    labels, such as :func:`ig_tutorial.load_model`'s.

    Raises
    ------
    ValueError
        For an unknown label, or a label on a model without labels.
    """
    return int(resolve_targets(model, np.asarray(image)[np.newaxis], target)[0])


def resolve_targets(
    model: Model,
    inputs: np.ndarray,
    targets: int | str | Sequence[int | str],
    batch_size: int = 256,
    *,
    name: str = "inputs",
) -> np.ndarray:
    """One class index per input, for one target for all or one per input.

    Each distinct target is resolved once; the ``"top-1"`` inputs in batched forward passes of
    ``batch_size`` inputs. ``name`` is how messages call the inputs.

    Raises
    ------
    ValueError
        As :func:`resolve_target`, and for a sequence of another length than ``inputs``.
    """
    targets = one_per_input(
        targets,
        len(inputs),
        "targets",
        single=(str, int, np.integer),
        hint=TARGET_HINT,
        inputs=name,
    )
    known: dict[tuple, int | None] = {}
    resolved = []
    for target in targets:
        key = (type(target), repr(target))  # True is not the class index 1
        if key not in known:
            known[key] = class_of(model, target)
        resolved.append(known[key])
    top_1 = [row for row, index in enumerate(resolved) if index is None]
    for first in range(0, len(top_1), batch_size):
        rows = top_1[first : first + batch_size]
        classes = head_of(model).classes(model_logits(model, inputs[rows]))
        for row, index in zip(rows, tf.argmax(classes, -1), strict=True):
            resolved[row] = int(index)
    return np.asarray(resolved, np.int64)


def class_of(model: Model, target: object) -> int | None:
    """The class index of ``target``, or ``None`` for ``"top-1"`` (which needs the input).

    Raises
    ------
    ValueError
        For a target of another type, an unknown label, or a label on a model without labels.
    """
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        return int(target)
    if not isinstance(target, str):
        raise ValueError(f"target must be a class index or a label, got {target!r}.")
    if target.lower() in TOP_1_NAMES:
        return None
    labels = getattr(model, "labels", None)
    if labels is None:
        raise ValueError(
            f"target {target!r} is a label, but the model has no labels; pass a class index."
        )
    return labels.index(target)
