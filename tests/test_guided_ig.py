"""Guided IG: equal to PAIR saliency's GuidedIG, straight where it must be, exact if linear."""

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import (
    guided_integrated_gradients,
    integrated_gradients,
    read_image,
    relative_l2_error,
)
from ig_tutorial.ig.gradients import gradients_at
from tests.toy_models import CallCounter


class _NumpyWithQuantileInterpolation:
    """numpy, with ``quantile``'s ``interpolation=`` keyword that NumPy 2.4 removed.

    saliency 0.2.1's ``guided_ig.py`` calls ``np.quantile(..., interpolation='lower')``, the
    spelling deprecated since NumPy 1.22 (now ``method=``); everything else is numpy itself.
    """

    def __getattr__(self, name):
        return getattr(np, name)

    def quantile(self, values, q, interpolation="linear", **options):
        return np.quantile(values, q, method=interpolation, **options)


@pytest.fixture
def saliency_guided_ig(monkeypatch):
    """``GetMask`` of saliency's GuidedIG, given the gradients of our seam's compiled function.

    Both implementations then see bit-identical gradients at each point, so what is compared is
    the path and the sum, not two ways of differentiating the model.
    """
    import saliency.core as saliency
    import saliency.core.guided_ig as saliency_guided_ig

    monkeypatch.setattr(saliency_guided_ig, "np", _NumpyWithQuantileInterpolation())

    def get_mask(model, image, baseline, target, output, steps, fraction, max_dist):
        def call_model(batch, call_model_args=None, expected_keys=None):
            gradients, _ = gradients_at(model, tf.constant(batch, tf.float32), target, output)
            return {saliency.base.INPUT_OUTPUT_GRADIENTS: gradients.numpy()}

        return saliency.GuidedIG().GetMask(
            np.asarray(image), call_model, None, np.asarray(baseline), steps, fraction, max_dist
        )

    return get_mask


@pytest.fixture
def image16(rng):
    return rng.uniform(size=(16, 16, 3)).astype(np.float32)


@pytest.mark.parametrize(
    ("steps", "fraction", "max_dist", "output"),
    [(20, 0.25, 0.02, "probability"), (40, 0.1, 0.1, "logit"), (25, 0.5, 1.0, "probability")],
)
def test_guided_ig_equals_saliency(
    saliency_guided_ig, conv_net, image16, rng, steps, fraction, max_dist, output
):
    baseline = (0.3 * rng.uniform(size=image16.shape)).astype(np.float32)
    ours = guided_integrated_gradients(
        conv_net,
        image16,
        1,
        baseline=baseline,
        steps=steps,
        fraction=fraction,
        max_dist=max_dist,
        output=output,
    )
    theirs = saliency_guided_ig(conv_net, image16, baseline, 1, output, steps, fraction, max_dist)
    # float32 rounding of the result; a different path would differ by far more.
    np.testing.assert_allclose(
        ours.attributions, theirs, rtol=1e-6, atol=1e-7 * np.abs(theirs).max()
    )
    assert ours.method == "guided_ig"
    assert ours.num_evaluations == steps


@pytest.mark.slow
def test_guided_ig_equals_saliency_on_the_bundled_model(saliency_guided_ig, bundled_model):
    image = read_image("coffee").numpy()
    ours = guided_integrated_gradients(bundled_model, image, "espresso", steps=16)
    theirs = saliency_guided_ig(
        bundled_model, image, np.zeros_like(image), 967, "probability", 16, 0.25, 0.02
    )
    assert ours.target == 967
    np.testing.assert_allclose(
        ours.attributions, theirs, rtol=1e-6, atol=1e-7 * np.abs(theirs).max()
    )


@pytest.mark.parametrize(("fraction", "max_dist"), [(1.0, 0.02), (0.25, 0.0)])
def test_settings_that_keep_to_the_straight_line_give_left_riemann_ig(
    conv_net, image16, fraction, max_dist
):
    baseline = tf.fill(image16.shape, 0.2)
    guided = guided_integrated_gradients(
        conv_net, image16, 2, baseline=baseline, steps=12, fraction=fraction, max_dist=max_dist
    )
    ig = integrated_gradients(
        conv_net, image16, 2, baseline=baseline, m_steps=12, method="riemann_left"
    )
    np.testing.assert_allclose(guided.attributions, ig.attributions, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(guided.path_scores[:-1], ig.path_scores, rtol=1e-5)


def test_the_default_path_leaves_the_straight_line(conv_net, image16):
    guided = guided_integrated_gradients(conv_net, image16, 2, steps=12)
    ig = integrated_gradients(conv_net, image16, 2, m_steps=12, method="riemann_left")
    assert relative_l2_error(guided.attributions, ig.attributions) > 0.05


def test_guided_ig_is_exact_for_a_linear_model(linear_model, rng):
    image = rng.uniform(size=(4, 5, 3)).astype(np.float32)
    baseline = rng.uniform(size=(4, 5, 3)).astype(np.float32)
    result = guided_integrated_gradients(
        linear_model, image, 0, baseline=baseline, steps=7, output="logit"
    )
    # Any path's sum of w * step is w * (x - x'): the path ends exactly at the input.
    np.testing.assert_allclose(
        result.attributions, linear_model.exact_logit_ig(image, baseline, 0), rtol=1e-5, atol=1e-6
    )
    assert abs(result.completeness_delta) < 1e-4


def test_completeness_improves_with_steps(conv_net, image16):
    errors = [
        guided_integrated_gradients(conv_net, image16, 2, steps=steps).relative_completeness_error
        for steps in (4, 200)
    ]
    assert errors[1] < 0.01
    assert errors[1] < errors[0]


def test_path_scores_and_parameters(conv_net, image16):
    result = guided_integrated_gradients(conv_net, image16, 3, steps=8)
    np.testing.assert_allclose(result.path_parameters, np.linspace(0.0, 1.0, 9))
    assert result.path_scores.shape == (9,)
    assert result.path_scores[0] == result.score_at_baseline
    assert result.path_scores[-1] == result.score_at_input
    np.testing.assert_array_equal(result.path_start, np.zeros_like(image16))
    assert "F(path start)" in result.completeness_report()


def test_one_model_call_per_step(conv_net, image16):
    model = CallCounter(conv_net)
    result = guided_integrated_gradients(model, image16, 1, steps=9)
    # One forward pass of both ends (prepare_ends), then one input a step.
    assert int(model.calls.numpy()) == 1 + 9
    assert int(model.images_seen.numpy()) == 2 + 9
    assert int(model.largest_call.numpy()) == 2
    assert result.batch_size == 1


def test_input_equal_to_baseline_gets_zero_attributions(conv_net, image16):
    result = guided_integrated_gradients(conv_net, image16, 1, baseline=image16, steps=3)
    np.testing.assert_array_equal(result.attributions, 0.0)


def test_a_named_baseline_is_built_for_the_image(conv_net, image16):
    named = guided_integrated_gradients(conv_net, image16, 1, baseline="white", steps=5)
    given = guided_integrated_gradients(
        conv_net, image16, 1, baseline=np.ones_like(image16), steps=5
    )
    np.testing.assert_array_equal(named.attributions, given.attributions)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fraction": 0.0}, r"fraction must be a number in \(0, 1\]"),
        ({"fraction": 1.5}, r"fraction must be a number in \(0, 1\].*got 1.5"),
        ({"max_dist": -0.01}, r"max_dist must be a number in \[0, 1\].*got -0.01"),
        ({"steps": 0}, "steps must be a positive integer, got 0"),
        ({"baseline": np.zeros((8, 8, 3))}, r"baseline shape \(8, 8, 3\) does not match"),
        ({"baseline": "grey"}, "Unknown baseline 'grey'"),
        ({"output": "loss"}, "output must be one of"),
    ],
)
def test_bad_settings_are_refused(conv_net, image16, options, message):
    with pytest.raises(ValueError, match=message):
        guided_integrated_gradients(conv_net, image16, 1, **options)
