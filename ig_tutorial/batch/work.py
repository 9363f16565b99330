"""The unit of work of a batch run: one input in, its outputs written, one record out.

Both engines call :func:`attribute_input` once per input, so they write the same files.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from pathlib import Path

import numpy as np

from ig_tutorial.batch.inputs import InputItem, content_hash
from ig_tutorial.batch.manifest import ImageRecord, finite_or_none
from ig_tutorial.batch.npz_files import load_npz, read_output_key, write_npz
from ig_tutorial.batch.settings import AttributionSettings, normalize_target
from ig_tutorial.cache import atomic_file
from ig_tutorial.ig.baselines import make_baseline
from ig_tutorial.ig.integrated_gradients import integrated_gradients
from ig_tutorial.images import read_image
from ig_tutorial.models.classifier import Classifier, class_label

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def output_stem(path: Path, key: str) -> str:
    """The outputs' name without suffix: the input's name and 16 digits of the key.

    For example ``cat-3fa9c2d1e0b47a55`` for ``photos/cat.jpg``: the key makes it unique, the
    name is for people.
    """
    stem = _UNSAFE.sub("_", Path(path).stem)[:60].strip("._") or "image"
    return f"{stem}-{key[:16]}"


# What a record takes from an .npz (a skipped input's, or one just written), and how.
_SUMMARY = {
    "target": int,
    "label": lambda label: str(label) or None,
    "m_steps": int,
    "num_evaluations": int,
    "relative_completeness_error": finite_or_none,
}


def _summary(arrays: dict) -> dict:
    return {name: read(arrays[name]) for name, read in _SUMMARY.items()}


def _write_figure(path: Path, image, baseline, attributions, title: str) -> None:
    import matplotlib.pyplot as plt

    from ig_tutorial.plotting.tutorial_figures import plot_img_attributions

    figure = plot_img_attributions(image, baseline, attributions, title=title)
    try:
        with atomic_file(path) as staging:
            figure.savefig(staging, dpi=100, format="png")
    finally:
        plt.close(figure)


def attribute_input(
    item: InputItem,
    model: Classifier,
    settings: AttributionSettings,
    output_dir: Path,
    *,
    target: int | str = "top-1",
    figures: bool = False,
    force: bool = False,
) -> ImageRecord:
    """Attribute one input and write its ``.npz`` (and PNG with ``figures``), or find them.

    The record is ``"skipped"`` when the ``.npz`` holds this run's key (and the PNG exists, if
    asked for) and ``force`` is off, ``"done"`` when computed now. Any error of this input (a
    bad file, an unknown label) becomes a ``"failed"`` record, so the run goes on. ``target`` is
    for an item without its own (from a targets CSV).
    """
    start = time.perf_counter()
    sha256 = item.sha256

    def record(status: str, **details) -> ImageRecord:
        seconds = round(time.perf_counter() - start, 4)
        return ImageRecord(item.source, sha256, status, seconds=seconds, **details)

    try:
        if item.error is not None or item.path is None:
            raise FileNotFoundError(item.error or f"{item.source!r} was not found.")
        sha256 = sha256 or content_hash(item.path)
        wanted = normalize_target(item.target if item.target is not None else target)
        key = settings.key(sha256, wanted)
        stem = output_stem(item.path, key)
        npz = output_dir / f"{stem}.npz"
        png = output_dir / f"{stem}.png" if figures else None
        outputs = ([png.name] if png else []) + [npz.name]
        if not force and read_output_key(npz) == key and (png is None or png.is_file()):
            return record("skipped", outputs=outputs, **_summary(load_npz(npz, _SUMMARY)))

        image = read_image(item.path, size=model.input_size)
        baseline = make_baseline(settings.baseline, image)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = integrated_gradients(
                model,
                image,
                wanted,
                baseline=baseline,
                m_steps=settings.m_steps,
                method=settings.method,
                batch_size=settings.batch_size,
                output=settings.output,
                tolerance=settings.tolerance,
                max_steps=settings.max_steps,
            )
        notes = [f"{w.category.__name__}: {w.message}" for w in caught]
        label = class_label(model, result.target)
        attributions = np.asarray(result.attributions).astype(settings.dtype)
        if not np.all(np.isfinite(attributions)):
            notes.append(f"some attributions are not finite as {settings.dtype}")
        if png is not None:
            title = f"{label} ({result.target})" if label else f"class {result.target}"
            _write_figure(png, image, baseline, result.attributions, title)
        arrays = {
            "attributions": attributions,
            "target": np.int64(result.target),
            "label": label or "",
            "score_at_input": np.float64(result.score_at_input),
            "score_at_baseline": np.float64(result.score_at_baseline),
            "completeness_delta": np.float64(result.completeness_delta),
            "relative_completeness_error": np.float64(result.relative_completeness_error),
            "m_steps": np.int64(result.m_steps),
            "num_evaluations": np.int64(result.num_evaluations),
            "estimated_error": np.float64(
                np.nan if result.estimated_error is None else result.estimated_error
            ),
            "input_sha256": sha256,
            "key": key,
            "settings": json.dumps(
                settings.as_dict() | {"target": wanted}, sort_keys=True, allow_nan=False
            ),
        }
        write_npz(npz, arrays)  # last: the .npz is the mark that the input is finished
        return record("done", outputs=outputs, warnings=notes, **_summary(arrays))
    except Exception as error:  # noqa: BLE001 - one bad input must not stop the run
        return record("failed", error=f"{type(error).__name__}: {error}")
