r"""Integrated Gradients along the straight line, with a fixed number of steps or ``"auto"``.

Taught in ``notebooks/05_integration.py``. For an input ``x``, a baseline ``x'`` and a
differentiable score ``F`` (the target class probability), Integrated Gradients (Sundararajan,
Taly & Yan, 2017, "Axiomatic Attribution for Deep Networks", ICML, arXiv:1703.01365, eq. 1)
attributes to feature ``i``

.. math:: \mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1
          \frac{\partial F(x' + \alpha (x - x'))}{\partial x_i} \, d\alpha .

The integral is estimated by a quadrature rule (:mod:`ig_tutorial.ig.integration_rules`) with a
fixed number of steps (:func:`integrate_fixed_steps`), or refined until it has converged
(``m_steps="auto"``, :mod:`ig_tutorial.ig.adaptive_steps`). Both start from the checked ends of
:func:`ig_tutorial.ig.path_integral.prepare_path` and take their gradients from the one seam,
:func:`ig_tutorial.ig.gradients.gradients_in_batches`; the completeness check of the result is
in :mod:`ig_tutorial.ig.results`.
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
from ig_tutorial.ig.gradients import (
    DEFAULT_OUTPUT,
    Model,
    gradients_in_batches,
    line_sums_in_batches,
)
from ig_tutorial.ig.integration_rules import DEFAULT_METHOD, IntegrationRule, integration_rule
from ig_tutorial.ig.path_integral import PathBatch, PathEnds, build_result, prepare_paths
from ig_tutorial.ig.paths import StraightLines
from ig_tutorial.ig.results import IntegratedGradientsResult, IntegratedGradientsResults
from ig_tutorial.progress import batches_bar, progress_bar

#: The fewest inputs a call must hold whole for :func:`integrate_fixed_steps` to fill its calls
#: with whole inputs (so that less than a fifth of each call's ``batch_size`` points is left
#: empty); fewer, and the nodes are walked in order, ``batch_size`` points every call.
WHOLE_INPUTS_PER_CALL = 4

#: How a single target is called in the messages of the many-input calls.
TARGET_HINT = "target (e.g. 'top-1')"


def integral_approximation(gradients: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """Weighted sum of path gradients: the quadrature of the IG integral.

    With the trapezoid weights of :func:`ig_tutorial.integration_rule` this equals the tutorial's
    ``tf.math.reduce_mean((gradients[:-1] + gradients[1:]) / 2.0, axis=0)``. Taught in
    ``notebooks/05_integration.py``.

    Parameters
    ----------
    gradients : tf.Tensor
        Shape ``(n, ...)``, one gradient per alpha.
    weights : tf.Tensor
        Shape ``(n,)``, the rule's weights (or ``(k, n)``: ``k`` weighted sums at once).

    Returns
    -------
    tf.Tensor
        Shape ``(...)`` (or ``(k, ...)``): the average gradient along the path.
    """
    weights = tf.convert_to_tensor(weights, gradients.dtype)
    return tf.tensordot(weights, gradients, axes=1)


def integrate_fixed_steps(
    paths: PathBatch, rule: IntegrationRule, *, progress: bool = False
) -> IntegratedGradientsResults:
    """Integrated Gradients by one quadrature rule: every node, in batches, as a running sum.

    Memory holds one batch of ``batch_size`` points and their gradients, and one running sum
    per input, however many nodes and inputs there are. Two ways to fill the calls:

    * **small inputs** (a table row, a digit: a call holds at least
      :data:`WHOLE_INPUTS_PER_CALL` inputs' nodes): ``batch_size // nodes`` inputs whole a
      call, their points made, differentiated and summed per input inside one compiled call
      (:func:`ig_tutorial.ig.gradients.line_sums_in_batches`), so the inputs stay one array
      from the checks to the sums and nothing is done per input in Python;
    * **otherwise** (one input, a photo): every input's nodes in order, ``batch_size`` points a
      call (one call may end one input's nodes and start the next one's), each call's
      gradients weighed and added to their input's sum at once.

    Parameters
    ----------
    paths : PathBatch
        The prepared ends (see :func:`ig_tutorial.ig.path_integral.prepare_paths`).
    rule : IntegrationRule
        The nodes and weights.
    progress : bool, default False
        Show a progress bar over batches.

    Returns
    -------
    IntegratedGradientsResults
        One per input, each made when first indexed.
    """
    count, nodes = len(paths), rule.num_evaluations
    totals = np.zeros(paths.images.shape, np.float32)
    path_scores = np.empty((count, nodes), np.float32)
    inputs_per_call = paths.batch_size // nodes
    if count > 1 and inputs_per_call >= WHOLE_INPUTS_PER_CALL:  # whole inputs, summed there
        with batches_bar(count, inputs_per_call, desc="IG batches", progress=progress) as bar:
            for first, sums, scores in line_sums_in_batches(
                paths.model,
                paths.baselines,
                paths.images,
                rule.alphas,
                rule.weights,
                paths.targets,
                paths.output,
                inputs_per_call,
                bar=bar,
            ):
                totals[first : first + len(sums)] = sums.numpy()
                path_scores[first : first + len(sums)] = scores.numpy()
    else:  # one input, or inputs of more points than a call holds: the nodes in order
        _sum_nodes_in_order(paths, rule, totals, path_scores.reshape(-1), progress)
    attributions = (paths.images - paths.baselines) * totals
    return IntegratedGradientsResults(
        count,
        lambda row: _rule_result(paths[row], rule, attributions[row], path_scores[row]),
        attributions=attributions,
        targets=paths.targets,
        scores_at_input=paths.scores_at_input,
        scores_at_baseline=paths.scores_at_baseline,
    )


def _sum_nodes_in_order(
    paths: PathBatch,
    rule: IntegrationRule,
    totals: np.ndarray,
    path_scores: np.ndarray,
    progress: bool,
) -> None:
    """Walk every input's nodes in order, ``batch_size`` a call, into ``totals`` and the scores.

    One call may end one input's nodes and start the next one's; a call of one input's nodes
    is summed as the tutorial sums them (:func:`integral_approximation`).
    """
    nodes = rule.num_evaluations
    rows = np.repeat(np.arange(len(paths)), nodes)
    line = StraightLines(paths.baselines, paths.images, rows, np.tile(rule.alphas, len(paths)))
    point_weights = np.tile(rule.weights, len(paths)).astype(np.float32)
    with batches_bar(rows.size, paths.batch_size, desc="IG batches", progress=progress) as bar:
        for first, gradients, scores in gradients_in_batches(
            paths.model, line, paths.targets[rows], paths.output, paths.batch_size, bar=bar
        ):
            stop = first + len(scores)
            path_scores[first:stop] = scores.numpy()
            lowest, highest = rows[first], rows[stop - 1]
            if lowest == highest:  # one input's nodes (always so for a single input)
                total = integral_approximation(gradients, point_weights[first:stop])
                totals[lowest] += total.numpy()
            else:  # the call ends one input's nodes and starts the next ones'
                weighted = np.asarray(gradients) * point_weights[first:stop].reshape(
                    (-1,) + (1,) * (gradients.shape.rank - 1)
                )
                starts = np.flatnonzero(np.diff(rows[first:stop], prepend=-1))
                totals[lowest : highest + 1] += np.add.reduceat(weighted, starts, axis=0)


def _rule_result(
    path: PathEnds, rule: IntegrationRule, attributions: np.ndarray, path_scores: np.ndarray
) -> IntegratedGradientsResult:
    """The result of one input by one fixed rule, from its attributions and ``F`` at its nodes."""
    return build_result(
        path,
        attributions,
        method=rule.name,
        m_steps=rule.m_steps,
        alphas=rule.alphas.copy(),
        path_scores=path_scores,
    )


def distinct_nodes(rules: Sequence[IntegrationRule]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct nodes of several rules, and where each rule's nodes are among them.

    Returns
    -------
    nodes : numpy.ndarray
        The distinct alphas, ascending (two that differ only by rounding, such as ``1/3`` of
        two grids, are one).
    node_of : numpy.ndarray
        For each alpha of the rules, concatenated in order, its index in ``nodes``.
    """
    alphas = np.concatenate([rule.alphas for rule in rules])
    _, first, node_of = np.unique(np.round(alphas, 12), return_index=True, return_inverse=True)
    return alphas[first], node_of


def integrate_rules_together(
    path: PathEnds, rules: Sequence[IntegrationRule], *, progress: bool = False
) -> list[IntegratedGradientsResult]:
    """Integrated Gradients of one input by several quadrature rules, sharing their nodes.

    Rules at several step counts share many nodes: the left, right and trapezoid Riemann sums
    at ``m`` steps use the same ``m + 1`` points, the midpoints at ``m`` steps are nodes of the
    trapezoid at ``2 m``, and a grid of ``m`` steps holds every grid of a divisor of ``m``.
    Each distinct node's gradient is evaluated once, ``batch_size`` points a model call, and
    every rule's weighted sum is accumulated from each batch at once (memory: one image-sized
    sum per rule, and one batch of gradients). Each result equals
    :func:`integrate_fixed_steps`' for its rule to float rounding (the sums group
    differently) and reports that rule's own nodes and evaluations.

    Parameters
    ----------
    path : PathEnds
        The prepared ends of the input (:func:`ig_tutorial.ig.path_integral.prepare_path`).
    rules : sequence of IntegrationRule
        The rules, each with its own step count.
    progress : bool, default False
        Show a progress bar over batches.

    Returns
    -------
    list of IntegratedGradientsResult
        One per rule, in order.
    """
    nodes, node_of = distinct_nodes(rules)
    bounds = np.cumsum([0] + [rule.num_evaluations for rule in rules])
    weights = np.zeros((len(rules), nodes.size))
    for row, rule in enumerate(rules):
        np.add.at(weights[row], node_of[bounds[row] : bounds[row + 1]], rule.weights)
    weights = weights.astype(np.float32)
    totals = np.zeros((len(rules), *path.image.shape), np.float32)
    scores = np.empty(nodes.size, np.float32)
    with batches_bar(nodes.size, path.batch_size, desc="IG batches", progress=progress) as bar:
        for first, gradients, batch_scores in gradients_in_batches(
            path.model,
            path.straight_line(nodes),
            path.target,
            path.output,
            path.batch_size,
            bar=bar,
        ):
            stop = first + len(batch_scores)
            scores[first:stop] = batch_scores.numpy()
            totals += integral_approximation(gradients, weights[:, first:stop]).numpy()
    attributions = path.attributions(totals).numpy()
    return [
        _rule_result(path, rule, attributions[row], scores[node_of[bounds[row] : bounds[row + 1]]])
        for row, rule in enumerate(rules)
    ]


def integrated_gradients(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    baseline: tf.Tensor | np.ndarray | None = None,
    m_steps: int | Literal["auto"] = 50,
    method: str = DEFAULT_METHOD,
    batch_size: int | str | None = None,
    output: str = DEFAULT_OUTPUT,
    progress: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> IntegratedGradientsResult:
    """Compute Integrated Gradients attributions for one image.

    Gradients are evaluated in batches of ``batch_size`` points and accumulated as a weighted
    running sum, so memory stays flat however large ``m_steps`` is.

    Parameters
    ----------
    model : callable
        Maps images in ``[0, 1]`` ``(n, height, width, channels)`` (or feature vectors
        ``(n, n_features)``) to logits ``(n, num_classes)``, e.g. from
        :func:`ig_tutorial.load_model`.
    image : tf.Tensor or numpy.ndarray
        The input ``x``, shape ``(height, width, channels)``, e.g. from
        :func:`ig_tutorial.read_image`, or one row of a table, ``(n_features,)`` (taught in
        ``notebooks/10_your_own_model.py``).
    target : int or str
        Class index (model output index), a label name, or ``"top-1"``.
    baseline : tensor or array, optional
        The baseline ``x'``, same shape as ``image``. Default: black (all zeros), as in the
        paper and the tutorial. See :mod:`ig_tutorial.ig.baselines`.
    m_steps : int or "auto", default 50
        Number of sub-intervals of the integration rule (the tutorial's ``m_steps``), or
        ``"auto"`` to choose it (see Notes; taught in
        ``notebooks/08_integration_rules_and_steps.py``).
    method : str, default "riemann_trapezoid"
        Integration rule, see :data:`ig_tutorial.INTEGRATION_RULES`. ``m_steps="auto"`` needs
        the trapezoid, whose refinements reuse every node.
    batch_size : int or "auto", optional
        Gradient evaluations per model call; default :data:`DEFAULT_BATCH_SIZE`. ``"auto"``
        measures the fastest once per model (:func:`ig_tutorial.ig.batching.choose_batch_size`).
        Fixed-step results do not depend on it; ``m_steps="auto"`` refines ``min(batch_size,
        8)`` sub-intervals per round, so its grid does below 8 (its contract does not).
    output : {"probability", "logit"}, default "probability"
        The attributed score ``F``: the target's softmax probability (as in the tutorial) or logit.
    progress : bool, default False
        Show a progress bar over batches.
    tolerance : float, default 0.01
        ``m_steps="auto"`` only: the accuracy it certifies (see Notes): a relative completeness
        error of at most ``tolerance`` and a relative L2 error of at most ``2 * tolerance``.
    max_steps : int, default 1024
        ``m_steps="auto"`` only: at most this many sub-intervals (``max_steps + 1`` gradient
        evaluations); when they run out first it warns. It also bounds the memory (Notes).

    Returns
    -------
    IntegratedGradientsResult
        Attributions, and the completeness check ``sum(IG) - (F(x) - F(x'))``. With
        ``m_steps="auto"`` also the sub-intervals used, the ``estimated_error``, the
        ``convergence_history`` (one row per round) and the ``refinement`` (the round of each
        node in ``alphas``, each sub-interval's completeness residual and error indicator).

    Raises
    ------
    ValueError
        If ``m_steps`` or ``batch_size`` is not a positive integer, ``method`` or ``output`` is
        unknown, the input is neither one image nor one feature vector, the baseline's shape
        differs from the image's, an input is not finite, or
        ``target`` is out of range; with ``m_steps="auto"``, if ``method`` is not the
        trapezoid, ``tolerance`` is not positive or ``max_steps`` is below 32.

    Warns
    -----
    UserWarning
        With ``m_steps="auto"``, when ``max_steps`` is reached before ``tolerance`` is met.

    Notes
    -----
    ``m_steps="auto"`` refines the trapezoid rule locally
    (:mod:`ig_tutorial.ig.adaptive_steps`): from a uniform grid of 16 nodes it bisects, a round
    of ``min(batch_size, 8)`` at a time
    (:data:`~ig_tutorial.ig.adaptive_steps.ROUND_MIDPOINTS`), the sub-intervals whose error
    indicator or exact local completeness residual is largest, reusing every gradient evaluated,
    until the estimate meets ``tolerance``. (A larger ``batch_size`` fills its calls with the
    rounds of several inputs, in :func:`integrated_gradients_many`.)

    **The contract of** ``tolerance`` ``t``. When ``m_steps="auto"`` returns without a warning,

    * the relative completeness error ``|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|`` is at
      most ``t``: it is computed exactly, so this holds without exception;
    * the relative L2 error ``||IG - IG_ref|| / ||IG_ref||`` against a high-accuracy reference
      (Gauss-Legendre with 512 nodes) is at most ``2 t``. It is not computable without the
      reference, so ``"auto"`` estimates it from what it evaluated (``estimated_error``) and
      stops only when the estimate is at most ``1.5 t``. The estimate is calibrated on the
      bundled model, where it is unbiased, and the benchmark and the tests check the bound
      (``docs/benchmarks.md``). Below ``t`` of about 0.005 the 512-node reference's own error
      on that model is a sizable part of ``2 t``, so the bound can only be checked against a
      better reference there.

    When ``max_steps`` is reached first it warns with both figures and returns the best estimate.
    **Memory**: every node's gradient is kept (a sub-interval may be bisected at any round), so
    ``"auto"`` holds at most ``max_steps + 1`` image-sized ``float32`` arrays (617 MB for
    224 x 224 x 3 and the default ``max_steps``); what it used on the bundled model is
    measured in ``docs/benchmarks.md``.

    References
    ----------
    Sundararajan, Taly & Yan (2017), Axiomatic Attribution for Deep Networks, arXiv:1703.01365.

    Examples
    --------
    >>> model = load_model("efficientnet-lite0")
    >>> result = integrated_gradients(model, read_image("coffee"), "espresso", m_steps=64)
    >>> result.attributions.shape
    (224, 224, 3)
    >>> auto = integrated_gradients(model, read_image("coffee"), "espresso", m_steps="auto")
    >>> auto.relative_completeness_error <= 0.01, auto.estimated_error <= 0.015
    (True, True)
    """
    rule = fixed_rule_or_auto(m_steps, method, tolerance, max_steps)
    paths = prepare_paths(
        model, [image], [target], baselines=[baseline], output=output, batch_size=batch_size
    )
    if rule is None:
        return integrate_adaptively(paths, tolerance, max_steps, progress=progress)[0]
    return integrate_fixed_steps(paths, rule, progress=progress)[0]


def fixed_rule_or_auto(
    m_steps: int | str, method: str, tolerance: float, max_steps: int
) -> IntegrationRule | None:
    """The quadrature rule of a fixed ``m_steps``, or ``None`` for ``"auto"`` (settings checked).

    Raises
    ------
    ValueError
        As :func:`integrated_gradients` for ``m_steps``, ``method``, ``tolerance`` and
        ``max_steps``.
    """
    if isinstance(m_steps, str) and m_steps == "auto":
        check_adaptive_settings(method, tolerance, max_steps)
        return None
    return integration_rule(method, m_steps)


def integrated_gradients_many(
    model: Model,
    images: Sequence[tf.Tensor | np.ndarray] | np.ndarray | tf.Tensor,
    targets: int | str | Sequence[int | str] = "top-1",
    *,
    baseline: tf.Tensor | np.ndarray | Sequence[tf.Tensor | np.ndarray] | None = None,
    m_steps: int | Literal["auto"] = 50,
    method: str = DEFAULT_METHOD,
    batch_size: int | str | None = None,
    output: str = DEFAULT_OUTPUT,
    progress: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> IntegratedGradientsResults:
    """Integrated Gradients of several inputs in one call, one result per input.

    Taught in ``notebooks/09_toolkit.py`` and ``notebooks/10_your_own_model.py``. Inputs of one
    shape (an array ``(n, ...)``, or a list of equal-sized images) are attributed together: the
    path points of several inputs share each model call, ``batch_size`` points a call whatever
    ``m_steps`` is, so a table's rows or small images cost little more than their arithmetic.
    Each result equals :func:`integrated_gradients` on its input alone, to float rounding.
    Inputs of different sizes (a list) are attributed one at a time.

    Parameters
    ----------
    model : callable
        The classifier, as for :func:`integrated_gradients`.
    images : sequence of inputs, or an array of shape ``(n, ...)``
        The inputs: images ``(n, height, width, channels)`` or table rows ``(n, n_features)``;
        their sizes may differ when given as a sequence.
    targets : int, str, or sequence of them, default "top-1"
        One target for all inputs (a class index, a label name or ``"top-1"``, which is
        resolved per input), or one per input.
    baseline : tensor, array or sequence, optional
        One baseline for every input (the shape of one input), or one per input (a sequence, or
        an array ``(n, ...)``). Default: black (all zeros) for each.
    m_steps, method, output, tolerance, max_steps
        As for :func:`integrated_gradients`. With ``m_steps="auto"`` each input refines until its
        own ``tolerance`` is met, and inputs that are done drop out of the model calls.
    batch_size : int or "auto", optional
        Points per model call, taken from any inputs; default
        :data:`~ig_tutorial.ig.batching.DEFAULT_BATCH_SIZE`. ``"auto"`` measures the fastest for
        the inputs' size (:func:`ig_tutorial.ig.batching.choose_batch_size`): a table row wants
        thousands, a photo on a CPU about 8.
    progress : bool, default False
        Show a progress bar over batches (over inputs, for inputs of different sizes).

    Returns
    -------
    IntegratedGradientsResults
        In the order of ``images``: indexes like a list of
        :class:`~ig_tutorial.ig.results.IntegratedGradientsResult`, and holds every input's
        attributions, targets, scores and completeness errors as arrays
        (``results.attributions`` is ``(n, ...)``).

    Raises
    ------
    ValueError
        If ``targets`` or ``baseline`` is a sequence whose length differs from the number of
        inputs, a baseline's shape differs from its input's, and as :func:`integrated_gradients`
        for each input.

    Warns
    -----
    UserWarning
        With ``m_steps="auto"``, when inputs reach ``max_steps`` before ``tolerance``.

    Notes
    -----
    **Memory.** Fixed steps hold one batch of gradients and one running sum per input.
    ``"auto"`` keeps every node's gradient of every input still refining, as for one input
    (:func:`integrated_gradients`, Notes).

    References
    ----------
    Sundararajan, Taly & Yan (2017), Axiomatic Attribution for Deep Networks, arXiv:1703.01365.

    Examples
    --------
    >>> photos = [read_image(name) for name in ("coffee", "chelsea")]
    >>> results = integrated_gradients_many(model, photos, ["espresso", "Egyptian cat"])
    >>> rows = integrated_gradients_many(table_model, x_test, "top-1", batch_size="auto")
    """
    if not isinstance(images, (np.ndarray, tf.Tensor)) or len(images.shape) < 2:
        images = list(images)  # an array (n, ...) stays one array: its rows share a shape
    targets = one_per_input(
        targets, len(images), "targets", single=(str, int, np.integer), hint=TARGET_HINT
    )
    baselines = _baselines_per_input(baseline, images)
    options = dict(m_steps=m_steps, method=method, output=output)
    options.update(tolerance=tolerance, max_steps=max_steps)
    if len(images) == 0:
        return IntegratedGradientsResults.from_results([])
    if isinstance(images, list) and len({tuple(np.shape(image)) for image in images}) > 1:
        return IntegratedGradientsResults.from_results(
            integrated_gradients(
                model, image, target, baseline=each, batch_size=batch_size, **options
            )
            for image, target, each in progress_bar(
                list(zip(images, targets, baselines, strict=True)),
                desc="IG images",
                unit="image",
                disable=not progress,
                leave=False,
            )
        )
    rule = fixed_rule_or_auto(m_steps, method, tolerance, max_steps)
    paths = prepare_paths(
        model, images, targets, baselines=baselines, output=output, batch_size=batch_size
    )
    if rule is None:
        return IntegratedGradientsResults.from_results(
            integrate_adaptively(paths, tolerance, max_steps, progress=progress)
        )
    return integrate_fixed_steps(paths, rule, progress=progress)


def _baselines_per_input(baseline, images) -> list:
    """One baseline per input: ``None`` (black), one for all, or one per input."""
    if baseline is None:
        return [None] * len(images)
    if not isinstance(baseline, (list, tuple)):
        baseline = tf.convert_to_tensor(baseline, tf.float32)
        if len(images) and baseline.shape.rank != len(np.shape(images[0])) + 1:
            return [baseline] * len(images)
    return one_per_input(baseline, len(images), "baselines", single=(), hint="baseline")
