"""The ``ig-tutorial`` command: ``run``, ``attribute`` and ``course``.

::

    ig-tutorial run --offline --output outputs     # execute the notebooks (papermill)
    ig-tutorial attribute grace_hopper --out outputs/grace_hopper.png
    ig-tutorial attribute photos/ --output-dir attributions --m-steps auto --figures
    ig-tutorial course --student student/ --instructor instructor/

``attribute`` with one image writes its figure; with many (a folder, a pattern, a list file,
several files, or any batch option) it runs :func:`ig_tutorial.batch.attribute_files`:
resumable, shardable, here or on a Ray cluster (``docs/batch.md``).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Quieten TensorFlow's C++ start-up chatter before it is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _add_attribute_parser(subparsers: argparse._SubParsersAction) -> None:
    from ig_tutorial.ig.integration_rules import INTEGRATION_RULES
    from ig_tutorial.sources import BUNDLED_IMAGES, BUNDLED_MODEL

    parser = subparsers.add_parser(
        "attribute",
        help="Integrated Gradients of one image (a figure) or of many (a folder of results)",
        description="One image: classify it, compute Integrated Gradients for a class, print the "
        "completeness check and save the tutorial's 2x2 attribution figure as PNG. Many images "
        "(several inputs, a folder, a pattern, an @list file, or any batch option such as "
        "--output-dir): write one .npz per image (and a PNG with --figures) and a "
        "manifest.jsonl to the output folder, skipping images already done; bad inputs are "
        "recorded as failed and the run goes on, exiting with status 1 if any failed.",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help=f"image file, URL, bundled photo ({', '.join(BUNDLED_IMAGES)}), folder (searched "
        "recursively), quoted glob pattern ('val/**/*.jpg'), or @file listing one input per line",
    )
    parser.add_argument(
        "--model",
        default=BUNDLED_MODEL,
        help=f"TF-Hub handle, SavedModel folder, or {BUNDLED_MODEL!r} (default, offline)",
    )
    parser.add_argument(
        "--target", default="top-1", help="class index, label name, or 'top-1' (default)"
    )
    parser.add_argument(
        "--m-steps",
        default="64",
        help="integration steps, or 'auto' to refine until --tolerance is met (default 64)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.01,  # batch.settings.DEFAULT_TOLERANCE, the IG core's (a test holds them equal)
        help="--m-steps auto: refine until the relative completeness error is at most this and "
        "the estimated relative L2 error at most 1.5 times this (default 0.01)",
    )
    parser.add_argument(
        "--max-steps",
        type=int,
        default=1024,  # batch.settings.DEFAULT_MAX_STEPS, the IG core's (a test holds them equal)
        help="--m-steps auto: at most (default 1024)",
    )
    parser.add_argument(
        "--method",
        default="riemann_trapezoid",
        choices=INTEGRATION_RULES,
        help="integration rule (default riemann_trapezoid)",
    )
    parser.add_argument(
        "--batch-size",
        default=None,
        help="gradients per model call, or 'auto' (default: by the input's size, 8 for a photo)",
    )
    parser.add_argument("--baseline", default="black", help="baseline name (default black)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    single = parser.add_argument_group("one image")
    single.add_argument("--cmap", default="inferno", help="colormap of the mask")
    single.add_argument(
        "--out", type=Path, default=None, help="PNG to write (default outputs/<image>.png)"
    )
    batch_options = _add_batch_options(parser)
    parser.set_defaults(handler=functools.partial(_attribute, batch_options=batch_options))


def _add_batch_options(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    """Add the options only a batch run has; return their names: any of them makes a batch run."""
    batch = parser.add_argument_group("many images")
    added: list[argparse.Action] = []

    def option(*flags: str, **how) -> None:
        added.append(batch.add_argument(*flags, **how))

    option(
        "-o",
        "--output-dir",
        type=Path,
        default=None,
        help="folder for the .npz files, figures and manifest (default outputs/attributions)",
    )
    option(
        "--targets",
        type=Path,
        default=None,
        metavar="CSV",
        help="per-image targets: rows 'path,target', paths relative to the CSV's folder",
    )
    option("--figures", action="store_true", help="also write each image's figure")
    option(
        "--dtype",
        # batch.settings.ATTRIBUTION_DTYPES, which imports TensorFlow (a test holds them equal)
        choices=("float32", "float16"),
        default=None,
        help="how attributions are stored (default float32; float16 halves the files)",
    )
    option("--force", action="store_true", help="recompute images whose outputs already exist")
    option(
        "--shard",
        default=None,
        metavar="K/N",
        help="attribute only shard K of N (by content hash), e.g. for a Slurm array",
    )
    option(
        "--engine",
        choices=("local", "ray"),  # batch.engines.ENGINES (a test holds them equal)
        default=None,
        help="local (default): this process; ray: a pool of Ray actors (needs the [ray] extra)",
    )
    option("--workers", type=int, default=None, help="ray: actors (default one per CPU)")
    option("--cpus-per-worker", type=float, default=None, help="ray: CPUs per actor (default 1)")
    option(
        "--ray-address",
        default=None,
        help="ray: cluster to join, e.g. 'auto' or 'ray://head:10001' (default: a local one)",
    )
    return tuple(action.dest for action in added)


def _is_many(source: str) -> bool:
    """Whether one input stands for several: a list file, a folder or a glob pattern."""
    if source.startswith("@") or Path(source).expanduser().is_dir():
        return True
    return any(c in source for c in "*?[") and not Path(source).expanduser().exists()


def _attribute(args: argparse.Namespace, *, batch_options: tuple[str, ...]) -> int:
    import matplotlib

    matplotlib.use("Agg")
    given = [name for name in batch_options if getattr(args, name) not in (None, False)]
    if len(args.inputs) > 1 or _is_many(args.inputs[0]) or given:
        if args.out is not None:
            raise ValueError(
                "--out names the figure of one image; for many images give --output-dir "
                "(and --figures for their figures)."
            )
        return _attribute_many(args)
    return _attribute_one(args)


def _attribute_one(args: argparse.Namespace) -> int:
    from ig_tutorial.batch.settings import normalize_target
    from ig_tutorial.checks import steps_or_auto
    from ig_tutorial.ig.baselines import make_baseline
    from ig_tutorial.ig.integrated_gradients import integrated_gradients
    from ig_tutorial.images import read_image
    from ig_tutorial.models.classifier import class_label
    from ig_tutorial.models.loading import load_model
    from ig_tutorial.plotting.tutorial_figures import plot_img_attributions

    (source,) = args.inputs
    m_steps = steps_or_auto(args.m_steps, "--m-steps")
    model = load_model(args.model)
    image = read_image(source, size=model.input_size)
    print(model.summary())
    print(f"\nTop-3 for {source}:")
    for index, label, probability in model.predict_top_k(image, k=3):
        print(f"  {index:4d} {label:<30s} {probability:7.2%}")
    baseline = make_baseline(args.baseline, image)
    result = integrated_gradients(
        model,
        image,
        normalize_target(args.target, "--target"),
        baseline=baseline,
        m_steps=m_steps,
        method=args.method,
        batch_size=_batch_size(args.batch_size),
        progress=not args.no_progress,
        tolerance=args.tolerance,
        max_steps=args.max_steps,
    )
    label = class_label(model, result.target) or str(result.target)
    print(f"\nIntegrated Gradients for class {result.target} ({label}):")
    print("  " + result.completeness_report())
    stem = Path(str(source)).stem.replace(" ", "_")
    out = args.out or Path("outputs") / f"{stem}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    figure = plot_img_attributions(
        image, baseline, result.attributions, cmap=args.cmap, title=f"{label} ({result.target})"
    )
    figure.savefig(out, dpi=100)
    print(f"\nWrote {out}")
    return 0


def _batch_size(value: str | None) -> int | str | None:
    if value is None or value == "auto":
        return value
    return int(value) if value.strip().isdigit() else value  # checked (and named) by the core


#: How many failures the summary lists; the manifest has them all.
_FAILURES_SHOWN = 10


def _attribute_many(args: argparse.Namespace) -> int:
    from ig_tutorial.batch.engines import attribute_files

    output_dir = args.output_dir or Path("outputs") / "attributions"
    run = attribute_files(
        args.inputs,
        output_dir,
        args.model,
        target=args.target,
        targets_file=args.targets,
        m_steps=args.m_steps,
        method=args.method,
        baseline=args.baseline,
        tolerance=args.tolerance,
        max_steps=args.max_steps,
        batch_size=_batch_size(args.batch_size),
        dtype=args.dtype or "float32",
        figures=args.figures,
        force=args.force,
        shard=args.shard,
        engine=args.engine or "local",
        workers=args.workers,
        cpus_per_worker=args.cpus_per_worker or 1,
        ray_address=args.ray_address,
        progress=not args.no_progress,
    )
    if run.unmatched_targets:
        print(
            f"ig-tutorial: note: {len(run.unmatched_targets)} row(s) of {args.targets} name no "
            f"input, e.g. {run.unmatched_targets[0]}",
            file=sys.stderr,
        )
    failures = [record for record in run if record.status == "failed"]
    counts = run.counts
    rate = run.total / run.seconds if run.seconds > 0 else float("nan")
    print(
        f"{run.total} input(s) in {run.seconds:.1f} s ({rate:.2f} image/s): "
        f"{counts['done']} attributed, {counts['skipped']} already done, "
        f"{counts['failed']} failed."
    )
    print(f"Manifest: {run.manifest_path}")
    if failures:
        print(f"Failed ({len(failures)}):")
        for record in failures[:_FAILURES_SHOWN]:
            print(f"  {record.input}: {record.error}")
        if len(failures) > _FAILURES_SHOWN:
            print(f"  ... and {len(failures) - _FAILURES_SHOWN} more, listed in the manifest.")
        return 1
    return 0


def _add_notebook_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NOTEBOOK",
        help="which notebooks: numbers (05), names (05_integration) or paths; default all",
    )
    parser.add_argument(
        "--notebook-dir", type=Path, help="folder of the notebooks (default notebooks/)"
    )


def _add_run_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="execute the tutorial notebooks with papermill",
        description="Execute the tutorial notebooks (notebooks/NN_*.py) one after the other with "
        "papermill, writing the executed notebooks and their PNG figures to the output folder. "
        "Stops at the first failing cell and names the notebook and the cell. Without --offline "
        "or -f the notebooks use their defaults: the tutorial's TF-Hub model and images, which "
        "need the internet.",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use notebooks/offline.yaml: the bundled EfficientNet-Lite0 and bundled photos",
    )
    parser.add_argument(
        "-f",
        "--parameters-file",
        dest="parameter_files",
        action="append",
        default=[],
        type=Path,
        metavar="YAML",
        help="papermill parameters file (repeatable; applied after --offline, later wins)",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        default=[],
        nargs=2,
        metavar=("NAME", "VALUE"),
        help="one parameter, VALUE read as YAML (e.g. -p M_STEPS 64); applied last",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("outputs"),
        help="folder for executed notebooks and figures (default outputs/)",
    )
    _add_notebook_options(parser)
    parser.add_argument(
        "--cell-timeout", type=float, help="seconds one cell may run (default: no limit)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import time

    import yaml

    from ig_tutorial.running.runner import (
        OFFLINE_PROFILE,
        NotebookFailure,
        default_notebook_dir,
        find_notebooks,
        load_parameters,
        run_notebooks,
    )

    notebook_dir = args.notebook_dir or default_notebook_dir()
    notebooks = find_notebooks(notebook_dir, args.notebooks)
    files = ([notebook_dir / OFFLINE_PROFILE] if args.offline else []) + args.parameter_files
    overrides = {name: yaml.safe_load(value) for name, value in args.parameters}
    parameters = load_parameters(files, overrides)
    start = time.perf_counter()
    try:
        runs = run_notebooks(
            notebooks,
            args.output,
            parameters,
            progress=not args.no_progress,
            cell_timeout=args.cell_timeout,
            known_notebooks=find_notebooks(notebook_dir),
        )
    except NotebookFailure as failure:
        print(f"ig-tutorial: error: {failure}", file=sys.stderr)
        return 1
    figures = sorted(args.output.glob("*.png"))
    print(
        f"Executed {len(runs)} notebook(s) in {time.perf_counter() - start:.0f} s; "
        f"{args.output}/ holds them and {len(figures)} figure(s)."
    )
    return 0


def _add_course_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "course",
        help="write the student and/or instructor notebooks of the course",
        description="Write the tutorial notebooks (notebooks/NN_*.py) as .ipynb files without "
        "outputs, for teaching. --student: each exercise's solution replaced by a stub that "
        "raises NotImplementedError with a hint. --instructor: solutions in. Both keep "
        "nbgrader's metadata, so nbgrader can grade them; docs/instructors.md explains.",
    )
    parser.add_argument("--student", type=Path, metavar="DIR", help="folder for the student set")
    parser.add_argument(
        "--instructor", type=Path, metavar="DIR", help="folder for the instructor set"
    )
    _add_notebook_options(parser)
    parser.set_defaults(handler=_course)


def _course(args: argparse.Namespace) -> int:
    from ig_tutorial.course.export import build_course
    from ig_tutorial.running.runner import find_notebooks

    sets = {"student": args.student, "instructor": args.instructor}
    sets = {name: folder for name, folder in sets.items() if folder is not None}
    if not sets:
        raise ValueError("Give --student DIR, --instructor DIR, or both.")
    if len(sets) == 2 and args.student.resolve() == args.instructor.resolve():
        raise ValueError(
            f"--student and --instructor name the same folder ({str(args.student)!r}); the "
            "student set would be overwritten by the solutions."
        )
    notebooks = find_notebooks(args.notebook_dir, args.notebooks)
    for set_name, folder in sets.items():
        written = build_course(notebooks, folder, set_name)
        for notebook in written:
            print(f"{set_name}: {notebook.path} ({notebook.exercises} exercise(s))")
        total = sum(notebook.exercises for notebook in written)
        print(f"Wrote the {set_name} set: {len(written)} notebook(s), {total} exercise(s).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``ig-tutorial`` parser; building it imports no TensorFlow, so ``--help`` is quick."""
    from ig_tutorial import __version__

    parser = argparse.ArgumentParser(
        prog="ig-tutorial",
        description="Integrated Gradients (Sundararajan et al., 2017) for TensorFlow image "
        "classifiers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", required=True)
    _add_run_parser(subparsers)
    _add_attribute_parser(subparsers)
    _add_course_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ig-tutorial`` command; return the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, FileNotFoundError, ConnectionError, ImportError, RuntimeError) as error:
        print(f"ig-tutorial: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
