"""The notebooks' executions are shared by the pytest-xdist workers: each is made once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest
from filelock import FileLock

from tests.notebook_runs import Executed, NotebookExecutions, _shared_execution

# A notebook that leaves a line in a file each time it runs, slowly enough that two workers
# asking for it together would both run it if nothing stopped them.
COUNTED = """# %% tags=["parameters"]
OUTPUT_DIR = "."
COUNT_FILE = ""

# %%
import time

with open(COUNT_FILE, "a") as count:
    count.write("ran\\n")
time.sleep(1.0)
print("counted")
"""

FAILING = """# %% tags=["parameters"]
OUTPUT_DIR = "."

# %%
raise ValueError("the cell that fails")
"""


def _execution_in_a_worker(shared: str, notebook: str, queue) -> None:
    try:
        result = _shared_execution(Path(shared), Path(notebook))
    except Exception as error:  # reported to the test, which fails on it at once
        queue.put(f"the worker failed: {error!r}")
    else:
        queue.put(result if isinstance(result, str) else str(result.path))


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def two_workers():
    """Run ``_shared_execution`` in two processes at once; return what each got."""
    context = multiprocessing.get_context("spawn")

    def run(shared: Path, notebook: Path) -> list[str]:
        queue = context.Queue()
        workers = [
            context.Process(target=_execution_in_a_worker, args=(str(shared), str(notebook), queue))
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        got = [queue.get(timeout=240) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        return got

    return run


def test_two_workers_asking_at_once_share_one_execution(tmp_path, two_workers):
    shared = tmp_path / "shared"
    shared.mkdir()
    counter = tmp_path / "count.txt"
    text = COUNTED.replace('COUNT_FILE = ""', f"COUNT_FILE = {str(counter)!r}")
    notebook = _write(tmp_path, "01_counted.py", text)
    got = two_workers(shared, notebook)
    assert counter.read_text() == "ran\n"  # executed once, by whichever came first
    assert got[0] == got[1] and Path(got[0]).is_file()
    # A later test in either worker reads the same execution.
    later = _shared_execution(shared, notebook)
    assert isinstance(later, Executed) and str(later.path) == got[0]
    assert "counted" in later.path.read_text()
    assert later.output_dir == shared / "01_counted"
    assert counter.read_text() == "ran\n"


def test_a_failed_execution_is_shared_too(tmp_path, two_workers):
    shared = tmp_path / "shared"
    shared.mkdir()
    notebook = _write(tmp_path, "01_failing.py", FAILING)
    got = two_workers(shared, notebook)
    assert got[0] == got[1]
    assert "01_failing.py" in got[0] and "the cell that fails" in got[0]


QUICK = """# %% tags=["parameters"]
OUTPUT_DIR = "."

# %%
print("quick")
"""


def _hold_the_lock_until(shared: str, lock_name: str, record_name: str, held) -> None:
    """The other worker: hold a notebook's lock until ``record_name`` appears, then let go."""
    with FileLock(Path(shared) / lock_name):
        held.set()
        deadline = time.monotonic() + 120
        while not (Path(shared) / record_name).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        seen = sorted(path.name for path in Path(shared).glob("*.json"))
        (Path(shared) / "seen while held.txt").write_text(" ".join(seen))


def test_all_takes_the_notebooks_no_one_is_executing_first(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    first = _write(tmp_path, "01_first.py", QUICK)
    second = _write(tmp_path, "02_second.py", QUICK)
    context = multiprocessing.get_context("spawn")
    held = context.Event()
    other_worker = context.Process(
        target=_hold_the_lock_until, args=(str(shared), "01_first.lock", "02_second.json", held)
    )
    other_worker.start()
    assert held.wait(timeout=60)
    results = NotebookExecutions(shared).all([first, second])
    other_worker.join(timeout=60)
    # The second was made while the first was locked; the first after, and in order.
    assert (shared / "seen while held.txt").read_text() == "02_second.json"
    assert [result.notebook for result in results] == [first, second]
    assert all(isinstance(result, Executed) for result in results)
