"""The notebooks' executions on the test profile: run once a session, shared by the tests.

``tests/test_notebooks.py`` checks each execution (no errors, figures, numbers, re-execution by
nbval) and ``tests/test_docs.py`` renders the same executions into the site
(``docs/execution_cache.py``), so every notebook runs once for both. The fixture
``execute_offline`` is registered in ``tests/conftest.py``.

``scripts/test.sh`` runs the suite in two pytest-xdist workers, and a test that needs a
notebook's execution may run in either. So the executions are files in one folder of the
session that both workers see; under a lock per notebook, the first test that needs one makes it
(and its record, or its failure), and every other test, in either worker, reads it or waits
for it. A worker never holds two locks, so neither can wait for the other in a circle.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from filelock import FileLock, Timeout

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


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's folder of executions, one for all pytest-xdist workers.

    A worker's base folder is ``<the session's base folder>/popen-gwN``; without xdist the
    session's base folder is the process's own.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "notebook-executions"
    folder.mkdir(exist_ok=True)
    return folder


class NotebookExecutions:
    """The notebooks' executions of a session: ``executions(notebook)``, or all of them.

    Returned by the fixture ``execute_offline``. A test that needs one notebook's execution
    calls it and waits if the other worker is making it; :meth:`all` (the docs test, which
    needs every notebook) takes the notebooks no one is executing first, from the last one
    back, so that the two workers, the other one going through the tests in order, divide the
    executions between them instead of one waiting for the other.
    """

    def __init__(self, shared: Path) -> None:
        self.shared = shared
        self.done: dict[Path, Executed | str] = {}

    def __call__(self, notebook: Path) -> Executed:
        if notebook not in self.done:
            self.done[notebook] = _shared_execution(self.shared, notebook)
        return self._result(notebook)

    def all(self, notebooks: list[Path]) -> list[Executed]:
        """The executions of ``notebooks``, in order, each made here or read."""
        pending = [notebook for notebook in reversed(notebooks) if notebook not in self.done]
        while pending:
            for notebook in pending:
                try:
                    self.done[notebook] = _shared_execution(self.shared, notebook, wait=False)
                except Timeout:  # the other worker is executing it
                    continue
                break
            else:  # the other worker is executing every one left: wait for the first
                self(pending[0])
            pending = [notebook for notebook in pending if notebook not in self.done]
        return [self._result(notebook) for notebook in notebooks]

    def _result(self, notebook: Path) -> Executed:
        result = self.done[notebook]
        if isinstance(result, str):
            pytest.fail(result)
        return result


def offline_executions(tmp_path_factory: pytest.TempPathFactory) -> NotebookExecutions:
    """The executions of the notebooks on the test profile, made once per session."""
    return NotebookExecutions(shared_folder(tmp_path_factory))


def _shared_execution(shared: Path, notebook: Path, *, wait: bool = True) -> Executed | str:
    """The execution of ``notebook``: made here under its lock if no worker has made it yet.

    Returns the execution, or the message of the :class:`NotebookFailure` it ended in.

    Raises
    ------
    filelock.Timeout
        With ``wait=False``, if another worker holds the notebook's lock (is executing it).
    """
    record = shared / f"{notebook.stem}.json"
    with FileLock(shared / f"{notebook.stem}.lock", timeout=-1 if wait else 0):
        if not record.exists():
            output_dir = shared / notebook.stem
            output_dir.mkdir()
            try:
                own = parameters_for(read_notebook(notebook), TEST_PARAMETERS)
                run = execute_notebook(notebook, output_dir, own)
            except NotebookFailure as failure:
                facts = {"failure": str(failure)}
            else:
                facts = {"executed": str(run.executed), "seconds": run.seconds}
            facts["output_dir"] = str(output_dir)
            written = record.with_suffix(".partial")
            written.write_text(json.dumps(facts))
            written.replace(record)
    facts = json.loads(record.read_text())
    if "failure" in facts:
        return facts["failure"]
    path = Path(facts["executed"])
    node = nbformat.read(path, as_version=4)
    return Executed(notebook, path, Path(facts["output_dir"]), node, facts["seconds"])
