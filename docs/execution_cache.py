"""Reuse a notebook's execution for its page: put it into the site's execution cache.

The site executes every notebook with myst-nb's jupyter-cache (``nb_execution_mode = "cache"``
in ``conf.py``), keyed on the page's code cells as
:func:`offline_notebook_reader.read_offline_notebook` builds them. The notebook tests execute the
same notebooks with the same parameters (``tests/test_notebooks.py``); :func:`cache_execution`
files such an execution under its page, so the build renders it instead of running the notebook
a third time.

Only an execution of the page's own code is accepted: every code cell must match the page's,
except papermill's injected parameters, which may differ in ``OUTPUT_DIR`` alone (where the
figures were written; the figures themselves are in the outputs).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from offline_notebook_reader import read_offline_notebook

DOCS = Path(__file__).resolve().parent
#: Where ``conf.py`` keeps the execution cache (``nb_execution_cache_path``).
CACHE_PATH = DOCS / "_build" / ".jupyter_cache"
#: The page of ``notebooks/NN_name.py``: ``conf.py`` mirrors the sources here.
PAGES = DOCS / "notebooks"
INJECTED_TAG = "injected-parameters"


def _assigned(source: str) -> dict[str, object]:
    """The name -> value assignments of a parameters cell."""
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
    }


def _mismatch(page_cell: nbformat.NotebookNode, executed_cell: nbformat.NotebookNode) -> str:
    """Why an executed code cell is not the page's (empty when it is)."""
    if INJECTED_TAG in page_cell.metadata.get("tags", []):
        page, executed = _assigned(page_cell.source), _assigned(executed_cell.source)
        page.pop("OUTPUT_DIR", None)
        executed.pop("OUTPUT_DIR", None)
        if page != executed:
            return f"the parameters differ: the page has {page}, the execution {executed}"
        return ""
    if page_cell.source != executed_cell.source:
        return f"the cell {page_cell.source[:60]!r} differs from {executed_cell.source[:60]!r}"
    return ""


def cache_execution(
    executed: str | os.PathLike[str], source: str | os.PathLike[str], cache_path: Path = CACHE_PATH
) -> int:
    """File an executed notebook in the site's execution cache under the page of ``source``.

    Parameters
    ----------
    executed : path
        The ``.ipynb`` papermill wrote (e.g. by :func:`ig_tutorial.running.runner.execute_notebook`
        with the parameters the site is built with).
    source : path
        Its Jupytext source, ``notebooks/NN_name.py``.
    cache_path : Path, optional
        The jupyter-cache folder; default the one ``conf.py`` uses.

    Returns
    -------
    int
        The cache record's id.

    Raises
    ------
    ValueError
        If the execution is not of the page's code with the page's parameters (the build would
        not find it, or would show another notebook's outputs): names the first difference.
    """
    source = Path(source)
    page = read_offline_notebook(source.read_text())
    run = nbformat.read(executed, as_version=4)
    page_code = [cell for cell in page.cells if cell.cell_type == "code"]
    run_code = [cell for cell in run.cells if cell.cell_type == "code"]
    if len(page_code) != len(run_code):
        raise ValueError(
            f"{executed} has {len(run_code)} code cells, the page of {source.name} "
            f"{len(page_code)}: not an execution of this notebook."
        )
    for page_cell, run_cell in zip(page_code, run_code, strict=True):
        problem = _mismatch(page_cell, run_cell)
        if problem:
            raise ValueError(
                f"{executed} is not an execution of the page of {source.name}: {problem}"
            )
        page_cell.outputs = run_cell.outputs
        page_cell.execution_count = run_cell.execution_count
    for key in ("language_info", "widgets"):
        if key in run.metadata:
            page.metadata[key] = run.metadata[key]
    seconds = run.metadata.get("papermill", {}).get("duration")
    record = get_cache(str(cache_path)).cache_notebook_bundle(
        CacheBundleIn(page, str(PAGES / source.name), data={"execution_seconds": seconds}),
        check_validity=False,
        overwrite=True,
    )
    return record.pk
