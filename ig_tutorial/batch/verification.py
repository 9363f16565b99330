"""Checking a batch run's output folder after the fact: manifests, outputs, temporary files."""

from __future__ import annotations

import os
from pathlib import Path

from ig_tutorial.batch.manifest import read_output_folder
from ig_tutorial.batch.npz_files import load_npz
from ig_tutorial.cache import partial_file_writer


def verify_output_folder(folder: str | os.PathLike[str]) -> list[str]:
    """Check an output folder after a run; return one sentence per problem (none: ``[]``).

    Every manifest must be valid (:func:`~ig_tutorial.batch.manifest.read_manifest`, strict);
    every output of a ``done`` or ``skipped`` record must exist and be complete, each ``.npz``
    computed from the recorded bytes; and no temporary ``.partial-`` file may be left.
    """
    folder = Path(folder)
    problems = []
    try:
        records = read_output_folder(folder)
        if not records:
            problems.append(f"{folder} has no manifest records.")
    except ValueError as error:
        records = {}
        problems.append(str(error))
    for name, record in records.items():
        for output in record["outputs"] if record["status"] != "failed" else []:
            path = folder / output
            if not path.is_file():
                problems.append(f"{name}: output {output} is missing.")
            elif path.suffix == ".npz":
                try:
                    arrays = load_npz(path)  # reads every member, checking its CRC
                except ValueError as error:
                    problems.append(f"{name}: {error}")
                    continue
                if str(arrays.get("input_sha256")) != record["sha256"]:
                    problems.append(f"{name}: {output} was computed from other bytes.")
    problems += [
        f"temporary file left behind: {path.name}"
        for path in sorted(folder.iterdir())
        if partial_file_writer(path.name) is not None
    ]
    return problems
