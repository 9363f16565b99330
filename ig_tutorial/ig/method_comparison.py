"""The attribution methods notebook 13 scores, on an equal budget of gradient evaluations.

Taught in ``notebooks/13_evaluating_attributions.py``; ``benchmarks/faithfulness.py`` scores the
same methods on more photos. Each method is an
:data:`ig_tutorial.ig.sanity_checks.AttributionMethod`, ``(model, image, target index)`` to a map
of the image's shape, so the faithfulness metrics (:mod:`ig_tutorial.ig.faithfulness`) and the
sanity check (:mod:`ig_tutorial.ig.sanity_checks`) take any of them.

A fair comparison gives every path method the same number of gradient evaluations, ``steps + 1``
(the ensembles, ``steps / members + 1`` per member): a method that looks better only because it
was given more model calls has not been shown to be better. Every method attributes the same
score as the metrics measure, the target's softmax probability.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import positive_integer
from ig_tutorial.ig.baselines import make_baseline
from ig_tutorial.ig.ensembles import (
    integrated_gradients_over_baselines,
    smoothgrad_integrated_gradients,
)
from ig_tutorial.ig.faithfulness import (
    InformationCurve,
    InformationCurveUndefined,
    PerturbationCurve,
    deletion_and_insertion,
    information_curves,
    random_map,
)
from ig_tutorial.ig.gradients import Model
from ig_tutorial.ig.guided_ig import guided_integrated_gradients
from ig_tutorial.ig.idgi import idgi
from ig_tutorial.ig.integrated_gradients import integrated_gradients
from ig_tutorial.ig.path_methods import blur_integrated_gradients
from ig_tutorial.ig.sanity_checks import AttributionMethod, gradient_attributions, image_edges
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.progress import progress_bar

#: Members of the two ensembles (averaged baselines, SmoothGrad): each gets ``steps / 4`` steps.
ENSEMBLE_MEMBERS = 4
#: The score every compared method attributes: what the deletion and insertion curves record.
COMPARED_OUTPUT = "probability"


def gradient_times_input(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
    """The gradient of the target's probability times the image (Shrikumar et al., 2016).

    One gradient evaluation: what IG from the black baseline becomes with a single step at the
    input (the left end's rule would take the baseline's gradient instead).

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    image : tf.Tensor
        Shape ``(height, width, 3)``.
    target : int
        Class index.

    Returns
    -------
    numpy.ndarray
        Same shape as ``image``.
    """
    return gradient_attributions(model, image, target, output=COMPARED_OUTPUT) * np.asarray(image)


def compared_methods(steps: int = 64, *, seed: int = 0) -> dict[str, AttributionMethod]:
    """The methods notebook 13 compares, by display name, each with ``steps + 1`` evaluations.

    Parameters
    ----------
    steps : int, default 64
        Steps of every path method (fixed trapezoid rule for IG): ``steps + 1`` gradient
        evaluations each; the ensembles give each of their :data:`ENSEMBLE_MEMBERS` members
        ``steps // ENSEMBLE_MEMBERS`` steps (at least 1).
    seed : int, default 0
        Seed of the random baselines, SmoothGrad's noise and the random control.

    Returns
    -------
    dict
        Name -> :data:`~ig_tutorial.ig.sanity_checks.AttributionMethod`, in this order: the
        gradient, gradient x input, IG from the black and from the blurred baseline, IG averaged
        over uniform-noise baselines, SmoothGrad-IG, Blur IG, Guided IG, IDGI (on the straight line
        from black), then the two controls (random, edges).

    Raises
    ------
    ValueError
        If ``steps`` is not a positive integer.
    """
    positive_integer(steps, "steps")
    member_steps = max(1, steps // ENSEMBLE_MEMBERS)
    options = {"output": COMPARED_OUTPUT}

    def ig_from(name: str) -> AttributionMethod:
        def method(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
            baseline = make_baseline(name, image, seed=seed)
            result = integrated_gradients(
                model, image, target, baseline=baseline, m_steps=steps, **options
            )
            return result.attributions

        return method

    def averaged(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
        baselines = ["uniform"] * ENSEMBLE_MEMBERS
        result = integrated_gradients_over_baselines(
            model, image, target, baselines, seed=seed, m_steps=member_steps, **options
        )
        return result.attributions

    def smoothgrad(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
        result = smoothgrad_integrated_gradients(
            model,
            image,
            target,
            num_samples=ENSEMBLE_MEMBERS,
            seed=seed,
            m_steps=member_steps,
            **options,
        )
        return result.attributions

    def blur_ig(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
        return blur_integrated_gradients(model, image, target, steps=steps, **options).attributions

    def guided(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
        return guided_integrated_gradients(
            model, image, target, steps=steps, **options
        ).attributions

    def important_directions(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
        return idgi(model, image, target, m_steps=steps, **options).attributions

    def gradient(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
        return gradient_attributions(model, image, target, output=COMPARED_OUTPUT)

    def random_control(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
        # One random value a pixel, spread over the channels: the channel sum is the random map.
        channels = image.shape[-1]
        values = random_map(image, seed=seed)[..., None] / channels
        return np.repeat(values, channels, axis=-1).astype(np.float32)

    return {
        "Gradient": gradient,
        "Gradient x input": gradient_times_input,
        "IG, black baseline": ig_from("black"),
        "IG, blurred baseline": ig_from("blur"),
        f"IG, {ENSEMBLE_MEMBERS} uniform baselines": averaged,
        "SmoothGrad-IG": smoothgrad,
        "Blur IG": blur_ig,
        "Guided IG": guided,
        "IDGI": important_directions,
        "Random (control)": random_control,
        "Edges (control)": image_edges,
    }


@dataclass(frozen=True)
class MethodScore:
    """How faithful one method's map is on one image, and what the map cost.

    Attributes
    ----------
    method : str
        The method's name.
    attributions : numpy.ndarray
        Its map, the image's shape.
    seconds : float
        Wall time of computing the map.
    scoring_seconds : float
        Wall time of scoring it: the curves' forward passes (and the information curves').
    deletion, insertion : PerturbationCurve
        RISE's curves (:func:`ig_tutorial.ig.faithfulness.deletion_and_insertion`): a low
        deletion area and a high insertion area are better.
    information : dict of str to InformationCurve
        The SIC and AIC (:func:`ig_tutorial.ig.faithfulness.information_curves`); empty when
        they were not asked for or are undefined for this image.
    """

    method: str
    attributions: np.ndarray
    seconds: float
    scoring_seconds: float
    deletion: PerturbationCurve
    insertion: PerturbationCurve
    information: dict[str, InformationCurve]

    def area(self, metric: str) -> float:
        """The area of ``metric``: ``"deletion"``, ``"insertion"``, ``"SIC"`` or ``"AIC"``.

        ``nan`` for an information curve that was not computed.
        """
        if metric in ("deletion", "insertion"):
            return getattr(self, metric).auc
        curve = self.information.get(metric)
        return float("nan") if curve is None else curve.auc


#: Better is lower for deletion, higher for the others.
LOWER_IS_BETTER = frozenset({"deletion"})


def score_methods(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    methods: Mapping[str, AttributionMethod],
    *,
    step: int | None = None,
    information: bool = False,
    progress: bool = False,
) -> list[MethodScore]:
    """Compute each method's map of one image and score it by deletion and insertion.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    image : tensor or array
        Shape ``(height, width, 3)``.
    target : int or str
        Class index, label name or ``"top-1"``, resolved once for all methods.
    methods : mapping
        Name -> :data:`~ig_tutorial.ig.sanity_checks.AttributionMethod`, e.g.
        :func:`compared_methods`.
    step : int, optional
        Pixels deleted or inserted per step; default the image's width (RISE's).
    information : bool, default False
        Also compute the SIC and AIC (about as many forward passes again as a deletion curve
        at the default step); left empty where the image's curves are undefined
        (:class:`~ig_tutorial.ig.faithfulness.InformationCurveUndefined`).
    progress : bool, default False
        A progress bar over the methods.

    Returns
    -------
    list of MethodScore
        In the order of ``methods``.
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
        curves: dict[str, InformationCurve] = {}
        if information:
            try:
                curves = information_curves(model, image, index, attributions)
            except InformationCurveUndefined:
                curves = {}
        scoring = time.perf_counter() - start
        scores.append(
            MethodScore(name, attributions, seconds, scoring, deletion, insertion, curves)
        )
    return scores


def scores_table(
    scores: list[MethodScore],
    metrics: tuple[str, ...] = ("deletion", "insertion"),
    *,
    seconds: bool = True,
) -> str:
    """A plain-text table of the scores, one row per method, with each metric's best marked.

    Parameters
    ----------
    scores : list of MethodScore
    metrics : tuple of str, default ("deletion", "insertion")
        Any of ``"deletion"``, ``"insertion"``, ``"SIC"``, ``"AIC"``.
    seconds : bool, default True
        Add a column with each map's wall time (leave it out where the table must print the
        same twice, as in a notebook checked by re-execution).

    Returns
    -------
    str
        Columns: the method, each metric's area (``*`` marks the best), the map's seconds.
        A metric that is ``nan`` for every method is left as ``nan`` and unmarked.
    """
    best = {}
    for metric in metrics:
        values = [score.area(metric) for score in scores]
        finite = [v for v in values if np.isfinite(v)]
        if finite:
            best[metric] = min(finite) if metric in LOWER_IS_BETTER else max(finite)
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
            mark = "*" if metric in best and value == best[metric] else " "
            cells.append(f"{value:>16.3f}{mark}")
        row = f"{score.method:<{width}} " + " ".join(cells)
        lines.append(row + (f" {score.seconds:9.1f}" if seconds else ""))
    return "\n".join(lines)
