"""The ``.npz`` file of each attributed image: written atomically and reproducibly, read checked.

Every ``.npz`` of a batch run is written here (:func:`write_npz`) and read here
(:func:`load_npz`, :func:`read_output_key`). It is written under a temporary name and renamed
when complete (:func:`ig_tutorial.cache.atomic_file`), and written last of an image's files: it
is the commit mark of an image, and a rerun skips an image whose ``.npz`` exists and carries the
expected key.

The files are byte-for-byte reproducible (fixed member order and time stamps), so a resumed run
can be compared with an uninterrupted one file by file.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ig_tutorial.cache import atomic_file

# A fixed time stamp (zip's earliest) makes the .npz bytes depend on the arrays only.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_npz(path: str | os.PathLike[str], arrays: Mapping[str, Any]) -> None:
    """Write arrays to a compressed ``.npz``, atomically and byte-for-byte reproducibly.

    The file is what :func:`numpy.savez_compressed` writes (``numpy.load`` reads it), except
    that members are sorted by name and carry a fixed time stamp, so equal arrays give equal
    files.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file; replaced if it exists.
    arrays : mapping of str to array-like
        Member name -> array. Strings become 0-d unicode arrays; nothing needs pickle.
    """
    with atomic_file(Path(path)) as staging:
        with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(arrays):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asarray(arrays[name]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, buffer.getvalue())


def load_npz(
    path: str | os.PathLike[str], names: Iterable[str] | None = None
) -> dict[str, np.ndarray]:
    """Read the arrays of an output ``.npz`` (checking each member's CRC).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file.
    names : iterable of str, optional
        The members to read; default all. Only these are decompressed, so reading the small
        ones (``key``, ``target``) of a large file is cheap.

    Returns
    -------
    dict of str to numpy.ndarray
        E.g. ``attributions``, ``target``, ``label``, ``score_at_input``, ``settings`` (JSON
        text); see ``docs/batch.md`` for the full list.

    Raises
    ------
    ValueError
        If the file is not a complete ``.npz`` (missing, truncated, corrupt, or without one of
        ``names``), naming the file.
    """
    try:
        # Open the file here: numpy leaves it open when the archive is unreadable.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            return {name: data[name] for name in (data.files if names is None else names)}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise ValueError(f"{os.fspath(path)!r} is not a complete .npz file: {error}") from None


def read_output_key(path: str | os.PathLike[str]) -> str | None:
    """The key stored in an output ``.npz``, or ``None`` if the file is missing or unreadable."""
    try:
        return str(load_npz(path, ["key"])["key"])
    except ValueError:
        return None
