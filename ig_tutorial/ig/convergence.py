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

from ig_tutorial.ig.gradients import Model
from ig_tutorial.ig.integrated_gradients import integrated_gradients
from ig_tutorial.ig.integration_rules import canonical_rule_name
from ig_tutorial.ig.results import IntegratedGradientsResult, relative_l2_error
from ig_tutorial.ig.targets import resolve_target


@dataclass(frozen=True)
class ConvergenceStudy:
    """IG of one image by several rules at several step counts, and a high-step reference.

    Attributes
    ----------
    reference : IntegratedGradientsResult
        The reference estimate.
    results : dict of str to tuple of IntegratedGradientsResult
        Rule name -> results by increasing ``m_steps``.
    """

    reference: IntegratedGradientsResult
    results: dict[str, tuple[IntegratedGradientsResult, ...]]

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

    Costs about ``len(methods) * sum(steps) + reference_steps`` gradient evaluations (on the
    bundled model on a 2-core CPU, roughly 45 ms each). Taught in
    ``notebooks/08_integration_rules_and_steps.py``.

    Parameters
    ----------
    model : callable
        The classifier, as for :func:`ig_tutorial.integrated_gradients`.
    image : tensor or array
        The input, shape ``(height, width, 3)``.
    target : int or str
        Class index, label name or ``"top-1"`` (resolved once).
    methods : sequence of str, default left, middle and trapezoid Riemann sums
        Rules from :data:`ig_tutorial.INTEGRATION_RULES` (or aliases).
    steps : sequence of int, default (8, 16, 32, 64, 128)
        Step counts, run in increasing order.
    reference_steps : int, default 512
        Steps of the reference.
    reference_method : str, default "gausslegendre"
        Rule of the reference: Gauss-Legendre converges fastest on smooth paths.
    **options
        Passed to :func:`ig_tutorial.integrated_gradients` (``baseline``, ``batch_size``,
        ``output``).

    Returns
    -------
    ConvergenceStudy

    Raises
    ------
    ValueError
        If ``methods`` or ``steps`` is empty, or as :func:`ig_tutorial.integrated_gradients`.

    Examples
    --------
    >>> study = convergence_study(model, read_image("coffee"), "espresso", steps=(16, 64))
    >>> print(study.table())
    """
    if len(methods) == 0 or len(steps) == 0:
        raise ValueError(
            f"methods and steps must not be empty, got methods={methods!r}, steps={steps!r}."
        )
    for forbidden in ("m_steps", "method"):
        if forbidden in options:
            raise ValueError(f"give `{forbidden}` through `steps=`/`methods=`, not as an option.")
    target = resolve_target(model, tf.convert_to_tensor(image, tf.float32), target)
    reference = integrated_gradients(
        model, image, target, m_steps=reference_steps, method=reference_method, **options
    )
    results = {
        canonical_rule_name(method): tuple(
            integrated_gradients(model, image, target, m_steps=m, method=method, **options)
            for m in sorted(steps)
        )
        for method in methods
    }
    return ConvergenceStudy(reference=reference, results=results)
