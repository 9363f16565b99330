r"""``m_steps="auto"``: a locally refined trapezoid rule that estimates its own error.

Taught in ``notebooks/08_integration_rules_and_steps.py`` through ``m_steps="auto"``. The
integrand of Integrated Gradients is not hard everywhere along the path: where the target's
probability is saturated the gradient changes little, and a rule's error sits where the score
changes. So the estimate is the trapezoid rule on a grid that starts uniform and **bisects** the
sub-intervals whose error is largest. Bisecting ``[a, b]`` (width ``h``) at ``m`` changes the
estimate by ``h / 2`` times the *surplus* ``g(m) - (g(a) + g(b)) / 2``, so every gradient is
reused and none evaluated twice.

Each sub-interval knows its exact **local completeness residual**
:math:`r = F(b) - F(a) - \frac{h}{2} (g(a) + g(b)) \cdot (x - x')` (they add up to minus the
completeness delta), and an **error indicator** ``e``, an estimate of the L2 norm of its error:
:data:`SURPLUS_FACTOR` times the surplus contribution of the bisection that created it (the first
grid's borrow their end nodes' surplus against their neighbours). Refinement stops when the
completeness error is at most ``tolerance`` and ``sqrt(sum e^2) / ||IG||`` at most
:data:`L2_STOP_FACTOR` times it; until then each round bisects the sub-intervals with the largest
share of the unmet budgets. The contract, the calibration of the indicator and the costs are in
``docs/benchmarks.md`` ("Automatic steps").
"""

from __future__ import annotations

import bisect
import heapq
import warnings

import numpy as np

from ig_tutorial.checks import positive_integer, positive_number
from ig_tutorial.ig.integration_rules import (
    IntegrationRule,
    canonical_rule_name,
    trapezoid_weights,
)
from ig_tutorial.ig.path_integral import PathEnds
from ig_tutorial.ig.results import (
    ConvergenceStep,
    IntegratedGradientsResult,
    LocalRefinement,
    relative_completeness_error,
    relative_error,
)
from ig_tutorial.progress import batches_bar

#: The defaults of ``m_steps="auto"``: 1% relative completeness error, at most 1024 sub-intervals.
DEFAULT_TOLERANCE = 0.01
DEFAULT_MAX_STEPS = 1024

#: Nodes of the first uniform grid, rounded up to whole rounds of midpoints.
INITIAL_NODES = 16

#: At most this many midpoints per input a round (fewer when ``batch_size`` is smaller); a call
#: packs the rounds of several inputs up to ``batch_size`` points.
ROUND_MIDPOINTS = 8

#: ``c`` of the error indicator: unbiased on the bundled model, as for a random-walk gradient.
SURPLUS_FACTOR = 0.4

#: Stop when the estimated L2 error is at most this times ``tolerance``: room below the
#: contract's ``2 * tolerance`` for the estimate's own error.
L2_STOP_FACTOR = 1.5

#: The share of its parent's priority a half keeps before its midpoint is evaluated.
CHILD_PRIORITY_RATIO = 0.25

#: Sub-intervals narrower than this are not bisected (the path's points are ``float32``).
MIN_WIDTH = 2.0**-20


def check_adaptive_settings(method: str, tolerance: float, max_steps: int) -> None:
    """Check what only ``m_steps="auto"`` uses.

    Raises
    ------
    ValueError
        If ``method`` is not the trapezoid (the only rule whose refinement reuses its nodes),
        ``tolerance`` is not a positive number, or ``max_steps`` is below ``2 * INITIAL_NODES``.
    """
    if canonical_rule_name(method) != "riemann_trapezoid":
        raise ValueError(
            f"m_steps='auto' refines the trapezoid rule, so method must be "
            f"'riemann_trapezoid', got {method!r}. Use the trapezoid, or give an integer m_steps."
        )
    positive_number(tolerance, "tolerance", "relative, e.g. 0.01 for 1%")
    positive_integer(
        max_steps,
        "max_steps",
        minimum=2 * INITIAL_NODES,
        why=f"room to refine the first grid of {INITIAL_NODES} nodes",
    )


def choose_midpoints(
    alphas: list[float], priority: np.ndarray, count: int, min_width: float = MIN_WIDTH
) -> np.ndarray:
    """The ``count`` new nodes of a round: midpoints of the sub-intervals most worth splitting.

    Greedy on a priority queue: split the highest, put back its halves with
    :data:`CHILD_PRIORITY_RATIO` of its priority. So a sub-interval that holds most of the error
    can be split into quarters within one round. Sub-intervals narrower than ``2 * min_width``
    are not split; the result is ascending.
    """
    queue = [
        (-float(p), a, b)
        for p, a, b in zip(priority, alphas[:-1], alphas[1:], strict=True)
        if b - a >= 2.0 * min_width
    ]
    heapq.heapify(queue)
    chosen = []
    while queue and len(chosen) < count:
        negative, a, b = heapq.heappop(queue)
        middle = (a + b) / 2.0
        chosen.append(middle)
        if middle - a >= 2.0 * min_width:
            heapq.heappush(queue, (negative * CHILD_PRIORITY_RATIO, a, middle))
            heapq.heappush(queue, (negative * CHILD_PRIORITY_RATIO, middle, b))
    return np.sort(np.asarray(chosen, dtype=np.float64))


def _squared_shares(values: np.ndarray, budget: float) -> np.ndarray:
    """``(values / budget)^2``; relative to the largest value when the budget is 0."""
    scale = budget if budget > 0.0 else float(np.max(np.abs(values), initial=0.0))
    return np.zeros(values.shape) if scale == 0.0 else np.square(values / scale)


class Refinement:
    """The nodes and sub-intervals of one input's refinement, in alpha order.

    Per node: ``alphas``, ``scores`` (``F``), ``rounds``, ``gradients`` (kept: any may be needed
    to bisect its neighbours, which bounds the memory by ``max_steps + 1`` gradients) and
    ``projected`` (``g . (x - x')``); per sub-interval its indicator in ``errors``. The
    bookkeeping between model calls goes through a few reused work arrays that stay in the
    CPU's cache, and avoids BLAS, whose threads would keep spinning into the next model call.
    """

    def __init__(self, difference: np.ndarray, score_difference: float) -> None:
        self.difference, self.score_difference = difference, score_difference
        self.alphas: list[float] = []
        self.scores: list[float] = []
        self.rounds: list[int] = []
        self.gradients: list[np.ndarray] = []
        self.projected: list[float] = []
        self.errors: list[float] = []
        self.history: list[ConvergenceStep] = []
        self.converged = False
        self._work: dict = {}

    def _scratch(self, name: str, dtype) -> np.ndarray:
        key = (name, np.dtype(dtype))
        if key not in self._work:
            self._work[key] = np.empty(self.difference.shape, dtype)
        return self._work[key]

    def _dot(self, a: np.ndarray, b: np.ndarray, name: str = "product") -> float:
        """``sum(a * b)`` in float64 by numpy's pairwise sum, into a work array (no BLAS)."""
        product = np.multiply(a, b, out=self._scratch(name, np.result_type(a, b)))
        return float(np.sum(product, dtype=np.float64))

    def _norm(self, gradient_like: np.ndarray) -> float:
        """``||(x - x') * v||``: the L2 norm in attribution units."""
        weighted = np.multiply(
            gradient_like,
            self.difference,
            out=self._scratch("weighted", np.result_type(gradient_like, self.difference)),
        )
        return float(np.sqrt(self._dot(weighted, weighted)))

    def start(self, alphas: np.ndarray, gradients: np.ndarray, scores: np.ndarray) -> None:
        """Take the first, uniform grid: its trapezoid sum and its sub-intervals' indicators."""
        self.alphas = [float(alpha) for alpha in alphas]
        self.scores = [float(score) for score in scores]
        self.rounds = [0] * len(alphas)
        self.gradients = list(gradients)
        self.projected = [self._dot(gradient, self.difference) for gradient in gradients]
        self.average_gradient = np.zeros(gradients.shape[1:])
        term = self._scratch("term", np.float64)
        for weight, gradient in zip(trapezoid_weights(alphas), gradients, strict=True):
            self.average_gradient += np.multiply(weight, gradient, out=term)
        self.errors = self.first_grid_errors(np.asarray(alphas, np.float64), gradients)

    def first_grid_errors(self, alphas: np.ndarray, gradients: np.ndarray) -> list[float]:
        """Each first-grid sub-interval's ``e``: the RMS surplus of its inner end nodes.

        An inner node's surplus is taken against its two neighbours, as if it had bisected
        ``[alpha_{k-1}, alpha_{k+1}]``.
        """
        inner = np.zeros(len(alphas))
        surplus = self._scratch("surplus", np.float64)
        term = self._scratch("term", np.float64)
        for k in range(1, len(alphas) - 1):
            left, right = alphas[k] - alphas[k - 1], alphas[k + 1] - alphas[k]
            # surplus = g_k - (right g_{k-1} + left g_{k+1}) / (left + right)
            np.multiply(right, gradients[k - 1], out=surplus)
            surplus += np.multiply(left, gradients[k + 1], out=term)
            surplus /= left + right
            np.subtract(gradients[k], surplus, out=surplus)
            inner[k] = (left + right) / 2.0 * self._norm(surplus)
        errors = []
        for k in range(len(alphas) - 1):
            ends = [inner[j] for j in (k, k + 1) if 0 < j < len(alphas) - 1]
            errors.append(SURPLUS_FACTOR * float(np.sqrt(np.mean(np.square(ends)))))
        return errors

    def halves_errors(self, width: float, surplus_norm: float) -> tuple[float, float]:
        """Both halves of a bisected sub-interval get ``c * width / 2 * ||(x - x') surplus||``."""
        child = SURPLUS_FACTOR * width / 2.0 * surplus_norm
        return child, child

    def bisect(
        self, midpoints: np.ndarray, gradients: np.ndarray, scores: np.ndarray, round_: int
    ) -> None:
        """Insert new nodes, each the midpoint of a sub-interval once those before it are in.

        A quarter point waits for its parent's midpoint, whose surplus must be counted first.

        Raises
        ------
        ValueError
            If a node is not the midpoint of a sub-interval.
        """
        pending = list(zip(midpoints, gradients, scores, strict=True))
        while pending:
            waiting = []
            for alpha, gradient, score in pending:
                k = bisect.bisect_left(self.alphas, alpha) - 1
                a, b = self.alphas[k], self.alphas[k + 1]
                if (a + b) / 2.0 != alpha:
                    waiting.append((alpha, gradient, score))
                    continue
                # surplus = g(m) - (g(a) + g(b)) / 2, and the estimate gains (b - a) / 2 of it.
                surplus = np.add(
                    self.gradients[k],
                    self.gradients[k + 1],
                    out=self._scratch("surplus", gradient.dtype),
                )
                np.divide(surplus, 2.0, out=surplus)
                np.subtract(gradient, surplus, out=surplus)
                self.average_gradient += np.multiply(
                    (b - a) / 2.0, surplus, out=self._scratch("term", surplus.dtype)
                )
                self.alphas.insert(k + 1, float(alpha))
                self.scores.insert(k + 1, float(score))
                self.rounds.insert(k + 1, round_)
                self.gradients.insert(k + 1, gradient)
                self.projected.insert(k + 1, self._dot(gradient, self.difference))
                self.errors[k : k + 1] = self.halves_errors(b - a, self._norm(surplus))
            if len(waiting) == len(pending):
                raise ValueError(f"alphas {[a for a, _, _ in waiting]} are not midpoints")
            pending = waiting

    def rule(self) -> IntegrationRule:
        """The trapezoid rule on the nodes so far: what the estimate is."""
        alphas = np.asarray(self.alphas)
        return IntegrationRule(
            "riemann_trapezoid", alphas.size - 1, alphas, trapezoid_weights(alphas)
        )

    def residuals(self) -> np.ndarray:
        """The local completeness residual of every sub-interval."""
        alphas, projected = np.asarray(self.alphas), np.asarray(self.projected)
        return np.diff(self.scores) - np.diff(alphas) / 2.0 * (projected[:-1] + projected[1:])

    def next_midpoints(self, count: int, tolerance: float, max_steps: int) -> np.ndarray | None:
        """Judge the estimate (a row of ``history``); the next round's midpoints, or ``None``.

        ``None`` when the estimate meets ``tolerance`` (``converged`` is then set), or when
        ``max_steps`` or :data:`MIN_WIDTH` leave nothing to bisect. When ``F(x) = F(x')`` the
        relative completeness error is undefined, so the delta is judged against the sum of the
        attributions' magnitudes instead.
        """
        attributions = self.average_gradient * self.difference
        total = float(attributions.sum())
        completeness = relative_completeness_error(total, self.score_difference)
        norm = float(np.sqrt(self._dot(attributions, attributions, "attributions")))
        estimated = relative_error(float(np.sqrt(np.sum(np.square(self.errors)))), norm)
        judged = completeness
        if self.score_difference == 0.0:
            judged = relative_error(abs(total), float(np.abs(attributions).sum()))
        self.history.append(
            ConvergenceStep(len(self.alphas) - 1, len(self.alphas), completeness, estimated)
        )
        l2_tolerance = L2_STOP_FACTOR * tolerance
        if judged <= tolerance and estimated <= l2_tolerance:
            self.converged = True
            return None
        widths = np.diff(self.alphas)
        room = max_steps + 1 - len(self.alphas)
        count = min(count, room, int(np.count_nonzero(widths >= 2.0 * MIN_WIDTH)))
        if count <= 0:
            return None
        priority = np.zeros(widths.size)
        if estimated > l2_tolerance:
            priority += _squared_shares(np.asarray(self.errors), l2_tolerance * norm)
        if judged > tolerance:
            priority += _squared_shares(self.residuals(), tolerance * abs(self.score_difference))
        return choose_midpoints(self.alphas, priority, count, MIN_WIDTH)


def integrate_adaptively(
    ends: PathEnds, tolerance: float, max_steps: int, *, progress: bool = False
) -> list[IntegratedGradientsResult]:
    """Integrated Gradients of each input by the locally refined trapezoid rule (module doc).

    Each round asks :meth:`~ig_tutorial.ig.path_integral.PathEnds.gradients` for the midpoints
    of every input still refining, so one model call holds the rounds of several inputs; an
    input that is done drops out.

    Warns
    -----
    UserWarning
        When ``max_steps`` is reached before ``tolerance`` is met, with the errors.
    """
    per_round = min(ends.batch_size, ROUND_MIDPOINTS)
    refinements = [
        Refinement(np.asarray(image - baseline, np.float32), float(difference))
        for image, baseline, difference in zip(
            ends.images, ends.baselines, ends.scores_at_input - ends.scores_at_baseline, strict=True
        )
    ]
    first = np.linspace(0.0, 1.0, min(per_round * -(-INITIAL_NODES // per_round), max_steps + 1))
    requests = [(row, first) for row in range(len(ends))]
    round_ = 0
    with batches_bar(None, ends.batch_size, desc="IG batches", progress=progress) as bar:
        while requests:
            rows = np.concatenate([np.full(len(alphas), row) for row, alphas in requests])
            alphas = np.concatenate([alphas for _, alphas in requests])
            scores, gradients = [], []
            for _, _, call_scores, call_gradients in ends.gradients(rows, alphas, bar=bar):
                scores.append(call_scores)
                gradients.append(np.asarray(call_gradients))  # shared: .numpy() would copy
            # A round of one call is kept as it is, without a copy.
            scores = np.concatenate(scores)
            gradients = gradients[0] if len(gradients) == 1 else np.concatenate(gradients)
            cuts = np.cumsum([len(alphas) for _, alphas in requests])[:-1]
            answers = zip(
                np.split(gradients, cuts), np.split(scores.astype(np.float64), cuts), strict=True
            )
            for (row, alphas), (g, s) in zip(requests, answers, strict=True):
                if round_ == 0:
                    refinements[row].start(alphas, g, s)
                else:
                    refinements[row].bisect(alphas, g, s, round_)
            round_ += 1
            requests = [
                (row, refinements[row].next_midpoints(per_round, tolerance, max_steps))
                for row, _ in requests
            ]
            requests = [(row, midpoints) for row, midpoints in requests if midpoints is not None]
    _warn_unmet(refinements, tolerance, max_steps)
    return [
        ends.result(
            row,
            refinement.difference * refinement.average_gradient.astype(np.float32),
            np.asarray(refinement.scores),
            refinement.rule(),
            estimated_error=refinement.history[-1].estimated_error,
            convergence_history=tuple(refinement.history),
            refinement=LocalRefinement(
                np.asarray(refinement.rounds),
                refinement.residuals(),
                np.asarray(refinement.errors),
                float(tolerance),
                refinement.converged,
            ),
        )
        for row, refinement in enumerate(refinements)
    ]


def _warn_unmet(refinements: list[Refinement], tolerance: float, max_steps: int) -> None:
    """Warn when inputs ran out of ``max_steps`` before meeting ``tolerance``."""
    unmet = [row for row, refinement in enumerate(refinements) if not refinement.converged]
    if len(refinements) == 1 and unmet:
        last = refinements[0].history[-1]
        warnings.warn(
            f"m_steps='auto' did not meet tolerance {tolerance:g} within max_steps={max_steps}: "
            f"at {last.m_steps} steps ({last.num_evaluations} gradient evaluations) the "
            f"completeness error is {last.relative_completeness_error:.3g} and the estimated L2 "
            f"error is {last.estimated_error:.3g}. The best estimate is returned; raise "
            f"max_steps or tolerance for a converged one.",
            UserWarning,
            stacklevel=4,
        )
    elif unmet:
        warnings.warn(
            f"m_steps='auto' did not meet tolerance {tolerance:g} within max_steps={max_steps} "
            f"for {len(unmet)} of {len(refinements)} inputs (indices {unmet[:10]}"
            f"{', ...' if len(unmet) > 10 else ''}); their best estimates are returned, and each "
            f"result's convergence_history gives its errors. Raise max_steps or tolerance for "
            f"converged ones.",
            UserWarning,
            stacklevel=4,
        )
