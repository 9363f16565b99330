"""Cascading randomisation and the model randomisation test (Adebayo et al., 2018).

Small Keras models where the answer is known: the copy is a copy, exactly the chosen layers
change, a seed repeats; the rank correlation of a map with itself is 1; a method that ignores
the model fails the test and the model's gradients pass it. One slow test on the bundled model.
"""

from __future__ import annotations

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial.ig.map_metrics import map_similarity, rank_correlation
from ig_tutorial.ig.sanity_checks import (
    gradient_attributions,
    image_edges,
    integrated_gradients_method,
    model_randomization_check,
)
from ig_tutorial.images import read_image
from ig_tutorial.models.bundled.efficientnet_lite import LAYER_NAMES, RANDOMIZATION_CASCADE
from ig_tutorial.models.loading import load_model
from ig_tutorial.models.randomization import (
    cascading_randomization,
    copy_model,
    default_cascade,
    randomize_layers,
    weight_layers,
)
from tests.toy_models import CountingLinearModel

SIZE = 8


def small_keras_classifier():
    """conv (3x3, 6 filters, ReLU) -> flatten -> dense (4 classes), seeded initialisers."""
    inputs = keras.Input((SIZE, SIZE, 3))
    hidden = keras.layers.Conv2D(
        6,
        3,
        padding="same",
        activation="relu",
        kernel_initializer=keras.initializers.GlorotUniform(seed=1),
        bias_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=2),
        name="conv",
    )(inputs)
    flat = keras.layers.Flatten(name="flatten")(hidden)
    logits = keras.layers.Dense(
        4,
        kernel_initializer=keras.initializers.GlorotUniform(seed=3),
        bias_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=4),
        name="dense",
    )(flat)
    return load_model(keras.Model(inputs, logits, name="small"), input_size=SIZE, labels=None)


def weights_of(model) -> dict[str, list[np.ndarray]]:
    return {
        name: [np.array(v.numpy()) for v in variables] for name, variables in weight_layers(model)
    }


def same_weights(first, second) -> bool:
    return first.keys() == second.keys() and all(
        all(np.array_equal(a, b) for a, b in zip(first[k], second[k], strict=True)) for k in first
    )


def grey_image() -> tf.Tensor:
    # Nearly constant, so that IG's factor (x - black) hardly ranks the pixels: the ranking comes
    # from the model's gradients, which is what the test is about.
    return tf.constant(
        0.5 + 0.01 * np.random.default_rng(5).normal(size=(SIZE, SIZE, 3)), tf.float32
    )


# --- Randomisation -----------------------------------------------------------------------------


def test_keras_layers_with_weights_are_listed_from_input_to_output():
    model = small_keras_classifier()
    assert [name for name, _ in weight_layers(model)] == ["conv", "dense"]
    assert default_cascade(model) == [("dense", ("dense",)), ("conv", ("conv",))]


def test_the_bundled_cascade_randomises_every_layer_once_from_the_top():
    layers = [layer for _, step in RANDOMIZATION_CASCADE for layer in step]
    assert sorted(layers) == sorted(LAYER_NAMES) and len(layers) == len(set(layers))
    assert RANDOMIZATION_CASCADE[0] == ("logits", ("logits",))
    assert RANDOMIZATION_CASCADE[1] == ("head", ("head",))


def test_a_copy_computes_the_same_and_has_its_own_variables():
    model = small_keras_classifier()
    copy = copy_model(model)
    images = tf.random.stateless_uniform((2, SIZE, SIZE, 3), seed=(0, 1))
    np.testing.assert_array_equal(copy(images).numpy(), model(images).numpy())
    originals = {id(v) for _, variables in weight_layers(model) for v in variables}
    assert not originals & {id(v) for _, variables in weight_layers(copy) for v in variables}


def test_randomize_layers_changes_exactly_the_chosen_layers():
    model = small_keras_classifier()
    copy = copy_model(model)
    before = weights_of(copy)
    randomize_layers(copy, ["dense"], seed=0)
    after = weights_of(copy)
    assert same_weights({"conv": before["conv"]}, {"conv": after["conv"]})
    for old, new in zip(before["dense"], after["dense"], strict=True):
        assert not np.allclose(old, new)
    # Same scale: the tensor's own mean and standard deviation, to the sampling error of the
    # kernel's 1536 values (the 4 biases are too few to check a spread).
    kernel_before, kernel_after = before["dense"][0], after["dense"][0]
    assert abs(kernel_after.std() - kernel_before.std()) < 0.1 * kernel_before.std()
    assert abs(kernel_after.mean() - kernel_before.mean()) < 0.1 * kernel_before.std()
    assert same_weights(weights_of(model), before)  # the original was not touched


def test_randomisation_is_reproducible_with_a_seed():
    model = small_keras_classifier()
    first, second, other = copy_model(model), copy_model(model), copy_model(model)
    randomize_layers(first, ["conv", "dense"], seed=7)
    randomize_layers(second, ["conv", "dense"], seed=7)
    randomize_layers(other, ["conv", "dense"], seed=8)
    assert same_weights(weights_of(first), weights_of(second))
    assert not same_weights(weights_of(first), weights_of(other))


def test_the_cascade_is_cumulative_and_leaves_the_original_untouched():
    model = small_keras_classifier()
    original = weights_of(model)
    seen = []
    for step in cascading_randomization(model, seed=0):
        now = weights_of(step.model)
        seen.append((step.name, step.randomized, [k for k in now if not same_weights(
            {k: now[k]}, {k: original[k]})]))  # fmt: skip
    assert seen == [
        ("original", (), []),
        ("dense", ("dense",), ["dense"]),
        ("conv", ("dense", "conv"), ["conv", "dense"]),
    ]
    assert same_weights(weights_of(model), original)


def test_a_step_whose_model_was_randomised_further_raises():
    cascade = cascading_randomization(small_keras_classifier(), seed=0)
    first = next(cascade)
    first.model  # noqa: B018 - valid while the cascade is at this step
    next(cascade)
    with pytest.raises(RuntimeError, match="'original' has since been randomised further"):
        first.model  # noqa: B018


def test_unknown_or_repeated_layers_are_named():
    model = small_keras_classifier()
    with pytest.raises(
        ValueError, match=r"Unknown layer name\(s\) \['logits'\].*\['conv', 'dense'\]"
    ):
        randomize_layers(copy_model(model), ["logits"])
    with pytest.raises(ValueError, match=r"\['dense'\] named more than once"):
        next(cascading_randomization(model, [("a", ["dense"]), ("b", ["dense"])]))


def test_a_model_without_layers_cannot_be_randomised_and_says_why():
    model = load_model(CountingLinearModel(SIZE, SIZE, 3), input_size=SIZE, labels=None)
    with pytest.raises(TypeError, match="cannot be re-initialised layer by layer.*TF-Hub"):
        next(cascading_randomization(model))
    with pytest.raises(TypeError, match="CountingLinearModel"):
        copy_model(model)


# --- Comparing maps ----------------------------------------------------------------------------


def test_rank_correlation_of_a_map_with_itself_is_one_and_with_its_negative_minus_one():
    attributions = np.random.default_rng(0).normal(size=(SIZE, SIZE, 3))
    assert rank_correlation(attributions, attributions) == pytest.approx(1.0)
    assert rank_correlation(attributions, -attributions) == pytest.approx(1.0)  # same |a|
    assert rank_correlation(attributions, -attributions, absolute=False) == pytest.approx(-1.0)
    assert map_similarity(attributions, attributions) == pytest.approx(1.0)


def test_rank_correlation_compares_only_the_masked_pixels():
    rng = np.random.default_rng(1)
    first, second = rng.normal(size=(SIZE, SIZE, 3)), rng.normal(size=(SIZE, SIZE, 3))
    # Pixels outside the mask agree perfectly; inside they are unrelated.
    mask = np.zeros((SIZE, SIZE), bool)
    mask[2:6, 2:6] = True
    second[~mask] = first[~mask]
    assert rank_correlation(first, second) > rank_correlation(first, second, mask=mask)
    inside = rank_correlation(first[2:6, 2:6], second[2:6, 2:6])
    assert rank_correlation(first, second, mask=mask) == pytest.approx(inside)


@pytest.mark.parametrize(
    ("second", "mask", "message"),
    [
        (np.ones((SIZE, SIZE, 3)), None, "second map is constant"),
        (np.ones((SIZE, SIZE - 1, 3)), None, r"shapes differ: \(8, 8\) and \(8, 7\)"),
        (np.ones((SIZE, SIZE)), None, r"\(height, width, channels\), got \(8, 8\)"),
        (np.zeros((SIZE, SIZE, 3)) + np.arange(3), np.ones((4, 4), bool), "shape \\(8, 8\\)"),
        (np.zeros((SIZE, SIZE, 3)) + np.arange(3), np.zeros((SIZE, SIZE), bool), "selects 0"),
    ],
)
def test_rank_correlation_names_bad_input(second, mask, message):
    first = np.random.default_rng(0).normal(size=(SIZE, SIZE, 3))
    with pytest.raises(ValueError, match=message):
        rank_correlation(first, second, mask=mask)


# --- The test itself ---------------------------------------------------------------------------


def the_input_itself(model, image, target):
    """A broken "explanation": the image, whatever the model."""
    return np.asarray(image)


def test_methods_that_ignore_the_model_fail_and_the_gradients_pass():
    model = small_keras_classifier()
    methods = {
        "IG": integrated_gradients_method(m_steps=8),
        "Gradient": gradient_attributions,
        "Edges": image_edges,
        "Input": the_input_itself,
    }
    check = model_randomization_check(model, grey_image(), 0, methods, seed=0)
    assert check.steps == ("original", "dense", "conv")
    assert check.randomized == ((), ("dense",), ("dense", "conv"))
    for name in methods:
        assert check.rank_correlations[name][0] == pytest.approx(1.0)
        assert len(check.attributions[name]) == 3
    np.testing.assert_allclose(check.rank_correlations["Edges"], 1.0)
    np.testing.assert_allclose(check.rank_correlations["Input"], 1.0)
    assert check.failing_methods() == ["Edges", "Input"]
    assert check.failing_methods(absolute=False) == ["Edges", "Input"]
    for name in ("IG", "Gradient"):
        assert check.rank_correlations[name][-1] < 0.5, check.report()
    report = check.report()
    assert (
        "Fail on absolute maps (rank correlation >= 0.50 with every layer random): Edges, Input"
        in report
    )
    assert report.splitlines()[2].startswith("original")


def test_the_check_is_reproducible_and_leaves_the_model_untouched():
    model = small_keras_classifier()
    original = weights_of(model)
    methods = {"Gradient": gradient_attributions}
    first = model_randomization_check(model, grey_image(), 1, methods, seed=3)
    second = model_randomization_check(model, grey_image(), 1, methods, seed=3)
    assert first.report() == second.report()
    for a, b in zip(first.attributions["Gradient"], second.attributions["Gradient"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert same_weights(weights_of(model), original)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"methods": {}}, "methods is empty"),
        ({"threshold": 1.5}, r"threshold must be in \(0, 1\]"),
        ({"output": "softmax"}, "output must be one of"),
        ({"target": 9}, "target 9 is out of range for a model with 4 classes"),
    ],
)
def test_the_check_names_bad_arguments(arguments, message):
    arguments = {"target": 0} | arguments
    with pytest.raises(ValueError, match=message):
        model_randomization_check(small_keras_classifier(), grey_image(), **arguments)


# --- The bundled model -------------------------------------------------------------------------


@pytest.mark.slow
def test_the_bundled_model_is_copied_and_randomised_from_the_logits(bundled_model):
    coffee = read_image("coffee", size=bundled_model.input_size)
    cascade = cascading_randomization(bundled_model, seed=0)
    original = next(cascade)
    assert original.model.predict_top_k(coffee, 1)[0][1] == "espresso"
    np.testing.assert_array_equal(
        original.model(coffee[None]).numpy(), bundled_model(coffee[None]).numpy()
    )
    logits = next(cascade)
    assert logits.randomized == ("logits",)
    assert logits.model.predict_top_k(coffee, 1)[0][1] != "espresso"
    assert bundled_model.predict_top_k(coffee, 1)[0][1] == "espresso"  # untouched


class CallerRecordingLayer(keras.layers.Layer):
    """Identity layer that records which ig_tutorial module ran the model (shared by clones)."""

    callers: set[str] = set()

    def call(self, inputs):
        if isinstance(inputs, keras.KerasTensor):
            return inputs  # building a functional model (load, clone), not running it on images
        frame = sys._getframe(1)
        # Skip Keras's, TensorFlow's and the Classifier's own frames: the nearest package frame
        # beyond them is the caller.
        while frame is not None and (
            not frame.f_globals.get("__name__", "").startswith("ig_tutorial")
            or frame.f_globals["__name__"] == "ig_tutorial.models.classifier"
        ):
            frame = frame.f_back
        CallerRecordingLayer.callers.add(frame.f_globals["__name__"] if frame else "<outside>")
        return inputs


def test_the_check_calls_the_models_only_through_the_seam():
    inputs = keras.Input((SIZE, SIZE, 3))
    recorded = CallerRecordingLayer(name="recorder")(inputs)
    flat = keras.layers.Flatten()(recorded)
    logits = keras.layers.Dense(
        3, kernel_initializer=keras.initializers.GlorotUniform(seed=0), name="dense"
    )(flat)
    keras_model = keras.Model(inputs, logits)
    model = load_model(keras_model, input_size=SIZE, labels=None)
    CallerRecordingLayer.callers = set()
    methods = {"IG": integrated_gradients_method(m_steps=4), "Gradient": gradient_attributions}
    model_randomization_check(model, grey_image(), "top-1", methods, seed=0)
    # The IG core runs the models only through the seam; keras.models.clone_model, called by
    # models/randomization.py to copy the model, traces the layers once to build the clone.
    core = {c for c in CallerRecordingLayer.callers if c.startswith("ig_tutorial.ig")}
    assert core == {"ig_tutorial.ig.gradients"}
    assert CallerRecordingLayer.callers <= core | {"ig_tutorial.models.randomization"}
