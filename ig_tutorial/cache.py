"""Where ig-tutorial keeps files it derives or downloads, and how it writes them safely.

Everything the package caches (the exported bundled SavedModel, downloaded images and label
files) lives under one folder, :func:`cache_dir`. Set the environment variable
``IG_TUTORIAL_CACHE`` to move it, e.g. to a scratch disk or a temporary folder in tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

CACHE_ENV_VAR = "IG_TUTORIAL_CACHE"


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
