"""Where ig-tutorial keeps the files it derives or downloads, and how it writes them safely.

Everything cached (the exported bundled SavedModel, downloaded images and label files) lives in
:func:`cache_dir`; set ``IG_TUTORIAL_CACHE`` to move it. :func:`atomic_directory` and
:func:`atomic_file` write under a temporary name and rename, so a killed process never leaves
half a folder or file; the temporary names say who wrote them, so :func:`remove_stale_partials`
can tell a killed writer's leftovers from a live writer's files.
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
    """The cache folder, created if needed.

    ``$IG_TUTORIAL_CACHE``, else ``$XDG_CACHE_HOME/ig-tutorial``, else ``~/.cache/ig-tutorial``.
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
    # "-" separates the parts of a temporary file's name, so the host's "-" becomes "_".
    return socket.gethostname().replace("-", "_")


def partial_file_writer(name: str) -> tuple[str, int] | None:
    """``(host, pid)`` that named a temporary file of :func:`atomic_file`, else ``None``.

    ``-`` in the host name is written ``_``.
    """
    match = _PARTIAL_FILE.match(name)
    return None if match is None else (match["host"], int(match["pid"]))


@contextlib.contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Build a folder under a temporary name and move it to ``final`` only on success.

    Yields an empty folder beside ``final`` (same file system, so the move is atomic). Readers
    see no folder or a complete one; if another process finished ``final`` first, its copy is
    kept.
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

    Yields a path beside ``final``, ``.<final name>.partial-<host>-<pid>-<random>``, that the
    caller creates (so it gets the usual permissions); an existing ``final`` is replaced. A
    reader sees no ``final`` or a complete one. This protects against a killed process, not a
    power cut: nothing is ``fsync``-ed.
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
    """Delete, and return, the temporary files that killed writers on this host left in ``folder``.

    A file whose writer still runs, or ran on another host (a shared disk), is kept.
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
    """Download ``url`` once into the cache folder (the tutorial's ``get_file``); the local copy.

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
    """Open and close a TCP connection to where a request for ``url`` would go.

    That is the URL's host and port or, when the environment sets a proxy for its scheme
    (``HTTPS_PROXY``, ``HTTP_PROXY``; ``NO_PROXY`` exempts hosts), the proxy: campus networks
    often reach the internet only through one.

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
