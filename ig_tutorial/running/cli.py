"""The ``ig-tutorial`` command line.

``ig-tutorial run`` executes the tutorial notebooks with papermill into a folder of executed
notebooks and PNG figures (:mod:`ig_tutorial.running.runner`); ``--offline`` uses the bundled
model and photos::

    ig-tutorial run --offline --output outputs

``ig-tutorial attribute`` classifies a photo and writes the tutorial's attribution figure; it runs
offline with the bundled model and photos::

    ig-tutorial attribute grace_hopper --out outputs/grace_hopper.png
"""

from __future__ import annotations

import argparse
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
        help="classify an image and write its Integrated Gradients figure",
        description="Classify an image, compute Integrated Gradients for a class, print the "
        "completeness check and save the tutorial's 2x2 attribution figure as PNG.",
    )
    parser.add_argument(
        "image", help=f"file path, URL, or bundled photo ({', '.join(BUNDLED_IMAGES)})"
    )
    parser.add_argument(
        "--model",
        default=BUNDLED_MODEL,
        help=f"TF-Hub handle, SavedModel folder, or {BUNDLED_MODEL!r} (default, offline)",
    )
    parser.add_argument(
        "--target", default="top-1", help="class index, label name, or 'top-1' (default)"
    )
    parser.add_argument("--m-steps", type=int, default=64, help="integration steps (default 64)")
    parser.add_argument(
        "--method",
        default="riemann_trapezoid",
        choices=INTEGRATION_RULES,
        help="integration rule (default riemann_trapezoid)",
    )
    parser.add_argument("--batch-size", type=int, default=None, help="gradients per model call")
    parser.add_argument("--baseline", default="black", help="baseline name (default black)")
    parser.add_argument("--cmap", default="inferno", help="colormap of the mask")
    parser.add_argument(
        "--out", type=Path, default=None, help="PNG to write (default outputs/<image>.png)"
    )
    parser.set_defaults(handler=_attribute)


def _attribute(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from ig_tutorial.ig.baselines import make_baseline
    from ig_tutorial.ig.integrated_gradients import integrated_gradients
    from ig_tutorial.images import read_image
    from ig_tutorial.models.loading import load_model
    from ig_tutorial.plotting.tutorial_figures import plot_img_attributions

    model = load_model(args.model)
    image = read_image(args.image, size=model.input_size)
    print(model.summary())
    print(f"\nTop-3 for {args.image}:")
    for index, label, probability in model.predict_top_k(image, k=3):
        print(f"  {index:4d} {label:<30s} {probability:7.2%}")
    baseline = make_baseline(args.baseline, image)
    result = integrated_gradients(
        model,
        image,
        args.target,
        baseline=baseline,
        m_steps=args.m_steps,
        method=args.method,
        batch_size=args.batch_size,
        progress=True,
    )
    label = model.labels[result.target] if model.labels else str(result.target)
    print(f"\nIntegrated Gradients for class {result.target} ({label}):")
    print("  " + result.completeness_report())
    stem = Path(str(args.image)).stem.replace(" ", "_")
    out = args.out or Path("outputs") / f"{stem}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    figure = plot_img_attributions(
        image, baseline, result.attributions, cmap=args.cmap, title=f"{label} ({result.target})"
    )
    figure.savefig(out, dpi=100)
    print(f"\nWrote {out}")
    return 0


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
    parser.add_argument(
        "--notebooks",
        nargs="+",
        default=None,
        metavar="NOTEBOOK",
        help="which notebooks: numbers (05), names (05_integration) or paths; default all",
    )
    parser.add_argument(
        "--notebook-dir",
        type=Path,
        default=None,
        help="folder of the notebooks (default notebooks/)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=None,
        help="seconds one cell may run (default: no limit)",
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


def build_parser() -> argparse.ArgumentParser:
    """Return the ``ig-tutorial`` argument parser.

    Building it imports no TensorFlow (only :mod:`ig_tutorial.sources` and the integration rules),
    so ``ig-tutorial --help`` and ``--version`` answer at once.
    """
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ig-tutorial`` command; return the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, FileNotFoundError, ConnectionError) as error:
        print(f"ig-tutorial: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
