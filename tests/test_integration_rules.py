import numpy as np
import pytest

from ig_tutorial import INTEGRATION_RULES, integration_rule
from ig_tutorial.ig.integration_rules import ALIASES, trapezoid_weights


@pytest.mark.parametrize("method", INTEGRATION_RULES)
@pytest.mark.parametrize("m_steps", [1, 2, 7, 32, 33, 300])
def test_weights_sum_to_one_and_alphas_in_unit_interval(method, m_steps):
    rule = integration_rule(method, m_steps)
    assert rule.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(rule.weights > 0)
    assert rule.alphas.min() >= 0.0 and rule.alphas.max() <= 1.0
    assert np.all(np.diff(rule.alphas) > 0)
    assert rule.alphas.shape == rule.weights.shape


@pytest.mark.parametrize(
    ("method", "evaluations"),
    [
        ("riemann_left", 10),
        ("riemann_right", 10),
        ("riemann_middle", 10),
        ("riemann_trapezoid", 11),
        ("gausslegendre", 10),
    ],
)
def test_number_of_evaluations(method, evaluations):
    assert integration_rule(method, 10).num_evaluations == evaluations


def test_trapezoid_matches_the_tutorial_formula():
    rule = integration_rule("trapezoid", 4)
    assert rule.alphas.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert rule.weights.tolist() == [0.125, 0.25, 0.25, 0.25, 0.125]


def test_trapezoid_weights_of_a_uniform_grid_are_the_rules():
    rule = integration_rule("trapezoid", 8)
    np.testing.assert_allclose(trapezoid_weights(rule.alphas), rule.weights, rtol=0, atol=1e-15)


def test_trapezoid_weights_integrate_a_piecewise_linear_function_on_an_uneven_grid_exactly():
    # Kinks only at nodes: the trapezoid rule is exact. Integral of |a - 0.3| on [0, 1] is 0.29.
    alphas = np.array([0.0, 0.05, 0.3, 0.31, 0.7, 1.0])
    weights = trapezoid_weights(alphas)
    assert float(np.sum(weights * np.abs(alphas - 0.3))) == pytest.approx(0.29, abs=1e-12)
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("method", INTEGRATION_RULES)
def test_rules_integrate_a_polynomial(method):
    # Every rule converges to the integral of 3 a^2 on [0, 1], which is 1.
    rule = integration_rule(method, 400)
    estimate = float(np.sum(rule.weights * 3 * rule.alphas**2))
    assert estimate == pytest.approx(1.0, rel=1e-2)


def test_gauss_legendre_is_exact_for_degree_2m_minus_1():
    rule = integration_rule("gausslegendre", 3)
    # Exact up to degree 5: integral of 6 a^5 on [0, 1] is 1.
    assert float(np.sum(rule.weights * 6 * rule.alphas**5)) == pytest.approx(1.0, abs=1e-12)


def test_aliases_resolve():
    for alias, name in ALIASES.items():
        assert integration_rule(alias, 3).name == name


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_bad_m_steps(bad):
    with pytest.raises(ValueError, match="m_steps must be a positive integer"):
        integration_rule("riemann_left", bad)


def test_unknown_rule_lists_known_ones():
    with pytest.raises(ValueError, match="riemann_trapezoid"):
        integration_rule("simpson", 10)
