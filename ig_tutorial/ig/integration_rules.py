r"""Quadrature rules for the path integral of Integrated Gradients, kept as data.

Taught in ``notebooks/05_integration.py``. Integrated Gradients (Sundararajan et al., 2017,
arXiv:1703.01365, eq. 1) needs the integral over :math:`\alpha` in ``[0, 1]`` of the gradient
at :math:`x' + \alpha (x - x')`, approximated by a weighted sum of gradients at points
``alphas``. Each rule is nothing but those ``alphas`` and one weight each (summing to 1), so
batching the gradients never changes the result: the trapezoid's half-weight end points cannot
be lost at a batch boundary. ``m_steps`` counts sub-intervals, as in the TensorFlow tutorial:
the trapezoid rule evaluates ``m_steps + 1`` points, the others ``m_steps``.
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
        The canonical name, one of :data:`INTEGRATION_RULES`.
    m_steps : int
        Sub-intervals (Gauss-Legendre: nodes).
    alphas, weights : numpy.ndarray
        The nodes in ``[0, 1]``, ascending, and one weight each (summing to 1), ``float64``.
    """

    name: str
    m_steps: int
    alphas: np.ndarray
    weights: np.ndarray

    @property
    def num_evaluations(self) -> int:
        """Gradient evaluations the rule needs."""
        return int(self.alphas.size)


def trapezoid_weights(alphas: np.ndarray) -> np.ndarray:
    """The trapezoid rule's weights for ascending nodes, evenly spaced or not.

    Each node gets half the width of each sub-interval it ends: the uniform grid of
    ``riemann_trapezoid`` and the uneven grids of ``m_steps="auto"`` alike.
    """
    widths = np.diff(alphas)
    weights = np.zeros(len(alphas))
    weights[:-1] += widths / 2.0
    weights[1:] += widths / 2.0
    return weights


def _gauss_legendre(m: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.legendre.leggauss(m)
    return (nodes + 1.0) / 2.0, weights / 2.0  # from [-1, 1] to [0, 1]


_RULES = {
    "riemann_left": lambda m: (np.arange(m) / m, np.full(m, 1.0 / m)),
    "riemann_right": lambda m: (np.arange(1, m + 1) / m, np.full(m, 1.0 / m)),
    "riemann_middle": lambda m: ((np.arange(m) + 0.5) / m, np.full(m, 1.0 / m)),
    "riemann_trapezoid": lambda m: (
        np.linspace(0.0, 1.0, m + 1),
        trapezoid_weights(np.linspace(0.0, 1.0, m + 1)),
    ),
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

#: Canonical rule names (the same as Captum's ``method``), and the default: the tutorial's.
INTEGRATION_RULES: tuple[str, ...] = tuple(_RULES)
DEFAULT_METHOD = "riemann_trapezoid"


def canonical_rule_name(method: str) -> str:
    """The canonical name of a rule, resolving :data:`ALIASES`.

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


def integration_rule(method: str = DEFAULT_METHOD, m_steps: int = 50) -> IntegrationRule:
    """A quadrature rule on ``[0, 1]``: ``method`` (or an alias) with ``m_steps`` sub-intervals.

    Taught in ``notebooks/05_integration.py``.

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


def integral_approximation(gradients, weights, *, rows=None):
    """The weighted sum of path gradients: the quadrature of the IG integral.

    Taught in ``notebooks/05_integration.py``. With the trapezoid weights this is the tutorial's
    ``tf.math.reduce_mean((gradients[:-1] + gradients[1:]) / 2.0, axis=0)``. ``weights`` has one
    weight per gradient, or ``(k, n)`` for ``k`` sums at once. With ``rows`` (ascending, from 0),
    gradient ``j`` belongs to input ``rows[j]`` and there is one sum per input.
    """
    import tensorflow as tf  # only here: the command line reads the rules without loading it

    weights = tf.cast(weights, gradients.dtype)
    if rows is None:
        return tf.tensordot(weights, gradients, axes=1)
    per_point = tf.reshape(weights, tf.concat([[-1], tf.ones_like(tf.shape(gradients)[1:])], 0))
    return tf.math.segment_sum(per_point * gradients, rows)
