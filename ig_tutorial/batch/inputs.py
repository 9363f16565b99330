"""What a batch run attributes: the input files, their targets, content hashes and shards.

:func:`discover_inputs` takes inputs as a shell user gives them: files, bundled photo names,
URLs, folders, quoted glob patterns and ``@list`` files (``docs/batch.md``, *Inputs*). Nothing
is skipped silently: a missing file, a broken link or a folder that cannot be listed becomes an
item with an ``error``, recorded as failed. Each input is identified by the SHA-256 of its
bytes (:func:`content_hash`), which names its outputs and places it in a shard (:func:`shard_of`).
"""

from __future__ import annotations

import csv
import glob
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ig_tutorial.batch.settings import normalize_target
from ig_tutorial.cache import is_url
from ig_tutorial.images import resolve_image_source
from ig_tutorial.sources import BUNDLED_IMAGES, TUTORIAL_IMAGES

#: File suffixes (any case) that a folder search or a glob pattern takes as images.
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp")

_GLOB_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class InputItem:
    """One input of a batch run, before it is attributed.

    ``source`` is the input as given or found (the manifest's ``"input"``), ``path`` the local
    file (``None`` if not found), ``target`` its row of a targets CSV (``None``: the run's
    target), ``error`` why it cannot be attributed, if known before reading it, and ``sha256``
    its content hash once computed.
    """

    source: str
    path: Path | None
    target: int | str | None = None
    error: str | None = None
    sha256: str | None = None


def _excluded(path: Path, exclude: Path | None) -> bool:
    return exclude is not None and path.is_relative_to(exclude)


def _found_item(path: Path, exclude: Path | None) -> InputItem | None:
    """The item of a file that a search or a pattern found; ``None`` if no image or excluded."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    try:
        os.stat(path)  # follows a symbolic link, as reading the file will
    except OSError as error:
        if _excluded(path.parent.resolve() / path.name, exclude):  # the link, not its target
            return None
        why = error.strerror or type(error).__name__
        if path.is_symlink():
            reason = (
                f"is a broken symbolic link (to {os.readlink(path)!r}: {why}); fix or remove it"
            )
        else:
            reason = f"cannot be read ({why})"
        return InputItem(str(path), None, error=f"{str(path)!r} {reason}.")
    if _excluded(path.resolve(), exclude):
        return None
    if not path.is_file():
        return InputItem(str(path), None, error=f"{str(path)!r} is not a regular file.")
    return InputItem(str(path), path)


def _search_folder(folder: Path, exclude: Path | None) -> list[InputItem]:
    """Every file with an image suffix below ``folder`` (not hidden, not excluded), sorted."""
    found: dict[Path, InputItem] = {}

    def unlisted(error: OSError) -> None:
        path = Path(error.filename)
        if not _excluded(path.resolve(), exclude):
            why = error.strerror or type(error).__name__
            reason = f"Cannot search the folder {str(path)!r} ({why}); its images are left out."
            found[path] = InputItem(str(path), None, error=reason)

    # os.walk, unlike Path.rglob, reports a folder it cannot list; neither follows folder links.
    for root, folders, files in os.walk(folder, onerror=unlisted):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            path = Path(root) / name
            if not name.startswith(".") and (item := _found_item(path, exclude)):
                found[path] = item
    return [found[path] for path in sorted(found)]


def _expand(spec: str, base: Path | None, exclude: Path | None) -> list[InputItem]:
    """The items one argument (or one line of a list file, relative to ``base``) stands for."""
    path = Path(spec.removeprefix("@")).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if spec.startswith("@"):
        if not path.is_file():
            raise FileNotFoundError(f"List file {str(path)!r} does not exist.")
        lines = (line.strip() for line in path.read_text().splitlines())
        return [
            item
            for line in lines
            if line and not line.startswith("#")
            for item in _expand(line, path.parent, exclude)
        ]
    if spec in BUNDLED_IMAGES or spec in TUTORIAL_IMAGES or is_url(spec):
        try:
            return [InputItem(spec, resolve_image_source(spec))]
        except ConnectionError as error:
            return [InputItem(spec, None, error=str(error))]
    if path.is_dir():
        return _search_folder(path, exclude)
    if not path.exists() and _GLOB_MAGIC.search(spec):
        items = []
        for match in map(Path, sorted(glob.glob(str(path), recursive=True))):
            if match.is_dir():
                items += _search_folder(match, exclude)
            elif item := _found_item(match, exclude):
                items.append(item)
        if not items:
            raise ValueError(
                f"The pattern {spec!r} matches no image file (suffixes "
                f"{', '.join(IMAGE_SUFFIXES)}); check it, and quote it so the shell passes it on."
            )
        return items
    source = str(path) if base is not None else spec
    if not path.is_file():
        return [InputItem(source, None, error=f"Image file {source!r} does not exist.")]
    return [InputItem(source, path)]


def discover_inputs(
    specs: Iterable[str | os.PathLike[str]], exclude: str | os.PathLike[str] | None = None
) -> list[InputItem]:
    """Turn command-line style inputs into the list of files to attribute.

    Parameters
    ----------
    specs : iterable of str or os.PathLike
        Files, bundled photo names, URLs, folders, glob patterns and ``@list`` files.
    exclude : str or os.PathLike, optional
        A folder whose files are never inputs: the run's output folder.

    Returns
    -------
    list of InputItem
        In the order given (folders and patterns sorted), each file once.

    Raises
    ------
    ValueError
        If no inputs are given, or a pattern matches no image file.
    FileNotFoundError
        If a list file does not exist.
    """
    specs = [os.fspath(spec) for spec in specs]
    if not specs:
        raise ValueError("No inputs given: name image files, folders, patterns or @list files.")
    excluded = None if exclude is None else Path(exclude).expanduser().resolve()
    items = {}
    for spec in specs:
        for item in _expand(spec, None, excluded):
            items.setdefault(item.source if item.path is None else item.path.resolve(), item)
    return list(items.values())


def read_targets(csv_file: str | os.PathLike[str]) -> dict[Path, int | str]:
    """Read per-image targets from a CSV file of ``path,target`` rows (optional header).

    Paths are relative to the CSV file's folder. Returns resolved path -> target
    (:func:`~ig_tutorial.batch.settings.normalize_target`). Raises ``FileNotFoundError``, or
    ``ValueError`` naming the file and row for a bad row or a path listed with two targets.
    """
    csv_file = Path(csv_file).expanduser()
    if not csv_file.is_file():
        raise FileNotFoundError(f"Targets file {str(csv_file)!r} does not exist.")
    targets: dict[Path, int | str] = {}
    with csv_file.open(newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not any(field.strip() for field in row):
                continue
            where = f"{csv_file}, row {number}"
            if len(row) != 2:
                raise ValueError(f"{where}: expected 'path,target', got {row!r}.")
            if number == 1 and [f.strip().lower() for f in row] == ["path", "target"]:
                continue
            path = Path(row[0].strip()).expanduser()
            path = (path if path.is_absolute() else csv_file.parent / path).resolve()
            target = normalize_target(row[1], f"{where}: the target")
            if targets.setdefault(path, target) != target:
                raise ValueError(
                    f"{where}: {row[0].strip()!r} is listed twice, with targets "
                    f"{targets[path]!r} and {target!r}."
                )
    return targets


def assign_targets(
    items: list[InputItem], targets: dict[Path, int | str], csv_name: str
) -> tuple[list[InputItem], list[Path]]:
    """Give each input its target from :func:`read_targets`.

    Returns the items, an input without a row getting an ``error`` (it is recorded as failed),
    and the CSV's paths that name no input.
    """
    assigned, used = [], set()
    for item in items:
        key = item.path.resolve() if item.path is not None else None
        if key in targets:
            used.add(key)
            item = replace(item, target=targets[key])
        elif item.error is None:
            item = replace(item, error=f"no row for this input in {csv_name}")
        assigned.append(item)
    return assigned, [path for path in targets if path not in used]


def content_hash(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as 64 hexadecimal digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def shard_of(sha256: str, count: int) -> int:
    """Which of ``count`` shards (from 1) an input with this content hash belongs to.

    The hash's first 64 bits modulo ``count``: balanced for any data, and independent of how
    the inputs are listed.
    """
    return int(sha256[:16], 16) % count + 1


def select_shard(items: list[InputItem], shard: tuple[int, int]) -> list[InputItem]:
    """The inputs of shard ``(K, N)``, with their content hashes filled in.

    An input that cannot be read is placed by the hash of its name, so that exactly one shard
    reports it as failed.
    """
    index, count = shard
    selected = []
    for item in items:
        if item.path is not None and item.error is None:
            try:
                item = replace(item, sha256=content_hash(item.path))
            except OSError as error:
                item = replace(item, error=f"cannot read the file: {error}")
        key = item.sha256 or hashlib.sha256(item.source.encode()).hexdigest()
        if shard_of(key, count) == index:
            selected.append(item)
    return selected
