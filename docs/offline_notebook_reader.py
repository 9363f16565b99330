"""Read a Jupytext notebook for the docs, with the offline papermill profile applied.

myst-nb calls :func:`read_offline_notebook` for every ``notebooks/NN_*.py`` page (see
``nb_custom_formats`` in ``conf.py``). It parses the py:percent source with Jupytext and injects
the parameters of ``notebooks/offline.yaml`` after the ``parameters`` cell, exactly as
``papermill -f notebooks/offline.yaml`` does. The site is therefore built offline with the bundled
model and photos, and myst-nb's execution cache is keyed on the sources *and* the profile.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import jupytext
import nbformat
import yaml
from papermill.parameterize import parameterize_notebook

from ig_tutorial.running.runner import parameters_for

OFFLINE_PROFILE = Path(__file__).resolve().parents[1] / "notebooks" / "offline.yaml"
#: Set to a number to build the site with fewer integration steps than the profile's. CI does
#: (64, as the notebook tests do) to keep its run short; the published site uses the profile.
M_STEPS_OVERRIDE = "IG_TUTORIAL_DOCS_M_STEPS"
#: Likewise for the tolerance of ``m_steps="auto"``: CI builds the site at the notebook tests'
#: 0.05 instead of the profile's 0.01.
TOLERANCE_OVERRIDE = "IG_TUTORIAL_DOCS_TOLERANCE"
# Notebooks link to each other's .ipynb (right in Jupyter and on Colab); on the site the pages
# are built from the .py sources, so the links must name those.
_NOTEBOOK_LINK = re.compile(r"\]\((\d\d_\w+)\.ipynb\)")


def read_offline_notebook(text: str, **kwargs: object) -> nbformat.NotebookNode:
    """Parse a py:percent notebook and inject the offline parameters.

    Parameters
    ----------
    text : str
        The notebook's Jupytext source.
    **kwargs
        Ignored; myst-nb passes the options given in ``nb_custom_formats``.

    Returns
    -------
    nbformat.NotebookNode
    """
    notebook = jupytext.reads(text, fmt="py:percent")
    for cell in notebook.cells:  # papermill expects every cell to carry a tags list
        cell.metadata.setdefault("tags", [])
        if cell.cell_type == "markdown":
            cell.source = _NOTEBOOK_LINK.sub(r"](\1.py)", cell.source)
    notebook.metadata["papermill"] = {}
    parameters = yaml.safe_load(OFFLINE_PROFILE.read_text())
    if os.environ.get(M_STEPS_OVERRIDE):
        parameters["M_STEPS"] = int(os.environ[M_STEPS_OVERRIDE])
    if os.environ.get(TOLERANCE_OVERRIDE):
        parameters["TOLERANCE"] = float(os.environ[TOLERANCE_OVERRIDE])
    own = parameters_for(notebook, parameters)  # each notebook declares only what it uses
    notebook = parameterize_notebook(notebook, own, kernel_name="python3", language="python")
    # papermill's bookkeeping is not part of the page.
    del notebook.metadata["papermill"]
    return notebook
