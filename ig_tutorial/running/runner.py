"""Executing the tutorial notebooks with papermill: what ``ig-tutorial run`` and the tests do.

Each notebook's Jupytext source (``notebooks/NN_name.py``) gets its parameters injected after
the cell tagged ``parameters`` and runs in a fresh kernel; the executed ``.ipynb`` goes to the
output folder, next to the figures the notebook saves there (its ``OUTPUT_DIR``). A failing cell
raises :class:`NotebookFailure`, naming the notebook and the cell. ``notebooks/README.md``
describes the notebooks' conventions (cells, parameter names).
"""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ig_tutorial.progress import progress_bar

NOTEBOOK_PATTERN = "[0-9][0-9]_*.py"
#: The parameters file that runs every notebook without a network (``ig-tutorial run --offline``).
OFFLINE_PROFILE = "offline.yaml"
PARAMETERS_TAG = "parameters"
#: jupyter_client maps this kernel to the running Python.
KERNEL_NAME = "python3"
#: Where each kernel's own stderr goes, inside the output folder: ``logs/<notebook>.log``.
KERNEL_LOG_DIR = "logs"


def kernel_manager_writing_to(log: Path) -> type:
    """A kernel manager class whose kernel writes its own stderr to ``log``.

    TensorFlow's C++ start-up lines and the kernel's transport warnings are written below
    Python: ipykernel would copy them into the first cell that imports TensorFlow, and the
    terminal would show them between the progress bar's lines.
    """
    from jupyter_client.manager import AsyncKernelManager

    class KernelWithLog(AsyncKernelManager):
        async def start_kernel(self, **options: Any) -> None:
            with open(log, "ab") as stderr:  # the kernel keeps its own copy of the descriptor
                await super().start_kernel(**options, stderr=stderr)

    return KernelWithLog


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: its source, the executed copy, and the seconds it took."""

    notebook: Path
    executed: Path
    seconds: float


@dataclass(eq=False)
class NotebookFailure(RuntimeError):
    """A cell of a notebook raised; the message names the notebook, the cell and the error.

    ``executed`` is the partly executed copy, whose failing cell shows the traceback;
    ``cell_number`` counts the source notebook's cells from 1, markdown included;
    ``execution_count`` is the cell's ``In [n]``; ``error_name`` and ``error_value`` are the
    exception's class and message; ``kernel_log`` holds what the kernel wrote below Python (look
    there when a kernel died without a traceback).
    """

    notebook: Path
    executed: Path
    cell_number: int
    execution_count: int | None
    cell_source: str
    error_name: str
    error_value: str
    kernel_log: Path | None = None

    def __post_init__(self) -> None:
        first_line = next((line for line in self.cell_source.splitlines() if line.strip()), "")
        super().__init__(
            f"Notebook {self.notebook.name} failed in cell {self.cell_number} "
            f"(In [{self.execution_count}]: {first_line.strip()!r}): {self.error_name}: "
            f"{self.error_value}\nThe executed notebook with the full traceback is {self.executed}"
            + (f"; the kernel's own log is {self.kernel_log}." if self.kernel_log else ".")
        )


def default_notebook_dir() -> Path:
    """``./notebooks`` in a checkout, else the one next to the package (an editable install).

    Raises
    ------
    FileNotFoundError
        If neither exists (a wheel ships no notebooks).
    """
    for candidate in (Path.cwd() / "notebooks", Path(__file__).resolve().parents[2] / "notebooks"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "No notebooks/ folder here or next to the installed package; run from a checkout of "
        "ig-tutorial or pass the folder with --notebook-dir."
    )


def find_notebooks(
    notebook_dir: str | os.PathLike[str] | None = None, selection: Sequence[str] | None = None
) -> list[Path]:
    """The tutorial notebooks (every :data:`NOTEBOOK_PATTERN` file of the folder), in order.

    Parameters
    ----------
    notebook_dir : str or os.PathLike, optional
        Default :func:`default_notebook_dir`.
    selection : sequence of str, optional
        File paths, names (``05_integration``) or number prefixes (``05``); default all.

    Raises
    ------
    FileNotFoundError
        If the folder holds no notebook, or a selected one matches nothing.
    ValueError
        If a selection matches several notebooks.
    """
    folder = Path(notebook_dir) if notebook_dir is not None else default_notebook_dir()
    available = sorted(folder.glob(NOTEBOOK_PATTERN))
    if not available:
        raise FileNotFoundError(f"No notebooks matching {NOTEBOOK_PATTERN} in {str(folder)!r}.")
    if not selection:
        return available
    chosen = []
    for item in selection:
        if Path(item).is_file():
            chosen.append(Path(item))
            continue
        matches = [path for path in available if path.stem.startswith(Path(item).stem)]
        if not matches:
            names = ", ".join(path.stem for path in available)
            raise FileNotFoundError(f"No notebook matches {item!r}; choose from {names}.")
        if len(matches) > 1:
            names = ", ".join(path.stem for path in matches)
            raise ValueError(f"{item!r} matches several notebooks ({names}); give more of a name.")
        chosen.append(matches[0])
    return chosen


def read_notebook(path: str | os.PathLike[str]) -> Any:
    """Read a notebook (an ``nbformat.NotebookNode``) from its Jupytext ``.py`` or an ``.ipynb``."""
    import jupytext

    return jupytext.read(Path(path))


def parameter_names(notebook: Any) -> list[str]:
    """The names assigned in a notebook's ``parameters`` cell, in order (empty without one)."""
    for cell in notebook.cells:
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            return [
                target.id
                for node in ast.parse(cell.source).body
                if isinstance(node, (ast.Assign, ast.AnnAssign))
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(target, ast.Name)
            ]
    return []


def parameters_for(notebook: Any, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The ones of ``parameters`` that the notebook's ``parameters`` cell declares.

    A profile shared by all notebooks (``offline.yaml``) names parameters some do not take.
    """
    declared = set(parameter_names(notebook))
    return {name: value for name, value in parameters.items() if name in declared}


def load_parameters(
    files: Sequence[str | os.PathLike[str]] = (), overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Merge YAML parameter files (papermill's ``-f``) and then ``overrides``, later ones winning.

    Raises
    ------
    FileNotFoundError
        If a file does not exist.
    ValueError
        If a file is not a YAML mapping of names to values.
    """
    merged: dict[str, Any] = {}
    for file in files:
        path = Path(file)
        if not path.is_file():
            raise FileNotFoundError(f"Parameters file {str(path)!r} does not exist.")
        values = yaml.safe_load(path.read_text()) or {}
        if not isinstance(values, dict):
            raise ValueError(
                f"Parameters file {str(path)!r} must map names to values (e.g. 'M_STEPS: 64'), "
                f"got a {type(values).__name__}."
            )
        merged.update(values)
    merged.update(overrides or {})
    return merged


def execute_notebook(
    notebook: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    cell_timeout: float | None = None,
) -> NotebookRun:
    """Execute one notebook with papermill into ``output_dir``.

    The executed ``<name>.ipynb`` goes there, and so do the notebook's figures (its
    ``OUTPUT_DIR`` is set to the folder, absolute) and the kernel's stderr
    (``logs/<name>.log``). ``cell_timeout``: seconds a cell may run (default no limit).

    Raises
    ------
    NotebookFailure
        If a cell raises.
    ValueError
        If a parameter is not one the notebook's ``parameters`` cell defines.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    output_dir = Path(output_dir).absolute()
    output_dir.mkdir(parents=True, exist_ok=True)
    executed = output_dir / f"{notebook.stem}.ipynb"
    node = read_notebook(notebook)
    known = parameter_names(node)
    unknown = sorted(set(parameters or {}) - set(known))
    if unknown:
        raise ValueError(
            f"Unknown parameter(s) {', '.join(unknown)} for {notebook.name}; its parameters "
            f"cell defines {', '.join(known) or 'nothing'}."
        )
    log = output_dir / KERNEL_LOG_DIR / f"{notebook.stem}.log"
    log.parent.mkdir(exist_ok=True)
    log.write_bytes(b"")
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            node,
            str(executed),
            parameters={**(parameters or {}), "OUTPUT_DIR": str(output_dir)},
            kernel_name=KERNEL_NAME,
            language="python",  # a .py without a Jupytext header names no language
            progress_bar=False,
            cwd=str(notebook.parent),
            execution_timeout=cell_timeout,
            kernel_manager_class=kernel_manager_writing_to(log),
            # Output below Python (C++ logging) stays out of the cells; Python's own goes in.
            extra_arguments=["--IPKernelApp.capture_fd_output=False"],
        )
    except PapermillExecutionError as error:
        raise NotebookFailure(
            notebook=notebook,
            executed=executed,
            kernel_log=log,
            cell_number=_source_cell_number(executed, error.cell_index),
            execution_count=error.exec_count,
            cell_source=error.source,
            error_name=error.ename,
            error_value=error.evalue,
        ) from None
    return NotebookRun(notebook=notebook, executed=executed, seconds=time.perf_counter() - start)


def _source_cell_number(executed: Path, papermill_index: int) -> int:
    """The failing cell's number in the source notebook, from 1.

    Papermill counts its injected parameters cell and adds error banner cells; a reader of
    ``notebooks/NN_name.py`` wants neither.
    """
    import nbformat

    added = {"injected-parameters", "papermill-error-cell-tag"}
    cells = nbformat.read(executed, as_version=4).cells
    source_cells = [c for c in cells if not added & set(c.get("metadata", {}).get("tags", []))]
    for number, cell in enumerate(source_cells, start=1):
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return number
    return papermill_index + 1  # no error output (e.g. a timeout): papermill's count, 1-based


def run_notebooks(
    notebooks: Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    progress: bool = True,
    cell_timeout: float | None = None,
    known_notebooks: Sequence[str | os.PathLike[str]] | None = None,
) -> list[NotebookRun]:
    """Execute notebooks one after the other (:func:`execute_notebook`), stopping at a failure.

    Each notebook gets the ones of ``parameters`` that its ``parameters`` cell declares.
    ``known_notebooks`` (default: ``notebooks``) declare the known names: the command line
    passes the whole folder, so that a profile shared by all notebooks also runs a few of them.

    Raises
    ------
    NotebookFailure
        From the first notebook that fails; the ones before it are written.
    ValueError
        If a parameter is declared by none of the known notebooks (a typo, say ``M_STEP``).
    """
    parameters = dict(parameters or {})
    paths = list(dict.fromkeys(map(Path, notebooks)))  # each notebook once, in order
    read = {path: read_notebook(path) for path in [*paths, *map(Path, known_notebooks or ())]}
    known_names = [set(parameter_names(node)) for node in read.values()]
    unknown = sorted(set(parameters).difference(*known_names))
    if unknown:
        known = sorted(set().union(*known_names))
        raise ValueError(
            f"Unknown parameter(s) {', '.join(unknown)}: no notebook defines them. The "
            f"notebooks take {', '.join(known)}."
        )
    runs = []
    bar = progress_bar(paths, desc="notebooks", unit="notebook", disable=not progress)
    for notebook in bar:
        bar.set_postfix_str(notebook.stem)
        own = parameters_for(read[notebook], parameters)
        run = execute_notebook(notebook, output_dir, own, cell_timeout=cell_timeout)
        if progress:
            bar.write(f"{run.notebook.name}: {run.seconds:.1f} s -> {run.executed}")
        runs.append(run)
    return runs
