"""Sphinx configuration: the ig-tutorial site, built offline from the executed notebooks.

Toolchain: Sphinx + MyST-NB. MyST-NB reads the Jupytext py:percent sources through
``offline_notebook_reader.read_offline_notebook`` (which applies ``notebooks/offline.yaml``),
executes them with jupyter-cache (re-executing only notebooks whose code changed), and renders
their outputs, figures included. The API reference is generated from the numpy-style docstrings
by autodoc + napoleon.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))
sys.path.insert(0, str(DOCS.parent))
# Inherited by the notebook kernels: silence TensorFlow's C++ start-up logging.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _copy_notebook_sources() -> None:
    """Mirror ``notebooks/NN_*.py`` into ``docs/notebooks/`` (git-ignored) for Sphinx to read.

    A copy rather than a symlink: Sphinx resolves links by real path, and a symlink would put
    the pages outside the source folder. Unchanged files are left alone, so Sphinx and
    jupyter-cache see nothing new.
    """
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    sources = sorted((DOCS.parent / "notebooks").glob("[0-9][0-9]_*.py"))
    for source in sources:
        copy = target / source.name
        if not copy.is_file() or copy.read_bytes() != source.read_bytes():
            copy.write_bytes(source.read_bytes())
    for stale in set(target.glob("*.py")) - {target / s.name for s in sources}:
        stale.unlink()


_copy_notebook_sources()

project = "ig-tutorial"
author = "ig-tutorial developers"
copyright = "2026, ig-tutorial developers"
release = "0.1.0"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    # Ships MathJax with the site, so formulas render without the internet.
    "sphinx-mathjax-offline",
]

# Notebooks: the Jupytext sources are the pages; the paired .ipynb files are for Colab only.
nb_custom_formats = {".py": ["offline_notebook_reader.read_offline_notebook", {}, False]}
source_suffix = {".md": "myst-nb", ".py": "myst-nb", ".rst": "restructuredtext"}
exclude_patterns = [
    "_build",
    "*.py",  # this file and the reader: only notebooks/*.py are pages
    "**/.ipynb_checkpoints",
    "notebooks/outputs",
]
nb_execution_mode = "cache"
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
# Library chatter on stderr (TensorFlow start-up, progress bars) is not part of the lesson.
nb_output_stderr = "remove"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# API reference from numpy-style docstrings.
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# "Attributes" sections as :ivar: fields, so that they do not duplicate autodoc's entries for
# named-tuple and dataclass fields.
napoleon_use_ivar = True

html_theme = "sphinx_book_theme"
html_title = "ig-tutorial: Integrated Gradients for TensorFlow"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
}
