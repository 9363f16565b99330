"""Attribute many files, streaming: :func:`attribute_files`, behind ``ig-tutorial attribute``.

It plans a run and returns a :class:`BatchRun`; iterating that attributes the inputs one at a
time and yields each :class:`~ig_tutorial.batch.manifest.ImageRecord` as soon as it is finished,
so only one image is in memory at a time (``docs/batch.md`` shows an example). Both engines
run :func:`~ig_tutorial.batch.work.attribute_input`: ``"local"`` in this process, ``"ray"`` on a
pool of Ray actors (:mod:`~ig_tutorial.batch.ray_engine`, which alone imports Ray). Either way
this process writes the manifest.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ig_tutorial.batch.inputs import (
    InputItem,
    assign_targets,
    discover_inputs,
    read_targets,
    select_shard,
)
from ig_tutorial.batch.manifest import STATUSES, ImageRecord, ManifestWriter, manifest_name
from ig_tutorial.batch.settings import (
    DEFAULT_MAX_STEPS,
    DEFAULT_METHOD,
    DEFAULT_OUTPUT,
    DEFAULT_TOLERANCE,
    AttributionSettings,
    model_identity,
    normalize_target,
)
from ig_tutorial.batch.work import attribute_input
from ig_tutorial.cache import is_url, remove_stale_partials
from ig_tutorial.checks import one_of, positive_integer, positive_number, shard_spec
from ig_tutorial.ig.targets import class_of
from ig_tutorial.models.classifier import Classifier
from ig_tutorial.models.loading import load_model
from ig_tutorial.progress import progress_bar
from ig_tutorial.sources import BUNDLED_MODEL

#: Where the work runs: this process, or a Ray cluster.
ENGINES: tuple[str, ...] = ("local", "ray")


@dataclass
class BatchRun:
    """A planned batch run; iterate it (once) to run it.

    ``items`` are the inputs of this run (of this shard), ``unmatched_targets`` the targets
    CSV's paths that name no input; ``counts`` (records by status) and ``seconds`` grow as it
    runs.
    """

    items: list[InputItem]
    output_dir: Path
    manifest_path: Path
    settings: AttributionSettings
    unmatched_targets: list[Path]
    _records: Generator[ImageRecord, None, None] = field(
        repr=False
    )  # lazy: the engine starts when iterated
    _progress: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    _started: bool = False

    @property
    def total(self) -> int:
        """How many inputs this run attributes."""
        return len(self.items)

    def __iter__(self) -> Iterator[ImageRecord]:
        """Run: attribute every input, append its record to the manifest, and yield it."""
        if self._started:
            raise RuntimeError("A BatchRun runs once; call attribute_files again to rerun.")
        self._started = True
        self.output_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(self.output_dir)
        manifest = ManifestWriter(self.manifest_path)
        bar = progress_bar(
            total=self.total,
            desc="attributing",
            unit="image",
            disable=not self._progress,
            dynamic_ncols=True,
        )
        start = time.perf_counter()
        try:
            for record in self._records:
                manifest.append(record)
                self.counts[record.status] += 1
                self.seconds = time.perf_counter() - start
                bar.update(1)
                bar.set_postfix({status: self.counts[status] for status in STATUSES}, refresh=False)
                yield record
        finally:
            self._records.close()  # stops the engine (and a Ray cluster it started)
            bar.close()
            manifest.close()
            self.seconds = time.perf_counter() - start

    def run(self) -> BatchRun:
        """Run to the end without looking at the records; return ``self`` (see ``counts``)."""
        for _ in self:
            pass
        return self


def _check_model_handle(handle: str) -> None:
    """Fail here, not in every Ray worker, when a model handle names no SavedModel folder."""
    if handle == BUNDLED_MODEL or is_url(handle):
        return
    folder = Path(handle).expanduser()
    if not any((folder / name).is_file() for name in ("saved_model.pb", "saved_model.pbtxt")):
        raise FileNotFoundError(
            f"Model {handle!r} is neither a TF-Hub URL, a SavedModel folder, nor "
            f"{BUNDLED_MODEL!r} (the bundled offline model)."
        )


def attribute_files(
    inputs: Iterable[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    model: Classifier | str | os.PathLike[str] = "efficientnet-lite0",
    *,
    target: int | str = "top-1",
    targets_file: str | os.PathLike[str] | None = None,
    m_steps: int | str = 64,
    method: str = DEFAULT_METHOD,
    baseline: str = "black",
    output: str = DEFAULT_OUTPUT,
    tolerance: float = DEFAULT_TOLERANCE,
    max_steps: int = DEFAULT_MAX_STEPS,
    batch_size: int | str | None = None,
    dtype: str = "float32",
    figures: bool = False,
    force: bool = False,
    shard: str | tuple[int, int] | None = None,
    engine: str = "local",
    workers: int | None = None,
    cpus_per_worker: float = 1,
    ray_address: str | None = None,
    progress: bool = False,
) -> BatchRun:
    """Plan Integrated Gradients for many image files; iterate the result to run it.

    Every setting is checked here, before any image is read; a bad input is recorded as failed
    when the run reaches it, and the run goes on.

    Parameters
    ----------
    inputs : iterable of str or os.PathLike
        Files, folders, glob patterns, ``@list`` files, bundled photo names or URLs
        (:func:`~ig_tutorial.batch.inputs.discover_inputs`).
    output_dir : str or os.PathLike
        Where the ``.npz`` files, figures and the manifest go; never searched for inputs.
    model : Classifier, str or os.PathLike, default "efficientnet-lite0"
        A loaded model, or a handle for :func:`~ig_tutorial.load_model` (the Ray engine needs
        a handle: each worker loads the model).
    target : int or str, default "top-1"
        The class to explain for every input without a row in ``targets_file``.
    targets_file : str or os.PathLike, optional
        A CSV of ``path,target`` rows; then an input without a row is recorded as failed.
    m_steps, method, baseline, output, tolerance, max_steps, batch_size
        As for :func:`~ig_tutorial.integrated_gradients` (``baseline`` by name).
    dtype : {"float32", "float16"}, default "float32"
        How attributions are stored.
    figures : bool, default False
        Also write each image's figure as PNG.
    force : bool, default False
        Recompute inputs whose outputs exist.
    shard : str or tuple of int, optional
        ``"K/N"``: only shard K of N, by content hash; it writes ``manifest-K-of-N.jsonl``.
    engine : {"local", "ray"}, default "local"
        Where to run.
    workers, cpus_per_worker, ray_address
        Ray only: how many actors (default one per ``cpus_per_worker`` CPUs of the cluster),
        the CPUs and TensorFlow threads of each, and the cluster to join (default: a running
        one of this process, else a new local one).
    progress : bool, default False
        Show a progress bar.

    Returns
    -------
    BatchRun
        Yields one record per input as it finishes (in input order locally, in finishing order
        on Ray).

    Raises
    ------
    ValueError
        For an invalid setting, engine, shard or target label, a pattern that matches nothing,
        or a bad targets CSV.
    FileNotFoundError
        For a missing list file, targets file or model folder.
    """
    one_of(engine, ENGINES, "engine")
    if engine == "local" and (workers is not None or ray_address is not None):
        raise ValueError("workers and ray_address are for engine='ray'; the local engine is one.")
    if engine == "ray":
        if workers is not None:
            workers = positive_integer(workers, "workers")
        cpus_per_worker = positive_number(cpus_per_worker, "cpus_per_worker")
        if isinstance(model, Classifier):
            raise ValueError(
                "The Ray engine loads the model in each worker: give its handle (a SavedModel "
                "folder, a TF-Hub handle or 'efficientnet-lite0'), not a loaded Classifier."
            )
        _check_model_handle(os.fspath(model))
    shard = None if shard is None else shard_spec(shard)
    target = normalize_target(target)
    settings = AttributionSettings(
        model=model_identity(model),
        m_steps=m_steps,
        method=method,
        baseline=baseline,
        output=output,
        tolerance=tolerance,
        max_steps=max_steps,
        batch_size=batch_size,
        dtype=dtype,
    )
    output_dir = Path(output_dir).expanduser()
    items = discover_inputs(inputs, exclude=output_dir)
    unmatched: list[Path] = []
    if targets_file is not None:
        targets = read_targets(targets_file)
        items, unmatched = assign_targets(items, targets, Path(targets_file).name)
    if shard is not None:
        items = select_shard(items, shard)
    options = {"target": target, "figures": figures, "force": force}
    if engine == "local":
        model = model if isinstance(model, Classifier) else load_model(model)
        class_of(model, target)  # a label the model lacks is refused before any work
        records = (attribute_input(i, model, settings, output_dir, **options) for i in items)
    else:
        from ig_tutorial.batch.ray_engine import attribute_on_ray  # imports Ray when iterated

        ray = {"workers": workers, "cpus_per_worker": cpus_per_worker, "address": ray_address}
        records = attribute_on_ray(items, os.fspath(model), settings, output_dir, options, **ray)
    path = output_dir / manifest_name(shard)
    return BatchRun(items, output_dir, path, settings, unmatched, records, progress)
