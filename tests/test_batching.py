"""Choosing the batch size by measurement, tested on a model with a simulated clock."""

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import integrated_gradients
from ig_tutorial.ig.batching import (
    CANDIDATE_BATCH_SIZES,
    MAX_TIMED_CALLS,
    candidate_batch_sizes,
    choose_batch_size,
    measure_evaluations_per_second,
)


class ClockedModel(tf.Module):
    """Each call advances a simulated clock by ``0.1 + n * (0.01 if n <= 16 else 0.02)`` s.

    So the rate ``n / seconds`` is 44.4 at n=8, 61.5 at 16, 43.2 at 32, 46.4 at 64, 48.1 at 128
    and 49.0 at 256: it peaks at 16, like a CPU whose caches stop fitting the batch. The clock is
    a variable, so it advances inside the compiled path function on every call, not only when
    it is traced.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clock = tf.Variable(0.0, dtype=tf.float64, trainable=False)
        self.calls = tf.Variable(0, dtype=tf.int64, trainable=False)

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        n = tf.cast(tf.shape(images)[0], tf.float64)
        per_image = tf.where(n > 16.0, tf.constant(0.02, tf.float64), tf.constant(0.01, tf.float64))
        self.clock.assign_add(0.1 + n * per_image)
        self.calls.assign_add(1)
        return tf.reduce_mean(images, axis=[1, 2])  # three "classes"

    def time(self) -> float:
        return float(self.clock.numpy())


SHAPE = (4, 4, 3)


def test_rate_is_evaluations_over_elapsed_time():
    model = ClockedModel()
    rate = measure_evaluations_per_second(model, SHAPE, 8, calls=3, timer=model.time)
    assert rate == pytest.approx(8 / 0.18)
    assert int(model.calls.numpy()) == 4  # one warm-up call, untimed, then three timed


def test_chooses_the_peak_and_stops_after_it():
    model = ClockedModel()
    choice = choose_batch_size(model, SHAPE, timer=model.time)
    assert choice.batch_size == 16
    # 32 is more than 5% slower than 16, so 64 and above are never tried.
    assert list(choice.evaluations_per_second) == [8, 16, 32]
    assert choice.evaluations_per_second[16] == pytest.approx(16 / 0.26)


def test_small_inputs_are_timed_over_several_calls_and_photos_over_one():
    model = ClockedModel()
    choose_batch_size(model, SHAPE, candidates=(8, 16), timer=model.time)
    # 48 values an input: 8 and 16 points are far below TIMED_VALUES, so 8 timed calls each,
    # after one untimed call.
    assert int(model.calls.numpy()) == 2 * (1 + MAX_TIMED_CALLS)
    model = ClockedModel()
    choose_batch_size(model, (224, 224, 3), candidates=(8,), timer=model.time)
    assert int(model.calls.numpy()) == 1 + 1  # 8 photos already hold TIMED_VALUES values


def test_prefers_the_smallest_batch_within_tolerance():
    model = ClockedModel()
    choice = choose_batch_size(model, SHAPE, tolerance=0.5, timer=model.time)
    # Every rate is within 50% of the best, so all are tried and the smallest (least memory) wins.
    assert list(choice.evaluations_per_second) == list(candidate_batch_sizes(SHAPE))
    assert choice.batch_size == 8


def test_candidates_grow_as_inputs_shrink():
    # A photo keeps the measured range; small inputs try batches up to 16384 points a call.
    assert candidate_batch_sizes((224, 224, 3)) == CANDIDATE_BATCH_SIZES
    assert candidate_batch_sizes((30,)) == tuple(2**k for k in range(3, 15))
    assert candidate_batch_sizes((8, 8, 1))[-1] == 2**14
    # Never fewer than 8, even for an input too large for the budget.
    assert candidate_batch_sizes((4096, 4096, 3)) == (8,)


def test_measures_once_per_model_and_shape():
    model = ClockedModel()
    first = choose_batch_size(model, SHAPE, timer=model.time)
    calls = int(model.calls.numpy())
    assert choose_batch_size(model, SHAPE, timer=model.time) is first
    assert int(model.calls.numpy()) == calls
    choose_batch_size(model, SHAPE, refresh=True, timer=model.time)
    assert int(model.calls.numpy()) == 2 * calls
    choose_batch_size(model, (5, 5, 3), timer=model.time)
    assert int(model.calls.numpy()) == 3 * calls


def test_auto_batch_size_in_integrated_gradients(conv_net, small_image):
    result = integrated_gradients(conv_net, small_image, 1, m_steps=40, batch_size="auto")
    chosen = choose_batch_size(conv_net, small_image.shape)  # cached: the same choice
    assert result.batch_size == chosen.batch_size
    fixed = integrated_gradients(conv_net, small_image, 1, m_steps=40, batch_size=1000)
    np.testing.assert_allclose(result.attributions, fixed.attributions, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": ()}, r"input_shape must be the shape of one input"),
        ({"candidates": ()}, "candidates must be increasing positive integers"),
        ({"candidates": (16, 8)}, "candidates must be increasing positive integers"),
        ({"candidates": (0, 8)}, "candidates must be increasing positive integers"),
        ({"output": "loss"}, "output must be one of"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    arguments = {"input_shape": SHAPE} | kwargs
    with pytest.raises(ValueError, match=message):
        choose_batch_size(ClockedModel(), **arguments)


def test_integrated_gradients_rejects_other_strings(conv_net, small_image):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        integrated_gradients(conv_net, small_image, 0, batch_size="fast")
