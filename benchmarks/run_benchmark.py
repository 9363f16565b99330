"""Benchmark Integrated Gradients implementations side by side (issue 5).

Same model (the bundled EfficientNet-Lite0), same images, same machine, one run:

* the TensorFlow tutorial's implementation (:mod:`benchmarks.tutorial_reference`), the
  reference point;
* PAIR ``saliency`` (optional: ``pip install -e ".[bench]"``);
* ours, with each integration rule, and with automatic step selection where installed.

For each: wall time, gradient evaluations, completeness error and L2 error against a
Gauss-Legendre reference, over a sweep of ``m_steps``; peak memory as ``m_steps`` grows; and the
ceiling, the plain forward+backward throughput of the model. Writes ``results.csv``,
``results.md``, ``time_vs_error.png`` and ``memory.png`` to ``--results`` and prints the headline
ratios last. See ``docs/benchmarks.md``.

    python -m benchmarks.run_benchmark            # the full run (about 25 min on 2 CPU cores)
    python -m benchmarks.run_benchmark --quick    # a smoke run (under 2 min)
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = ROOT / "benchmarks" / "results"
DOCS = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Plan:
    """What one benchmark run measures."""

    images: tuple[str, ...]
    m_steps: tuple[int, ...]
    reference_steps: int
    tolerances: tuple[float, ...]
    ceiling_batch_sizes: tuple[int, ...]
    ceiling_min_images: int
    ours_batch_sizes: tuple[int, ...]
    ours_evaluations: int
    memory_steps: tuple[int, ...]
    throughput_rounds: int = 1
    memory_implementations: tuple[str, ...] = ("tutorial", "ours riemann_trapezoid")


FULL = Plan(
    images=("grace_hopper", "coffee", "chelsea"),
    m_steps=(16, 32, 64, 128, 256),
    reference_steps=512,
    tolerances=(0.05, 0.02, 0.01, 0.005),
    ceiling_batch_sizes=(1, 4, 8, 16, 32, 64, 128),
    ceiling_min_images=64,
    ours_batch_sizes=(8, 16, 32, 64, 128),
    ours_evaluations=128,
    memory_steps=(64, 256, 1024),
    throughput_rounds=2,
)

# A smoke run: every measurement once, small. Its memory probe has one m_steps, so it shows the
# footprint but not the growth (each probe is a fresh process that imports TensorFlow: ~20 s).
QUICK = Plan(
    images=("coffee",),
    m_steps=(8, 16),
    reference_steps=64,
    tolerances=(0.05,),
    ceiling_batch_sizes=(8, 32),
    ceiling_min_images=16,
    ours_batch_sizes=(8, 32),
    ours_evaluations=32,
    memory_steps=(64,),
)


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def describe_machine() -> dict[str, str]:
    """Where the numbers come from: CPU, cores, memory, versions, load."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    cores = os.cpu_count()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return {
        "description": f"{cpu}, {cores} cores{memory}, no GPU used",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "tensorflow": _package_version("tensorflow"),
        "numpy": _package_version("numpy"),
        "saliency": _package_version("saliency"),
        "load average at start (1, 5, 15 min)": load,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run_benchmark",
        description="Compare Integrated Gradients implementations (time, accuracy, memory).",
    )
    parser.add_argument("--quick", action="store_true", help="a small smoke run (< 2 min)")
    parser.add_argument(
        "--results", type=Path, default=DEFAULT_RESULTS, help="output folder (%(default)s)"
    )
    parser.add_argument(
        "--model", default="efficientnet-lite0", help='model handle, or "toy" for a smoke run'
    )
    parser.add_argument("--images", nargs="+", help="override the plan's images")
    parser.add_argument("--m-steps", nargs="+", type=int, help="override the m_steps sweep")
    parser.add_argument("--reference-steps", type=int, help="Gauss-Legendre nodes of the reference")
    parser.add_argument("--repeats", type=int, default=1, help="best of N runs per setting")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory probes")
    parser.add_argument(
        "--update-docs",
        action="store_true",
        help=f"paste results.md into {DOCS.relative_to(ROOT)} between its markers",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from benchmarks import measure, report
    from benchmarks.implementations import implementations
    from benchmarks.memory_probe import run_memory_probe
    from benchmarks.toy_model import toy_classifier, toy_images
    from ig_tutorial import load_model, read_image
    from ig_tutorial.ig.batching import default_batch_size

    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    machine = describe_machine()
    command = "python -m benchmarks.run_benchmark " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", flush=True)

    if args.model == "toy":
        model, images = toy_classifier(), toy_images(len(args.images or plan.images))
    else:
        model = load_model(args.model)
        images = {name: read_image(name) for name in args.images or plan.images}
    first_image = next(iter(images.values()))
    log(f"machine: {machine['description']}; model {model.handle}; images {list(images)}")

    # The ceiling comes first: it also builds the kernels every implementation shares.
    ceiling, ours_by_batch = measure.throughput_by_batch_size(
        model,
        first_image,
        plan.ceiling_batch_sizes,
        plan.ours_batch_sizes,
        min_images=plan.ceiling_min_images,
        evaluations=plan.ours_evaluations,
        rounds=plan.throughput_rounds,
    )
    log("ceiling, images/s by batch size: " + _format_rates(ceiling))
    log("ours, evaluations/s by batch size: " + _format_rates(ours_by_batch))
    automatic_batch = measure.automatic_batch_size(model, first_image)
    log(
        f"batch_size='auto' chose {automatic_batch['batch_size']} in "
        f"{automatic_batch['seconds']:.1f} s"
    )

    entries = implementations(tolerances=plan.tolerances)
    for entry in entries:
        if entry.unavailable:
            log(f"skipping {entry.name}: {entry.unavailable}")
    sweep, references = measure.run_sweep(
        model,
        images,
        entries,
        args.m_steps or plan.m_steps,
        reference_steps=args.reference_steps or plan.reference_steps,
        repeats=args.repeats,
        log=log,
    )

    memory = []
    if not args.no_memory:
        for steps in plan.memory_steps:
            for name in plan.memory_implementations:
                probe = run_memory_probe(
                    name, steps, model_name=args.model, image_name=next(iter(images))
                )
                memory.append(probe)
                log(
                    f"memory {name} m_steps={steps}: +{probe['growth_mb']:.0f} MB during the "
                    f"run, peak {probe['peak_rss_mb']:.0f} MB"
                )

    machine["load average at end (1, 5, 15 min)"] = ", ".join(
        f"{value:.1f}" for value in os.getloadavg()
    )
    machine["total benchmark time"] = f"{time.perf_counter() - started:.0f} s"
    measurements = report.Measurements(
        machine=machine,
        command=command,
        sweep=sweep,
        references=references,
        ceiling=ceiling,
        ours_by_batch=ours_by_batch,
        default_batch_size=default_batch_size((224, 224, 3)),
        automatic_batch=automatic_batch,
        memory=memory,
    )
    written = report.write_results(measurements, args.results)
    log("wrote " + ", ".join(str(path) for path in written))
    if args.update_docs:
        plots = [path for path in written if path.suffix == ".png"]
        report.update_docs((args.results / "results.md").read_text(), DOCS, plots)
        log(f"updated {DOCS}")

    print("\nHeadline ratios")
    for line in report.headline_ratios(measurements):
        print(f"  {line}")
    return 0


def _format_rates(rates: dict[int, float]) -> str:
    return ", ".join(f"{size}: {rate:.1f}" for size, rate in rates.items())


if __name__ == "__main__":
    sys.exit(main())
