"""What every tutorial notebook does first: reproducibility, a plotting backend, an output folder.

Every notebook calls :func:`setup_notebook` first (``notebooks/01_setup_and_classification.py``
explains it), so that none carries set-up code of its own, and re-running one prints the same
numbers (the tests re-run each notebook with nbval and compare).
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

DEFAULT_SEED = 0
#: Resolution of the PNG figures :func:`save_figure` writes.
FIGURE_DPI = 100


def _in_ipython_kernel() -> bool:
    """Whether a Jupyter kernel (papermill, nbval, Colab, JupyterLab) runs this code."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def setup_notebook(output_dir: str | os.PathLike[str], seed: int = DEFAULT_SEED) -> Path:
    """Make a notebook reproducible; create and return (absolute) the folder of its figures.

    Seeds Python's, NumPy's and TensorFlow's generators and turns on TensorFlow's op
    determinism (sums over threads then keep their last digits from run to run). Run as a plain
    script, not in Jupyter, the notebook gets matplotlib's ``Agg`` backend: no window blocks.

    Raises
    ------
    ValueError
        If ``output_dir`` (the notebook's ``OUTPUT_DIR``) is a file.
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
    """Add to matplotlib's font manager the fonts matplotlib ships that its font list lacks.

    The font list is cached in ``~/.cache/matplotlib``, shared by every installation of one
    version; one written by a build that takes the system's fonts lacks the STIX fonts mathtext
    needs for a log axis's tick labels, and each such figure logs about twenty ``findfont``
    lines under the cell. Only this process's font manager changes, not the cache file.

    Returns
    -------
    list of str
        The font files added (empty when none was missing).
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
    """A stable PNG file name for a figure: ``"04 Saturation!"`` -> ``"04_saturation.png"``.

    Raises
    ------
    ValueError
        If ``name`` has no letter or digit.
    """
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not stem:
        raise ValueError(f"Cannot name a figure file after {name!r}; use letters or digits.")
    return f"{stem}.png"


def save_figure(figure: Figure, output_dir: str | os.PathLike[str], name: str) -> None:
    """Write ``figure`` to ``output_dir`` as :func:`figure_file_name` of ``name``.

    Start ``name`` with the notebook's number (``"04_saturation"``), so that files of different
    notebooks never collide. Returns nothing, so that a cell ending with it shows the figure once.
    """
    figure.savefig(Path(output_dir) / figure_file_name(name), dpi=FIGURE_DPI)
