"""Tables, plots and headline ratios from the benchmark's measurements.

Everything here is computed from the measurements alone (no timing happens here), so a test can
feed it small made-up numbers.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on CI or a server

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

from benchmarks.measure import Reference, SweepRow  # noqa: E402

#: "Equal accuracy", from the issue: completeness within 1% and L2 within 2% of the reference.
COMPLETENESS_TARGET = 0.01
L2_TARGET = 0.02

DOCS_START = "<!-- benchmark-results:start -->"
DOCS_END = "<!-- benchmark-results:end -->"


@dataclass
class Measurements:
    """All a benchmark run measured, plus where and how."""

    machine: dict[str, str]
    command: str
    sweep: list[SweepRow]
    references: dict[str, Reference]
    ceiling: dict[int, float]
    ours_by_batch: dict[int, float]
    default_batch_size: int
    automatic_batch: dict | None = None
    memory: list[dict] = field(default_factory=list)


def adequate_run(rows: Sequence[SweepRow], image: str, implementation: str) -> SweepRow | None:
    """The cheapest run of ``implementation`` on ``image`` that meets both accuracy targets."""
    candidates = [
        row
        for row in rows
        if row.image == image
        and row.implementation == implementation
        and row.completeness_error <= COMPLETENESS_TARGET
        and row.l2_error <= L2_TARGET
    ]
    return min(candidates, key=lambda row: (row.num_evaluations, row.seconds), default=None)


def equal_accuracy_table(rows: Sequence[SweepRow]) -> list[dict]:
    """Per image and implementation: the cheapest adequate run (or none in the sweep)."""
    table = []
    implementations = list(dict.fromkeys(row.implementation for row in rows))
    for image in dict.fromkeys(row.image for row in rows):
        for implementation in implementations:
            run = adequate_run(rows, image, implementation)
            table.append({"image": image, "implementation": implementation, "run": run})
    return table


def _fastest_of_ours(rows: Sequence[SweepRow], image: str) -> SweepRow | None:
    runs = [
        adequate_run(rows, image, name)
        for name in dict.fromkeys(row.implementation for row in rows)
        if name.startswith("ours")
    ]
    return min((run for run in runs if run is not None), key=lambda run: run.seconds, default=None)


def headline_ratios(measurements: Measurements) -> list[str]:
    """The issue's targets, each with its measured figure and whether it is met."""
    rows = measurements.sweep
    lines = []
    images = list(dict.fromkeys(row.image for row in rows))
    totals = {"tutorial": 0.0, "tutorial+trace": 0.0, "trapezoid": 0.0, "best": 0.0}
    complete = True
    for image in images:
        tutorial = adequate_run(rows, image, "tutorial")
        trapezoid = adequate_run(rows, image, "ours riemann_trapezoid")
        best = _fastest_of_ours(rows, image)
        if tutorial is None or trapezoid is None or best is None:
            complete = False
            lines.append(
                f"equal accuracy, {image}: not reached in the sweep by "
                + ", ".join(
                    name
                    for name, run in (
                        ("tutorial", tutorial),
                        ("ours trapezoid", trapezoid),
                        ("any of ours", best),
                    )
                    if run is None
                )
            )
            continue
        totals["tutorial"] += tutorial.seconds
        totals["tutorial+trace"] += tutorial.seconds + tutorial.prepare_seconds
        totals["trapezoid"] += trapezoid.seconds
        totals["best"] += best.seconds
        lines.append(
            f"equal accuracy, {image}: tutorial m={tutorial.setting:g} {tutorial.seconds:.2f} s "
            f"(+{tutorial.prepare_seconds:.2f} s trace); ours trapezoid m={trapezoid.setting:g} "
            f"{trapezoid.seconds:.2f} s = {trapezoid.seconds / tutorial.seconds:.2f}x; "
            f"fastest of ours {best.implementation} {best.setting_name}={best.setting:g} "
            f"{best.seconds:.2f} s = {best.seconds / tutorial.seconds:.2f}x"
        )
    if totals["tutorial"] > 0:
        ratio = totals["best"] / totals["tutorial"]
        lines.append(
            f"TARGET equal accuracy <= 0.5x tutorial: fastest of ours / tutorial = {ratio:.2f}x "
            f"(with the tutorial's tracing counted: "
            f"{totals['best'] / totals['tutorial+trace']:.2f}x; same rule, ours trapezoid: "
            f"{totals['trapezoid'] / totals['tutorial']:.2f}x) over the images where all "
            f"reached it -> {'MET' if ratio <= 0.5 else 'MISSED'}"
            + ("" if complete else " (some images not reached; see above)")
        )

    ceiling_batch, ceiling = max(measurements.ceiling.items(), key=lambda item: item[1])
    default = measurements.default_batch_size
    if default in measurements.ours_by_batch:
        ours = measurements.ours_by_batch[default]
        ratio = ours / ceiling
        lines.append(
            f"TARGET per evaluation within 10% of plain forward+backward: ours at default batch "
            f"{default} {ours:.1f} evals/s vs ceiling {ceiling:.1f} images/s (batch "
            f"{ceiling_batch}) = {ratio:.2f} -> {'MET' if ratio >= 0.9 else 'MISSED'}"
        )
    if measurements.ours_by_batch:
        best_batch, best_rate = max(measurements.ours_by_batch.items(), key=lambda item: item[1])
        lines.append(
            f"batch size: ours fastest at batch {best_batch} ({best_rate:.1f} evals/s = "
            f"{best_rate / ceiling:.2f} of the ceiling); default is {default}"
            + (
                f"; batch_size='auto' chose {measurements.automatic_batch['batch_size']} in "
                f"{measurements.automatic_batch['seconds']:.1f} s"
                if measurements.automatic_batch
                else ""
            )
        )

    for implementation in dict.fromkeys(probe["implementation"] for probe in measurements.memory):
        probes = sorted(
            (p for p in measurements.memory if p["implementation"] == implementation),
            key=lambda p: p["m_steps"],
        )
        first, last = probes[0], probes[-1]
        lines.append(
            f"memory, {implementation}: run needs {first['growth_mb']:.0f} MB at "
            f"m_steps={first['m_steps']}"
            + (
                f" and {last['growth_mb']:.0f} MB at m_steps={last['m_steps']}"
                if len(probes) > 1
                else ""
            )
            + f" (peak RSS {last['peak_rss_mb']:.0f} MB)"
        )
    return lines


def _percent(value: float) -> str:
    return f"{100 * value:.2f}%"


def markdown(measurements: Measurements) -> str:
    """The results as Markdown, ready to paste into ``docs/benchmarks.md``."""
    m = measurements
    out = [
        f"Measured {m.machine.get('date', '?')} on {m.machine.get('description', '?')}.",
        f"Command: `{m.command}`.",
        "",
    ]
    out += [f"- {key}: {value}" for key, value in m.machine.items() if key != "description"]
    out += ["", "### Ceiling: plain forward+backward throughput", ""]
    out += ["| batch size | images/s | ours, evals/s | ours / ceiling |", "|---|---|---|---|"]
    for size in sorted(set(m.ceiling) | set(m.ours_by_batch)):
        ceiling = m.ceiling.get(size)
        ours = m.ours_by_batch.get(size)
        out.append(
            f"| {size}{' (default)' if size == m.default_batch_size else ''} | "
            f"{'' if ceiling is None else f'{ceiling:.1f}'} | "
            f"{'' if ours is None else f'{ours:.1f}'} | "
            f"{'' if ceiling is None or ours is None else f'{ours / ceiling:.2f}'} |"
        )
    if m.automatic_batch:
        rates = ", ".join(
            f"{size}: {rate:.1f}"
            for size, rate in m.automatic_batch["evaluations_per_second"].items()
        )
        out += [
            "",
            f'`batch_size="auto"` chose {m.automatic_batch["batch_size"]} in '
            f"{m.automatic_batch['seconds']:.1f} s (evals/s measured: {rates}).",
        ]

    out += ["", "### References (Gauss-Legendre, computed with ours)", ""]
    out += ["| image | target | nodes | completeness error | seconds |", "|---|---|---|---|---|"]
    for reference in m.references.values():
        out.append(
            f"| {reference.image} | {reference.target} | {reference.m_steps} | "
            f"{_percent(reference.completeness_error)} | {reference.seconds:.1f} |"
        )

    out += ["", "### Equal accuracy: cheapest run with completeness <= 1% and L2 <= 2%", ""]
    out += [
        "| image | implementation | setting | evaluations | seconds | + trace s | "
        "completeness | L2 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in equal_accuracy_table(m.sweep):
        run = entry["run"]
        if run is None:
            out.append(f"| {entry['image']} | {entry['implementation']} | not reached | | | | | |")
            continue
        out.append(
            f"| {run.image} | {run.implementation} | {run.setting_name}={run.setting:g} | "
            f"{run.num_evaluations} | {run.seconds:.2f} | {run.prepare_seconds:.2f} | "
            f"{_percent(run.completeness_error)} | {_percent(run.l2_error)} |"
        )

    out += ["", "### All runs", ""]
    out += [
        "| image | implementation | setting | evaluations | seconds | + prepare s | "
        "completeness | L2 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in m.sweep:
        out.append(
            f"| {row.image} | {row.implementation} | {row.setting_name}={row.setting:g} | "
            f"{row.num_evaluations} | {row.seconds:.2f} | {row.prepare_seconds:.2f} | "
            f"{_percent(row.completeness_error)} | {_percent(row.l2_error)} |"
        )

    if m.memory:
        out += ["", "### Peak memory (fresh process per run)", ""]
        out += [
            "| implementation | m_steps | evaluations | run's growth of peak RSS, MB | "
            "peak RSS, MB |",
            "|---|---|---|---|---|",
        ]
        for probe in m.memory:
            out.append(
                f"| {probe['implementation']} | {probe['m_steps']} | {probe['num_evaluations']} | "
                f"{probe['growth_mb']:.0f} | {probe['peak_rss_mb']:.0f} |"
            )

    out += ["", "### Headline ratios", ""]
    out += [f"- {line}" for line in headline_ratios(m)]
    return "\n".join(out) + "\n"


def write_csv(rows: Sequence[SweepRow], path: Path) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0].as_dict()))
        writer.writeheader()
        writer.writerows(row.as_dict() for row in rows)


def plot_time_vs_error(rows: Sequence[SweepRow], path: Path) -> None:
    """Wall time against L2 and completeness error, log-log, one column per image."""
    images = list(dict.fromkeys(row.image for row in rows))
    implementations = list(dict.fromkeys(row.implementation for row in rows))
    figure, axes = plt.subplots(
        2, len(images), figsize=(5 * len(images), 8), squeeze=False, sharex="col"
    )
    for column, image in enumerate(images):
        for implementation in implementations:
            # In order of evaluations: a line in the order of the rule's refinement.
            runs = sorted(
                (r for r in rows if r.image == image and r.implementation == implementation),
                key=lambda r: r.num_evaluations,
            )
            seconds = [r.seconds for r in runs]
            style = {"marker": "o", "markersize": 3, "label": implementation}
            if implementation in ("tutorial", "saliency"):
                style |= {"linestyle": "--", "linewidth": 2}
            # Errors of exactly 0 cannot be drawn on a log axis; clip them to a tiny value.
            axes[0, column].plot(seconds, [max(r.l2_error, 1e-6) for r in runs], **style)
            axes[1, column].plot(seconds, [max(r.completeness_error, 1e-6) for r in runs], **style)
        axes[0, column].axhline(L2_TARGET, color="gray", linestyle=":", linewidth=1)
        axes[1, column].axhline(COMPLETENESS_TARGET, color="gray", linestyle=":", linewidth=1)
        axes[0, column].set_title(image)
        axes[1, column].set_xlabel("wall time, s")
        for row in (0, 1):
            axes[row, column].set_xscale("log")
            axes[row, column].set_yscale("log")
            # Labelled minor ticks on a short log axis overlap; the major ones suffice.
            axes[row, column].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes[0, 0].set_ylabel("relative L2 error vs reference")
    axes[1, 0].set_ylabel("relative completeness error")
    axes[0, -1].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_memory(memory: Sequence[dict], path: Path) -> None:
    figure, axis = plt.subplots(figsize=(5, 4))
    for implementation in dict.fromkeys(p["implementation"] for p in memory):
        probes = sorted(
            (p for p in memory if p["implementation"] == implementation),
            key=lambda p: p["m_steps"],
        )
        axis.plot(
            [p["m_steps"] for p in probes],
            [p["growth_mb"] for p in probes],
            marker="o",
            label=implementation,
        )
    axis.set_xscale("log", base=2)
    axis.set_xlabel("m_steps")
    axis.set_ylabel("growth of peak RSS during the run, MB")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_results(measurements: Measurements, folder: Path) -> list[Path]:
    """Write results.csv, results.md, time_vs_error.png and memory.png; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "results.csv", folder / "results.md", folder / "time_vs_error.png"]
    write_csv(measurements.sweep, written[0])
    written[1].write_text(markdown(measurements))
    plot_time_vs_error(measurements.sweep, written[2])
    if measurements.memory:
        written.append(folder / "memory.png")
        plot_memory(measurements.memory, written[-1])
    return written


def update_docs(results_markdown: str, docs: Path, plots: Sequence[Path] = ()) -> None:
    """Replace the results between the markers in ``docs``; copy ``plots`` next to it.

    The plots go to ``images/benchmark_<name>`` beside ``docs``, where the page links them.
    """
    text = docs.read_text()
    if DOCS_START not in text or DOCS_END not in text:
        raise ValueError(
            f"{docs} has no {DOCS_START} ... {DOCS_END} block; add the two markers where the "
            "results belong."
        )
    head, rest = text.split(DOCS_START, 1)
    _, tail = rest.split(DOCS_END, 1)
    docs.write_text(f"{head}{DOCS_START}\n{results_markdown}{DOCS_END}{tail}")
    for plot in plots:
        target = docs.parent / "images" / f"benchmark_{plot.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(plot, target)
