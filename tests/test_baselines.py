import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import BASELINES, make_baseline


@pytest.fixture
def photo(rng):
    return tf.constant(rng.uniform(size=(16, 12, 3)), tf.float32)


@pytest.mark.parametrize("name", BASELINES)
def test_every_baseline_has_the_image_shape_and_range(photo, name):
    baseline = make_baseline(name, photo)
    assert baseline.shape == photo.shape and baseline.dtype == tf.float32
    assert float(tf.reduce_min(baseline)) >= 0.0 and float(tf.reduce_max(baseline)) <= 1.0


def test_constant_baselines(photo):
    assert float(tf.reduce_max(make_baseline("black", photo))) == 0.0
    assert float(tf.reduce_min(make_baseline("white", photo))) == 1.0


@pytest.mark.parametrize("name", ["uniform", "gaussian"])
def test_random_baselines_are_seeded(photo, name):
    a, b = make_baseline(name, photo, seed=3), make_baseline(name, photo, seed=3)
    c = make_baseline(name, photo, seed=4)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())


def test_blur_keeps_the_mean_colour_and_removes_detail(rng):
    photo = rng.uniform(size=(96, 96, 3)).astype(np.float32) * np.array([1.0, 0.5, 0.2], np.float32)
    blurred = make_baseline("blur", photo).numpy()
    np.testing.assert_allclose(blurred.mean(axis=(0, 1)), photo.mean(axis=(0, 1)), atol=0.02)
    assert blurred.std(axis=(0, 1)).max() < photo.std(axis=(0, 1)).min() / 2


def test_maximum_distance_is_farthest(photo):
    baseline = make_baseline("maximum_distance", photo).numpy()
    distance = np.abs(baseline - photo.numpy())
    assert np.all(distance >= 0.5 - 1e-7)


def test_unknown_name():
    with pytest.raises(ValueError, match="choose one of black, white"):
        make_baseline("grey", tf.zeros((2, 2, 3)))
