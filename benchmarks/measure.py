"""Measurements: the accuracy-vs-time sweep, the forward+backward ceiling, ours vs batch size.

Accuracy is judged two ways for every run, as in Sundararajan et al. (2017, arXiv:1703.01365):

* completeness error ``|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|`` (the paper's check);
* relative L2 error ``||IG - IG_ref|| / ||IG_ref||`` against a high-accuracy reference computed
  with ours (Gauss-Legendre with many nodes), which catches errors that cancel in the sum.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import tensorflow as tf

from benchmarks.implementations import Implementation
from ig_tutorial import integrated_gradients
from ig_tutorial.ig.batching import choose_batch_size


@dataclass(frozen=True)
class Reference:
    """The high-accuracy attributions of one image."""

    image: str
    target: int
    score_difference: float
    attributions: np.ndarray
    method: str
    m_steps: int
    completeness_error: float
    seconds: float


@dataclass(frozen=True)
class SweepRow:
    """One implementation at one setting on one image."""

    image: str
    implementation: str
    rule: str
    setting_name: str
    setting: float
    num_evaluations: int
    prepare_seconds: float
    seconds: float
    completeness_error: float
    l2_error: float

    def as_dict(self) -> dict:
        return asdict(self)


def top1_target(model, image: tf.Tensor) -> int:
    return int(tf.argmax(model(image[tf.newaxis])[0]))


def score_difference(model, image: tf.Tensor, baseline: tf.Tensor, target: int) -> float:
    """``F(x) - F(x')`` for the softmax probability of ``target``, in float64."""
    logits = model(tf.stack([baseline, image])).numpy().astype(np.float64)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return float(probabilities[1, target] - probabilities[0, target])


def completeness_error(attributions: np.ndarray, difference: float) -> float:
    return abs(float(np.sum(attributions, dtype=np.float64)) - difference) / abs(difference)


def l2_error(attributions: np.ndarray, reference: np.ndarray) -> float:
    reference = reference.astype(np.float64)
    return float(np.linalg.norm(attributions - reference) / np.linalg.norm(reference))


def compute_reference(model, name, image, baseline, target, m_steps) -> Reference:
    start = time.perf_counter()
    result = integrated_gradients(
        model, image, target, baseline=baseline, m_steps=m_steps, method="gausslegendre"
    )
    seconds = time.perf_counter() - start
    difference = score_difference(model, image, baseline, target)
    return Reference(
        image=name,
        target=target,
        score_difference=difference,
        attributions=result.attributions.astype(np.float64),
        method="gausslegendre",
        m_steps=m_steps,
        completeness_error=completeness_error(result.attributions, difference),
        seconds=seconds,
    )


def _timed(function: Callable, *args) -> tuple[float, object]:
    start = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - start, value


def run_sweep(
    model,
    images: dict[str, tf.Tensor],
    entries: Sequence[Implementation],
    m_steps: Sequence[int],
    *,
    reference_steps: int = 512,
    repeats: int = 1,
    log: Callable[[str], None] = print,
) -> tuple[list[SweepRow], dict[str, Reference]]:
    """Run every available implementation at every setting on every image (black baseline).

    The runs are interleaved (for each setting, every implementation in turn), so that load from
    other processes spreads over all implementations instead of hitting one. The wall time is
    the best of ``repeats`` runs; one-off preparation (tracing) is timed separately.
    """
    rows: list[SweepRow] = []
    references: dict[str, Reference] = {}
    entries = [entry for entry in entries if entry.unavailable is None]
    for name, image in images.items():
        baseline = tf.zeros_like(image)
        target = top1_target(model, image)
        reference = compute_reference(model, name, image, baseline, target, reference_steps)
        references[name] = reference
        log(
            f"{name}: target {target}, reference {reference.method} {reference_steps} nodes in "
            f"{reference.seconds:.1f} s, its completeness error "
            f"{100 * reference.completeness_error:.3f}%"
        )
        schedules = [(entry, entry.settings or tuple(m_steps)) for entry in entries]
        for rank in range(max(len(settings) for _, settings in schedules)):
            for entry, settings in schedules:
                if rank >= len(settings):
                    continue
                setting = settings[rank]
                prepare_seconds = 0.0
                if entry.prepare is not None:
                    prepare_seconds, _ = _timed(
                        entry.prepare, model, image, baseline, target, setting
                    )
                best = None
                for _ in range(repeats):
                    seconds, attribution = _timed(
                        entry.attribute, model, image, baseline, target, setting
                    )
                    if best is None or seconds < best[0]:
                        best = (seconds, attribution)
                seconds, attribution = best
                row = SweepRow(
                    image=name,
                    implementation=entry.name,
                    rule=entry.rule,
                    setting_name=entry.setting_name,
                    setting=setting,
                    num_evaluations=attribution.num_evaluations,
                    prepare_seconds=prepare_seconds,
                    seconds=seconds,
                    completeness_error=completeness_error(
                        attribution.attributions, reference.score_difference
                    ),
                    l2_error=l2_error(attribution.attributions, reference.attributions),
                )
                rows.append(row)
                log(
                    f"  {entry.name:<24} {entry.setting_name} {setting:<6} "
                    f"{row.num_evaluations:>5} evals {seconds:7.2f} s "
                    f"(+{prepare_seconds:.2f} s prepare)  completeness "
                    f"{100 * row.completeness_error:6.2f}%  L2 {100 * row.l2_error:6.2f}%"
                )
    return rows, references


def _forward_backward_function(model, image_shape):
    @tf.function(input_signature=[tf.TensorSpec([None, *image_shape], tf.float32)])
    def forward_backward(images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            scores = tf.nn.softmax(model(images), axis=-1)[:, 0]
        return tape.gradient(scores, images)

    return forward_backward


def _ceiling_rate(forward_backward, image_shape, size, min_images, min_calls) -> float:
    images = tf.random.stateless_uniform((size, *image_shape), seed=(0, size))
    forward_backward(images).numpy()  # the first call at a new shape also builds kernels
    calls = max(min_calls, -(-min_images // size))
    start = time.perf_counter()
    for _ in range(calls):
        forward_backward(images).numpy()
    return calls * size / (time.perf_counter() - start)


def _ours_rate(model, image, target, size, evaluations) -> float:
    # A warm-up run at this batch size, so kernels for the shape are already built.
    integrated_gradients(model, image, target, m_steps=max(size - 1, 1), batch_size=size)
    start = time.perf_counter()
    result = integrated_gradients(model, image, target, m_steps=evaluations - 1, batch_size=size)
    return result.num_evaluations / (time.perf_counter() - start)


def throughput_by_batch_size(
    model,
    image: tf.Tensor,
    ceiling_batch_sizes: Sequence[int],
    ours_batch_sizes: Sequence[int],
    *,
    min_images: int = 64,
    min_calls: int = 2,
    evaluations: int = 128,
    rounds: int = 1,
) -> tuple[dict[int, float], dict[int, float]]:
    """The ceiling and ours, in gradient evaluations per second, by batch size.

    The ceiling is the least any IG implementation must do per evaluation: one compiled
    forward+backward pass (gradient of one class probability with respect to a batch of
    images), traced once. Ours is ``integrated_gradients`` spending exactly ``evaluations``
    evaluations (trapezoid), including all a user waits for: end-point scores, accumulation,
    conversion to numpy. The two are measured alternately, batch size by batch size, and the
    best of ``rounds`` rounds is kept, so that load from other processes hits both alike.

    Returns
    -------
    ceiling, ours : dict of int to float
        Evaluations (images) per second, by batch size.
    """
    image_shape = tuple(image.shape)
    forward_backward = _forward_backward_function(model, image_shape)
    target = top1_target(model, image)
    ceiling: dict[int, float] = {}
    ours: dict[int, float] = {}
    for _ in range(rounds):
        for size in sorted(set(ceiling_batch_sizes) | set(ours_batch_sizes)):
            if size in ceiling_batch_sizes:
                rate = _ceiling_rate(forward_backward, image_shape, size, min_images, min_calls)
                ceiling[size] = max(rate, ceiling.get(size, 0.0))
            if size in ours_batch_sizes:
                rate = _ours_rate(model, image, target, size, evaluations)
                ours[size] = max(rate, ours.get(size, 0.0))
    return dict(sorted(ceiling.items())), dict(sorted(ours.items()))


def automatic_batch_size(model, image: tf.Tensor) -> dict:
    """Run :func:`ig_tutorial.ig.batching.choose_batch_size` afresh; report its choice and cost."""
    choice = choose_batch_size(model, tuple(image.shape), refresh=True)
    return {
        "batch_size": choice.batch_size,
        "seconds": choice.seconds,
        "evaluations_per_second": choice.evaluations_per_second,
    }
