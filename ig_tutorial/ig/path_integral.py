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
from functools import cached_property

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import class_index, input_batch, one_input, one_of, same_shape
from ig_tutorial.ig.batching import resolve_batch_size
from ig_tutorial.ig.gradients import TARGET_OUTPUTS, Model, model_logits, target_scores_of
from ig_tutorial.ig.paths import StraightLines, straight_line
from ig_tutorial.ig.results import ConvergenceStep, IntegratedGradientsResult, LocalRefinement
from ig_tutorial.ig.targets import resolve_targets


@dataclass(frozen=True, eq=False)
class PathBatch(Sequence["PathEnds"]):
    """The checked ends of several attributions' paths, as batches: one model, score, batch size.

    What :func:`prepare_paths` returns. The fixed rules and the refinement read the batches as
    they are (the ends of every input in one array, the targets and scores in others); indexing
    gives one input's :class:`PathEnds`, as a view.

    Attributes
    ----------
    model : callable
        Inputs -> logits.
    baselines, images : numpy.ndarray
        Where each path starts (``x'``) and the input it ends at (``x``), ``float32``, shape
        ``(n, ...)``.
    targets : numpy.ndarray
        Shape ``(n,)``: each attributed class index, checked against the model's classes.
    output : str
        ``"probability"`` or ``"logit"``.
    batch_size : int
        Gradient evaluations per model call.
    scores_at_baseline, scores_at_input : numpy.ndarray
        Shape ``(n,)``: ``F(x')`` and ``F(x)`` of each input.
    """

    model: Model
    baselines: np.ndarray
    images: np.ndarray
    targets: np.ndarray
    output: str
    batch_size: int
    scores_at_baseline: np.ndarray
    scores_at_input: np.ndarray

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, row: int) -> PathEnds:
        if not -len(self) <= row < len(self):
            raise IndexError(f"path {row} of {len(self)}")
        return PathEnds(self, row % len(self))


@dataclass(frozen=True, eq=False)
class PathEnds:
    """The ends of one attribution's path, checked: input ``row`` of a :class:`PathBatch`.

    Attributes
    ----------
    batch : PathBatch
        The batch it belongs to (of one input, for a single attribution).
    row : int
        Its index there.
    model, output, batch_size
        Those of the batch: the model, ``"probability"`` or ``"logit"``, and gradient
        evaluations per model call.
    baseline, image : tf.Tensor
        Where the path starts (``x'``) and the input it ends at (``x``), same shape.
    target : int
        The attributed class index, checked against the model's number of classes.
    score_at_baseline, score_at_input : float
        ``F(x')`` and ``F(x)``.
    """

    batch: PathBatch
    row: int

    @property
    def model(self) -> Model:
        """The model, inputs -> logits."""
        return self.batch.model

    @property
    def output(self) -> str:
        """``"probability"`` or ``"logit"``."""
        return self.batch.output

    @property
    def batch_size(self) -> int:
        """Gradient evaluations per model call."""
        return self.batch.batch_size

    @cached_property
    def baseline(self) -> tf.Tensor:
        """``x'``: where the path starts (made once)."""
        return tf.constant(self.batch.baselines[self.row])

    @cached_property
    def image(self) -> tf.Tensor:
        """``x``: the input the path ends at (made once)."""
        return tf.constant(self.batch.images[self.row])

    @property
    def target(self) -> int:
        """The attributed class index."""
        return int(self.batch.targets[self.row])

    @property
    def score_at_baseline(self) -> float:
        """``F(x')``."""
        return float(self.batch.scores_at_baseline[self.row])

    @property
    def score_at_input(self) -> float:
        """``F(x)``."""
        return float(self.batch.scores_at_input[self.row])

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
    return prepare_paths(
        model, [image], [target], baselines=[baseline], output=output, batch_size=batch_size
    )[0]


def prepare_paths(
    model: Model,
    images: Sequence[tf.Tensor | np.ndarray] | np.ndarray | tf.Tensor,
    targets: Sequence[int | str],
    *,
    baselines: Sequence[tf.Tensor | np.ndarray | None],
    output: str,
    batch_size: int | str | None,
) -> PathBatch:
    """:func:`prepare_path` for several inputs of one shape, with batched forward passes.

    The ``"top-1"`` targets are resolved in one pass over their inputs, and ``F`` at both ends
    of every path in another, ``batch_size`` inputs a call (for one input: one call each).

    Parameters
    ----------
    model, output, batch_size
        As for :func:`ig_tutorial.integrated_gradients`.
    images : sequence of inputs, or an array ``(n, ...)``
        The inputs.
    targets, baselines : sequences, one item per input
        Each input's target (class index, label or ``"top-1"``) and baseline (``None`` for
        black).

    Returns
    -------
    PathBatch
        The inputs in order; ``batch[row]`` is one input's :class:`PathEnds`.

    Raises
    ------
    ValueError
        As :func:`ig_tutorial.integrated_gradients`, for the first input at fault; and if the
        inputs differ in shape.
    """
    one_of(output, TARGET_OUTPUTS, "output")
    baselines, images = _checked_ends(images, baselines)
    batch_size = resolve_batch_size(model, batch_size, tuple(images.shape[1:]), output)
    targets = np.asarray(resolve_targets(model, images, targets, batch_size), np.int64)
    # F at both ends (baseline, input, baseline, ...), batch_size inputs a forward pass: it
    # also tells the number of classes.
    ends = np.stack([baselines, images], axis=1).reshape(-1, *images.shape[1:])
    per_call = max(batch_size, 2)
    logits = tf.concat(
        [
            model_logits(model, ends[first : first + per_call])
            for first in range(0, len(ends), per_call)
        ],
        axis=0,
    )
    for target in dict.fromkeys(targets.tolist()):  # the first one at fault, in input order
        class_index(target, int(logits.shape[-1]))
    scores = target_scores_of(logits, np.repeat(targets, 2), output).numpy().astype(np.float64)
    return PathBatch(
        model, baselines, images, targets, output, batch_size, scores[0::2], scores[1::2]
    )


def _checked_ends(
    images: Sequence[tf.Tensor | np.ndarray] | np.ndarray | tf.Tensor,
    baselines: Sequence[tf.Tensor | np.ndarray | None],
) -> tuple[np.ndarray, np.ndarray]:
    """The baselines and the inputs, checked, as two ``float32`` arrays ``(n, ...)``.

    One input is checked as :func:`ig_tutorial.integrated_gradients` checks it; more inputs
    are checked as one batch, in numpy.
    """
    if len(images) == 1:
        (image,), (baseline,) = images, baselines
        image = one_input(image, "image")
        baseline = tf.zeros_like(image) if baseline is None else one_input(baseline, "baseline")
        same_shape(baseline, image)
        return baseline.numpy()[np.newaxis], image.numpy()[np.newaxis]
    batch = input_batch(images)
    if all(baseline is None for baseline in baselines):
        return np.zeros_like(batch), batch
    if all(baseline is baselines[0] for baseline in baselines):
        shared = one_input(baselines[0], "baseline").numpy()
        same_shape(shared, batch[0])
        return np.broadcast_to(shared, batch.shape), batch
    baseline_batch = input_batch(
        [np.zeros_like(batch[0]) if b is None else b for b in baselines], "baselines"
    )
    same_shape(baseline_batch[0], batch[0])
    return baseline_batch, batch


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
