"""How accurate is the integral: integration rules and step counts against a reference.

Taught in ``notebooks/08_integration_rules_and_steps.py``. Integrated Gradients (Sundararajan et
al., 2017, arXiv:1703.01365) is an integral, estimated by a quadrature rule; its error has two
measures. The *completeness error* ``|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|`` needs no
reference, but errors of opposite sign cancel in the sum, so it can be small by luck. The
*L2 error* ``||IG - IG_ref|| / ||IG_ref||`` against a high-step reference (512 Gauss-Legendre nodes
by default) sees every pixel. :func:`convergence_study` measures both for several rules and step
counts; :func:`ig_tutorial.plot_convergence` draws them on log axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.ig.gradients import DEFAULT_OUTPUT, Model
from ig_tutorial.ig.integration_rules import (
    IntegrationRule,
    canonical_rule_name,
    integral_approximation,
    integration_rule,
)
from ig_tutorial.ig.path_integral import PathEnds, prepare_ends
from ig_tutorial.ig.results import IntegratedGradientsResult, relative_l2_error


@dataclass(frozen=True)
class ConvergenceStudy:
    """IG of one image by several rules at several step counts, and a high-step reference.

    ``results`` maps each rule's name to its results by increasing ``m_steps``; ``evaluations``
    counts the distinct nodes the study evaluated, each once.
    """

    reference: IntegratedGradientsResult
    results: dict[str, tuple[IntegratedGradientsResult, ...]]
    evaluations: int

    def num_evaluations(self, method: str) -> np.ndarray:
        """Gradient evaluations of each result of ``method``."""
        return np.array([result.num_evaluations for result in self.results[method]])

    def m_steps(self, method: str) -> np.ndarray:
        """``m_steps`` of each result of ``method``."""
        return np.array([result.m_steps for result in self.results[method]])

    def completeness_errors(self, method: str) -> np.ndarray:
        """Relative completeness error of each result of ``method``."""
        return np.array([result.relative_completeness_error for result in self.results[method]])

    def l2_errors(self, method: str) -> np.ndarray:
        """Relative L2 error against the reference of each result of ``method``."""
        return np.array(
            [
                relative_l2_error(result.attributions, self.reference.attributions)
                for result in self.results[method]
            ]
        )

    def table(self) -> str:
        """A Markdown table: rule, steps, evaluations, completeness error, L2 error."""
        rows = [
            "| rule | m_steps | evaluations | completeness error | L2 vs reference |",
            "|---|---|---|---|---|",
        ]
        for method in self.results:
            for steps, evaluations, completeness, l2 in zip(
                self.m_steps(method),
                self.num_evaluations(method),
                self.completeness_errors(method),
                self.l2_errors(method),
                strict=True,
            ):
                rows.append(
                    f"| {method} | {steps} | {evaluations} | {completeness:.2%} | {l2:.2%} |"
                )
        return "\n".join(rows)


def convergence_study(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    methods: Sequence[str] = ("riemann_left", "riemann_middle", "riemann_trapezoid"),
    steps: Sequence[int] = (8, 16, 32, 64, 128),
    reference_steps: int = 512,
    reference_method: str = "gausslegendre",
    **options,
) -> ConvergenceStudy:
    """Run Integrated Gradients for every rule and step count, and a high-step reference.

    Taught in ``notebooks/08_integration_rules_and_steps.py``. ``methods`` are rules of
    :data:`ig_tutorial.INTEGRATION_RULES`, each run at every count of ``steps``; the reference
    is ``reference_method`` (Gauss-Legendre converges fastest on smooth paths) at
    ``reference_steps``. The rules share their nodes (:func:`integrate_rules_together`), so the
    study spends fewer evaluations than its rules one by one (``evaluations``). ``options``:
    ``baseline``, ``batch_size`` and ``output``, as for :func:`ig_tutorial.integrated_gradients`.

    Raises
    ------
    ValueError
        If ``methods`` or ``steps`` is empty, an option is not one of those three, or as
        :func:`ig_tutorial.integrated_gradients`.
    """
    if len(methods) == 0 or len(steps) == 0:
        raise ValueError(
            f"methods and steps must not be empty, got methods={methods!r}, steps={steps!r}."
        )
    for forbidden in ("m_steps", "method"):
        if forbidden in options:
            raise ValueError(f"give `{forbidden}` through `steps=`/`methods=`, not as an option.")
    unknown = set(options) - {"baseline", "batch_size", "output"}
    if unknown:
        raise ValueError(
            "convergence_study takes baseline, batch_size and output as options, "
            f"got {', '.join(sorted(map(repr, unknown)))}."
        )
    names = list(dict.fromkeys(canonical_rule_name(method) for method in methods))
    rules = [integration_rule(reference_method, reference_steps)] + [
        integration_rule(name, m) for name in names for m in sorted(steps)
    ]
    ends = prepare_ends(
        model,
        image,
        target,
        options.get("baseline"),
        output=options.get("output", DEFAULT_OUTPUT),
        batch_size=options.get("batch_size"),
        one=True,
    )
    reference, *estimates = integrate_rules_together(ends, rules)
    per_rule = len(steps)
    results = {
        name: tuple(estimates[row * per_rule : (row + 1) * per_rule])
        for row, name in enumerate(names)
    }
    return ConvergenceStudy(
        reference=reference, results=results, evaluations=distinct_nodes(rules)[0].size
    )


def distinct_nodes(rules: Sequence[IntegrationRule]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct nodes of several rules (ascending), and each rule node's index among them.

    Two alphas that differ only by rounding, such as ``1/3`` of two grids, are one node.
    """
    alphas = np.concatenate([rule.alphas for rule in rules])
    _, first, node_of = np.unique(np.round(alphas, 12), return_index=True, return_inverse=True)
    return alphas[first], node_of


def integrate_rules_together(
    ends: PathEnds, rules: Sequence[IntegrationRule]
) -> list[IntegratedGradientsResult]:
    """Integrated Gradients of one input by several rules, each distinct node evaluated once.

    The left, right and trapezoid Riemann sums at ``m`` steps share their ``m + 1`` points, the
    midpoints at ``m`` are trapezoid nodes at ``2 m``, and a grid holds its divisors' grids; each
    rule's weighted sum is taken from each batch's gradients at once. Each result equals the
    rule's own to float rounding, and reports that rule's nodes and evaluations.
    """
    nodes, node_of = distinct_nodes(rules)
    bounds = np.cumsum([0] + [rule.num_evaluations for rule in rules])
    weights = np.zeros((len(rules), nodes.size))
    for row, rule in enumerate(rules):
        np.add.at(weights[row], node_of[bounds[row] : bounds[row + 1]], rule.weights)
    totals = np.zeros((len(rules), *ends.images.shape[1:]), np.float32)
    scores, first = [], 0
    for _, _, call_scores, gradients in ends.gradients(np.zeros(nodes.size), nodes):
        batch_weights = weights[:, first : first + len(gradients)].astype(np.float32)
        totals += integral_approximation(gradients, batch_weights).numpy()
        scores.append(call_scores)
        first += len(gradients)
    scores = np.concatenate(scores)
    attributions = (ends.images[0] - ends.baselines[0]) * totals
    return [
        ends.result(0, attributions[row], scores[node_of[bounds[row] : bounds[row + 1]]], rule)
        for row, rule in enumerate(rules)
    ]
