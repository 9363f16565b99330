"""The Ray engine on a local two-CPU cluster writes what the local engine writes.

Needs the ``[ray]`` extra, which ``scripts/setup.sh`` installs for the tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import ray

from ig_tutorial.batch import attribute_files, read_output_folder, verify_output_folder
from ig_tutorial.models.loading import load_model
from tests.batch_fixtures import (
    PHOTOS,
    comparable,
    export_toy_model,
    make_input_folder,
    output_files,
)


@pytest.fixture(scope="module")
def local_cluster():
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=100 * 2**20,
        log_to_driver=False,
        logging_level="warning",
    )
    yield
    ray.shutdown()


def test_ray_with_two_workers_writes_the_local_engines_files(tmp_path, local_cluster):
    model = export_toy_model(tmp_path / "toy")
    make_input_folder(tmp_path / "in")
    inputs = [tmp_path / "in", tmp_path / "gone.png"]
    options = {"m_steps": 16, "targets_file": None, "target": "top-1"}
    local = attribute_files(inputs, tmp_path / "local", load_model(str(model)), **options).run()

    run = attribute_files(inputs, tmp_path / "ray", str(model), engine="ray", workers=2, **options)
    records = list(run)
    assert run.counts == {"done": len(PHOTOS), "failed": 3}
    assert sorted(r.input for r in records) == sorted(item.source for item in local.items)
    # Bitwise: the same unit of work, the same deterministic writer, the same CPU kernels. The
    # toy net's results do not depend on TensorFlow's thread count (1 per actor, TensorFlow's
    # default locally); a large model's do, slightly (docs/batch.md, "Shards and Ray").
    assert output_files(tmp_path / "ray") == output_files(tmp_path / "local")
    assert comparable(read_output_folder(tmp_path / "ray")) == comparable(
        read_output_folder(tmp_path / "local")
    )
    assert verify_output_folder(tmp_path / "ray") == []


def test_ray_pool_larger_than_the_cluster_is_refused(tmp_path, local_cluster):
    model = export_toy_model(tmp_path / "toy")
    photo = make_input_folder(tmp_path / "in", photos=("coffee",))["coffee"]
    run = attribute_files([photo], tmp_path / "out", str(model), engine="ray", workers=3)
    with pytest.raises(ValueError, match=r"3 worker\(s\) of 1 CPU\(s\) need 3 CPUs, .* has 2"):
        run.run()


def test_a_model_that_no_worker_can_load_fails_the_run(tmp_path, local_cluster):
    photo = make_input_folder(tmp_path / "in", photos=("coffee",))["coffee"]
    not_a_model = tmp_path / "empty"
    (not_a_model / "saved_model.pb").parent.mkdir()
    (not_a_model / "saved_model.pb").write_bytes(b"not a graph")
    run = attribute_files([photo], tmp_path / "out", str(not_a_model), engine="ray", workers=1)
    with pytest.raises(RuntimeError, match="The Ray workers failed: .*saved_model.pb"):
        run.run()
    with pytest.raises(FileNotFoundError, match="neither a TF-Hub URL, a SavedModel folder"):
        attribute_files([photo], tmp_path / "out", str(tmp_path / "in"), engine="ray")
    assert Path(tmp_path / "out" / "manifest.jsonl").read_text() == ""
