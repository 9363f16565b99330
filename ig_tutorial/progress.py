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


def batches_bar(points: int | None, batch_size: int, *, desc: str, progress: bool) -> std.tqdm:
    """A bar over the model calls of ``points`` path points, ``batch_size`` a call.

    Parameters
    ----------
    points : int or None
        How many points will be evaluated; ``None`` when not known in advance (``"auto"``).
    batch_size : int
        Points per model call.
    desc : str
        The bar's label, e.g. ``"IG batches"``.
    progress : bool
        Draw it; when ``False`` the bar is disabled and costs nothing.

    Returns
    -------
    tqdm.std.tqdm
        Advanced once per call; it disappears when closed (``leave=False``).
    """
    total = None if points is None else -(-points // batch_size)
    return progress_bar(total=total, desc=desc, unit="batch", disable=not progress, leave=False)
