"""The documentation site builds offline with warnings as errors.

The build executes every notebook with the offline profile (myst-nb + jupyter-cache, cached in
docs/_build/.jupyter_cache, so a second build re-runs only changed notebooks). The browser check
of the built site (scripts/check_site.py, headless Chromium) runs from scripts/check-docs.sh,
which .ci/run calls after the tests.
"""

import subprocess
import sys
from pathlib import Path

from ig_tutorial.course.markup import find_exercises
from ig_tutorial.running.runner import read_notebook

ROOT = Path(__file__).resolve().parents[1]
#: How MyST-NB renders a cell tagged hide-input (no notebook hides other cells' input).
SOLUTION_TOGGLE = '<details class="admonition hide above-input">'


def test_docs_build_with_warnings_as_errors():
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
    )
    assert run.returncode == 0, run.stderr[-5000:]
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
