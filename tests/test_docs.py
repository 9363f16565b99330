"""The documentation site builds offline with warnings as errors.

The build executes every notebook with the offline profile (myst-nb + jupyter-cache, cached in
docs/_build/.jupyter_cache, so a second build re-runs only changed notebooks). The browser check
of the built site (scripts/check_site.py, headless Chromium) runs from scripts/check-docs.sh,
which .ci/run calls after the tests.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
    api = (out / "api.html").read_text()
    assert "integrated_gradients" in api and "Sundararajan" in api
