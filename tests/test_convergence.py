"""Convergence studies, relative errors, and several images in one call."""

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import (
    convergence_study,
    integrated_gradients,
    integrated_gradients_many,
    relative_l2_error,
)
from ig_tutorial.ig.results import relative_completeness_error
from tests.toy_models import CallCounter


def test_relative_errors():
    assert relative_l2_error(np.array([3.0, 4.0]), np.array([0.0, 0.0])) == float("inf")
    assert relative_l2_error(np.zeros(2), np.zeros(2)) == 0.0
    assert relative_l2_error(np.array([1.0, 1.0]), np.array([1.0, 2.0])) == pytest.approx(
        1 / np.sqrt(5)
    )
    assert relative_completeness_error(1.1, 1.0) == pytest.approx(0.1)
    assert relative_completeness_error(0.5, 0.0) == float("inf")


def test_study_errors_shrink_with_steps(conv_net, small_image):
    study = convergence_study(
        conv_net, small_image, 1, methods=("left", "trapezoid"), steps=(64, 4, 16)
    )
    assert list(study.results) == ["riemann_left", "riemann_trapezoid"]
    np.testing.assert_array_equal(study.m_steps("riemann_left"), [4, 16, 64])
    np.testing.assert_array_equal(study.num_evaluations("riemann_trapezoid"), [5, 17, 65])
    for method in study.results:
        l2 = study.l2_errors(method)
        assert np.all(np.diff(l2) < 0), (method, l2)
    # The trapezoid is second order, the left sum first order.
    assert study.l2_errors("riemann_trapezoid")[-1] < study.l2_errors("riemann_left")[-1] / 10
    assert study.reference.method == "gausslegendre" and study.reference.m_steps == 512
    table = study.table()
    assert table.count("\n") == 2 + 6 - 1
    assert "| riemann_left | 4 | 4 |" in table


def test_study_equals_each_rule_alone_and_evaluates_each_node_once(conv_net, small_image):
    counter = CallCounter(conv_net)
    study = convergence_study(
        counter,
        small_image,
        2,
        methods=("left", "right", "middle", "trapezoid", "gausslegendre"),
        steps=(4, 8),
        reference_steps=16,
        batch_size=5,
    )
    # Left, right and trapezoid at 4 and 8 steps and the midpoints at 4 are the 9 nodes j/8;
    # the midpoints at 8 add 8, Gauss-Legendre 4 + 8 + 16 (none of them on the grid).
    assert study.evaluations == 9 + 8 + 4 + 8 + 16
    assert int(counter.images_seen) == 2 + study.evaluations  # the two ends, then the nodes
    assert int(counter.largest_call) <= 5
    alone = [study.reference, *(result for row in study.results.values() for result in row)]
    # One by one: 16 for the reference, 4 + 8 for each rule, and the trapezoid's 2 extra ends.
    assert sum(result.num_evaluations for result in alone) == 16 + 5 * (4 + 8) + 2
    for result in alone:
        single = integrated_gradients(
            conv_net, small_image, 2, m_steps=result.m_steps, method=result.method
        )
        np.testing.assert_allclose(result.attributions, single.attributions, rtol=2e-5, atol=1e-8)
        np.testing.assert_array_equal(result.alphas, single.alphas)
        np.testing.assert_allclose(result.path_scores, single.path_scores, rtol=1e-5)
        assert result.num_evaluations == single.num_evaluations


def test_study_is_exact_on_a_linear_model(linear_model, rng):
    image = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
    study = convergence_study(
        linear_model, image, 0, steps=(2, 3), reference_steps=8, output="logit"
    )
    for method in study.results:
        assert np.all(study.l2_errors(method) < 1e-5)


def test_study_refuses_step_options(conv_net, small_image):
    with pytest.raises(ValueError, match="give `m_steps` through `steps=`"):
        convergence_study(conv_net, small_image, 0, m_steps=4)
    with pytest.raises(ValueError, match="must not be empty"):
        convergence_study(conv_net, small_image, 0, steps=())
    with pytest.raises(ValueError, match="got 'progress', 'tolerance'"):
        convergence_study(conv_net, small_image, 0, tolerance=0.1, progress=True)


def test_many_images_equal_one_call_each(conv_net, rng):
    images = [tf.constant(rng.uniform(size=(8, 8, 3)), tf.float32) for _ in range(3)]
    results = integrated_gradients_many(conv_net, images, [0, 1, 2], m_steps=8)
    for image, target, result in zip(images, [0, 1, 2], results, strict=True):
        single = integrated_gradients(conv_net, image, target, m_steps=8)
        # One vectorised call: the points of several images share model calls, so the sums
        # group differently and agree to float rounding (tests/test_many_inputs.py has more).
        np.testing.assert_allclose(result.attributions, single.attributions, rtol=1e-5, atol=1e-8)
        assert result.target == target


def test_many_images_resolve_top1_per_image(conv_net, rng):
    batch = rng.uniform(size=(4, 8, 8, 3)).astype(np.float32)  # an array of images works too
    results = integrated_gradients_many(conv_net, batch, "top-1", m_steps="auto", progress=True)
    expected = np.argmax(conv_net(batch).numpy(), axis=1)
    assert [result.target for result in results] == expected.tolist()
    assert all(result.convergence_history for result in results)


def test_many_images_of_different_sizes(conv_net, rng):
    images = [rng.uniform(size=(size, size, 3)) for size in (6, 10)]
    results = integrated_gradients_many(conv_net, images, 1, m_steps=4)
    assert [result.attributions.shape for result in results] == [(6, 6, 3), (10, 10, 3)]


def test_many_images_target_count_must_match(conv_net, small_image):
    with pytest.raises(ValueError, match="got 2 targets for 3 images"):
        integrated_gradients_many(conv_net, [small_image] * 3, [0, 1])
