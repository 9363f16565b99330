r"""Integrated Gradients along the straight line, for one input or many, fixed steps or ``"auto"``.

Taught in ``notebooks/05_integration.py``. For an input ``x``, a baseline ``x'`` and a
differentiable score ``F`` (the target's probability), Integrated Gradients (Sundararajan, Taly
& Yan, 2017, "Axiomatic Attribution for Deep Networks", arXiv:1703.01365, eq. 1) attributes

.. math:: \mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1
          \frac{\partial F(x' + \alpha (x - x'))}{\partial x_i} \, d\alpha

to feature ``i``. The integral is a quadrature rule's weighted sum of gradients
(:mod:`ig_tutorial.ig.integration_rules`), with a fixed number of steps or refined until it has
converged (``m_steps="auto"``, :mod:`ig_tutorial.ig.adaptive_steps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_per_input
from ig_tutorial.ig.adaptive_steps import (
    DEFAULT_MAX_STEPS,
    DEFAULT_TOLERANCE,
    check_adaptive_settings,
    integrate_adaptively,
)
from ig_tutorial.ig.gradients import DEFAULT_OUTPUT, Model
from ig_tutorial.ig.integration_rules import DEFAULT_METHOD, IntegrationRule, integration_rule
from ig_tutorial.ig.path_integral import PathEnds, prepare_ends
from ig_tutorial.ig.results import IntegratedGradientsResult, IntegratedGradientsResults
from ig_tutorial.ig.targets import TARGET_HINT
from ig_tutorial.models.several_inputs import is_structure
from ig_tutorial.progress import batches_bar, progress_bar

Input = tf.Tensor | np.ndarray


def integrated_gradients(
    model: Model,
    image: Input,
    target: int | str,
    *,
    baseline: Input | None = None,
    m_steps: int | Literal["auto"] = 50,
    method: str = DEFAULT_METHOD,
    batch_size: int | str | None = None,
    output: str = DEFAULT_OUTPUT,
    progress: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> IntegratedGradientsResult:
    """Integrated Gradients of one input, with its completeness check.

    Taught in ``notebooks/05_integration.py``. The rule's points go through the model
    ``batch_size`` at a time and only their weighted running sum is kept, so memory does not
    grow with ``m_steps``.

    Parameters
    ----------
    model, image, target
        Inputs to logits (e.g. :func:`ig_tutorial.load_model`); ``x``, of any shape the model
        takes, or its several inputs (a tuple, list or dict); a class index, a label or
        ``"top-1"``.
    baseline : tensor or array, optional
        ``x'``, shaped like ``x`` (one per input of several); default black (zeros).
    m_steps : int or "auto", default 50
        The rule's sub-intervals, or ``"auto"``: refine until ``tolerance`` is met (notebook 8).
    method : str, default "riemann_trapezoid"
        The rule, one of :data:`ig_tutorial.INTEGRATION_RULES`.
    batch_size : int or "auto", optional
        Points per model call: speed and memory only (:mod:`ig_tutorial.ig.batching`).
    output : {"probability", "logit"}, default "probability"
        The attributed score ``F``, by the model's head (:mod:`ig_tutorial.models.heads`).
    progress, tolerance, max_steps
        A progress bar; ``"auto"``'s accuracy and its most sub-intervals.
    """
    rule = fixed_rule_or_auto(m_steps, method, tolerance, max_steps)
    ends = prepare_ends(
        model, image, target, baseline, output=output, batch_size=batch_size, one=True
    )
    if rule is None:  # m_steps="auto"
        return integrate_adaptively(ends, tolerance, max_steps, progress=progress)[0]
    average_gradient, path_scores = np.zeros(ends.images.shape[1:], np.float32), []
    rows = np.zeros(rule.num_evaluations, np.int32)  # every point on the one line
    with batches_bar(rows.size, ends.batch_size, desc="IG batches", progress=progress) as bar:
        for _, sums, scores, _ in ends.gradients(rows, rule.alphas, rule.weights, bar=bar):
            average_gradient += sums[0]  # interpolate -> gradients -> weighted sum, in one call
            path_scores.append(scores)
    attributions = (ends.images[0] - ends.baselines[0]) * average_gradient
    return ends.result(0, attributions, np.concatenate(path_scores), rule)


def fixed_rule_or_auto(
    m_steps: int | str, method: str, tolerance: float, max_steps: int
) -> IntegrationRule | None:
    """The quadrature rule of a fixed ``m_steps``, or ``None`` for ``"auto"`` (settings checked).

    Raises
    ------
    ValueError
        For a bad ``m_steps`` or ``method``; with ``"auto"``, a rule other than the trapezoid,
        a ``tolerance`` that is not positive or ``max_steps`` below 32.
    """
    if isinstance(m_steps, str) and m_steps == "auto":
        check_adaptive_settings(method, tolerance, max_steps)
        return None
    return integration_rule(method, m_steps)


def integrate_rule(
    ends: PathEnds, rule: IntegrationRule, *, progress: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Every input's weighted gradient sum over the rule's nodes, and ``F`` at each node.

    The nodes of all inputs form one list of points, cut into calls of ``batch_size`` points
    whatever the inputs: a call may hold part of a photo's nodes, or many table rows whole.
    Returns the sums ``(n, ...)`` and the scores ``(n, nodes)``.
    """
    count, nodes = len(ends), rule.num_evaluations
    rows = np.repeat(np.arange(count), nodes)
    sums = np.zeros(ends.images.shape, np.float32)
    scores = np.empty(rows.size, np.float32)
    first_point = 0
    with batches_bar(rows.size, ends.batch_size, desc="IG batches", progress=progress) as bar:
        for first, call_sums, call_scores, _ in ends.gradients(
            rows, np.tile(rule.alphas, count), np.tile(rule.weights, count), bar=bar
        ):
            sums[first : first + len(call_sums)] += call_sums
            scores[first_point : first_point + len(call_scores)] = call_scores
            first_point += len(call_scores)
    return sums, scores.reshape(count, nodes)


def integrated_gradients_many(
    model: Model,
    images: Sequence[Input] | np.ndarray | tf.Tensor,
    targets: int | str | Sequence[int | str] = "top-1",
    *,
    baseline: Input | Sequence[Input] | None = None,
    m_steps: int | Literal["auto"] = 50,
    method: str = DEFAULT_METHOD,
    batch_size: int | str | None = None,
    output: str = DEFAULT_OUTPUT,
    progress: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> IntegratedGradientsResults:
    """Integrated Gradients of several inputs in one call: their points share the model calls.

    Taught in ``notebooks/09_toolkit.py`` and ``notebooks/10_your_own_model.py``. Each result
    equals :func:`integrated_gradients` on its input alone, to float rounding; a table's rows
    cost little more than their arithmetic. Inputs of different sizes (a list) are attributed
    one at a time.

    Parameters
    ----------
    images : array ``(n, ...)``, sequence of inputs, or a tuple or dict of arrays ``(n, ...)``
        The inputs, e.g. a table's rows ``(n, n_features)``; a model's several inputs as a
        tuple or dict (a list stays a list of separate inputs).
    targets : int, str or sequence, default "top-1"
        One target for all inputs (``"top-1"`` is resolved per input), or one per input.
    baseline : tensor, array or sequence, optional
        One baseline for all inputs, or one per input; default black.
    model, m_steps, method, batch_size, output, progress, tolerance, max_steps
        As for :func:`integrated_gradients`. With ``"auto"`` each input refines to its own
        tolerance and drops out of the calls when done.

    Returns
    -------
    IntegratedGradientsResults
        A list of results that also holds every input's attributions, targets, scores and
        completeness errors as arrays (``results.attributions`` is ``(n, ...)``).
    """
    several = is_structure(images, batched=True)  # a tuple or dict: several inputs of a model
    if not several and (not isinstance(images, (np.ndarray, tf.Tensor)) or len(images.shape) < 2):
        images = list(images)  # an array (n, ...) stays one array: its rows share a shape
    if isinstance(images, list) and len({np.shape(image) for image in images}) > 1:
        options = dict(m_steps=m_steps, method=method, batch_size=batch_size, output=output)
        options.update(tolerance=tolerance, max_steps=max_steps)
        return _one_at_a_time(model, images, targets, baseline, progress, options)
    rule = fixed_rule_or_auto(m_steps, method, tolerance, max_steps)
    if not several and len(images) == 0:
        return IntegratedGradientsResults.from_results([])
    ends = prepare_ends(model, images, targets, baseline, output=output, batch_size=batch_size)
    if rule is None:  # m_steps="auto"
        results = integrate_adaptively(ends, tolerance, max_steps, progress=progress)
        return IntegratedGradientsResults.from_results(results)
    sums, path_scores = integrate_rule(ends, rule, progress=progress)
    attributions = (ends.images - ends.baselines) * sums
    return IntegratedGradientsResults(
        len(ends),
        lambda row: ends.result(row, attributions[row], path_scores[row], rule),
        attributions=ends.unflatten(attributions),
        targets=ends.targets,
        scores_at_input=ends.scores_at_input,
        scores_at_baseline=ends.scores_at_baseline,
    )


def _one_at_a_time(model, images, targets, baseline, progress, options):
    """Inputs of different sizes: :func:`integrated_gradients` on each, in order."""
    targets = one_per_input(
        targets, len(images), "targets", single=(str, int, np.integer), hint=TARGET_HINT
    )
    if not isinstance(baseline, (list, tuple)):
        baseline = [baseline] * len(images)
    baselines = one_per_input(baseline, len(images), "baselines", single=(), hint="baseline")
    work = list(zip(images, targets, baselines, strict=True))
    return IntegratedGradientsResults.from_results(
        integrated_gradients(model, image, target, baseline=each, **options)
        for image, target, each in progress_bar(
            work, desc="IG images", unit="image", disable=not progress, leave=False
        )
    )
