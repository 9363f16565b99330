"""Attribute many files, streaming: the Python API behind ``ig-tutorial attribute``.

:func:`attribute_files` plans a run (finds the inputs, their targets and shard, checks every
setting) and returns a :class:`BatchRun`; iterating it attributes the inputs one at a time and
yields an :class:`~ig_tutorial.batch.manifest.ImageRecord` for each as soon as it is finished::

    from ig_tutorial.batch import attribute_files

    run = attribute_files(["photos/"], "attributions/", "efficientnet-lite0", m_steps=64)
    for record in run:
        print(record.input, record.status, record.relative_completeness_error)
    print(run.counts, run.manifest_path)

Only one image, its attributions and its figure are in memory at a time. Two engines run the
same unit of work (:func:`ig_tutorial.batch.work.attribute_input`): ``"local"`` in this process,
and ``"ray"`` on a pool of Ray actors (:mod:`ig_tutorial.batch.ray_engine`, needs the ``[ray]``
extra; Ray is imported only then). Either way this process writes the manifest.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
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
from ig_tutorial.models.classifier import Classifier
from ig_tutorial.models.loading import load_model
from ig_tutorial.progress import progress_bar
from ig_tutorial.sources import BUNDLED_MODEL

#: Where the work runs: this process, or a Ray cluster.
ENGINES: tuple[str, ...] = ("local", "ray")


class BatchRun:
    """A planned batch run; iterate it (once) to run it.

    Attributes
    ----------
    items : list of InputItem
        The inputs of this run (of this shard, with ``shard``).
    total : int
        ``len(items)``.
    output_dir : pathlib.Path
        Where the outputs and the manifest go.
    manifest_path : pathlib.Path
        The manifest this run writes.
    settings : AttributionSettings
        How every image is attributed.
    unmatched_targets : list of pathlib.Path
        Rows of the targets CSV that name no input.
    counts : collections.Counter
        Records so far by status (``"done"``, ``"skipped"``, ``"failed"``).
    seconds : float
        Wall time of the iteration so far.
    """

    def __init__(
        self,
        items: list[InputItem],
        output_dir: Path,
        model: Classifier | str,
        settings: AttributionSettings,
        *,
        target: int | str,
        figures: bool,
        force: bool,
        shard: tuple[int, int] | None,
        engine: str,
        workers: int | None,
        cpus_per_worker: float,
        ray_address: str | None,
        progress: bool,
        unmatched_targets: list[Path],
    ) -> None:
        self.items = items
        self.total = len(items)
        self.output_dir = output_dir
        self.manifest_path = output_dir / manifest_name(shard)
        self.settings = settings
        self.unmatched_targets = unmatched_targets
        self.counts: Counter[str] = Counter()
        self.seconds = 0.0
        self._model = model
        self._options = {"target": target, "figures": figures, "force": force}
        self._engine = engine
        self._workers = workers
        self._cpus_per_worker = cpus_per_worker
        self._ray_address = ray_address
        self._progress = progress
        self._started = False

    def _records(self) -> Iterator[ImageRecord]:
        if self._engine == "local":
            for item in self.items:
                yield attribute_input(
                    item, self._model, self.settings, self.output_dir, **self._options
                )
        else:
            from ig_tutorial.batch.ray_engine import attribute_on_ray

            yield from attribute_on_ray(
                self.items,
                os.fspath(self._model),
                self.settings,
                self.output_dir,
                workers=self._workers,
                cpus_per_worker=self._cpus_per_worker,
                address=self._ray_address,
                **self._options,
            )

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
        records = self._records()
        start = time.perf_counter()
        try:
            for record in records:
                manifest.append(record)
                self.counts[record.status] += 1
                self.seconds = time.perf_counter() - start
                bar.update(1)
                bar.set_postfix({status: self.counts[status] for status in STATUSES}, refresh=False)
                yield record
        finally:
            records.close()  # stops the engine (and a Ray cluster it started)
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

    Everything that can be checked before reading an image is checked here, so a bad setting
    fails at once with a clear error; problems of single inputs are recorded as failed when the
    run reaches them, and the run goes on.

    Parameters
    ----------
    inputs : iterable of str or os.PathLike
        Files, folders (searched recursively), glob patterns, ``@list`` files, bundled photo
        names or URLs (see :mod:`ig_tutorial.batch.inputs`).
    output_dir : str or os.PathLike
        Where the ``.npz`` files, figures and the manifest go. Never searched for inputs.
    model : Classifier, str or os.PathLike, default "efficientnet-lite0"
        A loaded model, or a handle for :func:`ig_tutorial.load_model`. The Ray engine needs a
        handle: each worker loads the model itself.
    target : int or str, default "top-1"
        The class to explain for every input without a row in ``targets_file``.
    targets_file : str or os.PathLike, optional
        A CSV of ``path,target`` rows (:func:`ig_tutorial.batch.inputs.read_targets`). Then
        every input needs a row; one without is recorded as failed.
    m_steps, method, baseline, output, tolerance, max_steps, batch_size
        As for :func:`ig_tutorial.integrated_gradients` (``baseline`` by name).
    dtype : {"float32", "float16"}, default "float32"
        How attributions are stored.
    figures : bool, default False
        Also write the tutorial's 2x2 figure of each image as PNG.
    force : bool, default False
        Recompute inputs whose outputs exist.
    shard : str or tuple of int, optional
        ``"K/N"``: attribute only shard K of N (by content hash; see
        :func:`ig_tutorial.batch.inputs.shard_of`), and write ``manifest-K-of-N.jsonl``. The N
        shards are disjoint and together cover every input, so N jobs of any scheduler can
        share one output folder.
    engine : {"local", "ray"}, default "local"
        Where to run.
    workers : int, optional
        Ray only: how many actors, each loading the model once (default: one per
        ``cpus_per_worker`` CPUs of the cluster).
    cpus_per_worker : float, default 1
        Ray only: CPUs reserved per actor; TensorFlow in the actor uses as many threads.
    ray_address : str, optional
        Ray only: the cluster to join (e.g. ``"ray://head:10001"`` or ``"auto"``); by default a
        running cluster of this process, else a new local one.
    progress : bool, default False
        Show a progress bar: images done, skipped, failed and the rate.

    Returns
    -------
    BatchRun
        Iterate it to run; it yields one :class:`~ig_tutorial.batch.manifest.ImageRecord` per
        input as it finishes (in input order on the local engine, in finishing order on Ray).

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
        items, unmatched = assign_targets(
            items, read_targets(targets_file), Path(targets_file).name
        )
    if shard is not None:
        items = select_shard(items, shard)
    if engine == "local" and not isinstance(model, Classifier):
        model = load_model(model)
    if engine == "local" and isinstance(target, str) and target != "top-1":
        if model.labels is None:
            raise ValueError(f"target {target!r} is a label, but the model has no labels.")
        model.labels.index(target)  # raises, suggesting close names, if unknown
    return BatchRun(
        items,
        output_dir,
        model,
        settings,
        target=target,
        figures=figures,
        force=force,
        shard=shard,
        engine=engine,
        workers=workers,
        cpus_per_worker=cpus_per_worker,
        ray_address=ray_address,
        progress=progress,
        unmatched_targets=unmatched,
    )
