import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ig_tutorial import read_image
from ig_tutorial.cache import is_url
from ig_tutorial.sources import BUNDLED_IMAGES, TUTORIAL_IMAGES, bundled_image_path


@pytest.mark.parametrize("name", BUNDLED_IMAGES)
def test_bundled_photos_read_offline(name):
    image = read_image(name)
    assert image.shape == (224, 224, 3)
    assert image.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(image)) and float(tf.reduce_max(image)) <= 1.0
    assert float(tf.math.reduce_std(image)) > 0.05  # a photo, not a blank


def test_size_argument_and_letterbox():
    image = read_image("grace_hopper", size=(100, 60))
    assert image.shape == (100, 60, 3)
    # Grace Hopper's photo is portrait (600x512), so a square output gets black side bars.
    square = read_image("grace_hopper", size=224).numpy()
    assert square[:, 0].max() == 0.0 and square[:, -1].max() == 0.0
    assert square[112, 112].max() > 0.0


def test_unknown_bundled_name_lists_choices():
    with pytest.raises(ValueError, match="grace_hopper"):
        bundled_image_path("nope")


def test_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "missing.jpg"
    with pytest.raises(FileNotFoundError, match="missing.jpg"):
        read_image(missing)


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("hello, I am not a JPEG")
    with pytest.raises(ValueError, match=r"notes\.jpg.*Unknown image file format"):
        read_image(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.png.* is empty"):
        read_image(path)


def test_truncated_jpeg(tmp_path):
    data = bundled_image_path("grace_hopper").read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"truncated\.jpg.*truncated or corrupt"):
        read_image(path)


@pytest.mark.parametrize(
    ("mode", "array"),
    [
        ("L", np.full((30, 41), 200, np.uint8)),
        ("RGBA", np.dstack([np.full((30, 41, 3), 200, np.uint8), np.full((30, 41), 17, np.uint8)])),
        ("I;16", np.full((30, 41), 51400, np.uint16)),
    ],
)
def test_grayscale_rgba_and_16_bit_png_are_converted(tmp_path, mode, array):
    path = tmp_path / f"{mode.replace(';', '')}.png"
    Image.fromarray(array).save(path)  # Pillow picks L, RGBA or I;16 from the array
    with Image.open(path) as written:
        assert written.mode == mode
    image = read_image(path, size=(30, 41))
    assert image.shape == (30, 41, 3)
    # 200/255 and 51400/65535 are both about 0.784: the scale is right for 8 and 16 bits.
    np.testing.assert_allclose(image.numpy(), 200 / 255, atol=2e-3)


@pytest.mark.parametrize("shape", [(1, 1), (1, 999), (999, 3), (7, 5)])
def test_odd_sizes_are_letterboxed(tmp_path, shape):
    path = tmp_path / "odd.png"
    Image.fromarray(np.full((*shape, 3), 255, np.uint8)).save(path)
    image = read_image(path)
    assert image.shape == (224, 224, 3)
    assert float(tf.reduce_max(image)) == pytest.approx(1.0)


def test_bad_size(tmp_path):
    with pytest.raises(ValueError, match="size must be positive"):
        read_image("coffee", size=0)


def test_url_is_read_from_the_cache_without_network(tmp_path, monkeypatch):
    monkeypatch.setenv("IG_TUTORIAL_CACHE", str(tmp_path))

    def no_network(*args, **kwargs):
        raise AssertionError("must not download a cached file")

    monkeypatch.setattr(tf.keras.utils, "get_file", no_network)
    url = "https://example.org/photos/cat.png"
    import hashlib

    cached = tmp_path / "downloads" / f"{hashlib.sha256(url.encode()).hexdigest()[:10]}-cat.png"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(bundled_image_path("chelsea").read_bytes())
    np.testing.assert_array_equal(read_image(url).numpy(), read_image("chelsea").numpy())


def test_unreachable_url_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("IG_TUTORIAL_CACHE", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(tf.keras.utils, "get_file", offline)
    with pytest.raises(ConnectionError, match="use a bundled photo"):
        read_image("Fireboat")


def test_tutorial_images_are_the_two_tutorial_urls():
    assert set(TUTORIAL_IMAGES) == {"Fireboat", "Giant Panda"}
    assert all(url.startswith("http") for url in TUTORIAL_IMAGES.values())
    assert is_url(TUTORIAL_IMAGES["Fireboat"])


@pytest.mark.network
@pytest.mark.parametrize("name", sorted(TUTORIAL_IMAGES))
def test_tutorial_images_download(name):
    assert read_image(name).shape == (224, 224, 3)


@pytest.mark.parametrize("name", ["grace_hopper", "coffee", "chelsea"])
def test_read_image_matches_the_tutorial_resize_with_pad(name):
    from ig_tutorial.images import decode_image_file

    decoded = decode_image_file(bundled_image_path(name))
    expected = tf.image.resize_with_pad(decoded, 224, 224)
    np.testing.assert_allclose(read_image(name).numpy(), expected.numpy(), atol=1e-6)
