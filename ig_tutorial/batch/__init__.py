"""Attributing a whole folder or dataset: streaming, resumable, shardable, local or on Ray.

Machinery, not the lesson: it runs the IG core over many files and writes what it finds.
:func:`attribute_files` is the Python API, ``ig-tutorial attribute <inputs> --output-dir DIR``
the command (``docs/batch.md``). The modules, in the data flow's order: ``inputs`` (files,
targets, hashes, shards), ``settings`` (and the key of an output), ``work`` (one input in, its
files written, one record out), ``npz_files``, ``manifest`` (the run's journal),
``verification``, ``engines`` (:func:`attribute_files`, the local engine) and ``ray_engine``.
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
