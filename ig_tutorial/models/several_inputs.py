"""A model of several inputs seen as a model of one: each example's inputs as one flat vector.

Taught in ``notebooks/14_any_model.py`` through
``integrated_gradients(model, [image, table], target)``. For a model of several inputs (a
tuple, list or dict of tensors: an image and a table, named feature groups), Integrated
Gradients walks one straight line from all the baselines to all the inputs, with one alpha,
and the attributions of all of them add up to ``F(x) - F(x')`` together. So each example's
inputs are flattened into one vector (:meth:`InputStructure.flatten`), the IG core attributes
it like any other input, and the attributions are put back into the structure
(:meth:`InputStructure.unflatten`); :func:`flat_model` calls the model with the structure.

Integer inputs (a category, token ids, a mask) cannot be interpolated: they are held fixed at
their values along the path (their baseline is the input itself), so they get no attribution,
as Captum's ``additional_forward_args``. Hold a float input fixed the same way, by giving the
input itself as its baseline; attribute token ids at their embedding with
:func:`ig_tutorial.layer_integrated_gradients`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import stacked
from ig_tutorial.models.classifier import cached_on_model
from ig_tutorial.models.heads import head_of


def is_structure(value: Any, *, batched: bool = False) -> bool:
    """Whether ``value`` holds several inputs: a tuple or dict, or (one example) a list of arrays.

    For a batch, a list keeps its meaning of separate examples.
    """
    if isinstance(value, (tuple, dict)):
        return True
    return (
        not batched
        and isinstance(value, list)
        and any(isinstance(item, (np.ndarray, tf.Tensor)) for item in value)
    )


@dataclass(frozen=True)
class InputStructure:
    """How the several inputs of one example lie in its flat vector.

    ``structure`` is the inputs' nesting (tuple, list or dict) with leaf numbers for leaves;
    ``shapes`` and ``dtypes`` describe one example's leaf each, in :func:`tf.nest.flatten` order.
    """

    structure: Any
    shapes: tuple[tuple[int, ...], ...]
    dtypes: tuple[str, ...]

    @classmethod
    def of(cls, batch: Any) -> InputStructure:
        """The structure of a batch: leaves of shape ``(n, ...)``, each as an array."""
        leaves = [np.asarray(leaf) for leaf in tf.nest.flatten(batch)]
        structure = tf.nest.pack_sequence_as(batch, list(range(len(leaves))))
        shapes = tuple(tuple(leaf.shape[1:]) for leaf in leaves)
        return cls(structure, shapes, tuple(leaf.dtype.name for leaf in leaves))

    @property
    def sizes(self) -> list[int]:
        """The number of values of each leaf in the flat vector."""
        return [int(np.prod(shape)) for shape in self.shapes]

    @property
    def fixed(self) -> np.ndarray:
        """``bool`` per column of the flat vector: the columns of integer leaves, held fixed."""
        return np.repeat(
            [np.issubdtype(np.dtype(dtype), np.integer) for dtype in self.dtypes], self.sizes
        )

    def flatten(self, batch: Any, name: str = "inputs") -> np.ndarray:
        """The flat vectors ``(n, sum of sizes)``, ``float32``, of a batch of this structure.

        Raises
        ------
        ValueError
            If the batch's nesting or shapes differ from this structure's, naming both.
        """
        try:
            tf.nest.assert_same_structure(self.structure, batch)
        except (ValueError, TypeError):
            raise ValueError(
                f"{name} must have the inputs' structure {self.structure!r} (leaf numbers), got "
                f"{tf.nest.map_structure(np.shape, batch)!r}."
            ) from None
        leaves = [np.asarray(leaf) for leaf in tf.nest.flatten(batch)]
        for leaf, shape, number in zip(leaves, self.shapes, range(len(leaves)), strict=True):
            if leaf.shape[1:] != shape:
                raise ValueError(
                    f"{name}: input {number} has shape {leaf.shape[1:]} per example, not {shape}."
                )
        columns = [leaf.reshape(len(leaf), -1).astype(np.float32) for leaf in leaves]
        return np.concatenate(columns, axis=1)

    def unflatten(self, flat: np.ndarray | tf.Tensor, *, cast: bool = False) -> Any:
        """The structure of ``flat`` vectors ``(n, ...)``: numpy arrays, or tensors (``cast``).

        With ``cast`` each leaf is a tensor in its input's dtype, as the model takes it.
        """
        pieces = (
            tf.split(flat, self.sizes, axis=-1)
            if cast
            else np.split(flat, np.cumsum(self.sizes)[:-1], axis=-1)
        )
        leaves = []
        for piece, shape, dtype in zip(pieces, self.shapes, self.dtypes, strict=True):
            if cast:
                leaves.append(tf.cast(tf.reshape(piece, [-1, *shape]), dtype))
            else:
                leaves.append(np.reshape(piece, (*piece.shape[:-1], *shape)))
        return tf.nest.pack_sequence_as(self.structure, leaves)


class FlatModel:
    """A model called on flat vectors: each is cut into the inputs' structure first.

    It holds its model weakly (it is cached on it), and has its head and labels.
    """

    def __init__(self, model_ref: weakref.ref, structure: InputStructure) -> None:
        self.model_ref, self.structure = model_ref, structure
        self.head = head_of(model_ref())  # the wrapped model's outputs are this model's
        self.labels = getattr(model_ref(), "labels", None)

    def __call__(self, flat: tf.Tensor) -> Any:
        """The model's outputs for a batch of flat vectors ``(n, sum of sizes)``."""
        return self.model_ref()(self.structure.unflatten(flat, cast=True))


def flat_model(model: Any, structure: InputStructure) -> FlatModel:
    """The :class:`FlatModel` of ``model`` and ``structure``, one per pair (so compiled once)."""
    return cached_on_model(model, ("flat", repr(structure)), lambda ref: FlatModel(ref, structure))


def leaf_batches(batch: Any, name: str) -> Any:
    """``batch`` with its leaves as arrays ``(n, ...)`` of one length (sequences stacked)."""
    leaves = [stacked(leaf, f"{name} leaf") for leaf in tf.nest.flatten(batch)]
    if len({len(leaf) for leaf in leaves}) > 1:
        raise ValueError(
            f"{name}: every input needs one row per example, got {[len(x) for x in leaves]} rows."
        )
    return tf.nest.pack_sequence_as(batch, leaves)
