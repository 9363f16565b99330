r"""What every straight-line attribution shares: its checked ends, and the gradients along it.

Integrated Gradients (Sundararajan, Taly & Yan, 2017, arXiv:1703.01365, eq. 1) integrates the
gradient of a score ``F`` along the straight line from a baseline ``x'`` to the input ``x``.
:func:`prepare_ends` checks the inputs of one or many attributions once, resolves their targets
and batch size and evaluates ``F`` at both ends; :meth:`PathEnds.gradients` then walks any list
of points ``(input, alpha, weight)`` on those lines through the one compiled function of the
seam, a batch at a time: one photo's nodes, many table rows whole, or a refinement round's
midpoints.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import class_index, input_batch, one_input, one_of
from ig_tutorial.ig.baselines import baselines_for
from ig_tutorial.ig.batching import resolve_batch_size
from ig_tutorial.ig.gradients import TARGET_OUTPUTS, Model, compiled_one_batch, scores_at
from ig_tutorial.ig.integration_rules import IntegrationRule
from ig_tutorial.ig.results import IntegratedGradientsResult
from ig_tutorial.ig.targets import resolve_targets
from ig_tutorial.models.classifier import declared_input_shape
from ig_tutorial.models.heads import head_of
from ig_tutorial.models.several_inputs import (
    InputStructure,
    flat_model,
    is_structure,
    leaf_batches,
)


@dataclass(frozen=True, eq=False)
class PathEnds:
    """The checked ends of ``n`` attributions' straight lines, their classes and ``F`` there.

    Attributes
    ----------
    model : callable
        Inputs -> logits.
    output : str
        The attributed score, ``"probability"`` or ``"logit"``.
    batch_size : int
        Path points per model call.
    baselines, images : numpy.ndarray
        ``x'`` and ``x`` of each attribution, ``float32``, shape ``(n, ...)``.
    targets : numpy.ndarray
        Each attribution's class index, shape ``(n,)``.
    scores_at_baseline, scores_at_input : numpy.ndarray
        ``F(x')`` and ``F(x)``, shape ``(n,)``.
    structure : InputStructure or None
        For a model of several inputs, where each lies in the flat ``images``.
    """

    model: Model
    output: str
    batch_size: int
    baselines: np.ndarray
    images: np.ndarray
    targets: np.ndarray
    scores_at_baseline: np.ndarray
    scores_at_input: np.ndarray
    structure: InputStructure | None = None

    def __len__(self) -> int:
        return len(self.targets)

    @cached_property
    def _tensors(self) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        return (
            tf.constant(self.baselines),
            tf.constant(self.images),
            tf.constant(self.targets, tf.int32),
        )

    def gradients(
        self,
        rows: np.ndarray,
        alphas: np.ndarray,
        weights: np.ndarray | None = None,
        *,
        bar=None,
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray, tf.Tensor]]:
        """Gradients at the points ``x'_r + alpha (x_r - x'_r)``, ``batch_size`` points a call.

        Point ``j`` lies on line ``rows[j]`` (ascending) at ``alphas[j]``, with the quadrature
        weight ``weights[j]`` (default 0, for callers that weigh the gradients themselves).
        ``bar`` advances once a call.

        Yields
        ------
        first_row : int
            The first line the call's points lie on.
        sums : numpy.ndarray
            The weighted gradient sums of lines ``first_row, first_row + 1, ...``.
        scores : numpy.ndarray
            ``F`` at each of the call's points.
        gradients : tf.Tensor
            The gradient at each of the call's points.
        """
        one_batch = compiled_one_batch(self.model, self.output, self.images.ndim - 1)
        rows, alphas = np.asarray(rows, np.int32), np.asarray(alphas, np.float32)
        weights = np.zeros_like(alphas) if weights is None else np.asarray(weights, np.float32)
        for first in range(0, len(rows), self.batch_size):
            batch = slice(first, first + self.batch_size)
            sums, scores, gradients = one_batch(
                *self._tensors, rows[batch], alphas[batch], weights[batch]
            )
            if bar is not None:
                bar.update(1)
            yield int(rows[first]), sums.numpy(), scores.numpy(), gradients

    def unflatten(self, attributions: np.ndarray) -> np.ndarray | object:
        """Attributions in the inputs' structure (of several inputs); else as they are."""
        return attributions if self.structure is None else self.structure.unflatten(attributions)

    def result(
        self,
        row: int,
        attributions: np.ndarray,
        path_scores: np.ndarray,
        rule: IntegrationRule,
        **auto,
    ) -> IntegratedGradientsResult:
        """The result of input ``row``: its attributions, and ``F`` at each node of ``rule``.

        ``auto`` holds what ``m_steps="auto"`` adds (its history and refinement).
        """
        return IntegratedGradientsResult(
            attributions=self.unflatten(attributions),
            target=int(self.targets[row]),
            method=rule.name,
            m_steps=rule.m_steps,
            num_evaluations=rule.num_evaluations,
            batch_size=self.batch_size,
            output=self.output,
            score_at_input=float(self.scores_at_input[row]),
            score_at_baseline=float(self.scores_at_baseline[row]),
            alphas=rule.alphas.copy(),
            path_scores=path_scores,
            **auto,
        )


def prepare_ends(
    model: Model,
    inputs: np.ndarray | tf.Tensor | Sequence,
    targets: int | str | Sequence[int | str],
    baselines: str | np.ndarray | tf.Tensor | Sequence | None = None,
    *,
    output: str,
    batch_size: int | str | None,
    one: bool = False,
) -> PathEnds:
    """Check the inputs of the attributions, resolve targets and batch size, ``F`` at both ends.

    ``inputs`` is a batch ``(n, ...)`` (or a sequence of inputs of one shape), or with ``one``
    a single input; several inputs of a model (a tuple or dict, :mod:`ig_tutorial.models.
    several_inputs`) become one flat vector each. ``targets`` and ``baselines`` are one for all
    or one per input (:func:`~ig_tutorial.ig.baselines.baselines_for`). ``F`` at every end
    comes from batched forward passes, which also tell the number of classes.

    Raises
    ------
    ValueError
        As :func:`ig_tutorial.integrated_gradients`, for the first input at fault.

    Warns
    -----
    UserWarning
        When a probability hardly differs between an input and its baseline in float32.
    """
    one_of(output, TARGET_OUTPUTS, "output")
    structure = None
    if is_structure(inputs, batched=not one):
        model, structure, images, baselines = _flattened(model, inputs, baselines, one)
    elif one:
        images = one_input(inputs, "image", declared_input_shape(model)).numpy()[np.newaxis]
    else:
        images = input_batch(inputs, "images", declared_input_shape(model))
    baselines = baselines_for(baselines, images).astype(np.float32)
    one_input(baselines[0], "baseline") if one else input_batch(baselines, "baselines")
    batch_size = resolve_batch_size(model, batch_size, images.shape[1:], output)
    targets = resolve_targets(model, images, targets, batch_size, name="images")
    # F at both ends, interleaved (x'_0, x_0, x'_1, ...), at least two inputs a call.
    ends = np.stack([baselines, images], axis=1).reshape(-1, *images.shape[1:])
    twice, per_call = np.repeat(targets, 2), max(batch_size, 2)
    calls = [
        scores_at(model, ends[first : first + per_call], twice[first : first + per_call], output)
        for first in range(0, len(ends), per_call)
    ]
    if output == "probability":  # refuses a linear head's, naming what to pass instead
        head_of(model).probability_kind(calls[0][0])
    for target in dict.fromkeys(targets.tolist()):  # the first one at fault, in input order
        class_index(target, calls[0][0])
    scores = np.concatenate([call[1] for call in calls]).astype(np.float64)
    if output == "probability":
        logit = np.concatenate([call[2] for call in calls])
        _warn_saturated(scores[0::2], scores[1::2], logit[1::2] - logit[0::2])
    return PathEnds(
        model,
        output,
        batch_size,
        baselines,
        images,
        targets,
        scores[0::2],
        scores[1::2],
        structure,
    )


#: A probability within this of 1 (float32 steps there are 6e-8), or of 0, at both ends of the
#: path, while its logit changes by more than :data:`LOGIT_CHANGE`, has saturated.
SATURATED = 1e-6
LOGIT_CHANGE = 1e-3


def _warn_saturated(at_baseline: np.ndarray, at_input: np.ndarray, logit_change: np.ndarray):
    """Say so when the probability's change is lost in float32 but the logit's is not."""
    pinned = (np.minimum(at_input, at_baseline) >= 1 - SATURATED) | (
        np.maximum(at_input, at_baseline) <= SATURATED
    )  # at 1, or at 0, at both ends
    saturated = pinned & (np.abs(logit_change) > LOGIT_CHANGE)
    flat = np.flatnonzero(saturated)
    if flat.size:
        row = flat[0]
        where = f"input {row}" if at_input.size > 1 else "the input"
        warnings.warn(
            f"the target's probability does not change between the baseline and {where} in "
            f"float32 ({at_baseline[row]:.7f} -> {at_input[row]:.7f}, while its logit changes "
            f"by {logit_change[row]:+.3g}; {flat.size} of {at_input.size} inputs): the softmax "
            "or sigmoid has saturated, so the attributions are about zero and say nothing. "
            "Attribute output='logit' instead.",
            UserWarning,
            stacklevel=4,
        )


def _flattened(model, inputs, baselines, one):
    """Several inputs of a model as flat vectors: the flat model, the structure, and the ends.

    Integer inputs are held fixed: their baseline is the input itself.
    """
    batch = (
        tf.nest.map_structure(lambda leaf: np.asarray(leaf)[np.newaxis], inputs) if one else inputs
    )
    batch = leaf_batches(batch, "images")
    structure = InputStructure.of(batch)
    images = input_batch(structure.flatten(batch), "images")
    if baselines is None:
        baselines = tf.nest.map_structure(lambda _: None, batch)
    try:
        per_leaf = tf.nest.map_structure(baselines_for, baselines, batch)
    except (ValueError, TypeError) as error:
        if "structure" not in str(error):
            raise
        raise ValueError(
            f"baseline must have the inputs' structure (None for zeros, or one baseline per "
            f"input of the model), got {baselines!r}."
        ) from None
    baselines = structure.flatten(per_leaf, "baseline")
    baselines[:, structure.fixed] = images[:, structure.fixed]
    return flat_model(model, structure), structure, images, baselines
