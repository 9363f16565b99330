"""Where ig-tutorial keeps the files it derives or downloads, and how it writes them safely.

Everything the package caches (the exported bundled SavedModel, downloaded images and label
files) lives under one folder, :func:`cache_dir`. Set the environment variable
``IG_TUTORIAL_CACHE`` to move it, e.g. to a scratch disk or a temporary folder in tests.
:func:`download` fetches a URL once into it; :func:`is_url` tells a URL from a file path for
every loader (images, labels, models).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

CACHE_ENV_VAR = "IG_TUTORIAL_CACHE"

#: URL schemes the loaders fetch instead of reading a local path (``gs`` is Google Cloud Storage).
URL_SCHEMES: tuple[str, ...] = ("http", "https", "gs")


def cache_dir() -> Path:
    """Return the cache folder, creating it if needed.

    The folder is ``$IG_TUTORIAL_CACHE`` when set, else ``$XDG_CACHE_HOME/ig-tutorial``, else
    ``~/.cache/ig-tutorial``.

    Returns
    -------
    pathlib.Path
        An existing, writable folder.
    """
    explicit = os.environ.get(CACHE_ENV_VAR)
    if explicit:
        root = Path(explicit).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "ig-tutorial"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Build a folder under a temporary name and move it to ``final`` only on success.

    An interrupted or failing build leaves no half-written ``final`` behind: readers either see
    no folder or a complete one. If another process finished ``final`` first, its copy is kept.

    Parameters
    ----------
    final : pathlib.Path
        Where the finished folder must end up. Its parent is created if needed.

    Yields
    ------
    pathlib.Path
        An empty temporary folder beside ``final`` (same file system, so the move is atomic).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    try:
        yield staging
        try:
            os.rename(staging, final)
        except OSError:
            if not final.is_dir():
                raise
            # Another process won the race; its folder is complete, so ours is redundant.
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def is_url(source: str) -> bool:
    """Whether ``source`` is a URL (see :data:`URL_SCHEMES`) rather than a local path."""
    return urlparse(source).scheme in URL_SCHEMES


def download(url: str) -> Path:
    """Download ``url`` once into the cache folder and return the local copy.

    Uses :func:`tf.keras.utils.get_file`, the tutorial's own downloader, so a file that is
    already cached is never fetched again and works offline.

    Parameters
    ----------
    url : str
        An ``http(s)`` address.

    Returns
    -------
    pathlib.Path
        The cached file.

    Raises
    ------
    ConnectionError
        If the file is not cached and cannot be downloaded.
    """
    name = os.path.basename(urlparse(url).path) or "download"
    # Prefix a short hash so two URLs ending in the same file name never collide.
    key = hashlib.sha256(url.encode()).hexdigest()[:10]
    target = cache_dir() / "downloads"
    cached = target / f"{key}-{name}"
    if cached.is_file():
        return cached
    import tensorflow as tf

    try:
        path = tf.keras.utils.get_file(
            fname=f"{key}-{name}", origin=url, cache_dir=str(cache_dir()), cache_subdir="downloads"
        )
    except Exception as error:  # get_file raises several types; all mean "not reachable".
        raise ConnectionError(
            f"Could not download {url} ({error}). Without a network, use a bundled photo "
            "such as 'coffee' (ig_tutorial.BUNDLED_IMAGES), the offline labels, or a local file."
        ) from error
    return Path(path)
