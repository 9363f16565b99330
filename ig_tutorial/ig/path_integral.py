r"""One attribution's integral along the straight line: what fixed and adaptive steps share.

Integrated Gradients (Sundararajan, Taly & Yan, 2017, arXiv:1703.01365, eq. 1) attributes to
feature ``i``

.. math:: \mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1
          \frac{\partial F(x' + \alpha (x - x'))}{\partial x_i} \, d\alpha .

:func:`prepare_path` checks the inputs once and evaluates ``F`` at both ends;
:meth:`StraightPath.weighted_gradient_sum` estimates the integral from any nodes and weights,
batch by batch through :func:`ig_tutorial.ig.gradients.path_gradient_sum`; :func:`build_result`
turns an estimate into an :class:`~ig_tutorial.ig.results.IntegratedGradientsResult`. The fixed
rules of :mod:`ig_tutorial.ig.integrated_gradients` and the refinement of
:mod:`ig_tutorial.ig.adaptive_steps` only choose the nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import tensorflow as tf
from tqdm import std

from ig_tutorial.checks import class_index, one_input, one_of, same_shape
from ig_tutorial.ig.batching import resolve_batch_size
from ig_tutorial.ig.gradients import (
    TARGET_OUTPUTS,
    Model,
    model_logits,
    path_gradient_sum,
    path_gradients,
    target_scores,
)
from ig_tutorial.ig.results import ConvergenceStep, IntegratedGradientsResult, LocalRefinement
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.progress import progress_bar


@dataclass(frozen=True)
class StraightPath:
    """The straight line from ``baseline`` to ``image`` for one model, class and score.

    Attributes
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    baseline, image : tf.Tensor
        The path's ends, ``(height, width, channels)``.
    target : int
        The attributed class index, checked against the model's number of classes.
    output : str
        ``"probability"`` or ``"logit"``.
    batch_size : int
        Gradient evaluations per model call.
    score_at_baseline, score_at_input : float
        ``F(x')`` and ``F(x)``.
    progress_bar : tqdm.std.tqdm
        Advanced once per model call (disabled unless asked for).
    """

    model: Model
    baseline: tf.Tensor
    image: tf.Tensor
    target: int
    output: str
    batch_size: int
    score_at_baseline: float
    score_at_input: float
    progress_bar: std.tqdm

    @property
    def score_difference(self) -> float:
        """``F(x) - F(x')``: what the attributions add up to."""
        return self.score_at_input - self.score_at_baseline

    def weighted_gradient_sum(
        self, alphas: np.ndarray, weights: np.ndarray
    ) -> tuple[tf.Tensor, np.ndarray]:
        """``sum_k weights[k] * dF/dx(x' + alphas[k] (x - x'))`` in batches, and ``F`` at each."""
        total = tf.zeros_like(self.image)
        path_scores = []
        for start in range(0, alphas.size, self.batch_size):
            stop = start + self.batch_size
            batch_sum, scores = path_gradient_sum(
                self.model,
                self.baseline,
                self.image,
                alphas[start:stop],
                weights[start:stop],
                self.target,
                self.output,
            )
            total += batch_sum
            path_scores.append(scores.numpy())
            self.progress_bar.update(1)
        return total, np.concatenate(path_scores)

    def gradients_at(self, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``dF/dx`` and ``F`` at each of ``alphas``, one model call per ``batch_size`` of them.

        Returns
        -------
        gradients : numpy.ndarray
            ``float32``, shape ``(len(alphas), height, width, channels)``.
        scores : numpy.ndarray
            ``float64``, shape ``(len(alphas),)``.
        """
        gradients, scores = [], []
        for start in range(0, alphas.size, self.batch_size):
            batch_gradients, batch_scores = path_gradients(
                self.model,
                self.baseline,
                self.image,
                alphas[start : start + self.batch_size],
                self.target,
                self.output,
            )
            gradients.append(batch_gradients.numpy())
            scores.append(batch_scores.numpy().astype(np.float64))
            self.progress_bar.update(1)
        return np.concatenate(gradients), np.concatenate(scores)

    def attributions(self, average_gradient: tf.Tensor) -> tf.Tensor:
        """``(x - x') * average gradient``: IG from the integral's estimate."""
        return (self.image - self.baseline) * average_gradient


class PathIntegral(NamedTuple):
    """An estimate of the path integral and where it was evaluated.

    Attributes
    ----------
    average_gradient : tf.Tensor
        The quadrature of the gradient over ``alpha`` in ``[0, 1]``.
    method : str
        Canonical name of the rule.
    m_steps : int
        Sub-intervals of the rule.
    alphas, path_scores : numpy.ndarray
        The nodes and ``F`` at each, sorted by alpha.
    history : tuple of ConvergenceStep
        One row per round of refinement (adaptive steps only).
    refinement : LocalRefinement or None
        Where the adaptive steps put their nodes (adaptive steps only).
    """

    average_gradient: tf.Tensor
    method: str
    m_steps: int
    alphas: np.ndarray
    path_scores: np.ndarray
    history: tuple[ConvergenceStep, ...] = ()
    refinement: LocalRefinement | None = None


def prepare_path(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    baseline: tf.Tensor | np.ndarray | None,
    output: str,
    batch_size: int | str | None,
    progress: bool,
    total_evaluations: int | None = None,
) -> StraightPath:
    """Check the inputs of one attribution and evaluate ``F`` at both ends of its path.

    Parameters
    ----------
    model, image, target, baseline, output, batch_size, progress
        As for :func:`ig_tutorial.integrated_gradients`.
    total_evaluations : int, optional
        The number of gradient evaluations, when known in advance, for the progress bar.

    Returns
    -------
    StraightPath

    Raises
    ------
    ValueError
        As :func:`ig_tutorial.integrated_gradients`.
    """
    one_of(output, TARGET_OUTPUTS, "output")
    image = one_input(image, "image")
    baseline = tf.zeros_like(image) if baseline is None else one_input(baseline, "baseline")
    same_shape(baseline, image)
    batch_size = resolve_batch_size(model, batch_size, tuple(image.shape), output)
    target = resolve_target(model, image, target)
    # F at both ends, one forward pass: it also tells the number of classes for validation.
    end_logits = model_logits(model, tf.stack([baseline, image]))
    class_index(target, int(end_logits.shape[-1]))
    score_at_baseline, score_at_input = target_scores(end_logits, target, output).numpy().tolist()
    total_batches = None if total_evaluations is None else -(-total_evaluations // batch_size)
    bar = progress_bar(
        total=total_batches, desc="IG batches", unit="batch", disable=not progress, leave=False
    )
    return StraightPath(
        model,
        baseline,
        image,
        target,
        output,
        batch_size,
        float(score_at_baseline),
        float(score_at_input),
        bar,
    )


def build_result(path: StraightPath, integral: PathIntegral) -> IntegratedGradientsResult:
    """The result of one attribution from its path and its integral's estimate."""
    history = integral.history
    return IntegratedGradientsResult(
        attributions=path.attributions(integral.average_gradient).numpy(),
        target=path.target,
        method=integral.method,
        m_steps=integral.m_steps,
        num_evaluations=int(integral.alphas.size),
        batch_size=path.batch_size,
        output=path.output,
        score_at_input=path.score_at_input,
        score_at_baseline=path.score_at_baseline,
        alphas=integral.alphas,
        path_scores=integral.path_scores,
        estimated_error=history[-1].estimated_error if history else None,
        convergence_history=history,
        refinement=integral.refinement,
    )
