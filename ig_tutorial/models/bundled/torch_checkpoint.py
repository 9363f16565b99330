"""Read legacy-format PyTorch checkpoints with the standard library and numpy only.

``torch.save`` before PyTorch 1.6 wrote a run of pickles followed by raw tensor data: the magic
number, the protocol version (1001), a dict of system information, the saved object (a state
dict whose tensors are pickled as ``torch._utils._rebuild_tensor_v2(storage, offset, size,
stride, ...)`` calls, each storage a persistent id ``("storage", type, key, location, numel,
view)``), the list of storage keys; then, per key, the element count (little-endian ``int64``)
and the elements' raw little-endian bytes.

The restricted unpickler resolves only ``OrderedDict``, the tensor rebuild functions and the
storage types (any other global raises :class:`pickle.UnpicklingError`), so loading a
checkpoint cannot run arbitrary code.
"""

from __future__ import annotations

import collections
import os
import pickle
import struct
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

# Storage class -> little-endian dtype. BFloat16 is read as uint16 and widened to float32 (it is
# the top half of a float32).
_STORAGE_DTYPES: dict[str, np.dtype] = {
    "DoubleStorage": np.dtype("<f8"),
    "FloatStorage": np.dtype("<f4"),
    "HalfStorage": np.dtype("<f2"),
    "BFloat16Storage": np.dtype("<u2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class _StorageRef(NamedTuple):
    """A storage named by a persistent id; its data follows the pickle."""

    storage_type: str  # a key of _STORAGE_DTYPES
    key: str
    numel: int
    view: tuple[str, int] | None  # a legacy view: (root key, element offset into the root)


class _PendingTensor(NamedTuple):
    """A tensor whose storage has not been read yet."""

    storage: _StorageRef
    storage_offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: _StorageRef, offset: int, size: Any, stride: Any, *_: Any) -> Any:
    """Stand in for ``torch._utils._rebuild_tensor(_v2)``: record where the tensor lives."""
    return _PendingTensor(storage, int(offset), tuple(map(int, size)), tuple(map(int, stride)))


class _ForbiddenGlobalError(pickle.UnpicklingError):
    """A pickle asked for a global outside the allow-list."""


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals a legacy state dict needs."""

    _ALLOWED: dict[tuple[str, str], Any] = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    }

    def __init__(self, file: BinaryIO) -> None:
        super().__init__(file)
        self.storages: dict[str, _StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        """Resolve ``module.name`` if allowed, else raise :class:`pickle.UnpicklingError`."""
        if (module, name) in self._ALLOWED:
            return self._ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return name  # stands in for the storage class
        raise _ForbiddenGlobalError(
            f"refusing to load global {module}.{name}: only OrderedDict, "
            "torch._utils._rebuild_tensor(_v2) and torch storage types are allowed"
        )

    def persistent_load(self, pid: Any) -> _StorageRef:
        """Turn a ``("storage", type, key, location, numel, view)`` id into a storage ref."""
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel, view = pid
        if storage_type not in _STORAGE_DTYPES:
            raise pickle.UnpicklingError(f"persistent id {pid!r} does not name a storage type")
        key = str(key)
        ref = self.storages.setdefault(key, _StorageRef(storage_type, key, int(numel), None))
        if view is not None:
            view_key, offset, view_size = view
            return _StorageRef(storage_type, str(view_key), int(view_size), (key, int(offset)))
        return ref


def _materialise(pending: _PendingTensor, data: dict[str, np.ndarray]) -> np.ndarray:
    """The C-contiguous array a pending tensor describes, honouring offset, size and stride."""
    storage, offset, size, stride = pending
    if storage.view is not None:
        root_key, view_offset = storage.view
        flat = data[root_key][view_offset : view_offset + storage.numel]
    else:
        flat = data[storage.key]
    if int(np.prod(size, dtype=np.int64)) == 0:
        array = np.zeros(size, dtype=flat.dtype)
    else:
        last = offset + sum((s - 1) * st for s, st in zip(size, stride, strict=True))
        if offset < 0 or last >= flat.size or min(stride, default=0) < 0:
            raise ValueError(
                f"tensor of size {size} stride {stride} offset {offset} does not fit its "
                f"storage of {flat.size} elements"
            )
        array = np.lib.stride_tricks.as_strided(
            flat[offset:],
            shape=size,
            strides=tuple(st * flat.dtype.itemsize for st in stride),
            writeable=False,
        ).copy()
    if storage.storage_type == "BFloat16Storage":
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array


def _replace_pending(obj: Any, data: dict[str, np.ndarray]) -> Any:
    """Replace the pending tensors in nested dicts, lists and tuples by numpy arrays."""
    if isinstance(obj, _PendingTensor):
        return _materialise(obj, data)
    if isinstance(obj, dict):
        return {key: _replace_pending(value, data) for key, value in obj.items()}
    if type(obj) in (list, tuple):  # not the NamedTuples above
        return type(obj)(_replace_pending(value, data) for value in obj)
    return obj


def _read_storages(file: BinaryIO, unpickler: _RestrictedUnpickler) -> dict[str, np.ndarray]:
    """The storages' data, which follows the list of their keys."""
    keys = _RestrictedUnpickler(file).load()
    if not isinstance(keys, list):
        raise ValueError("storage key list missing")
    data = {}
    for key in map(str, keys):
        ref = unpickler.storages.get(key)
        if ref is None:
            raise ValueError(f"storage key {key!r} is not used by any tensor")
        count_bytes = file.read(8)
        if len(count_bytes) != 8:
            raise ValueError(f"truncated before storage {key!r}")
        dtype = _STORAGE_DTYPES[ref.storage_type]
        size = struct.unpack("<q", count_bytes)[0] * dtype.itemsize
        raw = file.read(size)
        if len(raw) != size:
            raise ValueError(f"truncated inside storage {key!r}")
        data[key] = np.frombuffer(raw, dtype=dtype)
    missing = sorted(set(unpickler.storages) - set(data))
    if missing:
        raise ValueError(f"no data for storages {missing}")
    return data


def load_legacy_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Load a state dict saved by ``torch.save`` in the legacy (pre-1.6, non-zip) format.

    Returns
    -------
    dict of str to numpy.ndarray
        Names to C-contiguous arrays with the tensors' shapes and dtypes, in saved order.

    Raises
    ------
    ValueError
        If the file is not a legacy torch checkpoint (e.g. the zip format of PyTorch >= 1.6),
        is truncated, or does not hold a dict of tensors; the message names the file.
    pickle.UnpicklingError
        If the pickle refers to a global outside the allow-list; the message names it.
    """
    path = Path(path)
    with open(path, "rb") as file:
        if file.read(4).startswith(b"PK\x03\x04"):
            raise ValueError(
                f"{path} is a zip-format torch checkpoint (torch.save since PyTorch 1.6), not the "
                "legacy format; re-save it with torch.save(..., "
                "_use_new_zipfile_serialization=False)"
            )
        file.seek(0)
        try:
            if _RestrictedUnpickler(file).load() != LEGACY_MAGIC_NUMBER:
                raise ValueError("wrong magic number")
            protocol = _RestrictedUnpickler(file).load()
            if protocol != LEGACY_PROTOCOL_VERSION:
                raise ValueError(f"unsupported protocol version {protocol!r}")
            if not isinstance(_RestrictedUnpickler(file).load(), dict):
                raise ValueError("missing system information record")
        except _ForbiddenGlobalError:
            raise
        except Exception as error:  # anything the header parse trips over means "not legacy"
            raise ValueError(f"{path} is not a legacy-format torch checkpoint ({error})") from error
        try:
            unpickler = _RestrictedUnpickler(file)
            obj = unpickler.load()
            result = _replace_pending(obj, _read_storages(file, unpickler))
        except _ForbiddenGlobalError:
            raise
        except Exception as error:
            raise ValueError(
                f"{path} is not a readable legacy-format torch checkpoint ({error})"
            ) from error
    if not isinstance(result, dict) or not all(
        isinstance(value, np.ndarray) for value in result.values()
    ):
        raise ValueError(f"{path} does not hold a dict of tensors (a state dict)")
    return {str(key): value for key, value in result.items()}
