"""The notebook runner and ``ig-tutorial run``, on tiny notebooks that start a kernel in a second.

The tutorial notebooks themselves are executed in tests/test_notebooks.py.
"""

import json
import os
import re
import subprocess
import sys
import textwrap

import nbformat
import pytest

from ig_tutorial.running.cli import main
from ig_tutorial.running.runner import (
    NotebookFailure,
    execute_notebook,
    find_notebooks,
    load_parameters,
    parameter_names,
    read_notebook,
    run_notebooks,
)

PARAMETERS_CELL = '# %% tags=["parameters"]\nVALUE = 1\nOUTPUT_DIR = "outputs"\n'


def write_notebook(folder, name, body, parameters=PARAMETERS_CELL):
    """Write a py:percent notebook whose cells record what they saw into OUTPUT_DIR."""
    text = "# %% [markdown]\n# A test notebook\n\n" + parameters + "\n" + textwrap.dedent(body)
    path = folder / name
    path.write_text(text)
    return path


RECORDING_BODY = """
# %%
import json
import pathlib

pathlib.Path(OUTPUT_DIR, "seen.json").write_text(json.dumps({"VALUE": VALUE}))
print("value", VALUE)
"""

FAILING_BODY = """
# %%
x = 1

# %%
raise ValueError(f"bad value {VALUE}")
"""


@pytest.fixture
def notebook_dir(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder, "01_first.py", RECORDING_BODY)
    write_notebook(folder, "02_second.py", FAILING_BODY)
    (folder / "helper.py").write_text("x = 1\n")  # not a notebook: no NN_ prefix
    return folder


def test_find_notebooks_takes_every_numbered_file_in_order(notebook_dir):
    write_notebook(notebook_dir, "10_tenth.py", RECORDING_BODY)
    names = [path.name for path in find_notebooks(notebook_dir)]
    assert names == ["01_first.py", "02_second.py", "10_tenth.py"]


def test_find_notebooks_selects_by_number_name_or_path(notebook_dir):
    assert [p.name for p in find_notebooks(notebook_dir, ["02"])] == ["02_second.py"]
    assert [p.name for p in find_notebooks(notebook_dir, ["01_first"])] == ["01_first.py"]
    path = notebook_dir / "01_first.py"
    assert find_notebooks(notebook_dir, [str(path)]) == [path]
    with pytest.raises(FileNotFoundError, match="01_first, 02_second"):
        find_notebooks(notebook_dir, ["99"])
    with pytest.raises(ValueError, match="several notebooks"):
        find_notebooks(notebook_dir, ["0"])


def test_find_notebooks_in_an_empty_folder_says_what_it_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\[0-9\]\[0-9\]_\*\.py"):
        find_notebooks(tmp_path)


def test_load_parameters_merges_files_then_overrides(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("M_STEPS: 256\nIMAGES:\n  Coffee: coffee\n")
    second.write_text("M_STEPS: 64\n")
    merged = load_parameters([first, second], {"CMAP": "viridis"})
    assert merged == {"M_STEPS": 64, "IMAGES": {"Coffee": "coffee"}, "CMAP": "viridis"}


def test_load_parameters_rejects_a_file_that_is_not_a_mapping(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ValueError, match="must map names to values"):
        load_parameters([bad])
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        load_parameters([tmp_path / "missing.yaml"])


def test_parameter_names_reads_the_tagged_cell(notebook_dir):
    assert parameter_names(read_notebook(notebook_dir / "01_first.py")) == ["VALUE", "OUTPUT_DIR"]


def test_execute_notebook_injects_parameters_and_output_dir(notebook_dir, tmp_path):
    out = tmp_path / "out"
    run = execute_notebook(notebook_dir / "01_first.py", out, {"VALUE": 42})
    assert run.executed == out / "01_first.ipynb"
    assert json.loads((out / "seen.json").read_text()) == {"VALUE": 42}
    executed = nbformat.read(run.executed, as_version=4)
    printed = [o["text"] for c in executed.cells for o in c.get("outputs", []) if "text" in o]
    assert "value 42\n" in printed
    assert run.seconds > 0


def test_a_failing_cell_is_named_with_its_notebook(notebook_dir, tmp_path):
    with pytest.raises(NotebookFailure) as caught:
        execute_notebook(notebook_dir / "02_second.py", tmp_path / "out", {"VALUE": 7})
    failure = caught.value
    assert failure.notebook.name == "02_second.py"
    assert (failure.error_name, failure.error_value) == ("ValueError", "bad value 7")
    assert "raise ValueError" in failure.cell_source
    # Cells of the source: markdown, parameters, "x = 1", the failing one.
    assert failure.cell_number == 4
    assert failure.execution_count == 4  # parameters, injected parameters, "x = 1", failing
    message = str(failure)
    assert "02_second.py failed in cell 4 (In [4]: 'raise ValueError" in message
    assert "ValueError: bad value 7" in message
    # The partly executed notebook is kept, with the traceback in the failing cell.
    executed = nbformat.read(failure.executed, as_version=4)
    failing = [c for c in executed.cells if c.get("execution_count") == 4]
    assert [output["output_type"] for output in failing[0]["outputs"]] == ["error"]


def test_unknown_parameter_is_rejected_before_any_kernel_starts(notebook_dir, tmp_path):
    with pytest.raises(ValueError, match="M_STEP.*VALUE, OUTPUT_DIR"):
        execute_notebook(notebook_dir / "01_first.py", tmp_path / "out", {"M_STEP": 1})
    with pytest.raises(ValueError, match="no notebook defines them"):
        run_notebooks(find_notebooks(notebook_dir), tmp_path / "out", {"M_STEP": 1})


def test_run_notebooks_gives_each_notebook_only_its_own_parameters(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder, "01_first.py", RECORDING_BODY)
    extra = PARAMETERS_CELL + "EXTRA = 0\n"
    write_notebook(folder, "02_extra.py", "\n# %%\nprint(EXTRA)\n", parameters=extra)
    runs = run_notebooks(
        find_notebooks(folder), tmp_path / "out", {"VALUE": 3, "EXTRA": 5}, progress=False
    )
    assert [run.notebook.name for run in runs] == ["01_first.py", "02_extra.py"]
    assert json.loads((tmp_path / "out" / "seen.json").read_text()) == {"VALUE": 3}


def test_a_shared_profile_runs_a_notebook_that_takes_none_of_its_names(tmp_path):
    # `ig-tutorial run --offline --notebooks 10`: offline.yaml names MODEL, IMAGES, ..., which
    # notebook 10 does not take; they are known to the folder's other notebooks, so not typos.
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder, "01_first.py", RECORDING_BODY)
    extra = '# %% tags=["parameters"]\nEXTRA = 0\nOUTPUT_DIR = "outputs"\n'
    write_notebook(folder, "02_extra.py", "\n# %%\nprint(EXTRA)\n", parameters=extra)
    (only,) = find_notebooks(folder, ["02"])
    with pytest.raises(ValueError, match="VALUE: no notebook defines them"):
        run_notebooks([only], tmp_path / "out", {"VALUE": 3}, progress=False)
    known = find_notebooks(folder)
    runs = run_notebooks(
        [only], tmp_path / "out", {"VALUE": 3}, progress=False, known_notebooks=known
    )
    assert [run.notebook.name for run in runs] == ["02_extra.py"]
    with pytest.raises(ValueError, match="M_STEP: no notebook defines them"):
        run_notebooks([only], tmp_path / "out", {"M_STEP": 1}, known_notebooks=known)


def test_cli_run_executes_into_the_output_folder(notebook_dir, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        [
            "run",
            "--notebook-dir",
            str(notebook_dir),
            "--notebooks",
            "01",
            "-p",
            "VALUE",
            "[1, 2]",
            "--output",
            str(out),
            "--no-progress",
        ]
    )
    assert status == 0
    assert json.loads((out / "seen.json").read_text()) == {"VALUE": [1, 2]}
    assert "Executed 1 notebook(s)" in capsys.readouterr().out


def test_cli_run_exits_non_zero_naming_notebook_and_cell(notebook_dir, tmp_path, capsys):
    status = main(
        ["run", "--notebook-dir", str(notebook_dir), "--output", str(tmp_path), "--no-progress"]
    )
    error = capsys.readouterr().err
    assert status == 1
    assert "02_second.py failed in cell" in error
    assert "ValueError: bad value 1" in error
    # The notebook before the failing one ran and was written.
    assert (tmp_path / "01_first.ipynb").is_file()


def test_cli_run_with_a_parameters_file(notebook_dir, tmp_path):
    profile = tmp_path / "profile.yaml"
    profile.write_text("VALUE: from-file\n")
    args = ["run", "--notebook-dir", str(notebook_dir), "--notebooks", "01", "--no-progress"]
    status = main([*args, "-f", str(profile), "--output", str(tmp_path / "out")])
    assert status == 0
    assert json.loads((tmp_path / "out" / "seen.json").read_text()) == {"VALUE": "from-file"}


def test_cli_run_offline_reads_offline_yaml_from_the_notebook_folder(notebook_dir, tmp_path):
    (notebook_dir / "offline.yaml").write_text("VALUE: offline\n")
    args = ["run", "--offline", "--notebook-dir", str(notebook_dir), "--notebooks", "01"]
    status = main([*args, "--no-progress", "--output", str(tmp_path / "out")])
    assert status == 0
    assert json.loads((tmp_path / "out" / "seen.json").read_text()) == {"VALUE": "offline"}


#: What must not reach a learner: TensorFlow's C++ start-up lines, tqdm's missing-widget warning,
#: the kernel's transport warning.
NOISE = re.compile(
    r"oneDNN custom operations|cuInit|cuda_platform|cudart_stub|absl::InitializeLog"
    r"|IProgress not found|Kernel is running over TCP|without encryption"
)


def noise_in_notebook(path) -> list[str]:
    """The output texts of an executed notebook that match :data:`NOISE`."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") + json.dumps(output.get("data", {}))
            found += [line for line in text.splitlines() if NOISE.search(line)]
    return found


QUIET_BODY = """
# %%
import sys

import tensorflow as tf

from ig_tutorial.progress import progress_bar

for _ in progress_bar(range(3), desc="work"):
    pass
print("sum", float(tf.reduce_sum(tf.ones(3))))
"""


def test_the_main_job_and_its_notebooks_show_no_start_up_noise(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder, "01_quiet.py", QUIET_BODY)
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "ig_tutorial.running.cli", "run", "--notebook-dir", str(folder)]
        + ["--output", str(out)],
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"},
    )
    assert run.returncode == 0, run.stderr
    printed = run.stdout + run.stderr
    assert "01_quiet.py" in printed and "Executed 1 notebook(s)" in printed
    assert [line for line in printed.splitlines() if NOISE.search(line)] == []
    assert noise_in_notebook(out / "01_quiet.ipynb") == []
    assert "sum 3.0" in (out / "01_quiet.ipynb").read_text()
    assert (out / "logs" / "01_quiet.log").is_file()  # where the kernel's own lines went


def test_the_noise_check_sees_noise_in_a_notebook(tmp_path):
    noisy = (
        'import sys\nprint("E0000 cuda_platform.cc:52] failed call to cuInit", file=sys.stderr)\n'
    )
    write_notebook(tmp_path, "01_noisy.py", "# %%\n" + noisy)
    run = execute_notebook(tmp_path / "01_noisy.py", tmp_path / "out")
    assert len(noise_in_notebook(run.executed)) == 1


def test_cli_run_of_a_selection_takes_a_profile_for_the_whole_series(tmp_path):
    """What ``ig-tutorial run --offline --notebooks 06`` does with ``offline.yaml``."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder, "01_first.py", RECORDING_BODY)
    extra = PARAMETERS_CELL + "EXTRA = 0\n"
    write_notebook(folder, "02_extra.py", "\n# %%\nprint(EXTRA)\n", parameters=extra)
    profile = tmp_path / "profile.yaml"
    profile.write_text("VALUE: 4\nEXTRA: 5\n")
    out = tmp_path / "out"
    args = ["run", "--notebook-dir", str(folder), "--notebooks", "01", "--no-progress"]
    assert main([*args, "-f", str(profile), "--output", str(out)]) == 0
    assert json.loads((out / "seen.json").read_text()) == {"VALUE": 4}
