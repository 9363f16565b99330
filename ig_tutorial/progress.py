"""Progress bars: tqdm's notebook widget where it can be drawn, its text bar elsewhere.

``tqdm.auto`` picks the widget inside Jupyter, but where ``ipywidgets`` is missing (a plain
Jupyter or papermill kernel) it warns "IProgress not found" in every notebook that imports it.
:func:`progress_bar` asks for the widget only when ``ipywidgets`` is installed (as on Colab) and
otherwise draws tqdm's text bar, with no warning.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from typing import Any

from tqdm import std

if importlib.util.find_spec("ipywidgets") is not None:
    from tqdm.auto import tqdm as _tqdm
else:
    _tqdm = std.tqdm


def progress_bar(iterable: Iterable[Any] | None = None, **options: Any) -> std.tqdm:
    """A tqdm progress bar; ``options`` are tqdm's (``total``, ``desc``, ``unit``, ``disable``...).

    Returns
    -------
    tqdm.std.tqdm
        Use it like ``tqdm(...)``: iterate over it, or ``update()`` it and ``close()`` it (or use
        it as a context manager).
    """
    return _tqdm(iterable, **options)
