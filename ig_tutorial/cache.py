"""Where ig-tutorial keeps the files it derives or downloads, and how it writes them safely.

Everything the package caches (the exported bundled SavedModel, downloaded images and label
files) lives under one folder, :func:`cache_dir`. Set the environment variable
``IG_TUTORIAL_CACHE`` to move it, e.g. to a scratch disk or a temporary folder in tests.
:func:`download` fetches a URL once into it; :func:`is_url` tells a URL from a file path for
every loader (images, labels, models). :func:`atomic_directory` and :func:`atomic_file` write
under a temporary name and rename, so a killed process never leaves half a folder or file; the
temporary names follow one rule (:data:`PARTIAL_MARK`, :func:`partial_file_writer`), by which
:func:`remove_stale_partials` tells a killed writer's leftovers from a live writer's files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import socket
import tempfile
import urllib.request
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


#: Marks a file :func:`atomic_file` is still writing: ``.<name>.partial-<host>-<pid>-<random>``
#: (and a folder :func:`atomic_directory` is building: ``.<name>.partial-<random>``).
PARTIAL_MARK = ".partial-"

# atomic_file's temporary names: hidden, the final name, the mark, host, pid, random hex digits.
_PARTIAL_FILE = re.compile(
    r"^\..+" + re.escape(PARTIAL_MARK) + r"(?P<host>[^-]+)-(?P<pid>\d+)-[0-9a-f]+$"
)


def _this_host() -> str:
    # This machine's name as temporary file names carry it: "-", their separator, becomes "_".
    return socket.gethostname().replace("-", "_")


def partial_file_writer(name: str) -> tuple[str, int] | None:
    """Who is writing a temporary file of :func:`atomic_file`, read from its name.

    Parameters
    ----------
    name : str
        A file name (without folder).

    Returns
    -------
    tuple of (str, int) or None
        The host (with ``-`` written ``_``) and the process id that named the file, or
        ``None`` if ``name`` is not such a temporary file.
    """
    match = _PARTIAL_FILE.match(name)
    return None if match is None else (match["host"], int(match["pid"]))


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
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}{PARTIAL_MARK}", dir=final.parent))
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


@contextlib.contextmanager
def atomic_file(final: Path) -> Iterator[Path]:
    """Write a file under a temporary name and rename it to ``final`` only on success.

    The rename is atomic on one file system, so a reader (or a rerun after the writer was
    killed) sees either no ``final`` or a complete one, never half a file. The temporary name,
    ``.<final name>.partial-<host>-<pid>-<random>`` beside ``final``, is hidden and says which
    process wrote it, so a later run can tell a killed writer's leftovers from a live one's
    (:func:`partial_file_writer`; :func:`remove_stale_partials` deletes them). The caller
    creates the file (so it gets the usual permissions, not a private temporary file's); an
    existing ``final`` is replaced.

    Parameters
    ----------
    final : pathlib.Path
        Where the finished file must end up. Its parent is created if needed.

    Yields
    ------
    pathlib.Path
        A path beside ``final`` that does not exist yet, for the caller to write.

    Notes
    -----
    This protects against a killed process, not against a power cut: the data is not
    ``fsync``-ed before the rename.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.with_name(
        f".{final.name}{PARTIAL_MARK}{_this_host()}-{os.getpid()}-{secrets.token_hex(4)}"
    )
    try:
        yield staging
        os.replace(staging, final)
    finally:
        staging.unlink(missing_ok=True)


def _process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_stale_partials(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files that killed writers on this host left in ``folder``.

    A temporary file's name says which host and process wrote it (:func:`atomic_file`,
    :func:`partial_file_writer`); it is deleted only if that process no longer runs on this
    host, so a concurrent run (another shard, another host on a shared disk) keeps its files.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder to clean; nothing happens if it does not exist.

    Returns
    -------
    list of pathlib.Path
        The deleted files.
    """
    folder = Path(folder)
    host = _this_host()
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        writer = partial_file_writer(path.name)
        if writer is not None and writer[0] == host and not _process_is_alive(writer[1]):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


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
            "such as 'coffee' (ig_tutorial.sources.BUNDLED_IMAGES), the offline labels, or a "
            "local file."
        ) from error
    return Path(path)


def check_reachable(url: str, timeout: float = 5.0) -> None:
    """Open (and close) a TCP connection to where a request for ``url`` would go.

    That is the URL's own host and port, or, when the environment sets a proxy for its scheme
    (``HTTPS_PROXY``, ``HTTP_PROXY``; ``NO_PROXY`` exempts hosts), the proxy: campus and corporate
    networks often reach the internet only through one.

    Parameters
    ----------
    url : str
        An ``http(s)`` URL.
    timeout : float, default 5.0
        Seconds to wait for the connection.

    Raises
    ------
    OSError
        If the connection fails; the message names the address tried (and the proxy, if any).
    """
    parsed = urlparse(url)
    host = parsed.hostname or ""
    address = (host, parsed.port or (443 if parsed.scheme == "https" else 80))
    via = ""
    proxy = urllib.request.getproxies().get(parsed.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        proxy_url = urlparse(proxy if "://" in proxy else f"http://{proxy}")
        address = (proxy_url.hostname or "", proxy_url.port or 80)
        via = f" through the proxy {proxy_url.hostname}:{address[1]}"
    try:
        socket.create_connection(address, timeout=timeout).close()
    except OSError as error:
        raise OSError(f"cannot reach {host}{via} ({error})") from error
