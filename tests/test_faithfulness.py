"""Faithfulness metrics: deletion and insertion (RISE).

On a model whose answer is known: its logit is the mean of one 8 x 8 patch of a 32 x 32 image, so
a map that ranks the patch first must delete best (lowest area) and insert best (highest), and a
map that ranks it last worst. The area formula on hand-computed curves, the curves' ends, the
batching by counting calls and the errors. The patch model, image and maps serve
``tests/test_information_curves.py`` too.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial.ig.faithfulness import (
    blurred_image,
    deletion_and_insertion,
    deletion_curve,
    normalized_auc,
    per_pixel_map,
    random_map,
)
from ig_tutorial.ig.sanity_checks import image_edges
from tests.toy_models import CallCounter

SIZE = 32
PATCH = (slice(8, 16), slice(16, 24))


class PatchModel(tf.Module):
    """Two classes; class 0's logit is ``40 * (mean of the patch - 0.7)``, class 1's is 0.

    0.7: the patch blurred (RISE's insertion start) is no longer class 0.
    """

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        patch = tf.reduce_mean(images[:, PATCH[0], PATCH[1], :], axis=[1, 2, 3])
        logit = 40.0 * (patch - 0.7)
        return tf.stack([logit, tf.zeros_like(logit)], axis=1)


def make_patch_image() -> np.ndarray:
    """Dark noise with a bright patch: the model is sure of class 0 (probability ~1)."""
    image = np.random.default_rng(3).uniform(0.0, 0.3, size=(SIZE, SIZE, 3))
    image[PATCH] = 1.0
    return image.astype(np.float32)


def _patch_first(values: np.ndarray, sign: float = 1.0) -> np.ndarray:
    """A map: small noise, the patch ``sign`` * 1 (first for +1, last for -1)."""
    ranked = 0.1 * values
    ranked[PATCH] = sign
    return ranked


def make_maps() -> dict[str, np.ndarray]:
    """The patch first, random, the patch last."""
    noise = random_map(np.zeros((SIZE, SIZE, 3)), seed=7)
    return {
        "patch first": _patch_first(noise, 1.0),
        "random": random_map(np.zeros((SIZE, SIZE, 3)), seed=1),
        "patch last": _patch_first(noise, -1.0),
    }


patch_image = pytest.fixture(make_patch_image, scope="module", name="patch_image")
maps = pytest.fixture(make_maps, scope="module", name="maps")


# The area under the curve.


def test_normalized_auc_of_hand_computed_curves():
    assert normalized_auc([1.0, 0.5, 0.0]) == pytest.approx(0.5)
    # (0 + 1 + 1 + 1 - 0/2 - 1/2) / 3
    assert normalized_auc([0.0, 1.0, 1.0, 1.0]) == pytest.approx(2.5 / 3)
    assert normalized_auc([0.2, 0.2]) == pytest.approx(0.2)
    values = np.random.default_rng(0).uniform(size=9)
    assert normalized_auc(values) == pytest.approx(np.trapezoid(values, np.linspace(0, 1, 9)))


def test_normalized_auc_needs_two_points():
    with pytest.raises(ValueError, match="at least 2 values"):
        normalized_auc([0.5])


# Deletion and insertion on the patch model.


def test_the_map_that_ranks_the_patch_first_scores_best(patch_image, maps):
    model = PatchModel()
    scores = {
        name: deletion_and_insertion(model, patch_image, 0, values) for name, values in maps.items()
    }
    deletion = {name: found[0].auc for name, found in scores.items()}
    insertion = {name: found[1].auc for name, found in scores.items()}
    assert deletion["patch first"] < deletion["random"] < deletion["patch last"]
    assert insertion["patch first"] > insertion["random"] > insertion["patch last"]
    # The patch is 64 pixels, two steps of 32: deleted after two steps, inserted after two.
    best_deletion, best_insertion = scores["patch first"]
    assert best_deletion.probabilities[2] < 0.01 < 0.99 < best_deletion.probabilities[0]
    assert best_insertion.probabilities[2] > 0.99 > 0.01 > best_insertion.probabilities[0]


def test_the_curves_start_and_end_where_rise_says(patch_image, maps):
    model = PatchModel()
    deletion, insertion = deletion_and_insertion(model, patch_image, 0, maps["random"], step=100)

    def probability(image):
        return float(tf.nn.softmax(model(image[None]))[0, 0])

    n_steps = int(np.ceil(SIZE * SIZE / 100))  # 11: the last step changes 24 pixels
    for curve in (deletion, insertion):
        assert curve.num_forward_passes == len(curve.probabilities) == n_steps + 1
        assert curve.step == 100 and curve.target == 0
        np.testing.assert_allclose(curve.fractions, np.minimum(np.arange(12) * 100, 1024) / 1024)
        assert curve.auc == pytest.approx(normalized_auc(curve.probabilities))
    assert deletion.kind == "deletion" and deletion.substrate == "black"
    assert deletion.probabilities[0] == pytest.approx(probability(patch_image), abs=1e-6)
    assert deletion.probabilities[-1] == pytest.approx(probability(np.zeros_like(patch_image)))
    assert insertion.kind == "insertion" and insertion.substrate == "blur"
    assert insertion.probabilities[0] == pytest.approx(probability(blurred_image(patch_image)))
    assert insertion.probabilities[-1] == pytest.approx(probability(patch_image), abs=1e-6)


def test_default_step_is_the_image_width(patch_image, maps):
    curve = deletion_curve(PatchModel(), patch_image[:, :16], 0, maps["random"][:, :16])
    assert curve.step == 16 and curve.num_forward_passes == SIZE + 1


def test_deletion_and_insertion_equal_the_single_curves(patch_image, maps):
    model = PatchModel()
    both = deletion_and_insertion(model, patch_image, 0, maps["random"], step=64)
    alone = deletion_curve(model, patch_image, 0, maps["random"], step=64)
    np.testing.assert_array_equal(both[0].probabilities, alone.probabilities)
    # Each curve is its own game: another deletion substrate leaves the insertion curve as it is.
    other = deletion_and_insertion(
        model, patch_image, 0, maps["random"], step=64, deletion_substrate="blur"
    )
    np.testing.assert_array_equal(both[1].probabilities, other[1].probabilities)
    assert not np.array_equal(both[0].probabilities, other[0].probabilities)


def test_blur_substrate_for_deletion_and_black_for_insertion(patch_image, maps):
    model = PatchModel()
    deletion = deletion_curve(model, patch_image, 0, maps["random"], step=64, substrate="blur")
    _, insertion = deletion_and_insertion(
        model, patch_image, 0, maps["random"], step=64, insertion_substrate="black"
    )
    blurred = float(tf.nn.softmax(model(blurred_image(patch_image)[None]))[0, 0])
    assert deletion.probabilities[-1] == pytest.approx(blurred)
    assert insertion.probabilities[0] == pytest.approx(1.0 / (1.0 + np.exp(28.0)), rel=1e-4)


def test_the_blur_is_rises_kernel():
    image = np.zeros((21, 21, 3), np.float32)
    image[10, 10] = 1.0
    blurred = blurred_image(image)
    # The impulse's response is the kernel: 11 x 11, summing to 1, flat-ish (sigma 5).
    assert blurred.sum(axis=(0, 1)) == pytest.approx([1.0, 1.0, 1.0], rel=1e-5)
    assert np.count_nonzero(blurred[..., 0]) == 11 * 11
    assert blurred[10, 10, 0] == blurred.max() and blurred[5, 5, 0] > 0.5 * blurred.max()


def test_signed_and_absolute_ranking(patch_image):
    # The patch has large negative values: first by absolute value, last when signed.
    values = 0.1 * random_map(patch_image, seed=2)
    values[PATCH] = -1.0
    model = PatchModel()
    signed = deletion_curve(model, patch_image, 0, values)
    absolute = deletion_curve(model, patch_image, 0, values, absolute=True)
    assert absolute.auc < 0.1 < 0.9 < signed.auc


def test_a_three_channel_map_is_summed_over_channels(patch_image, maps):
    channels = np.repeat(maps["patch first"][..., None] / 3.0, 3, axis=-1)
    channels[..., 0] += 5.0  # a constant per channel changes no ranking
    model = PatchModel()
    summed = deletion_curve(model, patch_image, 0, channels)
    plain = deletion_curve(model, patch_image, 0, maps["patch first"])
    np.testing.assert_allclose(summed.probabilities, plain.probabilities)


# Batching, counted.


@pytest.mark.parametrize(("batch_size", "step"), [(5, 32), (33, 32), (4, 100), (64, 1024)])
def test_forward_passes_are_batched(patch_image, maps, batch_size, step):
    model = CallCounter(PatchModel())
    curve = deletion_curve(model, patch_image, 0, maps["random"], step=step, batch_size=batch_size)
    images = -(-SIZE * SIZE // step) + 1
    assert int(model.images_seen) == curve.num_forward_passes == images
    assert int(model.calls) == curve.num_model_calls == -(-images // batch_size)
    assert int(model.largest_call) == min(batch_size, images)


def test_a_top_1_target_costs_one_more_forward_pass(patch_image, maps):
    model = CallCounter(PatchModel())
    curve = deletion_curve(model, patch_image, "top-1", maps["random"], step=256, batch_size=8)
    assert curve.target == 0
    assert int(model.calls) == 1 + 1 and int(model.images_seen) == 1 + 5


# Errors.

#: Maps every metric refuses, and what its message says.
BAD_MAPS = [
    (lambda m: m[:16], r"shape \(16, 32\) do not fit the image of shape \(32, 32, 3\)"),
    (lambda m: np.stack([m, m], -1), r"shape \(32, 32, 2\) do not fit"),
    (lambda m: np.where(m > 0.5, np.nan, m), "NaN or infinite"),
    (lambda m: np.where(m > 0.5, np.inf, m), "NaN or infinite"),
    (lambda m: np.zeros_like(m), r"constant \(every pixel is 0.0\)"),
    (lambda m: np.full_like(m, 2.0), "ranks no pixel above another"),
]


@pytest.mark.parametrize(("change", "message"), BAD_MAPS)
def test_bad_maps_are_refused(patch_image, maps, change, message):
    for metric in (deletion_curve, deletion_and_insertion):
        with pytest.raises(ValueError, match=message):
            metric(PatchModel(), patch_image, 0, change(maps["random"].copy()))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"step": 0}, "step must be a positive integer, got 0"),
        ({"step": 2.5}, "step must be a positive integer, got 2.5"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"substrate": "gray"}, r"substrate must be one of \('black', 'blur'\), got 'gray'"),
    ],
)
def test_bad_options_are_refused(patch_image, maps, options, message):
    with pytest.raises(ValueError, match=message):
        deletion_curve(PatchModel(), patch_image, 0, maps["random"], **options)


def test_bad_targets_are_refused(patch_image, maps):
    with pytest.raises(ValueError, match="target 2 is out of range for a model with 2 classes"):
        deletion_curve(PatchModel(), patch_image, 2, maps["random"])
    with pytest.raises(ValueError, match="target 'espresso' is a label, but the model has no"):
        deletion_and_insertion(PatchModel(), patch_image, "espresso", maps["random"])


def test_per_pixel_map_accepts_both_shapes(maps):
    values = maps["random"]
    np.testing.assert_array_equal(per_pixel_map(values, (SIZE, SIZE, 3)), values)
    three = np.stack([values, -2 * values, 2 * values], axis=-1)
    np.testing.assert_allclose(per_pixel_map(three, (SIZE, SIZE, 3)), values)
    np.testing.assert_allclose(per_pixel_map(three, (SIZE, SIZE, 3), absolute=True), 5 * values)
    np.testing.assert_allclose(per_pixel_map(-values, (SIZE, SIZE, 3), absolute=True), values)


# The controls.


def test_random_map_is_seeded_and_edges_are_a_valid_map(patch_image):
    np.testing.assert_array_equal(random_map(patch_image, 4), random_map(patch_image, 4))
    assert not np.array_equal(random_map(patch_image, 4), random_map(patch_image, 5))
    assert random_map(patch_image).shape == (SIZE, SIZE)
    edges = image_edges(None, patch_image, 0)
    deletion, insertion = deletion_and_insertion(PatchModel(), patch_image, 0, edges)
    assert 0 <= deletion.auc <= 1 and 0 <= insertion.auc <= 1


# The bundled model, with a coarse step.


@pytest.mark.slow
def test_deletion_and_insertion_on_the_bundled_model(bundled_model):
    from ig_tutorial.images import read_image

    image = read_image("coffee")
    probability = float(tf.nn.softmax(bundled_model(image[None]))[0, 967])
    deletion, insertion = deletion_and_insertion(
        bundled_model, image, "espresso", image_edges(None, image, 0), step=224 * 16
    )
    assert deletion.num_forward_passes == insertion.num_forward_passes == 14 + 1
    assert deletion.probabilities[0] == pytest.approx(probability, abs=1e-5)
    assert insertion.probabilities[-1] == pytest.approx(probability, abs=1e-5)
    assert deletion.probabilities[-1] < 0.05  # a black image is no espresso
