"""The attribution methods notebook 13 scores, on an equal budget of gradient evaluations.

Taught in ``notebooks/13_evaluating_attributions.py``; ``benchmarks/faithfulness.py`` scores the
same methods on more photos. Each method is an
:data:`ig_tutorial.ig.sanity_checks.AttributionMethod`, so the faithfulness metrics
(:mod:`ig_tutorial.ig.faithfulness`) and the sanity check take any of them. Every path method
gets the same number of gradient evaluations, ``steps + 1`` (an ensemble, ``steps / members + 1``
per member): a method that looks better only because it was given more model calls has not been
shown to be better. Every method attributes what the metrics measure, the target's probability.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_of, positive_integer
from ig_tutorial.ig.ensembles import (
    integrated_gradients_over_baselines,
    smoothgrad_integrated_gradients,
)
from ig_tutorial.ig.faithfulness import PerturbationCurve, deletion_and_insertion, random_map
from ig_tutorial.ig.gradients import Model
from ig_tutorial.ig.guided_ig import guided_integrated_gradients
from ig_tutorial.ig.idgi import idgi
from ig_tutorial.ig.path_methods import blur_integrated_gradients
from ig_tutorial.ig.sanity_checks import (
    AttributionMethod,
    gradient_attributions,
    image_edges,
    integrated_gradients_method,
)
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.progress import progress_bar

#: Members of the two ensembles (averaged baselines, SmoothGrad): each gets ``steps / 4`` steps.
ENSEMBLE_MEMBERS = 4
#: The score every compared method attributes: what the deletion and insertion curves record.
COMPARED_OUTPUT = "probability"
#: The areas of a :class:`MethodScore`.
METRICS: tuple[str, ...] = ("deletion", "insertion")
#: Better is lower for deletion, higher for the others.
LOWER_IS_BETTER = frozenset({"deletion"})


def gradient_times_input(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
    """The gradient of the target's probability times the image (Shrikumar et al., 2016).

    One gradient evaluation: what IG from the black baseline becomes with a single step at the
    input (the left end's rule would take the baseline's gradient instead).
    """
    return gradient_attributions(model, image, target, output=COMPARED_OUTPUT) * np.asarray(image)


def _method(attribute: Callable, **options) -> AttributionMethod:
    """``attribute(model, image, target, **options).attributions`` as an AttributionMethod."""
    return lambda model, image, target: attribute(model, image, target, **options).attributions


def _random_control(model: Model, image: tf.Tensor, target: int, *, seed: int) -> np.ndarray:
    # One random value a pixel, spread over the channels: the channel sum is the random map.
    channels = image.shape[-1]
    values = random_map(image, seed=seed)[..., None] / channels
    return np.repeat(values, channels, axis=-1).astype(np.float32)


def compared_methods(steps: int = 64, *, seed: int = 0) -> dict[str, AttributionMethod]:
    """The methods notebook 13 compares, by display name, each with ``steps + 1`` evaluations.

    In this order: the gradient, gradient x input, IG from the black and from the blurred
    baseline, IG averaged over :data:`ENSEMBLE_MEMBERS` uniform-noise baselines, SmoothGrad-IG
    (both ensembles ``steps // ENSEMBLE_MEMBERS`` steps a member, at least 1), Blur IG, Guided
    IG, IDGI (on the straight line from black), then the two controls (random, edges). ``seed``
    draws the random baselines, SmoothGrad's noise and the random control.

    Raises
    ------
    ValueError
        If ``steps`` is not a positive integer.
    """
    positive_integer(steps, "steps")
    output = COMPARED_OUTPUT
    member = {"m_steps": max(1, steps // ENSEMBLE_MEMBERS), "seed": seed, "output": output}
    return {
        "Gradient": partial(gradient_attributions, output=output),
        "Gradient x input": gradient_times_input,
        "IG, black baseline": integrated_gradients_method(m_steps=steps, output=output),
        "IG, blurred baseline": integrated_gradients_method(
            m_steps=steps, output=output, baseline="blur"
        ),
        f"IG, {ENSEMBLE_MEMBERS} uniform baselines": _method(
            integrated_gradients_over_baselines, baselines=["uniform"] * ENSEMBLE_MEMBERS, **member
        ),
        "SmoothGrad-IG": _method(
            smoothgrad_integrated_gradients, num_samples=ENSEMBLE_MEMBERS, **member
        ),
        "Blur IG": _method(blur_integrated_gradients, steps=steps, output=output),
        "Guided IG": _method(guided_integrated_gradients, steps=steps, output=output),
        "IDGI": _method(idgi, m_steps=steps, output=output),
        "Random (control)": partial(_random_control, seed=seed),
        "Edges (control)": image_edges,
    }


@dataclass(frozen=True)
class MethodScore:
    """How faithful one method's map is on one image, and what the map cost.

    ``attributions`` is the map (the image's shape), ``seconds`` the wall time of computing it
    and ``scoring_seconds`` of scoring it; ``deletion`` and ``insertion`` are RISE's curves
    (:func:`ig_tutorial.ig.faithfulness.deletion_and_insertion`): a low deletion area and a
    high insertion area are better.
    """

    method: str
    attributions: np.ndarray
    seconds: float
    scoring_seconds: float
    deletion: PerturbationCurve
    insertion: PerturbationCurve

    def area(self, metric: str) -> float:
        """The area under the ``"deletion"`` or the ``"insertion"`` curve."""
        return getattr(self, one_of(metric, METRICS, "metric")).auc


def score_methods(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    methods: Mapping[str, AttributionMethod],
    *,
    step: int | None = None,
    progress: bool = False,
) -> list[MethodScore]:
    """Compute each method's map of one image and score it by deletion and insertion.

    ``target`` (class index, label name or ``"top-1"``) is resolved once for all methods;
    ``methods`` maps names to methods, e.g. :func:`compared_methods`; ``step`` is the pixels
    deleted or inserted per step (default the image's width, RISE's); ``progress`` shows a bar
    over the methods. Returns one :class:`MethodScore` per method, in order.
    """
    image = tf.convert_to_tensor(image, tf.float32)
    index = resolve_target(model, image, target)
    scores = []
    for name, method in progress_bar(methods.items(), desc="methods", disable=not progress):
        start = time.perf_counter()
        attributions = np.asarray(method(model, image, index), np.float32)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        deletion, insertion = deletion_and_insertion(model, image, index, attributions, step=step)
        scoring = time.perf_counter() - start
        scores.append(MethodScore(name, attributions, seconds, scoring, deletion, insertion))
    return scores


def scores_table(
    scores: list[MethodScore], metrics: tuple[str, ...] = METRICS, *, seconds: bool = True
) -> str:
    """A plain-text table of the scores, one row per method, ``*`` on each metric's best.

    Columns: the method, each of ``metrics``' areas, and (with ``seconds``) each map's wall
    time; leave that out where the table must print the same twice, as in a notebook checked
    by re-execution.
    """
    best = {}
    for metric in metrics:
        values = [score.area(metric) for score in scores]
        best[metric] = min(values) if metric in LOWER_IS_BETTER else max(values)
    width = max(len(score.method) for score in scores)
    header = f"{'method':<{width}} " + " ".join(
        f"{metric + (' (lower)' if metric in LOWER_IS_BETTER else ' (higher)'):>17}"
        for metric in metrics
    )
    lines = [header + ("   seconds" if seconds else "")]
    for score in scores:
        cells = []
        for metric in metrics:
            value = score.area(metric)
            cells.append(f"{value:>16.3f}{'*' if value == best[metric] else ' '}")
        row = f"{score.method:<{width}} " + " ".join(cells)
        lines.append(row + (f" {score.seconds:9.1f}" if seconds else ""))
    return "\n".join(lines)
