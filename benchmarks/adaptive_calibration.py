"""The measurements behind the error indicator and the stopping rule of ``m_steps="auto"``.

``m_steps="auto"`` (:mod:`ig_tutorial.ig.adaptive_steps`) is replayed on the cached fine grids of
``benchmarks/path_grid.py`` instead of the model: its first grid (16 nodes, batch 8) and six
bisections of it are all grid points, so every run costs no model call and every sub-interval's
true error is known. It prints, at tolerance ``t`` (0.01), for both indicators (``"surplus"``,
what "auto" uses, and ``"change"``, the change of the gradient across the sub-interval) and for
three stopping thresholds (estimated L2 error at most 1, 1.5 or 2 ``t``):

1. **per photo**, where the run stopped: evaluations (and their ratio to the cheapest uniform
   step count that meets the bar in hindsight), completeness error, estimated and true L2 error
   (against the 512-node Gauss-Legendre reference), true / estimated, and the nodes in each tenth
   of the path; "FALSE STOP" marks a run that stopped outside the contract;
2. **per sub-interval**, pooled over the runs stopped at ``t`` (sub-intervals at least 8 / 960
   wide, where the fine grid's own trapezoid is a good truth), how well each indicator predicts
   the L2 norm of the sub-interval's true error: the median of true / indicator (1 is unbiased),
   its 10%-90% spread, and the rank correlation.

Run from the repository root after ``python -m benchmarks.path_grid PHOTOS``::

    PYTHONPATH=$PWD python -m benchmarks.adaptive_calibration coffee grace_hopper chelsea \\
        astronaut rocket motorcycle
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

import numpy as np

from benchmarks.path_grid import (
    GRID_STEPS,
    REFERENCE_NODES,
    PathGrid,
    cheapest_uniform,
    load,
    uniform_sweep,
)
from ig_tutorial.ig import adaptive_steps
from ig_tutorial.ig.adaptive_steps import Refinement
from ig_tutorial.ig.path_integral import PathEnds
from ig_tutorial.ig.results import IntegratedGradientsResult

TOLERANCE = 0.01
BATCH_SIZE = 8
#: Sub-intervals at least this many grid steps wide have a trustworthy true error.
MIN_TRUTH_STEPS = 8
L2_FACTORS = (1.0, 1.5, 2.0)

#: The alternative indicator compared with "auto"'s surplus: ``CHANGE_FACTOR * h / 2 *
#: ||(x - x') (g(b) - g(a))||``, the change of the gradient across a sub-interval (for a random
#: walk the trapezoid's error is ``2 / sqrt(12)`` = 0.58 times ``h / 2`` times the change).
CHANGE_FACTOR = 0.58


class ChangeRefinement(Refinement):
    """ "auto"'s refinement with the change indicator in place of the surplus."""

    def _change(self, k: int) -> float:
        """Sub-interval ``k``'s indicator: ``c h / 2 ||(x - x') (g(b) - g(a))||``."""
        width = self.alphas[k + 1] - self.alphas[k]
        return CHANGE_FACTOR * width / 2.0 * self._norm(self.gradients[k + 1] - self.gradients[k])

    def first_grid_errors(self, alphas: np.ndarray, gradients: np.ndarray) -> list[float]:
        return [self._change(k) for k in range(len(alphas) - 1)]

    def bisect(self, midpoints: np.ndarray, *args, **kwargs) -> None:
        super().bisect(midpoints, *args, **kwargs)
        for alpha in midpoints:  # the halves on each side of a new node; the rest are unchanged
            node = self.alphas.index(float(alpha))
            self.errors[node - 1], self.errors[node] = self._change(node - 1), self._change(node)


#: The refinements compared, by indicator: "surplus" is what "auto" uses.
INDICATORS: dict[str, type[Refinement]] = {"surplus": Refinement, "change": ChangeRefinement}


@dataclass(frozen=True, eq=False)
class IntegrandEnds(PathEnds):
    """The ends of one path whose gradients come from ``evaluate(alphas) -> (gradients, F)``."""

    evaluate: Callable | None = None

    def gradients(self, rows, alphas, weights=None, *, bar=None):
        for first in range(0, len(rows), self.batch_size):
            gradients, scores = self.evaluate(np.asarray(alphas[first : first + self.batch_size]))
            yield 0, None, np.asarray(scores, np.float64), gradients


def replay(
    evaluate: Callable,
    difference: np.ndarray,
    score_difference: float,
    *,
    batch_size: int,
    tolerance: float,
    max_steps: int,
    refinement: type[Refinement] = Refinement,
    l2_factor: float = adaptive_steps.L2_STOP_FACTOR,
    min_width: float = adaptive_steps.MIN_WIDTH,
) -> IntegratedGradientsResult:
    """``m_steps="auto"`` on an integrand instead of a model, with its settings replaced.

    ``evaluate(alphas)`` gives the gradients and ``F`` at the alphas of a path whose
    ``x - x'`` is ``difference`` and ``F(x) - F(x')`` is ``score_difference``. Running out of
    ``max_steps`` does not warn here: the result's ``refinement.converged`` says so.
    """
    difference = np.asarray(difference, np.float32)
    ends = IntegrandEnds(
        model=None,
        output="logit",
        batch_size=batch_size,
        baselines=np.zeros((1, *difference.shape), np.float32),
        images=difference[np.newaxis],
        targets=np.zeros(1, np.int64),
        scores_at_baseline=np.zeros(1),
        scores_at_input=np.array([float(score_difference)]),
        evaluate=evaluate,
    )
    with (
        mock.patch.multiple(
            adaptive_steps, Refinement=refinement, L2_STOP_FACTOR=l2_factor, MIN_WIDTH=min_width
        ),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", UserWarning)
        (result,) = adaptive_steps.integrate_adaptively(ends, tolerance, max_steps)
    return result


def grid_evaluate(grid: PathGrid):
    """``evaluate(alphas)`` answered from the grid (densities, F)."""

    def evaluate(alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        index = np.rint(np.asarray(alphas) * GRID_STEPS).astype(int)
        if not np.allclose(index / GRID_STEPS, alphas, rtol=0, atol=1e-12):
            raise ValueError(f"alphas off the grid: {alphas}")
        return np.asarray(grid.densities[index]), grid.scores[index]

    return evaluate


def replay_on_grid(grid: PathGrid, tolerance: float, indicator: str, l2_factor: float):
    """``m_steps="auto"`` on the grid (batch 8), with the densities as gradients and x - x' = 1."""
    return replay(
        grid_evaluate(grid),
        np.ones(grid.densities.shape[1:], np.float32),
        grid.score_difference,
        batch_size=BATCH_SIZE,
        tolerance=tolerance,
        max_steps=GRID_STEPS,
        refinement=INDICATORS[indicator],
        l2_factor=l2_factor,
        min_width=1.0 / GRID_STEPS,
    )


def leaf_truth(grid: PathGrid, alphas: np.ndarray) -> np.ndarray:
    """Per sub-interval: the L2 norm of its true error and its width in grid steps."""
    index = np.rint(alphas * GRID_STEPS).astype(int)
    rows = []
    for left, right in zip(index[:-1], index[1:], strict=True):
        width = (right - left) / GRID_STEPS
        ends = grid.densities[[left, right]].astype(np.float64)
        coarse = width / 2.0 * (ends[0] + ends[1])
        fine_nodes = grid.densities[left : right + 1].astype(np.float64)
        fine = (fine_nodes[:-1] + fine_nodes[1:]).sum(axis=0) / (2.0 * GRID_STEPS)
        rows.append((np.linalg.norm(coarse - fine), right - left))
    return np.asarray(rows)


def _ranks(values: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(values)).astype(float)


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (no ties expected)."""
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def per_tenth(alphas: np.ndarray) -> str:
    """Nodes in each tenth of the path, e.g. ``"39 38 24 ..."``."""
    counts = np.histogram(alphas, bins=10, range=(0.0, 1.0))[0]
    return " ".join(str(count) for count in counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="+")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    args = parser.parse_args()
    tolerance = args.tolerance
    grids = {photo: load(photo) for photo in args.photos}
    pooled = {name: ([], []) for name in INDICATORS}
    print(f"tolerance {tolerance:g}, batch {BATCH_SIZE}; the bar: completeness <= {tolerance:.0%}")
    print(f"and L2 <= {2 * tolerance:.0%} against Gauss-Legendre {REFERENCE_NODES}")
    print(
        "\n| indicator | stop at estimated L2 <= | photo | evaluations | / cheapest uniform "
        "| completeness | estimated L2 | true L2 | true / estimated | nodes per tenth |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for indicator in INDICATORS:
        for l2_factor in L2_FACTORS:
            for photo, grid in grids.items():
                outcome = replay_on_grid(grid, tolerance, indicator, l2_factor)
                last = outcome.convergence_history[-1]
                true_l2 = np.linalg.norm(outcome.attributions - grid.reference) / np.linalg.norm(
                    grid.reference
                )
                cheapest = cheapest_uniform(uniform_sweep(grid), tolerance, 2 * tolerance)
                ratio = (
                    f"{last.num_evaluations / cheapest['evaluations']:.2f} "
                    f"(of {cheapest['evaluations']})"
                    if cheapest
                    else "no uniform m meets it"
                )
                held = last.relative_completeness_error <= tolerance and true_l2 <= 2 * tolerance
                flag = "" if outcome.refinement.converged else " (max_steps)"
                flag += "" if held or not outcome.refinement.converged else " FALSE STOP"
                print(
                    f"| {indicator} | {l2_factor:g} t | {photo} | {last.num_evaluations}{flag} "
                    f"| {ratio} | {last.relative_completeness_error:.2%} "
                    f"| {last.estimated_error:.2%} | {true_l2:.2%} "
                    f"| {true_l2 / last.estimated_error:.2f} | {per_tenth(outcome.alphas)} |"
                )
                if l2_factor == 1.0:
                    truth = leaf_truth(grid, outcome.alphas)
                    wide = truth[:, 1] >= MIN_TRUTH_STEPS
                    pooled[indicator][0].extend(truth[wide, 0])
                    pooled[indicator][1].extend(outcome.refinement.interval_errors[wide])
    print(f"\nPer sub-interval (at least {MIN_TRUTH_STEPS} grid steps wide; truth: the fine grid)")
    for name, (true, indicator) in pooled.items():
        true, indicator = np.asarray(true), np.asarray(indicator)
        positive = indicator > 0
        ratio = true[positive] / indicator[positive]
        q10, q50, q90 = np.quantile(ratio, [0.1, 0.5, 0.9])
        print(
            f"  {name:>8} ({true.size} sub-intervals): true / indicator median {q50:.2f}, "
            f"10%-90% {q10:.2f}-{q90:.2f} (x{q90 / q10:.2f}); rank correlation "
            f"{rank_correlation(true, indicator):.3f}"
        )


if __name__ == "__main__":
    main()
