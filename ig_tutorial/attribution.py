r"""Integrated Gradients: interpolation, integration, and the completeness check.

Taught in ``notebooks/03_interpolation.py`` and ``notebooks/05_integration.py``. For an input
``x``, a baseline ``x'`` and a differentiable score ``F`` (the target class probability),
Integrated Gradients (Sundararajan, Taly & Yan, 2017, "Axiomatic Attribution for Deep Networks",
ICML, arXiv:1703.01365, eq. 1) attributes to feature ``i``

.. math:: \mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1
          \frac{\partial F(x' + \alpha (x - x'))}{\partial x_i} \, d\alpha .

By the *completeness* axiom (Proposition 1 of the paper) the attributions add up to
``F(x) - F(x')``; the gap, :attr:`IntegratedGradientsResult.completeness_delta`, measures the
error of the numerical integral (the paper suggests steps until it is within 5%).

``m_steps="auto"`` (taught in ``notebooks/08_integration_rules_and_steps.py``) refines nested
trapezoid rules until the estimate has converged; :func:`integrated_gradients_many` attributes
several images in one call (``notebooks/09_toolkit.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from ig_tutorial.batching import choose_batch_size
from ig_tutorial.gradients import check_output, path_gradient_sum, target_scores
from ig_tutorial.integration_rules import canonical_rule_name, integration_rule

Model = Callable[[tf.Tensor], tf.Tensor]

#: Gradient evaluations per model call when ``batch_size`` is not given: measured, not guessed.
#: On the benchmark's 2-core CPU batch 8 ran about 30% faster per evaluation than the
#: tutorial's 32 (``docs/benchmarks.md``); on a GPU pass ``batch_size="auto"`` or a larger size.
DEFAULT_BATCH_SIZE = 8

#: Sub-intervals of the first trapezoid rule of ``m_steps="auto"``; each refinement doubles them.
AUTO_INITIAL_STEPS = 16


def interpolate_images(baseline: tf.Tensor, image: tf.Tensor, alphas: tf.Tensor) -> tf.Tensor:
    """Points on the straight line from ``baseline`` to ``image``: ``x' + alpha (x - x')``.

    Parameters
    ----------
    baseline, image : tf.Tensor
        Shape ``(height, width, channels)``.
    alphas : tf.Tensor
        Shape ``(n,)``, interpolation constants, usually in ``[0, 1]``.

    Returns
    -------
    tf.Tensor
        Shape ``(n, height, width, channels)``.
    """
    alphas = tf.convert_to_tensor(alphas, tf.float32)[:, tf.newaxis, tf.newaxis, tf.newaxis]
    baseline = tf.convert_to_tensor(baseline, tf.float32)
    image = tf.convert_to_tensor(image, tf.float32)
    return baseline[tf.newaxis] + alphas * (image - baseline)[tf.newaxis]


def integral_approximation(gradients: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """Weighted sum of path gradients: the quadrature of the IG integral.

    With the trapezoid weights of :func:`ig_tutorial.integration_rule` this equals the tutorial's
    ``tf.math.reduce_mean((gradients[:-1] + gradients[1:]) / 2.0, axis=0)``.

    Parameters
    ----------
    gradients : tf.Tensor
        Shape ``(n, ...)``, one gradient per alpha.
    weights : tf.Tensor
        Shape ``(n,)``, the rule's weights.

    Returns
    -------
    tf.Tensor
        Shape ``(...)``: the average gradient along the path.
    """
    weights = tf.convert_to_tensor(weights, gradients.dtype)
    return tf.tensordot(weights, gradients, axes=1)


def relative_completeness_error(attribution_sum: float, score_difference: float) -> float:
    """``|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|``; 0 or infinite if the difference is 0.

    Completeness (Sundararajan et al., 2017, arXiv:1703.01365, Proposition 1) says the
    attributions add up to the score difference; this is the relative gap. Taught in
    ``notebooks/05_integration.py``.
    """
    delta = attribution_sum - score_difference
    if score_difference == 0.0:
        return 0.0 if delta == 0.0 else float("inf")
    return abs(delta) / abs(score_difference)


def relative_l2_error(
    attributions: np.ndarray | tf.Tensor, reference: np.ndarray | tf.Tensor
) -> float:
    """``||attributions - reference|| / ||reference||`` over all pixels and channels.

    The error of an IG estimate against a high-step reference: unlike completeness, it cannot be
    met by errors that cancel in the sum. Taught in ``notebooks/08_integration_rules_and_steps.py``.
    """
    attributions = np.asarray(attributions, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    error = float(np.linalg.norm(attributions - reference))
    norm = float(np.linalg.norm(reference))
    if norm == 0.0:
        return 0.0 if error == 0.0 else float("inf")
    return error / norm


class ConvergenceStep(NamedTuple):
    """One refinement of ``m_steps="auto"``: the row of its convergence history.

    Attributes
    ----------
    m_steps : int
        Sub-intervals of the trapezoid rule at this refinement.
    num_evaluations : int
        Gradient evaluations spent so far (``m_steps + 1``: nothing is evaluated twice).
    relative_completeness_error : float
        ``|completeness_delta| / |F(x) - F(x')|`` of this estimate.
    refinement_change : float or None
        ``||IG_m - IG_{m/2}|| / ||IG_m||``; ``None`` for the first rule.
    """

    m_steps: int
    num_evaluations: int
    relative_completeness_error: float
    refinement_change: float | None


class CompletenessCheck:
    """The completeness check of a result with ``attributions`` and scores at both path ends.

    Completeness (Sundararajan et al., 2017, proposition 1): the attributions add up to the
    change of the score between the path's start and the input. Subclasses are result
    dataclasses with the fields ``attributions``, ``score_at_input``, ``score_at_baseline``,
    ``num_evaluations`` and ``method``.
    """

    #: How reports name the start of the path.
    path_start_name = "x'"

    @property
    def attribution_sum(self) -> float:
        """Sum of all attributions."""
        return float(np.sum(self.attributions, dtype=np.float64))

    @property
    def score_difference(self) -> float:
        """``F(x) - F(start)``, what the attributions should add up to."""
        return self.score_at_input - self.score_at_baseline

    @property
    def completeness_delta(self) -> float:
        """``sum(attributions) - (F(x) - F(start))``: zero for the exact integral."""
        return self.attribution_sum - self.score_difference

    @property
    def relative_completeness_error(self) -> float:
        """``|completeness_delta| / |F(x) - F(start)|`` (infinite if the difference is 0)."""
        return relative_completeness_error(self.attribution_sum, self.score_difference)

    def completeness_report(self) -> str:
        """One line stating the completeness check, e.g. for printing in a notebook."""
        start = self.path_start_name
        return (
            f"sum of attributions {self.attribution_sum:.4f} vs F(x) - F({start}) = "
            f"{self.score_at_input:.4f} - {self.score_at_baseline:.4f} = "
            f"{self.score_difference:.4f}: delta {self.completeness_delta:+.4f} "
            f"({100 * self.relative_completeness_error:.2f}%) with {self.num_evaluations} "
            f"gradient evaluations ({self.method})"
        )


@dataclass(frozen=True)
class IntegratedGradientsResult(CompletenessCheck):
    """Attributions of one image and the numbers needed to judge them.

    Attributes
    ----------
    attributions : numpy.ndarray
        ``IG_i(x)``, same shape as the image ``(height, width, 3)``.
    target : int
        The attributed class index.
    method : str
        The integration rule's canonical name.
    m_steps : int
        Sub-intervals of the rule.
    num_evaluations : int
        Gradient evaluations spent (trapezoid: ``m_steps + 1``).
    batch_size : int
        Gradient evaluations per model call.
    output : str
        ``"probability"`` or ``"logit"``: the attributed score ``F``.
    score_at_input, score_at_baseline : float
        ``F(x)`` and ``F(x')``.
    alphas, path_scores : numpy.ndarray
        The rule's interpolation constants and ``F`` at each point of the path (the data of the
        tutorial's saturation plot), sorted by alpha.
    refinement_change : float or None
        ``m_steps="auto"`` only: ``||IG_m - IG_{m/2}|| / ||IG_m||`` of the last refinement.
    convergence_history : tuple of ConvergenceStep
        ``m_steps="auto"`` only: one row per refinement, for
        :func:`ig_tutorial.plot_convergence`; empty for a fixed ``m_steps``.
    """

    attributions: np.ndarray
    target: int
    method: str
    m_steps: int
    num_evaluations: int
    batch_size: int
    output: str
    score_at_input: float
    score_at_baseline: float
    alphas: np.ndarray
    path_scores: np.ndarray
    refinement_change: float | None = None
    convergence_history: tuple[ConvergenceStep, ...] = ()


def _as_image(value: tf.Tensor | np.ndarray, name: str) -> tf.Tensor:
    tensor = tf.convert_to_tensor(value, tf.float32)
    if tensor.shape.rank != 3:
        raise ValueError(
            f"{name} must be one image of shape (height, width, channels); got shape "
            f"{tuple(tensor.shape)}. Attribute a batch one image at a time."
        )
    if not bool(tf.reduce_all(tf.math.is_finite(tensor))):
        raise ValueError(f"{name} contains NaN or infinite values; clean the input first.")
    return tensor


def resolve_target(model: Model, image: tf.Tensor, target: int | str) -> int:
    """Turn a class index, a label name or ``"top-1"`` into a class index.

    Parameters
    ----------
    model : callable
        The classifier; label names need a :class:`ig_tutorial.Classifier` with labels.
    image : tf.Tensor
        The image, used for ``"top-1"`` (its most probable class).
    target : int or str
        A class index, ``"top-1"``, or a class name such as ``"espresso"``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For an unknown label, or a label on a model without labels.
    """
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        return int(target)
    if not isinstance(target, str):
        raise ValueError(f"target must be a class index or a label, got {target!r}.")
    if target.lower() in ("top-1", "top1", "top"):
        logits = model(tf.expand_dims(tf.convert_to_tensor(image, tf.float32), 0))
        return int(tf.argmax(logits[0]))
    labels = getattr(model, "labels", None)
    if labels is None:
        raise ValueError(
            f"target {target!r} is a label, but the model has no labels; pass a class index."
        )
    return labels.index(target)


def check_batch_size(batch_size: int | None) -> int:
    """Return ``batch_size``, or :data:`DEFAULT_BATCH_SIZE` for ``None``.

    Raises
    ------
    ValueError
        If it is not a positive integer.
    """
    batch_size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def _check_auto_settings(method: str, tolerance: float, max_steps: int) -> None:
    if canonical_rule_name(method) != "riemann_trapezoid":
        raise ValueError(
            f"m_steps='auto' refines nested trapezoid rules, so method must be "
            f"'riemann_trapezoid', got {method!r}. Use the trapezoid, or give an integer m_steps."
        )
    if isinstance(tolerance, bool) or not (
        isinstance(tolerance, (int, float, np.floating)) and 0 < tolerance < np.inf
    ):
        raise ValueError(
            f"tolerance must be a positive number (relative, e.g. 0.01 for 1%), got {tolerance!r}."
        )
    minimum = 2 * AUTO_INITIAL_STEPS
    if (
        isinstance(max_steps, bool)
        or not isinstance(max_steps, (int, np.integer))
        or max_steps < minimum
    ):
        raise ValueError(
            f"max_steps must be an integer of at least {minimum} (one refinement of the first "
            f"{AUTO_INITIAL_STEPS}-step rule), got {max_steps!r}."
        )


@dataclass(frozen=True)
class _StraightPath:
    """What every gradient batch of one attribution shares: model, both ends, score, batching."""

    model: Model
    baseline: tf.Tensor
    image: tf.Tensor
    target: int
    output: str
    batch_size: int
    progress_bar: tqdm

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

    def attributions(self, average_gradient: tf.Tensor) -> tf.Tensor:
        """``(x - x') * average gradient``: IG from the integral's estimate."""
        return (self.image - self.baseline) * average_gradient


def _summed(attributions: tf.Tensor) -> float:
    return float(tf.reduce_sum(tf.cast(attributions, tf.float64)))


def _refine_until_converged(
    path: _StraightPath, score_difference: float, tolerance: float, max_steps: int
) -> tuple[tf.Tensor, int, np.ndarray, np.ndarray, list[ConvergenceStep]]:
    r"""Nested trapezoid rules, doubling ``m`` until completeness and the change both converge.

    The trapezoid rule on ``2m`` sub-intervals reuses every node of the rule on ``m``:
    :math:`T_{2m} = T_m / 2 + \frac{1}{2m} \sum_{k<m} g\big(\frac{2k+1}{2m}\big)`, so each
    refinement evaluates only the ``m`` new midpoints.
    """
    m_steps = AUTO_INITIAL_STEPS
    first = integration_rule("riemann_trapezoid", m_steps)
    average_gradient, scores = path.weighted_gradient_sum(first.alphas, first.weights)
    alphas, path_scores = [first.alphas], [scores]
    attributions = path.attributions(average_gradient)
    completeness = relative_completeness_error(_summed(attributions), score_difference)
    history = [ConvergenceStep(m_steps, m_steps + 1, completeness, None)]
    while 2 * m_steps <= max_steps:
        midpoints = (2 * np.arange(m_steps) + 1) / (2 * m_steps)
        midpoint_weights = np.full(m_steps, 1.0 / (2 * m_steps))
        midpoint_sum, scores = path.weighted_gradient_sum(midpoints, midpoint_weights)
        alphas.append(midpoints)
        path_scores.append(scores)
        average_gradient = average_gradient / 2.0 + midpoint_sum
        m_steps *= 2
        refined = path.attributions(average_gradient)
        change = relative_l2_error(attributions.numpy(), refined.numpy())
        attributions = refined
        completeness = relative_completeness_error(_summed(attributions), score_difference)
        history.append(ConvergenceStep(m_steps, m_steps + 1, completeness, change))
        # Completeness alone can be met by luck (errors that cancel in the sum), and the change
        # alone can stall on a plateau: stop only when both say the estimate has settled.
        if completeness <= tolerance and change <= tolerance:
            break
    else:
        warnings.warn(
            f"m_steps='auto' did not meet tolerance {tolerance:g} within max_steps={max_steps}: "
            f"at {m_steps} steps ({m_steps + 1} gradient evaluations) the completeness error is "
            f"{completeness:.3g} and the last refinement changed the attributions by "
            f"{history[-1].refinement_change:.3g}. The best estimate is returned; raise "
            f"max_steps or tolerance for a converged one.",
            UserWarning,
            stacklevel=3,
        )
    alphas = np.concatenate(alphas)
    order = np.argsort(alphas, kind="stable")
    return average_gradient, m_steps, alphas[order], np.concatenate(path_scores)[order], history


def integrated_gradients(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    baseline: tf.Tensor | np.ndarray | None = None,
    m_steps: int | Literal["auto"] = 50,
    method: str = "riemann_trapezoid",
    batch_size: int | str | None = None,
    output: str = "probability",
    progress: bool = False,
    tolerance: float = 0.01,
    max_steps: int = 1024,
) -> IntegratedGradientsResult:
    """Compute Integrated Gradients attributions for one image.

    Gradients are evaluated in batches of ``batch_size`` points and accumulated as a weighted
    running sum, so memory stays flat however large ``m_steps`` is.

    Parameters
    ----------
    model : callable
        Maps images in ``[0, 1]`` ``(n, height, width, 3)`` to logits ``(n, num_classes)``,
        e.g. from :func:`ig_tutorial.load_model`.
    image : tf.Tensor or numpy.ndarray
        The input ``x``, shape ``(height, width, 3)``, e.g. from :func:`ig_tutorial.read_image`.
    target : int or str
        Class index (model output index), a label name, or ``"top-1"``.
    baseline : tensor or array, optional
        The baseline ``x'``, same shape as ``image``. Default: black (all zeros), as in the
        paper and the tutorial. See :mod:`ig_tutorial.baselines`.
    m_steps : int or "auto", default 50
        Number of sub-intervals of the integration rule (the tutorial's ``m_steps``), or
        ``"auto"`` to choose it (see Notes; taught in
        ``notebooks/08_integration_rules_and_steps.py``).
    method : str, default "riemann_trapezoid"
        Integration rule, see :data:`ig_tutorial.INTEGRATION_RULES`. ``m_steps="auto"`` needs
        the trapezoid, whose refinements reuse every node.
    batch_size : int or "auto", optional
        Gradient evaluations per model call; default :data:`DEFAULT_BATCH_SIZE`. ``"auto"``
        measures the fastest once per model (:func:`ig_tutorial.batching.choose_batch_size`).
        Results do not depend on it.
    output : {"probability", "logit"}, default "probability"
        The attributed score ``F``: the target's softmax probability (as in the tutorial) or logit.
    progress : bool, default False
        Show a progress bar over batches.
    tolerance : float, default 0.01
        ``m_steps="auto"`` only: the relative completeness error and the relative change of the
        last refinement must both be at most this.
    max_steps : int, default 1024
        ``m_steps="auto"`` only: refinement stops (with a :class:`UserWarning`) before the
        number of sub-intervals would exceed this.

    Returns
    -------
    IntegratedGradientsResult
        Attributions, and the completeness check ``sum(IG) - (F(x) - F(x'))``. With
        ``m_steps="auto"`` also the steps used, the last ``refinement_change`` and the
        ``convergence_history``.

    Raises
    ------
    ValueError
        If ``m_steps`` or ``batch_size`` is not a positive integer, ``method`` or ``output`` is
        unknown, the baseline's shape differs from the image's, an input is not finite, or
        ``target`` is out of range; with ``m_steps="auto"``, if ``method`` is not the
        trapezoid, ``tolerance`` is not positive or ``max_steps`` is below 32.

    Warns
    -----
    UserWarning
        With ``m_steps="auto"``, when ``max_steps`` is reached before ``tolerance`` is met.

    Notes
    -----
    ``m_steps="auto"`` starts with the trapezoid rule on :data:`AUTO_INITIAL_STEPS` (16)
    sub-intervals and doubles them, evaluating only the new midpoints: the final rule on ``m``
    sub-intervals costs ``m + 1`` gradient evaluations in all, exactly as the fixed rule would.
    It stops when both the relative completeness error and
    ``||IG_m - IG_{m/2}|| / ||IG_m||`` are at most ``tolerance``. Completeness alone is not a
    safe stopping rule: it is not monotonic in the steps and can be met by luck.

    Measured on the bundled EfficientNet-Lite0 (black baseline, top-1 class, probability;
    ``benchmarks/auto_steps.py``; times on a 2-core CPU shared with other jobs, so rough):
    gradient evaluations, L2 error against a 512-node Gauss-Legendre reference, and time.

    ============  ======================  ======================  =======================
    photo         auto, tolerance 0.01    auto, tolerance 0.05    fixed 240 (tutorial)
    ============  ======================  ======================  =======================
    coffee        513, L2 0.70%, 46 s     129, L2 2.1%, 16 s      241, L2 1.26%, 28 s
    grace_hopper  257, L2 0.50%, 33 s     65, L2 1.9%, 6 s        241, L2 0.53%, 21 s
    chelsea       1025, L2 0.60%, 156 s   257, L2 1.3%, 18 s      241, L2 1.32%, 30 s
    ============  ======================  ======================  =======================

    The fixed 240 steps meet 1% completeness on all three photos (0.14%, 0.90%, 0.71%) but
    not 1% L2 error on two; ``"auto"`` at 1% spends more there. At 5% it saves evaluations on
    coffee (1.9x) and grace_hopper (3.7x), not on chelsea, whose completeness error is still 7.6%
    at 128 steps.

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
    >>> auto.m_steps, auto.relative_completeness_error <= 0.01, auto.refinement_change <= 0.01
    (512, True, True)
    """
    auto = isinstance(m_steps, str) and m_steps == "auto"
    if auto:
        _check_auto_settings(method, tolerance, max_steps)
    else:
        rule = integration_rule(method, m_steps)
    check_output(output)
    if isinstance(batch_size, str) and batch_size == "auto":
        batch_size = choose_batch_size(model, np.shape(image), output=output).batch_size
    batch_size = check_batch_size(batch_size)
    image = _as_image(image, "image")
    baseline = tf.zeros_like(image) if baseline is None else _as_image(baseline, "baseline")
    if baseline.shape != image.shape:
        raise ValueError(
            f"baseline shape {tuple(baseline.shape)} does not match image shape "
            f"{tuple(image.shape)}; build it with ig_tutorial.baselines from the image."
        )
    target = resolve_target(model, image, target)

    # F at both ends, one forward pass: it also tells the number of classes for validation.
    end_logits = model(tf.stack([baseline, image]))
    num_classes = int(end_logits.shape[-1])
    if not 0 <= target < num_classes:
        raise ValueError(f"target {target} is out of range for a model with {num_classes} classes.")
    score_at_baseline, score_at_input = target_scores(end_logits, target, output).numpy().tolist()

    total_batches = None if auto else len(range(0, rule.num_evaluations, batch_size))
    with tqdm(
        total=total_batches, desc="IG batches", unit="batch", disable=not progress, leave=False
    ) as progress_bar:
        path = _StraightPath(model, baseline, image, target, output, batch_size, progress_bar)
        if auto:
            total, m_used, alphas, path_scores, history = _refine_until_converged(
                path, score_at_input - score_at_baseline, tolerance, max_steps
            )
            method_name, num_evaluations = "riemann_trapezoid", m_used + 1
        else:
            total, path_scores = path.weighted_gradient_sum(rule.alphas, rule.weights)
            m_used, alphas, history = rule.m_steps, rule.alphas.copy(), []
            method_name, num_evaluations = rule.name, rule.num_evaluations

    attributions = ((image - baseline) * total).numpy()
    return IntegratedGradientsResult(
        attributions=attributions,
        target=target,
        method=method_name,
        m_steps=m_used,
        num_evaluations=num_evaluations,
        batch_size=batch_size,
        output=output,
        score_at_input=float(score_at_input),
        score_at_baseline=float(score_at_baseline),
        alphas=alphas,
        path_scores=path_scores,
        refinement_change=history[-1].refinement_change if history else None,
        convergence_history=tuple(history),
    )


def integrated_gradients_many(
    model: Model,
    images: Sequence[tf.Tensor | np.ndarray] | np.ndarray | tf.Tensor,
    targets: int | str | Sequence[int | str] = "top-1",
    *,
    progress: bool = False,
    **options,
) -> list[IntegratedGradientsResult]:
    """Integrated Gradients of several images in one call, one result per image.

    Taught in ``notebooks/09_toolkit.py``.

    Parameters
    ----------
    model : callable
        The classifier, as for :func:`integrated_gradients`.
    images : sequence of images, or an array of shape ``(n, height, width, 3)``
        The inputs; their sizes may differ when given as a sequence.
    targets : int, str, or sequence of them, default "top-1"
        One target for all images (a class index, a label name or ``"top-1"``, which is resolved
        per image), or one per image.
    progress : bool, default False
        Show a progress bar over images.
    **options
        Passed to :func:`integrated_gradients` (``baseline``, ``m_steps``, ``method``,
        ``batch_size``, ``output``, ``tolerance``, ``max_steps``). A ``baseline`` array must fit
        every image; the default black baseline always does.

    Returns
    -------
    list of IntegratedGradientsResult
        In the order of ``images``.

    Raises
    ------
    ValueError
        If ``targets`` is a sequence whose length differs from the number of images, and as
        :func:`integrated_gradients` for each image.

    References
    ----------
    Sundararajan, Taly & Yan (2017), Axiomatic Attribution for Deep Networks, arXiv:1703.01365.

    Examples
    --------
    >>> photos = [read_image(name) for name in ("coffee", "chelsea")]
    >>> results = integrated_gradients_many(model, photos, ["espresso", "Egyptian cat"])
    """
    images = list(images)
    if isinstance(targets, (str, int, np.integer)):
        targets = [targets] * len(images)
    else:
        targets = list(targets)
        if len(targets) != len(images):
            raise ValueError(
                f"got {len(targets)} targets for {len(images)} images; give one target per "
                f"image, or a single target (e.g. 'top-1') for all of them."
            )
    return [
        integrated_gradients(model, image, target, **options)
        for image, target in tqdm(
            list(zip(images, targets, strict=True)),
            desc="IG images",
            unit="image",
            disable=not progress,
            leave=False,
        )
    ]
