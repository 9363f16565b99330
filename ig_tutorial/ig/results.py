"""What an attribution returns, and the two measures that judge its integral.

By the *completeness* axiom (Sundararajan, Taly & Yan, 2017, arXiv:1703.01365, Proposition 1)
Integrated Gradients add up to ``F(x) - F(x')``; the gap measures the error of the numerical
integral without any reference (taught in ``notebooks/05_integration.py``). Errors of opposite
sign cancel in that sum, so it can be small by luck; the L2 error against a high-step reference
sees every pixel (:func:`relative_l2_error`, taught in
``notebooks/08_integration_rules_and_steps.py``). Every result type shares
:class:`CompletenessCheck`, so each reports its completeness the same way.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import tensorflow as tf


def relative_error(error: float, norm: float) -> float:
    """``error / norm``; for a zero ``norm``, 0 if there is no error and infinity otherwise."""
    if norm == 0.0:
        return 0.0 if error == 0.0 else float("inf")
    return error / norm


def relative_completeness_error(attribution_sum: float, score_difference: float) -> float:
    """``|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|``: the relative gap of completeness."""
    return relative_error(abs(attribution_sum - score_difference), abs(score_difference))


def relative_l2_error(
    attributions: np.ndarray | tf.Tensor, reference: np.ndarray | tf.Tensor
) -> float:
    """``||attributions - reference|| / ||reference||`` over all values.

    Taught in ``notebooks/08_integration_rules_and_steps.py``: unlike completeness, errors of
    opposite sign do not cancel in it.
    """
    attributions = np.asarray(attributions, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    return relative_error(
        float(np.linalg.norm(attributions - reference)), float(np.linalg.norm(reference))
    )


class ConvergenceStep(NamedTuple):
    """One round of ``m_steps="auto"``: sub-intervals and evaluations so far, and its errors.

    ``relative_completeness_error`` is exact; ``estimated_error`` estimates the relative L2
    error from the sub-intervals' error indicators (:mod:`ig_tutorial.ig.adaptive_steps`).
    """

    m_steps: int
    num_evaluations: int
    relative_completeness_error: float
    estimated_error: float


class LocalRefinement(NamedTuple):
    """Where ``m_steps="auto"`` put its nodes, drawn by :func:`ig_tutorial.plot_refinement`.

    In the order of the result's ``alphas``: ``node_rounds`` the round that evaluated each node
    (0: the first grid); per sub-interval ``[alphas[k], alphas[k + 1]]`` its exact completeness
    residual (they add up to ``-completeness_delta``) and its estimated L2 error; the
    ``tolerance`` asked for, and whether it was met (``converged``).
    """

    node_rounds: np.ndarray
    interval_residuals: np.ndarray
    interval_errors: np.ndarray
    tolerance: float
    converged: bool


class CompletenessCheck:
    """The completeness check of a result: ``sum(attributions)`` against ``F(x) - F(start)``.

    For result dataclasses with the fields ``attributions``, ``score_at_input``,
    ``score_at_baseline``, ``num_evaluations`` and ``method``.
    """

    #: How reports name the start of the path.
    path_start_name = "x'"

    @property
    def attribution_sum(self) -> float:
        """Sum of all attributions (of every input, for a model of several)."""
        leaves = tf.nest.flatten(self.attributions)
        return float(sum(np.sum(leaf, dtype=np.float64) for leaf in leaves))

    @property
    def score_difference(self) -> float:
        """``F(x) - F(start)``, what the attributions should add up to."""
        return self.score_at_input - self.score_at_baseline

    @property
    def completeness_delta(self) -> float:
        """``sum(attributions) - (F(x) - F(start))``: zero for the exact integral."""
        return self.attribution_sum - self.score_difference

    @property
    def relative_completeness_error(self) -> float:
        """``|completeness_delta| / |F(x) - F(start)|`` (infinite if the difference is 0)."""
        return relative_completeness_error(self.attribution_sum, self.score_difference)

    def completeness_report(self) -> str:
        """One line stating the completeness check, e.g. for printing in a notebook."""
        start = self.path_start_name
        error = f"{100 * self.relative_completeness_error:.2f}%"
        if self.score_difference == 0:  # a relative error of nothing: say so, not "0.00%"
            error = f"F(x) = F({start}): nothing to attribute"
        return (
            f"sum of attributions {self.attribution_sum:.4f} vs F(x) - F({start}) = "
            f"{self.score_at_input:.4f} - {self.score_at_baseline:.4f} = "
            f"{self.score_difference:.4f}: delta {self.completeness_delta:+.4f} "
            f"({error}) with {self.num_evaluations} gradient evaluations ({self.method})"
        )


@dataclass(frozen=True)
class IntegratedGradientsResult(CompletenessCheck):
    """Attributions of one input and the numbers needed to judge them.

    Attributes
    ----------
    attributions : numpy.ndarray
        ``IG_i(x)``, the input's shape (for a model of several inputs, in their structure).
    target : int
        The attributed class index.
    method : str
        The integration rule.
    m_steps : int
        Its sub-intervals.
    num_evaluations : int
        The gradient evaluations spent.
    batch_size : int
        How many of them went into one model call.
    output : str
        The attributed score ``F``: ``"probability"`` or ``"logit"``.
    score_at_input, score_at_baseline : float
        ``F(x)`` and ``F(x')``.
    alphas, path_scores : numpy.ndarray
        The nodes and ``F`` at each (the saturation plot's data), sorted by alpha.
    estimated_error, convergence_history, refinement
        ``m_steps="auto"`` only: the estimated relative L2 error at the stop, one
        :class:`ConvergenceStep` per round, and the :class:`LocalRefinement`.
    """

    attributions: np.ndarray
    target: int
    method: str
    m_steps: int
    num_evaluations: int
    batch_size: int
    output: str
    score_at_input: float
    score_at_baseline: float
    alphas: np.ndarray
    path_scores: np.ndarray
    estimated_error: float | None = None
    convergence_history: tuple[ConvergenceStep, ...] = ()
    refinement: LocalRefinement | None = None


class IntegratedGradientsResults(Sequence[IntegratedGradientsResult]):
    """The results of several inputs: a list of results, and arrays of all of them at once.

    What :func:`ig_tutorial.integrated_gradients_many` returns. It indexes like a list (each
    result made when first asked for; a slice gives a list), and its arrays hold every input,
    so that a test set's mean attribution or worst completeness error needs no Python loop:
    ``results.attributions[i]`` is ``results[i].attributions``.

    Parameters
    ----------
    count : int
        The number of inputs.
    result_of : callable
        ``row -> IntegratedGradientsResult``.
    **arrays : numpy.ndarray
        Any of ``attributions`` ``(count, ...)``, ``targets``, ``scores_at_input`` and
        ``scores_at_baseline`` ``(count,)``, when known; otherwise made from the results.
    """

    def __init__(
        self, count: int, result_of: Callable[[int], IntegratedGradientsResult], **arrays
    ) -> None:
        self._count = count
        self._result_of = result_of
        self._made: dict[int, IntegratedGradientsResult] = {}
        self.__dict__.update(arrays)  # fills the cached properties of those names

    @classmethod
    def from_results(cls, results: Sequence[IntegratedGradientsResult]):
        """The batch of results made one by one."""
        results = list(results)
        return cls(len(results), results.__getitem__)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[each] for each in range(*row.indices(self._count))]
        row = operator.index(row)
        if not -self._count <= row < self._count:
            raise IndexError(f"result {row} of {self._count}")
        row %= self._count
        if row not in self._made:
            self._made[row] = self._result_of(row)
        return self._made[row]

    def __reduce__(self):
        # Pickled as the results themselves (the function that makes them is not picklable).
        return (IntegratedGradientsResults.from_results, (list(self),))

    def __repr__(self) -> str:
        method = f", {self[0].method}" if self._count else ""
        return f"IntegratedGradientsResults({self._count} inputs{method}; index it for each result)"

    @cached_property
    def attributions(self) -> np.ndarray:
        """``(n, ...)``: every input's attributions (of several inputs, one such array each).

        Raises
        ------
        ValueError
            If the inputs differ in shape (take each result's ``attributions`` then).
        """
        each = [result.attributions for result in self]
        shapes = {tuple(np.shape(leaf) for leaf in tf.nest.flatten(a)) for a in each}
        if len(shapes) > 1:
            shown = sorted(shape[0] if len(shape) == 1 else shape for shape in shapes)
            raise ValueError(
                f"the inputs differ in shape ({shown}), so their attributions are not "
                f"one array; take each result's attributions: [r.attributions for r in results]."
            )
        if not each:
            return np.zeros((0,), np.float32)
        return tf.nest.map_structure(lambda *leaves: np.stack(leaves), *each)

    @cached_property
    def targets(self) -> np.ndarray:
        """``(n,)``: each input's attributed class index."""
        return np.asarray([result.target for result in self], np.int64)

    @cached_property
    def scores_at_input(self) -> np.ndarray:
        """``(n,)``: ``F(x)`` of each input."""
        return np.asarray([result.score_at_input for result in self], np.float64)

    @cached_property
    def scores_at_baseline(self) -> np.ndarray:
        """``(n,)``: ``F(x')`` of each input."""
        return np.asarray([result.score_at_baseline for result in self], np.float64)

    @property
    def score_differences(self) -> np.ndarray:
        """``(n,)``: ``F(x) - F(x')``, what each input's attributions should add up to."""
        return self.scores_at_input - self.scores_at_baseline

    @property
    def attribution_sums(self) -> np.ndarray:
        """``(n,)``: the sum of each input's attributions."""
        try:
            leaves = tf.nest.flatten(self.attributions)
        except ValueError:  # inputs of different shapes
            return np.asarray([result.attribution_sum for result in self], np.float64)
        if not len(self):
            return np.zeros((0,), np.float64)
        return sum(leaf.reshape(len(self), -1).sum(axis=1, dtype=np.float64) for leaf in leaves)

    @property
    def relative_completeness_errors(self) -> np.ndarray:
        """``(n,)``: each input's :attr:`IntegratedGradientsResult.relative_completeness_error`."""
        differences = self.score_differences
        gaps = np.abs(self.attribution_sums - differences)
        with np.errstate(divide="ignore", invalid="ignore"):
            errors = gaps / np.abs(differences)
        return np.where(differences == 0.0, np.where(gaps == 0.0, 0.0, np.inf), errors)

    @property
    def num_evaluations(self) -> int:
        """Gradient evaluations spent on all the inputs together."""
        return sum(result.num_evaluations for result in self)
