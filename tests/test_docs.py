"""The documentation site builds offline with warnings as errors.

The site executes every notebook with the offline profile (myst-nb + jupyter-cache, cached in
docs/_build/.jupyter_cache, so a second build re-runs only changed notebooks). Here the pages
are the notebook tests' own executions on the test profile, filed in that cache first
(docs/execution_cache.py): each notebook runs once for both. The browser check of the built site
(scripts/check_site.py, headless Chromium) runs from scripts/check-docs.sh, which .ci/run calls
after the tests, with the same profile, so it finds the same cache.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache

from ig_tutorial.course.markup import find_exercises
from ig_tutorial.running.runner import read_notebook
from tests.notebook_runs import DOCS_ENVIRONMENT, NOTEBOOKS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
from execution_cache import CACHE_PATH, cache_execution  # noqa: E402
from offline_notebook_reader import read_offline_notebook  # noqa: E402

#: How MyST-NB renders a cell tagged hide-input (no notebook hides other cells' input).
SOLUTION_TOGGLE = '<details class="admonition hide above-input">'


def test_docs_build_with_warnings_as_errors(execute_offline, monkeypatch):
    for name, value in DOCS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for notebook, executed in zip(NOTEBOOKS, execute_offline.all(NOTEBOOKS), strict=True):
        cache_execution(executed.path, notebook)
    seeded = time.time()
    out = ROOT / "docs" / "_build" / "html"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "docs",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
        env=os.environ,
    )
    assert run.returncode == 0, run.stderr[-5000:]
    # Every page is a test execution: the build executed no notebook of its own.
    executed_by_the_build = [
        record.uri
        for record in get_cache(str(CACHE_PATH)).list_cache_records()
        if "/notebooks/" in record.uri and record.created.timestamp() > seeded
    ]
    assert executed_by_the_build == []
    assert (out / "index.html").is_file()
    assert (out / "api.html").is_file()
    notebook_pages = sorted((out / "notebooks").glob("[0-9][0-9]_*.html"))
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert [p.stem for p in notebook_pages] == [p.stem for p in sources]
    # Exercises: each solution cell folded behind MyST-NB's "Show code cell source" toggle.
    assert (out / "instructors.html").is_file()
    for source in sources:
        exercises = len(find_exercises(read_notebook(source)))
        page = (out / "notebooks" / f"{source.stem}.html").read_text()
        assert page.count(SOLUTION_TOGGLE) >= exercises, source.name
        assert exercises == 0 or "Show code cell source" in page
    api = (out / "api.html").read_text()
    assert "integrated_gradients" in api and "Sundararajan" in api


def _page_as_executed(notebook: Path, path: Path, change=None) -> Path:
    """The page of ``notebook`` written as if papermill had executed it into another folder."""
    page = read_offline_notebook(notebook.read_text())
    injected = next(c for c in page.cells if "injected-parameters" in c.metadata.get("tags", []))
    injected.source += '\nOUTPUT_DIR = "/somewhere/else"\n'
    if change:
        change(page)
    nbformat.write(page, path)
    return path


def test_an_execution_is_filed_under_its_page_and_nothing_else(tmp_path, monkeypatch):
    for name, value in DOCS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    notebook = ROOT / "notebooks" / "05_integration.py"
    cache = tmp_path / "cache"
    cache_execution(_page_as_executed(notebook, tmp_path / "ok.ipynb"), notebook, cache)
    # What the build looks up: the page as the reader makes it.
    get_cache(str(cache)).match_cache_notebook(read_offline_notebook(notebook.read_text()))

    def edit_code(page):
        next(c for c in page.cells if "= load_model(MODEL)" in c.source).source += "\nprint(1)"

    edited = _page_as_executed(notebook, tmp_path / "edited.ipynb", edit_code)
    with pytest.raises(ValueError, match=r"the cell .*load_model\(MODEL\)"):
        cache_execution(edited, notebook, cache)
    monkeypatch.setenv("IG_TUTORIAL_DOCS_M_STEPS", "16")  # the site would be built at 16 steps
    with pytest.raises(ValueError, match="the parameters differ.*'M_STEPS': 16"):
        cache_execution(tmp_path / "ok.ipynb", notebook, cache)
    other = ROOT / "notebooks" / "02_baseline.py"
    with pytest.raises(ValueError, match="not an execution"):
        cache_execution(tmp_path / "ok.ipynb", other, cache)
