r"""Guided Integrated Gradients: a path that moves the least important features first.

Taught in ``notebooks/13_evaluating_attributions.py``. Integrated Gradients (Sundararajan et al.,
2017, arXiv:1703.01365) walks the straight line from the baseline ``x'`` to the input ``x``, and
on the way passes images where the model's gradient is large in directions that have nothing to
do with the input (noise in the attributions). Guided IG (Kapishnikov, Venugopalan, Avci, Wedin,
Terry & Bolukbasi, 2021, "Guided Integrated Gradients: an Adaptive Path Method for Removing
Noise", CVPR, arXiv:2106.09788, Algorithm 1) chooses the path as it goes: at each step it moves
only the features whose gradient is smallest in magnitude (a ``fraction`` of them at a time), so
the path keeps away from where the score is sensitive until it has to go there.

Step ``k`` of ``steps`` brings the L1 distance to the input down to
:math:`(1 - (k+1)/N) \, \|x - x'\|_1`. Every feature stays between the baseline and the input,
at most ``max_dist`` (in units of the straight line's alpha) ahead of or behind the straight
line: one that fell behind is first pulled up to ``alpha - max_dist``, and one that reached
``alpha + max_dist`` is not moved again in this step. The attribution is the left Riemann sum
along the path, :math:`\sum_k \nabla F(p_k) \odot (p_{k+1} - p_k)`, one gradient evaluation
per step; like every path method it adds up to :math:`F(x) - F(x')` up to that sum's error.

Two settings reduce the path to the straight line, and Guided IG to IG with the left Riemann
rule and ``m_steps = steps``: ``max_dist=0`` (no feature may leave the line) and ``fraction=1``
(every feature moves at once, all by the same share of its way).

This follows PAIR saliency's ``saliency.core.GuidedIG`` (0.2.1, ``guided_ig.py``) operation by
operation, in ``float64``, so the path and the attributions equal its ``GetMask`` to float
rounding at equal settings and equal gradients (``tests/test_guided_ig.py``). Deviations: the
gradients come through the one seam, :func:`ig_tutorial.ig.gradients.compiled_gradients`, of
the package's score (the target's probability by default); a step that cannot move (a NaN
gradient) raises instead of looping for ever; the attributions are returned as ``float32``, like
every other method's. The path's ends and their scores come from
:func:`ig_tutorial.ig.path_integral.prepare_path`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import tensorflow as tf
from tqdm import std

from ig_tutorial.checks import one_of, positive_integer, unit_fraction
from ig_tutorial.ig.baselines import baseline_for
from ig_tutorial.ig.gradients import DEFAULT_OUTPUT, TARGET_OUTPUTS, Model, compiled_gradients
from ig_tutorial.ig.path_integral import PathEnds, prepare_path
from ig_tutorial.ig.path_methods import PathIntegratedGradientsResult
from ig_tutorial.progress import batches_bar

#: How close (relative and absolute) a step's L1 distance must come to its goal, as in saliency.
L1_TOLERANCE = 1e-9


class GuidedStep(NamedTuple):
    """One step of the Guided IG path, from ``p_k`` to ``p_{k+1}``.

    Attributes
    ----------
    gradient : numpy.ndarray
        ``dF/dx`` at ``p_k``, ``float64``, the shape of the input.
    score : float
        ``F(p_k)``.
    change : numpy.ndarray
        ``p_{k+1} - p_k``, ``float64``.
    """

    gradient: np.ndarray
    score: float
    change: np.ndarray


def check_guided_settings(steps: int, fraction: float, max_dist: float) -> tuple[int, float, float]:
    """Return Guided IG's settings checked.

    Raises
    ------
    ValueError
        If ``steps`` is not a positive integer, ``fraction`` is not in ``(0, 1]`` or
        ``max_dist`` not in ``[0, 1]``.
    """
    return (
        positive_integer(steps, "steps"),
        unit_fraction(fraction, "fraction", "the share of the features moved at a time"),
        unit_fraction(
            max_dist,
            "max_dist",
            "how far, in alpha, the path may leave the straight line; 1 for no bound",
            allow_zero=True,
        ),
    )


def guided_path_steps(
    ends: PathEnds,
    steps: int,
    fraction: float,
    max_dist: float,
    *,
    bar: std.tqdm | None = None,
) -> Iterator[GuidedStep]:
    """Walk the Guided IG path from ``ends.baseline`` to ``ends.image``, one step at a time.

    Each step evaluates the gradient at the current point (one model call, one input) and then
    moves the point (:func:`next_guided_point`); after ``steps`` steps it is at the input.

    Parameters
    ----------
    ends : PathEnds
        The checked ends, target and score, from
        :func:`ig_tutorial.ig.path_integral.prepare_path`.
    steps, fraction, max_dist
        As for :func:`guided_integrated_gradients`, already checked.
    bar : tqdm, optional
        Advanced once per step.

    Yields
    ------
    GuidedStep
        The gradient and score at the step's start, and the step.
    """
    gradients_of = compiled_gradients(ends.model, ends.output, ends.image.shape.rank)
    target = tf.constant([ends.target], tf.int32)
    baseline = ends.baseline.numpy().astype(np.float64)
    image = ends.image.numpy().astype(np.float64)
    point = baseline.copy()
    total_l1 = _l1_distance(image, baseline)
    for step in range(steps):
        gradients, scores = gradients_of(tf.constant(point[np.newaxis], tf.float32), target)
        if bar is not None:
            bar.update(1)
        gradient = gradients[0].numpy().astype(np.float64)
        if total_l1 == 0:  # the input is the baseline: there is no path to walk
            following = point
        else:
            following = next_guided_point(
                point, gradient, baseline, image, step, steps, fraction, max_dist, total_l1
            )
        yield GuidedStep(gradient, float(scores[0]), following - point)
        point = following


def next_guided_point(
    point: np.ndarray,
    gradient: np.ndarray,
    baseline: np.ndarray,
    image: np.ndarray,
    step: int,
    steps: int,
    fraction: float,
    max_dist: float,
    total_l1: float,
) -> np.ndarray:
    """Step ``step`` of Guided IG (Kapishnikov et al., 2021, Algorithm 1): the next point.

    Parameters
    ----------
    point : numpy.ndarray
        The path's current point ``p_k``, ``float64``.
    gradient : numpy.ndarray
        ``dF/dx`` at ``point``.
    baseline, image : numpy.ndarray
        The straight line's ends ``x'`` and ``x``, ``float64``.
    step, steps : int
        This step's index ``k`` (from 0) and the number of steps.
    fraction, max_dist : float
        As for :func:`guided_integrated_gradients`.
    total_l1 : float
        ``||x - x'||_1``, not 0.

    Returns
    -------
    numpy.ndarray
        ``p_{k+1}``, at L1 distance ``(1 - (k + 1) / steps) * total_l1`` from the input.

    Raises
    ------
    RuntimeError
        If no feature can move although the goal is not reached (a NaN gradient).
    """
    alpha = (step + 1.0) / steps
    # The band around the straight line's point at alpha that every feature must stay in.
    low, high = max(alpha - max_dist, 0.0), min(alpha + max_dist, 1.0)
    lowest, highest = _on_line(low, baseline, image), _on_line(high, baseline, image)
    goal_l1 = total_l1 * (1 - (step + 1) / steps)
    moving = image != baseline
    span = np.where(moving, image - baseline, 1.0)
    # Magnitudes of the gradient; a feature that reached the band's top is set to infinity, so
    # that it is never among the smallest again in this step.
    magnitude = np.abs(gradient)
    point = point.copy()
    while True:
        # Features left behind the band jump to its bottom (a feature equal in x and x' is
        # never behind: it sits on the line at every alpha).
        behind = moving & ((point - baseline) / span < low)
        point[behind] = lowest[behind]
        current_l1 = _l1_distance(point, image)
        if math.isclose(goal_l1, current_l1, rel_tol=L1_TOLERANCE, abs_tol=L1_TOLERANCE):
            return point
        magnitude[point == highest] = np.inf
        threshold = np.quantile(magnitude, fraction, method="lower")
        selected = (magnitude <= threshold) & (magnitude != np.inf)
        # How much L1 distance the selected features can cover before they reach the band's top.
        reachable_l1 = (np.abs(point - highest) * selected).sum()
        if reachable_l1 == 0 or current_l1 < goal_l1:
            raise RuntimeError(
                f"Guided IG step {step} cannot reach its L1 distance {goal_l1} from "
                f"{current_l1}; is the gradient finite? The largest |gradient| is "
                f"{np.max(np.abs(gradient))}."
            )
        share = (current_l1 - goal_l1) / reachable_l1
        if share > 1.0:
            # Not enough: move the selected features all the way to the top, and select again.
            point[selected] = highest[selected]
        else:
            point[selected] = (point + (highest - point) * share)[selected]
            return point


def _on_line(alpha: float, baseline: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The straight line's point at ``alpha``: ``x' + (x - x') alpha``."""
    return baseline + (image - baseline) * alpha


def _l1_distance(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.abs(first - second).sum())


def guided_integrated_gradients(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    baseline: str | tf.Tensor | np.ndarray | None = None,
    steps: int = 200,
    fraction: float = 0.25,
    max_dist: float = 0.02,
    output: str = DEFAULT_OUTPUT,
    progress: bool = False,
) -> PathIntegratedGradientsResult:
    """Guided IG: attributions along an adaptive path that moves low-gradient features first.

    At each of ``steps`` steps the gradient is evaluated once at the current point and the
    ``fraction`` of the features with the smallest ``|gradient|`` move toward the input, until
    the L1 distance to the input has shrunk by ``||x - x'||_1 / steps``; no feature strays more
    than ``max_dist`` (in alpha) from the straight line. The attributions are the left Riemann
    sum of the gradient times the path's change. Taught in
    ``notebooks/13_evaluating_attributions.py``.

    The path is sequential: ``steps`` model calls of one input each (no batching), plus one
    forward pass for the scores at both ends. The left Riemann sum along a path that moves
    few features at a time converges slowly where the score changes fast (on the bundled
    ReLU6 model, far from completeness at the default 200 steps), so check the result's
    ``relative_completeness_error``; :func:`ig_tutorial.ig.idgi.idgi` with
    ``path="guided"`` meets completeness on the same path. Equal to PAIR saliency's
    ``GuidedIG().GetMask(x, ..., x_baseline, x_steps=steps, fraction, max_dist)`` to float
    rounding, given the same score's gradients (see the module's notes for the deviations).

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits, e.g. from :func:`ig_tutorial.load_model`.
    image : tensor or array
        The input ``x``, shape ``(height, width, channels)`` (or a feature vector).
    target : int or str
        Class index, label name, or ``"top-1"``.
    baseline : str, tensor or array, optional
        Where the path starts: a name of :data:`ig_tutorial.BASELINES` or an image of the
        input's shape. Default black (all zeros).
    steps : int, default 200
        Steps of the path (saliency's ``x_steps``), one gradient evaluation each.
    fraction : float, default 0.25
        Share of the features, in ``(0, 1]``, moved at a time (those with the smallest
        ``|gradient|``). ``1`` moves all at once: the straight line.
    max_dist : float, default 0.02
        In ``[0, 1]``: how far, in the straight line's alpha, a feature may run ahead of or
        lag behind it. ``0`` is the straight line (IG with the left Riemann rule); ``1`` leaves
        the path free within the box between ``x'`` and ``x``.
    output : {"probability", "logit"}, default "probability"
        The attributed score ``F``.
    progress : bool, default False
        Show a progress bar over the steps.

    Returns
    -------
    PathIntegratedGradientsResult
        ``method="guided_ig"``, ``batch_size=1``, ``num_evaluations=steps``; ``path_parameters``
        the share ``k / steps`` of the L1 distance covered at each point ``p_k``;
        ``path_scores`` ``F`` at each, with the ends' scores from the forward pass of
        :func:`~ig_tutorial.ig.path_integral.prepare_path` (``F(x)`` is not evaluated on the
        path: its gradient is not needed); ``path_start`` the baseline.

    Raises
    ------
    ValueError
        If ``steps`` is not a positive integer, ``fraction`` is not in ``(0, 1]``, ``max_dist``
        not in ``[0, 1]``, the baseline is an unknown name or its shape differs from the
        input's, and as :func:`ig_tutorial.integrated_gradients` for the other arguments.

    References
    ----------
    Kapishnikov, Venugopalan, Avci, Wedin, Terry & Bolukbasi (2021), Guided Integrated
    Gradients: an Adaptive Path Method for Removing Noise, CVPR, arXiv:2106.09788.

    Examples
    --------
    >>> guided = guided_integrated_gradients(model, read_image("coffee"), "espresso")
    >>> print(guided.completeness_report())
    """
    steps, fraction, max_dist = check_guided_settings(steps, fraction, max_dist)
    one_of(output, TARGET_OUTPUTS, "output")
    baseline = baseline_for(baseline, tf.convert_to_tensor(image, tf.float32))
    ends = prepare_path(model, image, target, baseline=baseline, output=output, batch_size=1)
    attributions = np.zeros(ends.image.shape, np.float64)
    path_scores = []
    with batches_bar(steps, 1, desc="Guided IG steps", progress=progress) as bar:
        for gradient, score, change in guided_path_steps(ends, steps, fraction, max_dist, bar=bar):
            attributions += change * gradient
            path_scores.append(score)
    path_scores[0] = ends.score_at_baseline
    path_scores.append(ends.score_at_input)
    return PathIntegratedGradientsResult(
        attributions=attributions.astype(np.float32),
        target=ends.target,
        method="guided_ig",
        num_evaluations=steps,
        batch_size=1,
        output=output,
        score_at_input=ends.score_at_input,
        score_at_baseline=ends.score_at_baseline,
        path_parameters=np.arange(steps + 1) / steps,
        path_scores=np.asarray(path_scores),
        path_start=ends.baseline.numpy(),
    )
