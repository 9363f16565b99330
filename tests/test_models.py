"""Model loading: SavedModel folders through the hub code path, and failing fast offline."""

import socket
import time

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import Classifier, integrated_gradients, load_model
from ig_tutorial.models import loading as models_module


class _TinyImageNetModel(tf.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.dense = tf.Variable(tf.random.stateless_normal((3, num_classes), seed=(0, 1)))

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    def __call__(self, images):
        return tf.reduce_mean(images, axis=[1, 2]) @ self.dense


@pytest.fixture(scope="module", params=[1000, 1001])
def saved_model_dir(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"savedmodel{request.param}")
    tf.saved_model.save(_TinyImageNetModel(request.param), str(directory))
    return directory, request.param


def test_local_savedmodel_loads_through_the_hub_path(saved_model_dir, monkeypatch):
    directory, num_classes = saved_model_dir
    import tensorflow_hub as hub

    calls = []
    real_load = hub.load
    monkeypatch.setattr(hub, "load", lambda handle: calls.append(handle) or real_load(handle))
    model = load_model(directory)
    assert calls == [str(directory)]
    assert isinstance(model, Classifier)
    assert model.num_classes == num_classes
    assert model.labels.offset == (1 if num_classes == 1001 else 0)
    assert model.num_parameters == 3 * num_classes
    assert "Input:   float32 (batch, 224, 224, 3)" in model.summary()
    logits = model(tf.ones((2, 224, 224, 3)))
    assert logits.shape == (2, num_classes)
    result = integrated_gradients(model, tf.ones((224, 224, 3)) * 0.5, 3, m_steps=4, output="logit")
    assert result.relative_completeness_error < 1e-4  # the model is linear


def test_predict_top_k(saved_model_dir):
    directory, _ = saved_model_dir
    model = load_model(directory)
    top = model.predict_top_k(tf.fill((224, 224, 3), 0.3), k=3)
    assert len(top) == 3
    probabilities = [p for _, _, p in top]
    assert probabilities == sorted(probabilities, reverse=True)
    assert top[0][1] == model.labels[top[0][0]]


def test_plain_callable_is_accepted():
    model = load_model(
        lambda images: tf.reduce_mean(images, axis=[1, 2]), input_size=8, labels=None
    )
    assert model.num_classes == 3 and model.labels is None and model.input_size == (8, 8)


def test_model_with_wrong_output_shape_is_rejected():
    with pytest.raises(ValueError, match=r"returned shape \(1, 224, 224, 3\)"):
        load_model(lambda images: images)


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither a TF-Hub URL, a SavedModel folder"):
        load_model(tmp_path / "nothing-here")


def test_unreachable_hub_fails_fast_and_names_the_offline_model(monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))  # nothing cached

    def unreachable(address, timeout):
        raise OSError("Name or service not known")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="efficientnet-lite0"):
        load_model()
    assert time.perf_counter() - start < 5


def test_cached_hub_module_skips_the_network_check(monkeypatch, tmp_path):
    import hashlib

    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    handle = "https://tfhub.dev/some/model/1"
    (tmp_path / hashlib.sha1(handle.encode()).hexdigest()).mkdir()
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("network used"))
    models_module._require_network(handle)  # returns without touching the network


def test_bundled_model_is_a_real_imagenet_classifier(bundled_model):
    assert bundled_model.num_classes == 1000
    assert bundled_model.input_size == (224, 224)
    assert bundled_model.labels[967] == "espresso"
    assert bundled_model.num_parameters > 4_000_000


@pytest.mark.network
def test_tutorial_inception_v1_from_tf_hub():
    from ig_tutorial import read_image

    model = load_model()
    assert model.num_classes == 1001
    top = model.predict_top_k(read_image("Fireboat"), k=1)
    assert top[0][0] == 555  # fireboat, as in the tutorial


@pytest.mark.network
def test_tf_keras_layer_on_keras3():
    model = models_module.as_keras_layer()
    assert model(np.zeros((1, 224, 224, 3), np.float32)).shape == (1, 1001)
