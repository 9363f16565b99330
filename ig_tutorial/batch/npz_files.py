"""The ``.npz`` file of each attributed image: written atomically and reproducibly, read checked.

An ``.npz`` is written under a temporary name and renamed when complete
(:func:`ig_tutorial.cache.atomic_file`), last of an image's files, so it marks the image
finished. Its bytes depend on its arrays only, so a resumed run can be compared with an
uninterrupted one file by file.
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


def write_npz(path: str | os.PathLike[str], arrays: Mapping[str, Any]) -> None:
    """Write arrays as :func:`numpy.savez_compressed` does, atomically and reproducibly.

    Members are sorted by name and carry a fixed time stamp, so equal arrays give equal files.
    Strings become 0-d unicode arrays: nothing needs pickle.
    """
    with atomic_file(Path(path)) as staging:
        with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(arrays):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asarray(arrays[name]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, buffer.getvalue())


def load_npz(
    path: str | os.PathLike[str], names: Iterable[str] | None = None
) -> dict[str, np.ndarray]:
    """Read the arrays of an output ``.npz`` (all, or only ``names``), checking their CRCs.

    The members are listed in ``docs/batch.md``. Raises ``ValueError`` naming the file if it is
    not a complete ``.npz`` (missing, truncated, corrupt, or without one of ``names``).
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
