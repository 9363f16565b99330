"""Integrated Gradients on the bundled, real EfficientNet-Lite0.

Measured (trapezoid rule, black baseline, target = top-1, 2-core CPU): relative completeness error
for grace_hopper 6.3% / 1.3% / 0.7% / 2.4% / 0.45% at 16 / 32 / 64 / 128 / 256 steps, and for
coffee 67% / 16% / 1.4% / 2.3% / 0.12%. The ReLU6 network is piecewise linear, so its gradients
jump along the path and the error is not monotonic; 256 steps are below 1% for both photos.
"""

import numpy as np
import pytest

from ig_tutorial import (
    blur_integrated_gradients,
    integrated_gradients,
    read_image,
    relative_l2_error,
)

STEPS_FOR_ONE_PERCENT = 256


@pytest.mark.parametrize(
    ("photo", "target", "label"),
    [("grace_hopper", 652, "military uniform"), ("coffee", 967, "espresso")],
)
def test_256_steps_are_complete_and_auto_keeps_its_contract(bundled_model, photo, target, label):
    image = read_image(photo)
    (top_index, top_label, probability), *_ = bundled_model.predict_top_k(image, k=3)
    assert (top_index, top_label) == (target, label)
    fixed = integrated_gradients(bundled_model, image, label, m_steps=STEPS_FOR_ONE_PERCENT)
    assert fixed.target == target
    assert fixed.score_at_input == pytest.approx(probability, rel=1e-4)
    assert fixed.relative_completeness_error < 0.01, fixed.completeness_report()
    assert np.isfinite(fixed.attributions).all()
    # Black letterbox bars equal the black baseline, so IG must give them exactly nothing.
    assert np.all(fixed.attributions[np.all(image.numpy() == 0, axis=-1)] == 0)

    # The contract of tolerance t: completeness <= t (exact) and L2 <= 2 t against a
    # high-accuracy reference. At t = 0.05 the 256-step trapezoid above is one: it is within
    # 0.5% (grace_hopper) and 1.1% (coffee) of a 512-node Gauss-Legendre estimate, as close as
    # 256 Gauss-Legendre nodes are (0.7%, 1.2%), a ninth of the 10% bound.
    tolerance = 0.05
    auto = integrated_gradients(bundled_model, image, target, m_steps="auto", tolerance=tolerance)
    assert auto.refinement.converged
    assert auto.relative_completeness_error <= tolerance
    assert relative_l2_error(auto.attributions, fixed.attributions) <= 2 * tolerance
    assert auto.estimated_error <= 1.5 * tolerance
    # The nodes went where the score changes: denser where F rises than where it is flat.
    rise = np.abs(np.diff(auto.path_scores)) / np.diff(auto.alphas)
    steep = rise > np.median(rise)
    assert np.diff(auto.alphas)[steep].mean() < np.diff(auto.alphas)[~steep].mean()


def test_blur_ig_completeness_on_the_real_model(bundled_model):
    # Measured with quadratic sigma spacing: 1.1% at 64 steps (linear spacing: 34%).
    result = blur_integrated_gradients(bundled_model, read_image("coffee"), 967, steps=64)
    assert result.relative_completeness_error < 0.05, result.completeness_report()
    assert result.score_at_baseline < 0.01  # the blurred start shows no espresso
