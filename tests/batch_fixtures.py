"""Inputs and a small model for the batch tests: a folder of photos and bad files, a SavedModel."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import tensorflow as tf

from ig_tutorial.sources import bundled_image_path

#: The bundled photos copied into the test folder.
PHOTOS = ("coffee", "chelsea", "grace_hopper", "astronaut", "rocket", "motorcycle")


class _ToyNet(tf.Module):
    """A ReLU6 conv net with global pooling: any image size, five classes, no labels."""

    def __init__(self, seed: int = 3, num_classes: int = 5) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.kernel = tf.Variable(rng.normal(scale=0.8, size=(3, 3, 3, 4)), dtype=tf.float32)
        self.dense = tf.Variable(rng.normal(scale=1.5, size=(4, num_classes)), dtype=tf.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        hidden = tf.nn.relu6(4.0 * tf.nn.conv2d(images, self.kernel, strides=1, padding="SAME"))
        return tf.reduce_mean(hidden, axis=[1, 2]) @ self.dense


def export_toy_model(folder: Path, seed: int = 3) -> Path:
    """Save the toy net as a SavedModel folder that ``load_model`` (and the CLI) can load."""
    tf.saved_model.save(_ToyNet(seed), str(folder))
    return folder


def make_input_folder(folder: Path, photos: tuple[str, ...] = PHOTOS) -> dict[str, Path]:
    """Bundled photos, a truncated JPEG, a text file named .jpg, and a README that is no input."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in photos:
        source = bundled_image_path(name)
        files[name] = folder / f"{name}{source.suffix}"
        shutil.copyfile(source, files[name])
    rocket = bundled_image_path("rocket").read_bytes()
    files["truncated"] = folder / "sub" / "truncated.jpg"
    files["truncated"].parent.mkdir()
    files["truncated"].write_bytes(rocket[: len(rocket) // 3])
    files["not_an_image"] = folder / "not_an_image.jpg"
    files["not_an_image"].write_text("this is text, not a JPEG\n")
    (folder / "README.txt").write_text("not an input: no image suffix\n")
    return files


def output_files(folder: Path) -> dict[str, bytes]:
    """The outputs of a run by name (``.npz`` and ``.png``), without the manifest."""
    return {
        p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".npz", ".png")
    }


def comparable(records: dict[str, dict]) -> dict[str, tuple]:
    """What two runs of the same job must agree on, per input (not the seconds it took)."""
    return {
        name: (r["sha256"], r["status"] != "failed", tuple(r["outputs"]), r["target"], r["error"])
        for name, r in records.items()
    }
