"""What a batch run attributes: finding the input files, their targets, hashes and shards.

Inputs are given the way a shell user gives them (:func:`discover_inputs`):

* a **file** path, a bundled photo name or a URL (as :func:`ig_tutorial.read_image` reads);
* a **folder**, searched recursively for files with an image suffix (:data:`IMAGE_SUFFIXES`);
* a **glob pattern** such as ``"val/**/*.JPEG"`` (quote it, so the shell does not expand it);
* a **list file** ``@list.txt``: one input per line, relative to the list file's folder;
  blank lines and lines starting with ``#`` are ignored.

Files named explicitly (on the command line or in a list file) are taken whatever their name,
so a bad one is reported as failed; files found by searching a folder or matching a pattern
must have an image suffix, so a folder's ``README.txt`` is not an input. Hidden files and
folders (names starting with ``.``) are never searched. Whatever is found with an image suffix
is an input, so a broken symbolic link, or a name that is no regular file, is reported as
failed too, as is a folder that cannot be searched: a run never skips an input silently.

A per-image target comes from a CSV file of ``path,target`` rows (:func:`read_targets`). Each
input is identified by the SHA-256 of its bytes (:func:`content_hash`): outputs are named by it,
a rerun recognises finished work by it, and ``--shard K/N`` splits the inputs by it
(:func:`shard_of`).
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

from ig_tutorial.cache import is_url
from ig_tutorial.images import resolve_image_source
from ig_tutorial.sources import BUNDLED_IMAGES, TUTORIAL_IMAGES

#: File suffixes (any case) that a folder search or a glob pattern takes as images.
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp")

_GLOB_MAGIC = re.compile(r"[*?[]")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class InputItem:
    """One input of a batch run, before it is attributed.

    Attributes
    ----------
    source : str
        The input as the user gave it (or as a folder search or pattern found it): what the
        manifest calls ``"input"``.
    path : pathlib.Path or None
        The local file to read; ``None`` when it could not be found.
    target : int, str or None
        The class to explain for this input (from a targets CSV); ``None`` uses the run's target.
    error : str or None
        Why the input cannot be attributed, when that is known before reading it (a missing
        file, no row in the targets CSV); it is then recorded as failed.
    sha256 : str or None
        The content hash, once computed (:func:`content_hash`).
    """

    source: str
    path: Path | None
    target: int | str | None = None
    error: str | None = None
    sha256: str | None = None

    def to_json_dict(self) -> dict:
        """The item as a JSON-able dict (to send it to a Ray worker)."""
        return {
            "source": self.source,
            "path": None if self.path is None else str(self.path),
            "target": self.target,
            "error": self.error,
            "sha256": self.sha256,
        }

    @classmethod
    def from_json_dict(cls, data: dict) -> InputItem:
        """The inverse of :meth:`to_json_dict`."""
        path = data.get("path")
        return cls(
            source=data["source"],
            path=None if path is None else Path(path),
            target=data.get("target"),
            error=data.get("error"),
            sha256=data.get("sha256"),
        )


def has_image_suffix(path: str | os.PathLike[str]) -> bool:
    """Whether a file name ends in one of :data:`IMAGE_SUFFIXES` (any case)."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def _found_item(path: Path, exclude: Path | None) -> InputItem | None:
    """The item of a file that a folder search or a pattern found, ``None`` if excluded.

    A name that cannot be read as a regular file is an item with the reason as its ``error``.
    """
    try:
        os.stat(path)  # follows a symbolic link, as reading the file will
    except OSError as error:
        where = path.parent.resolve() / path.name  # the link itself, where it cannot resolve
        if exclude is not None and where.is_relative_to(exclude):
            return None
        why = error.strerror or type(error).__name__
        if path.is_symlink():
            reason = (
                f"is a broken symbolic link (to {os.readlink(path)!r}: {why}); fix or remove it"
            )
        else:
            reason = f"cannot be read ({why})"
        return InputItem(str(path), None, error=f"{str(path)!r} {reason}.")
    if exclude is not None and path.resolve().is_relative_to(exclude):
        return None
    if not path.is_file():
        return InputItem(str(path), None, error=f"{str(path)!r} is not a regular file.")
    return InputItem(str(path), path)


def _search_folder(folder: Path, exclude: Path | None) -> list[InputItem]:
    """Every file with an image suffix below ``folder`` (not hidden, not excluded), sorted.

    A subfolder that cannot be listed is an item with an ``error``: its files are inputs too.
    """
    found: dict[Path, InputItem] = {}

    def unlisted(error: OSError) -> None:
        path = Path(error.filename)
        if exclude is None or not path.resolve().is_relative_to(exclude):
            why = error.strerror or type(error).__name__
            reason = f"Cannot search the folder {str(path)!r} ({why}); its images are left out."
            found[path] = InputItem(str(path), None, error=reason)

    # os.walk, unlike Path.rglob, reports a folder it cannot list; neither follows folder links.
    for root, folders, files in os.walk(folder, onerror=unlisted):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            path = Path(root) / name
            if not name.startswith(".") and has_image_suffix(path):
                item = _found_item(path, exclude)
                if item is not None:
                    found[path] = item
    return [found[path] for path in sorted(found)]


def _expand(spec: str, base: Path | None, exclude: Path | None) -> list[InputItem]:
    """The items one command-line argument (or one line of a list file) stands for."""
    if spec.startswith("@"):
        list_file = Path(spec[1:]).expanduser()
        if base is not None and not list_file.is_absolute():
            list_file = base / list_file
        return read_list_file(list_file, exclude)
    if spec in BUNDLED_IMAGES or spec in TUTORIAL_IMAGES or is_url(spec):
        try:
            return [InputItem(spec, resolve_image_source(spec))]
        except ConnectionError as error:
            return [InputItem(spec, None, error=str(error))]
    path = Path(spec).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if path.is_dir():
        return _search_folder(path, exclude)
    if not path.exists() and _GLOB_MAGIC.search(spec):
        matches = sorted(glob.glob(str(path), recursive=True))
        items = []
        for match in map(Path, matches):
            if match.is_dir():
                items += _search_folder(match, exclude)
            elif has_image_suffix(match) and (item := _found_item(match, exclude)) is not None:
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


def read_list_file(list_file: Path, exclude: Path | None = None) -> list[InputItem]:
    """The inputs a list file names: one per line, relative to the list file's folder.

    Each line may itself be a file, a folder or a pattern; blank lines and lines starting with
    ``#`` are ignored.

    Parameters
    ----------
    list_file : pathlib.Path
        A text file.
    exclude : pathlib.Path, optional
        A folder whose files are never inputs (the run's output folder).

    Returns
    -------
    list of InputItem

    Raises
    ------
    FileNotFoundError
        If the list file does not exist.
    """
    if not list_file.is_file():
        raise FileNotFoundError(f"List file {str(list_file)!r} does not exist.")
    items = []
    for line in list_file.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            items += _expand(line, list_file.parent, exclude)
    return items


def discover_inputs(
    specs: Iterable[str | os.PathLike[str]], exclude: str | os.PathLike[str] | None = None
) -> list[InputItem]:
    """Turn command-line style inputs into the list of files to attribute.

    Parameters
    ----------
    specs : iterable of str or os.PathLike
        Files, bundled photo names, URLs, folders, glob patterns and ``@list`` files (see the
        module's description).
    exclude : str or os.PathLike, optional
        A folder whose files are never inputs: the run's output folder, so that figures written
        into a searched folder are not attributed on the next run.

    Returns
    -------
    list of InputItem
        In the order given (folders and patterns in sorted order), each file once even when
        several arguments name it. A file that does not exist or cannot be read (a broken
        symbolic link, a folder that cannot be listed) is an item with an ``error``, so that it
        is recorded as failed and the run goes on.

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
    items, seen = [], set()
    for spec in specs:
        for item in _expand(spec, None, excluded):
            key = item.path.resolve() if item.path is not None else item.source
            if key not in seen:
                seen.add(key)
                items.append(item)
    return items


def _parse_target(text: str, where: str) -> int | str:
    text = text.strip()
    if not text:
        raise ValueError(f"{where}: the target is empty; give a class index or a label.")
    if re.fullmatch(r"[+-]?\d+", text):
        index = int(text)
        if index < 0:
            raise ValueError(f"{where}: the class index must be >= 0, got {index}.")
        return index
    return text


def read_targets(csv_file: str | os.PathLike[str]) -> dict[Path, int | str]:
    """Read per-image targets from a CSV file of ``path,target`` rows.

    A first row ``path,target`` is taken as a header. Paths are relative to the CSV file's
    folder (absolute paths are kept); a target is a class index or a label (``"top-1"`` too).

    Parameters
    ----------
    csv_file : str or os.PathLike
        The CSV file.

    Returns
    -------
    dict
        Resolved absolute path -> class index (``int``) or label (``str``).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For a row without exactly two fields, an empty or negative target, or a path listed
        twice with different targets; the message names the file and the row.
    """
    csv_file = Path(csv_file).expanduser()
    if not csv_file.is_file():
        raise FileNotFoundError(f"Targets file {str(csv_file)!r} does not exist.")
    targets: dict[Path, int | str] = {}
    with csv_file.open(newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or all(not field.strip() for field in row):
                continue
            where = f"{csv_file}, row {number}"
            if len(row) != 2:
                raise ValueError(f"{where}: expected 'path,target', got {row!r}.")
            if number == 1 and [f.strip().lower() for f in row] == ["path", "target"]:
                continue
            path = Path(row[0].strip()).expanduser()
            path = (path if path.is_absolute() else csv_file.parent / path).resolve()
            target = _parse_target(row[1], where)
            if targets.get(path, target) != target:
                raise ValueError(
                    f"{where}: {row[0].strip()!r} is listed twice, with targets "
                    f"{targets[path]!r} and {target!r}."
                )
            targets[path] = target
    return targets


def assign_targets(
    items: list[InputItem], targets: dict[Path, int | str], csv_name: str
) -> tuple[list[InputItem], list[Path]]:
    """Give each input its row of a targets CSV (:func:`read_targets`).

    Parameters
    ----------
    items : list of InputItem
        The inputs.
    targets : dict
        Resolved path -> target.
    csv_name : str
        The CSV file's name, for the error of an input without a row.

    Returns
    -------
    items : list of InputItem
        With ``target`` set; an input without a row gets an ``error`` (it is recorded as failed).
    unmatched : list of pathlib.Path
        The CSV's paths that are no input, so that the caller can report them.
    """
    assigned, used = [], set()
    for item in items:
        key = item.path.resolve() if item.path is not None else None
        if key in targets:
            used.add(key)
            assigned.append(replace(item, target=targets[key]))
        elif item.error is None:
            assigned.append(replace(item, error=f"no row for this input in {csv_name}"))
        else:
            assigned.append(item)
    return assigned, [path for path in targets if path not in used]


def content_hash(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as 64 hexadecimal digits (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def shard_of(sha256: str, count: int) -> int:
    """Which of ``count`` shards (numbered from 1) an input with this content hash belongs to.

    The hash's first 64 bits modulo ``count``: every input is in exactly one shard, shards are
    balanced for any data, and an input stays in its shard however the inputs are listed.
    """
    return int(sha256[:16], 16) % count + 1


def select_shard(items: list[InputItem], shard: tuple[int, int]) -> list[InputItem]:
    """The inputs of shard ``K`` of ``N``, with their content hashes filled in.

    Every input is hashed (read once). An input that cannot be read (missing, no permission) is
    placed by the hash of its name instead, so that exactly one shard reports it as failed.

    Parameters
    ----------
    items : list of InputItem
        All inputs of the job, as every shard sees them.
    shard : tuple of int
        ``(K, N)``, from :func:`ig_tutorial.checks.shard_spec`.

    Returns
    -------
    list of InputItem
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
