"""m_steps="auto": local refinement, its indicator and stopping rule, on integrals known exactly."""

import numpy as np
import pytest
import tensorflow as tf

from benchmarks.adaptive_calibration import INDICATORS, replay
from ig_tutorial import compute_gradients, integrated_gradients, relative_l2_error
from ig_tutorial.ig import adaptive_steps
from ig_tutorial.ig.adaptive_steps import INITIAL_NODES, choose_midpoints
from tests.toy_models import (
    CallCounter,
    KinkModel,
    RandomWalkIntegrand,
    SigmoidModel,
)


def contract_violations(attributions, exact, completeness_error, tolerance) -> list[str]:
    """What breaks the promise of ``tolerance``: completeness <= t and L2 <= 2 t against exact."""
    problems = []
    if completeness_error > tolerance:
        problems.append(f"completeness {completeness_error:.3g} > {tolerance:g}")
    l2 = relative_l2_error(attributions, exact)
    if l2 > 2 * tolerance:
        problems.append(f"L2 {l2:.3g} > {2 * tolerance:g}")
    return problems


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(3).uniform(0.2, 1.0, size=(6, 6, 3)).astype(np.float32)


# --- functions whose integral is known -------------------------------------------------------


def test_linear_model_stops_after_the_first_grid(linear_model, rng):
    image = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
    baseline = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
    result = integrated_gradients(
        linear_model, image, 1, baseline=baseline, m_steps="auto", output="logit", batch_size=7
    )
    # The first grid is a whole number of batches of at least 16 nodes: 3 x 7 = 21. Its
    # gradient is constant, so every surplus and residual is 0 and nothing is refined.
    assert result.num_evaluations == 21 and result.m_steps == 20
    np.testing.assert_allclose(
        result.attributions, linear_model.exact_logit_ig(image, baseline, 1), rtol=1e-4, atol=1e-5
    )
    assert len(result.convergence_history) == 1
    assert result.estimated_error < 1e-6
    assert np.all(result.refinement.node_rounds == 0)
    # 1 forward pass for both ends, then 3 full batches.
    assert int(linear_model.calls.numpy()) == 1 + 3
    assert int(linear_model.images_seen.numpy()) == 21 + 2


@pytest.mark.parametrize("tolerance", [0.05, 0.01, 0.002])
def test_saturating_function_meets_the_contract(image, tolerance):
    model = SigmoidModel(image, transition=0.3, sharpness=60.0)
    result = integrated_gradients(model, image, 0, m_steps="auto", tolerance=tolerance)
    exact = model.exact_ig(image)
    assert (
        contract_violations(
            result.attributions, exact, result.relative_completeness_error, tolerance
        )
        == []
    )
    # The score rises around alpha = 0.3 and is flat elsewhere: the nodes go to the rise.
    near = np.sum(np.abs(result.alphas - 0.3) < 0.1)
    far = np.sum(np.abs(result.alphas - 0.3) > 0.4)
    assert near > 2 * far


@pytest.mark.parametrize("tolerance", [0.05, 0.01, 0.002])
def test_jump_in_the_gradient_meets_the_contract(image, tolerance):
    model = KinkModel(image, kink=0.61)
    result = integrated_gradients(
        model, image, 0, m_steps="auto", output="logit", tolerance=tolerance
    )
    assert (
        contract_violations(
            result.attributions,
            model.exact_ig(image),
            result.relative_completeness_error,
            tolerance,
        )
        == []
    )
    residuals = result.refinement.interval_residuals
    holds_kink = (result.alphas[:-1] < 0.61) & (0.61 < result.alphas[1:])
    # The trapezoid is exact on every sub-interval but the one around the kink, and every node
    # added after the first grid (spacing 1/15) went to the two first sub-intervals next to it,
    # whose end nodes have a surplus.
    assert np.all(np.abs(residuals[~holds_kink]) < 1e-5 * abs(result.score_difference))
    added = result.alphas[result.refinement.node_rounds > 0]
    assert np.all(np.abs(added - 0.61) < 2 / 15)
    assert added.size > 0 or tolerance == 0.05
    np.testing.assert_allclose(residuals.sum(), -result.completeness_delta, atol=1e-5)


@pytest.mark.parametrize("indicator", sorted(INDICATORS))
def test_random_walk_gradient_meets_the_contract_and_calibrates_the_indicator(indicator):
    # "change" is the indicator benchmarks/adaptive_calibration.py compares "surplus" with.
    integrand = RandomWalkIntegrand()
    difference = np.ones(integrand.exact.shape, np.float32)
    score_difference = float(integrand.exact.sum())
    for tolerance in (0.02, 0.01, 0.005):
        outcome = replay(
            integrand.evaluate,
            difference,
            score_difference,
            batch_size=8,
            tolerance=tolerance,
            max_steps=2048,
            refinement=INDICATORS[indicator],
        )
        last = outcome.convergence_history[-1]
        assert outcome.refinement.converged
        assert (
            contract_violations(
                outcome.attributions,
                integrand.exact,
                last.relative_completeness_error,
                tolerance,
            )
            == []
        )
        assert indicator_bias(integrand, outcome) == pytest.approx(1.0, abs=0.3)


def indicator_bias(integrand, outcome) -> float:
    """Median of (true error norm / error indicator) over the sub-intervals of ``outcome``."""
    alphas = np.asarray(outcome.alphas)
    exact = np.diff(integrand.integral(alphas), axis=0)
    ends = integrand.gradient(alphas)
    trapezoid = np.diff(alphas)[:, None] / 2.0 * (ends[:-1] + ends[1:])
    true = np.linalg.norm(trapezoid - exact, axis=1)
    return float(np.median(true / outcome.refinement.interval_errors))


def test_the_calibration_check_catches_a_wrong_indicator(monkeypatch):
    integrand = RandomWalkIntegrand()
    monkeypatch.setattr(adaptive_steps, "SURPLUS_FACTOR", 0.1)  # four times too small
    outcome = replay(
        integrand.evaluate,
        np.ones(integrand.exact.shape, np.float32),
        float(integrand.exact.sum()),
        batch_size=8,
        tolerance=0.01,
        max_steps=2048,
    )
    assert indicator_bias(integrand, outcome) > 2.0
    # Trusting it, refinement stops with an L2 error above what the tolerance promises.
    last = outcome.convergence_history[-1]
    violations = contract_violations(
        outcome.attributions, integrand.exact, last.relative_completeness_error, 0.01
    )
    assert violations and violations[0].startswith("L2")


class BalancedIntegrand:
    """``g(alpha) = (1 + phi, -phi)`` along ``x - x' = (1, 1)``: completeness is exact always.

    ``g . (x - x') = 1``, so every local residual is 0 whatever the grid, yet each component's
    integral needs ``phi = sin(5 pi alpha) + 2 alpha^2`` resolved: the completeness error is met
    by luck from the start, the L2 error is not.
    """

    def phi(self, alphas):
        return np.sin(5 * np.pi * alphas) + 2 * alphas**2

    def evaluate(self, alphas):
        alphas = np.asarray(alphas, np.float64)
        gradients = np.stack([1 + self.phi(alphas), -self.phi(alphas)], axis=-1)
        return gradients.astype(np.float32), alphas.copy()

    exact = np.array([1 + 2 / (5 * np.pi) + 2 / 3, -2 / (5 * np.pi) - 2 / 3])


def test_completeness_met_by_luck_does_not_stop_refinement():
    integrand = BalancedIntegrand()
    outcome = replay(
        integrand.evaluate, np.ones(2, np.float32), 1.0, batch_size=4, tolerance=0.001,
        max_steps=512,
    )  # fmt: skip
    history = outcome.convergence_history
    first, last = history[0], history[-1]
    assert first.relative_completeness_error < 1e-6  # completeness alone would stop here
    assert first.estimated_error > 0.01
    assert len(history) > 1 and outcome.refinement.converged
    assert (
        contract_violations(
            outcome.attributions, integrand.exact, last.relative_completeness_error, 0.001
        )
        == []
    )


def test_the_contract_check_catches_a_completeness_only_stop():
    integrand = BalancedIntegrand()
    broken = replay(
        integrand.evaluate, np.ones(2, np.float32), 1.0, batch_size=4, tolerance=0.001,
        max_steps=512, l2_factor=np.inf,
    )  # fmt: skip
    assert len(broken.convergence_history) == 1
    violations = contract_violations(
        broken.attributions,
        integrand.exact,
        broken.convergence_history[-1].relative_completeness_error,
        0.001,
    )
    assert violations and violations[0].startswith("L2")


# --- cost: nothing evaluated twice, full batches, bounded by max_steps ------------------------


@pytest.mark.parametrize("batch_size", [1, 5, 8])
def test_no_evaluation_is_repeated_and_batches_stay_full(image, batch_size):
    model = CallCounter(SigmoidModel(image, transition=0.3, sharpness=60.0))
    result = integrated_gradients(
        model, image, 0, m_steps="auto", tolerance=0.002, batch_size=batch_size
    )
    assert result.refinement.converged and len(result.convergence_history) > 3
    assert np.unique(result.alphas).size == result.alphas.size == result.num_evaluations
    assert int(model.images_seen.numpy()) == result.num_evaluations + 2
    # Every call but the end points' forward pass holds exactly batch_size images.
    assert int(model.calls.numpy()) - 1 == result.num_evaluations // batch_size
    assert result.num_evaluations % batch_size == 0
    for step in result.convergence_history:
        assert step.num_evaluations == step.m_steps + 1
        assert step.num_evaluations % batch_size == 0


def test_the_estimate_is_the_trapezoid_rule_on_the_final_nodes(image):
    # Every round only adds its midpoints' surpluses to the sum: the result must be the plain
    # non-uniform trapezoid rule on all the nodes, computed afresh.
    model = SigmoidModel(image, transition=0.3, sharpness=60.0)
    result = integrated_gradients(model, image, 0, m_steps="auto", tolerance=0.002)
    alphas = result.alphas
    weights = np.zeros(alphas.size)
    weights[:-1] += np.diff(alphas) / 2
    weights[1:] += np.diff(alphas) / 2
    points = tf.constant(alphas[:, None, None, None] * image[None], tf.float32)
    gradients = compute_gradients(model, points, 0)[0].numpy().astype(np.float64)
    expected = image * np.tensordot(weights, gradients, axes=1)
    np.testing.assert_allclose(result.attributions, expected, rtol=1e-4, atol=1e-7)
    assert np.sum(result.refinement.node_rounds == 0) == INITIAL_NODES


def test_max_steps_returns_the_best_estimate_with_a_warning(image):
    model = CallCounter(SigmoidModel(image, transition=0.3, sharpness=60.0))
    with pytest.warns(
        UserWarning, match=r"max_steps=40: at 40 steps \(41 gradient evaluations\) the completeness"
    ):
        result = integrated_gradients(
            model, image, 0, m_steps="auto", tolerance=1e-6, max_steps=40, batch_size=8
        )
    assert result.num_evaluations == 41 and not result.refinement.converged
    # 16 + 8 + 8 + 8 nodes in full batches, then the one that max_steps leaves room for.
    assert int(model.calls.numpy()) == 1 + 2 + 3 + 1


def test_batch_size_changes_the_grid_not_the_contract(image):
    model = SigmoidModel(image, transition=0.3, sharpness=60.0)
    exact = model.exact_ig(image)
    for batch_size in (1, 7, 32):
        result = integrated_gradients(
            model, image, 0, m_steps="auto", tolerance=0.005, batch_size=batch_size
        )
        assert (
            contract_violations(
                result.attributions, exact, result.relative_completeness_error, 0.005
            )
            == []
        )


# --- the result says where the nodes went ------------------------------------------------------


def test_result_describes_the_refinement(image):
    model = KinkModel(image, kink=0.61)
    result = integrated_gradients(model, image, 0, m_steps="auto", output="logit", tolerance=0.01)
    refinement = result.refinement
    assert refinement.node_rounds.shape == result.alphas.shape == result.path_scores.shape
    assert refinement.interval_residuals.shape == refinement.interval_errors.shape
    assert refinement.interval_residuals.size == result.m_steps
    assert np.all(np.diff(result.alphas) > 0)
    assert refinement.tolerance == 0.01 and refinement.converged
    history = result.convergence_history
    assert [step.num_evaluations for step in history] == sorted(
        {step.num_evaluations for step in history}
    )
    assert history[-1].estimated_error == result.estimated_error <= 1.5 * 0.01
    assert history[-1].num_evaluations == result.num_evaluations


def test_fixed_steps_report_no_refinement(conv_net, small_image):
    result = integrated_gradients(conv_net, small_image, 0, m_steps=8)
    assert result.estimated_error is None and result.refinement is None
    assert result.convergence_history == ()


def test_smooth_net_stops_early_and_meets_the_contract(conv_net, small_image):
    result = integrated_gradients(conv_net, small_image, 1, m_steps="auto", tolerance=1e-3)
    reference = integrated_gradients(conv_net, small_image, 1, m_steps=512, method="gausslegendre")
    assert (
        contract_violations(
            result.attributions, reference.attributions, result.relative_completeness_error, 1e-3
        )
        == []
    )
    # Smooth: the surpluses shrink fast, far fewer evaluations than the fixed 240 of the tutorial.
    assert result.num_evaluations <= 64


def test_the_bookkeeping_matches_each_node_computed_afresh():
    # The refinement computes each node's projection, surplus and indicator in reused work
    # arrays: every kept gradient must still be the one evaluated, and the estimate, every
    # projection, residual and indicator the same as computed from the final nodes alone (here
    # x - x' is not 1, so the weighting counts).
    integrand = RandomWalkIntegrand(pixels=48, seed=4)
    difference = np.random.default_rng(5).uniform(0.5, 2.0, 48).astype(np.float32)
    kept = []

    class Kept(adaptive_steps.Refinement):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            kept.append(self)

    result = replay(
        integrand.evaluate,
        difference,
        float((integrand.exact * difference).sum()),
        batch_size=8,
        tolerance=0.002,
        max_steps=256,
        refinement=Kept,
    )
    alphas, rounds = result.alphas, result.refinement.node_rounds
    assert rounds.max() > 2
    fresh, scores = integrand.evaluate(alphas)
    (state,) = kept
    np.testing.assert_array_equal(np.stack(state.gradients), fresh)
    np.testing.assert_allclose(state.projected, fresh @ difference.astype(np.float64), rtol=1e-6)
    weights = np.zeros(alphas.size)
    weights[:-1] += np.diff(alphas) / 2
    weights[1:] += np.diff(alphas) / 2
    np.testing.assert_allclose(result.attributions, difference * (weights @ fresh), rtol=1e-5)
    projected = fresh @ difference.astype(np.float64)
    residuals = np.diff(scores) - np.diff(alphas) / 2 * (projected[:-1] + projected[1:])
    np.testing.assert_allclose(
        result.refinement.interval_residuals, residuals, rtol=1e-6, atol=1e-9
    )
    checked = 0
    for k, (a, b) in enumerate(zip(alphas[:-1], alphas[1:], strict=True)):
        if rounds[k] == rounds[k + 1]:
            continue  # which end came last is not known from the rounds alone
        # The newer end bisected a sub-interval twice this one's width; this is one half of it.
        newer, older = (k + 1, k) if rounds[k + 1] > rounds[k] else (k, k + 1)
        other = alphas[newer] + (alphas[newer] - alphas[older])
        (far,) = np.flatnonzero(np.isclose(alphas, other, rtol=0, atol=1e-12))
        surplus = fresh[newer] - (fresh[older].astype(np.float64) + fresh[far]) / 2.0
        expected = adaptive_steps.SURPLUS_FACTOR * (b - a) * np.linalg.norm(surplus * difference)
        np.testing.assert_allclose(result.refinement.interval_errors[k], expected, rtol=1e-5)
        checked += 1
    assert checked > len(alphas) // 2


def test_choose_midpoints_splits_a_dominant_sub_interval_into_quarters():
    alphas = [0.0, 0.25, 0.5, 0.75, 1.0]
    chosen = choose_midpoints(alphas, np.array([100.0, 10.0, 0.0, 0.0]), count=4)
    # [0, 0.25] holds most: its midpoint, then both its halves (expected to keep a quarter of
    # its priority, 25 > 10), then the next sub-interval (10 > 6.25).
    np.testing.assert_allclose(chosen, [0.0625, 0.125, 0.1875, 0.375])
    assert choose_midpoints(alphas, np.ones(4), count=2, min_width=0.2).size == 0


class TestAutoValidation:
    def test_other_rules_are_refused(self, conv_net, small_image):
        with pytest.raises(
            ValueError, match="method must be 'riemann_trapezoid', got 'gausslegendre'"
        ):
            integrated_gradients(conv_net, small_image, 0, m_steps="auto", method="gausslegendre")

    def test_trapezoid_alias_is_accepted(self, conv_net, small_image):
        result = integrated_gradients(conv_net, small_image, 0, m_steps="auto", method="trapezoid")
        assert result.method == "riemann_trapezoid"

    @pytest.mark.parametrize("tolerance", [0, -0.1, float("nan"), float("inf"), True])
    def test_bad_tolerance(self, conv_net, small_image, tolerance):
        with pytest.raises(ValueError, match="tolerance must be a positive number"):
            integrated_gradients(conv_net, small_image, 0, m_steps="auto", tolerance=tolerance)

    @pytest.mark.parametrize("max_steps", [16, 31, 64.0])
    def test_bad_max_steps(self, conv_net, small_image, max_steps):
        with pytest.raises(ValueError, match="max_steps must be an integer of at least 32"):
            integrated_gradients(conv_net, small_image, 0, m_steps="auto", max_steps=max_steps)

    def test_other_strings_are_not_auto(self, conv_net, small_image):
        with pytest.raises(ValueError, match="m_steps must be a positive integer, got 'automatic'"):
            integrated_gradients(conv_net, small_image, 0, m_steps="automatic")


def test_equal_scores_at_both_ends_stop_on_the_attributions_scale():
    # F(x) = F(x'): the relative completeness error is undefined (infinite for any rounding), so
    # the delta is judged against the attributions' magnitudes and "auto" still converges.
    def rise_and_fall(images):
        flat = tf.reshape(images, (tf.shape(images)[0], -1))
        score = tf.exp(flat[:, 0]) * flat[:, 1] * (1.0 - flat[:, 1])
        return tf.stack([score, tf.zeros_like(score)], axis=1)

    image = tf.constant([[[2.0, 1.0, 0.0]]], tf.float32)  # F(x) = e^2 * 1 * 0 = 0 = F(0)
    result = integrated_gradients(
        rise_and_fall, image, 0, m_steps="auto", output="logit", tolerance=0.01
    )
    assert result.score_difference == 0.0 and result.relative_completeness_error > 0
    assert result.refinement.converged
    assert abs(result.attribution_sum) <= 0.01 * np.abs(result.attributions).sum() + 1e-6
