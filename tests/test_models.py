"""Model loading: SavedModel folders through the hub code path, and failing fast offline."""

import socket
import time

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import Classifier, integrated_gradients, load_model
from ig_tutorial.models import saved_models
from ig_tutorial.models.classifier import class_label


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
    assert class_label(model, 2) is None
    assert model.predict_top_k(tf.fill((8, 8, 3), 0.5), k=1)[0][1] in ("0", "1", "2")


def test_class_label_reads_the_models_labels(saved_model_dir):
    directory, _ = saved_model_dir
    model = load_model(directory)
    assert class_label(model, 5) == model.labels[5]
    assert class_label(lambda images: images, 5) is None  # a model without labels


def test_model_with_wrong_output_shape_is_rejected():
    with pytest.raises(ValueError, match=r"returned shape \(2, 224, 224, 3\) for a batch of two"):
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
    saved_models.require_network(handle)  # returns without touching the network


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


# --- A Keras model of your own (notebook 10): its input shape, and logits not probabilities ----


def _keras_classifier(input_shape, num_classes=4, activation=None, seed=0):
    """A small Keras model; Flatten makes it refuse any other input shape, as real ones do."""
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(num_classes, activation=activation),
        ],
        name="tiny_keras",
    )


@pytest.mark.parametrize(
    ("shape", "summary"),
    [
        ((160, 160, 3), "Input:   float32 (batch, 160, 160, 3), RGB values in [0, 1]"),
        ((8, 8, 1), "Input:   float32 (batch, 8, 8, 1), values in [0, 1]"),
        ((30,), "Input:   float32 (batch, 30), features"),
    ],
)
def test_a_keras_model_brings_its_own_input_shape(shape, summary):
    # The trap: load_model probed every model with 224 x 224 x 3 images.
    network = _keras_classifier(shape)
    model = load_model(network)
    assert model.input_shape == shape
    assert summary in model.summary()
    assert model.num_parameters == network.count_params()
    assert model(tf.zeros((2, *shape))).shape == (2, 4)


def test_input_size_is_for_image_models():
    image_model = load_model(_keras_classifier((160, 160, 3)))
    assert image_model.input_size == (160, 160)
    tabular = load_model(_keras_classifier((30,)))
    with pytest.raises(ValueError, match=r"takes inputs of shape \(30,\), not images"):
        _ = tabular.input_size
    with pytest.raises(ValueError, match=r"input_size=224 is for image models"):
        load_model(_keras_classifier((30,)), input_size=224)


def test_input_size_must_agree_with_the_keras_model():
    with pytest.raises(ValueError, match=r"input_size=\(224, 224\) disagrees with model"):
        load_model(_keras_classifier((160, 160, 3)), input_size=(224, 224))


@pytest.mark.parametrize("bad", [0, (8,), (8, 8, 3), (8.0, 8), True])
def test_input_size_must_be_a_size(bad):
    with pytest.raises(
        ValueError, match=r"input_size must be a positive int or a \(height, width\)"
    ):
        load_model(lambda images: tf.reduce_mean(images, axis=[1, 2]), input_size=bad)


def test_a_keras_model_of_open_size_needs_input_size():
    import keras

    network = keras.Sequential(
        [
            keras.Input(shape=(None, None, 3)),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(5),
        ]
    )
    with pytest.raises(ValueError, match=r"\(None, None, 3\).*pass input_size=\(height, width\)"):
        load_model(network)
    assert load_model(network, input_size=(32, 48)).input_shape == (32, 48, 3)


def test_plain_callables_keep_the_default_size():
    model = load_model(lambda images: tf.reduce_mean(images, axis=[1, 2]) * [1.0, -1.0, 2.0])
    assert model.input_shape == (224, 224, 3)


def test_a_model_that_outputs_probabilities_is_refused_with_the_fix():
    # The trap: a model that ends in a softmax, where the package's softmax would be a second
    # one. A Keras model says so itself (its last activation); any other model is probed.
    network = _keras_classifier((8, 8, 3), activation="softmax")
    with pytest.raises(ValueError, match="returns probabilities") as error:
        load_model(lambda images: network(images), input_size=8)
    assert "classifier_activation=None" in str(error.value)
    assert "model_outputs='probabilities'" in str(error.value)


@pytest.mark.parametrize("activation", ["softmax", "sigmoid"])
def test_a_keras_model_that_ends_in_its_softmax_or_sigmoid_gives_its_logits(activation):
    probabilities_model = _keras_classifier((8, 8, 3), activation=activation, seed=1)
    logits_model = _keras_classifier((8, 8, 3), activation=None, seed=1)  # the same weights
    model = load_model(probabilities_model)
    assert model.head.kind == activation
    images = tf.random.stateless_uniform((3, 8, 8, 3), seed=(2, 3))
    if activation == "sigmoid":  # log(p / (1 - p)) is the logit itself
        np.testing.assert_allclose(model(images), logits_model(images), rtol=1e-4, atol=1e-4)
    else:  # log p is the logit less a constant per row: the softmax is the same
        np.testing.assert_allclose(
            tf.nn.softmax(model(images)), tf.nn.softmax(logits_model(images)), atol=1e-6
        )


def test_declared_probabilities_become_logits_with_the_same_softmax():
    probabilities_model = _keras_classifier((8, 8, 3), activation="softmax", seed=1)
    logits_model = _keras_classifier((8, 8, 3), activation=None, seed=1)  # the same weights
    model = load_model(probabilities_model, model_outputs="probabilities")
    images = tf.random.stateless_uniform((3, 8, 8, 3), seed=(2, 3))
    np.testing.assert_allclose(
        tf.nn.softmax(model(images)), probabilities_model(images), rtol=1e-5, atol=1e-7
    )
    # Attributing the probability is then exactly attributing the original model.
    image = images[0]
    declared = integrated_gradients(model, image, 2, m_steps=16)
    reference = integrated_gradients(load_model(logits_model), image, 2, m_steps=16)
    np.testing.assert_allclose(declared.attributions, reference.attributions, atol=1e-6)


def test_declaring_probabilities_for_a_logits_model_is_refused():
    with pytest.raises(ValueError, match="model_outputs='probabilities', but model"):
        load_model(_keras_classifier((8, 8, 3)), model_outputs="probabilities")
    with pytest.raises(ValueError, match=r"model_outputs must be one of \('logits', "):
        load_model(_keras_classifier((8, 8, 3)), model_outputs="softmax")


def test_a_keras_application_at_160_pixels():
    """The two traps as a new user meets them: MobileNetV3Small at 160 x 160, softmax by default."""
    import keras

    with_softmax = keras.applications.MobileNetV3Small(weights=None, input_shape=(160, 160, 3))
    images = tf.random.stateless_uniform((2, 160, 160, 3), seed=(4, 5))
    np.testing.assert_allclose(  # its softmax is read from the model, not applied twice
        tf.nn.softmax(load_model(with_softmax)(images)), with_softmax(images), atol=1e-6
    )
    network = keras.applications.MobileNetV3Small(
        weights=None, input_shape=(160, 160, 3), classifier_activation=None
    )
    model = load_model(network)
    assert model.input_size == (160, 160) and model.num_classes == 1000
    assert model.labels is not None  # 1000 outputs: the ImageNet names are attached
