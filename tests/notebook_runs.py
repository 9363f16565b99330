"""The notebooks' executions on the test profile: run once a session, shared by the tests.

``tests/test_notebooks.py`` checks each execution (no errors, figures, numbers, re-execution by
nbval) and ``tests/test_docs.py`` renders the same executions into the site
(``docs/execution_cache.py``), so every notebook runs once for both. The fixture
``execute_offline`` is registered in ``tests/conftest.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from ig_tutorial.running.runner import (
    OFFLINE_PROFILE,
    NotebookFailure,
    execute_notebook,
    find_notebooks,
    load_parameters,
    parameters_for,
    read_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = find_notebooks(NOTEBOOK_DIR)
OFFLINE = NOTEBOOK_DIR / OFFLINE_PROFILE

#: Integration steps of the test profile. The completeness error at 64 trapezoid steps is 1.4%
#: (coffee) and 0.7% (grace_hopper), inside :data:`FAST_TOLERANCE`; at 32 it is 16% for coffee.
FAST_M_STEPS = 64
#: The paper's suggestion: add steps until the completeness error is within 5%. Also the
#: tolerance of ``m_steps="auto"`` in the notebooks that use it (6, 7, 9) on the test profile.
FAST_TOLERANCE = 0.05
TEST_PARAMETERS = load_parameters([OFFLINE], {"M_STEPS": FAST_M_STEPS, "TOLERANCE": FAST_TOLERANCE})
#: What the docs build reads to take the same values (docs/offline_notebook_reader.py).
DOCS_ENVIRONMENT = {
    "IG_TUTORIAL_DOCS_M_STEPS": str(FAST_M_STEPS),
    "IG_TUTORIAL_DOCS_TOLERANCE": str(FAST_TOLERANCE),
}


@dataclass
class Executed:
    notebook: Path
    path: Path
    output_dir: Path
    node: nbformat.NotebookNode
    seconds: float


def offline_executions(tmp_path_factory: pytest.TempPathFactory):
    """A function that executes a notebook on the test profile, once per session."""
    done: dict[Path, Executed | NotebookFailure] = {}

    def execute(notebook: Path) -> Executed:
        if notebook not in done:
            output_dir = tmp_path_factory.mktemp(notebook.stem)
            try:
                own = parameters_for(read_notebook(notebook), TEST_PARAMETERS)
                run = execute_notebook(notebook, output_dir, own)
            except NotebookFailure as failure:
                done[notebook] = failure
            else:
                node = nbformat.read(run.executed, as_version=4)
                done[notebook] = Executed(notebook, run.executed, output_dir, node, run.seconds)
        result = done[notebook]
        if isinstance(result, NotebookFailure):
            pytest.fail(str(result))
        return result

    return execute
