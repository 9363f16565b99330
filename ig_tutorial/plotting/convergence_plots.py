"""How the error of the IG integral falls with the steps: convergence plots on log axes.

Taught in ``notebooks/05_integration.py`` (completeness against cost, one line per image) and
``notebooks/08_integration_rules_and_steps.py`` (rules against a reference, ``m_steps="auto"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ig_tutorial.checks import one_of
from ig_tutorial.ig.results import relative_l2_error
from ig_tutorial.plotting.tutorial_figures import finish

if TYPE_CHECKING:
    from ig_tutorial.ig.convergence import ConvergenceStudy
    from ig_tutorial.ig.results import IntegratedGradientsResult


def _error_axes(
    ax: Axes, tolerance: float | None = None, label: str = "tolerance {:g}", log_x: bool = True
) -> None:
    """Log error axes (zero errors left out), the tolerance dotted if given, legend, grid."""
    if log_x:
        ax.set_xscale("log")
    ax.set_yscale("log", nonpositive="mask")
    if tolerance is not None:
        ax.axhline(tolerance, color="grey", linestyle=":", label=label.format(tolerance))
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)


def _check_auto(auto: IntegratedGradientsResult, what: str) -> None:
    """Refuse a result without ``what``: one computed with a fixed ``m_steps``."""
    if not getattr(auto, what):
        raise ValueError(
            f"auto has no {what.replace('_', ' ')}: it was computed with a fixed m_steps; "
            "compute it with m_steps='auto'."
        )


def plot_convergence(
    study: ConvergenceStudy | None = None,
    auto: IntegratedGradientsResult | None = None,
    *,
    x: str = "evaluations",
    tolerance: float | None = None,
) -> Figure:
    """Error of the IG integral against the number of steps, on log-log axes.

    Left: the relative completeness error. Right: the relative L2 error against the study's
    high-step reference and, for an ``m_steps="auto"`` result, its own estimate of that error
    after each round. Taught in ``notebooks/08_integration_rules_and_steps.py``.

    Parameters
    ----------
    study : ConvergenceStudy, optional
        From :func:`ig_tutorial.convergence_study`: one line per rule.
    auto : IntegratedGradientsResult, optional
        A result of ``integrated_gradients(..., m_steps="auto")``.
    x : {"evaluations", "steps"}, default "evaluations"
        The horizontal axis: gradient evaluations (the cost) or ``m_steps``.
    tolerance : float, optional
        Drawn as a dotted line on both panels.
    """
    if study is None and auto is None:
        raise ValueError("give a convergence study, an m_steps='auto' result, or both.")
    if auto is not None:
        _check_auto(auto, "convergence_history")
    one_of(x, ("evaluations", "steps"), "x")
    by_cost = x == "evaluations"
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    if study is not None:
        for method in study.results:
            xs = study.num_evaluations(method) if by_cost else study.m_steps(method)
            left.plot(xs, study.completeness_errors(method), "o-", label=method)
            right.plot(xs, study.l2_errors(method), "o-", label=method)
    if auto is not None:
        history = auto.convergence_history
        xs = [step.num_evaluations if by_cost else step.m_steps for step in history]
        left.plot(xs, [step.relative_completeness_error for step in history], "k*--", label="auto")
        estimates = [step.estimated_error for step in history]
        right.plot(xs, estimates, "k*--", label="auto: its estimated L2 error")
        if study is not None:
            final_l2 = relative_l2_error(auto.attributions, study.reference.attributions)
            right.plot([xs[-1]], [final_l2], "r*", markersize=14, label="auto: L2 vs reference")
    xlabel = "gradient evaluations" if by_cost else "m_steps"
    left.set(title="Completeness error", xlabel=xlabel, ylabel="|sum(IG) - ΔF| / |ΔF|")
    right_title = "L2 error vs reference" if study is not None else "Estimated L2 error"
    right.set(title=right_title, xlabel=xlabel, ylabel="relative error")
    for ax in (left, right):
        _error_axes(ax, tolerance)
    return finish(fig)


def plot_completeness_vs_steps(
    results: Mapping[str, Sequence[IntegratedGradientsResult]],
    tolerance: float | None = 0.05,
) -> Figure:
    """Completeness error against gradient evaluations, one line per image, log axes.

    More steps cost more evaluations and, usually but not monotonically, give a smaller error;
    Sundararajan et al. (2017, section 5) suggest steps until it is within 5%, the default
    dotted ``tolerance`` line (``None``: none). Taught in ``notebooks/05_integration.py``.

    Parameters
    ----------
    results : mapping of str to sequence of IntegratedGradientsResult
        Image title -> its results at several step counts.
    """
    fig, ax = plt.subplots(figsize=(6, 4))
    for title, runs in results.items():
        ordered = sorted(runs, key=lambda result: result.num_evaluations)
        errors = [result.relative_completeness_error for result in ordered]
        ax.plot([result.num_evaluations for result in ordered], errors, "o-", label=title)
    ax.set(
        title="Completeness error against cost",
        xlabel="gradient evaluations",
        ylabel="|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|",
    )
    _error_axes(ax, tolerance, "{:.0%}")
    return finish(fig)


def plot_refinement(
    auto: IntegratedGradientsResult,
    fixed: IntegratedGradientsResult | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Where ``m_steps="auto"`` put its nodes, what it knew, and what it cost against a fixed count.

    Left: the saturation curve ``F(alpha)`` with every node, coloured by the round that added
    it: the nodes crowd where the score changes. Middle: per final sub-interval, its local
    completeness residual ``|r| / |ΔF|`` and error indicator ``e / ||IG||``: refinement evens
    them out. Right: gradient evaluations of ``auto`` and of ``fixed`` (optional, the same
    attribution with a fixed ``m_steps``), each labelled with its completeness error. Taught in
    ``notebooks/08_integration_rules_and_steps.py``.
    """
    _check_auto(auto, "refinement")
    refinement = auto.refinement
    fig, (curve, errors, cost) = plt.subplots(
        1, 3, figsize=(14, 4.2), gridspec_kw={"width_ratios": [3, 3, 1.4]}
    )
    curve.plot(auto.alphas, auto.path_scores, "-", color="grey", linewidth=1)
    rounds = refinement.node_rounds
    points = curve.scatter(auto.alphas, auto.path_scores, c=rounds, cmap="viridis", s=14, zorder=3)
    fig.colorbar(points, ax=curve, label="round that added the node (0: first grid)")
    curve.set(title="F along the path, and the nodes", xlabel="alpha", ylabel="F")
    attribution_norm = float(np.linalg.norm(auto.attributions))
    for values, label, color in (
        (np.abs(refinement.interval_residuals) / abs(auto.score_difference), "|r| / |dF|", "C3"),
        (refinement.interval_errors / attribution_norm, "e / ||IG||", "C0"),
    ):
        errors.stairs(values, auto.alphas, label=label, color=color)
    errors.set(
        title="Per sub-interval: residual and error indicator",
        xlabel="alpha",
        ylabel="fraction of |dF| (r) or of ||IG|| (e)",
    )
    _error_axes(errors, log_x=False)
    bars = {"auto": auto} | ({f"fixed {fixed.m_steps}": fixed} if fixed is not None else {})
    counts = [result.num_evaluations for result in bars.values()]
    drawn = cost.bar(list(bars), counts, color=["C2", "C7"][: len(bars)])
    labels = [f"{r.num_evaluations}\n{r.relative_completeness_error:.2%}" for r in bars.values()]
    cost.bar_label(drawn, labels=labels, fontsize="small")
    cost.set(title="Gradient evaluations", ylabel="evaluations (completeness error)")
    cost.set_ylim(0, 1.25 * max(counts))
    return finish(fig, title)
