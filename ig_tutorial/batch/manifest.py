"""The manifest of a batch run: one line per input, appended as it finishes, locked while written.

The manifest (``manifest.jsonl``, or ``manifest-K-of-N.jsonl`` for shard K of N, so that shards
never write the same file) has one JSON object per line and per input, with the fields of
:class:`ImageRecord`. During a run each record is appended as soon as its image is finished (a
journal that survives a kill, :class:`ManifestWriter`, which also holds a lock so that two runs
never write one manifest); when the run ends the file is rewritten, atomically
(:func:`ig_tutorial.cache.atomic_file`), with one line per input, the latest record winning.
:func:`read_manifest` reads and checks one manifest, :func:`read_output_folder` all of a folder.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ig_tutorial.cache import atomic_file

#: The manifest's file name for an unsharded run.
MANIFEST_NAME = "manifest.jsonl"

#: What a manifest record's ``status`` may be.
STATUSES: tuple[str, ...] = ("done", "skipped", "failed")

#: Fields every manifest line must have.
REQUIRED_FIELDS: tuple[str, ...] = ("input", "sha256", "status", "outputs", "error", "seconds")


@dataclass(frozen=True)
class ImageRecord:
    """The outcome of one input: a line of the manifest.

    Attributes
    ----------
    input : str
        The input as given (or as found in a folder).
    sha256 : str or None
        Content hash of the input file; ``None`` if it could not be read.
    status : {"done", "skipped", "failed"}
        Computed in this run; already computed (valid outputs found); or failed.
    outputs : list of str
        File names of the outputs, relative to the output folder (``.npz`` last).
    error : str or None
        Why it failed: the exception's type and message.
    seconds : float
        Wall time spent on this input (reading, attributing, writing; or checking, if skipped).
    target : int or None
        The attributed class.
    label : str or None
        Its name (``None`` for a model without labels).
    m_steps : int or None
        Sub-intervals of the rule used (with ``m_steps="auto"``, the converged count).
    num_evaluations : int or None
        Gradient evaluations spent.
    relative_completeness_error : float or None
        ``|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|`` (``None`` when not finite).
    warnings : list of str
        Warnings raised while attributing, e.g. ``m_steps="auto"`` reaching ``max_steps``.
    """

    input: str
    sha256: str | None
    status: str
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    target: int | None = None
    label: str | None = None
    m_steps: int | None = None
    num_evaluations: int | None = None
    relative_completeness_error: float | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """One manifest line (without the newline); strict JSON (no NaN or infinity)."""
        return json.dumps(asdict(self), sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImageRecord:
        """A record from a parsed manifest line (unknown fields are ignored)."""
        known = cls.__dataclass_fields__
        return cls(**{name: value for name, value in data.items() if name in known})


def finite_or_none(value: float) -> float | None:
    """``value`` as a ``float`` if it is finite, else ``None`` (JSON has no infinity)."""
    value = float(value)
    return value if math.isfinite(value) else None


def manifest_name(shard: tuple[int, int] | None = None) -> str:
    """``manifest.jsonl``, or ``manifest-K-of-N.jsonl`` for shard K of N."""
    return MANIFEST_NAME if shard is None else f"manifest-{shard[0]}-of-{shard[1]}.jsonl"


def _parse_manifest(path: Path, *, strict: bool) -> tuple[list[dict], int]:
    """The records of a manifest, and the byte length of its complete lines."""
    data = path.read_bytes()
    complete = data.rfind(b"\n") + 1
    if complete < len(data) and strict:
        raise ValueError(
            f"{path}: the last line has no newline: a write was cut off (the writer was killed)."
        )
    records = []
    for number, line in enumerate(data[:complete].decode("utf-8").splitlines(), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}, line {number}: not valid JSON ({error}).") from None
        problem = _record_problem(record)
        if problem:
            raise ValueError(f"{path}, line {number}: {problem}")
        records.append(record)
    return records, complete


def _record_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}."
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        return f"missing field(s) {', '.join(missing)}."
    if record["status"] not in STATUSES:
        return f"status must be one of {STATUSES}, got {record['status']!r}."
    if not isinstance(record["outputs"], list):
        return f"outputs must be a list, got {record['outputs']!r}."
    if record["status"] == "failed" and not record["error"]:
        return "a failed record must say why (error)."
    return None


def read_manifest(path: str | os.PathLike[str], *, strict: bool = True) -> list[dict]:
    """Read a manifest: one JSON object per line.

    Parameters
    ----------
    path : str or os.PathLike
        A ``manifest*.jsonl`` file.
    strict : bool, default True
        Refuse a last line without its newline (a write cut off by a kill). With ``False`` it
        is dropped, as a resumed run does.

    Returns
    -------
    list of dict
        The records, in file order.

    Raises
    ------
    ValueError
        Naming the file and line, for a line that is not JSON, not an object, lacks one of
        :data:`REQUIRED_FIELDS`, or has an unknown status.
    """
    return _parse_manifest(Path(path), strict=strict)[0]


def latest_records(records: Iterable[Mapping[str, Any]]) -> dict[str, dict]:
    """One record per input, the latest winning, sorted by input."""
    latest = {record["input"]: dict(record) for record in records}
    return dict(sorted(latest.items()))


class ManifestWriter:
    """Appends records to a manifest as they come, and compacts it when the run ends.

    Opening it takes an exclusive lock on the manifest (where the platform has ``fcntl``), so
    two runs cannot write the same manifest; a cut-off last line left by a killed run is
    dropped.

    Parameters
    ----------
    path : pathlib.Path
        The manifest file; its folder is created if needed.

    Raises
    ------
    RuntimeError
        If another process holds the manifest's lock.
    ValueError
        If the existing manifest has an invalid line (see :func:`read_manifest`).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path.with_name(f".{self.path.name}.lock"), "a")  # noqa: SIM115
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one run per folder is the user's job.
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock.close()
                raise RuntimeError(
                    f"Another run is writing {self.path}; wait for it, or give another output "
                    "folder (or --shard K/N, which writes its own manifest)."
                ) from None
        records, complete = [], 0
        if self.path.is_file():
            records, complete = _parse_manifest(self.path, strict=False)
            with open(self.path, "r+b") as handle:
                handle.truncate(complete)
        self._previous = records
        self._written: list[dict] = []
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def append(self, record: ImageRecord) -> None:
        """Write one record as a line and flush it, so a kill loses no finished image."""
        line = record.to_json()
        self._file.write(line + "\n")
        self._file.flush()
        self._written.append(json.loads(line))

    def close(self, *, compact: bool = True) -> None:
        """Stop appending; with ``compact``, rewrite the file with one line per input.

        The rewrite is atomic: a kill during it leaves the journal as it was.
        """
        self._file.close()
        if compact:
            merged = latest_records([*self._previous, *self._written])
            with atomic_file(self.path) as staging:
                staging.write_text(
                    "".join(json.dumps(r, sort_keys=True) + "\n" for r in merged.values()),
                    encoding="utf-8",
                )
        self._lock.close()

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_output_folder(folder: str | os.PathLike[str]) -> dict[str, dict]:
    """The records of every manifest in an output folder (all shards), one per input.

    Raises
    ------
    ValueError
        As :func:`read_manifest` (strict), or if two manifests both record the same input.
    """
    merged: dict[str, dict] = {}
    for path in sorted(Path(folder).glob("manifest*.jsonl")):
        for name, record in latest_records(read_manifest(path)).items():
            if name in merged:
                raise ValueError(f"{name!r} is recorded in two manifests, one is {path}.")
            merged[name] = record
    return dict(sorted(merged.items()))
