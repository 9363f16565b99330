"""IG averaged over baselines and over noisy inputs, on a linear model where both are known."""

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import (
    integrated_gradients,
    integrated_gradients_over_baselines,
    make_baseline,
    smoothgrad_integrated_gradients,
)


@pytest.fixture
def image(rng):
    return tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)


def _weights(linear_model, target):
    return linear_model.weights[:, target].numpy().reshape(linear_model.shape)


def test_mean_and_spread_over_baselines_are_exact_for_a_linear_model(linear_model, image):
    # IG of a logit of a linear model is (x - x'_k) * w, so over baselines x'_k the mean is
    # (x - mean x'_k) * w and the standard deviation std(x'_k) * |w|.
    averaged = integrated_gradients_over_baselines(
        linear_model, image, 2, ["uniform"] * 4 + ["white", "blur"], m_steps=4, output="logit"
    )
    baselines = np.stack(averaged.baselines)
    weights = _weights(linear_model, 2)
    np.testing.assert_allclose(
        averaged.attributions, (np.asarray(image) - baselines.mean(0)) * weights, atol=1e-5
    )
    np.testing.assert_allclose(
        averaged.standard_deviation, baselines.std(0) * np.abs(weights), atol=1e-5
    )
    assert abs(averaged.completeness_delta) < 1e-4
    assert averaged.member_completeness_errors.shape == (6,)
    assert averaged.num_evaluations == 6 * 5
    assert averaged.kind == "baselines"


def test_random_baselines_are_seeded_per_entry(linear_model, image):
    averaged = integrated_gradients_over_baselines(
        linear_model, image, 0, ["uniform", "uniform", "black"], seed=5, m_steps=2
    )
    assert averaged.member_names == ("uniform (seed 5)", "uniform (seed 6)", "black")
    np.testing.assert_array_equal(averaged.baselines[0], make_baseline("uniform", image, seed=5))
    np.testing.assert_array_equal(averaged.baselines[1], make_baseline("uniform", image, seed=6))
    again = integrated_gradients_over_baselines(
        linear_model, image, 0, ["uniform", "uniform", "black"], seed=5, m_steps=2
    )
    np.testing.assert_array_equal(again.attributions, averaged.attributions)


def test_baseline_images_and_one_member_match_plain_ig(conv_net, small_image):
    grey = tf.fill(small_image.shape, 0.5)
    averaged = integrated_gradients_over_baselines(conv_net, small_image, 1, [grey], m_steps=16)
    plain = integrated_gradients(conv_net, small_image, 1, baseline=grey, m_steps=16)
    np.testing.assert_array_equal(averaged.attributions, plain.attributions)
    np.testing.assert_array_equal(averaged.standard_deviation, 0.0)
    assert averaged.member_names == ("baseline 0",)


def test_target_is_resolved_once_on_the_image(conv_net, small_image):
    averaged = integrated_gradients_over_baselines(
        conv_net, small_image, "top-1", ["uniform"] * 3, m_steps=4
    )
    expected = int(tf.argmax(conv_net(small_image[None])[0]))
    assert {member.target for member in averaged.members} == {expected}
    assert averaged.target == expected


@pytest.mark.parametrize("baselines", [[], "uniform"])
def test_bad_baseline_lists(linear_model, image, baselines):
    with pytest.raises(ValueError, match="baselines must be a non-empty sequence"):
        integrated_gradients_over_baselines(linear_model, image, 0, baselines)


def test_single_baseline_keyword_is_refused(linear_model, image):
    with pytest.raises(ValueError, match="not `baseline=`"):
        integrated_gradients_over_baselines(linear_model, image, 0, ["black"], baseline=image)


def test_smoothgrad_mean_is_exact_for_a_linear_model(linear_model, image):
    # Each sample's IG is (x + n_k - x') * w: the mean is (mean of noisy inputs - x') * w.
    smooth = smoothgrad_integrated_gradients(
        linear_model, image, 1, num_samples=6, noise_level=0.2, m_steps=3, output="logit"
    )
    inputs = np.stack(smooth.inputs)
    weights = _weights(linear_model, 1)
    np.testing.assert_allclose(smooth.attributions, inputs.mean(0) * weights, atol=1e-5)
    np.testing.assert_allclose(
        smooth.standard_deviation, inputs.std(0) * np.abs(weights), atol=1e-5
    )
    assert smooth.kind == "smoothgrad"
    assert len(smooth.members) == 6
    assert np.all(smooth.member_completeness_errors < 1e-4)


def test_smoothgrad_noise_is_scaled_to_the_value_range_and_seeded(conv_net, rng):
    image = tf.constant(0.2 + 0.5 * rng.uniform(size=(16, 16, 3)), tf.float32)
    value_range = float(tf.reduce_max(image) - tf.reduce_min(image))
    smooth = smoothgrad_integrated_gradients(
        conv_net, image, 0, num_samples=8, noise_level=0.1, seed=3, m_steps=2
    )
    noise = np.stack(smooth.inputs) - np.asarray(image)
    assert np.std(noise) == pytest.approx(0.1 * value_range, rel=0.05)
    again = smoothgrad_integrated_gradients(
        conv_net, image, 0, num_samples=8, noise_level=0.1, seed=3, m_steps=2
    )
    np.testing.assert_array_equal(again.attributions, smooth.attributions)
    other = smoothgrad_integrated_gradients(
        conv_net, image, 0, num_samples=8, noise_level=0.1, seed=4, m_steps=2
    )
    assert not np.allclose(other.attributions, smooth.attributions)


def test_smoothgrad_without_noise_is_plain_ig(conv_net, small_image):
    smooth = smoothgrad_integrated_gradients(
        conv_net, small_image, 2, num_samples=2, noise_level=0.0, m_steps=8
    )
    plain = integrated_gradients(conv_net, small_image, 2, m_steps=8)
    np.testing.assert_allclose(smooth.attributions, plain.attributions, rtol=1e-6)
    assert "mean of 2" in smooth.completeness_report()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"num_samples": 0}, "num_samples must be a positive integer"),
        ({"num_samples": 2.5}, "num_samples must be a positive integer"),
        ({"noise_level": -0.1}, "noise_level must be a finite number >= 0"),
        ({"noise_level": float("nan")}, "noise_level must be a finite number >= 0"),
    ],
)
def test_smoothgrad_validation(linear_model, image, options, message):
    with pytest.raises(ValueError, match=message):
        smoothgrad_integrated_gradients(linear_model, image, 0, **options)
