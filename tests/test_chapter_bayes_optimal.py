"""Key numbers of the chapter book/bayes_optimal.md (quick run), checked against raf and known values."""

from __future__ import annotations

import numpy as np
import pytest
from booktools import run_chapter

from raf.compare import deviation
from raf.theory import bayes_optimal, lambda_opt_square


@pytest.fixture(scope="module")
def res():
    return run_chapter("bayes_optimal").results


def test_perceptron_asymptote(res):
    # eps = 0 is the teacher-student perceptron: E_BO ~ 0.4417/alpha (Engel & Van den Broeck;
    # Aubin et al. 2020). At alpha = 1e4 the O(1/alpha^2) correction is far below 1e-4.
    i = res["eps_curves"].index(0.0)
    assert res["alpha_max"] == 1e4
    assert res["alpha_times_e_bo_at_max"][i] == pytest.approx(0.4417, abs=2e-4)
    assert res["c_bo"][i] == pytest.approx(0.4417, abs=1e-4)


def test_bayes_rate_is_one_over_alpha(res):
    # paper App. C.3.1: E_BO = Theta(1/alpha) for every eps < 1; the fit uses alpha in [1e3, 1e4],
    # where the local slope differs from -1 by less than 1e-3 up to eps = 0.8.
    for eps, slope in res["bo_fit_slope"].items():
        assert slope == pytest.approx(-1.0, abs=0.05), eps
    # the coefficient C(eps) agrees with alpha E_BO at the end of the curve (relative O(1/alpha))
    for c, prod, eps in zip(res["c_bo"], res["alpha_times_e_bo_at_max"], res["eps_curves"]):
        assert prod == pytest.approx(c, rel=5e-3 if eps < 0.7 else 2e-2)


def test_heatmap_limits_and_lower_bound(res):
    # eps = 1: pure guessing for every alpha (THEORY §4)
    assert np.allclose(res["bo_eps1_row"], 0.5, atol=1e-9)
    assert 0 < res["bo_map_min"] and res["bo_map_max"] <= 0.5 + 1e-12
    # Bayes-optimal is a lower bound for ridge regression at any lambda (up to round-off)
    assert res["gap_min"] >= -1e-9
    # below one sample per dimension the optimally regularised ridge is almost Bayes-optimal
    assert res["gap_max_alpha_le_1"] < 5e-3
    assert res["lam_opt_eps0"] == pytest.approx(np.pi / 2 - 1)


def test_ridge_simulations_on_the_theory(res):
    """The book's one metric (raf.compare.deviation, in standard errors). Quick mode has two
    seeds, whose sample standard error is unreliable (a t distribution with one degree of
    freedom), so the floor is the known fluctuation scale of E_gen, 0.5/sqrt(d) per data set
    over sqrt(S) seeds; 0.01 is the finite-d bias allowance."""
    sim = res["sim"]
    d, s = sim["d"], sim["n_seeds"]
    floor = 0.5 / np.sqrt(d * s)
    devs = []
    for eps in sim["eps"]:
        key = str(eps)
        lam = float(lambda_opt_square(eps))
        assert lam > 0
        dev = deviation(sim["mean"][key], sim["sem"][key], sim["theory"][key], floor=floor,
                        bias=0.01)
        assert np.all(dev <= 3), (eps, dev)
        for a, m, th, bo in zip(sim["alphas"], sim["mean"][key], sim["theory"][key], sim["bo"][key]):
            assert bo == pytest.approx(float(bayes_optimal(a, eps).e_gen), abs=1e-12)
            assert th >= bo - 1e-12
            devs.append(m - th)
    assert abs(np.mean(devs)) < 0.03


def test_exercise_numbers(res):
    """The numbers the executed exercise solutions print (paper App. C.3.1; THEORY §5)."""
    ex = res["exercise_limits"]
    np.testing.assert_allclose(ex["c"], [0.4417, 2.665], atol=5e-4)
    np.testing.assert_allclose(ex["alpha"], [44.17, 266.5], atol=0.1)
    # at one per cent the asymptotic law is accurate to a fraction of a per cent
    np.testing.assert_allclose(ex["e_gen"], 0.01, rtol=3e-3)
    ridge = res["exercise_ridge"]
    assert ridge["closed_form"] == pytest.approx(np.pi / (2 * 0.7**2) - 1, abs=1e-12)
    assert ridge["closed_form"] == pytest.approx(2.2057, abs=1e-4)
    # the same grid point for every alpha, the one nearest to the closed form
    grid = np.geomspace(1e-2, 1e2, 400)
    nearest = grid[np.argmin(np.abs(np.log(grid / ridge["closed_form"])))]
    assert list(ridge["argmin"].values()) == pytest.approx([nearest] * 3, rel=1e-12)
    assert nearest == pytest.approx(2.22, abs=0.01)
