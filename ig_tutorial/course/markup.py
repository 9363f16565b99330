"""The notebooks' exercises, as nbgrader marks them, so that nbgrader grades them unchanged.

A **solution cell** (nbgrader ``solution``: an unlocked, ungraded code cell tagged
``hide-input``) holds the learner's code between ``### BEGIN SOLUTION`` and ``### END SOLUTION``,
below a ``# Hint: ...`` line; the **self-check cell** after it (``grade``: locked, with points)
calls one :mod:`ig_tutorial.course.self_checks` function. ``notebooks/README.md`` shows an
example; :func:`markup_problems` checks it against nbgrader's metadata schema (version 3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
#: The comment line above ``### BEGIN SOLUTION``; the student stub raises its text.
HINT_PREFIX = "# Hint:"
#: MyST-NB shows a cell with this tag behind a "Show code cell source" toggle.
HIDE_INPUT_TAG = "hide-input"
NBGRADER_SCHEMA_VERSION = 3
#: nbgrader's rule for a ``grade_id``.
GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]+$")
_NBGRADER_FLAGS = ("grade", "solution", "locked", "task")


@dataclass(frozen=True)
class Exercise:
    """One exercise: its solution cell, the self-check after it (indices from 0) and the hint."""

    grade_id: str
    solution_index: int
    check_index: int
    hint: str


def nbgrader_metadata(cell: Any) -> dict[str, Any]:
    """A cell's ``nbgrader`` metadata, ``{}`` if it has none."""
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def is_solution_cell(cell: Any) -> bool:
    """Whether nbgrader counts the cell as a solution (an answer the learner writes)."""
    return bool(nbgrader_metadata(cell).get("solution"))


def is_self_check_cell(cell: Any) -> bool:
    """Whether the cell is an autograded test: ``grade`` but not ``solution``."""
    metadata = nbgrader_metadata(cell)
    return bool(metadata.get("grade")) and not metadata.get("solution")


def solution_regions(source: str) -> list[tuple[int, int]]:
    """The 0-based line numbers ``(begin, end)`` of each pair of solution markers in a cell.

    Raises
    ------
    ValueError
        If the markers are not in pairs (a BEGIN without an END, an END first, or nested).
    """
    regions, begin = [], None
    for number, line in enumerate(source.splitlines()):
        marker = line.strip()
        if marker == BEGIN_SOLUTION:
            if begin is not None:
                raise ValueError(f"line {number + 1}: {BEGIN_SOLUTION} inside another solution.")
            begin = number
        elif marker == END_SOLUTION:
            if begin is None:
                raise ValueError(f"line {number + 1}: {END_SOLUTION} without a {BEGIN_SOLUTION}.")
            regions.append((begin, number))
            begin = None
    if begin is not None:
        raise ValueError(f"line {begin + 1}: {BEGIN_SOLUTION} without an {END_SOLUTION}.")
    return regions


def solution_hint(source: str) -> str:
    """The hint of a solution cell: the last ``# Hint:`` line above its first region.

    Raises
    ------
    ValueError
        If the cell has no solution region or no ``# Hint:`` line above it.
    """
    regions = solution_regions(source)
    if not regions:
        raise ValueError(f"no {BEGIN_SOLUTION} ... {END_SOLUTION} region.")
    above = [line.strip() for line in source.splitlines()[: regions[0][0]]]
    hints = [line for line in above if line.startswith(HINT_PREFIX)]
    if not hints:
        raise ValueError(f"no '{HINT_PREFIX} ...' comment above {BEGIN_SOLUTION}.")
    return hints[-1].removeprefix(HINT_PREFIX).strip()


def _schema_problems(metadata: dict[str, Any], where: str) -> list[str]:
    """How a cell's nbgrader metadata departs from nbgrader's schema version 3."""
    problems = []
    if metadata.get("schema_version") != NBGRADER_SCHEMA_VERSION:
        problems.append(
            f"{where}: nbgrader schema_version must be {NBGRADER_SCHEMA_VERSION}, got "
            f"{metadata.get('schema_version')!r}"
        )
    for flag in _NBGRADER_FLAGS:
        if not isinstance(metadata.get(flag), bool):
            problems.append(
                f"{where}: nbgrader {flag!r} must be true or false, got {metadata.get(flag)!r}"
            )
    grade_id = metadata.get("grade_id")
    if not isinstance(grade_id, str) or not GRADE_ID.match(grade_id):
        problems.append(
            f"{where}: nbgrader grade_id must be letters, digits, '_' or '-', got {grade_id!r}"
        )
    if metadata.get("grade") or metadata.get("task"):
        points = metadata.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            problems.append(f"{where}: a graded cell needs points >= 0, got {points!r}")
    return problems


def markup_problems(notebook: Any) -> list[str]:
    """Everything wrong with a notebook's course markup, one line per problem; empty if right.

    Checks each nbgrader cell against nbgrader's schema (a ``grade_id`` unique in the notebook
    too) and the conventions of the module docstring: solution and self-check cells alternate,
    and solution markers appear only in solution cells. Each line names the cell (from 1) and its
    first line.
    """
    problems: list[str] = []
    grade_ids: dict[str, int] = {}
    waiting_for_check: str | None = None
    for number, cell in enumerate(notebook.cells, start=1):
        first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
        where = f"cell {number} ({first_line.strip()[:40]!r})"
        metadata = nbgrader_metadata(cell)
        has_markers = BEGIN_SOLUTION in cell.source or END_SOLUTION in cell.source
        if not metadata:
            if has_markers:
                problems.append(f"{where}: solution markers in a cell without nbgrader metadata")
            continue
        problems += _schema_problems(metadata, where)
        grade_id = metadata.get("grade_id")
        if grade_id in grade_ids:
            problems.append(
                f"{where}: grade_id {grade_id!r} already used by cell {grade_ids[grade_id]}"
            )
        grade_ids.setdefault(grade_id, number)
        if is_solution_cell(cell):
            if waiting_for_check:
                problems.append(f"{where}: solution {waiting_for_check!r} has no self-check cell")
            waiting_for_check = grade_id
            if cell.cell_type != "code" or metadata.get("grade") or metadata.get("locked"):
                problems.append(f"{where}: a solution cell is an unlocked, ungraded code cell")
            if HIDE_INPUT_TAG not in cell.get("metadata", {}).get("tags", []):
                problems.append(f"{where}: a solution cell is tagged {HIDE_INPUT_TAG!r}")
            try:
                solution_hint(cell.source)
            except ValueError as error:
                problems.append(f"{where}: {error}")
        elif is_self_check_cell(cell):
            if cell.cell_type != "code" or not metadata.get("locked"):
                problems.append(f"{where}: a self-check cell is a locked code cell")
            if has_markers:
                problems.append(f"{where}: solution markers in a self-check cell")
            if waiting_for_check is None:
                problems.append(f"{where}: a self-check cell with no solution cell before it")
            waiting_for_check = None
        elif has_markers:
            problems.append(f"{where}: solution markers in a cell that is not a solution")
    if waiting_for_check:
        problems.append(f"solution {waiting_for_check!r} has no self-check cell")
    return problems


def find_exercises(notebook: Any) -> list[Exercise]:
    """The exercises of a notebook, in order (empty for a notebook without any).

    Raises
    ------
    ValueError
        If the markup is wrong; the message lists every :func:`markup_problems` line.
    """
    problems = markup_problems(notebook)
    if problems:
        raise ValueError("Wrong course markup:\n  " + "\n  ".join(problems))
    exercises = []
    solution: int | None = None
    for index, cell in enumerate(notebook.cells):
        if is_solution_cell(cell):
            solution = index
        elif is_self_check_cell(cell) and solution is not None:
            solution_cell = notebook.cells[solution]
            exercises.append(
                Exercise(
                    grade_id=nbgrader_metadata(solution_cell)["grade_id"],
                    solution_index=solution,
                    check_index=index,
                    hint=solution_hint(solution_cell.source),
                )
            )
            solution = None
    return exercises
