"""The manifest of a batch run: one JSON line per input, a locked journal while the run goes.

``manifest.jsonl`` (``manifest-K-of-N.jsonl`` for shard K of N) holds one :class:`ImageRecord`
per line. :class:`ManifestWriter` appends each record as its image finishes, so a killed run
loses no finished image, and rewrites the file atomically at the end, one line per input, the
latest winning. :func:`read_manifest` reads and checks one manifest, :func:`read_output_folder`
all of a folder.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ig_tutorial.cache import atomic_file

#: What a manifest record's ``status`` may be.
STATUSES: tuple[str, ...] = ("done", "skipped", "failed")

#: Fields every manifest line must have.
REQUIRED_FIELDS: tuple[str, ...] = ("input", "sha256", "status", "outputs", "error", "seconds")


@dataclass(frozen=True)
class ImageRecord:
    """The outcome of one input: a line of the manifest.

    ``status`` is ``"done"`` (computed in this run), ``"skipped"`` (valid outputs were found) or
    ``"failed"`` (``error`` says why: the exception's type and message). ``outputs`` are file
    names in the output folder, ``.npz`` last; ``seconds`` the wall time spent on this input;
    ``m_steps`` the sub-intervals used (with ``"auto"``, the converged count);
    ``relative_completeness_error`` is ``None`` when not finite; ``warnings`` are what the
    computation warned. ``docs/batch.md`` shows a line.
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


def finite_or_none(value: float) -> float | None:
    """``value`` as a ``float`` if it is finite, else ``None`` (JSON has no infinity)."""
    value = float(value)
    return value if math.isfinite(value) else None


def manifest_name(shard: tuple[int, int] | None = None) -> str:
    """``manifest.jsonl``, or ``manifest-K-of-N.jsonl`` for shard K of N."""
    return "manifest.jsonl" if shard is None else f"manifest-{shard[0]}-of-{shard[1]}.jsonl"


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
    """Read a manifest's records, in file order, checking every line.

    A last line without its newline (a write cut off by a kill) is refused, or with
    ``strict=False`` dropped, as a resumed run does. Raises ``ValueError`` naming the file and
    line for a line that is not JSON, not an object, lacks one of :data:`REQUIRED_FIELDS`, or has
    an unknown status.
    """
    lines = Path(path).read_bytes().split(b"\n")
    if lines.pop() and strict:
        raise ValueError(
            f"{path}: the last line has no newline: a write was cut off (the writer was killed)."
        )
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError as error:  # invalid JSON or UTF-8
            raise ValueError(f"{path}, line {number}: not valid JSON ({error}).") from None
        if problem := _record_problem(record):
            raise ValueError(f"{path}, line {number}: {problem}")
        records.append(record)
    return records


class ManifestWriter:
    """Appends records to a manifest as they come, and compacts it when closed.

    It holds an exclusive lock on the manifest (where the platform has ``fcntl``), so two runs
    cannot write one manifest (``RuntimeError``), and drops a cut-off last line that a killed
    run left.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
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
        old = read_manifest(self.path, strict=False) if self.path.is_file() else []
        self._latest = {record["input"]: record for record in old}
        self._compact()
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def _compact(self) -> None:
        # Atomic: a kill during the rewrite leaves the journal as it was.
        with atomic_file(self.path) as staging:
            lines = (json.dumps(r, sort_keys=True) + "\n" for _, r in sorted(self._latest.items()))
            staging.write_text("".join(lines), encoding="utf-8")

    def append(self, record: ImageRecord) -> None:
        """Write one record as a line and flush it, so a kill loses no finished image."""
        line = record.to_json()
        self._file.write(line + "\n")
        self._file.flush()
        self._latest[record.input] = json.loads(line)

    def close(self) -> None:
        """Stop appending; rewrite the file with one line per input, sorted by input."""
        self._file.close()
        self._compact()
        self._lock.close()

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_output_folder(folder: str | os.PathLike[str]) -> dict[str, dict]:
    """The records of every manifest in an output folder (all shards), one per input.

    Raises ``ValueError`` as :func:`read_manifest`, or if two manifests record the same input.
    """
    merged: dict[str, dict] = {}
    for path in sorted(Path(folder).glob("manifest*.jsonl")):
        for name, record in {r["input"]: r for r in read_manifest(path)}.items():
            if name in merged:
                raise ValueError(f"{name!r} is recorded in two manifests, one is {path}.")
            merged[name] = record
    return dict(sorted(merged.items()))
