"""Progress bars: tqdm's notebook widget where ``ipywidgets`` is installed, its text bar elsewhere.

``tqdm.auto`` without ``ipywidgets`` (a plain Jupyter or papermill kernel) warns "IProgress not
found" in every notebook.
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
    """A tqdm progress bar; ``options`` are tqdm's (``total``, ``desc``, ``disable``...)."""
    return _tqdm(iterable, **options)


def batches_bar(points: int | None, batch_size: int, *, desc: str, progress: bool) -> std.tqdm:
    """A bar over the model calls of ``points`` path points (``None``: not known in advance).

    Advanced once per call of ``batch_size`` points; disabled unless ``progress``; it disappears
    when closed.
    """
    total = None if points is None else -(-points // batch_size)
    return progress_bar(total=total, desc=desc, unit="batch", disable=not progress, leave=False)
