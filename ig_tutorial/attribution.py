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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from ig_tutorial.batching import choose_batch_size
from ig_tutorial.gradients import check_output, path_gradient_sum, target_scores
from ig_tutorial.integration_rules import integration_rule

Model = Callable[[tf.Tensor], tf.Tensor]

#: Gradient evaluations per model call when ``batch_size`` is not given: measured, not guessed.
#: On the benchmark's 2-core CPU batch 8 ran about 30% faster per evaluation than the
#: tutorial's 32 (``docs/benchmarks.md``); on a GPU pass ``batch_size="auto"`` or a larger size.
DEFAULT_BATCH_SIZE = 8


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


@dataclass(frozen=True)
class IntegratedGradientsResult:
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
        tutorial's saturation plot).
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

    @property
    def attribution_sum(self) -> float:
        """Sum of all attributions."""
        return float(np.sum(self.attributions, dtype=np.float64))

    @property
    def score_difference(self) -> float:
        """``F(x) - F(x')``, what the attributions should add up to."""
        return self.score_at_input - self.score_at_baseline

    @property
    def completeness_delta(self) -> float:
        """``sum(attributions) - (F(x) - F(x'))``: zero for the exact integral."""
        return self.attribution_sum - self.score_difference

    @property
    def relative_completeness_error(self) -> float:
        """``|completeness_delta| / |F(x) - F(x')|`` (infinite if the difference is 0)."""
        difference = abs(self.score_difference)
        if difference == 0.0:
            return 0.0 if self.completeness_delta == 0.0 else float("inf")
        return abs(self.completeness_delta) / difference

    def completeness_report(self) -> str:
        """One line stating the completeness check, e.g. for printing in a notebook."""
        return (
            f"sum of attributions {self.attribution_sum:.4f} vs F(x) - F(x') = "
            f"{self.score_at_input:.4f} - {self.score_at_baseline:.4f} = "
            f"{self.score_difference:.4f}: delta {self.completeness_delta:+.4f} "
            f"({100 * self.relative_completeness_error:.2f}%) with {self.num_evaluations} "
            f"gradient evaluations ({self.method})"
        )


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


def integrated_gradients(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    baseline: tf.Tensor | np.ndarray | None = None,
    m_steps: int = 50,
    method: str = "riemann_trapezoid",
    batch_size: int | str | None = None,
    output: str = "probability",
    progress: bool = False,
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
    m_steps : int, default 50
        Number of sub-intervals of the integration rule (the tutorial's ``m_steps``).
    method : str, default "riemann_trapezoid"
        Integration rule, see :data:`ig_tutorial.INTEGRATION_RULES`.
    batch_size : int or "auto", optional
        Gradient evaluations per model call; default :data:`DEFAULT_BATCH_SIZE`. ``"auto"``
        measures the fastest once per model (:func:`ig_tutorial.batching.choose_batch_size`).
        Results do not depend on it.
    output : {"probability", "logit"}, default "probability"
        The attributed score ``F``: the target's softmax probability (as in the tutorial) or logit.
    progress : bool, default False
        Show a progress bar over batches.

    Returns
    -------
    IntegratedGradientsResult
        Attributions, and the completeness check ``sum(IG) - (F(x) - F(x'))``.

    Raises
    ------
    ValueError
        If ``m_steps`` or ``batch_size`` is not a positive integer, ``method`` or ``output`` is
        unknown, the baseline's shape differs from the image's, an input is not finite, or
        ``target`` is out of range.

    References
    ----------
    Sundararajan, Taly & Yan (2017), Axiomatic Attribution for Deep Networks, arXiv:1703.01365.

    Examples
    --------
    >>> model = load_model("efficientnet-lite0")
    >>> result = integrated_gradients(model, read_image("coffee"), "espresso", m_steps=64)
    >>> result.attributions.shape
    (224, 224, 3)
    """
    rule = integration_rule(method, m_steps)
    check_output(output)
    batch_size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    if isinstance(batch_size, str) and batch_size == "auto":
        batch_size = choose_batch_size(model, np.shape(image), output=output).batch_size
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
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

    total = tf.zeros_like(image)
    path_scores = []
    starts = range(0, rule.num_evaluations, batch_size)
    for start in tqdm(starts, desc="IG batches", unit="batch", disable=not progress, leave=False):
        stop = start + batch_size
        batch_sum, scores = path_gradient_sum(
            model,
            baseline,
            image,
            rule.alphas[start:stop],
            rule.weights[start:stop],
            target,
            output,
        )
        total += batch_sum
        path_scores.append(scores.numpy())

    attributions = ((image - baseline) * total).numpy()
    return IntegratedGradientsResult(
        attributions=attributions,
        target=target,
        method=rule.name,
        m_steps=rule.m_steps,
        num_evaluations=rule.num_evaluations,
        batch_size=int(batch_size),
        output=output,
        score_at_input=float(score_at_input),
        score_at_baseline=float(score_at_baseline),
        alphas=rule.alphas.copy(),
        path_scores=np.concatenate(path_scores),
    )
