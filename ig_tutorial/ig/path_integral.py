r"""What every path integral of one attribution shares: its checked ends and their scores.

Integrated Gradients (Sundararajan, Taly & Yan, 2017, arXiv:1703.01365, eq. 1) attributes to
feature ``i``

.. math:: \mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1
          \frac{\partial F(x' + \alpha (x - x'))}{\partial x_i} \, d\alpha ,

and any other path method (section 4 of the paper) integrates along another path with the same
two kinds of end: where it starts (the baseline ``x'``, or for Blur IG the blurred input) and the
input ``x``. :func:`prepare_path` checks the inputs of one attribution once, resolves its target
and batch size and evaluates ``F`` at both ends in one forward pass; the fixed rules of
:mod:`ig_tutorial.ig.integrated_gradients`, the refinement of
:mod:`ig_tutorial.ig.adaptive_steps` and the sampled paths of :mod:`ig_tutorial.ig.path_methods`
only choose their points and sum the gradients that
:func:`ig_tutorial.ig.gradients.gradients_in_batches` returns for them. :func:`build_result`
turns a straight-line estimate into an :class:`~ig_tutorial.ig.results.IntegratedGradientsResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import class_index, input_batch, one_input, one_of, same_shape
from ig_tutorial.ig.batching import resolve_batch_size
from ig_tutorial.ig.gradients import TARGET_OUTPUTS, Model, model_logits, target_scores_of
from ig_tutorial.ig.paths import StraightLines, straight_line
from ig_tutorial.ig.results import ConvergenceStep, IntegratedGradientsResult, LocalRefinement
from ig_tutorial.ig.targets import resolve_targets


@dataclass(frozen=True)
class PathEnds:
    """The ends of one attribution's path, checked, for one model, class, score and batch size.

    Attributes
    ----------
    model : callable
        Inputs -> logits.
    baseline, image : tf.Tensor
        Where the path starts (``x'``) and the input it ends at (``x``), same shape.
    target : int
        The attributed class index, checked against the model's number of classes.
    output : str
        ``"probability"`` or ``"logit"``.
    batch_size : int
        Gradient evaluations per model call.
    score_at_baseline, score_at_input : float
        ``F(x')`` and ``F(x)``.
    """

    model: Model
    baseline: tf.Tensor
    image: tf.Tensor
    target: int
    output: str
    batch_size: int
    score_at_baseline: float
    score_at_input: float

    @property
    def score_difference(self) -> float:
        """``F(x) - F(x')``: what the attributions add up to."""
        return self.score_at_input - self.score_at_baseline

    def straight_line(self, alphas: np.ndarray) -> StraightLines:
        """The points ``x' + alpha (x - x')`` at ``alphas``, computed a batch at a time."""
        return straight_line(self.baseline, self.image, alphas)

    def attributions(self, average_gradient: tf.Tensor) -> tf.Tensor:
        """``(x - x') * average gradient``: IG from the integral's estimate."""
        return (self.image - self.baseline) * average_gradient


def prepare_path(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    baseline: tf.Tensor | np.ndarray | None,
    output: str,
    batch_size: int | str | None,
) -> PathEnds:
    """Check the inputs of one attribution and evaluate ``F`` at both ends of its path.

    Parameters
    ----------
    model, image, target, baseline, output, batch_size
        As for :func:`ig_tutorial.integrated_gradients`; ``baseline`` is where the path starts
        (default black), ``image`` where it ends.

    Returns
    -------
    PathEnds

    Raises
    ------
    ValueError
        As :func:`ig_tutorial.integrated_gradients`.
    """
    (path,) = prepare_paths(
        model, [image], [target], baselines=[baseline], output=output, batch_size=batch_size
    )
    return path


def prepare_paths(
    model: Model,
    images: Sequence[tf.Tensor | np.ndarray],
    targets: Sequence[int | str],
    *,
    baselines: Sequence[tf.Tensor | np.ndarray | None],
    output: str,
    batch_size: int | str | None,
) -> list[PathEnds]:
    """:func:`prepare_path` for several inputs of one shape, with batched forward passes.

    The ``"top-1"`` targets are resolved in one pass over their inputs, and ``F`` at both ends
    of every path in another, ``batch_size`` inputs a call (for one input: one call each).

    Parameters
    ----------
    model, output, batch_size
        As for :func:`ig_tutorial.integrated_gradients`.
    images, targets, baselines : sequences of equal length
        Per input: the input, its target (class index, label or ``"top-1"``) and its baseline
        (``None`` for black).

    Returns
    -------
    list of PathEnds
        One per input, in order.

    Raises
    ------
    ValueError
        As :func:`ig_tutorial.integrated_gradients`, for the first input at fault; and if the
        inputs differ in shape.
    """
    one_of(output, TARGET_OUTPUTS, "output")
    images, baselines = _checked_ends(images, baselines)
    batch_size = resolve_batch_size(model, batch_size, tuple(images[0].shape), output)
    targets = resolve_targets(model, images, targets, batch_size)
    # F at both ends, batch_size inputs a forward pass: it also tells the number of classes.
    ends = tf.stack([end for pair in zip(baselines, images, strict=True) for end in pair])
    logits = tf.concat(
        [
            model_logits(model, ends[first : first + max(batch_size, 2)])
            for first in range(0, len(ends), max(batch_size, 2))
        ],
        axis=0,
    )
    for target in targets:
        class_index(target, int(logits.shape[-1]))
    scores = target_scores_of(logits, np.repeat(targets, 2), output).numpy().tolist()
    return [
        PathEnds(
            model,
            baseline,
            image,
            target,
            output,
            batch_size,
            float(scores[2 * row]),
            float(scores[2 * row + 1]),
        )
        for row, (baseline, image, target) in enumerate(
            zip(baselines, images, targets, strict=True)
        )
    ]


def _checked_ends(
    images: Sequence[tf.Tensor | np.ndarray], baselines: Sequence[tf.Tensor | np.ndarray | None]
) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
    """Each input and its baseline, checked: one by one for one input, as a batch for more."""
    if len(images) == 1:
        (image,), (baseline,) = images, baselines
        image = one_input(image, "image")
        baseline = tf.zeros_like(image) if baseline is None else one_input(baseline, "baseline")
        same_shape(baseline, image)
        return [image], [baseline]
    batch = input_batch(images)
    if all(baseline is None for baseline in baselines):
        baseline_batch = tf.zeros_like(batch)
    elif all(baseline is baselines[0] for baseline in baselines):
        shared = one_input(baselines[0], "baseline")
        same_shape(shared, batch[0])
        baseline_batch = tf.broadcast_to(shared, batch.shape)
    else:
        baseline_batch = input_batch(
            [tf.zeros_like(batch[0]) if b is None else b for b in baselines], "baselines"
        )
        same_shape(baseline_batch[0], batch[0])
    return tf.unstack(batch), tf.unstack(baseline_batch)


def build_result(
    path: PathEnds,
    attributions: np.ndarray,
    *,
    method: str,
    m_steps: int,
    alphas: np.ndarray,
    path_scores: np.ndarray,
    history: tuple[ConvergenceStep, ...] = (),
    refinement: LocalRefinement | None = None,
) -> IntegratedGradientsResult:
    """The result of one straight-line attribution from the estimate of its integral.

    Parameters
    ----------
    path : PathEnds
        The prepared ends.
    attributions : numpy.ndarray
        ``(x - x')`` times the quadrature of the gradient over ``alpha`` in ``[0, 1]``
        (:meth:`PathEnds.attributions`).
    method : str
        Canonical name of the rule.
    m_steps : int
        Sub-intervals of the rule.
    alphas, path_scores : numpy.ndarray
        The nodes and ``F`` at each, sorted by alpha.
    history : tuple of ConvergenceStep, optional
        One row per round of refinement (``m_steps="auto"`` only).
    refinement : LocalRefinement, optional
        Where ``m_steps="auto"`` put its nodes.

    Returns
    -------
    IntegratedGradientsResult
    """
    return IntegratedGradientsResult(
        attributions=attributions,
        target=path.target,
        method=method,
        m_steps=m_steps,
        num_evaluations=int(alphas.size),
        batch_size=path.batch_size,
        output=path.output,
        score_at_input=path.score_at_input,
        score_at_baseline=path.score_at_baseline,
        alphas=alphas,
        path_scores=path_scores,
        estimated_error=history[-1].estimated_error if history else None,
        convergence_history=history,
        refinement=refinement,
    )
