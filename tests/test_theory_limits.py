"""Regression tests of raf.theory at the edges of its domain (issue 8, "no wrong number").

Each test pins a case where the theory once returned a wrong number marked converged; each
expected value is a limit or an asymptotic form computed independently of the code path
under test (a quadrature of raf.rates, a closed form, the literature, a symmetry).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from raf.rates import bayes_large_alpha_coefficient
from raf.result import Result
from raf.theory import (
    alpha_interpolation,
    bayes_optimal,
    erm,
    optimal_lambda,
    square_large_lambda,
)
from raf.theory.limits import _HINGE_KINK_SIGMAS, _unit_state
from raf.tradeoff import tradeoff_curve

KERNEL = dict(mu1=0.8, mustar=0.6)


# ---------------------------------------------------------------- Bayes-optimal at large alpha
def test_bayes_optimal_keeps_precision_at_large_alpha():
    """E^BO ~ C(eps)/alpha: at 1e9 the old code gave 8.9e-16 (q rounded to 1), 1.2 % low at 3e7."""
    c = bayes_large_alpha_coefficient(0.2)  # independent adaptive quadrature (raf.rates)
    r = bayes_optimal(1e9, 0.2)
    assert r.converged
    assert float(r.e_gen) * 1e9 == pytest.approx(c, rel=1e-8)
    assert float(bayes_optimal(3e7, 0.2).e_gen) * 3e7 == pytest.approx(c, rel=1e-8)


@pytest.mark.parametrize("eps", [0.0, 0.2, 0.9])
def test_bayes_optimal_approaches_its_asymptote_smoothly(eps):
    """alpha E^BO / C(eps) -> 1 monotonically, with no jump, from alpha = 10 to 1e15."""
    alpha = np.geomspace(10.0, 1e15, 57)
    ratio = bayes_optimal(alpha, eps).e_gen * alpha / bayes_large_alpha_coefficient(eps)
    gap = np.abs(1.0 - ratio)
    assert gap[-1] < 1e-9
    big = gap > 1e-11  # above round-off, the gap shrinks at every step
    assert np.all(np.diff(gap[big]) < 0)


def test_bayes_optimal_limits_alpha_inf_and_eps_one():
    r = bayes_optimal([np.inf, np.inf, 3.0], [0.2, 1.0, 1.0])
    np.testing.assert_array_equal(r.e_gen, [0.0, 0.5, 0.5])
    assert r.converged.all()


# ---------------------------------------------------------------- lambda -> infinity
@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_huge_ridge_gives_the_hebbian_limit(loss):
    """erm(2, 0.2, 1e160) once gave e_gen = e_mem = 0; the limit is 0.2663 / 0.2061."""
    g, m = square_large_lambda(2.0, 0.2, **KERNEL)
    assert float(g) == pytest.approx(0.2663, abs=1e-4) and float(m) == pytest.approx(0.2061, abs=1e-4)
    lam = np.array([1e20, 1e100, 1e160, 1e300, np.inf])
    r = erm(2.0, 0.2, lam, loss=loss, **KERNEL)
    assert r.converged.all()
    np.testing.assert_allclose(r.e_gen, g, rtol=1e-12)
    np.testing.assert_allclose(r.e_mem, m, rtol=1e-12)


def test_square_approaches_the_hebbian_limit_like_one_over_lambda():
    """Continuity of the finite form up to the limit: the gap shrinks like 1/lambda, no jump."""
    g, _ = square_large_lambda(2.0, 0.2, **KERNEL)
    lam = np.geomspace(1e2, 1e12, 11)
    gap = np.abs(erm(2.0, 0.2, lam, **KERNEL).e_gen - g)
    slope = np.diff(np.log(gap[gap > 1e-13])) / np.diff(np.log(lam[gap > 1e-13]))
    np.testing.assert_allclose(slope, -1.0, atol=0.05)


def test_hinge_is_continuous_across_the_switch_to_the_closed_form():
    """Beyond lambda* = W + 8.8 sqrt(q) (units lambda V, lambda^2 q) no margin reaches the kink."""
    m1, q1, W1, _ = _unit_state(np.array(2.0), np.array(0.2), np.array(0.8), np.array(0.6), np.array(np.inf))
    lam_switch = float(W1 + _HINGE_KINK_SIGMAS * np.sqrt(q1))
    below = erm(2.0, 0.2, lam_switch * (1 - 1e-7), loss="hinge", **KERNEL)
    above = erm(2.0, 0.2, lam_switch * (1 + 1e-7), loss="hinge", **KERNEL)
    assert below.n_iter > 0 and above.n_iter == 0  # one solved, one closed form
    for k in ("e_gen", "e_mem", "e_train_rule", "m", "q", "V"):
        assert float(above[k]) == pytest.approx(float(below[k]), rel=1e-6), k


# ---------------------------------------------------------------- hinge at large alpha
def test_hinge_rate_holds_at_every_alpha():
    """e_gen sqrt(alpha) -> 0.3763 for this kernel at lambda = 0.1; at alpha = 10^9.5 the old
    state (m, q) lost 1 - m^2/q to round-off and gave 0.074, marked converged."""
    alpha = np.array([1e6, 1e8, 10**9.5, 1e11, 1e13])
    r = erm(alpha, 0.2, 0.1, loss="hinge", **KERNEL)
    assert r.converged.all()
    rate = r.e_gen * np.sqrt(alpha)
    np.testing.assert_allclose(rate, rate[1], rtol=2e-6)
    assert rate[1] == pytest.approx(0.376326, abs=2e-6)


@pytest.mark.parametrize("kappa", [0.5, 2.0, 100.0])
def test_random_features_plateau_holds_at_every_alpha(kappa):
    """At finite width E_gen tends to a plateau; the hinge once stalled (flagged) at alpha ~ 1e8-1e10
    where the middle piece of width V/sigma -> 0 lost its digits. Both losses share the plateau."""
    alpha = np.array([1e6, 1e8, 1e10, 1e12, 1e14])
    sq = erm(alpha, 0.2, 0.1, **KERNEL, kappa=kappa)
    hi = erm(alpha, 0.2, 0.1, loss="hinge", **KERNEL, kappa=kappa)
    assert sq.converged.all() and hi.converged.all()
    np.testing.assert_allclose(hi.e_gen[3:], sq.e_gen[-1], rtol=1e-7)
    for r in (sq, hi):  # the approach to the plateau is monotone: no jump, no noise
        gap = np.abs(r.e_gen[:-1] - sq.e_gen[-1])
        assert np.all(np.diff(gap) < 0)


def test_square_rate_holds_at_every_alpha():
    """The square loss's closed form keeps s2 = 1 - m^2/q exact: E sqrt(alpha) -> tan(theta*)/pi."""
    from raf.theory import large_alpha_coefficient

    alpha = np.array([1e8, 1e12, 1e16, 1e20])
    r = erm(alpha, 0.2, 1.0, **KERNEL)
    np.testing.assert_allclose(r.e_gen * np.sqrt(alpha), large_alpha_coefficient(0.2), rtol=1e-4)


# ---------------------------------------------------------------- mu1 = 0 (theta = pi/2)
@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_kernel_without_linear_part_is_a_pure_memoriser(loss):
    """mu1 = 0 once returned NaN marked converged. The test field has no component along the
    teacher (m = q = 0): E_gen = 1/2; training predictions have the sign of the label."""
    r = erm([0.5, 2.0, 50.0], 0.2, [0.0, 0.1, 1e3], loss=loss, mu1=0.0, mustar=1.0)
    assert r.converged.all()
    np.testing.assert_array_equal(r.e_gen, 0.5)
    np.testing.assert_array_equal(r.e_mem, 0.0)
    np.testing.assert_array_equal(r.e_train_rule, 0.0)
    c = tradeoff_curve(2.0, 0.2, loss=loss, mu1=0.0, mustar=1.0, n_lam=5)
    assert c.converged.all()
    np.testing.assert_array_equal(c.e_gen, 0.5)
    assert c.e_gen_lam0 == 0.5 and c.e_gen_laminf == 0.5


def test_memoriser_agrees_with_a_finite_size_even_kernel():
    """k(t) = t^2 is even: f(-x) = f(x) while the rule flips, so E_gen = 1/2 exactly at any d."""
    from raf.simulations import simulate_kernel
    from raf.kernels import truncated_quadratic

    out = simulate_kernel(200, 2.0, 0.2, [0.1, 1.0], kernel=truncated_quadratic(0.0, 1.0), seeds=(0, 1),
                          n_test=2000)
    assert np.all(np.abs(np.asarray(out.e_gen_seeds) - 0.5) < 0.04)
    np.testing.assert_array_equal(out.e_mem_seeds, 0.0)


def test_mu1_to_zero_limits():
    """Kernel limit: mu1 -> 0+ tends to the Hebbian value (not to the mu1 = 0 point, 1/2);
    finite width: the nonlinear features reach fresh inputs and the limit is continuous."""
    g, _ = square_large_lambda(2.0, 0.2, 1.0, 0.0)
    for loss in ("square", "hinge"):
        small = erm(2.0, 0.2, 0.1, loss=loss, mu1=1e-7, mustar=1.0)
        assert float(small.e_gen) == pytest.approx(float(g), abs=1e-9)
    rf = erm(2.0, 0.2, 0.1, mu1=np.array([1e-4, 1e-6, 0.0]), mustar=1.0, kappa=2.0)
    assert rf.converged.all()
    np.testing.assert_allclose(rf.e_gen, 0.5, atol=1e-5)
    assert np.all(np.diff(rf.e_gen) >= 0)


# ---------------------------------------------------------------- kappa = inf
@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_infinite_width_is_the_kernel_limit(loss):
    lam = np.array([0.0, 0.1, 3.0])
    kern = erm(2.0, 0.2, lam, loss=loss, **KERNEL)
    inf = erm(2.0, 0.2, lam, loss=loss, kappa=np.inf, **KERNEL)
    np.testing.assert_array_equal(inf.e_gen, kern.e_gen)
    np.testing.assert_array_equal(inf.e_mem, kern.e_mem)
    mixed = erm(2.0, 0.2, 0.1, loss=loss, kappa=np.array([np.inf, 1e6]), **KERNEL)
    assert mixed.e_gen[0] == kern.e_gen[1]
    assert mixed.e_gen[1] == pytest.approx(float(kern.e_gen[1]), abs=1e-5)


# ---------------------------------------------------------------- optimal ridge
def test_optimal_ridge_respects_the_bayes_bound():
    """optimal_lambda(1000, 0, hinge) once returned 2.8e-4 < E^BO = 4.4e-4 from an unconverged point."""
    res = optimal_lambda(1000.0, 0.0, loss="hinge", n_golden=12)
    assert res.converged
    assert float(res.e_gen) >= float(bayes_optimal(1000.0, 0.0).e_gen)
    again = erm(1000.0, 0.0, float(res.lam), loss="hinge")
    assert float(again.e_gen) == pytest.approx(float(res.e_gen), rel=1e-9)


# ---------------------------------------------------------------- max-margin perceptron
def test_ridgeless_hinge_perceptron_is_the_max_margin_rate():
    """eps = 0, lambda = 0: the max-margin perceptron, E_gen ~ 0.5005/alpha (Engel & Van den
    Broeck, Statistical Mechanics of Learning, ch. 3); once unconverged (0.003013 at 300)."""
    alpha = np.array([100.0, 300.0, 1000.0, 1e4])
    r = erm(alpha, 0.0, 0.0, loss="hinge")
    assert r.converged.all()
    np.testing.assert_allclose(r.e_gen * alpha, 0.5005, atol=1e-3)
    assert float(r.e_gen[1]) == pytest.approx(0.001668, abs=1e-6)
    small = erm(alpha, 0.0, 1e-12, loss="hinge")  # lambda -> 0+ is the same point
    assert small.converged.all()
    np.testing.assert_allclose(small.e_gen, r.e_gen, rtol=1e-6)


def test_ridgeless_hinge_with_few_facts_above_the_threshold_converges():
    """eps = 1e-6 (alpha_c = 187): above alpha_c the ridgeless solution is nearly degenerate
    (condition number ~1e5) and once stayed unconverged; lambda -> 0+ meets lambda = 0."""
    alpha = np.array([1000.0])
    r0 = erm(alpha, 1e-6, 0.0, loss="hinge")
    r1 = erm(alpha, 1e-6, 1e-12, loss="hinge")
    assert r0.converged.all() and r1.converged.all()
    np.testing.assert_allclose(r1.e_gen, r0.e_gen, rtol=1e-5)
    assert np.all(r0.e_mem > 0)  # facts no longer all fitted above alpha_c


# ---------------------------------------------------------------- validation
def test_alpha_interpolation_validates():
    with pytest.raises(ValueError, match="'loss'"):
        alpha_interpolation("Square", 0.2)
    with pytest.raises(ValueError, match="'eps'"):
        alpha_interpolation("square", 5.0)
    assert alpha_interpolation("square", 0.3) == 1.0


@pytest.mark.parametrize("bad, name", [(dict(alpha="2"), "alpha"), (dict(eps=None), "eps"),
                                       (dict(lam="0.1"), "lam"), (dict(mu1=None), "mu1")])
def test_wrong_type_names_the_parameter(bad, name):
    kw = dict(alpha=2.0, eps=0.2, lam=0.1) | bad
    with pytest.raises(TypeError, match=f"'{name}'"):
        erm(**kw)


def test_linear_square_exactly_at_the_interpolation_threshold():
    """alpha = 1, lambda = 0: the limits from both sides (E_gen -> 1/2, E_mem -> 0)."""
    r = erm([1.0 - 1e-9, 1.0, 1.0 + 1e-9], 0.3, 0.0)
    assert r.converged.all()
    np.testing.assert_allclose(r.e_gen, 0.5, atol=1e-4)
    np.testing.assert_allclose(r.e_mem, 0.0, atol=1e-4)


# ---------------------------------------------------------------- warnings
def test_a_hinge_sweep_emits_no_numerical_warnings():
    """One hinge sweep once flooded 575-11 000 numpy RuntimeWarnings."""
    alpha = np.geomspace(0.3, 300, 7)[:, None, None]
    th = np.linspace(0.0, np.pi / 2, 5)[:, None]
    lam = np.concatenate([[0.0], np.geomspace(1e-6, 1e4, 9)])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = erm(alpha, 0.2, lam, loss="hinge", mu1=np.cos(th), mustar=np.sin(th))
    assert [str(w.message) for w in rec] == []
    assert r.converged.all()


def test_non_convergence_is_one_warning_naming_the_call():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = erm([2.0, 3.0, 4.0], 0.2, 0.1, loss="hinge", **KERNEL, max_iter=0)
    assert len(rec) == 1 and "erm" in str(rec[0].message) and rec[0].filename == __file__
    assert not r.converged.any() and "did not converge" in r.message


# ---------------------------------------------------------------- result protocol
def test_results_carry_flags_and_refuse_tuple_unpacking():
    r = erm([2.0, 4.0], 0.2, 0.1, loss="hinge", **KERNEL)
    assert isinstance(r, Result) and r.residual.shape == (2,) and np.all(r.residual < 1e-10)
    assert np.all(r.n_iter > 0) and r.success
    rows = r.to_rows()
    assert rows[1]["alpha"] == 4.0 and rows[1]["loss"] == "hinge" and rows[1]["e_gen"] == r.e_gen[1]
    assert float(r[1].e_gen) == r.e_gen[1]
    with pytest.raises(TypeError, match="not iterable"):
        lam, res = optimal_lambda([2.0, 4.0], 0.2)
