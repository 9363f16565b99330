"""TF-Hub handles and SavedModel folders: restoring one, and the hub cache around it.

Machinery behind :func:`ig_tutorial.models.loading.load_model`, not part of the lesson. A hub
handle is loaded with :func:`tensorflow_hub.load`, which keeps its own cache (one folder per
handle, named by the SHA-1 of the handle). Around that call this module

* fails within seconds, naming the offline choice, when a handle that is not cached cannot be
  reached (:func:`require_network`);
* turns a failed download (an HTTP error, a truncated or corrupt archive) into a clear error and
  removes what it left in the hub cache, so the next call downloads afresh
  (:func:`restore_saved_model`, :func:`drop_partial_download`);
* counts the weights of what it restored (:func:`count_parameters`), for the model's summary.

A local SavedModel folder (the bundled EfficientNet-Lite0's among them) is restored through the
same call, with ``tf.saved_model.load`` where ``tensorflow_hub`` is not installed.
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

_NETWORK_TIMEOUT_S = 5.0


def hub_cache_folder(handle: str) -> Path | None:
    """Where tensorflow_hub caches ``handle`` (its own key: the SHA-1 of the handle).

    Parameters
    ----------
    handle : str
        A TF-Hub handle.

    Returns
    -------
    pathlib.Path or None
        The folder, whether or not it exists; ``None`` without ``tensorflow_hub``.
    """
    try:
        from tensorflow_hub import resolver

        root = resolver.tfhub_cache_dir(use_temp=True)
    except (ImportError, AttributeError):
        return None
    return Path(root) / hashlib.sha1(handle.encode("utf8")).hexdigest()  # noqa: S324 - hub's key


def hub_cache_has(handle: str) -> bool:
    """Whether tensorflow_hub has already downloaded ``handle``, so no network is needed.

    True when the handle's :func:`hub_cache_folder` exists.
    """
    folder = hub_cache_folder(handle)
    return folder is not None and folder.is_dir()


def require_network(handle: str) -> None:
    """Fail within seconds, naming the offline choice, when a hub handle is unreachable.

    Asks the handle's own host and port, through the proxy the environment names, if any
    (:func:`ig_tutorial.cache.check_reachable`). A cached handle, or a ``gs://`` one, passes
    without a question.

    Parameters
    ----------
    handle : str
        A TF-Hub handle.

    Raises
    ------
    ConnectionError
        When the host cannot be reached; the message names the bundled model and the offline
        profile.
    """
    if hub_cache_has(handle) or urlparse(handle).scheme not in ("http", "https"):
        return  # cached, or a gs:// handle that tensorflow_hub reads through its own client
    try:
        check_reachable(handle, timeout=_NETWORK_TIMEOUT_S)
    except OSError as error:
        raise ConnectionError(
            f"Cannot load {handle!r}: {error}. To run offline, use the bundled "
            f"model: load_model({BUNDLED_MODEL!r}), or run the notebooks with "
            "`papermill -f notebooks/offline.yaml ...` / `ig-tutorial run --offline`."
        ) from error


def restore_saved_model(location: str) -> object:
    """Load a TF-Hub handle or SavedModel folder as a callable object.

    A download that fails (an HTTP error, a truncated or corrupt archive) raises a clear error
    and leaves no partial copy in tensorflow_hub's cache, so the next call downloads afresh.

    Parameters
    ----------
    location : str
        A TF-Hub handle (a URL) or a local SavedModel folder.

    Returns
    -------
    object
        The restored SavedModel: it maps a batch of inputs to outputs.

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
    """Remove what tensorflow_hub left in its cache for a failed download of ``handle``.

    A folder with a ``saved_model.pb`` is a complete download and stays; temporary folders
    (``<folder>*.tmp``) go.

    Parameters
    ----------
    handle : str
        A TF-Hub handle.
    """
    folder = hub_cache_folder(handle)
    if folder is None:
        return
    if folder.is_dir() and not (folder / "saved_model.pb").is_file():
        shutil.rmtree(folder, ignore_errors=True)
    for leftover in folder.parent.glob(f"{folder.name}*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)


def count_parameters(loaded: object) -> int | None:
    """Count the weights of a restored SavedModel (hub models list them; others are walked).

    Parameters
    ----------
    loaded : object
        What :func:`restore_saved_model` returned.

    Returns
    -------
    int or None
        The number of weights, ``None`` when it holds no variables.
    """
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
