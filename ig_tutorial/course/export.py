"""Building the course sets: student notebooks (solutions removed) and instructor notebooks.

``ig-tutorial course --student DIR`` and ``--instructor DIR`` (:mod:`ig_tutorial.running.cli`)
call :func:`build_course`. Both sets are ``.ipynb`` files without outputs, one per tutorial
notebook, read from the Jupytext sources (``notebooks/NN_*.py``), and keep the nbgrader
metadata (:mod:`ig_tutorial.course.markup`):

- the **instructor** set is the notebooks as they are, solutions in; nbgrader's
  ``generate_assignment`` accepts it as a ``source`` assignment;
- the **student** set replaces each region between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` by ``raise NotImplementedError("<the cell's hint>")`` and keeps
  everything else, so a learner runs up to the first exercise and the self-checks fail with a
  hint until the exercise is done. No nbgrader is needed for it.

Needs the ``[run]`` extra (Jupytext, nbformat).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ig_tutorial.cache import atomic_file
from ig_tutorial.course.markup import find_exercises, solution_hint, solution_regions

#: The two sets :func:`build_course` writes.
COURSE_SETS = ("student", "instructor")


@dataclass(frozen=True)
class ExportedNotebook:
    """One notebook of a course set, as written.

    Attributes
    ----------
    source : pathlib.Path
        The notebook it was built from.
    path : pathlib.Path
        The ``.ipynb`` written.
    exercises : int
        How many exercises it holds.
    """

    source: Path
    path: Path
    exercises: int


def student_source(source: str) -> str:
    """A solution cell's source with each solution region replaced by a stub.

    The lines between (and including) ``### BEGIN SOLUTION`` and ``### END SOLUTION`` become one
    line, ``raise NotImplementedError("<hint>")``, indented as the ``BEGIN`` marker; the lines
    around the regions (the hint, an answer set to ``None``) stay.

    Parameters
    ----------
    source : str
        The solution cell's source.

    Returns
    -------
    str

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


def _without_outputs(notebook: Any) -> Any:
    """A copy of the notebook with no outputs and no Jupytext pairing.

    The pairing (``formats: ipynb,py:percent``) belongs to the repository: a learner's Jupyter
    with Jupytext would otherwise write a ``.py`` next to each exported notebook.
    """
    notebook = copy.deepcopy(notebook)
    notebook.metadata.pop("jupytext", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def _read(path: Path) -> Any:
    import jupytext

    return jupytext.read(path)


def _converted(notebooks: Sequence[Path], set_name: str) -> Iterator[tuple[Path, Any, int]]:
    """Each notebook of the set, in memory: outputs out, and for students solutions stubbed.

    The instructor set keeps the solutions; nbgrader's ``generate_assignment`` accepts it as a
    ``source`` assignment. Both sets are checked for wrong course markup
    (:func:`ig_tutorial.course.markup.markup_problems`) first; the error names the notebook.
    """
    for path in notebooks:
        node = _read(path)
        try:
            exercises = find_exercises(node)  # raises on wrong markup
        except ValueError as error:
            raise ValueError(f"{path.name}: {error}") from None
        exported = _without_outputs(node)
        if set_name == "student":
            for exercise in exercises:
                cell = exported.cells[exercise.solution_index]
                cell.source = student_source(cell.source)
        yield path, exported, len(exercises)


def build_course(
    notebooks: Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    set_name: str,
) -> list[ExportedNotebook]:
    """Write the student or instructor set of the notebooks to ``output_dir``.

    Every notebook is converted in memory before any file is written, and each file is written
    under a temporary name and renamed when complete: a notebook with broken markup writes
    nothing, and an interrupted build leaves no half-written notebook.

    Parameters
    ----------
    notebooks : sequence of path
        Jupytext sources (``.py``) or ``.ipynb`` notebooks, e.g. from
        :func:`ig_tutorial.running.runner.find_notebooks`.
    output_dir : str or os.PathLike
        Created if missing; receives ``<name>.ipynb`` for each notebook (existing ones are
        replaced).
    set_name : {"student", "instructor"}

    Returns
    -------
    list of ExportedNotebook

    Raises
    ------
    ValueError
        If ``set_name`` is unknown, ``output_dir`` is a folder of one of the sources (it would
        overwrite their paired ``.ipynb``), or a notebook's course markup is wrong (the message
        names the notebook and the cell).
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

    converted = list(_converted(paths, set_name))  # every error before the first file
    written = []
    for source, node, exercises in converted:
        final = output / f"{source.stem}.ipynb"
        with atomic_file(final) as staging:
            nbformat.write(node, staging)
        written.append(ExportedNotebook(source=source, path=final, exercises=exercises))
    return written
