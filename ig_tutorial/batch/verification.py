"""Checking a batch run's output folder after the fact: manifests, outputs, temporary files.

:func:`verify_output_folder` is what a user (or a test) runs to trust a folder: it reads every
manifest strictly (:mod:`ig_tutorial.batch.manifest`), opens every listed ``.npz``
(:mod:`ig_tutorial.batch.npz_files`), and looks for temporary files that a killed writer left
(:func:`ig_tutorial.cache.partial_file_writer`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ig_tutorial.batch.manifest import read_output_folder
from ig_tutorial.batch.npz_files import load_npz
from ig_tutorial.cache import partial_file_writer


def verify_output_folder(folder: str | os.PathLike[str]) -> list[str]:
    """Check an output folder after a run; return the problems found (empty if none).

    Checks that every manifest is valid JSON lines with the required fields
    (:func:`~ig_tutorial.batch.manifest.read_manifest`, strict); that every output of a
    ``done`` or ``skipped`` record exists and is complete (each ``.npz`` member's CRC is
    checked) and that each ``.npz`` holds the input's content hash; and that no temporary
    ``.partial-`` file is left.

    Parameters
    ----------
    folder : str or os.PathLike
        A batch run's output folder.

    Returns
    -------
    list of str
        One sentence per problem.
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
        if record["status"] == "failed":
            continue
        for output in record["outputs"]:
            path = folder / output
            if not path.is_file():
                problems.append(f"{name}: output {output} is missing.")
            elif path.suffix == ".npz":
                try:
                    arrays = load_npz(path)
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
