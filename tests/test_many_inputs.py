"""IG over many inputs in one vectorised call: equal to one input at a time, with packed calls."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import integrated_gradients, integrated_gradients_many
from tests.toy_models import CallCounter


class RowModel(tf.Module):
    """A small nonlinear classifier of table rows: ``tanh(x W1) W2``, 6 features, 3 classes."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.hidden = tf.constant(rng.normal(size=(6, 16)), tf.float32)
        self.out = tf.constant(rng.normal(size=(16, 3)), tf.float32)

    def __call__(self, rows: tf.Tensor) -> tf.Tensor:
        return tf.tanh(rows @ self.hidden) @ self.out


@pytest.fixture
def rows(rng) -> np.ndarray:
    return rng.normal(size=(11, 6)).astype(np.float32)


def assert_equal_to_one_at_a_time(model, inputs, targets, results, **options):
    """Each result equals integrated_gradients on its input alone, to float rounding."""
    for row, (target, result) in enumerate(zip(targets, results, strict=True)):
        single = integrated_gradients(model, inputs[row], target, **options)
        assert result.target == single.target
        np.testing.assert_array_equal(result.alphas, single.alphas)
        np.testing.assert_allclose(result.attributions, single.attributions, rtol=2e-5, atol=1e-7)
        np.testing.assert_allclose(result.path_scores, single.path_scores, rtol=1e-5, atol=1e-7)
        assert result.score_at_input == pytest.approx(single.score_at_input, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("batch_size", [10, 40])  # nodes in order; whole inputs a call
@pytest.mark.parametrize("method", ["riemann_trapezoid", "riemann_left", "gausslegendre"])
def test_rows_equal_one_input_at_a_time(rows, method, batch_size):
    model = RowModel()
    targets = [0, "top-1", 2] * 3 + [1, "top-1"]
    results = integrated_gradients_many(
        model, rows, targets, m_steps=7, method=method, batch_size=batch_size
    )
    assert len(results) == len(rows)
    assert_equal_to_one_at_a_time(model, rows, targets, results, m_steps=7, method=method)


def test_top_1_is_resolved_per_input(rows):
    model = RowModel()
    results = integrated_gradients_many(model, rows, "top-1", m_steps=4, batch_size=16)
    expected = np.argmax(model(tf.constant(rows)).numpy(), axis=-1)
    assert [result.target for result in results] == expected.tolist()
    assert len(set(expected.tolist())) > 1  # the inputs really have different top classes


def test_one_baseline_per_input_or_one_for_all(rows, rng):
    model = RowModel()
    per_input = rng.normal(size=rows.shape).astype(np.float32)
    results = integrated_gradients_many(model, rows, 1, baseline=per_input, m_steps=6, batch_size=9)
    for row, result in enumerate(results):
        single = integrated_gradients(model, rows[row], 1, baseline=per_input[row], m_steps=6)
        np.testing.assert_allclose(result.attributions, single.attributions, rtol=2e-5, atol=1e-7)
        assert result.score_at_baseline == pytest.approx(single.score_at_baseline, rel=1e-5)
    shared = rows.mean(axis=0)
    results = integrated_gradients_many(model, rows, 1, baseline=shared, m_steps=6, batch_size=9)
    for row, result in enumerate(results):
        single = integrated_gradients(model, rows[row], 1, baseline=shared, m_steps=6)
        np.testing.assert_allclose(result.attributions, single.attributions, rtol=2e-5, atol=1e-7)


def test_images_equal_one_input_at_a_time(conv_net, rng):
    images = rng.uniform(size=(5, 8, 8, 3)).astype(np.float32)
    targets = [0, 1, 2, 3, "top-1"]
    results = integrated_gradients_many(conv_net, images, targets, m_steps=6, batch_size=4)
    assert_equal_to_one_at_a_time(conv_net, images, targets, results, m_steps=6)


def test_each_call_packs_batch_size_points_of_several_inputs(rows):
    model = CallCounter(RowModel())
    m_steps, batch_size = 7, 10
    integrated_gradients_many(model, rows, 0, m_steps=m_steps, batch_size=batch_size)
    points = len(rows) * (m_steps + 1)
    # Every call holds at most batch_size points (memory is bounded by it, not by n * m_steps),
    # and the points fill the calls: ceil(88 / 10) gradient calls, plus the ends' forward
    # passes (22 ends, batch_size a call).
    assert int(model.largest_call.numpy()) == batch_size
    assert int(model.calls.numpy()) == -(-points // batch_size) + -(-2 * len(rows) // batch_size)
    assert int(model.images_seen.numpy()) == points + 2 * len(rows)


def test_small_inputs_go_whole_into_calls_of_at_most_batch_size_points(rows):
    model = CallCounter(RowModel())
    m_steps, batch_size = 7, 40  # 8 nodes: 5 rows whole a call
    results = integrated_gradients_many(model, rows, 0, m_steps=m_steps, batch_size=batch_size)
    # 11 rows: calls of 5, 5 and 1 rows (40, 40 and 8 points), plus one forward pass of the
    # 22 ends; no call above batch_size points, so memory is bounded by it, not by n * m_steps.
    assert int(model.largest_call.numpy()) == batch_size
    assert int(model.calls.numpy()) == 3 + 1
    assert int(model.images_seen.numpy()) == len(rows) * (m_steps + 1) + 2 * len(rows)
    assert all(result.batch_size == batch_size for result in results)


def test_the_batch_result_holds_every_input_as_arrays(rows):
    import pickle

    model = RowModel()
    targets = [0, 1, 2] * 3 + [1, 0]
    results = integrated_gradients_many(model, rows, targets, m_steps=7, batch_size=40)
    assert results.attributions.shape == rows.shape
    for row, result in enumerate(results):
        np.testing.assert_array_equal(results.attributions[row], result.attributions)
    assert results.targets.tolist() == targets
    np.testing.assert_allclose(
        results.relative_completeness_errors,
        [result.relative_completeness_error for result in results],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        results.score_differences, [result.score_difference for result in results], rtol=1e-12
    )
    assert results.num_evaluations == 11 * 8
    # It indexes like a list: negative indices, slices (a list), the same result each time.
    assert results[-1] is results[10] and results[-1].target == 0
    assert [result.target for result in results[2:5]] == [2, 0, 1]
    with pytest.raises(IndexError, match="result 11 of 11"):
        results[11]
    assert "11 inputs" in repr(results)
    copied = pickle.loads(pickle.dumps(results))
    np.testing.assert_array_equal(copied.attributions, results.attributions)
    assert [result.target for result in copied] == targets


def test_the_batch_result_of_inputs_of_different_sizes_has_no_one_array(conv_net, rng):
    images = [rng.uniform(size=(8, 8, 3)), rng.uniform(size=(6, 7, 3))]
    results = integrated_gradients_many(conv_net, images, [0, 1], m_steps=4)
    with pytest.raises(
        ValueError, match=r"the inputs differ in shape \(\[\(6, 7, 3\), \(8, 8, 3\)"
    ):
        _ = results.attributions
    np.testing.assert_allclose(
        results.relative_completeness_errors,
        [result.relative_completeness_error for result in results],
    )


def test_auto_refines_each_input_to_its_own_tolerance(rows):
    model = RowModel()
    results = integrated_gradients_many(
        model, rows, "top-1", m_steps="auto", tolerance=0.002, batch_size=64
    )
    evaluations = [result.num_evaluations for result in results]
    assert len(set(evaluations)) > 1  # inputs stop at different rounds
    for row, result in enumerate(results):
        assert result.refinement.converged
        assert result.relative_completeness_error <= 0.002
        # Alone, with the per-input round of midpoints (8), the same grid and result.
        single = integrated_gradients(
            model, rows[row], "top-1", m_steps="auto", tolerance=0.002, batch_size=8
        )
        np.testing.assert_array_equal(result.alphas, single.alphas)
        np.testing.assert_allclose(result.attributions, single.attributions, rtol=2e-5, atol=1e-7)


def test_auto_drops_inputs_that_are_done_from_the_calls(rows):
    model = CallCounter(RowModel())
    results = integrated_gradients_many(
        model, rows, 0, m_steps="auto", tolerance=0.002, batch_size=64
    )
    evaluated = sum(result.num_evaluations for result in results)
    # Only what each input needed was evaluated (nothing for inputs already done), in calls of
    # at most batch_size points.
    assert int(model.images_seen.numpy()) == evaluated + 2 * len(rows)
    assert int(model.largest_call.numpy()) <= 64


def test_auto_warns_for_inputs_that_run_out_of_steps(rows):
    with pytest.warns(UserWarning, match=r"for 11 of 11 inputs \(indices \[0, 1, 2"):
        results = integrated_gradients_many(
            RowModel(), rows, 0, m_steps="auto", tolerance=1e-9, max_steps=40
        )
    assert all(not result.refinement.converged for result in results)


def test_inputs_of_different_sizes_go_one_at_a_time(conv_net, rng):
    images = [rng.uniform(size=(8, 8, 3)), rng.uniform(size=(6, 7, 3))]
    results = integrated_gradients_many(conv_net, images, [0, 1], m_steps=4)
    for image, target, result in zip(images, [0, 1], results, strict=True):
        single = integrated_gradients(conv_net, image, target, m_steps=4)
        np.testing.assert_array_equal(result.attributions, single.attributions)


class TestBadBatches:
    def test_targets_of_another_length(self, rows):
        with pytest.raises(ValueError, match="got 3 targets for 11 images; give one target"):
            integrated_gradients_many(RowModel(), rows, [0, 1, 2], m_steps=4)

    def test_baselines_of_another_length(self, rows):
        with pytest.raises(ValueError, match="got 2 baselines for 11 images; give one baseline"):
            integrated_gradients_many(RowModel(), rows, 0, baseline=[rows[0], rows[1]], m_steps=4)

    def test_a_baseline_of_another_shape(self, rows):
        with pytest.raises(ValueError, match=r"baseline shape \(5,\) does not match image shape"):
            integrated_gradients_many(RowModel(), rows, 0, baseline=np.zeros(5), m_steps=4)

    def test_baselines_of_mixed_shapes(self, rows):
        baselines = [np.zeros(6)] * 10 + [np.zeros(5)]
        with pytest.raises(ValueError, match=r"baselines\[10\] has shape \(5,\) but baselines"):
            integrated_gradients_many(RowModel(), rows, 0, baseline=baselines, m_steps=4)

    def test_a_non_finite_input(self, rows):
        rows = rows.copy()
        rows[4, 2] = np.nan
        with pytest.raises(ValueError, match="images contains NaN or infinite values"):
            integrated_gradients_many(RowModel(), rows, 0, m_steps=4)

    def test_a_target_out_of_range(self, rows):
        with pytest.raises(ValueError, match="target 7 is out of range for a model with 3"):
            integrated_gradients_many(RowModel(), rows, [0] * 10 + [7], m_steps=4)


# --- Many inputs at a layer: sentences ----------------------------------------------------------


def pooled_text_model(seed: int = 0):
    """Token ids (6) -> Embedding (10 x 4) -> mean -> ReLU layer -> 3 logits."""
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((6,), dtype="int32"),
            keras.layers.Embedding(10, 4, name="embedding"),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, name="logits"),
        ]
    )


@pytest.fixture
def sentences(rng) -> np.ndarray:
    ids = rng.integers(1, 10, size=(9, 6)).astype(np.int32)
    ids[:, 4:] = 0  # two padding positions at the end of every sentence
    ids[::3, 3] = 0
    return ids


@pytest.mark.parametrize("baseline", ["padding", "zero"])
def test_sentences_equal_one_at_a_time(sentences, baseline):
    from ig_tutorial.ig.token_attribution import token_attributions, token_attributions_many

    model = pooled_text_model()
    many = token_attributions_many(
        model, sentences, "top-1", baseline=baseline, m_steps=8, batch_size=20
    )
    assert len(many) == len(sentences)
    for ids, attributed in zip(sentences, many, strict=True):
        single = token_attributions(model, ids, "top-1", baseline=baseline, m_steps=8)
        assert attributed.result.target == single.result.target
        np.testing.assert_allclose(attributed.values, single.values, rtol=2e-5, atol=1e-7)
        assert np.all(attributed.values[ids == 0] == 0.0)
        np.testing.assert_array_equal(attributed.token_ids, ids)


def test_layer_attributions_of_many_equal_one_at_a_time_with_auto(sentences):
    from ig_tutorial.ig.layer_attribution import (
        layer_integrated_gradients,
        layer_integrated_gradients_many,
    )

    model = pooled_text_model()
    targets = [0, 1, 2] * 3
    options = dict(layer="embedding", m_steps="auto", tolerance=0.01, batch_size=12)
    results = layer_integrated_gradients_many(model, sentences, targets, **options)
    for ids, target, result in zip(sentences, targets, results, strict=True):
        single = layer_integrated_gradients(model, ids, target, **{**options, "batch_size": 8})
        assert result.target == target and result.attributions.shape == (6, 4)
        np.testing.assert_array_equal(result.alphas, single.alphas)
        np.testing.assert_allclose(result.attributions, single.attributions, rtol=2e-5, atol=1e-7)
        np.testing.assert_allclose(result.activations, single.activations, rtol=1e-6)


def test_many_sentences_refuse_a_single_one_and_targets_of_another_length(sentences):
    from ig_tutorial.ig.token_attribution import token_attributions_many

    with pytest.raises(ValueError, match=r"shape \(n, seq_len\); got dtype int32 and shape \(6,\)"):
        token_attributions_many(pooled_text_model(), sentences[0], 0, m_steps=2)
    with pytest.raises(ValueError, match="got 2 targets for 9 inputs"):
        token_attributions_many(pooled_text_model(), sentences, [0, 1], m_steps=2)
