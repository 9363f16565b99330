r"""Quadrature rules for the path integral of Integrated Gradients, kept as data.

Taught in ``notebooks/05_integration.py``. Integrated Gradients (Sundararajan et al., 2017,
"Axiomatic Attribution for Deep Networks", arXiv:1703.01365, eq. 1 and section 5) needs

.. math:: \int_0^1 \frac{\partial F(x' + \alpha (x - x'))}{\partial x_i} \, d\alpha,

which is approximated by a weighted sum of gradients at points ``alphas`` in ``[0, 1]``. Each rule
here is nothing but those ``alphas`` and ``weights`` (the weights sum to 1, the length of the
interval). Because the weights travel with each alpha, batching the gradients never changes the
result: the trapezoid's half-weight endpoints cannot be lost at a batch boundary.

``m_steps`` is the number of sub-intervals, as in the TensorFlow tutorial: the trapezoid rule
evaluates ``m_steps + 1`` points, the others ``m_steps``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ig_tutorial.checks import positive_integer


@dataclass(frozen=True)
class IntegrationRule:
    """The nodes and weights of a quadrature rule on ``[0, 1]``.

    Attributes
    ----------
    name : str
        The rule's canonical name, one of :data:`INTEGRATION_RULES`.
    m_steps : int
        The number of sub-intervals (Gauss-Legendre: the number of nodes).
    alphas : numpy.ndarray
        Interpolation constants in ``[0, 1]``, ascending, ``float64``.
    weights : numpy.ndarray
        One weight per alpha, ``float64``, summing to 1.
    """

    name: str
    m_steps: int
    alphas: np.ndarray
    weights: np.ndarray

    @property
    def num_evaluations(self) -> int:
        """Number of gradient evaluations the rule needs."""
        return int(self.alphas.size)


def _riemann_left(m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(m) / m, np.full(m, 1.0 / m)


def _riemann_right(m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(1, m + 1) / m, np.full(m, 1.0 / m)


def _riemann_middle(m: int) -> tuple[np.ndarray, np.ndarray]:
    return (np.arange(m) + 0.5) / m, np.full(m, 1.0 / m)


def _riemann_trapezoid(m: int) -> tuple[np.ndarray, np.ndarray]:
    weights = np.full(m + 1, 1.0 / m)
    weights[[0, -1]] = 0.5 / m
    return np.linspace(0.0, 1.0, m + 1), weights


def trapezoid_weights(alphas: np.ndarray) -> np.ndarray:
    """The trapezoid rule's weights for ascending nodes, evenly spaced or not.

    Each node gets half the width of each sub-interval it ends: the uniform grid of
    ``riemann_trapezoid``, or the uneven grids of ``m_steps="auto"``
    (:mod:`ig_tutorial.ig.adaptive_steps`) and of the non-uniform peer in ``benchmarks/``.

    Parameters
    ----------
    alphas : numpy.ndarray
        Ascending interpolation constants, e.g. from 0 to 1.

    Returns
    -------
    numpy.ndarray
        One ``float64`` weight per node, summing to ``alphas[-1] - alphas[0]``.
    """
    widths = np.diff(alphas)
    weights = np.zeros(len(alphas))
    weights[:-1] += widths / 2.0
    weights[1:] += widths / 2.0
    return weights


def _gauss_legendre(m: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.legendre.leggauss(m)
    # leggauss integrates over [-1, 1]; map to [0, 1] (halves the weights).
    return (nodes + 1.0) / 2.0, weights / 2.0


#: The default rule: the trapezoid, as in the TensorFlow tutorial (``m_steps="auto"`` refines it).
DEFAULT_METHOD = "riemann_trapezoid"

_RULES = {
    "riemann_left": _riemann_left,
    "riemann_right": _riemann_right,
    "riemann_middle": _riemann_middle,
    "riemann_trapezoid": _riemann_trapezoid,
    "gausslegendre": _gauss_legendre,
}

#: Short names accepted for convenience.
ALIASES = {
    "left": "riemann_left",
    "right": "riemann_right",
    "middle": "riemann_middle",
    "midpoint": "riemann_middle",
    "trapezoid": "riemann_trapezoid",
    "trapezoidal": "riemann_trapezoid",
    "gauss_legendre": "gausslegendre",
    "gauss-legendre": "gausslegendre",
}

#: Canonical rule names (the same as Captum's ``method`` argument).
INTEGRATION_RULES: tuple[str, ...] = tuple(_RULES)


def canonical_rule_name(method: str) -> str:
    """Return the canonical name of a rule, resolving :data:`ALIASES`.

    Raises
    ------
    ValueError
        If ``method`` is unknown; the message lists the known names.
    """
    name = ALIASES.get(method, method)
    if name not in _RULES:
        raise ValueError(
            f"Unknown integration rule {method!r}. Choose one of {', '.join(INTEGRATION_RULES)} "
            f"(or the aliases {', '.join(ALIASES)})."
        )
    return name


def integration_rule(method: str = "riemann_trapezoid", m_steps: int = 50) -> IntegrationRule:
    """Build a quadrature rule on ``[0, 1]``.

    Parameters
    ----------
    method : str, default "riemann_trapezoid"
        One of :data:`INTEGRATION_RULES` or an alias such as ``"trapezoid"``.
    m_steps : int, default 50
        Number of sub-intervals (for Gauss-Legendre, of nodes); at least 1.

    Returns
    -------
    IntegrationRule

    Raises
    ------
    ValueError
        If ``method`` is unknown or ``m_steps`` is not a positive integer.

    Examples
    --------
    >>> rule = integration_rule("trapezoid", 4)
    >>> rule.alphas.tolist(), rule.weights.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.125, 0.25, 0.25, 0.25, 0.125])
    """
    name = canonical_rule_name(method)
    m_steps = positive_integer(m_steps, "m_steps")
    alphas, weights = _RULES[name](m_steps)
    return IntegrationRule(name=name, m_steps=m_steps, alphas=alphas, weights=weights)
