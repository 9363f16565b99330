"""XRAI's Performance Information Curves (``benchmarks/information_curves.py``).

On the patch model of ``tests/test_faithfulness.py``: the map that ranks the patch first beats a
random one, which beats the map that ranks it last; the AIC and SIC equal PAIR saliency's ``pic``
module; the errors; and the faithfulness benchmark's use of them.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from saliency.metrics import pic

from benchmarks.faithfulness import information_of
from benchmarks.information_curves import (
    InformationCurveUndefined,
    image_information,
    information_curves,
    interpolated_image,
    random_pixel_mask,
)
from ig_tutorial.ig.method_comparison import compared_methods, score_methods
from tests.test_faithfulness import BAD_MAPS, SIZE, PatchModel, make_maps, make_patch_image
from tests.toy_models import CallCounter

patch_image = pytest.fixture(make_patch_image, scope="module", name="patch_image")
maps = pytest.fixture(make_maps, scope="module", name="maps")

# Performance Information Curves.


def test_the_best_map_beats_random_on_both_information_curves(patch_image, maps):
    model = CallCounter(PatchModel())
    # Seed 5's random pixels miss the patch, so the fully blurred image is not class 0.
    curves = {
        name: information_curves(model, patch_image, 0, m, seed=5) for name, m in maps.items()
    }
    for kind in ("SIC", "AIC"):
        assert curves["patch first"][kind].auc > curves["random"][kind].auc
        assert curves["random"][kind].auc > curves["patch last"][kind].auc
    best = curves["patch first"]["SIC"]
    assert best.num_forward_passes == 13 + 2 and len(best.scores) == len(best.thresholds) == 15
    assert best.information[0] == 0 and best.information[-1] == best.performance[-1] == 1
    # Three maps, 15 images each, one call each (batch 32).
    assert int(model.calls) == 3 and int(model.images_seen) == 45


def _pic_directly(model, image, values, mask, monkeypatch, kind, **options):
    """PAIR saliency's compute_pic_metric with a pred_func through the same model."""
    monkeypatch.setattr(np, "trapz", np.trapezoid, raising=False)  # removed in NumPy 2.4

    def pred_func(images):
        logits = model(tf.constant(images, tf.float32) / 255.0)
        if kind == "AIC":
            return [float(top == 0) for top in np.argmax(logits, axis=-1)]
        return [float(p) for p in tf.nn.softmax(logits, axis=-1).numpy()[:, 0]]

    uint8 = np.round(image * 255).astype(np.uint8)
    return pic.compute_pic_metric(
        uint8,
        values,
        mask,
        pred_func,
        saliency_thresholds=[0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.10, 0.13, 0.21, 0.34]
        + [0.5, 0.75],
        **options,
    )


@pytest.mark.parametrize(
    ("name", "keep_monotonous"),
    [("patch first", True), ("random", True), ("patch last", True), ("random", False)],
)
def test_information_curves_equal_pic(patch_image, maps, monkeypatch, name, keep_monotonous):
    model = PatchModel()
    mask = random_pixel_mask(SIZE, SIZE, 0.01, seed=5)
    ours = information_curves(
        model, patch_image, 0, maps[name], random_mask=mask, keep_monotonous=keep_monotonous
    )
    for kind in ("SIC", "AIC"):
        theirs = _pic_directly(
            model,
            patch_image,
            maps[name],
            mask,
            monkeypatch,
            kind,
            min_pred_value=0.0,
            keep_monotonous=keep_monotonous,
        )
        # pic scores one image per call, ours 15 in one: float32 sums that differ by ~1e-7.
        np.testing.assert_allclose(ours[kind].information, theirs.curve_x)
        np.testing.assert_allclose(ours[kind].performance, theirs.curve_y, rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours[kind].scores, theirs.predictions, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(ours[kind].thresholds, theirs.thresholds)
        assert ours[kind].auc == pytest.approx(theirs.auc, abs=1e-6)


def test_interpolated_image_and_information_equal_pic(patch_image):
    uint8 = np.round(patch_image * 255).astype(np.uint8)
    noise = np.random.default_rng(4).integers(0, 256, (48, 40, 3), dtype=np.uint8)
    for image in (uint8, noise):
        height, width = image.shape[:2]
        for fraction, seed in ((0.0, 0), (0.01, 1), (0.3, 2), (0.8, 3)):
            mask = random_pixel_mask(height, width, fraction, seed=seed)
            assert mask.sum() == int(height * width * fraction)
            ours = interpolated_image(image, mask)
            np.testing.assert_array_equal(ours, pic.create_blurred_image(image, mask))
            assert image_information(ours) == pic.estimate_image_entropy(ours)
    np.testing.assert_array_equal(interpolated_image(uint8, np.ones((SIZE, SIZE), bool)), uint8)


def test_undefined_information_curves_say_why(patch_image, maps):
    model = PatchModel()
    with pytest.raises(InformationCurveUndefined, match="below min_pred_value=1.5"):
        information_curves(model, patch_image, 0, maps["random"], min_pred_value=1.5)
    # Class 1 is more probable on the blurred image than on the original: nothing to recover.
    with pytest.raises(InformationCurveUndefined, match="SIC: the model scores the fully blurred"):
        information_curves(model, patch_image, 1, maps["random"], kinds=("SIC",))
    # An image with no detail: blurring removes no information.
    flat = np.full((SIZE, SIZE, 3), 0.5, np.float32)
    with pytest.raises(InformationCurveUndefined, match="holds no less information"):
        information_curves(model, flat, 0, maps["random"])
    assert issubclass(InformationCurveUndefined, ValueError)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kinds": ("SIC", "XIC")}, r"kind must be one of \('SIC', 'AIC'\), got 'XIC'"),
        ({"kinds": ()}, "kinds is empty"),
        ({"thresholds": (0.5, 0.2)}, "increasing"),
        ({"thresholds": (0.0, 0.2)}, r"in \(0, 1\)"),
        ({"random_mask": np.ones((SIZE, 3), bool)}, r"random_mask must be a boolean array"),
        ({"mask_fraction": 1.5}, r"mask_fraction must be in \[0, 1\], got 1.5"),
        ({"min_pred_value": -1}, "min_pred_value must be a finite number >= 0"),
    ],
)
def test_bad_information_curve_options_are_refused(patch_image, maps, options, message):
    with pytest.raises(ValueError, match=message):
        information_curves(PatchModel(), patch_image, 0, maps["random"], **options)


@pytest.mark.parametrize(("change", "message"), BAD_MAPS)
def test_bad_maps_are_refused(patch_image, maps, change, message):
    with pytest.raises(ValueError, match=message):
        information_curves(PatchModel(), patch_image, 0, change(maps["random"].copy()))


def test_a_target_outside_the_model_is_refused(patch_image, maps):
    with pytest.raises(ValueError, match="target 5 is out of range"):
        information_curves(PatchModel(), patch_image, 5, maps["random"])


def test_the_benchmark_scores_each_map_and_leaves_undefined_curves_empty(patch_image):
    model = PatchModel()
    methods = {name: compared_methods(4)[name] for name in ("Gradient", "Random (control)")}
    scores = score_methods(model, patch_image, 0, methods, step=256)
    # Seed 5's random pixels miss the patch, so the fully blurred image is not class 0.
    curves, seconds = information_of(model, patch_image, 0, scores, seed=5)
    assert list(curves) == list(seconds) == list(methods)
    for score in scores:
        expected = information_curves(model, patch_image, 0, score.attributions, seed=5)
        assert list(expected) == ["SIC", "AIC"]
        assert {kind: curve.auc for kind, curve in curves[score.method].items()} == {
            kind: curve.auc for kind, curve in expected.items()
        }
        assert seconds[score.method] >= 0
    # Class 1 is more probable on the blurred image than on the original: no curve, no error.
    undefined, _ = information_of(model, patch_image, 1, scores)
    assert undefined == {method: {} for method in methods}
