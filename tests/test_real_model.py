"""Integrated Gradients on the bundled, real EfficientNet-Lite0.

Measured (trapezoid rule, black baseline, target = top-1, 2-core CPU): relative completeness error
for grace_hopper 6.3% / 1.3% / 0.7% / 2.4% / 0.45% at 16 / 32 / 64 / 128 / 256 steps, and for
coffee 67% / 16% / 1.4% / 2.3% / 0.12%. The ReLU6 network is piecewise linear, so its gradients
jump along the path and the error is not monotonic; 256 steps are below 1% for both photos.
"""

import numpy as np
import pytest

from ig_tutorial import blur_integrated_gradients, integrated_gradients, read_image

STEPS_FOR_ONE_PERCENT = 256


@pytest.mark.parametrize(
    ("photo", "target", "label"),
    [("grace_hopper", 652, "military uniform"), ("coffee", 967, "espresso")],
)
def test_completeness_below_one_percent(bundled_model, photo, target, label):
    image = read_image(photo)
    (top_index, top_label, probability), *_ = bundled_model.predict_top_k(image, k=3)
    assert (top_index, top_label) == (target, label)
    result = integrated_gradients(bundled_model, image, label, m_steps=STEPS_FOR_ONE_PERCENT)
    assert result.target == target
    assert result.score_at_input == pytest.approx(probability, rel=1e-4)
    assert result.relative_completeness_error < 0.01, result.completeness_report()
    assert np.isfinite(result.attributions).all()
    # Black letterbox bars equal the black baseline, so IG must give them exactly nothing.
    assert np.all(result.attributions[np.all(image.numpy() == 0, axis=-1)] == 0)


def test_auto_steps_match_the_fixed_rule_on_the_real_model(bundled_model):
    # Measured: grace_hopper stops at 64 steps at tolerance 0.05 (history in integrated_gradients).
    image = read_image("grace_hopper")
    auto = integrated_gradients(bundled_model, image, 652, m_steps="auto", tolerance=0.05)
    assert auto.relative_completeness_error <= 0.05 and auto.refinement_change <= 0.05
    assert auto.num_evaluations == auto.m_steps + 1
    fixed = integrated_gradients(bundled_model, image, 652, m_steps=auto.m_steps)
    scale = np.abs(fixed.attributions).max()
    np.testing.assert_allclose(auto.attributions, fixed.attributions, rtol=0, atol=1e-4 * scale)


def test_blur_ig_completeness_on_the_real_model(bundled_model):
    # Measured with quadratic sigma spacing: 1.1% at 64 steps (linear spacing: 34%).
    result = blur_integrated_gradients(bundled_model, read_image("coffee"), 967, steps=64)
    assert result.relative_completeness_error < 0.05, result.completeness_report()
    assert result.score_at_baseline < 0.01  # the blurred start shows no espresso
