r"""``m_steps="auto"``: refine the trapezoid rule until the integral has converged.

Taught in ``notebooks/08_integration_rules_and_steps.py`` through ``m_steps="auto"``. The trapezoid
rule on ``2m`` sub-intervals reuses every node of the rule on ``m``:

.. math:: T_{2m} = T_m / 2 + \frac{1}{2m} \sum_{k<m} g\big(\tfrac{2k+1}{2m}\big),

so each refinement evaluates only the ``m`` new midpoints, and the final rule on ``m``
sub-intervals costs ``m + 1`` gradient evaluations in all, exactly as the fixed rule would.
Refinement stops when both the relative completeness error and the change of the attributions
``||IG_m - IG_{m/2}|| / ||IG_m||`` are at most the tolerance: completeness alone is not a safe
stopping rule, because it is not monotonic in the steps and errors of opposite sign cancel in the
sum. Measured costs and errors on the bundled model are in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import warnings

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import positive_integer, positive_number
from ig_tutorial.ig.integration_rules import canonical_rule_name, integration_rule
from ig_tutorial.ig.path_integral import PathIntegral, StraightPath
from ig_tutorial.ig.results import ConvergenceStep, relative_completeness_error, relative_l2_error

#: Sub-intervals of the first trapezoid rule of ``m_steps="auto"``; each refinement doubles them.
AUTO_INITIAL_STEPS = 16


def check_adaptive_settings(method: str, tolerance: float, max_steps: int) -> None:
    """Check the arguments that only ``m_steps="auto"`` uses.

    Raises
    ------
    ValueError
        If ``method`` is not the trapezoid (the only nested rule), ``tolerance`` is not a
        positive number, or ``max_steps`` allows no refinement of the first rule.
    """
    if canonical_rule_name(method) != "riemann_trapezoid":
        raise ValueError(
            f"m_steps='auto' refines nested trapezoid rules, so method must be "
            f"'riemann_trapezoid', got {method!r}. Use the trapezoid, or give an integer m_steps."
        )
    positive_number(tolerance, "tolerance", "relative, e.g. 0.01 for 1%")
    positive_integer(
        max_steps,
        "max_steps",
        minimum=2 * AUTO_INITIAL_STEPS,
        why=f"one refinement of the first {AUTO_INITIAL_STEPS}-step rule",
    )


def _summed(attributions: tf.Tensor) -> float:
    return float(tf.reduce_sum(tf.cast(attributions, tf.float64)))


def integrate_adaptively(path: StraightPath, tolerance: float, max_steps: int) -> PathIntegral:
    """Nested trapezoid rules along ``path``, doubling ``m`` until both errors are in tolerance.

    Parameters
    ----------
    path : StraightPath
        The prepared path (see :func:`ig_tutorial.ig.path_integral.prepare_path`).
    tolerance : float
        Bound on the relative completeness error and on the last refinement's relative change.
    max_steps : int
        Refinement stops (with a :class:`UserWarning`) before the number of sub-intervals
        would exceed this.

    Returns
    -------
    PathIntegral
        With one :class:`~ig_tutorial.ig.results.ConvergenceStep` per refinement.

    Warns
    -----
    UserWarning
        When ``max_steps`` is reached before ``tolerance`` is met; the message gives the errors.
    """
    m_steps = AUTO_INITIAL_STEPS
    first = integration_rule("riemann_trapezoid", m_steps)
    average_gradient, scores = path.weighted_gradient_sum(first.alphas, first.weights)
    alphas, path_scores = [first.alphas], [scores]
    attributions = path.attributions(average_gradient)
    completeness = relative_completeness_error(_summed(attributions), path.score_difference)
    history = [ConvergenceStep(m_steps, m_steps + 1, completeness, None)]
    while 2 * m_steps <= max_steps:
        midpoints = (2 * np.arange(m_steps) + 1) / (2 * m_steps)
        midpoint_weights = np.full(m_steps, 1.0 / (2 * m_steps))
        midpoint_sum, scores = path.weighted_gradient_sum(midpoints, midpoint_weights)
        alphas.append(midpoints)
        path_scores.append(scores)
        average_gradient = average_gradient / 2.0 + midpoint_sum
        m_steps *= 2
        refined = path.attributions(average_gradient)
        change = relative_l2_error(attributions.numpy(), refined.numpy())
        attributions = refined
        completeness = relative_completeness_error(_summed(attributions), path.score_difference)
        history.append(ConvergenceStep(m_steps, m_steps + 1, completeness, change))
        # Completeness alone can be met by luck (errors that cancel in the sum), and the change
        # alone can stall on a plateau: stop only when both say the estimate has settled.
        if completeness <= tolerance and change <= tolerance:
            break
    else:
        warnings.warn(
            f"m_steps='auto' did not meet tolerance {tolerance:g} within max_steps={max_steps}: "
            f"at {m_steps} steps ({m_steps + 1} gradient evaluations) the completeness error is "
            f"{completeness:.3g} and the last refinement changed the attributions by "
            f"{history[-1].refinement_change:.3g}. The best estimate is returned; raise "
            f"max_steps or tolerance for a converged one.",
            UserWarning,
            stacklevel=3,
        )
    alphas = np.concatenate(alphas)
    order = np.argsort(alphas, kind="stable")
    return PathIntegral(
        average_gradient,
        "riemann_trapezoid",
        m_steps,
        alphas[order],
        np.concatenate(path_scores)[order],
        tuple(history),
    )
