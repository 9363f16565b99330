"""The unit of work of a batch run: one input in, its outputs written, one record out.

Both engines (:mod:`ig_tutorial.batch.engines` on this machine, :mod:`ig_tutorial.batch.ray_engine`
on a Ray cluster) call :func:`attribute_input` once per input, so they write the same files.
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

#: Characters kept from an input's name in its output's name; the rest become ``_``.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_STEM_LENGTH = 60
_KEY_LENGTH = 16


def output_stem(path: Path, key: str) -> str:
    """The outputs' name without suffix: the input's name and the first 16 digits of the key.

    For example ``cat-3fa9c2d1e0b47a55`` for ``photos/cat.jpg``. The key makes it unique per
    content, target and settings (see :meth:`AttributionSettings.key`); the name is for people.
    """
    stem = _UNSAFE.sub("_", Path(path).stem)[:_STEM_LENGTH].strip("._") or "image"
    return f"{stem}-{key[:_KEY_LENGTH]}"


#: What a skipped input's record takes from its ``.npz`` (all but the attributions).
_SUMMARY_MEMBERS = ("target", "label", "m_steps", "num_evaluations", "relative_completeness_error")


def _summary_from_npz(path: Path) -> dict:
    data = load_npz(path, _SUMMARY_MEMBERS)
    label = str(data["label"])
    return {
        "target": int(data["target"]),
        "label": label or None,
        "m_steps": int(data["m_steps"]),
        "num_evaluations": int(data["num_evaluations"]),
        "relative_completeness_error": finite_or_none(data["relative_completeness_error"]),
    }


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
    """Attribute one input and write its outputs, or find them already written.

    Any error of this input (a missing, empty, truncated or non-image file, an unknown label) is
    caught and returned as a ``"failed"`` record with the error's type and message, so the run
    goes on.

    Parameters
    ----------
    item : InputItem
        The input; its ``target`` (from a targets CSV) wins over ``target``.
    model : Classifier
        The loaded model (its ``input_size`` is the size images are read at).
    settings : AttributionSettings
        How to attribute and store.
    output_dir : pathlib.Path
        Where the outputs go.
    target : int or str, default "top-1"
        The class to explain when the item has none.
    figures : bool, default False
        Also write the tutorial's 2x2 figure as PNG.
    force : bool, default False
        Recompute even if valid outputs exist.

    Returns
    -------
    ImageRecord
        ``"done"`` (computed now), ``"skipped"`` (valid outputs found: the ``.npz`` holds this
        run's key and the PNG exists if asked for), or ``"failed"``.
    """
    start = time.perf_counter()
    sha256 = item.sha256

    def record(status: str, **details) -> ImageRecord:
        # What every outcome records: the input, its hash if known, and the time spent so far.
        seconds = round(time.perf_counter() - start, 4)
        return ImageRecord(
            input=item.source, sha256=sha256, status=status, seconds=seconds, **details
        )

    try:
        if item.error is not None or item.path is None:
            raise FileNotFoundError(item.error or f"{item.source!r} was not found.")
        if sha256 is None:
            sha256 = content_hash(item.path)
        wanted = normalize_target(item.target if item.target is not None else target)
        key = settings.key(sha256, wanted)
        stem = output_stem(item.path, key)
        npz = output_dir / f"{stem}.npz"
        png = output_dir / f"{stem}.png" if figures else None
        outputs = ([png.name] if png is not None else []) + [npz.name]
        if not force and read_output_key(npz) == key and (png is None or png.is_file()):
            return record("skipped", outputs=outputs, **_summary_from_npz(npz))

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
        write_npz(
            npz,
            {
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
                    {**settings.as_dict(), "target": wanted}, sort_keys=True, allow_nan=False
                ),
            },
        )
        return record(
            "done",
            outputs=outputs,
            target=result.target,
            label=label,
            m_steps=result.m_steps,
            num_evaluations=result.num_evaluations,
            relative_completeness_error=finite_or_none(result.relative_completeness_error),
            warnings=notes,
        )
    except Exception as error:  # noqa: BLE001 - one bad input must not stop the run
        return record("failed", error=f"{type(error).__name__}: {error}")
