"""raf.rates: power-law fits and the large-alpha coefficients (THEORY §4, §5; paper App. C.3)."""

import numpy as np
import pytest

from raf.rates import bayes_large_alpha_coefficient, fit_power_law, local_slope
from raf.result import Result
from raf.theory import bayes_optimal, erm, large_alpha_coefficient, theta_star


def test_fit_power_law_exact_and_noisy():
    x = np.geomspace(1, 1e3, 20)
    fit = fit_power_law(x, 3.0 * x**-0.5)
    assert fit.slope == pytest.approx(-0.5, abs=1e-12)
    assert fit.prefactor == pytest.approx(3.0, rel=1e-12)
    assert fit.stderr < 1e-12
    assert isinstance(fit, Result) and fit.shape == () and fit.n_points == 20
    (row,) = fit.to_rows()
    assert row["slope"] == pytest.approx(-0.5) and row["x_min"] is None
    rng = np.random.default_rng(0)
    y = 2.0 * x**-1.0 * np.exp(0.01 * rng.standard_normal(x.size))
    fit = fit_power_law(x, y)
    assert abs(fit.slope + 1.0) < 3 * fit.stderr + 1e-3
    assert 0 < fit.stderr < 0.01


def test_fit_power_law_window_and_bad_points():
    x = np.geomspace(1, 1e4, 30)
    y = x**-1.0 + 0.1 * x**-0.5  # crosses over from -1 to -1/2
    assert fit_power_law(x, y, x_min=1e3).slope > fit_power_law(x, y, x_max=10).slope
    y2 = x**-0.5
    y2[3] = np.nan
    y2[5] = 0.0
    assert fit_power_law(x, y2).slope == pytest.approx(-0.5, abs=1e-12)
    with pytest.raises(ValueError, match="'x' parameter"):
        fit_power_law([-1, 2], [1, 2])
    with pytest.raises(ValueError, match="at least two points"):
        fit_power_law([1, 2, 3], [1, 2, 3], x_min=2.5)


def test_local_slope_of_power_law():
    x = np.geomspace(1, 100, 11)
    assert np.allclose(local_slope(x, 5 * x**-0.7), -0.7)


def test_bayes_coefficient_perceptron_value_and_limit():
    # eps = 0: classical teacher-student perceptron, E ~ 0.4417 / alpha
    assert bayes_large_alpha_coefficient(0.0) == pytest.approx(0.4417, abs=1e-4)
    # eps -> 1: C ~ 1 / (sqrt(2) (1 - eps)^2)
    e = 0.999
    assert bayes_large_alpha_coefficient(e) * np.sqrt(2) * (1 - e) ** 2 == pytest.approx(1.0, rel=2e-3)
    assert np.isinf(bayes_large_alpha_coefficient(1.0))
    with pytest.raises(ValueError, match="'eps' parameter"):
        bayes_large_alpha_coefficient(1.2)


@pytest.mark.parametrize("eps", [0.0, 0.2, 0.5])
def test_bayes_coefficient_matches_state_equations(eps):
    # the Bayes-optimal fixed point (THEORY §4) at alpha = 1e5 approaches C / alpha
    alpha = 1e5
    c = bayes_large_alpha_coefficient(eps)
    assert bayes_optimal(alpha, eps).e_gen * alpha == pytest.approx(c, rel=1e-4)
    vec = bayes_large_alpha_coefficient(np.array([eps, eps]))
    assert vec.shape == (2,) and np.allclose(vec, c)


def test_krr_coefficient_is_tan_theta_star_over_pi_and_matches_erm():
    eps = 0.3
    c = large_alpha_coefficient(eps)
    assert c == pytest.approx(np.tan(theta_star(eps)) / np.pi)
    alpha = 1e6
    for mu1, mustar, lam in [(1.0, 0.0, 0.1), (0.6, 0.5, 1.0), (0.5, 0.3, 0.0)]:
        r = erm(alpha, eps, lam, loss="square", mu1=mu1, mustar=mustar)
        assert r.e_gen * np.sqrt(alpha) == pytest.approx(c, rel=1e-2)


def test_fit_power_law_many_curves_at_once():
    x = np.geomspace(1, 1e3, 12)
    y = np.stack([2 * x**-0.5, 3 * x**-1.0, 0.5 * x**-2.0])
    y[1, 4] = np.nan  # dropped in its row only
    fit = fit_power_law(x, y)
    assert fit.shape == (3,)
    np.testing.assert_allclose(fit.slope, [-0.5, -1.0, -2.0], atol=1e-12)
    np.testing.assert_allclose(fit.prefactor, [2.0, 3.0, 0.5], rtol=1e-10)
    assert fit.n_points.tolist() == [12, 11, 12]


def test_fit_power_law_constant_x_is_an_error():
    """Regression: a constant x returned a slope with a NaN error instead of saying why."""
    with pytest.raises(ValueError, match="at least two distinct values"):
        fit_power_law([3.0, 3.0, 3.0], [1.0, 2.0, 4.0])
    # the same when the window leaves a single x
    with pytest.raises(ValueError, match="at least two distinct values"):
        fit_power_law([1.0, 2.0, 2.0, 5.0], [1.0, 2.0, 3.0, 4.0], x_min=1.5, x_max=3.0)


def test_two_point_fit_has_no_error_estimate():
    fit = fit_power_law([1.0, 10.0], [1.0, 0.1])
    assert fit.slope == pytest.approx(-1.0) and np.isnan(fit.stderr)
