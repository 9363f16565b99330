r"""Guided Integrated Gradients: a path that moves the least important features first.

Taught in ``notebooks/13_evaluating_attributions.py``. On the straight line from ``x'`` to ``x``
Integrated Gradients passes points where the gradient is large in directions that have nothing
to do with the input (noise in the map). Guided IG (Kapishnikov, Venugopalan, Avci, Wedin,
Terry & Bolukbasi, 2021, CVPR, arXiv:2106.09788, Algorithm 1) chooses the path as it goes: each
step moves only the ``fraction`` of the features with the smallest ``|gradient|``, until the L1
distance to the input has shrunk by ``||x - x'||_1 / steps``, and no feature strays more than
``max_dist`` (in alpha) from the straight line. The attribution is the left Riemann sum
:math:`\sum_k \nabla F(p_k) \odot (p_{k+1} - p_k)`. ``max_dist=0`` or ``fraction=1`` give the
straight line: IG with the left Riemann rule.

It follows PAIR saliency's ``GuidedIG`` (0.2.1) operation by operation, in ``float64``, so it
equals its ``GetMask`` to float rounding for equal gradients (``tests/test_guided_ig.py``);
unlike it, a step that cannot move (a NaN gradient) raises instead of looping for ever.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import tensorflow as tf
from tqdm import std

from ig_tutorial.checks import positive_integer, unit_fraction
from ig_tutorial.ig.gradients import DEFAULT_OUTPUT, Model, gradients_at
from ig_tutorial.ig.path_integral import PathEnds, prepare_ends
from ig_tutorial.ig.path_methods import PathIntegratedGradientsResult
from ig_tutorial.ig.paths import interpolate_images
from ig_tutorial.progress import batches_bar

#: How close (relative and absolute) a step's L1 distance must come to its goal, as in saliency.
L1_TOLERANCE = 1e-9


class GuidedStep(NamedTuple):
    """One step of the path: ``dF/dx`` and ``F`` at ``p_k``, and ``p_{k+1} - p_k`` (float64)."""

    gradient: np.ndarray
    score: float
    change: np.ndarray


def check_guided_settings(steps: int, fraction: float, max_dist: float) -> tuple[int, float, float]:
    """Guided IG's settings: ``steps >= 1``, ``fraction`` in (0, 1], ``max_dist`` in [0, 1]."""
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
    """Walk the Guided IG path from the baseline to the input of ``ends`` (one), step by step.

    Each step evaluates the gradient at the current point (one model call, one input) and moves
    the point (:func:`next_guided_point`); after ``steps`` steps it is at the input. ``steps``,
    ``fraction`` and ``max_dist`` are checked already; ``bar`` advances once a step.
    """
    baseline = ends.baselines[0].astype(np.float64)
    image = ends.images[0].astype(np.float64)
    point = baseline.copy()
    total_l1 = _l1_distance(image, baseline)
    for step in range(steps):
        gradients, scores = gradients_at(
            ends.model, point[np.newaxis], ends.targets[0], ends.output
        )
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
    """Step ``step`` of ``steps`` (Algorithm 1): ``p_{k+1}`` from ``p_k`` and its gradient.

    ``p_{k+1}`` lies at L1 distance ``(1 - (k + 1) / steps) * total_l1`` from the input
    (``total_l1 = ||x - x'||_1``, not 0). All arrays are ``float64``.

    Raises
    ------
    RuntimeError
        If no feature can move although the goal is not reached (a NaN gradient).
    """
    alpha = (step + 1.0) / steps
    # The band around the straight line's point at alpha that every feature must stay in.
    low, high = max(alpha - max_dist, 0.0), min(alpha + max_dist, 1.0)
    lowest, highest = interpolate_images(baseline, image, [low, high]).numpy()
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

    Taught in ``notebooks/13_evaluating_attributions.py``. ``steps`` (saliency's ``x_steps``)
    model calls of one point each; ``fraction`` and ``max_dist`` as in the module's text;
    ``baseline`` a name of :data:`ig_tutorial.BASELINES` or an input (default black); the other
    arguments as for :func:`ig_tutorial.integrated_gradients`. The left Riemann sum along a path
    that moves few features at a time converges slowly where the score changes fast, so check
    ``relative_completeness_error``; :func:`ig_tutorial.idgi` with ``path="guided"`` meets
    completeness on the same path.

    Returns
    -------
    PathIntegratedGradientsResult
        ``method="guided_ig"``; ``path_parameters`` the share ``k / steps`` of the L1 distance
        covered at each ``p_k``, ``path_scores`` ``F`` there (the ends' from their forward pass).

    Raises
    ------
    ValueError
        For bad settings, and as :func:`ig_tutorial.integrated_gradients`.
    """
    steps, fraction, max_dist = check_guided_settings(steps, fraction, max_dist)
    ends = prepare_ends(model, image, target, baseline, output=output, batch_size=1, one=True)
    attributions = np.zeros(ends.images.shape[1:], np.float64)
    path_scores = []
    with batches_bar(steps, 1, desc="Guided IG steps", progress=progress) as bar:
        for gradient, score, change in guided_path_steps(ends, steps, fraction, max_dist, bar=bar):
            attributions += change * gradient
            path_scores.append(score)
    path_scores[0] = ends.scores_at_baseline[0]
    path_scores.append(ends.scores_at_input[0])
    return PathIntegratedGradientsResult(
        attributions=attributions.astype(np.float32),
        target=int(ends.targets[0]),
        method="guided_ig",
        num_evaluations=steps,
        batch_size=1,
        output=output,
        score_at_input=float(ends.scores_at_input[0]),
        score_at_baseline=float(ends.scores_at_baseline[0]),
        path_parameters=np.arange(steps + 1) / steps,
        path_scores=np.asarray(path_scores),
        path_start=ends.baselines[0],
    )
