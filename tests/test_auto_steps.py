"""m_steps="auto": nested trapezoid refinement on functions whose integrals are known."""

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import integrated_gradients, relative_l2_error
from ig_tutorial.ig.adaptive_steps import AUTO_INITIAL_STEPS
from tests.toy_models import CallCounter, CountingLinearModel, SaturatingModel


def test_linear_model_stops_at_the_first_check(linear_model, rng):
    image = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
    baseline = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
    result = integrated_gradients(
        linear_model, image, 1, baseline=baseline, m_steps="auto", output="logit", batch_size=7
    )
    # The first check needs two rules: 16 sub-intervals, then 32.
    assert result.m_steps == 2 * AUTO_INITIAL_STEPS
    assert result.num_evaluations == 2 * AUTO_INITIAL_STEPS + 1
    np.testing.assert_allclose(
        result.attributions, linear_model.exact_logit_ig(image, baseline, 1), rtol=1e-4, atol=1e-5
    )
    assert result.refinement_change < 1e-6
    assert [step.m_steps for step in result.convergence_history] == [16, 32]
    assert result.convergence_history[0].refinement_change is None
    # 1 forward pass for both ends, ceil(17 / 7) batches, then ceil(16 / 7) for the midpoints.
    assert int(linear_model.calls.numpy()) == 1 + 3 + 3
    assert int(linear_model.images_seen.numpy()) == 33 + 2


@pytest.mark.parametrize("batch_size", [5, 32])
def test_no_gradient_is_evaluated_twice(conv_net, small_image, batch_size):
    model = CallCounter(conv_net)
    with pytest.warns(UserWarning, match="did not meet tolerance"):
        result = integrated_gradients(
            model,
            small_image,
            2,
            m_steps="auto",
            tolerance=1e-9,
            max_steps=256,
            batch_size=batch_size,
        )
    assert [step.m_steps for step in result.convergence_history] == [16, 32, 64, 128, 256]
    assert result.num_evaluations == 257
    assert int(model.images_seen.numpy()) == result.m_steps + 1 + 2
    # The points are those of the fixed rule, sorted, each once; so are the scores.
    fixed = integrated_gradients(conv_net, small_image, 2, m_steps=256)
    np.testing.assert_array_equal(result.alphas, fixed.alphas)
    np.testing.assert_allclose(result.path_scores, fixed.path_scores, rtol=1e-5)


def test_auto_equals_the_fixed_rule_it_stopped_at(conv_net, small_image):
    result = integrated_gradients(conv_net, small_image, 0, m_steps="auto", tolerance=1e-4)
    fixed = integrated_gradients(conv_net, small_image, 0, m_steps=result.m_steps)
    np.testing.assert_allclose(result.attributions, fixed.attributions, rtol=1e-4, atol=1e-8)
    assert result.method == "riemann_trapezoid"
    assert result.convergence_history[-1].num_evaluations == result.num_evaluations


@pytest.mark.parametrize("tolerance", [1e-2, 1e-3, 1e-4])
def test_smooth_net_converges_below_tolerance(conv_net, small_image, tolerance):
    result = integrated_gradients(conv_net, small_image, 1, m_steps="auto", tolerance=tolerance)
    reference = integrated_gradients(conv_net, small_image, 1, m_steps=512, method="gausslegendre")
    assert result.relative_completeness_error <= tolerance
    assert result.refinement_change <= tolerance
    # Both criteria at the tolerance bound the true error too, on this smooth net.
    assert relative_l2_error(result.attributions, reference.attributions) <= tolerance


def test_completeness_met_by_luck_does_not_stop_refinement():
    # f(x) = min(x, 0.8): the kink at 0.8 makes the error jump around with the step count.
    result = integrated_gradients(
        SaturatingModel(), tf.ones((1, 1, 1)), 0, m_steps="auto", output="logit", tolerance=0.01
    )
    history = result.convergence_history
    lucky = next(step for step in history if step.relative_completeness_error <= 0.01)
    assert lucky.refinement_change > 0.01  # completeness alone would have stopped here
    assert result.m_steps > lucky.m_steps
    assert result.relative_completeness_error <= 0.01 and result.refinement_change <= 0.01
    assert result.attribution_sum == pytest.approx(0.8, rel=0.01)


def test_max_steps_returns_the_best_estimate_with_a_warning(conv_net, small_image):
    with pytest.warns(UserWarning, match=r"max_steps=100: at 64 steps \(65 gradient evaluations\)"):
        result = integrated_gradients(
            conv_net, small_image, 1, m_steps="auto", tolerance=1e-12, max_steps=100
        )
    assert result.m_steps == 64  # the next refinement, 128, would exceed max_steps
    assert result.refinement_change == result.convergence_history[-1].refinement_change


def test_batch_size_does_not_change_the_auto_result(conv_net, small_image):
    results = [
        integrated_gradients(conv_net, small_image, 3, m_steps="auto", batch_size=size)
        for size in (1, 7, 1000)
    ]
    for result in results[1:]:
        assert result.m_steps == results[0].m_steps
        np.testing.assert_allclose(result.attributions, results[0].attributions, rtol=1e-5)


def test_fixed_steps_report_no_refinement(conv_net, small_image):
    result = integrated_gradients(conv_net, small_image, 0, m_steps=8)
    assert result.refinement_change is None
    assert result.convergence_history == ()


def test_counting_model_sees_each_point_once_across_refinements(rng):
    model = CountingLinearModel(height=2, width=2, num_classes=2)
    image = tf.constant(rng.uniform(size=(2, 2, 3)), tf.float32)
    with pytest.warns(UserWarning, match="did not meet tolerance"):
        result = integrated_gradients(model, image, 0, m_steps="auto", tolerance=1e-15)
    assert result.m_steps == 1024
    assert int(model.images_seen.numpy()) == 1024 + 1 + 2


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
