"""TF-Hub handles and SavedModel folders: restoring one, and the hub cache around it.

Machinery behind :func:`ig_tutorial.models.loading.load_model`: fail within seconds when a handle
cannot be reached, turn a failed download into a clear error and remove what it left in
tensorflow_hub's cache (one folder per handle, named by the SHA-1 of the handle), and count the
restored weights.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import urllib.error
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import tensorflow as tf

from ig_tutorial.cache import check_reachable, is_url
from ig_tutorial.sources import BUNDLED_MODEL


def hub_cache_folder(handle: str) -> Path | None:
    """Where tensorflow_hub caches ``handle``, existing or not; ``None`` without tensorflow_hub."""
    try:
        from tensorflow_hub import resolver

        root = resolver.tfhub_cache_dir(use_temp=True)
    except (ImportError, AttributeError):
        return None
    return Path(root) / hashlib.sha1(handle.encode("utf8")).hexdigest()  # noqa: S324 - hub's key


def hub_cache_has(handle: str) -> bool:
    """Whether tensorflow_hub has already downloaded ``handle``, so no network is needed."""
    folder = hub_cache_folder(handle)
    return folder is not None and folder.is_dir()


def require_network(handle: str) -> None:
    """Fail within seconds, naming the offline choice, when a hub handle is unreachable.

    Asks the handle's host, or the proxy the environment names
    (:func:`ig_tutorial.cache.check_reachable`). A cached or ``gs://`` handle passes unasked.

    Raises
    ------
    ConnectionError
        Naming the bundled model and the offline profile.
    """
    if hub_cache_has(handle) or urlparse(handle).scheme not in ("http", "https"):
        return  # gs:// handles are read by tensorflow_hub through its own client
    try:
        check_reachable(handle, timeout=5.0)
    except OSError as error:
        raise ConnectionError(
            f"Cannot load {handle!r}: {error}. To run offline, use the bundled "
            f"model: load_model({BUNDLED_MODEL!r}), or run the notebooks with "
            "`papermill -f notebooks/offline.yaml ...` / `ig-tutorial run --offline`."
        ) from error


def restore_saved_model(location: str) -> object:
    """Load a TF-Hub handle or SavedModel folder as a callable object.

    A failed download leaves no partial copy in tensorflow_hub's cache, so the next call
    downloads afresh. Without tensorflow_hub a folder is read with ``tf.saved_model.load``.

    Raises
    ------
    ImportError
        For a hub handle without ``tensorflow_hub`` installed.
    ConnectionError
        When the server answers a download with an HTTP error.
    ValueError
        When the download is not a loadable SavedModel (truncated, corrupt, or something else).
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
        drop_partial_download(location)
        raise ConnectionError(
            f"Could not download the model {location!r}: the server answered HTTP {error.code} "
            f"({error.reason}). Check the handle, or use load_model({BUNDLED_MODEL!r}) offline."
        ) from error
    except (OSError, ValueError, tarfile.TarError) as error:
        drop_partial_download(location)
        raise ValueError(
            f"Downloaded {location!r}, but it is not a loadable SavedModel ({error}): the archive "
            "is truncated or corrupt, or the handle names something else. Nothing was cached; "
            "try again, or use the bundled model offline."
        ) from error


def drop_partial_download(handle: str) -> None:
    """Remove what a failed download of ``handle`` left in tensorflow_hub's cache.

    A folder with a ``saved_model.pb`` is complete and stays; temporary ``*.tmp`` folders go.
    """
    folder = hub_cache_folder(handle)
    if folder is None:
        return
    if folder.is_dir() and not (folder / "saved_model.pb").is_file():
        shutil.rmtree(folder, ignore_errors=True)
    for leftover in folder.parent.glob(f"{folder.name}*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)


def count_parameters(loaded: object) -> int | None:
    """The number of weights of a restored SavedModel; ``None`` when it holds no variables."""
    variables = getattr(loaded, "variables", None)  # hub models list them
    if variables is None:
        descendants = tf.train.TrackableView(loaded).descendants()
        variables = [item for item in descendants if isinstance(item, tf.Variable)]
    if not variables:
        return None
    return int(sum(np.prod(v.shape) for v in variables))
