"""What every tutorial notebook does first: reproducibility, a plotting backend, an output folder.

Used by every notebook in ``notebooks/`` (first in ``notebooks/01_setup_and_classification.py``)
so that none of them carries set-up code of its own. Re-executing a notebook on the same machine
must print the same numbers (the tests re-run each notebook with nbval and compare), so
:func:`setup_notebook` seeds every random generator and turns on TensorFlow's op determinism.
It also makes sure matplotlib knows its own fonts (:func:`add_matplotlib_fonts`), so that a
figure with a log axis writes no ``findfont`` lines under the cell.
"""

from __future__ import annotations

import os
import random
import re
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

#: Seed of Python's, NumPy's and TensorFlow's random generators in every notebook.
DEFAULT_SEED = 0

#: Resolution of the PNG figures written by :func:`save_figure`.
FIGURE_DPI = 100


def _in_ipython_kernel() -> bool:
    """Whether a Jupyter kernel (papermill, nbval, Colab, JupyterLab) runs this code."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def setup_notebook(output_dir: str | os.PathLike[str], seed: int = DEFAULT_SEED) -> Path:
    """Make a tutorial notebook reproducible and create the folder its figures go to.

    Seeds Python's, NumPy's and TensorFlow's random generators, turns on
    :func:`tf.config.experimental.enable_op_determinism` (so that sums over threads do not change
    the last digits from one run to the next), and, when the notebook runs as a plain script
    (``python notebooks/01_setup_and_classification.py``), selects matplotlib's non-interactive
    ``Agg`` backend so that no window blocks. Inside Jupyter, figures stay inline.

    Parameters
    ----------
    output_dir : str or os.PathLike
        The notebook's ``OUTPUT_DIR`` parameter: where :func:`save_figure` writes PNG files.
        Created if missing.
    seed : int, default :data:`DEFAULT_SEED`
        Seed of every random generator.

    Returns
    -------
    pathlib.Path
        The output folder, absolute.

    Raises
    ------
    ValueError
        If ``output_dir`` exists but is a file.
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds the legacy global generator notebooks may use.
    tf.random.set_seed(seed)
    tf.config.experimental.enable_op_determinism()
    add_matplotlib_fonts()
    if not _in_ipython_kernel():
        import matplotlib

        matplotlib.use("Agg")
    folder = Path(output_dir).expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise ValueError(
            f"OUTPUT_DIR {str(folder)!r} is a file; give a folder for the figures instead."
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_matplotlib_fonts() -> list[str]:
    """Give matplotlib's font manager the fonts matplotlib ships, where its font list lacks them.

    Matplotlib keeps its font list in a cache file in ``~/.cache/matplotlib``, shared by every
    installation of one version. A list written by another build of that version (one that
    takes the system's fonts instead of shipping its own) lacks the STIX and Computer Modern
    fonts that mathtext loads for the tick labels of a log axis (``10^-2``); every such figure
    then writes about twenty ``findfont: Font family ['STIXGeneral'] not found`` lines to
    stderr, under the notebook's cell. This adds the missing ones to the font manager of this
    process (the cache file is left as it is) and does nothing when none is missing.

    Returns
    -------
    list of str
        The font files added (empty when the font list was complete).
    """
    import matplotlib
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {Path(font.fname).name for font in manager.ttflist}
    shipped = Path(matplotlib.get_data_path(), "fonts", "ttf")
    missing = sorted(str(path) for path in shipped.glob("*.ttf") if path.name not in known)
    for path in missing:
        manager.addfont(path)
    return missing


def figure_file_name(name: str) -> str:
    """Turn a figure name or image title into a stable PNG file name.

    Parameters
    ----------
    name : str
        E.g. ``"06_attributions Giant Panda"``.

    Returns
    -------
    str
        Lower case, runs of other characters replaced by ``_``, e.g.
        ``"06_attributions_giant_panda.png"``.

    Raises
    ------
    ValueError
        If ``name`` has no letter or digit to name a file after.
    """
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not stem:
        raise ValueError(f"Cannot name a figure file after {name!r}; use letters or digits.")
    return f"{stem}.png"


def save_figure(figure: Figure, output_dir: str | os.PathLike[str], name: str) -> None:
    """Write ``figure`` as ``output_dir/<name>.png`` under a stable, predictable file name.

    Like :meth:`matplotlib.figure.Figure.savefig` it returns nothing, so a notebook cell that
    ends with it displays only the figure.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        E.g. from :func:`ig_tutorial.plot_img_attributions`.
    output_dir : str or os.PathLike
        An existing folder, e.g. the one returned by :func:`setup_notebook`.
    name : str
        Figure name, see :func:`figure_file_name`; start it with the notebook's number
        (``"04_saturation"``) so that files of different notebooks never collide.
    """
    figure.savefig(Path(output_dir) / figure_file_name(name), dpi=FIGURE_DPI)
