"""Read legacy-format PyTorch checkpoints with the standard library and numpy only.

PyTorch releases before 1.6 wrote ``torch.save`` files in a *legacy* (non-zip) format. Such a
file is a run of consecutive pickles followed by raw tensor data:

1. the magic number ``0x1950a86a20f9469cfc6c``;
2. the format's protocol version (``1001``);
3. a dict of system information (``little_endian``, ``type_sizes``);
4. the saved object itself (typically an ``OrderedDict`` state dict), in which every tensor is
   pickled as a call to ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
   stride, ...)`` and every storage is a *persistent id*
   ``("storage", storage_type, key, location, numel, view_metadata)``;
5. the list of storage keys, in the order their data follows;

and then, for each key, the storage's element count as a little-endian ``int64`` followed by
its elements as raw little-endian bytes.

:func:`load_legacy_state_dict` reads such a file without importing ``torch``: it unpickles the
object with a restricted :class:`pickle.Unpickler` that resolves only ``OrderedDict``, the tensor
rebuild functions and the storage types (any other global raises
:class:`pickle.UnpicklingError`), so loading a checkpoint cannot run arbitrary code. Tensors are
rebuilt as numpy arrays honouring their storage offset, size and stride.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LEGACY_MAGIC_NUMBER", "LEGACY_PROTOCOL_VERSION", "load_legacy_state_dict"]

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

# Storage class name -> little-endian numpy dtype of its elements. BFloat16 has no numpy dtype;
# it is read as raw uint16 and widened to float32 (bfloat16 is the top half of a float32).
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


class _StorageType:
    """Stand-in for a ``torch.*Storage`` class: remembers its name and element dtype."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _StorageRef:
    """A storage named by a persistent id; its data is read after the pickle."""

    def __init__(
        self, storage_type: _StorageType, key: str, numel: int, view: tuple[str, int, int] | None
    ) -> None:
        self.storage_type = storage_type
        self.key = key
        self.numel = numel
        self.view = view  # (root_key, element offset into root, view size) for legacy views


class _PendingTensor:
    """A tensor whose storage bytes have not been read yet."""

    def __init__(
        self,
        storage: _StorageRef,
        storage_offset: int,
        size: tuple[int, ...],
        stride: tuple[int, ...],
    ) -> None:
        self.storage = storage
        self.storage_offset = int(storage_offset)
        self.size = tuple(int(s) for s in size)
        self.stride = tuple(int(s) for s in stride)


def _rebuild_tensor_v2(
    storage: _StorageRef,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    requires_grad: bool = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> _PendingTensor:
    """Stand in for ``torch._utils._rebuild_tensor_v2``: record where the tensor lives."""
    del requires_grad, backward_hooks, metadata
    return _PendingTensor(storage, storage_offset, size, stride)


def _rebuild_tensor(
    storage: _StorageRef, storage_offset: int, size: tuple[int, ...], stride: tuple[int, ...]
) -> _PendingTensor:
    """Stand in for the older ``torch._utils._rebuild_tensor``."""
    return _PendingTensor(storage, storage_offset, size, stride)


class _ForbiddenGlobalError(pickle.UnpicklingError):
    """A pickle asked for a global outside the allow-list."""


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals a legacy state dict needs."""

    _ALLOWED: dict[tuple[str, str], Any] = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    }

    def __init__(self, file: io.BufferedIOBase) -> None:
        super().__init__(file)
        self.storages: dict[str, _StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        """Resolve ``module.name`` if allowed, else raise :class:`pickle.UnpicklingError`."""
        if (module, name) in self._ALLOWED:
            return self._ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise _ForbiddenGlobalError(
            f"refusing to load global {module}.{name}: only OrderedDict, "
            "torch._utils._rebuild_tensor(_v2) and torch storage types are allowed"
        )

    def persistent_load(self, pid: Any) -> _StorageRef:
        """Turn a ``("storage", type, key, location, numel, view)`` id into a storage ref."""
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel, view = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"persistent id {pid!r} does not name a storage type")
        key = str(key)
        ref = self.storages.get(key)
        if ref is None:
            ref = _StorageRef(storage_type, key, int(numel), None)
            self.storages[key] = ref
        if view is not None:
            view_key, offset, view_size = view
            return _StorageRef(storage_type, str(view_key), int(view_size), (key, int(offset), 0))
        return ref


def _materialise(pending: _PendingTensor, data: dict[str, np.ndarray]) -> np.ndarray:
    """Build the numpy array a pending tensor describes from the storages' data."""
    storage = pending.storage
    if storage.view is not None:
        root_key, offset, _ = storage.view
        flat = data[root_key][offset : offset + storage.numel]
    else:
        flat = data[storage.key]
    n_elements = int(np.prod(pending.size, dtype=np.int64))
    if n_elements == 0:
        array = np.zeros(pending.size, dtype=flat.dtype)
    else:
        # Largest flat index touched; reject tensors that would read outside their storage.
        last = pending.storage_offset + sum(
            (s - 1) * st for s, st in zip(pending.size, pending.stride, strict=True)
        )
        if pending.storage_offset < 0 or last >= flat.size or min(pending.stride, default=0) < 0:
            raise ValueError(
                f"tensor of size {pending.size} stride {pending.stride} offset "
                f"{pending.storage_offset} does not fit its storage of {flat.size} elements"
            )
        itemsize = flat.dtype.itemsize
        array = np.lib.stride_tricks.as_strided(
            flat[pending.storage_offset :],
            shape=pending.size,
            strides=tuple(st * itemsize for st in pending.stride),
            writeable=False,
        ).copy()  # contiguous, owns its memory, independent of the storage buffer
    if storage.storage_type.name == "BFloat16Storage":
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array


def _replace_pending(obj: Any, data: dict[str, np.ndarray]) -> Any:
    """Recursively replace pending tensors in dicts, lists and tuples by numpy arrays."""
    if isinstance(obj, _PendingTensor):
        return _materialise(obj, data)
    if isinstance(obj, dict):
        return {key: _replace_pending(value, data) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_replace_pending(value, data) for value in obj)
    return obj


def load_legacy_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Load a state dict saved by ``torch.save`` in the legacy (pre-1.6, non-zip) format.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file.

    Returns
    -------
    dict of str to numpy.ndarray
        Parameter and buffer names mapped to C-contiguous arrays with the tensors' shapes and
        dtypes (e.g. ``float32`` weights, ``int64`` ``num_batches_tracked`` counters), in the
        order they were saved.

    Raises
    ------
    ValueError
        If the file is not a legacy torch checkpoint (for instance a zip-format checkpoint
        written by ``torch.save`` since PyTorch 1.6, or arbitrary bytes), is truncated, or does
        not hold a dict of tensors.
    pickle.UnpicklingError
        If the pickle refers to a global other than ``OrderedDict``, the tensor rebuild
        functions and the storage types; the message names the refused global.
    """
    path = Path(path)
    with open(path, "rb") as file:
        head = file.read(4)
        if head.startswith(b"PK\x03\x04"):
            raise ValueError(
                f"{path} is a zip-format torch checkpoint (torch.save since PyTorch 1.6), not the "
                "legacy format; re-save it with torch.save(..., "
                "_use_new_zipfile_serialization=False)"
            )
        file.seek(0)
        try:
            magic = _RestrictedUnpickler(file).load()
            if magic != LEGACY_MAGIC_NUMBER:
                raise ValueError("wrong magic number")
            protocol = _RestrictedUnpickler(file).load()
            if protocol != LEGACY_PROTOCOL_VERSION:
                raise ValueError(f"unsupported protocol version {protocol!r}")
            sys_info = _RestrictedUnpickler(file).load()
            if not isinstance(sys_info, dict):
                raise ValueError("missing system information record")
        except _ForbiddenGlobalError:
            raise
        except Exception as error:  # anything the header parse trips over means "not legacy"
            raise ValueError(f"{path} is not a legacy-format torch checkpoint ({error})") from error

        try:
            unpickler = _RestrictedUnpickler(file)
            obj = unpickler.load()
            keys = _RestrictedUnpickler(file).load()
            if not isinstance(keys, list):
                raise ValueError("storage key list missing")
            data: dict[str, np.ndarray] = {}
            for key in keys:
                key = str(key)
                ref = unpickler.storages.get(key)
                if ref is None:
                    raise ValueError(f"storage key {key!r} is not used by any tensor")
                count_bytes = file.read(8)
                if len(count_bytes) != 8:
                    raise ValueError(f"truncated before storage {key!r}")
                (count,) = struct.unpack("<q", count_bytes)
                dtype = ref.storage_type.dtype
                raw = file.read(count * dtype.itemsize)
                if len(raw) != count * dtype.itemsize:
                    raise ValueError(f"truncated inside storage {key!r}")
                data[key] = np.frombuffer(raw, dtype=dtype)
            missing = sorted(set(unpickler.storages) - set(data))
            if missing:
                raise ValueError(f"no data for storages {missing}")
            result = _replace_pending(obj, data)
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
