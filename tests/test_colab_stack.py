"""The pieces of ``scripts/colab-stack.sh`` that run without Colab's stack: fast, no kernel.

The script itself (building Colab's environment, executing every notebook there) runs in CI
after the test suite, from ``.ci/run``; see docs/instructors.md. Here: it refuses clearly without
a Python 3.13, and its report puts TensorFlow's log lines in the cell that was running.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("colab_stack", ROOT / "scripts" / "colab_stack.py")
colab_stack = sys.modules["colab_stack"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_stack)


def test_without_python_3_13_the_script_says_so_and_fails(tmp_path):
    run = subprocess.run(
        ["bash", str(ROOT / "scripts" / "colab-stack.sh")],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLAB_PYTHON": "/bin/false"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2
    assert "cannot run: Colab's Python is 3.13 and none was found" in run.stderr
    assert "COLAB_PYTHON" in run.stderr


def timed_cell(source: str, start: str, end: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["execution"] = {"iopub.execute_input": start, "shell.execute_reply": end}
    return cell


def test_log_lines_go_with_the_cell_that_ran(tmp_path):
    # Local time, as TensorFlow writes it; nbclient's times are UTC.
    local = "%Y-%m-%d %H:%M:%S.%f"
    from datetime import datetime, timezone

    def stamp(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")

    t0 = 1_764_575_000.0
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 1"),
            timed_cell("import tensorflow", stamp(t0), stamp(t0 + 10)),
            timed_cell("model.fit(...)", stamp(t0 + 10), stamp(t0 + 20)),
        ]
    )
    log = tmp_path / "kernel.log"
    log.write_text(
        f"{datetime.fromtimestamp(t0 + 1).strftime(local)}: I cpu_feature_guard.cc:210] "
        "This TensorFlow binary is optimized\n"
        "To enable the following instructions: AVX2 FMA\n"
        f"{datetime.fromtimestamp(t0 + 2).strftime(local)}: E cuda_platform.cc:51] "
        "failed call to cuInit\n"
        f"E0000 00:00:{t0 + 15:.6f}   4242 node_def_util.cc:680] NodeDef mentions attribute "
        "use_unbounded_threadpool\n"
        "Exception ignored in atexit callback\nTraceback (most recent call last):\n"
        "AttributeError: 'OutStream' object has no attribute 'watch_fd_thread'\n"
    )
    assert colab_stack.log_warnings(log, notebook) == [
        (2, "E cuda_platform.cc:51] failed call to cuInit"),
        (3, "E node_def_util.cc:680] NodeDef mentions attribute use_unbounded_threadpool"),
        (
            "kernel",
            "Exception ignored in atexit callback ... AttributeError: 'OutStream' object has no "
            "attribute 'watch_fd_thread'",
        ),
    ]
