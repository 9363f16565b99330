"""The course sets (``ig-tutorial course``): student notebooks, and instructor notebooks.

Both are ``.ipynb`` files without outputs, one per Jupytext source, with nbgrader's metadata
kept. The instructor set is the notebooks as they are (nbgrader's ``generate_assignment``
takes it as a ``source`` assignment); the student set replaces each solution by
``raise NotImplementedError("<hint>")``, so a learner runs up to the first exercise. Needs the
``[run]`` extra; ``docs/instructors.md`` explains.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ig_tutorial.cache import atomic_file
from ig_tutorial.course.markup import find_exercises, solution_hint, solution_regions

COURSE_SETS = ("student", "instructor")


@dataclass(frozen=True)
class ExportedNotebook:
    """One notebook of a course set: its ``source``, the ``.ipynb`` written, its exercises."""

    source: Path
    path: Path
    exercises: int


def student_source(source: str) -> str:
    """A solution cell's source with each solution region, markers included, replaced by a stub.

    The stub, ``raise NotImplementedError("<hint>")``, is indented as the ``BEGIN`` marker; the
    lines around the regions (the hint, an answer set to ``None``) stay.

    Raises
    ------
    ValueError
        If the markers are unpaired or the ``# Hint:`` line is missing.
    """
    hint = solution_hint(source)
    lines = source.splitlines()
    kept: list[str] = []
    previous_end = -1
    for begin, end in solution_regions(source):
        kept += lines[previous_end + 1 : begin]
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        kept.append(f"{indent}raise NotImplementedError({hint!r})")
        previous_end = end
    kept += lines[previous_end + 1 :]
    return "\n".join(kept)


def _exported(path: Path, set_name: str) -> tuple[Any, int]:
    """The notebook of the set, in memory, and its number of exercises.

    Outputs go, and the Jupytext pairing (it belongs to the repository: a learner's Jupyter would
    write a ``.py`` next to each notebook); for students, the solutions go too.
    """
    import jupytext

    notebook = jupytext.read(path)
    try:
        exercises = find_exercises(notebook)
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from None
    notebook.metadata.pop("jupytext", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    if set_name == "student":
        for exercise in exercises:
            cell = notebook.cells[exercise.solution_index]
            cell.source = student_source(cell.source)
    return notebook, len(exercises)


def build_course(
    notebooks: Sequence[str | os.PathLike[str]], output_dir: str | os.PathLike[str], set_name: str
) -> list[ExportedNotebook]:
    """Write the ``"student"`` or ``"instructor"`` set of the notebooks to ``output_dir``.

    Every notebook is converted before any file is written, and each file is written under a
    temporary name and renamed when complete: broken markup writes nothing, an interrupted build
    leaves no half-written notebook. Existing notebooks in ``output_dir`` are replaced.

    Raises
    ------
    ValueError
        If ``set_name`` is unknown, ``output_dir`` is a folder of the sources (it would overwrite
        their paired ``.ipynb``), or a notebook's markup is wrong (naming notebook and cell).
    """
    if set_name not in COURSE_SETS:
        raise ValueError(f"set_name must be one of {COURSE_SETS}, got {set_name!r}.")
    paths = [Path(path) for path in notebooks]
    output = Path(output_dir)
    for path in paths:
        if output.resolve() == path.resolve().parent:
            raise ValueError(
                f"The {set_name} set would overwrite the notebooks in {str(output)!r}; write it "
                "to another folder."
            )
    import nbformat

    converted = [(path, *_exported(path, set_name)) for path in paths]
    written = []
    for source, notebook, exercises in converted:
        final = output / f"{source.stem}.ipynb"
        with atomic_file(final) as staging:
            nbformat.write(notebook, staging)
        written.append(ExportedNotebook(source=source, path=final, exercises=exercises))
    return written
