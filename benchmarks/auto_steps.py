"""How many steps ``m_steps="auto"`` needs, against the tutorial's fixed step count.

For each photo (bundled EfficientNet-Lite0, black baseline, top-1 class, probability output) it
prints one row per method: steps, gradient evaluations, completeness error, the last refinement's
change (auto only), the relative L2 error against a 512-node Gauss-Legendre reference, and the
wall time. Times are of one run after a warm-up that compiles the gradient function; on a shared
CPU they are rough.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/auto_steps.py --images coffee grace_hopper chelsea
    PYTHONPATH=$PWD python benchmarks/auto_steps.py --tolerances 0.05 --fixed-steps
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ig_tutorial import (
    integrated_gradients,
    load_model,
    read_image,
    relative_l2_error,
    resolve_target,
)
from ig_tutorial.sources import BUNDLED_MODEL


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, time.perf_counter() - start, caught


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="+", default=["coffee", "grace_hopper", "chelsea"])
    parser.add_argument("--tolerances", type=float, nargs="+", default=[0.01])
    parser.add_argument("--max-steps", type=int, default=1024)
    parser.add_argument("--fixed-steps", type=int, nargs="*", default=[240, 256])
    parser.add_argument("--reference-steps", type=int, default=512)
    args = parser.parse_args()

    model = load_model(BUNDLED_MODEL)
    warm_up = read_image(args.images[0])
    integrated_gradients(model, warm_up, 0, m_steps=32)  # compile once, outside the timings

    print(
        "| photo (class) | run | steps | evaluations | completeness error | last change "
        "| L2 vs reference | time (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in args.images:
        image = read_image(name)
        target = resolve_target(model, image, "top-1")
        label = model.labels[target] if model.labels is not None else str(target)
        reference, reference_time, _ = timed(
            integrated_gradients,
            model,
            image,
            target,
            m_steps=args.reference_steps,
            method="gausslegendre",
        )
        runs = [
            (f"auto, tolerance {tolerance:g}", {"m_steps": "auto", "tolerance": tolerance})
            for tolerance in args.tolerances
        ]
        runs += [(f"fixed {m}", {"m_steps": m}) for m in args.fixed_steps]
        for run_name, options in runs:
            result, seconds, caught = timed(
                integrated_gradients, model, image, target, max_steps=args.max_steps, **options
            )
            change = "" if result.refinement_change is None else f"{result.refinement_change:.2%}"
            if caught:
                change += " (tolerance not met)"
            print(
                f"| {name} ({label}) | {run_name} | {result.m_steps} | {result.num_evaluations} "
                f"| {result.relative_completeness_error:.2%} | {change} "
                f"| {relative_l2_error(result.attributions, reference.attributions):.2%} "
                f"| {seconds:.1f} |"
            )
            if result.convergence_history:
                history = ", ".join(
                    f"{step.m_steps}: {step.relative_completeness_error:.2%}"
                    + ("" if step.refinement_change is None else f"/{step.refinement_change:.2%}")
                    for step in result.convergence_history
                )
                print(f"|  | auto history (steps: completeness/change) | {history} |||||| ")
        print(
            f"| {name} ({label}) | reference gausslegendre {args.reference_steps} "
            f"| {reference.m_steps} | {reference.num_evaluations} "
            f"| {reference.relative_completeness_error:.2%} |  | 0 | {reference_time:.1f} |"
        )


if __name__ == "__main__":
    main()
