"""The Ray engine: the same batch job on a pool of Ray actors, on one machine or a cluster.

The inputs become a Ray Dataset (one row per input); ``map_batches`` sends them, one at a time,
to a pool of actors (``ActorPoolStrategy``), each of which loads the model once and runs
:func:`ig_tutorial.batch.work.attribute_input`: the same unit of work, so the same files, as the
local engine. The actors write the ``.npz`` and PNG files themselves and return only the small
manifest records, which the driver appends to the one manifest as they arrive.

On a cluster, the inputs and the output folder must therefore be at the same path on every node
(a shared file system), and ``ig-tutorial`` must be installed on every node. Without an address
(and without a running cluster in this process) a local cluster is started and shut down at the
end; ``ray_address="auto"`` joins the cluster of ``ray start``, ``"ray://head:10001"`` a remote
one.

Needs the ``[ray]`` extra (``pip install "ig-tutorial[ray]"``); this module is imported only
when the Ray engine is chosen.
"""

from __future__ import annotations

import builtins
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from ig_tutorial.batch.inputs import InputItem
from ig_tutorial.batch.manifest import ImageRecord
from ig_tutorial.batch.settings import AttributionSettings

#: Object store of a local cluster that this engine starts: only paths and records travel.
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20


def _import_ray():
    # Ray's progress-bar manager would replace builtins.print in this process for good.
    os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")
    try:
        import ray
        import ray.data
    except ImportError:
        raise ImportError(
            "The Ray engine needs Ray: pip install 'ig-tutorial[ray]' (or \"ray[data]\")."
        ) from None
    return ray


class _AttributionActor:
    """A Ray actor: loads the model once, then attributes one input per call."""

    def __init__(
        self,
        model: str,
        settings: dict,
        output_dir: str,
        options: dict,
        threads: int,
    ) -> None:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            pass  # a reused worker process already ran TensorFlow: its pool stays as it is
        if options.get("figures"):
            import matplotlib

            matplotlib.use("Agg")
        from ig_tutorial.models.loading import load_model

        self.model = load_model(model)
        self.settings = AttributionSettings(**settings)
        self.output_dir = Path(output_dir)
        self.options = options

    def __call__(self, batch: dict) -> dict:
        from ig_tutorial.batch.work import attribute_input

        records = []
        for text in batch["item"]:
            item = InputItem.from_json_dict(json.loads(str(text)))
            record = attribute_input(
                item, self.model, self.settings, self.output_dir, **self.options
            )
            records.append(record.to_json())
        return {"record": records}


def attribute_on_ray(
    items: list[InputItem],
    model: str,
    settings: AttributionSettings,
    output_dir: Path,
    *,
    target: int | str = "top-1",
    figures: bool = False,
    force: bool = False,
    workers: int | None = None,
    cpus_per_worker: float = 1,
    address: str | None = None,
) -> Iterator[ImageRecord]:
    """Attribute ``items`` on a pool of Ray actors; yield each record as it arrives.

    Parameters
    ----------
    items : list of InputItem
        The inputs.
    model : str
        The model's handle; each actor calls :func:`ig_tutorial.load_model` with it.
    settings : AttributionSettings
        As for the local engine.
    output_dir : pathlib.Path
        Where the actors write; must be reachable by every node.
    target, figures, force
        As for :func:`ig_tutorial.batch.work.attribute_input`.
    workers : int, optional
        Actors in the pool; default one per ``cpus_per_worker`` CPUs of the cluster.
    cpus_per_worker : float, default 1
        CPUs reserved per actor (and TensorFlow threads in it, at least 1).
    address : str, optional
        The cluster to join; default a cluster already running in this process, else a new
        local one (shut down at the end).

    Yields
    ------
    ImageRecord
        In the order the actors finish.

    Raises
    ------
    ImportError
        If Ray is not installed.
    ValueError
        If the pool needs more CPUs than the cluster has (its actors would never start).
    RuntimeError
        If the actors fail as a whole (e.g. the model cannot be loaded on a worker).
    """
    ray = _import_ray()
    if not items:
        return
    # Ray Data replaces builtins.print with its own (tqdm_ray.safe_print) while it runs; give the
    # caller's process (a notebook, a test session) its own print back afterwards.
    original_print = builtins.print
    started_here = False
    if not ray.is_initialized():
        options = {"include_dashboard": False, "log_to_driver": False}
        if address is None:
            options["object_store_memory"] = LOCAL_OBJECT_STORE_BYTES
        ray.init(address=address, logging_level=logging.WARNING, **options)
        started_here = True
    try:
        # Our own bar shows the progress; Ray Data's bars, and its notice that they are off, would
        # interleave with it. Its errors still surface as exceptions.
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        cluster_cpus = float(ray.cluster_resources().get("CPU", 0))
        if workers is None:
            workers = max(1, int(cluster_cpus // cpus_per_worker))
        if workers * cpus_per_worker > cluster_cpus:
            raise ValueError(
                f"{workers} worker(s) of {cpus_per_worker:g} CPU(s) need "
                f"{workers * cpus_per_worker:g} CPUs, but the Ray cluster has {cluster_cpus:g}; "
                "give fewer workers or CPUs per worker."
            )
        rows = [{"item": json.dumps(item.to_json_dict())} for item in items]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
        dataset = dataset.map_batches(
            _AttributionActor,
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
            num_cpus=cpus_per_worker,
            fn_constructor_kwargs={
                "model": model,
                "settings": settings.as_dict(),
                "output_dir": os.fspath(Path(output_dir).resolve()),
                "options": {"target": target, "figures": figures, "force": force},
                "threads": max(1, int(cpus_per_worker)),
            },
        )
        try:
            for row in dataset.iter_rows():
                yield ImageRecord.from_dict(json.loads(row["record"]))
        except ray.exceptions.RayError as error:
            # Ray's message is the whole remote traceback; its last line is the cause.
            lines = [line for line in str(error).splitlines() if line.strip()]
            cause = lines[-1].strip() if lines else type(error).__name__
            raise RuntimeError(f"The Ray workers failed: {cause}") from error
    finally:
        builtins.print = original_print
        if started_here:
            ray.shutdown()
