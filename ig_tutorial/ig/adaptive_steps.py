r"""``m_steps="auto"``: a locally refined trapezoid rule that estimates its own error.

Taught in ``notebooks/08_integration_rules_and_steps.py`` through ``m_steps="auto"``. Along the
straight path the integrand of Integrated Gradients (Sundararajan et al., 2017, arXiv:1703.01365)
is not hard everywhere: where the target probability is saturated the gradient changes little,
and the error of a quadrature rule sits where the score changes. A uniform grid spends its
evaluations everywhere alike; this module spends them where the error is.

**The rule.** The estimate is the trapezoid rule on a non-uniform grid of nodes: a sub-interval
``[a, b]`` of width ``h`` contributes ``h / 2 (g(a) + g(b))``, with ``g`` the gradient of ``F`` at
``x' + alpha (x - x')``. It starts on a uniform grid and repeatedly **bisects** the sub-intervals
whose error is largest. Bisecting ``[a, b]`` at its midpoint ``m`` changes the estimate by

.. math:: \frac{h}{2} \Big(g(m) - \frac{g(a) + g(b)}{2}\Big),

``h / 2`` times the *surplus* of ``m`` (how far the gradient departs from the straight line
between the two ends), so every evaluation made so far is reused and none is repeated.

**What each sub-interval knows.** Every gradient evaluation also returns ``F`` at its node, so
each sub-interval has an exact **local completeness residual**

.. math:: r = \big(F(b) - F(a)\big) - \frac{h}{2} \big(g(a) + g(b)\big) \cdot (x - x'),

the error of its contribution summed over the pixels; the residuals add up to minus the
completeness delta of the whole estimate. Errors of opposite sign cancel in that sum, so each
sub-interval also carries an **error indicator** ``e``, an estimate of the L2 norm of its
contribution's error: ``c * ||(x - x') * (h_p / 2) * surplus||``, ``c`` =
:data:`SURPLUS_FACTOR`, with the surplus of the bisection (of width ``h_p``) that created the
sub-interval; those of the first grid borrow the surplus of their end nodes against their
neighbours. On a ReLU network the gradient jumps at many points along the path and moves almost
like a random walk; for a random walk the surplus predicts the error of each half with
``c = 0.41``, and ``c = 0.4`` is what the measurements give on the bundled model
(``benchmarks/adaptive_calibration.py``, ``docs/benchmarks.md``, which also compares another
indicator, the change of the gradient across the sub-interval, passed in as an
:class:`ErrorIndicator`). Unlike that change, the surplus also vanishes where the gradient is
smooth, so smooth models stop early.

**Stopping rule.** The errors of different sub-intervals come from different jumps and have
unrelated signs, so the relative L2 error of the whole estimate is estimated as
``sqrt(sum e^2) / ||IG||``. Refinement stops when the exact completeness error is at most
``tolerance`` and this estimate is at most :data:`L2_STOP_FACTOR` ``* tolerance``, below the
contract's ``2 * tolerance`` by the estimate's measured spread. Until then each round bisects
the sub-intervals with the largest ``(e / (L2_STOP_FACTOR t ||IG||))^2 + (r / (t |F(x) -
F(x')|))^2``, each term counted only while its criterion is unmet: each criterion's share of its
own budget. A round adds ``min(batch_size,`` :data:`ROUND_MIDPOINTS` ``)`` midpoints, one model
call (for several inputs, :func:`refine_many` packs the rounds of all of them into calls of
``batch_size`` points, and an input that is done drops out); a sub-interval that holds
much of the error may be split into quarters within one round (:func:`choose_midpoints`).

**Cost and memory.** The first grid has the smallest multiple of a round's midpoints of at least
:data:`INITIAL_NODES` nodes, so every model call is full except a last one that ``max_steps``
cuts short. The gradient of every node is kept, because each may still be needed to bisect the
sub-intervals next to it: memory grows with the evaluations, to at most ``max_steps + 1``
image-sized ``float32`` arrays (617 MB for ``max_steps=1024`` at 224 x 224 x 3), plus one
``float64`` running sum. Between two model calls each new node costs ten passes over an
image-sized array (its surplus, its share of the sum, its projection on ``x - x'``, the surplus's
norm), made node by node into a few work arrays that stay in the CPU's cache: about 1% of the
time of a gradient evaluation on a photo (``docs/benchmarks.md``).
"""

from __future__ import annotations

import bisect
import heapq
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import positive_integer, positive_number
from ig_tutorial.ig.gradients import gradients_in_batches
from ig_tutorial.ig.integration_rules import canonical_rule_name, trapezoid_weights
from ig_tutorial.ig.path_integral import PathBatch, build_result
from ig_tutorial.ig.paths import StraightLines
from ig_tutorial.ig.results import (
    ConvergenceStep,
    IntegratedGradientsResult,
    LocalRefinement,
    relative_completeness_error,
    relative_error,
)
from ig_tutorial.progress import batches_bar

#: The default ``tolerance`` of ``m_steps="auto"``: 1% relative completeness error.
DEFAULT_TOLERANCE = 0.01

#: The default ``max_steps`` of ``m_steps="auto"``: at most 1024 sub-intervals.
DEFAULT_MAX_STEPS = 1024

#: Nodes of the first uniform grid, rounded up to a multiple of the midpoints of a round.
INITIAL_NODES = 16

#: At most this many midpoints per input per round (fewer when ``batch_size`` is smaller): a
#: round's batch of midpoints, while a model call packs the rounds of several inputs up to
#: ``batch_size`` points. Finer rounds spend evaluations where the error is.
ROUND_MIDPOINTS = 8

#: ``c``: the error indicator of a sub-interval is ``c`` times the L2 norm of the surplus
#: contribution of the bisection that created it. 0.4 makes it unbiased on the bundled model
#: (``docs/benchmarks.md``), as it is for a gradient that moves like a random walk along the path.
SURPLUS_FACTOR = 0.4

#: Refinement stops when the estimated relative L2 error is at most this times ``tolerance``,
#: which leaves room below the contract's ``2 * tolerance`` for the estimate's own error.
L2_STOP_FACTOR = 1.5

#: The priority a half of a bisected sub-interval is expected to keep, before its midpoint is
#: evaluated (a squared ratio: each half's error is about half of its parent's where the error
#: comes from jumps of the gradient, less where the gradient is smooth).
CHILD_PRIORITY_RATIO = 0.25

#: Sub-intervals narrower than this are not bisected (the path's points are ``float32``).
MIN_WIDTH = 2.0**-20

#: ``evaluate(alphas) -> (gradients, scores)``: ``float32`` gradients of shape
#: ``(len(alphas), ...)`` and ``F`` at each alpha.
Evaluate = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def check_adaptive_settings(method: str, tolerance: float, max_steps: int) -> None:
    """Check the arguments that only ``m_steps="auto"`` uses.

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


def initial_node_count(batch_size: int, max_steps: int) -> int:
    """Nodes of the first uniform grid: whole batches, at least :data:`INITIAL_NODES` of them."""
    return min(batch_size * -(-INITIAL_NODES // batch_size), max_steps + 1)


def midpoints_per_round(batch_size: int) -> int:
    """Midpoints one input adds a round: ``batch_size``, at most :data:`ROUND_MIDPOINTS`."""
    return min(batch_size, ROUND_MIDPOINTS)


def choose_midpoints(
    alphas: list[float], priority: np.ndarray, count: int, min_width: float = MIN_WIDTH
) -> np.ndarray:
    """The ``count`` new nodes of one round: midpoints of the sub-intervals most worth splitting.

    Greedy on a priority queue: take the sub-interval of highest priority, add its midpoint, and
    put back its two halves with the priority a half is expected to keep,
    ``CHILD_PRIORITY_RATIO`` times the parent's. A sub-interval that holds most of the error can
    so be split into quarters, eighths, ... within one round, and a round never spends its batch
    on sub-intervals with nothing to gain while such a one remains.

    Parameters
    ----------
    alphas : list of float
        The nodes, ascending.
    priority : numpy.ndarray
        One per sub-interval ``[alphas[k], alphas[k + 1]]``.
    count : int
        Midpoints to choose.
    min_width : float
        Sub-intervals narrower than ``2 * min_width`` are not split.

    Returns
    -------
    numpy.ndarray
        The new alphas, ascending, none already a node.
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
            child = negative * CHILD_PRIORITY_RATIO
            heapq.heappush(queue, (child, a, middle))
            heapq.heappush(queue, (child, middle, b))
    return np.sort(np.asarray(chosen, dtype=np.float64))


def _sum_of_products(a: np.ndarray, b: np.ndarray, scratch: np.ndarray | None = None) -> float:
    """``sum(a * b)`` in float64, by numpy's own pairwise sum and not by BLAS.

    The bookkeeping between two model calls must not call BLAS (``np.dot``, ``np.linalg.norm``,
    ``np.tensordot``): OpenBLAS's worker threads keep spinning for a while after a call and take
    cores from the next model call (measured in ``docs/benchmarks.md``). ``scratch``, an array
    of the product's shape and type, holds the product instead of a new one.
    """
    return float(np.sum(np.multiply(a, b, out=scratch), dtype=np.float64))


def _squared_shares(values: np.ndarray, budget: float) -> np.ndarray:
    """``(values / budget)^2``; relative to the largest value when the budget is 0 (no scale)."""
    scale = budget if budget > 0.0 else float(np.max(np.abs(values), initial=0.0))
    if scale == 0.0:
        return np.zeros(values.shape)
    return np.square(values / scale)


#: ``norm(v) = ||(x - x') * v||``: the L2 norm of a gradient-like array in attribution units.
Norm = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class Bisection:
    """One sub-interval bisected: what an :class:`ErrorIndicator` may judge its halves by.

    Attributes
    ----------
    width : float
        The sub-interval's width ``h``.
    left, middle, right : numpy.ndarray
        The gradients at its ends and at its midpoint.
    surplus_norm : float
        ``||(x - x') * (middle - (left + right) / 2)||``: the surplus in attribution units,
        computed once by the refinement, which needs the surplus for the estimate anyway.
    """

    width: float
    left: np.ndarray
    middle: np.ndarray
    right: np.ndarray
    surplus_norm: float


class ErrorIndicator(Protocol):
    """How :func:`refine_locally` estimates the L2 error ``e`` of each sub-interval.

    ``"auto"`` uses :class:`SurplusIndicator`; ``benchmarks/adaptive_calibration.py`` passes
    another one in to compare.
    """

    def first_grid(self, alphas: np.ndarray, gradients: np.ndarray, norm: Norm) -> list[float]:
        """``e`` of each sub-interval of the first grid, from its nodes' gradients."""
        ...

    def halves(self, bisection: Bisection, norm: Norm) -> tuple[float, float]:
        """``e`` of the two halves of a bisected sub-interval."""
        ...


class SurplusIndicator:
    """The surplus indicator of ``"auto"``: ``c`` times the surplus contribution (module doc)."""

    def first_grid(self, alphas: np.ndarray, gradients: np.ndarray, norm: Norm) -> list[float]:
        """The surplus of each inner node against its two neighbours, borrowed by its intervals.

        As if each inner node had bisected ``[alpha_{k-1}, alpha_{k+1}]``: each first-grid
        sub-interval takes the root mean square of its inner end nodes' surpluses.
        """
        alphas = np.asarray(alphas, np.float64)
        inner = np.zeros(len(alphas))
        # Two float64 work arrays for every inner node (the weights are float64 scalars).
        surplus = np.empty(gradients.shape[1:], np.float64)
        term = np.empty_like(surplus)
        for k in range(1, len(alphas) - 1):
            left, right = alphas[k] - alphas[k - 1], alphas[k + 1] - alphas[k]
            # surplus = g_k - (right g_{k-1} + left g_{k+1}) / (left + right)
            np.multiply(right, gradients[k - 1], out=surplus)
            surplus += np.multiply(left, gradients[k + 1], out=term)
            surplus /= left + right
            np.subtract(gradients[k], surplus, out=surplus)
            inner[k] = (left + right) / 2.0 * norm(surplus)
        errors = []
        for k in range(len(alphas) - 1):
            ends = [inner[j] for j in (k, k + 1) if 0 < j < len(alphas) - 1]
            errors.append(SURPLUS_FACTOR * float(np.sqrt(np.mean(np.square(ends)))))
        return errors

    def halves(self, bisection: Bisection, norm: Norm) -> tuple[float, float]:
        """Both halves get ``c * width / 2 * ||(x - x') * surplus||`` of the bisection."""
        child = SURPLUS_FACTOR * bisection.width / 2.0 * bisection.surplus_norm
        return child, child


@dataclass
class LocalRefinementState:
    """The nodes and sub-intervals of a refinement in progress (all lists in alpha order).

    Attributes
    ----------
    difference : numpy.ndarray
        ``x - x'``, float32.
    score_difference : float
        ``F(x) - F(x')``.
    alphas, scores, rounds : list
        Per node: position, ``F`` and the round that evaluated it.
    gradients : list of numpy.ndarray
        Per node: ``dF/dx`` (``float32``, image-sized); what the memory bound counts.
    projected : list of float
        Per node: ``g . (x - x')``, for the residuals.
    errors : list of float
        Per sub-interval ``[alphas[k], alphas[k + 1]]``: its error indicator ``e``.
    indicator : ErrorIndicator
        What ``errors`` holds.
    average_gradient : numpy.ndarray
        The current trapezoid estimate of the integral of ``g``, ``float64``.
    history : list of ConvergenceStep
        One row per round: the errors after it.
    converged : bool
        Whether the last round met the tolerance.
    """

    difference: np.ndarray
    score_difference: float
    alphas: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    gradients: list[np.ndarray] = field(default_factory=list)
    projected: list[float] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)
    indicator: ErrorIndicator = field(default_factory=SurplusIndicator)
    average_gradient: np.ndarray | None = None
    history: list[ConvergenceStep] = field(default_factory=list)
    converged: bool = False
    _work: dict = field(default_factory=dict, init=False, repr=False)

    def _scratch(self, name: str, dtype: type) -> np.ndarray:
        """A work array of the input's shape, made once: the bookkeeping allocates nothing.

        A round's work on each node runs through these few arrays (0.6 MB each for a photo in
        ``float32``), which stay in the CPU's cache between one operation and the next; a stack
        of the round's nodes would not (``docs/benchmarks.md``).
        """
        key = (name, np.dtype(dtype))
        if key not in self._work:
            self._work[key] = np.empty(self.difference.shape, dtype)
        return self._work[key]

    def _project(self, gradient: np.ndarray) -> float:
        """``g . (x - x')``."""
        return _sum_of_products(
            gradient,
            self.difference,
            self._scratch("product", np.result_type(gradient, self.difference)),
        )

    def _norm(self, gradient_like: np.ndarray) -> float:
        """``||(x - x') * v||``: the L2 norm in attribution units."""
        weighted = np.multiply(
            gradient_like,
            self.difference,
            out=self._scratch("product", np.result_type(gradient_like, self.difference)),
        )
        return float(np.sqrt(_sum_of_products(weighted, weighted, weighted)))

    def start(self, alphas: np.ndarray, gradients: np.ndarray, scores: np.ndarray) -> None:
        """Take the first, uniform grid: the trapezoid sum and its sub-intervals' indicators."""
        self.alphas = [float(alpha) for alpha in alphas]
        self.scores = [float(score) for score in scores]
        self.rounds = [0] * len(alphas)
        self.gradients = list(gradients)
        self.projected = [self._project(gradient) for gradient in gradients]
        self.average_gradient = np.zeros(gradients.shape[1:])
        term = self._scratch("term", np.float64)
        for weight, gradient in zip(trapezoid_weights(alphas), gradients, strict=True):
            self.average_gradient += np.multiply(weight, gradient, out=term)
        self.errors = self.indicator.first_grid(alphas, gradients, self._norm)

    @property
    def indicators(self) -> np.ndarray:
        """The error indicator ``e`` of every sub-interval."""
        return np.asarray(self.errors)

    def residuals(self) -> np.ndarray:
        """The local completeness residual of every sub-interval."""
        alphas, scores = np.asarray(self.alphas), np.asarray(self.scores)
        projected = np.asarray(self.projected)
        return np.diff(scores) - np.diff(alphas) / 2.0 * (projected[:-1] + projected[1:])

    def bisect(
        self, midpoints: np.ndarray, gradients: np.ndarray, scores: np.ndarray, round_: int
    ) -> None:
        """Insert new nodes, each the midpoint of a sub-interval once those before it are in.

        A round may split a sub-interval into quarters: a quarter point waits for its parent's
        midpoint, whose surplus must be counted first. Each node's surplus is computed once,
        into a work array, and serves the estimate and the error indicator alike.

        Raises
        ------
        ValueError
            If a node is not the midpoint of a sub-interval (nothing would reuse it correctly).
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
                left, right = self.gradients[k], self.gradients[k + 1]
                # surplus = g(m) - (g(a) + g(b)) / 2, and the estimate gains (b - a) / 2 of it.
                surplus = np.add(left, right, out=self._scratch("surplus", gradient.dtype))
                np.divide(surplus, 2.0, out=surplus)
                np.subtract(gradient, surplus, out=surplus)
                self.average_gradient += np.multiply(
                    (b - a) / 2.0, surplus, out=self._scratch("product", surplus.dtype)
                )
                self.alphas.insert(k + 1, float(alpha))
                self.scores.insert(k + 1, float(score))
                self.rounds.insert(k + 1, round_)
                self.gradients.insert(k + 1, gradient)
                self.projected.insert(k + 1, self._project(gradient))
                bisection = Bisection(b - a, left, gradient, right, self._norm(surplus))
                self.errors[k : k + 1] = self.indicator.halves(bisection, self._norm)
            if len(waiting) == len(pending):
                raise ValueError(f"alphas {[a for a, _, _ in waiting]} are not midpoints")
            pending = waiting

    def measures(self) -> tuple[float, float, float, float]:
        """Completeness error, estimated L2 error, the attributions' norm, the completeness stop.

        The last is the completeness error, except when ``F(x) = F(x')``: a relative error is
        then undefined (infinite for any rounding), so the delta is judged against the sum of the
        attributions' magnitudes instead.
        """
        attributions = self.average_gradient * self.difference
        total = float(attributions.sum())
        completeness = relative_completeness_error(total, self.score_difference)
        norm = float(np.sqrt(_sum_of_products(attributions, attributions)))
        estimated = relative_error(float(np.sqrt(np.sum(np.square(self.indicators)))), norm)
        judged = completeness
        if self.score_difference == 0.0:
            judged = relative_error(abs(total), float(np.abs(attributions).sum()))
        return completeness, estimated, norm, judged

    def next_midpoints(
        self,
        *,
        batch_size: int,
        tolerance: float,
        max_steps: int,
        min_width: float,
        l2_factor: float,
    ) -> np.ndarray | None:
        """Judge the estimate (a row of ``history``); the next round's midpoints, or ``None``.

        ``None`` when the estimate meets ``tolerance`` (``converged`` is then set) or when
        ``max_steps`` or ``min_width`` leave nothing to bisect. Otherwise the round spends its
        midpoints on what is not met yet: each criterion's share of its own budget.
        """
        completeness, estimated, norm, judged = self.measures()
        self.history.append(
            ConvergenceStep(len(self.alphas) - 1, len(self.alphas), completeness, estimated)
        )
        l2_tolerance = l2_factor * tolerance
        if judged <= tolerance and estimated <= l2_tolerance:
            self.converged = True
            return None
        widths = np.diff(self.alphas)
        room = max_steps + 1 - len(self.alphas)
        count = min(batch_size, room, int(np.count_nonzero(widths >= 2.0 * min_width)))
        if count <= 0:
            return None
        priority = np.zeros(widths.size)
        if estimated > l2_tolerance:
            priority += _squared_shares(self.indicators, l2_tolerance * norm)
        if judged > tolerance:
            priority += _squared_shares(self.residuals(), tolerance * abs(self.score_difference))
        return choose_midpoints(self.alphas, priority, count, min_width)

    def refinement(self, tolerance: float) -> LocalRefinement:
        """Where the nodes went, for the result (:attr:`IntegratedGradientsResult.refinement`)."""
        return LocalRefinement(
            node_rounds=np.asarray(self.rounds),
            interval_residuals=self.residuals(),
            interval_errors=self.indicators,
            tolerance=float(tolerance),
            converged=self.converged,
        )


#: ``evaluate_many(requests) -> [(gradients, scores), ...]``: for each request ``(input, alphas)``
#: (one per input still refining, in the order of the inputs) the gradients and ``F`` there.
EvaluateMany = Callable[[list[tuple[int, np.ndarray]]], list[tuple[np.ndarray, np.ndarray]]]


def refine_many(
    evaluate_many: EvaluateMany,
    differences: list[np.ndarray],
    score_differences: list[float],
    *,
    batch_size: int,
    tolerance: float,
    max_steps: int,
    min_width: float = MIN_WIDTH,
    indicator: ErrorIndicator | None = None,
    l2_factor: float = L2_STOP_FACTOR,
) -> list[LocalRefinementState]:
    """Refine the trapezoid rule of several inputs at once, each until its own ``tolerance``.

    Every round asks ``evaluate_many`` for the midpoints of all the inputs still refining, so
    one model call can hold the points of several of them; an input that meets its tolerance
    (or runs out of ``max_steps``) drops out. Each input's grid is the one
    :func:`refine_locally` gives it alone.

    Parameters
    ----------
    evaluate_many : callable
        ``evaluate_many(requests)``: for each request ``(input, alphas)``, the gradients and
        ``F`` at the alphas of that input's path.
    differences, score_differences : list
        Per input: ``x - x'`` and ``F(x) - F(x')``.
    batch_size, tolerance, max_steps, min_width, indicator, l2_factor
        As for :func:`refine_locally`; ``batch_size`` is the midpoints of an input's round.

    Returns
    -------
    list of LocalRefinementState
        One per input, in order.
    """
    states = [
        LocalRefinementState(
            np.asarray(difference, np.float32),
            float(score_difference),
            indicator=SurplusIndicator() if indicator is None else indicator,
        )
        for difference, score_difference in zip(differences, score_differences, strict=True)
    ]
    first = np.linspace(0.0, 1.0, initial_node_count(batch_size, max_steps))
    answers = evaluate_many([(row, first) for row in range(len(states))])
    for state, (gradients, scores) in zip(states, answers, strict=True):
        state.start(first, gradients, scores)
    settings = dict(
        batch_size=batch_size,
        tolerance=tolerance,
        max_steps=max_steps,
        min_width=min_width,
        l2_factor=l2_factor,
    )
    refining = list(range(len(states)))
    round_ = 0
    while refining:
        requests = [(row, states[row].next_midpoints(**settings)) for row in refining]
        requests = [(row, midpoints) for row, midpoints in requests if midpoints is not None]
        if not requests:
            break
        round_ += 1
        answers = evaluate_many(requests)
        for (row, midpoints), (gradients, scores) in zip(requests, answers, strict=True):
            states[row].bisect(midpoints, gradients, scores, round_)
        refining = [row for row, _ in requests]
    return states


def refine_locally(
    evaluate: Evaluate,
    difference: np.ndarray,
    score_difference: float,
    *,
    batch_size: int,
    tolerance: float,
    max_steps: int,
    min_width: float = MIN_WIDTH,
    indicator: ErrorIndicator | None = None,
    l2_factor: float = L2_STOP_FACTOR,
) -> LocalRefinementState:
    """Refine the trapezoid rule where its error is, until it meets ``tolerance`` (module doc).

    Parameters
    ----------
    evaluate : callable
        ``evaluate(alphas) -> (gradients, scores)`` at points of the path; called with a whole
        number of batches for the first grid, then with at most ``batch_size`` alphas a round.
    difference : numpy.ndarray
        ``x - x'``.
    score_difference : float
        ``F(x) - F(x')``.
    batch_size : int
        Midpoints per round: the sub-intervals bisected at once.
    tolerance : float
        Bound on the completeness error and on the estimated L2 error at the stop.
    max_steps : int
        At most ``max_steps`` sub-intervals (``max_steps + 1`` evaluations).
    min_width : float, optional
        Narrower sub-intervals are not bisected.
    indicator : ErrorIndicator, optional
        The error indicator ``e``; default :class:`SurplusIndicator`.
    l2_factor : float, default L2_STOP_FACTOR
        Stop when the estimated L2 error is at most ``l2_factor * tolerance``.

    Returns
    -------
    LocalRefinementState
        The final nodes, estimate and ``history``; ``converged`` is ``False`` when
        ``max_steps`` (or ``min_width``) ran out first.
    """
    (state,) = refine_many(
        lambda requests: [evaluate(alphas) for _, alphas in requests],
        [difference],
        [score_difference],
        batch_size=batch_size,
        tolerance=tolerance,
        max_steps=max_steps,
        min_width=min_width,
        indicator=indicator,
        l2_factor=l2_factor,
    )
    return state


def integrate_adaptively(
    paths: PathBatch, tolerance: float, max_steps: int, *, progress: bool = False
) -> list[IntegratedGradientsResult]:
    """Integrated Gradients of each input by the locally refined trapezoid rule (module doc).

    Each round packs the midpoints of every input still refining into model calls of
    ``batch_size`` points (the inputs share the model, score and batch size of their paths).

    Parameters
    ----------
    paths : PathBatch
        The prepared ends (see :func:`ig_tutorial.ig.path_integral.prepare_paths`).
    tolerance : float
        Bound on each input's relative completeness error and estimated relative L2 error.
    max_steps : int
        At most ``max_steps`` sub-intervals per input (``max_steps + 1`` gradient evaluations).
    progress : bool, default False
        Show a progress bar over batches.

    Returns
    -------
    list of IntegratedGradientsResult
        One per input, each with one :class:`~ig_tutorial.ig.results.ConvergenceStep` per round
        it refined and its :class:`~ig_tutorial.ig.results.LocalRefinement`.

    Warns
    -----
    UserWarning
        When ``max_steps`` is reached before ``tolerance`` is met; the message gives the errors
        (of the input, or which inputs).
    """
    baselines, images, targets = paths.baselines, paths.images, paths.targets
    with batches_bar(None, paths.batch_size, desc="IG batches", progress=progress) as bar:

        def evaluate_many(
            requests: list[tuple[int, np.ndarray]],
        ) -> list[tuple[np.ndarray, np.ndarray]]:
            rows = np.concatenate([np.full(len(alphas), row) for row, alphas in requests])
            alphas = np.concatenate([alphas for _, alphas in requests])
            line = StraightLines(baselines, images, rows, alphas)
            batches = gradients_in_batches(
                paths.model, line, targets[rows], paths.output, paths.batch_size, bar=bar
            )
            # np.asarray shares the tensors' memory (`.numpy()` would copy every gradient).
            gradients, scores = zip(
                *((np.asarray(g), np.asarray(s)) for _, g, s in batches), strict=True
            )
            # One call (a round of one input): its arrays as they are, without a copy.
            gradients = gradients[0] if len(gradients) == 1 else np.concatenate(gradients)
            scores = np.concatenate(scores)
            ends = np.cumsum([len(alphas) for _, alphas in requests])[:-1]
            return [
                (g, s.astype(np.float64))
                for g, s in zip(np.split(gradients, ends), np.split(scores, ends), strict=True)
            ]

        states = refine_many(
            evaluate_many,
            list(images - baselines),
            list(paths.scores_at_input - paths.scores_at_baseline),
            batch_size=midpoints_per_round(paths.batch_size),
            tolerance=tolerance,
            max_steps=max_steps,
        )
    unmet = [row for row, state in enumerate(states) if not state.converged]
    if len(paths) == 1 and unmet:
        last = states[0].history[-1]
        warnings.warn(
            f"m_steps='auto' did not meet tolerance {tolerance:g} within max_steps={max_steps}: "
            f"at {last.m_steps} steps ({last.num_evaluations} gradient evaluations) the "
            f"completeness error is {last.relative_completeness_error:.3g} and the estimated L2 "
            f"error is {last.estimated_error:.3g}. The best estimate is returned; raise "
            f"max_steps or tolerance for a converged one.",
            UserWarning,
            stacklevel=3,
        )
    elif unmet:
        warnings.warn(
            f"m_steps='auto' did not meet tolerance {tolerance:g} within max_steps={max_steps} "
            f"for {len(unmet)} of {len(paths)} inputs (indices {unmet[:10]}"
            f"{', ...' if len(unmet) > 10 else ''}); their best estimates are returned, and each "
            f"result's convergence_history gives its errors. Raise max_steps or tolerance for "
            f"converged ones.",
            UserWarning,
            stacklevel=3,
        )
    return [
        build_result(
            path,
            path.attributions(tf.constant(state.average_gradient, tf.float32)).numpy(),
            method="riemann_trapezoid",
            m_steps=state.history[-1].m_steps,
            alphas=np.asarray(state.alphas),
            path_scores=np.asarray(state.scores),
            history=tuple(state.history),
            refinement=state.refinement(tolerance),
        )
        for path, state in zip(paths, states, strict=True)
    ]
