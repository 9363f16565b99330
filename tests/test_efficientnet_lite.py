"""Tests for the bundled EfficientNet-Lite0 (real weights, offline)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest
import skimage.data
import tensorflow as tf

from ig_tutorial.models.bundled import efficientnet_lite
from ig_tutorial.models.bundled.efficientnet_lite import (
    INPUT_SIZE,
    NUM_CLASSES,
    build_efficientnet_lite0,
    bundled_savedmodel_path,
    export_efficientnet_lite0,
)

SKIMAGE_DATA = Path(skimage.data.__file__).parent
CAT_CLASSES = {281, 282, 285}  # tabby, tiger cat, Egyptian cat
PHOTOS = {
    "coffee": (SKIMAGE_DATA / "coffee.png", {967}),  # espresso
    "grace_hopper": (
        Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)),
        {652},  # military uniform
    ),
    "chelsea": (SKIMAGE_DATA / "chelsea.png", CAT_CLASSES),
}

pytestmark = pytest.mark.slow


def _prepare(path: Path) -> tf.Tensor:
    image = tf.io.decode_image(tf.io.read_file(str(path)), channels=3, dtype=tf.float32)
    return tf.image.resize_with_pad(image, INPUT_SIZE, INPUT_SIZE)


@pytest.fixture(scope="module")
def state_dict():
    return efficientnet_lite.load_bundled_state_dict()


@pytest.fixture(scope="module")
def model(state_dict):
    return build_efficientnet_lite0(state_dict)


@pytest.fixture(scope="module")
def photos():
    return tf.stack([_prepare(path) for path, _ in PHOTOS.values()])


@pytest.fixture(scope="module")
def photo_logits(model, photos):
    return model(photos).numpy()


def _n_correct(logits: np.ndarray) -> int:
    top1 = logits.argmax(axis=1)
    return sum(int(t) in want for t, (_, want) in zip(top1, PHOTOS.values(), strict=True))


@pytest.mark.parametrize("index,name", list(enumerate(PHOTOS)))
def test_bundled_photo_top1(photo_logits, index, name):
    _, expected = PHOTOS[name]
    probabilities = tf.nn.softmax(photo_logits[index]).numpy()
    top1 = int(probabilities.argmax())
    assert top1 in expected, f"{name}: top-1 {top1} ({probabilities[top1]:.3f}), want {expected}"
    assert probabilities[top1] > 0.3


def test_output_signature_and_dtype(model):
    spec = model.__call__.input_signature[0]
    assert spec.shape.as_list() == [None, INPUT_SIZE, INPUT_SIZE, 3]
    assert spec.dtype == tf.float32
    logits = model(tf.random.uniform([2, INPUT_SIZE, INPUT_SIZE, 3], seed=0))
    assert logits.shape == (2, NUM_CLASSES)
    assert logits.dtype == tf.float32
    assert np.all(np.isfinite(logits.numpy()))


def test_batch_items_are_independent(model, photos, photo_logits):
    single = model(photos[1:2]).numpy()
    np.testing.assert_allclose(single[0], photo_logits[1], atol=1e-4)


def test_transposed_depthwise_kernels_break_predictions(state_dict, photos, photo_logits):
    """Swapping kh and kw of every depthwise kernel (a plausible layout bug) must be caught."""
    assert _n_correct(photo_logits) == len(PHOTOS)
    wrong = {
        key: (value.transpose(0, 1, 3, 2) if key.endswith("_depthwise_conv.weight") else value)
        for key, value in state_dict.items()
    }
    assert _n_correct(build_efficientnet_lite0(wrong)(photos).numpy()) == 0


def test_transposed_stem_kernel_changes_predictions(state_dict, photos):
    wrong = dict(state_dict)
    wrong["_conv_stem.weight"] = state_dict["_conv_stem.weight"].transpose(0, 1, 3, 2)
    assert _n_correct(build_efficientnet_lite0(wrong)(photos).numpy()) < len(PHOTOS)


def test_swapping_blocks_changes_logits(state_dict, photos, photo_logits):
    """Blocks 9 and 10 have identical shapes; swapping them must change the output.

    (Residual networks are robust to swapping adjacent blocks, so top-1 may survive; the logits
    must not.)
    """
    wrong = dict(state_dict)
    for key, value in state_dict.items():
        if key.startswith("_blocks.9."):
            other = key.replace("_blocks.9.", "_blocks.10.")
            wrong[key], wrong[other] = state_dict[other], value
    swapped = build_efficientnet_lite0(wrong)(photos).numpy()
    assert np.abs(swapped - photo_logits).max() > 0.5


def test_folded_depthwise_layout_matches_torch_semantics():
    """A torch-layout depthwise conv + BatchNorm equals the folded TF kernel and bias."""
    rng = np.random.default_rng(0)
    channels, size = 3, 6
    weight = rng.standard_normal((channels, 1, 3, 3))
    bn = {
        "b.weight": rng.uniform(0.5, 2, channels),
        "b.bias": rng.standard_normal(channels),
        "b.running_mean": rng.standard_normal(channels),
        "b.running_var": rng.uniform(0.5, 2, channels),
    }
    x = rng.standard_normal((1, size, size, channels))
    # torch semantics: cross-correlation, out[c, i, j] = sum_uv x[c, i+u, j+v] * w[c, 0, u, v]
    reference = np.zeros((size - 2, size - 2, channels))
    for c in range(channels):
        for i in range(size - 2):
            for j in range(size - 2):
                reference[i, j, c] = np.sum(x[0, i : i + 3, j : j + 3, c] * weight[c, 0])
    scale = bn["b.weight"] / np.sqrt(bn["b.running_var"] + efficientnet_lite.BN_EPSILON)
    reference = (reference - bn["b.running_mean"]) * scale + bn["b.bias"]

    kernel, bias = efficientnet_lite._folded_conv(
        {"c.weight": weight, **bn}, "c", "b", depthwise=True
    )
    out = tf.nn.depthwise_conv2d(x.astype(np.float32), kernel, [1, 1, 1, 1], "VALID") + bias
    np.testing.assert_allclose(out.numpy()[0], reference, atol=1e-4)


def test_state_dict_problems_are_listed(state_dict):
    broken = dict(state_dict)
    del broken["_blocks.3._depthwise_conv.weight"]
    broken["_blocks.99._bn0.weight"] = np.zeros(3, np.float32)
    broken["_fc.bias"] = np.zeros(999, np.float32)
    with pytest.raises(ValueError) as info:
        build_efficientnet_lite0(broken)
    message = str(info.value)
    assert "_blocks.3._depthwise_conv.weight" in message
    assert "_blocks.99._bn0.weight" in message
    assert "_fc.bias" in message and "999" in message


def test_savedmodel_round_trip(tmp_path, model, photos, photo_logits):
    directory = tmp_path / "saved"
    export_efficientnet_lite0(directory)
    loaded = tf.saved_model.load(str(directory))
    np.testing.assert_allclose(loaded(photos).numpy(), photo_logits, atol=1e-4)

    # Integrated Gradients needs gradients of the loaded model with respect to its input.
    x = tf.Variable(photos[:1])
    with tf.GradientTape() as tape:
        score = loaded(x)[0, 967]
    gradient = tape.gradient(score, x)
    assert gradient is not None and gradient.shape == (1, INPUT_SIZE, INPUT_SIZE, 3)
    assert float(tf.reduce_max(tf.abs(gradient))) > 0

    import tensorflow_hub as hub

    hub_model = hub.load(str(directory))
    np.testing.assert_allclose(hub_model(photos).numpy(), photo_logits, atol=1e-4)


def test_bundled_savedmodel_path_is_cached_atomically(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IG_TUTORIAL_CACHE", str(tmp_path))

    # A failing export leaves nothing behind.
    def broken_export(directory: Path) -> None:
        (Path(directory) / "half_written").write_text("x")
        raise RuntimeError("boom")

    real_export = efficientnet_lite.export_efficientnet_lite0
    monkeypatch.setattr(efficientnet_lite, "export_efficientnet_lite0", broken_export)
    with pytest.raises(RuntimeError, match="boom"):
        bundled_savedmodel_path()
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setattr(efficientnet_lite, "export_efficientnet_lite0", real_export)
    path = bundled_savedmodel_path()
    assert path.parent == tmp_path
    assert path.name.startswith("efficientnet-lite0-")
    assert (path / "saved_model.pb").is_file()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial folders left

    # A second call reuses the cache and does not export again.
    monkeypatch.setattr(efficientnet_lite, "export_efficientnet_lite0", broken_export)
    assert bundled_savedmodel_path() == path
    assert capsys.readouterr().out == ""

    logits = tf.saved_model.load(str(path))(tf.zeros([1, INPUT_SIZE, INPUT_SIZE, 3]))
    assert logits.shape == (1, NUM_CLASSES)


def test_preprocessing_matches_the_stem_batchnorm_statistics(state_dict, photos):
    """The chosen input scaling makes the stem conv's output variance match BN's running variance.

    Measured median ratios: 1.10 for (255 x - 127) / 128, 5.43 for ImageNet mean/std, 0.27 for
    plain [0, 1]; only the first lies in [0.5, 2].
    """
    shift, scale = efficientnet_lite.PREPROCESSING_CANDIDATES[efficientnet_lite.PREPROCESSING]
    x = (photos - tf.constant(shift)) / tf.constant(scale)
    kernel = state_dict["_conv_stem.weight"].transpose(2, 3, 1, 0)
    out = tf.nn.conv2d(x, kernel, 2, "SAME").numpy().reshape(-1, kernel.shape[-1])
    running_var = state_dict["_bn0.running_var"]
    live = running_var > 1e-3
    ratio = np.median(out.var(axis=0)[live] / running_var[live])
    assert 0.5 < ratio < 2.0
