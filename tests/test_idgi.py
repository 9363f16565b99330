"""IDGI: the paper's formula, exact completeness, the linear case, batching by counting."""

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import (
    compute_gradients,
    guided_integrated_gradients,
    idgi,
    integrated_gradients,
    interpolate_images,
)
from ig_tutorial.ig.gradients import model_logits, target_scores
from tests.toy_models import CallCounter, SaturatingModel


@pytest.fixture
def image16(rng):
    return rng.uniform(size=(16, 16, 3)).astype(np.float32)


def paper_idgi(model, image, baseline, target, m_steps, output="probability"):
    """Algorithm 1 of Yang, Wang & Bilen (2023) written out: every point at once, in float64."""
    alphas = np.arange(m_steps + 1) / m_steps
    points = interpolate_images(baseline, image, alphas)
    scores = target_scores(model_logits(model, points), target, output).numpy().astype(np.float64)
    gradients = compute_gradients(model, points, target, output)[0].numpy().astype(np.float64)
    total = np.zeros(image.shape)
    for k in range(m_steps):  # the gradient at the start of each step; the last one is unused
        squares = gradients[k] ** 2
        total += squares / squares.sum() * (scores[k + 1] - scores[k])
    return total


def test_idgi_follows_the_papers_algorithm(conv_net, image16):
    baseline = np.full(image16.shape, 0.1, np.float32)
    result = idgi(conv_net, image16, 1, baseline=baseline, m_steps=12)
    expected = paper_idgi(conv_net, image16, baseline, 1, 12)
    np.testing.assert_allclose(
        result.attributions, expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max()
    )
    assert result.method == "idgi"


@pytest.mark.parametrize("m_steps", [1, 4, 64])
def test_completeness_is_exact_at_any_number_of_steps(conv_net, image16, m_steps):
    result = idgi(conv_net, image16, 2, m_steps=m_steps)
    assert abs(result.score_difference) > 0.1
    assert result.relative_completeness_error < 1e-6
    # Not by luck of the model: IG on the same points misses by far more.
    ig = integrated_gradients(conv_net, image16, 2, m_steps=m_steps, method="riemann_left")
    assert ig.relative_completeness_error > 1e-4


def test_idgi_of_a_linear_model_shares_the_score_change_by_the_squared_weights(linear_model, rng):
    image = rng.uniform(size=(4, 5, 3)).astype(np.float32)
    baseline = rng.uniform(size=(4, 5, 3)).astype(np.float32)
    result = idgi(linear_model, image, 2, baseline=baseline, m_steps=5, output="logit")
    # The gradient is the weights everywhere, so every step shares out w**2 / ||w||**2.
    weights = linear_model.weights[:, 2].numpy().astype(np.float64).reshape(4, 5, 3)
    change = float(np.sum((image - baseline) * weights, dtype=np.float64))
    np.testing.assert_allclose(
        result.attributions, weights**2 / np.sum(weights**2) * change, rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_batches_change_the_calls_not_the_attributions(conv_net, image16, batch_size):
    model = CallCounter(conv_net)
    result = idgi(model, image16, 3, m_steps=10, batch_size=batch_size)
    # One forward pass of both ends (prepare_ends), then ceil(10 / batch_size) batches: the
    # gradient at the input is never needed.
    assert int(model.calls.numpy()) == 1 + -(-10 // batch_size)
    assert int(model.images_seen.numpy()) == 2 + 10
    assert int(model.largest_call.numpy()) == max(min(batch_size, 10), 2)
    assert result.num_evaluations == 10
    reference = idgi(conv_net, image16, 3, m_steps=10, batch_size=10)
    np.testing.assert_allclose(result.attributions, reference.attributions, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(result.path_parameters, np.linspace(0.0, 1.0, 11))
    assert result.path_scores[0] == result.score_at_baseline
    assert result.path_scores[-1] == result.score_at_input


def test_idgi_costs_the_model_calls_of_left_riemann_ig(conv_net, image16):
    counted = {}
    for name, call in {
        "idgi": lambda m: idgi(m, image16, 0, m_steps=32, batch_size=8),
        "ig": lambda m: integrated_gradients(
            m, image16, 0, m_steps=32, method="riemann_left", batch_size=8
        ),
    }.items():
        model = CallCounter(conv_net)
        call(model)
        counted[name] = (int(model.calls.numpy()), int(model.images_seen.numpy()))
    assert counted["idgi"] == counted["ig"] == (1 + 4, 2 + 32)


def test_idgi_on_the_guided_path(conv_net, image16):
    model = CallCounter(conv_net)
    result = idgi(model, image16, 2, m_steps=20, path="guided", fraction=0.2, max_dist=0.05)
    guided = guided_integrated_gradients(
        conv_net, image16, 2, steps=20, fraction=0.2, max_dist=0.05
    )
    assert result.method == "idgi_guided"
    assert result.relative_completeness_error < 1e-6
    # The same points as Guided IG's, one a call.
    np.testing.assert_allclose(result.path_scores, guided.path_scores, rtol=1e-6)
    assert int(model.calls.numpy()) == 1 + 20
    assert result.batch_size == 1


def test_a_zero_gradient_drops_its_step(rng):
    # min(mean(x), 0.8) is flat at x' = 0.85: no direction to share the first step along.
    model = SaturatingModel()
    image = np.zeros((1, 1, 3), np.float32)
    result = idgi(
        model, image, 0, baseline=np.full((1, 1, 3), 0.85, np.float32), m_steps=2, output="logit"
    )
    assert np.all(np.isfinite(result.attributions))
    np.testing.assert_allclose(result.attribution_sum, 0.0 - 0.425, rtol=1e-5)
    np.testing.assert_allclose(result.score_difference, -0.8, rtol=1e-6)


def test_a_named_baseline_is_built_for_the_image(conv_net, image16):
    named = idgi(conv_net, image16, 1, baseline="white", m_steps=4)
    given = idgi(conv_net, image16, 1, baseline=tf.ones(image16.shape), m_steps=4)
    np.testing.assert_array_equal(named.attributions, given.attributions)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"m_steps": 0}, "m_steps must be a positive integer, got 0"),
        ({"path": "curved"}, r"path must be one of \('straight', 'guided'\), got 'curved'"),
        ({"path": "guided", "fraction": 2}, r"fraction must be a number in \(0, 1\]"),
        ({"path": "guided", "max_dist": -1.0}, r"max_dist must be a number in \[0, 1\]"),
        ({"path": "guided", "m_steps": 0}, "^m_steps must be a positive integer, got 0"),
        ({"baseline": np.zeros((4, 4, 3))}, r"baseline shape \(4, 4, 3\) does not match"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_settings_are_refused(conv_net, image16, options, message):
    with pytest.raises(ValueError, match=message):
        idgi(conv_net, image16, 1, **options)
