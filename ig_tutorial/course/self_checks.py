"""Self-checks of the notebooks' exercises: a ``Correct: ...`` line, or a hint.

Each exercise of notebooks 1-9 and 12-14 ends with a cell that calls one ``check_*`` function
with the learner's answer and what the notebook computed. The check recomputes the answer (with
the package, or from a case with a known answer) and prints ``Correct: ...``, or raises
:class:`AssertionError` whose message is the hint: what a learner reads under the cell, and what
nbgrader's autograder counts as a failed test. An answer still ``None`` (the student set) fails
with "No answer yet". The checks reuse what the notebook computed; only :func:`check_explanation`
calls the model, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ig_tutorial.ig.faithfulness import pixel_ranking
from ig_tutorial.ig.integration_rules import integration_rule
from ig_tutorial.ig.pixel_maps import pixel_map
from ig_tutorial.ig.results import CompletenessCheck, IntegratedGradientsResult
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.models.classifier import class_label
from ig_tutorial.plotting.attribution_maps import attribution_map

__all__ = [
    "check_top1_probability",
    "check_most_hidden",
    "check_interpolation",
    "check_toy_integrated_gradients",
    "check_left_riemann",
    "check_enough_steps",
    "check_completeness_error",
    "check_hides_dark",
    "check_polynomial_rules",
    "check_clip_value",
    "check_explanation",
    "check_token_sums",
    "check_strongest_token",
    "check_deleted_pixels",
    "check_curve_area",
    "check_window_share",
    "check_held_fixed",
]

#: Tolerances of the comparisons with the package's float32 computations (absolute: near 0).
RELATIVE_TOLERANCE = 1e-4
ABSOLUTE_TOLERANCE = 1e-6


def _answered(answer: Any, name: str) -> Any:
    """The answer, or the "answer it" hint when it is still ``None``."""
    if answer is None:
        raise AssertionError(
            f"No answer yet: {name} is still None. Write your code in the exercise cell above "
            "(replace the line that raises NotImplementedError) and run it, then run this check."
        )
    return answer


def _as_array(answer: Any, name: str) -> np.ndarray:
    """The answer as a float64 array, or a hint naming what it was instead."""
    try:
        return np.asarray(_answered(answer, name), dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name} must be a number or an array of numbers, got {type(answer).__name__} "
            f"{answer!r:.60}."
        ) from None


def _as_number(answer: Any, name: str) -> float:
    value = _as_array(answer, name)
    if value.size != 1:
        raise AssertionError(f"{name} must be one number, got an array of shape {value.shape}.")
    return float(value.reshape(()))


def _close(answer: Any, expected: Any) -> bool:
    answer, expected = np.asarray(answer), np.asarray(expected)
    return answer.shape == expected.shape and bool(
        np.allclose(answer, expected, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE)
    )


def _passed(message: str) -> None:
    print(f"Correct: {message}")


def check_top1_probability(answer: Any, logits: Any) -> None:
    """Check exercise 1.1: the probability of the top-1 class, from the model's logits.

    Taught in ``notebooks/01_setup_and_classification.py``. ``logits``: shape ``(1, classes)``
    or ``(classes,)``.
    """
    value = _as_number(answer, "top1_probability")
    logits = np.asarray(logits, dtype=np.float64).reshape(-1)
    shifted = np.exp(logits - logits.max())
    expected = float((shifted / shifted.sum()).max())
    if np.isclose(value, logits.max(), rtol=RELATIVE_TOLERANCE):
        raise AssertionError(
            f"{value:.4f} is the largest logit, not a probability: apply tf.nn.softmax to the "
            "logits first, then take the largest value."
        )
    if not 0.0 <= value <= 1.0:
        raise AssertionError(f"A probability lies in [0, 1], got {value:.4f}: use tf.nn.softmax.")
    if not np.isclose(value, expected, rtol=1e-3, atol=1e-6):
        raise AssertionError(
            f"{value:.4f} is not the largest softmax probability of these logits: take the "
            "maximum over the classes (tf.reduce_max), after tf.nn.softmax(logits, axis=-1)."
        )
    _passed(f"the top-1 class has probability {expected:.1%}.")


def check_most_hidden(answer: Any, image: Any, baselines: Mapping[str, Any]) -> None:
    """Check exercise 2.1: which of ``baselines`` (name -> image) hides the most pixels.

    A pixel whose channels all equal the baseline's gets no attribution: every attribution
    carries the factor ``x_i - x'_i``. Taught in ``notebooks/02_baseline.py``.
    """
    name = _answered(answer, "hides_most")
    if name not in baselines:
        raise AssertionError(
            f"hides_most must be the name of a baseline, one of {', '.join(map(repr, baselines))}; "
            f"got {name!r}."
        )
    image = np.asarray(image)
    shares = {
        key: float(np.mean(np.all(image == np.asarray(baseline), axis=-1)))
        for key, baseline in baselines.items()
    }
    if shares[name] < max(shares.values()):
        raise AssertionError(
            f"The {name} baseline hides {shares[name]:.1%} of the pixels (a pixel is hidden when "
            "all three channels equal the baseline's); another baseline hides more. Compare the "
            "share for each baseline."
        )
    _passed(f"the {name} baseline equals {shares[name]:.1%} of the pixels, which get no credit.")


def check_interpolation(answer: Any, baseline: Any, image: Any, alphas: Any) -> None:
    """Check exercise 3.1: the images ``x' + alpha (x - x')`` on the straight path, one per alpha.

    Taught in ``notebooks/03_interpolation.py``.
    """
    path = _as_array(answer, "white_path")
    baseline, image = np.asarray(baseline, np.float64), np.asarray(image, np.float64)
    alphas = np.asarray(alphas, np.float64).reshape(-1)
    expected = baseline[None] + alphas[:, None, None, None] * (image - baseline)[None]
    if path.shape != expected.shape:
        raise AssertionError(
            f"Expected one image per alpha, shape {expected.shape}, got {path.shape}: give alphas "
            "three trailing axes (alphas[:, tf.newaxis, tf.newaxis, tf.newaxis]) and the images "
            "a leading one."
        )
    if not _close(path[0], expected[0]):
        raise AssertionError(
            "At alpha = 0 the path must be the baseline x' itself: start from the baseline and "
            "add alpha * (x - x'), rather than scaling the image alone."
        )
    if not _close(path[-1], expected[-1]):
        raise AssertionError("At alpha = 1 the path must reach the image x: check the formula.")
    if not _close(path, expected):
        raise AssertionError(
            "The ends are right but the points between are not: each image is "
            "x' + alpha * (x - x') with its own alpha, in the order of the alphas."
        )
    _passed(f"{len(alphas)} images from the baseline (alpha = 0) to the image (alpha = 1).")


def check_toy_integrated_gradients(answer: Any, x: float, threshold: float = 0.8) -> None:
    """Check exercise 4.1: IG of the toy ``f(x) = min(x, threshold)`` from the baseline 0.

    Completeness gives the exact value, ``f(x) - f(0)``; a rule with 100 steps is within 2% of
    it. Taught in ``notebooks/04_gradients_and_saturation.py``.
    """
    value = _as_number(answer, "toy_ig")
    exact = min(x, threshold) - min(0.0, threshold)
    if np.isclose(value, exact, rtol=0.02):
        _passed(f"IG = {value:.4f}, and f({x}) - f(0) = {exact:.4f}: complete, within 2%.")
        return
    if np.isclose(value, 1.0 if x <= threshold else 0.0, atol=1e-6):
        raise AssertionError(
            f"{value:.4f} is the gradient at x = {x}, the saturated answer IG avoids: average the "
            "gradients at the rule's points alpha * x along the path instead."
        )
    if np.isclose(value * x, exact, rtol=0.02):
        raise AssertionError(
            f"{value:.4f} is the average gradient along the path: multiply it by (x - x') = {x}."
        )
    raise AssertionError(
        f"{value:.4f} is not within 2% of f({x}) - f(0) = {exact:.4f}, which completeness "
        "demands: sum rule.weights * toy_gradient(rule.alphas * x), then multiply by x."
    )


def check_left_riemann(answer: Any, path_gradients: Any) -> None:
    """Check exercise 5.1: the left Riemann average of gradients taken at ``alpha = k / m``.

    ``path_gradients`` holds the ``m + 1`` gradients (``k = 0 .. m``); the left rule averages the
    first ``m``, as ``integration_rule("riemann_left", m)``. Taught in
    ``notebooks/05_integration.py``.
    """
    average = _as_array(answer, "left_average_gradient")
    gradients = np.asarray(path_gradients, np.float64)
    m = len(gradients) - 1
    rule = integration_rule("riemann_left", m_steps=m)
    expected = np.tensordot(rule.weights, gradients[:m], axes=1)
    if average.shape != expected.shape:
        raise AssertionError(
            f"Expected one average gradient of the image's shape {expected.shape}, got "
            f"{average.shape}: average over the alphas (axis 0)."
        )
    if _close(average, expected):
        _passed(f"the left Riemann rule with {m} steps, as integration_rule('riemann_left', {m}).")
        return
    wrong_rules = {
        "the right Riemann rule (the last m points)": gradients[1:].mean(axis=0),
        "the trapezoid rule": ((gradients[:-1] + gradients[1:]) / 2).mean(axis=0),
        "an average over all m + 1 points": gradients.mean(axis=0),
    }
    for description, value in wrong_rules.items():
        if _close(average, value):
            raise AssertionError(
                f"That is {description}. The left rule weighs the m left end points "
                f"alpha = 0, 1/m, ..., 1 - 1/m equally: leave out the last gradient."
            )
    raise AssertionError(
        "Not the left Riemann average: of each of the m sub-intervals [k/m, (k+1)/m] the left "
        "rule takes the gradient at its left end, alpha = k/m, and averages these m gradients "
        "over the alphas (axis 0)."
    )


def check_enough_steps(
    answer: Any, results: Sequence[CompletenessCheck], tolerance: float = 0.05
) -> None:
    """Check exercise 5.2: the fewest steps tried whose completeness error is under ``tolerance``.

    ``answer`` is the ``m_steps`` of one of ``results``, or ``"none"`` if none meets the
    tolerance (the paper's 5%). Taught in ``notebooks/05_integration.py``.
    """
    steps = _answered(answer, "enough_steps")
    errors = {result.m_steps: result.relative_completeness_error for result in results}
    meeting = sorted(m for m, error in errors.items() if error < tolerance)
    tried = ", ".join(str(m) for m in sorted(errors))
    if not meeting:
        if steps == "none":
            _passed(f"none of {tried} steps is within {tolerance:.0%}: more steps are needed.")
            return
        raise AssertionError(
            f"None of the counts tried ({tried}) is within {tolerance:.0%}; answer 'none'."
        )
    if steps not in errors:
        raise AssertionError(f"enough_steps must be one of the step counts tried ({tried}).")
    if errors[steps] >= tolerance:
        raise AssertionError(
            f"At {steps} steps the completeness error is {errors[steps]:.2%}, not under "
            f"{tolerance:.0%}: compare each result's relative_completeness_error with {tolerance}."
        )
    if steps != meeting[0]:
        raise AssertionError(
            f"{steps} steps are within {tolerance:.0%}, but fewer steps are too: take the "
            "smallest m_steps that meets it."
        )
    _passed(
        f"{steps} steps, completeness error {errors[steps]:.2%}, the fewest tried under "
        f"{tolerance:.0%}."
    )


def check_completeness_error(answer: Any, result: IntegratedGradientsResult) -> None:
    """Check exercise 6.1: the relative completeness error, from a result's fields.

    ``|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|``, as the result's
    ``relative_completeness_error``. Taught in ``notebooks/06_visualization.py``.
    """
    value = _as_number(answer, "my_error")
    expected = result.relative_completeness_error
    if np.isclose(value, expected, rtol=1e-3, atol=1e-7):
        _passed(f"relative completeness error {expected:.2%}, as the result reports.")
        return
    delta = result.completeness_delta
    wrong = {
        "the absolute delta |sum(IG) - (F(x) - F(x'))|: divide it by |F(x) - F(x')|": abs(delta),
        "signed: take the absolute value of the delta": delta / result.score_difference,
        "divided by F(x): divide by the score difference |F(x) - F(x')| instead": abs(delta)
        / abs(result.score_at_input),
    }
    for message, candidate in wrong.items():
        if np.isclose(value, candidate, rtol=1e-3, atol=1e-9):
            raise AssertionError(f"{value:.6f} is {message}.")
    raise AssertionError(
        f"{value:.6f} is not |sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|: sum result.attributions "
        "and use result.score_at_input and result.score_at_baseline."
    )


def check_hides_dark(
    answer: Any, results: Mapping[str, IntegratedGradientsResult], dark: Any
) -> None:
    """Check exercise 7.1: the baseline that leaves the ``dark`` pixels the least ``|IG|``.

    ``results`` maps each baseline's name to its attributions; ``dark`` is a boolean
    ``(height, width)`` mask. Taught in ``notebooks/07_baselines.py``.
    """
    name = _answered(answer, "hides_dark")
    if name not in results:
        raise AssertionError(
            f"hides_dark must be one of the baselines compared ({', '.join(map(repr, results))}); "
            f"got {name!r}."
        )
    dark = np.asarray(dark, bool)
    shares = {}
    for key, result in results.items():
        magnitude = pixel_map(np.asarray(result.attributions, np.float64))
        total = magnitude.sum()
        shares[key] = float(magnitude[dark].sum() / total) if total > 0 else 0.0
    if shares[name] > min(shares.values()):
        raise AssertionError(
            f"With the {name} baseline, dark pixels get {shares[name]:.1%} of |IG|; another "
            "baseline gives them less. For each result, sum |attributions| over the channels, "
            "then divide the sum over dark pixels by the sum over all pixels."
        )
    _passed(f"the {name} baseline leaves dark pixels {shares[name]:.1%} of |IG|: its blind spot.")


def check_polynomial_rules(trapezoid_estimate: Any, gauss_estimate: Any) -> None:
    """Check exercise 8.1: two rules with ``m_steps=2`` on ``f(alpha) = 4 alpha^3``.

    The exact integral over ``[0, 1]`` is 1: two Gauss-Legendre nodes integrate any cubic
    exactly, the trapezoid rule with two sub-intervals gives 1.25. Taught in
    ``notebooks/08_integration_rules_and_steps.py``.
    """
    answers = {
        "riemann_trapezoid": _as_number(trapezoid_estimate, "trapezoid_estimate"),
        "gausslegendre": _as_number(gauss_estimate, "gauss_estimate"),
    }
    rules = {name: integration_rule(name, m_steps=2) for name in answers}
    expected = {
        name: float(np.sum(rule.weights * 4.0 * rule.alphas**3)) for name, rule in rules.items()
    }
    trapezoid, gauss = answers.values()
    if np.isclose(trapezoid, expected["gausslegendre"]) and np.isclose(
        gauss, expected["riemann_trapezoid"]
    ):
        raise AssertionError("The two estimates are swapped.")
    for name, value in answers.items():
        if np.isclose(value, expected[name], rtol=1e-6):
            continue
        if np.isclose(value, float(np.sum(4.0 * rules[name].alphas ** 3))):
            raise AssertionError(
                f"Your {name} estimate {value:.4f} adds f at the alphas without the weights: "
                "multiply each f(alpha) by its weight, np.sum(rule.weights * f(rule.alphas))."
            )
        raise AssertionError(
            f"Your {name} estimate {value:.4f} is not the rule's: use integration_rule("
            f"{name!r}, m_steps=2) and np.sum(rule.weights * 4 * rule.alphas**3)."
        )
    _passed(
        f"trapezoid {trapezoid:.4f} (error {trapezoid - 1:+.0%}), Gauss-Legendre {gauss:.4f}: two "
        "Gauss-Legendre nodes integrate a cubic exactly."
    )


def check_clip_value(answer: Any, attributions: Any, clip_percentile: float = 99.0) -> None:
    """Check exercise 9.1: the value at which the ``"absolute"`` attribution map is clipped.

    That map sums ``|IG|`` over the channels and clips it at its ``clip_percentile``-th
    percentile (:func:`~ig_tutorial.plotting.attribution_maps.attribution_map`). Taught in
    ``notebooks/09_toolkit.py``.
    """
    value = _as_number(answer, "clip_value")
    expected = attribution_map(attributions, "absolute", clip_percentile).vmax
    if np.isclose(value, expected, rtol=1e-4):
        _passed(f"the map is clipped at {expected:.3g}, its {clip_percentile:g}th percentile.")
        return
    magnitudes = np.abs(np.asarray(attributions, np.float64))
    if np.isclose(value, np.percentile(magnitudes, clip_percentile), rtol=1e-4):
        raise AssertionError(
            "That is the percentile over single channel values: sum |attributions| over the "
            "channels first (axis=-1), one value per pixel, then take the percentile."
        )
    if np.isclose(value, pixel_map(magnitudes).max(), rtol=1e-4):
        raise AssertionError(
            f"That is the largest value (the 100th percentile); take the {clip_percentile:g}th "
            "with np.percentile."
        )
    raise AssertionError(
        f"{value:.4g} is not the {clip_percentile:g}th percentile of the per-pixel sum of "
        "|attributions|: np.percentile(np.abs(attributions).sum(axis=-1), 99)."
    )


def check_explanation(answer: Any, image: Any, model: Any, tolerance: float = 0.05) -> None:
    """Check exercise 9.2: Integrated Gradients of a photo of the learner's choice.

    The result must explain the photo's top-1 class with a completeness error under
    ``tolerance`` (the paper's 5%). Taught in ``notebooks/09_toolkit.py``.
    """
    result = _answered(answer, "my_result")
    if not isinstance(result, IntegratedGradientsResult):
        raise AssertionError(
            f"my_result must be what integrated_gradients returns, got {type(result).__name__}."
        )
    shape = tuple(np.shape(image))
    if result.attributions.shape != shape:
        raise AssertionError(
            f"The attributions have shape {result.attributions.shape}, your image {shape}: "
            "explain my_image, the photo you read."
        )
    top1 = resolve_target(model, image, "top-1")
    label = class_label(model, top1)
    name = f"{top1} ({label})" if label is not None else str(top1)
    if result.target != top1:
        raise AssertionError(
            f"The result explains class {result.target}; the model's top-1 for this photo is "
            f"{name}: pass the target 'top-1'."
        )
    error = result.relative_completeness_error
    if not error < tolerance:
        raise AssertionError(
            f"The completeness error is {error:.2%}, not under {tolerance:.0%}: the integral "
            "needs more steps. Raise m_steps, or let m_steps='auto' choose them with "
            f"tolerance={tolerance}."
        )
    _passed(f"class {name} explained, completeness error {error:.2%}.")


def check_token_sums(answer: Any, result: Any) -> None:
    """Check exercise 12.1: one attribution per token, summed over the embedding axis.

    ``result`` is the attribution at the embedding layer, ``attributions`` of shape
    ``(seq_len, dim)``. Taught in ``notebooks/12_text.py``.
    """
    value = _as_array(answer, "token_sums")
    attributions = np.asarray(result.attributions, np.float64)
    expected = attributions.sum(axis=-1)
    if _close(value, expected):
        _passed(
            f"{expected.size} numbers, one per position; they add up to {expected.sum():.4f}, "
            "the attributions' sum (completeness is kept)."
        )
        return
    if value.shape == (attributions.shape[-1],):
        raise AssertionError(
            f"token_sums has shape {value.shape}: one number per embedding dimension. Sum over "
            "the other axis, the last one (axis=-1), to get one number per position."
        )
    if _close(value, np.abs(attributions).sum(axis=-1)):
        raise AssertionError(
            "Those are sums of absolute values: keep the signs, so that a token can push the "
            "score down (and the numbers still add up to F(x) - F(x'))."
        )
    raise AssertionError(
        f"token_sums should be result.attributions summed over its last axis, shape "
        f"{expected.shape}; got shape {value.shape}."
    )


def check_strongest_token(answer: Any, attributed: Any, vocabulary: Sequence[str]) -> None:
    """Check exercise 12.2: the token that pushed the target's score down the most.

    ``attributed``: the sentence's ``TokenAttributions``; ``vocabulary``: token id -> token.
    Taught in ``notebooks/12_text.py``.
    """
    answer = _answered(answer, "strongest_negative")
    tokens, values = attributed.tokens(list(vocabulary)), np.asarray(attributed.token_values)
    expected = tokens[int(np.argmin(values))]
    if not isinstance(answer, str):
        raise AssertionError(
            f"strongest_negative must be a token (a string such as 'dull'), got "
            f"{type(answer).__name__} {answer!r:.40}: index tokens with the position."
        )
    if answer == expected:
        _passed(f"'{expected}' has the most negative attribution, {values.min():+.4f}.")
        return
    if answer == tokens[int(np.argmax(values))]:
        raise AssertionError(
            f"'{answer}' pushed the score *up* the most; the most negative value is np.argmin."
        )
    if answer not in tokens:
        raise AssertionError(f"'{answer}' is not a token of the sentence {' '.join(tokens)!r}.")
    raise AssertionError(
        f"'{answer}' has attribution {values[tokens.index(answer)]:+.4f}; another token of the "
        "sentence has a more negative one (np.argmin of token_values)."
    )


def _top_pixels(per_pixel: np.ndarray, fraction: float) -> np.ndarray:
    """A boolean mask of the ``fraction`` of the pixels with the largest values (stable ties)."""
    count = int(fraction * per_pixel.size)
    chosen = np.zeros(per_pixel.size, bool)
    chosen[pixel_ranking(per_pixel)[:count]] = True  # as the deletion metric ranks them
    return chosen.reshape(per_pixel.shape)


def check_deleted_pixels(answer: Any, image: Any, attributions: Any, fraction: float) -> None:
    """Check exercise 13.1: the image with the map's top ``fraction`` of pixels set to black.

    Pixels are ranked by the signed sum of the attributions over the channels, as the deletion
    metric ranks them (:mod:`ig_tutorial.ig.faithfulness`). Taught in
    ``notebooks/13_evaluating_attributions.py``.
    """
    value = _as_array(answer, "deleted")
    pixels = np.asarray(image, np.float64)
    if value.shape != pixels.shape:
        raise AssertionError(
            f"deleted has shape {value.shape}; it must be a copy of the image, {pixels.shape}."
        )
    signed = np.asarray(attributions, np.float64).sum(axis=-1)
    changed = np.any(value != pixels, axis=-1)
    black = np.all(value == 0, axis=-1)
    expected = _top_pixels(signed, fraction)
    if not changed.any():
        raise AssertionError("deleted equals the image: set the top pixels' three channels to 0.")
    if np.any(changed & ~black):
        raise AssertionError(
            "Some changed pixels are not black in all three channels: a deleted pixel is "
            "[0, 0, 0], so rank pixels (the channel sum), not single channel values."
        )
    # The image's own black pixels are deleted whether or not they are chosen.
    not_black = ~np.all(pixels == 0, axis=-1)
    deleted_now = black & not_black
    if np.array_equal(deleted_now, expected & not_black):
        _passed(
            f"the {int(expected.sum())} pixels with the largest channel sum of the attributions "
            f"({fraction:.0%} of {signed.size}) are black, the rest untouched."
        )
        return
    if np.array_equal(deleted_now, _top_pixels(np.abs(signed), fraction) & not_black):
        raise AssertionError(
            "Those are the largest *absolute* values: rank by the signed sum, so that the "
            "pixels that raised the score come first and those that lowered it last."
        )
    if np.array_equal(deleted_now, _top_pixels(-signed, fraction) & not_black):
        raise AssertionError(
            "You deleted the pixels with the *smallest* sums: sort in descending order "
            "(np.argsort of minus the map)."
        )
    raise AssertionError(
        f"{int(black.sum())} pixels are black; expected the {int(expected.sum())} "
        f"({fraction:.0%}) with the largest channel sum of the attributions."
    )


def check_curve_area(answer: Any, curve: Any) -> None:
    """Check exercise 13.2: the normalised area under a deletion or insertion curve.

    RISE's score: the trapezoid rule over the curve's ``n + 1`` points, divided by ``n``
    (:func:`ig_tutorial.ig.faithfulness.normalized_auc`). Taught in
    ``notebooks/13_evaluating_attributions.py``.
    """
    value = _as_number(answer, "area")
    p = np.asarray(curve.probabilities, np.float64)
    if _close(value, curve.auc):
        _passed(f"the area is {curve.auc:.4f}, {len(p)} points, {len(p) - 1} steps.")
        return
    if _close(value, p.mean()):
        raise AssertionError(
            "That is the mean of the points: the trapezoid rule counts the two ends half, and "
            "divides by the number of steps, len(p) - 1."
        )
    if _close(value, p.sum() - p[0] / 2 - p[-1] / 2):
        raise AssertionError("Right sum; now divide by the number of steps, len(p) - 1.")
    if _close(value, p.sum() / (len(p) - 1)):
        raise AssertionError("Count the two ends half: subtract p[0] / 2 and p[-1] / 2.")
    raise AssertionError(
        f"area should be (sum of the points - half of each end) / {len(p) - 1}; got {value:.4f}."
    )


def check_window_share(answer: Any, result: Any, window: slice, channel: int = 0) -> None:
    """Check exercise 14.1: the share of a sequence's ``|IG|`` in ``window`` of ``channel``.

    ``result.attributions`` is ``(time, channels)``; the share is the window's ``|IG|`` over all
    of it. Taught in ``notebooks/14_any_model.py``.
    """
    value = _as_number(answer, "window_share")
    magnitudes = np.abs(np.asarray(result.attributions, np.float64))
    total = magnitudes.sum()
    expected = magnitudes[window, channel].sum() / total
    if np.isclose(value, expected, rtol=1e-4):
        _passed(
            f"{expected:.1%} of |IG| lies in steps {window.start}-{window.stop - 1} of channel "
            f"{channel}, {magnitudes[window, channel].size / magnitudes.size:.1%} of the values."
        )
        return
    signed = np.asarray(result.attributions, np.float64)
    wrong = {
        "both channels: the bump is in one, index it too (a[window, 0])": magnitudes[window].sum()
        / total,
        "signed: take np.abs of the attributions first": signed[window, channel].sum()
        / signed.sum(),
        "not a share: divide by the |IG| of the whole sequence": magnitudes[window, channel].sum(),
    }
    for message, candidate in wrong.items():
        if np.isclose(value, candidate, rtol=1e-4):
            raise AssertionError(f"{value:.4f} counts {message}.")
    shorter = slice(window.start, window.stop - 1)
    if np.isclose(value, magnitudes[shorter, channel].sum() / total, rtol=1e-4):
        raise AssertionError(
            f"One step short: a slice stops before its end, so steps {window.start} to "
            f"{window.stop - 1} are {window.start}:{window.stop}."
        )
    raise AssertionError(
        f"{value:.4f} is not the window's share of |IG|: sum np.abs(attributions) over steps "
        f"{window.start}-{window.stop - 1} of channel {channel}, divided by the sum over all."
    )


def check_held_fixed(answer: Any, example: Mapping[str, Any], fixed: str) -> None:
    """Check exercise 14.2: ``example``, a dict of inputs, attributed with ``fixed`` held fixed.

    Held fixed, its baseline is the input itself, so ``x - x' = 0`` and it gets no attribution;
    the other float inputs still get some (integer inputs never do). Taught in
    ``notebooks/14_any_model.py``.
    """
    result = _answered(answer, "held_fixed")
    attributions = getattr(result, "attributions", None)
    if not isinstance(attributions, Mapping) or set(attributions) != set(example):
        raise AssertionError(
            "held_fixed must be what integrated_gradients returns for the example: attributions "
            f"per input, {sorted(example)}."
        )
    if np.any(np.asarray(attributions[fixed]) != 0):
        raise AssertionError(
            f"{fixed!r} still gets attributions: its baseline is zeros. Give the input itself as "
            f"its baseline, baseline={{..., {fixed!r}: example[{fixed!r}]}}, so x - x' = 0."
        )
    silent = [
        name
        for name, values in attributions.items()
        if name != fixed
        and np.issubdtype(np.asarray(example[name]).dtype, np.floating)
        and not np.any(np.asarray(values) != 0)
    ]
    if silent:
        raise AssertionError(
            f"{', '.join(map(repr, silent))} got no attribution either: hold only {fixed!r} "
            "fixed, and give the others None (zeros) as their baseline."
        )
    _passed(
        f"{fixed!r} gets 0; the other inputs add up to {result.attribution_sum:.4f}, "
        f"F(x) - F(x') = {result.score_difference:.4f} from the new baseline."
    )
