"""Attributing a whole folder or dataset: streaming, resumable, shardable, local or on Ray.

Machinery, not the lesson: it runs the IG core (:mod:`ig_tutorial.ig`) over many files and
writes what it finds. :func:`attribute_files` is the Python API, ``ig-tutorial attribute
<inputs> --output-dir DIR`` the command (``docs/batch.md`` shows both). The modules:

- :mod:`~ig_tutorial.batch.inputs`: files, folders, patterns, list files, targets CSV, content
  hashes, shards;
- :mod:`~ig_tutorial.batch.settings`: the run's settings and the key of an output;
- :mod:`~ig_tutorial.batch.work`: one input in, its files written, one record out;
- :mod:`~ig_tutorial.batch.npz_files`: each image's ``.npz``, atomic and reproducible;
- :mod:`~ig_tutorial.batch.manifest`: the ``manifest.jsonl``, a locked journal of the records;
- :mod:`~ig_tutorial.batch.verification`: checking an output folder after a run;
- :mod:`~ig_tutorial.batch.engines`: :func:`attribute_files` and the local engine;
- :mod:`~ig_tutorial.batch.ray_engine`: the Ray engine (imported only when chosen).
"""

from ig_tutorial.batch.engines import ENGINES, BatchRun, attribute_files
from ig_tutorial.batch.manifest import ImageRecord, read_manifest, read_output_folder
from ig_tutorial.batch.npz_files import load_npz
from ig_tutorial.batch.verification import verify_output_folder

__all__ = [
    "ENGINES",
    "BatchRun",
    "ImageRecord",
    "attribute_files",
    "load_npz",
    "read_manifest",
    "read_output_folder",
    "verify_output_folder",
]
