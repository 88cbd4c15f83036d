"""Key numbers of the chapter book/large_alpha_rates.md (quick run), checked against raf and the paper."""

from __future__ import annotations

import numpy as np
import pytest
from booktools import run_chapter

from raf.kernels import ERF_KERNEL
from raf.compare import deviation
from raf.rates import bayes_large_alpha_coefficient
from raf.theory import erm, theta_star


@pytest.fixture(scope="module")
def res():
    return run_chapter("large_alpha_rates").results


def test_krr_slope_is_minus_one_half(res):
    # paper Eq. (42): E_KRR ~ tan(theta*)/(pi sqrt(alpha)); fitted on alpha in [1e3, 1e4]
    assert res["krr_slope"] == pytest.approx(-0.5, abs=0.05)
    # every kernel and ridge of the collapse has the same exponent
    assert np.allclose(res["krr_slopes_all"], -0.5, atol=0.05)


def test_bayes_slope_is_minus_one(res):
    # paper App. C.3.1: E_BO ~ C(eps)/alpha
    assert res["bo_slope"] == pytest.approx(-1.0, abs=0.05)
    # relative correction at alpha = 1e4 is O(1/alpha)
    assert res["bo_coefficient_at_max"] == pytest.approx(bayes_large_alpha_coefficient(res["eps"]), rel=1e-3)


def test_universal_krr_coefficient(res):
    eps = res["eps"]
    c = np.tan(theta_star(eps)) / np.pi
    assert res["tan_theta_star_over_pi"] == pytest.approx(c, rel=1e-12)
    assert res["krr_coefficient_theory"] == pytest.approx(c, rel=1e-12)
    # E_gen sqrt(alpha) at alpha = 1e4 for every (kernel, lambda): corrections are O(1/alpha),
    # about 1e-5 relative there; 1e-3 leaves room for any grid
    assert res["alpha_max"] == pytest.approx(1e4)
    for key, v in res["krr_coefficient_at_max"].items():
        assert v == pytest.approx(c, rel=1e-3), key


def test_svm_decays_as_alpha_to_minus_one_half(res):
    # paper Sec. 3.5 / Fig. 6, 9 (numerical conjecture): SVM at optimal lambda ~ alpha^{-1/2} for eps > 0
    assert res["svm_converged_fraction"] > 0.95
    assert np.allclose(res["svm_slopes"], -0.5, atol=0.05)
    assert np.allclose(res["svm_linear_slopes"], -0.5, atol=0.05)
    # the hinge loss improves on the KRR prefactor
    assert max(res["svm_coefficient_at_max"]) < res["krr_coefficient_theory"]


def test_krr_simulations_on_the_theory(res):
    sim = res["sim"]
    th = erm(np.asarray(sim["alphas"]), res["eps"], sim["lam"], loss="square", mu1=ERF_KERNEL.mu1,
             mustar=ERF_KERNEL.mustar).e_gen
    assert np.allclose(sim["theory"], th, atol=1e-12)
    # the book's one metric, in standard errors; with the quick run's two seeds the sample
    # standard error is unreliable, so the floor is the fluctuation scale 0.5/sqrt(d) of E_gen
    # per data set over sqrt(seeds), and 0.01 allows for the finite-d bias
    floor = 0.5 / np.sqrt(sim["d"] * sim["n_seeds"])
    assert np.all(deviation(sim["mean"], sim["sem"], th, floor=floor, bias=0.01) <= 3)
    # the simulated points decrease with alpha, like the theory
    assert np.all(np.diff(sim["mean"]) < 0)


def test_exercise_numbers(res):
    """The executed solution of the exercise on sample sizes (paper Eq. (42), App. C.3.1)."""
    ex = res["exercise_samples"]
    assert ex["c_krr"] == pytest.approx(0.3839, abs=1e-4)
    assert ex["c_bo"] == pytest.approx(0.9168, abs=1e-4)
    assert ex["alpha_krr"] == pytest.approx(1474, abs=1)
    assert ex["alpha_bo"] == pytest.approx(91.68, abs=0.01)
    assert ex["alpha_krr"] / ex["alpha_bo"] == pytest.approx(16.1, abs=0.1)
    # one per cent reached to about one per cent of the error
    assert ex["e_krr"] == pytest.approx(0.01, rel=0.01)
    assert ex["e_bo"] == pytest.approx(0.01, rel=0.01)
