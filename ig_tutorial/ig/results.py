"""What an attribution returns, and the two measures that judge its integral.

By the *completeness* axiom (Sundararajan, Taly & Yan, 2017, arXiv:1703.01365, Proposition 1)
Integrated Gradients add up to ``F(x) - F(x')``; the gap measures the error of the numerical
integral without any reference (:func:`relative_completeness_error`, taught in
``notebooks/05_integration.py``). Errors of opposite sign cancel in that sum, so it can be small
by luck; the L2 error against a high-step reference sees every pixel
(:func:`relative_l2_error`, taught in ``notebooks/08_integration_rules_and_steps.py``).

Every result type (:class:`IntegratedGradientsResult` here, and the path and averaged results of
:mod:`ig_tutorial.ig.path_methods` and :mod:`ig_tutorial.ig.ensembles`) shares
:class:`CompletenessCheck`, so each reports its completeness the same way.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple, overload

import numpy as np
import tensorflow as tf


def relative_error(error: float, norm: float) -> float:
    """``error / norm``, where a zero ``norm`` gives 0 for no error and infinity for any other.

    Parameters
    ----------
    error, norm : float
        Both at least 0.

    Returns
    -------
    float
    """
    if norm == 0.0:
        return 0.0 if error == 0.0 else float("inf")
    return error / norm


def relative_completeness_error(attribution_sum: float, score_difference: float) -> float:
    """``|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|``; 0 or infinite if the difference is 0.

    Completeness (Sundararajan et al., 2017, arXiv:1703.01365, Proposition 1) says the
    attributions add up to the score difference; this is the relative gap.
    """
    return relative_error(abs(attribution_sum - score_difference), abs(score_difference))


def relative_l2_error(
    attributions: np.ndarray | tf.Tensor, reference: np.ndarray | tf.Tensor
) -> float:
    """``||attributions - reference|| / ||reference||`` over all pixels and channels.

    The error of an IG estimate against a high-step reference: unlike completeness, it cannot be
    met by errors that cancel in the sum. Taught in ``notebooks/08_integration_rules_and_steps.py``.
    """
    attributions = np.asarray(attributions, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    return relative_error(
        float(np.linalg.norm(attributions - reference)), float(np.linalg.norm(reference))
    )


class ConvergenceStep(NamedTuple):
    """One round of ``m_steps="auto"``: the row of its convergence history.

    Attributes
    ----------
    m_steps : int
        Sub-intervals of the (non-uniform) trapezoid rule after this round.
    num_evaluations : int
        Gradient evaluations spent so far (``m_steps + 1``: nothing is evaluated twice).
    relative_completeness_error : float
        ``|completeness_delta| / |F(x) - F(x')|`` of this estimate: exact, no reference needed.
    estimated_error : float
        The estimated relative L2 error ``||IG_est - IG|| / ||IG_est||`` of this estimate, from
        the sub-intervals' error indicators (:mod:`ig_tutorial.ig.adaptive_steps`).
    """

    m_steps: int
    num_evaluations: int
    relative_completeness_error: float
    estimated_error: float


class LocalRefinement(NamedTuple):
    """Where ``m_steps="auto"`` put its nodes, and what it knew about each sub-interval.

    Everything is in the order of the result's ``alphas`` (ascending); sub-interval ``k`` runs
    from ``alphas[k]`` to ``alphas[k + 1]``. :func:`ig_tutorial.plot_refinement` draws it.

    Attributes
    ----------
    node_rounds : numpy.ndarray
        ``int``, one per node: the round that evaluated it, ``0`` for the first uniform grid.
    interval_residuals : numpy.ndarray
        One per sub-interval ``[a, b]``: the exact local completeness residual
        ``(F(b) - F(a)) - (b - a) / 2 * (g(a) + g(b)) . (x - x')``. They add up to
        ``-completeness_delta``.
    interval_errors : numpy.ndarray
        One per sub-interval: the estimated L2 norm of its contribution's error, in attribution
        units (see :mod:`ig_tutorial.ig.adaptive_steps`).
    tolerance : float
        The ``tolerance`` the refinement was asked for.
    converged : bool
        ``False`` when ``max_steps`` ran out first (a warning said so).
    """

    node_rounds: np.ndarray
    interval_residuals: np.ndarray
    interval_errors: np.ndarray
    tolerance: float
    converged: bool


class CompletenessCheck:
    """The completeness check of a result with ``attributions`` and scores at both path ends.

    Completeness (Sundararajan et al., 2017, proposition 1): the attributions add up to the
    change of the score between the path's start and the input. Subclasses are result
    dataclasses with the fields ``attributions``, ``score_at_input``, ``score_at_baseline``,
    ``num_evaluations`` and ``method``.
    """

    #: How reports name the start of the path.
    path_start_name = "x'"

    @property
    def attribution_sum(self) -> float:
        """Sum of all attributions."""
        return float(np.sum(self.attributions, dtype=np.float64))

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
        return (
            f"sum of attributions {self.attribution_sum:.4f} vs F(x) - F({start}) = "
            f"{self.score_at_input:.4f} - {self.score_at_baseline:.4f} = "
            f"{self.score_difference:.4f}: delta {self.completeness_delta:+.4f} "
            f"({100 * self.relative_completeness_error:.2f}%) with {self.num_evaluations} "
            f"gradient evaluations ({self.method})"
        )


@dataclass(frozen=True)
class IntegratedGradientsResult(CompletenessCheck):
    """Attributions of one image and the numbers needed to judge them.

    Attributes
    ----------
    attributions : numpy.ndarray
        ``IG_i(x)``, same shape as the image ``(height, width, 3)``.
    target : int
        The attributed class index.
    method : str
        The integration rule's canonical name.
    m_steps : int
        Sub-intervals of the rule.
    num_evaluations : int
        Gradient evaluations spent (trapezoid, fixed or ``"auto"``: ``m_steps + 1``).
    batch_size : int
        Gradient evaluations per model call.
    output : str
        ``"probability"`` or ``"logit"``: the attributed score ``F``.
    score_at_input, score_at_baseline : float
        ``F(x)`` and ``F(x')``.
    alphas, path_scores : numpy.ndarray
        The rule's interpolation constants and ``F`` at each point of the path (the data of the
        tutorial's saturation plot), sorted by alpha.
    estimated_error : float or None
        ``m_steps="auto"`` only: the estimated relative L2 error of the attributions when it
        stopped (its contract: see :func:`ig_tutorial.integrated_gradients`).
    convergence_history : tuple of ConvergenceStep
        ``m_steps="auto"`` only: one row per round of refinement, for
        :func:`ig_tutorial.plot_convergence`; empty for a fixed ``m_steps``.
    refinement : LocalRefinement or None
        ``m_steps="auto"`` only: the round of each node and each sub-interval's residual and
        estimated error, for :func:`ig_tutorial.plot_refinement`.
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
    """The results of several inputs attributed together: a list of results, and arrays of all.

    What :func:`ig_tutorial.integrated_gradients_many` returns. It indexes, iterates and has a
    length like a list of :class:`IntegratedGradientsResult` (``results[i]``, ``results[-1]``,
    ``for result in results``; a slice gives a list), each result made when it is first asked
    for. The arrays hold every input at once, for what a batch is for (the mean attribution over
    a test set, the worst completeness error) without a Python loop over the inputs; they are
    those of the results, so ``results.attributions[i]`` is ``results[i].attributions``.

    Parameters
    ----------
    count : int
        The number of inputs.
    result_of : callable
        ``row -> IntegratedGradientsResult``, for ``row`` in ``range(count)``.
    attributions : numpy.ndarray, optional
        ``(count, ...)``: every input's attributions (default: stacked from the results).
    targets, scores_at_input, scores_at_baseline : numpy.ndarray, optional
        ``(count,)``: each input's class index, ``F(x)`` and ``F(x')`` (default: from the
        results).
    """

    def __init__(
        self,
        count: int,
        result_of: Callable[[int], IntegratedGradientsResult],
        *,
        attributions: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        scores_at_input: np.ndarray | None = None,
        scores_at_baseline: np.ndarray | None = None,
    ) -> None:
        self._count = count
        self._result_of = result_of
        self._made: dict[int, IntegratedGradientsResult] = {}
        for name, given in (
            ("attributions", attributions),
            ("targets", targets),
            ("scores_at_input", scores_at_input),
            ("scores_at_baseline", scores_at_baseline),
        ):
            if given is not None:  # fills the cached property of that name
                self.__dict__[name] = given

    @classmethod
    def from_results(
        cls, results: Sequence[IntegratedGradientsResult]
    ) -> IntegratedGradientsResults:
        """The batch of results made one by one (``m_steps="auto"``, inputs of different sizes)."""
        results = list(results)
        return cls(len(results), results.__getitem__)

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, row: int) -> IntegratedGradientsResult: ...

    @overload
    def __getitem__(self, row: slice) -> list[IntegratedGradientsResult]: ...

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
        methods = sorted({result.method for result in self[:1]})
        return (
            f"IntegratedGradientsResults({self._count} inputs"
            f"{', ' + methods[0] if methods else ''}; index it for each input's result)"
        )

    @cached_property
    def attributions(self) -> np.ndarray:
        """``(n, ...)``: every input's attributions (inputs of one shape only).

        Raises
        ------
        ValueError
            If the inputs differ in shape (take each result's ``attributions`` then).
        """
        shapes = {result.attributions.shape for result in self}
        if len(shapes) > 1:
            raise ValueError(
                f"the inputs differ in shape ({sorted(shapes)}), so their attributions are not "
                f"one array; take each result's attributions: [r.attributions for r in results]."
            )
        if not shapes:
            return np.zeros((0,), np.float32)
        return np.stack([result.attributions for result in self])

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
        if not len(self):
            return np.zeros((0,), np.float64)
        try:
            attributions = self.attributions
        except ValueError:  # inputs of different shapes
            return np.asarray([result.attribution_sum for result in self], np.float64)
        return attributions.reshape(len(self), -1).sum(axis=1, dtype=np.float64)

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
