"""The Ray engine: the batch job on a pool of Ray actors, on one machine or a cluster.

The inputs become a Ray Dataset, one row per input, mapped through a pool of actors
(``ActorPoolStrategy``) that each load the model once and run
:func:`~ig_tutorial.batch.work.attribute_input`, writing the same files as the local engine;
only the records travel back. ``docs/batch.md`` (*Shards and Ray*) says what a cluster needs.
This module alone imports Ray (the ``[ray]`` extra), and only when the engine runs.
"""

from __future__ import annotations

import builtins
import logging
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

from ig_tutorial.batch.inputs import InputItem
from ig_tutorial.batch.manifest import ImageRecord
from ig_tutorial.batch.settings import AttributionSettings

#: Object store of a local cluster that this engine starts: only paths and records travel.
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20


class _AttributionActor:
    """A Ray actor: loads the model once, then attributes one input per call."""

    def __init__(
        self, model: str, settings: dict, output_dir: str, options: dict, threads: int
    ) -> None:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            pass  # a reused worker process already ran TensorFlow: its pool stays as it is
        if options["figures"]:
            import matplotlib

            matplotlib.use("Agg")
        from ig_tutorial.models.loading import load_model

        self.model = load_model(model)
        self.settings = AttributionSettings(**settings)
        self.output_dir = Path(output_dir)
        self.options = options

    def __call__(self, batch: dict) -> dict:
        from ig_tutorial.batch.work import attribute_input

        records = [
            attribute_input(
                pickle.loads(item), self.model, self.settings, self.output_dir, **self.options
            )
            for item in batch["item"]
        ]
        return {"record": [pickle.dumps(record) for record in records]}


def attribute_on_ray(
    items: list[InputItem],
    model: str,
    settings: AttributionSettings,
    output_dir: Path,
    options: dict,
    *,
    workers: int | None = None,
    cpus_per_worker: float = 1,
    address: str | None = None,
) -> Iterator[ImageRecord]:
    """Attribute ``items`` on a pool of Ray actors; yield each record as it arrives.

    ``options`` are :func:`~ig_tutorial.batch.work.attribute_input`'s, ``model`` a handle that
    each actor loads; the others are as for :func:`~ig_tutorial.batch.engines.attribute_files`.
    Without ``address``, a cluster already running in this process is used, else a local one
    is started and shut down at the end.

    Raises
    ------
    ImportError
        If Ray is not installed.
    ValueError
        If the pool needs more CPUs than the cluster has (its actors would never start).
    RuntimeError
        If the actors fail as a whole (e.g. the model cannot be loaded on a worker).
    """
    os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")  # else Ray replaces print for good
    try:
        import ray
        import ray.data
    except ImportError:
        raise ImportError(
            "The Ray engine needs Ray: pip install 'ig-tutorial[ray]' (or \"ray[data]\")."
        ) from None
    if not items:
        return
    # Ray Data replaces builtins.print while it runs; the caller gets its own back afterwards.
    original_print = builtins.print
    started_here = not ray.is_initialized()
    if started_here:
        local = {"object_store_memory": LOCAL_OBJECT_STORE_BYTES} if address is None else {}
        ray.init(
            address=address,
            logging_level=logging.WARNING,
            include_dashboard=False,
            log_to_driver=False,
            **local,
        )
    try:
        # Our own bar shows the progress; Ray Data's bars would interleave with it.
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        ray.data.DataContext.get_current().enable_progress_bars = False
        cluster_cpus = float(ray.cluster_resources().get("CPU", 0))
        if workers is None:
            workers = max(1, int(cluster_cpus // cpus_per_worker))
        if workers * cpus_per_worker > cluster_cpus:
            raise ValueError(
                f"{workers} worker(s) of {cpus_per_worker:g} CPU(s) need "
                f"{workers * cpus_per_worker:g} CPUs, but the Ray cluster has {cluster_cpus:g}; "
                "give fewer workers or CPUs per worker."
            )
        rows = [{"item": pickle.dumps(item)} for item in items]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            _AttributionActor,
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
            num_cpus=cpus_per_worker,
            fn_constructor_kwargs={
                "model": model,
                "settings": settings.as_dict(),
                "output_dir": os.fspath(Path(output_dir).resolve()),
                "options": options,
                "threads": max(1, int(cpus_per_worker)),
            },
        )
        try:
            for row in dataset.iter_rows():
                yield pickle.loads(row["record"])
        except ray.exceptions.RayError as error:
            # Ray's message is the whole remote traceback; its last line is the cause.
            lines = [line for line in str(error).splitlines() if line.strip()]
            cause = lines[-1].strip() if lines else type(error).__name__
            raise RuntimeError(f"The Ray workers failed: {cause}") from error
    finally:
        builtins.print = original_print
        if started_here:
            ray.shutdown()
