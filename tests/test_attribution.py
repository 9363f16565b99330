"""Integrated Gradients on functions whose attributions are known."""

import numpy as np
import pytest
import tensorflow as tf

from benchmarks.tutorial_reference import make_tutorial_integrated_gradients
from ig_tutorial import (
    INTEGRATION_RULES,
    compute_gradients,
    integral_approximation,
    integrated_gradients,
    integration_rule,
    interpolate_images,
    load_model,
)
from tests.toy_models import CountingLinearModel, SaturatingModel


@pytest.mark.parametrize("method", INTEGRATION_RULES)
def test_linear_model_is_exact_for_every_rule(linear_model, rng, method):
    image = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
    baseline = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)  # not black on purpose
    result = integrated_gradients(
        linear_model, image, 2, baseline=baseline, m_steps=5, method=method, output="logit"
    )
    # Exactness also proves the factor (x - x') is applied, with a non-zero baseline.
    expected = linear_model.exact_logit_ig(image, baseline, 2)
    np.testing.assert_allclose(result.attributions, expected, rtol=1e-4, atol=1e-5)
    assert abs(result.completeness_delta) < 1e-4


def test_forgetting_input_minus_baseline_would_be_caught(linear_model, rng):
    image = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
    baseline = tf.fill((4, 5, 3), 0.5)
    result = integrated_gradients(linear_model, image, 0, baseline=baseline, output="logit")
    gradient_only = linear_model.weights[:, 0].numpy().reshape(4, 5, 3)
    assert not np.allclose(result.attributions, gradient_only, atol=1e-2)
    assert not np.allclose(result.attributions, np.asarray(image) * gradient_only, atol=1e-2)


@pytest.mark.parametrize("method", INTEGRATION_RULES)
def test_saturating_toy_function_gets_full_credit(method):
    # f(x) = min(x, 0.8): the gradient at x = 1 is 0, yet IG gives the 0.8 that f gained.
    model = SaturatingModel()
    image = tf.ones((1, 1, 1))
    m_steps = 37  # 0.8 is not a node, so the kink costs at most one step's weight
    result = integrated_gradients(model, image, 0, m_steps=m_steps, method=method, output="logit")
    assert result.score_at_input == pytest.approx(0.8)
    assert result.score_at_baseline == pytest.approx(0.0)
    assert result.attribution_sum == pytest.approx(0.8, abs=1.0 / m_steps)
    assert np.all(compute_gradients(model, image[None], 0, output="logit")[0].numpy() == 0)


@pytest.mark.parametrize("method", INTEGRATION_RULES)
def test_completeness_improves_with_steps_on_a_nonlinear_net(conv_net, small_image, method):
    errors = [
        integrated_gradients(
            conv_net, small_image, 1, m_steps=m, method=method
        ).relative_completeness_error
        for m in (4, 256)
    ]
    assert errors[1] < 0.01
    assert errors[1] < errors[0]


@pytest.mark.parametrize("batch_size", [1, 2, 5, 16, 32, 33, 64])
def test_batch_size_does_not_change_the_result(conv_net, small_image, batch_size):
    # m_steps=32 with the trapezoid gives 33 points: batch 32 leaves a last batch of one point
    # (the tutorial's m_steps % batch_size == 1 trap), and batches split the half-weight ends.
    reference = integrated_gradients(conv_net, small_image, 3, m_steps=32, batch_size=1000)
    result = integrated_gradients(conv_net, small_image, 3, m_steps=32, batch_size=batch_size)
    np.testing.assert_allclose(result.attributions, reference.attributions, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result.path_scores, reference.path_scores, rtol=1e-5)


@pytest.mark.parametrize(("m_steps", "batch_size"), [(50, 32), (32, 32), (33, 16), (7, 3)])
def test_agrees_with_the_tutorial_implementation(conv_net, small_image, m_steps, batch_size):
    baseline = tf.zeros_like(small_image)
    tutorial_ig = make_tutorial_integrated_gradients(conv_net)
    expected = tutorial_ig(baseline, small_image, 2, m_steps=m_steps, batch_size=batch_size)
    result = integrated_gradients(
        conv_net, small_image, 2, m_steps=m_steps, method="riemann_trapezoid", batch_size=batch_size
    )
    np.testing.assert_allclose(result.attributions, expected.numpy(), rtol=1e-4, atol=1e-7)


def test_batching_is_proved_by_counting_model_calls(rng):
    model = CountingLinearModel(height=2, width=2, num_classes=2)
    image = tf.constant(rng.uniform(size=(2, 2, 3)), tf.float32)
    result = integrated_gradients(
        model, image, 1, m_steps=1001, method="riemann_left", batch_size=500
    )
    assert result.num_evaluations == 1001
    # 3 gradient batches (500 + 500 + 1) and one forward pass for F(x') and F(x).
    assert int(model.calls.numpy()) == 3 + 1
    assert int(model.images_seen.numpy()) == 1001 + 2


def test_path_scores_are_the_scores_along_the_path(conv_net, small_image):
    result = integrated_gradients(conv_net, small_image, 0, m_steps=10)
    probabilities = tf.nn.softmax(
        conv_net(interpolate_images(tf.zeros_like(small_image), small_image, result.alphas))
    )
    np.testing.assert_allclose(result.path_scores, probabilities[:, 0].numpy(), rtol=1e-5)
    assert result.path_scores[0] == pytest.approx(result.score_at_baseline, rel=1e-5)
    assert result.path_scores[-1] == pytest.approx(result.score_at_input, rel=1e-5)


def test_teaching_functions_compose_to_the_packaged_result(conv_net, small_image):
    rule = integration_rule("trapezoid", 20)
    baseline = tf.zeros_like(small_image)
    path = interpolate_images(baseline, small_image, rule.alphas)
    gradients, _ = compute_gradients(conv_net, path, 1)
    by_hand = (small_image - baseline) * integral_approximation(gradients, rule.weights)
    packaged = integrated_gradients(conv_net, small_image, 1, m_steps=20)
    np.testing.assert_allclose(by_hand.numpy(), packaged.attributions, rtol=1e-4, atol=1e-7)


def test_interpolation_endpoints(small_image):
    baseline = tf.zeros_like(small_image)
    path = interpolate_images(baseline, small_image, tf.constant([0.0, 0.5, 1.0]))
    assert path.shape == (3, 8, 8, 3)
    np.testing.assert_allclose(path[0], baseline)
    np.testing.assert_allclose(path[1], 0.5 * small_image.numpy())
    np.testing.assert_allclose(path[2], small_image)


def test_probability_and_logit_outputs_differ(conv_net, small_image):
    probability = integrated_gradients(conv_net, small_image, 1, m_steps=64)
    logit = integrated_gradients(conv_net, small_image, 1, m_steps=64, output="logit")
    assert probability.output == "probability" and logit.output == "logit"
    assert 0.0 <= probability.score_at_input <= 1.0
    assert not np.allclose(probability.attributions, logit.attributions)
    assert logit.relative_completeness_error < 0.01


def test_target_by_top1(conv_net, small_image):
    result = integrated_gradients(conv_net, small_image, "top-1", m_steps=4)
    assert result.target == int(tf.argmax(conv_net(small_image[None])[0]))


class TestValidation:
    def test_zero_steps(self, conv_net, small_image):
        with pytest.raises(ValueError, match="m_steps must be a positive integer, got 0"):
            integrated_gradients(conv_net, small_image, 0, m_steps=0)

    def test_bad_batch_size(self, conv_net, small_image):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            integrated_gradients(conv_net, small_image, 0, batch_size=0)

    def test_baseline_shape(self, conv_net, small_image):
        with pytest.raises(
            ValueError, match=r"baseline shape \(4, 4, 3\) does not match image shape \(8, 8, 3\)"
        ):
            integrated_gradients(conv_net, small_image, 0, baseline=tf.zeros((4, 4, 3)))

    def test_target_out_of_range(self, conv_net, small_image):
        with pytest.raises(ValueError, match="target 4 is out of range for a model with 4 classes"):
            integrated_gradients(conv_net, small_image, 4)
        with pytest.raises(ValueError, match="target -1 is out of range"):
            integrated_gradients(conv_net, small_image, -1)

    @pytest.mark.parametrize("bad", [np.nan, np.inf])
    def test_non_finite_input(self, conv_net, small_image, bad):
        image = small_image.numpy()
        image[0, 0, 0] = bad
        with pytest.raises(ValueError, match="image contains NaN or infinite values"):
            integrated_gradients(conv_net, image, 0)
        with pytest.raises(ValueError, match="baseline contains NaN"):
            integrated_gradients(conv_net, small_image, 0, baseline=image)

    def test_batch_of_images_is_rejected(self, conv_net, small_image):
        # A model that declares its input's shape (load_model records it) names a batch.
        declared = load_model(conv_net, input_size=8)
        with pytest.raises(
            ValueError, match=r"shape \(1, 8, 8, 3\): a batch of 1 inputs of the model's shape"
        ):
            integrated_gradients(declared, small_image[None], 0)
        with pytest.raises(ValueError, match=r"the model takes inputs of shape \(8, 8, 3\)"):
            integrated_gradients(declared, small_image[:4], 0)

    def test_unknown_output(self, conv_net, small_image):
        with pytest.raises(ValueError, match="output must be one of"):
            integrated_gradients(conv_net, small_image, 0, output="softmax")

    def test_label_target_without_labels(self, conv_net, small_image):
        with pytest.raises(ValueError, match="the model has no labels"):
            integrated_gradients(conv_net, small_image, "espresso")


class TestFeatureVectors:
    """A tabular model takes feature vectors; IG needs nothing image-specific (notebook 10)."""

    @pytest.fixture
    def tabular_model(self):
        weights = tf.constant(np.random.default_rng(3).normal(size=(6, 3)), tf.float32)
        return lambda rows: rows @ weights, weights

    @pytest.mark.parametrize("m_steps", [8, "auto"])
    def test_linear_model_is_exact(self, tabular_model, rng, m_steps):
        model, weights = tabular_model
        row = tf.constant(rng.normal(size=6), tf.float32)
        means = tf.constant(rng.normal(size=6), tf.float32)  # a baseline of feature means
        result = integrated_gradients(
            model, row, 1, baseline=means, m_steps=m_steps, output="logit"
        )
        assert result.attributions.shape == (6,)
        np.testing.assert_allclose(
            result.attributions, (row - means) * weights[:, 1], rtol=1e-5, atol=1e-6
        )

    def test_the_batch_size_is_measured_for_rows_too(self, tabular_model, rng):
        model, weights = tabular_model
        row = tf.constant(rng.normal(size=6), tf.float32)
        result = integrated_gradients(model, row, 0, m_steps=8, batch_size="auto", output="logit")
        np.testing.assert_allclose(result.attributions, row * weights[:, 0], rtol=1e-5, atol=1e-6)

    def test_completeness_of_the_probability(self, tabular_model, rng):
        model, _ = tabular_model
        row = tf.constant(rng.normal(size=6), tf.float32)
        result = integrated_gradients(model, row, "top-1", m_steps=128)
        assert result.relative_completeness_error < 0.01

    def test_images_and_rows_share_nothing_compiled(self, linear_model, rng):
        # One model, two input ranks: each gets its own compiled function, in one cache.
        image = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
        flat_model = lambda rows: linear_model(tf.reshape(rows, (-1, 4, 5, 3)))  # noqa: E731
        by_image = integrated_gradients(linear_model, image, 0, m_steps=4, output="logit")
        by_row = integrated_gradients(
            flat_model, tf.reshape(image, [-1]), 0, m_steps=4, output="logit"
        )
        np.testing.assert_allclose(
            np.reshape(by_image.attributions, -1), by_row.attributions, rtol=1e-5, atol=1e-6
        )

    def test_a_batch_of_rows_is_rejected(self):
        import keras

        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])  # declares (6,)
        with pytest.raises(
            ValueError, match=r"shape \(2, 6\): a batch of 2 inputs of the model's shape \(6,\)"
        ):
            integrated_gradients(model, tf.zeros((2, 6)), 0)
