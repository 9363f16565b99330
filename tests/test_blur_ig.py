"""Blur IG and path-integrated gradients: exact on linear models, IG on the straight line."""

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import blur_integrated_gradients, integrated_gradients, interpolate_images
from ig_tutorial.ig.baselines import blurred_baseline
from ig_tutorial.ig.path_methods import integrate_gradients_along_path
from ig_tutorial.ig.paths import blur_path
from tests.toy_models import CallCounter


def test_blur_path_runs_from_the_widest_blur_to_the_image(small_image):
    path, sigmas = blur_path(small_image, max_sigma=6.0, steps=4, spacing="linear")
    assert path.shape == (5, 8, 8, 3)
    np.testing.assert_allclose(sigmas, [6.0, 4.5, 3.0, 1.5, 0.0])
    np.testing.assert_array_equal(path[-1], small_image.numpy())
    np.testing.assert_allclose(path[0], blurred_baseline(small_image, 6.0).numpy())
    # Blurring removes variation: the wider the blur, the flatter the image.
    spreads = [float(np.std(image)) for image in path]
    assert spreads == sorted(spreads)


def test_quadratic_spacing_is_denser_near_the_image(small_image):
    _, sigmas = blur_path(small_image, max_sigma=16.0, steps=4)
    np.testing.assert_allclose(sigmas, [16.0, 9.0, 4.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="spacing must be one of"):
        blur_path(small_image, spacing="log")


def test_blur_ig_is_exact_for_a_linear_model(linear_model, rng):
    image = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
    result = blur_integrated_gradients(
        linear_model, image, 1, max_sigma=3.0, steps=5, output="logit"
    )
    start = blurred_baseline(image, 3.0).numpy()
    weights = linear_model.weights[:, 1].numpy().reshape(4, 5, 3)
    np.testing.assert_allclose(result.attributions, (image.numpy() - start) * weights, atol=1e-5)
    np.testing.assert_allclose(result.path_start, start)
    assert abs(result.completeness_delta) < 1e-4
    assert result.method == "blur_ig"
    np.testing.assert_allclose(result.path_parameters, 3.0 * np.linspace(1.0, 0.0, 6) ** 2)


def test_straight_path_gives_integrated_gradients(conv_net, small_image):
    baseline = tf.fill(small_image.shape, 0.3)
    path = interpolate_images(baseline, small_image, np.linspace(0.0, 1.0, 21))
    along = integrate_gradients_along_path(conv_net, path, 2)
    ig = integrated_gradients(conv_net, small_image, 2, baseline=baseline, m_steps=20)
    np.testing.assert_allclose(along.attributions, ig.attributions, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(along.path_scores, ig.path_scores, rtol=1e-5)
    assert along.score_at_baseline == pytest.approx(ig.score_at_baseline, rel=1e-5)


def test_blur_ig_completeness_improves_with_steps(conv_net, rng):
    image = tf.constant(rng.uniform(size=(16, 16, 3)), tf.float32)
    results = [
        blur_integrated_gradients(conv_net, image, 1, max_sigma=8.0, steps=steps)
        for steps in (2, 128)
    ]
    # Class 1's probability sits well inside (0, 1) on this path: not a float32 edge case.
    assert 1e-3 < results[1].score_at_baseline < 0.999 and 1e-3 < results[1].score_at_input < 0.999
    errors = [result.relative_completeness_error for result in results]
    assert errors[1] < 0.01
    assert errors[1] < errors[0]


@pytest.mark.parametrize("batch_size", [1, 4, 64])
def test_each_path_image_is_differentiated_once(conv_net, small_image, batch_size):
    model = CallCounter(conv_net)
    result = blur_integrated_gradients(
        model, small_image, 2, max_sigma=4.0, steps=9, batch_size=batch_size
    )
    assert result.num_evaluations == 10
    # One forward pass of the path's two ends (prepare_ends: the number of classes), then
    # ceil(10 / batch_size) batches.
    assert int(model.images_seen.numpy()) == 10 + 2
    assert int(model.calls.numpy()) == 1 + -(-10 // batch_size)
    reference = blur_integrated_gradients(conv_net, small_image, 2, max_sigma=4.0, steps=9)
    np.testing.assert_allclose(result.attributions, reference.attributions, rtol=1e-5, atol=1e-9)


class TestPathValidation:
    def test_one_image_is_not_a_path(self, conv_net, small_image):
        with pytest.raises(ValueError, match="path must hold at least two images"):
            integrate_gradients_along_path(conv_net, small_image[None], 0)

    def test_non_finite_path(self, conv_net, small_image):
        path = np.stack([small_image.numpy()] * 2)
        path[0, 0, 0, 0] = np.nan
        with pytest.raises(ValueError, match="path contains NaN"):
            integrate_gradients_along_path(conv_net, path, 0)

    def test_target_out_of_range(self, conv_net, small_image):
        with pytest.raises(ValueError, match="target 7 is out of range for a model with 4"):
            blur_integrated_gradients(conv_net, small_image, 7, steps=2)

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            (
                {"max_sigma": 0.0},
                "max_sigma must be a positive number \\(a blur width in pixels\\), got 0.0",
            ),
            ({"steps": 0}, "steps must be a positive integer"),
            ({"batch_size": 0}, "batch_size must be a positive integer"),
        ],
    )
    def test_bad_settings(self, conv_net, small_image, options, message):
        with pytest.raises(ValueError, match=message):
            blur_integrated_gradients(conv_net, small_image, 0, **options)

    def test_batch_of_images(self, conv_net, small_image):
        with pytest.raises(ValueError, match="one image of shape"):
            blur_integrated_gradients(conv_net, small_image[None], 0)
