"""Any differentiable model (issue 29): every output head, inputs of any shape, several inputs.

Each model here is linear in its inputs up to its head, so its IG of a logit (or a value) is
known exactly: ``(x - x') * w``. The probabilities are checked by completeness and by the
relations between classes.
"""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import integrated_gradients, integrated_gradients_many, load_model

RNG = np.random.default_rng(29)


def dense_model(input_shape, units, activation=None, seed=0):
    """``Flatten -> Dense(units, activation)``: its logits are ``flatten(x) @ W + b``."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(units, activation=activation),
        ]
    )


def weights_of(model):
    """``W`` of the model's last Dense layer, ``(features, units)``."""
    return model.layers[-1].kernel.numpy()


def exact_logit_ig(model, x, baseline, unit):
    """IG of logit ``unit`` of a :func:`dense_model`: ``(x - x') * W[:, unit]``, x's shape."""
    w = weights_of(model)[:, unit]
    return (np.asarray(x) - np.asarray(baseline)) * w.reshape(np.shape(x))


# --- output heads --------------------------------------------------------------------------


def test_a_binary_sigmoid_classifier_has_two_classes():
    model = dense_model((5,), 1, "sigmoid")
    x, zero = RNG.normal(size=5).astype("float32"), np.zeros(5, "float32")
    positive = integrated_gradients(model, x, 1, output="logit", m_steps=4)
    negative = integrated_gradients(model, x, 0, output="logit", m_steps=4)
    # The logit is recovered from the sigmoid's probability: class 1's is z, class 0's -z.
    np.testing.assert_allclose(positive.attributions, exact_logit_ig(model, x, zero, 0), atol=1e-4)
    np.testing.assert_allclose(negative.attributions, -positive.attributions, atol=1e-6)
    probability = integrated_gradients(model, x, 1, m_steps=64)
    p = float(model(x[None])[0, 0])
    assert probability.score_at_input == pytest.approx(p, rel=1e-5)
    assert probability.score_at_baseline == pytest.approx(0.5, rel=1e-5)  # sigmoid(b = 0)
    assert probability.relative_completeness_error < 1e-3
    assert np.abs(probability.attributions).sum() > 0
    other = integrated_gradients(model, x, 0, m_steps=64)
    np.testing.assert_allclose(other.attributions, -probability.attributions, atol=1e-6)
    assert integrated_gradients(model, x, "top-1", m_steps=4).target == int(p > 0.5)


def test_a_multi_label_head_attributes_each_label_by_its_own_sigmoid():
    model = dense_model((6,), 3, "sigmoid", seed=1)
    x, zero = RNG.normal(size=6).astype("float32"), np.zeros(6, "float32")
    for label in range(3):
        result = integrated_gradients(model, x, label, output="logit", m_steps=4)
        np.testing.assert_allclose(
            result.attributions, exact_logit_ig(model, x, zero, label), atol=1e-4
        )
        probability = integrated_gradients(model, x, label, m_steps=64)
        sigmoid = float(model(x[None])[0, label])
        assert probability.score_at_input == pytest.approx(sigmoid, rel=1e-5)
        assert probability.relative_completeness_error < 1e-3


def test_a_model_ending_in_its_softmax_is_attributed_as_its_logits_would_be():
    ends_in_softmax = dense_model((4, 4, 2), 3, "softmax", seed=2)
    logits = dense_model((4, 4, 2), 3, None, seed=2)  # the same weights
    image = RNG.uniform(size=(4, 4, 2)).astype("float32")
    one = integrated_gradients(ends_in_softmax, image, 2, m_steps=32)
    other = integrated_gradients(logits, image, 2, m_steps=32)
    np.testing.assert_allclose(one.attributions, other.attributions, atol=1e-6)
    assert one.score_at_input == pytest.approx(other.score_at_input, rel=1e-5)


def test_a_regression_attributes_its_value_and_refuses_a_probability():
    model = dense_model((5,), 1, seed=3)
    x, mean = RNG.normal(size=5).astype("float32"), RNG.normal(size=5).astype("float32")
    # Refused before any compiled code runs: the message is the package's, not a graph's trace.
    with pytest.raises(ValueError, match=r"^the model has a linear head .* Pass output='logit'"):
        integrated_gradients(model, x, 0, baseline=mean)
    result = integrated_gradients(model, x, 0, baseline=mean, output="logit", m_steps=2)
    np.testing.assert_allclose(result.attributions, exact_logit_ig(model, x, mean, 0), atol=1e-5)
    value = float(model(x[None])[0, 0]) - float(model(mean[None])[0, 0])
    assert result.score_difference == pytest.approx(value, rel=1e-4)
    # Several outputs: the target picks one.
    several = dense_model((5,), 3, seed=4)
    picked = integrated_gradients(several, x, 2, output="logit", m_steps=2)
    np.testing.assert_allclose(picked.attributions, exact_logit_ig(several, x, 0 * x, 2), atol=1e-5)


def test_any_callable_of_one_output_is_linear_until_declared_otherwise():
    weights = tf.constant(RNG.normal(size=(5, 1)), tf.float32)
    x = RNG.normal(size=5).astype("float32")
    with pytest.raises(ValueError, match="^the model has a linear head .* no probability"):
        integrated_gradients(lambda rows: rows @ weights, x, 0)
    # A binary classifier that returns its one logit, declared as such.
    logit = dense_model((5,), 1, seed=11)
    declared = load_model(logit, head="sigmoid")
    assert declared.num_classes == 2 and declared.head.kind == "sigmoid"
    probability = integrated_gradients(declared, x, 1, m_steps=64)
    z = float(logit(x[None])[0, 0])
    assert probability.score_at_input == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-5)


def test_one_network_under_two_heads_is_attributed_at_a_layer_by_each_head():
    # The model after the layer is cut once per Keras model and layer, and has the head of the
    # model it was cut for: a regression's value z, or a binary classifier's class 0, -z.
    from ig_tutorial.ig.layer_attribution import layer_integrated_gradients

    inputs = keras.Input((5,))
    keras.utils.set_random_seed(12)
    hidden = keras.layers.Dense(4, name="hidden")(inputs)
    network = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    x = RNG.normal(size=5).astype("float32")
    value = layer_integrated_gradients(
        load_model(network), x, 0, layer="hidden", output="logit", m_steps=2
    )
    binary = load_model(network, head="sigmoid")
    class_0 = layer_integrated_gradients(binary, x, 0, layer="hidden", output="logit", m_steps=2)
    np.testing.assert_allclose(class_0.attributions, -value.attributions, atol=1e-6)
    class_1 = layer_integrated_gradients(binary, x, 1, layer="hidden", m_steps=64)
    z = float(network(x[None])[0, 0])
    assert class_1.score_at_input == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-5)


def test_deletion_scores_a_binary_classifier_by_its_sigmoid():
    from ig_tutorial import deletion_and_insertion, random_map

    model = load_model(dense_model((4, 4, 3), 1, "sigmoid", seed=13))
    image = RNG.uniform(size=(4, 4, 3)).astype("float32")
    p = float(model.head.class_scores(model(image[None]), "probability")[0, 1])
    for target, start in ((1, p), (0, 1 - p)):
        deletion, _ = deletion_and_insertion(model, image, target, random_map(image), step=4)
        assert deletion.probabilities[0] == pytest.approx(start, rel=1e-5)


def test_a_model_of_several_outputs_is_attributed_through_the_one_chosen():
    inputs = keras.Input((4,))
    keras.utils.set_random_seed(5)
    first, second = keras.layers.Dense(2, name="first"), keras.layers.Dense(3, name="second")
    model = keras.Model(inputs, {"first": first(inputs), "second": second(inputs)})
    x = RNG.normal(size=4).astype("float32")
    with pytest.raises(ValueError, match=r"returns 2 outputs \(\['first', 'second'\]\)"):
        integrated_gradients(model, x, 0)
    chosen = load_model(model, model_output="second")
    assert chosen.num_classes == 3
    result = integrated_gradients(chosen, x, 1, output="logit", m_steps=2)
    np.testing.assert_allclose(result.attributions, x * second.kernel.numpy()[:, 1], atol=1e-5)


def test_a_saturated_probability_says_so_instead_of_a_clean_zero_map():
    # Class 0's logit is 60 + sum(x): its probability is 1 in float32 at both ends of the path.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.layers[-1].set_weights([np.array([[1, 0]] * 3, "float32"), np.array([60, 0], "float32")])
    x = np.ones(3, "float32")
    with pytest.warns(UserWarning, match=r"saturated, .* Attribute output='logit' instead"):
        result = integrated_gradients(model, x, 0, m_steps=4)
    assert result.score_at_input == result.score_at_baseline == 1.0
    assert "F(x) = F(x'): nothing to attribute" in result.completeness_report()
    assert "0.00%" not in result.completeness_report()
    logit = integrated_gradients(model, x, 0, output="logit", m_steps=4)
    np.testing.assert_allclose(logit.attributions, x, atol=1e-5)  # what the logit shows


def test_a_probability_that_does_not_move_without_saturating_is_no_warning():
    # Both logits rise together: the softmax stays 0.5, and the logit moves for nothing.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="ones")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = integrated_gradients(model, np.ones(3, "float32"), 0, m_steps=4)
    assert "nothing to attribute" in result.completeness_report()


# --- inputs of any shape ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(12,), (10, 3), (4, 4, 4, 2), (8, 8, 5)])
def test_inputs_of_any_shape_are_exact(shape):
    model = dense_model(shape, 2, seed=7)
    x = RNG.normal(size=shape).astype("float32")
    result = integrated_gradients(model, x, 1, output="logit", m_steps=2)
    assert result.attributions.shape == shape
    np.testing.assert_allclose(result.attributions, exact_logit_ig(model, x, 0 * x, 1), atol=1e-4)
    batch = integrated_gradients_many(model, RNG.normal(size=(3, *shape)).astype("float32"), 1)
    assert batch.attributions.shape == (3, *shape)


def test_a_recurrent_model_of_a_sequence():
    keras.utils.set_random_seed(8)
    model = keras.Sequential([keras.Input((10, 3)), keras.layers.LSTM(4), keras.layers.Dense(2)])
    sequence = RNG.normal(size=(10, 3)).astype("float32")
    result = integrated_gradients(model, sequence, 1, m_steps="auto")
    assert result.attributions.shape == (10, 3)
    assert result.relative_completeness_error <= 0.01 and np.abs(result.attributions).sum() > 0


def test_bad_inputs_of_any_shape_say_what_was_expected():
    model = dense_model((10, 3), 2)
    with pytest.raises(ValueError, match=r"a batch of 4 inputs of the model's shape \(10, 3\)"):
        integrated_gradients(model, np.zeros((4, 10, 3), "float32"), 0)
    with pytest.raises(ValueError, match=r"shape \(3, 10\), but the model takes .* \(10, 3\)"):
        integrated_gradients(model, np.zeros((3, 10), "float32"), 0)
    with pytest.raises(ValueError, match="at least one axis, got a scalar"):
        integrated_gradients(lambda x: tf.stack([x, -x], 1), 1.0, 0)


# --- several inputs --------------------------------------------------------------------------


def two_input_model(seed=9):
    """An image ``(4, 4, 1)`` and a table row ``(3,)``, concatenated, then one Dense layer."""
    keras.utils.set_random_seed(seed)
    image, table = keras.Input((4, 4, 1)), keras.Input((3,))
    joined = keras.layers.Concatenate()([keras.layers.Flatten()(image), table])
    dense = keras.layers.Dense(3)
    return keras.Model([image, table], dense(joined)), dense


def test_two_inputs_get_the_exact_attributions_of_a_linear_head():
    model, dense = two_input_model()
    image, table = (
        RNG.uniform(size=(4, 4, 1)).astype("float32"),
        RNG.normal(size=3).astype("float32"),
    )
    result = integrated_gradients(model, [image, table], 2, output="logit", m_steps=2)
    w = dense.kernel.numpy()[:, 2]
    assert isinstance(result.attributions, list)
    np.testing.assert_allclose(result.attributions[0], image * w[:16].reshape(4, 4, 1), atol=1e-5)
    np.testing.assert_allclose(result.attributions[1], table * w[16:], atol=1e-5)
    # Completeness holds over both together.
    assert result.relative_completeness_error < 1e-4
    # A baseline per input; None is zeros.
    grey = np.full((4, 4, 1), 0.5, "float32")
    from_grey = integrated_gradients(
        model, (image, table), 2, baseline=(grey, None), output="logit", m_steps=2
    )
    np.testing.assert_allclose(
        from_grey.attributions[0], (image - grey) * w[:16].reshape(4, 4, 1), atol=1e-5
    )
    np.testing.assert_allclose(from_grey.attributions[1], table * w[16:], atol=1e-5)


def test_many_rows_of_two_inputs_equal_one_at_a_time_with_auto():
    model, _ = two_input_model()
    images = RNG.uniform(size=(5, 4, 4, 1)).astype("float32")
    tables = RNG.normal(size=(5, 3)).astype("float32")
    results = integrated_gradients_many(model, (images, tables), "top-1", m_steps="auto")
    assert results.attributions[0].shape == (5, 4, 4, 1)
    assert results.attributions[1].shape == (5, 3)
    for row in (0, 4):
        alone = integrated_gradients(
            model, (images[row], tables[row]), results[row].target, m_steps="auto"
        )
        for mine, theirs in zip(results[row].attributions, alone.attributions, strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-7)
    assert np.all(results.relative_completeness_errors <= 0.01)


def test_named_inputs_and_an_integer_input_held_fixed():
    keras.utils.set_random_seed(10)
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    category = keras.Input((1,), name="category", dtype="int32")
    embedded = keras.layers.Flatten()(
        keras.layers.Embedding(5, 2, name="category_embedding")(category)
    )
    dense = keras.layers.Dense(2)
    model = keras.Model(
        {"a": a, "b": b, "category": category},
        dense(keras.layers.Concatenate()([a, b, embedded])),
    )
    x = {
        "a": RNG.normal(size=4).astype("float32"),
        "b": RNG.normal(size=2).astype("float32"),
        "category": np.array([3], "int32"),
    }
    result = integrated_gradients(model, x, 1, output="logit", m_steps=2)
    w = dense.kernel.numpy()[:, 1]
    assert set(result.attributions) == {"a", "b", "category"}
    np.testing.assert_allclose(result.attributions["a"], x["a"] * w[:4], atol=1e-5)
    np.testing.assert_allclose(result.attributions["b"], x["b"] * w[4:6], atol=1e-5)
    # The category is held at its value along the path: no attribution, and completeness holds.
    np.testing.assert_array_equal(result.attributions["category"], 0.0)
    assert result.relative_completeness_error < 1e-4


def test_bad_several_inputs_are_named():
    model, _ = two_input_model()
    image, table = np.zeros((4, 4, 1), "float32"), np.zeros(3, "float32")
    with pytest.raises(ValueError, match="baseline must have the inputs' structure"):
        integrated_gradients(model, (image, table), 0, baseline=(image,))
    with pytest.raises(ValueError, match="NaN or infinite"):
        integrated_gradients(model, (image, np.full(3, np.nan, "float32")), 0)


# --- the five models of the issue: none gives a clean all-zero map reported as exact ----------


def test_no_model_of_the_issue_reports_a_zero_map_as_exact():
    x = RNG.normal(size=5).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and none warns about saturation here
        binary = integrated_gradients(dense_model((5,), 1, "sigmoid"), x, 1, m_steps=16)
        value = integrated_gradients(dense_model((5,), 1), x, 0, output="logit", m_steps=16)
    for result in (binary, value):
        assert np.abs(result.attributions).sum() > 0
        assert result.score_difference != 0
