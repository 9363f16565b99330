"""Execute every tutorial notebook with nbclient, as a learner on Colab would; report each one.

Run by ``scripts/colab-stack.sh`` with the Python of the environment it builds (Colab's package
versions, this checkout's wheel installed), never from the checkout's sources: the kernels import
the installed ``ig_tutorial``. For each ``notebooks/NN_*.ipynb`` (what Colab opens), the offline
profile's values (``notebooks/offline.yaml``, only the names the notebook declares) are typed into
the ``parameters`` cell, keeping its Colab form annotations; no papermill (Colab has none). The
cells run in a fresh kernel whose working folder is ``<output>/<notebook>/``, so the figures go to
its ``outputs/``.

As in the main job (:mod:`ig_tutorial.running.runner`), what the kernel writes below Python
(TensorFlow's C++ logging) goes to ``<output>/logs/<notebook>.log``, not into the cells. The
report lists, by notebook and cell, what a learner would see besides the results: the stderr
text that reached the cells (Python warnings) and the warning and error lines of the kernel's log
(they reach the cells where the front end shows a kernel's stderr), each with the cell it came
during. Exit status 1 when a notebook has an error cell.

The parameters cells' Colab forms (``# @param``) are read here too: :func:`form_fields`, which
``tests/test_colab_forms.py`` uses to check that every value a form offers is one its notebook
accepts, and :func:`type_parameters`, which types values into a cell as a learner does.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from ig_tutorial.running.runner import (
    KERNEL_LOG_DIR,
    KERNEL_NAME,
    OFFLINE_PROFILE,
    PARAMETERS_TAG,
    find_notebooks,
    kernel_manager_writing_to,
    load_parameters,
    parameters_for,
)

ROOT = Path(__file__).resolve().parents[1]

#: A line of TensorFlow's C++ logging: its own format (local time) or absl's (seconds since the
#: epoch, before absl is set up), then severity, source file and line, message.
TF_LOG_LINE = re.compile(
    r"^(?:(?P<local>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+): (?P<severity>[IWEF]) "
    r"|(?P<absl_severity>[IWEF])\d{4} \d\d:\d\d:(?P<epoch>[\d.]+)\s+\d+ )"
    r"(?P<where>\S+:\d+)\] (?P<message>.*)$"
)


@dataclass
class Report:
    """What executing one notebook showed."""

    notebook: str
    seconds: float
    failure: str = ""
    #: (cell number, text) of every warning a learner would see, in order.
    warnings: list[tuple[int | str, str]] = field(default_factory=list)


def parameters_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook's one cell tagged ``parameters``."""
    tagged = [c for c in notebook.cells if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(f"expected one cell tagged {PARAMETERS_TAG!r}, found {len(tagged)}")
    return tagged[0]


def cell_number(notebook: nbformat.NotebookNode, cell: nbformat.NotebookNode) -> int:
    """Position of ``cell`` in the notebook, from 1, markdown cells included (as the runner)."""
    return next(number for number, c in enumerate(notebook.cells, start=1) if c is cell)


def has_error(cell: nbformat.NotebookNode) -> bool:
    """Whether a cell shows a traceback."""
    return any(output.get("output_type") == "error" for output in cell.get("outputs", []))


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _log_time(match: re.Match[str]) -> float:
    """Seconds since the epoch of a TensorFlow log line."""
    if match["epoch"]:
        return float(match["epoch"])
    return datetime.strptime(match["local"], "%Y-%m-%d %H:%M:%S.%f").timestamp()


def log_warnings(log: Path, notebook: nbformat.NotebookNode) -> list[tuple[int | str, str]]:
    """The warnings and errors of a kernel log, each with the cell that was running.

    TensorFlow's W, E and F lines carry a time; nbclient records when each cell started and
    ended, so each line goes with its cell (where Jupyter's default kernel set-up would have
    shown it). Info lines, and the lines continuing them, are left out. Other text (a Python
    traceback at kernel exit, say) has no time: each run of such lines is one ``"kernel"``
    entry, its first and last line.
    """
    spans = []
    for cell in notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            span = (_epoch(timing["iopub.execute_input"]), _epoch(timing["shell.execute_reply"]))
            spans.append((*span, cell_number(notebook, cell)))
    found: list[tuple[int | str, str]] = []
    other: list[str] = []
    after_info = False

    def flush() -> None:
        if other:
            found.append(("kernel", other[0] + (f" ... {other[-1]}" if len(other) > 1 else "")))
            other.clear()

    for line in log.read_text(errors="replace").splitlines():
        match = TF_LOG_LINE.match(line)
        if match is None:
            if line.strip() and not after_info:
                other.append(line.strip())
            continue
        flush()
        severity = match["severity"] or match["absl_severity"]
        after_info = severity == "I"
        if not after_info:
            seconds = _log_time(match)
            cell = next((n for start, end, n in spans if start <= seconds <= end), "kernel")
            found.append((cell, f"{severity} {match['where']}] {match['message']}"))
    flush()
    return found


def cell_warnings(notebook: nbformat.NotebookNode) -> list[tuple[int | str, str]]:
    """Every non-empty stderr line that the cells show."""
    found: list[tuple[int | str, str]] = []
    for number, cell in enumerate(notebook.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found += [(number, line) for line in output["text"].splitlines() if line.strip()]
    return found


#: Colab's annotation; Colab reads it with or without the space after ``#``.
FORM_MARK = re.compile(r"#\s*@param\b")


@dataclass(frozen=True)
class FormField:
    """One annotated assignment of a cell: a Colab form field.

    ``kind`` is ``"dropdown"`` (a list of ``choices``; ``allow_input``: a value may be typed) or
    Colab's ``type`` (``"slider"``, with ``minimum``, ``maximum`` and ``step``; ``"string"``,
    ``"number"``, ...). ``value`` is the value in the cell.
    """

    name: str
    value: Any
    kind: str
    choices: tuple[Any, ...] = ()
    allow_input: bool = False
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None

    def slider_values(self) -> list[float]:
        """Every value of a slider, integers where the bounds and the step are (as Colab writes).

        Raises
        ------
        ValueError
            If the field is not a slider.
        """
        if self.kind != "slider" or None in (self.minimum, self.maximum, self.step):
            raise ValueError(f"{self.name} is a {self.kind} field, not a slider.")
        count = round((self.maximum - self.minimum) / self.step)
        values = [self.minimum + k * self.step for k in range(count + 1)]
        if all(isinstance(x, int) for x in (self.minimum, self.maximum, self.step)):
            return [int(value) for value in values]
        decimals = max(len(repr(float(x)).split(".")[1]) for x in (self.minimum, self.step))
        return [round(value, decimals) for value in values]


def _form_options(text: str) -> dict[str, Any]:
    """Colab's ``{type: "slider", min: 8}``: keys without quotes, values in JSON."""
    quoted = re.sub(r"([{,]\s*)([A-Za-z_][\w-]*)\s*:", r'\1"\2":', text.strip())
    try:
        options = json.loads(quoted)
    except json.JSONDecodeError as error:
        raise ValueError(f"Cannot read the form options {text!r}: {error}") from None
    if not isinstance(options, dict):
        raise ValueError(f"Form options must be {{key: value, ...}}, got {text!r}.")
    return options


def _form_field(name: str, value: Any, annotation: str) -> FormField:
    """Parse the text after ``# @param`` for the variable ``name``."""
    annotation = annotation.strip()
    if annotation.startswith("["):
        end = annotation.index("]") + 1
        choices = tuple(ast.literal_eval(annotation[:end]))
        rest = annotation[end:].strip()
        options = _form_options(rest) if rest else {}
        return FormField(name, value, "dropdown", choices, bool(options.get("allow-input")))
    options = _form_options(annotation) if annotation else {"type": "string"}
    kind = str(options.get("type", "string"))
    if kind == "slider":
        return FormField(
            name, value, kind, minimum=options["min"], maximum=options["max"],
            step=options.get("step", 1),
        )  # fmt: skip
    return FormField(name, value, kind)


def form_fields(source: str) -> dict[str, FormField]:
    """The Colab form fields of a cell (its annotated assignments), by name, in order.

    Raises
    ------
    ValueError
        If an annotation cannot be read (say, a dropdown list that is not a Python literal).
    """
    lines = source.splitlines()
    fields = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            continue
        # ast's column offsets count UTF-8 bytes.
        comment = lines[node.end_lineno - 1].encode()[node.end_col_offset :].decode()
        mark = FORM_MARK.search(comment)
        if mark:
            name = node.targets[0].id
            fields[name] = _form_field(name, ast.literal_eval(node.value), comment[mark.end() :])
    return fields


def type_parameters(source: str, values: Mapping[str, Any]) -> str:
    """Write new values (their ``repr``) into a cell's assignments, keeping every comment.

    ``NAME = old  # @param [...]`` becomes ``NAME = new  # @param [...]``: what Colab writes when
    a form field changes, and what a learner types without a form.

    Raises
    ------
    ValueError
        If a name is not assigned in the cell: a learner could not type it there.
    """
    lines = source.splitlines(keepends=True)
    assigned = {
        node.targets[0].id: node
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    missing = [name for name in values if name not in assigned]
    if missing:
        raise ValueError(
            f"The cell assigns no {', '.join(missing)}; it assigns {', '.join(assigned)}."
        )
    # From the last line up, so that earlier positions stay valid.
    for name in sorted(values, key=lambda name: assigned[name].lineno, reverse=True):
        value = assigned[name].value
        first, last = value.lineno - 1, value.end_lineno - 1
        head = lines[first].encode()[: value.col_offset].decode()
        tail = lines[last].encode()[value.end_col_offset :].decode()
        lines[first : last + 1] = [f"{head}{values[name]!r}{tail}"]
    return "".join(lines)


def execute(path: Path, parameters: dict, output: Path, cell_timeout: float | None) -> Report:
    """Type ``parameters`` into the notebook's parameters cell, execute it, describe the run."""
    notebook = nbformat.read(path, as_version=4)
    cell = parameters_cell(notebook)
    cell.source = type_parameters(cell.source, parameters_for(notebook, parameters))
    workdir = output / path.stem
    workdir.mkdir(parents=True, exist_ok=True)
    log = output / KERNEL_LOG_DIR / f"{path.stem}.log"
    log.parent.mkdir(exist_ok=True)
    log.write_bytes(b"")
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(workdir)}},
        kernel_manager_class=kernel_manager_writing_to(log),
        # Output below Python (C++ logging) stays out of the cells; Python's own goes in.
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    )
    start = time.perf_counter()
    failure = ""
    try:
        client.execute()
    except CellExecutionError as error:
        failing = next((c for c in notebook.cells if has_error(c)), None)
        if failing is None:
            failure = f"{error.ename}: {error.evalue}"
        else:
            first = next((line for line in failing.source.splitlines() if line.strip()), "")
            failure = (
                f"cell {cell_number(notebook, failing)} (In [{failing.execution_count}]: "
                f"{first.strip()!r}): {error.ename}: {error.evalue}"
            )
    except (CellTimeoutError, DeadKernelError) as error:
        failure = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    seconds = time.perf_counter() - start
    nbformat.write(notebook, output / f"{path.stem}.ipynb")
    warnings = cell_warnings(notebook) + log_warnings(log, notebook)
    in_cells = sorted((w for w in warnings if w[0] != "kernel"), key=lambda w: w[0])
    return Report(path.stem, seconds, failure, in_cells + [w for w in warnings if w[0] == "kernel"])


def print_report(reports: list[Report]) -> None:
    """One line a notebook, then the warnings a learner would see, each once per notebook."""
    width = max(len(report.notebook) for report in reports)
    print(f"\n{'notebook':<{width}}  {'seconds':>7}  result")
    for report in reports:
        result = f"FAILED in {report.failure}" if report.failure else "ok"
        print(f"{report.notebook:<{width}}  {report.seconds:7.1f}  {result}")
    print(f"{'total':<{width}}  {sum(r.seconds for r in reports):7.1f}")
    print(
        "\nWarnings and errors a learner would see, by cell number (TensorFlow's log lines are"
        "\nin the kernel's log here; Jupyter's default kernel shows them in that cell):"
    )
    for report in reports:
        in_cells = list(dict.fromkeys(w for w in report.warnings if w[0] != "kernel"))
        if in_cells:
            print(f"{report.notebook}:")
            for where, text in in_cells:
                print(f"  cell {where}: {text[:300]}")
    if not any(w[0] != "kernel" for report in reports for w in report.warnings):
        print("  none")
    outside: dict[str, list[str]] = {}  # text (addresses masked) -> notebooks
    for report in reports:
        for where, text in report.warnings:
            if where == "kernel":
                masked = re.sub(r"0x[0-9a-f]+", "0x...", text)
                outside.setdefault(masked, []).append(report.notebook[:2])
    if outside:
        print("\nIn the kernels' logs outside any cell (kernel start or exit, never in a cell):")
        for text, notebooks in outside.items():
            print(f"  notebooks {', '.join(dict.fromkeys(notebooks))}: {text[:300]}")


def main(argv: list[str] | None = None) -> int:
    """Execute the notebooks, print the report; 1 if a notebook failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="executed notebooks, logs")
    parser.add_argument("--notebooks", nargs="*", help="some notebooks (05, 05_integration)")
    parser.add_argument(
        "-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="a parameter instead of the offline profile's (the value is read as YAML)",
    )  # fmt: skip
    parser.add_argument("--cell-timeout", type=float, default=1800, help="seconds a cell may run")
    args = parser.parse_args(argv)
    notebook_dir = ROOT / "notebooks"
    overrides = {name: yaml.safe_load(value) for name, value in args.p}
    parameters = load_parameters([notebook_dir / OFFLINE_PROFILE], overrides)
    output = args.output.absolute()
    reports = []
    for source in find_notebooks(notebook_dir, args.notebooks):
        report = execute(source.with_suffix(".ipynb"), parameters, output, args.cell_timeout)
        print(f"{report.notebook}: {'ok' if not report.failure else 'FAILED'} "
              f"in {report.seconds:.1f} s", flush=True)  # fmt: skip
        reports.append(report)
    print_report(reports)
    failed = [report.notebook for report in reports if report.failure]
    if failed:
        print(f"\ncolab-stack: FAILED: {', '.join(failed)}; executed notebooks in {output}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
