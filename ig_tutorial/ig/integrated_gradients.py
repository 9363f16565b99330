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

from ig_tutorial.ig.adaptive_steps import (
    DEFAULT_MAX_STEPS,
    DEFAULT_TOLERANCE,
    check_adaptive_settings,
    integrate_adaptively,
)
from ig_tutorial.ig.gradients import DEFAULT_OUTPUT, Model, gradients_in_batches
from ig_tutorial.ig.integration_rules import DEFAULT_METHOD, IntegrationRule, integration_rule
from ig_tutorial.ig.path_integral import PathEnds, build_result, prepare_path
from ig_tutorial.ig.results import IntegratedGradientsResult
from ig_tutorial.progress import progress_bar


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
        Shape ``(n,)``, the rule's weights.

    Returns
    -------
    tf.Tensor
        Shape ``(...)``: the average gradient along the path.
    """
    weights = tf.convert_to_tensor(weights, gradients.dtype)
    return tf.tensordot(weights, gradients, axes=1)


def integrate_fixed_steps(
    path: PathEnds, rule: IntegrationRule, *, progress: bool = False
) -> IntegratedGradientsResult:
    """Integrated Gradients by one quadrature rule: every node, in batches, as a running sum.

    Each batch's gradients are weighed and added at once, so memory holds one batch of
    gradients however many nodes the rule has.

    Parameters
    ----------
    path : PathEnds
        The prepared ends (see :func:`ig_tutorial.ig.path_integral.prepare_path`).
    rule : IntegrationRule
        The nodes and weights.
    progress : bool, default False
        Show a progress bar over batches.

    Returns
    -------
    IntegratedGradientsResult
    """
    total = tf.zeros_like(path.image)
    path_scores = []
    batches = -(-rule.num_evaluations // path.batch_size)
    with progress_bar(
        total=batches, desc="IG batches", unit="batch", disable=not progress, leave=False
    ) as bar:
        for first, gradients, scores in gradients_in_batches(
            path.model,
            path.straight_line(rule.alphas),
            path.target,
            path.output,
            path.batch_size,
            bar=bar,
        ):
            weights = rule.weights[first : first + len(scores)]
            total += integral_approximation(gradients, weights)
            path_scores.append(scores.numpy())
    return build_result(
        path,
        total,
        method=rule.name,
        m_steps=rule.m_steps,
        alphas=rule.alphas.copy(),
        path_scores=np.concatenate(path_scores),
    )


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
        Fixed-step results do not depend on it; ``m_steps="auto"`` refines ``batch_size``
        sub-intervals per round, so its grid does (its contract does not).
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
    (:mod:`ig_tutorial.ig.adaptive_steps`): from a uniform grid of 16 nodes (a whole number of
    batches) it bisects, ``batch_size`` at a time, the sub-intervals whose error indicator or
    exact local completeness residual is largest, reusing every gradient evaluated, until the
    estimate meets ``tolerance``.

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
    automatic = isinstance(m_steps, str) and m_steps == "auto"
    if automatic:
        check_adaptive_settings(method, tolerance, max_steps)
    else:
        rule = integration_rule(method, m_steps)
    path = prepare_path(
        model, image, target, baseline=baseline, output=output, batch_size=batch_size
    )
    if automatic:
        return integrate_adaptively(path, tolerance, max_steps, progress=progress)
    return integrate_fixed_steps(path, rule, progress=progress)


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
        for image, target in progress_bar(
            list(zip(images, targets, strict=True)),
            desc="IG images",
            unit="image",
            disable=not progress,
            leave=False,
        )
    ]
