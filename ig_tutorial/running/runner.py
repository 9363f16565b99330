"""Executing the tutorial notebooks in batch: papermill, a parameters file, a progress bar.

This is what ``ig-tutorial run`` does (see :mod:`ig_tutorial.running.cli`), and what the tests use
to run every notebook offline. Each notebook's Jupytext text file (``notebooks/NN_name.py``, the
source of truth) is read with Jupytext, given the parameters with papermill (which injects them
after the cell tagged ``parameters``) and executed in a fresh Python kernel. The executed notebook
is written to the output folder, next to the PNG figures the notebook saves there (its
``OUTPUT_DIR``).

A failing cell stops the run with a :class:`NotebookFailure` that names the notebook and the cell,
so a batch job tells exactly where to look. The conventions the notebooks follow (cell layout,
parameter names) are written down in ``notebooks/README.md``.
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

#: Which files in the notebooks folder are tutorial notebooks (``01_setup_and_classification.py``).
NOTEBOOK_PATTERN = "[0-9][0-9]_*.py"

#: The parameters file that runs every notebook without a network (``ig-tutorial run --offline``).
OFFLINE_PROFILE = "offline.yaml"

#: Tag of the cell whose assignments papermill overrides.
PARAMETERS_TAG = "parameters"

#: The kernel that executes the notebooks; jupyter_client maps it to this very Python.
KERNEL_NAME = "python3"

#: Where each kernel's own messages go, inside the output folder: ``logs/<notebook>.log``.
KERNEL_LOG_DIR = "logs"


def _kernel_manager_writing_to(log: Path) -> type:
    """A kernel manager whose kernel writes its own stderr to ``log``, not to the notebook.

    TensorFlow's C++ start-up lines (``cuInit``, ``absl::InitializeLog``) and the kernel's
    transport warnings are written to the process's stderr, below Python: ipykernel would copy
    them into the first cell that imports TensorFlow, and the terminal would show them between
    the progress bar's lines. They go to the log instead, which a failure message names.
    """
    from jupyter_client.manager import AsyncKernelManager

    class KernelWithLog(AsyncKernelManager):
        async def start_kernel(self, **options: Any) -> None:
            with open(log, "ab") as stderr:  # the kernel keeps its own copy of the descriptor
                await super().start_kernel(**options, stderr=stderr)

    return KernelWithLog


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook.

    Attributes
    ----------
    notebook : pathlib.Path
        The source notebook.
    executed : pathlib.Path
        The executed copy, with outputs.
    seconds : float
        Wall time of the execution, kernel start included.
    """

    notebook: Path
    executed: Path
    seconds: float


class NotebookFailure(RuntimeError):
    """A cell of a notebook raised an error; the message names the notebook and the cell.

    Attributes
    ----------
    notebook : pathlib.Path
        The source notebook.
    executed : pathlib.Path
        The partly executed copy, whose failing cell shows the full traceback.
    cell_number : int
        Position of the failing cell in the source notebook, counting from 1, markdown cells
        included (papermill's injected cells are not counted).
    execution_count : int or None
        The ``In [n]`` number of the failing cell.
    cell_source : str
        The failing cell's code.
    error_name, error_value : str
        The exception's class name and message, e.g. ``"ConnectionError"``.
    kernel_log : pathlib.Path or None
        What the kernel wrote below Python (TensorFlow's C++ logging): look there when a kernel
        died without a Python traceback.
    """

    def __init__(
        self,
        notebook: Path,
        executed: Path,
        cell_number: int,
        execution_count: int | None,
        cell_source: str,
        error_name: str,
        error_value: str,
        kernel_log: Path | None = None,
    ) -> None:
        self.notebook = notebook
        self.kernel_log = kernel_log
        self.executed = executed
        self.cell_number = cell_number
        self.execution_count = execution_count
        self.cell_source = cell_source
        self.error_name = error_name
        self.error_value = error_value
        first_line = next((line for line in cell_source.splitlines() if line.strip()), "")
        super().__init__(
            f"Notebook {notebook.name} failed in cell {cell_number} (In [{execution_count}]: "
            f"{first_line.strip()!r}): {error_name}: {error_value}\n"
            f"The executed notebook with the full traceback is {executed}"
            + (f"; the kernel's own log is {kernel_log}." if kernel_log else ".")
        )


def default_notebook_dir() -> Path:
    """Return the tutorial's ``notebooks/`` folder.

    ``./notebooks`` when the current folder has one (a checkout), else the folder next to the
    installed package (an editable install).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        If neither exists (a wheel install ships no notebooks).
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
    """List the tutorial notebooks to run, in order.

    Parameters
    ----------
    notebook_dir : str or os.PathLike, optional
        Folder of the notebooks; default :func:`default_notebook_dir`. Every file matching
        :data:`NOTEBOOK_PATTERN` is a notebook, so a new ``07_*.py`` is picked up without changes
        here.
    selection : sequence of str, optional
        Which notebooks: file paths (``.py`` or ``.ipynb``), names (``05_integration``) or
        number prefixes (``05``). Default: all.

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    FileNotFoundError
        If the folder holds no notebook, or a selected notebook matches nothing.
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
    """Read a notebook from its Jupytext text file (``.py``) or an ``.ipynb``.

    Returns
    -------
    nbformat.NotebookNode
    """
    import jupytext

    return jupytext.read(Path(path))


def parameter_names(notebook: Any) -> list[str]:
    """Return the names assigned in a notebook's ``parameters`` cell, in order.

    Parameters
    ----------
    notebook : nbformat.NotebookNode

    Returns
    -------
    list of str
        Empty when no cell is tagged ``parameters``.
    """
    for cell in notebook.cells:
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            tree = ast.parse(cell.source)
            return [
                target.id
                for node in tree.body
                if isinstance(node, (ast.Assign, ast.AnnAssign))
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(target, ast.Name)
            ]
    return []


def parameters_for(notebook: Any, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of shared ``parameters`` that a notebook's ``parameters`` cell declares.

    Each notebook declares only the parameters it uses (``notebooks/README.md``), so a profile
    shared by all of them (``offline.yaml``) holds names that some notebook does not take.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
    parameters : mapping
        Name -> value, for any number of notebooks.

    Returns
    -------
    dict
    """
    declared = set(parameter_names(notebook))
    return {name: value for name, value in parameters.items() if name in declared}


def load_parameters(
    files: Sequence[str | os.PathLike[str]] = (), overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Merge YAML parameter files and explicit values, later ones winning.

    Parameters
    ----------
    files : sequence of path
        YAML files, each a mapping from parameter name to value (papermill's ``-f`` format),
        e.g. ``notebooks/offline.yaml``.
    overrides : mapping, optional
        Values applied last, e.g. ``{"M_STEPS": 64}``.

    Returns
    -------
    dict

    Raises
    ------
    FileNotFoundError
        If a file does not exist.
    ValueError
        If a file is not a YAML mapping.
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
    """Execute one notebook with papermill, writing it and its figures to ``output_dir``.

    Parameters
    ----------
    notebook : str or os.PathLike
        A ``.py`` (Jupytext) or ``.ipynb`` notebook.
    output_dir : str or os.PathLike
        Receives the executed ``<name>.ipynb``; passed to the notebook as ``OUTPUT_DIR`` (absolute),
        so its figures land there too. The kernel's own stderr goes to
        ``<output_dir>/logs/<name>.log`` (see :func:`_kernel_manager_writing_to`).
    parameters : mapping, optional
        Values for the notebook's ``parameters`` cell; ``OUTPUT_DIR`` is set from ``output_dir``.
    cell_timeout : float, optional
        Seconds one cell may run before it is interrupted (default: no limit).

    Returns
    -------
    NotebookRun

    Raises
    ------
    NotebookFailure
        If a cell raises; the message names the notebook, the cell and the error.
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
    values = {**(parameters or {}), "OUTPUT_DIR": str(output_dir)}
    log = output_dir / KERNEL_LOG_DIR / f"{notebook.stem}.log"
    log.parent.mkdir(exist_ok=True)
    log.write_bytes(b"")
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            node,
            str(executed),
            parameters=values,
            kernel_name=KERNEL_NAME,
            language="python",  # a .py without a Jupytext header names no language
            progress_bar=False,
            cwd=str(notebook.parent),
            execution_timeout=cell_timeout,
            kernel_manager_class=_kernel_manager_writing_to(log),
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
    """Turn papermill's index of a failing cell into its 1-based position in the source notebook.

    Papermill counts its injected parameters cell and, in the file it writes, adds error banner
    cells; a reader of ``notebooks/NN_name.py`` wants neither.
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
    """Execute notebooks one after the other, stopping at the first failure.

    Parameters
    ----------
    notebooks : sequence of path
        E.g. from :func:`find_notebooks`.
    output_dir : str or os.PathLike
        Where executed notebooks and figures go.
    parameters : mapping, optional
        Shared by the notebooks (they take the same names, see ``notebooks/README.md``); each
        notebook gets the ones its ``parameters`` cell defines.
    progress : bool, default True
        Show a progress bar over notebooks and each notebook's run time.
    cell_timeout : float, optional
        Seconds one cell may run.
    known_notebooks : sequence of path, optional
        The notebooks whose parameters are known names (default ``notebooks``). The command
        line passes the whole folder, so that a profile shared by every notebook
        (``offline.yaml``) also runs a few of them, say one that takes none of its names.

    Returns
    -------
    list of NotebookRun

    Raises
    ------
    NotebookFailure
        From the first notebook that fails; the ones before it are already written.
    ValueError
        If a parameter is defined by none of the ``known_notebooks`` (a typo, say ``M_STEP``).
    """
    parameters = dict(parameters or {})
    paths = list(dict.fromkeys(map(Path, notebooks)))  # each notebook once, in order
    # Each file is read once; the run's own notebooks are among the known ones.
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
        # A parameter only some notebooks use (say, one of a later notebook) is not passed to
        # the others, whose strict check would reject it.
        own = parameters_for(read[notebook], parameters)
        run = execute_notebook(notebook, output_dir, own, cell_timeout=cell_timeout)
        if progress:
            bar.write(f"{run.notebook.name}: {run.seconds:.1f} s -> {run.executed}")
        runs.append(run)
    return runs
