"""raf.linear_svm: the primal linear SVM against the dual solver, the LP at lam = 0, the flags,
the simulation drivers against raf.simulations; raf.rates.local_slope_points."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import linprog

from raf.data import sample
from raf.linear_svm import simulate_alpha_sweep, simulate_linear_hinge, solve_linear_hinge
from raf.rates import local_slope_points
from raf.simulations import simulate_linear
from raf.svm import solve_svm_dual


def _problem(d, alpha, eps, seed):
    data = sample(d, alpha, eps, seed=seed)
    return data.X / np.sqrt(d), data.y


@pytest.mark.parametrize("d, alpha, eps, lam", [
    (20, 1.0, 0.2, 1.0),     # separable (alpha < alpha_c), large ridge
    (20, 2.0, 0.2, 1e-3),    # separable, near the hard margin
    (20, 5.0, 0.2, 0.1),     # not separable
    (30, 4.0, 0.05, 0.01),
    (10, 30.0, 0.5, 2.0),    # many samples per weight
])
def test_primal_equals_dual_solver(d, alpha, eps, lam):
    Phi, y = _problem(d, alpha, eps, seed=3)
    r = solve_linear_hinge(Phi, y, lam)
    assert r.success and r.residual <= 1e-9 and abs(float(r.gap)) < 1e-10
    Q = (y[:, None] * y[None, :]) * (Phi @ Phi.T)
    rd = solve_svm_dual(Q, 1.0 / lam, tol=1e-11)
    assert rd.success
    w_dual = Phi.T @ (rd.a * y)
    scale = max(1.0, float(np.max(np.abs(w_dual))))
    assert np.max(np.abs(np.asarray(r.w) - w_dual)) < 1e-7 * scale
    # the dual variables: beta = lam a
    assert np.max(np.abs(np.asarray(r.beta) - lam * rd.a)) < 1e-6


def test_lam_zero_is_the_linear_programme():
    """Above alpha_c the lam -> 0+ limit is min sum max(0, 1 - y w.phi): HiGHS gives the same."""
    Phi, y = _problem(15, 8.0, 0.2, seed=1)
    n, p = Phi.shape
    r = solve_linear_hinge(Phi, y, 0.0)
    assert r.success
    # variables (w, xi): min sum xi, -(y phi) w - xi <= -1, xi >= 0
    A = np.hstack([-(y[:, None] * Phi), -np.eye(n)])
    lp = linprog(np.r_[np.zeros(p), np.ones(n)], A_ub=A, b_ub=-np.ones(n),
                 bounds=[(None, None)] * p + [(0, None)] * n, method="highs")
    assert lp.success
    assert float(r.objective) == pytest.approx(lp.fun, rel=1e-9)
    # a vertex: p samples exactly on the margin, and the LP's minimiser is unique here
    assert np.allclose(np.asarray(r.w), lp.x[:p], atol=1e-6)
    m = y * (Phi @ np.asarray(r.w))
    assert np.count_nonzero(np.abs(m - 1) < 1e-9) == p


def test_lam_zero_on_separable_data_is_flagged_once():
    Phi, y = _problem(30, 1.0, 0.2, seed=0)  # alpha = 1 < alpha_c(0.2): separable
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = solve_linear_hinge(Phi, y, 0.0)
    assert not r.success and "separable" in r.message
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1


def test_too_few_iterations_are_flagged_once():
    Phi, y = _problem(20, 20.0, 0.2, seed=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = solve_linear_hinge(Phi, y, 0.1, max_iter=1)
    assert not r.success and r.residual > 1e-9 and "KKT residual" in r.message
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solve_linear_hinge(Phi, y, 0.1, max_iter=1, warn=False)  # no warning when asked


def test_bad_input_names_the_parameter():
    Phi, y = _problem(5, 2.0, 0.2, seed=0)
    with pytest.raises(ValueError, match="'lam'"):
        solve_linear_hinge(Phi, y, -1.0)
    with pytest.raises(ValueError, match="'y'"):
        solve_linear_hinge(Phi, 2 * y, 0.1)
    with pytest.raises(ValueError, match="'y'"):
        solve_linear_hinge(Phi, y[:-1], 0.1)
    with pytest.raises(ValueError, match="'features'"):
        solve_linear_hinge(Phi[:, 0], y, 0.1)
    with pytest.raises(ValueError, match="'alphas'"):
        simulate_alpha_sweep(10, [-1.0, 2.0], 0.2, 0.1)
    with pytest.raises(ValueError, match="'lams'"):
        simulate_alpha_sweep(10, [1.0, 2.0, 3.0], 0.2, [0.1, 0.2])
    with pytest.raises(ValueError, match="'loss'"):
        simulate_alpha_sweep(10, [1.0, 2.0], 0.2, 0.1, loss="logistic")
    with pytest.raises(ValueError, match="'n_seeds'"):
        simulate_alpha_sweep(10, [1.0, 2.0], 0.2, 0.1, n_seeds=1)
    with pytest.raises(ValueError, match="'n_seeds'"):
        simulate_alpha_sweep(10, [1.0, 2.0], 0.2, 0.1, n_seeds=[4, 4, 4])


def test_simulation_matches_the_dual_driver():
    """Same seeds, same training data: the training errors are identical, and E_gen (exact here,
    a test-set estimate there) agrees within the test set's binomial spread."""
    lams = [0.05, 0.5]
    n_test = 20000
    ours = simulate_linear_hinge(20, 4.0, 0.2, lams, seeds=(0, 1, 2))
    ref = simulate_linear(20, 4.0, 0.2, lams, loss="hinge", seeds=(0, 1, 2), n_test=n_test)
    assert ours.success and ref.success
    np.testing.assert_allclose(ours.e_mem_seeds, ref.e_mem_seeds, atol=1e-12)
    np.testing.assert_allclose(ours.e_train_rule_seeds, ref.e_train_rule_seeds, atol=1e-12)
    e = np.asarray(ours.e_gen_seeds)
    spread = np.sqrt(e * (1 - e) / n_test)  # standard deviation of one test-set estimate
    assert np.all(np.abs(np.asarray(ref.e_gen_seeds) - e) < 4 * spread)


def test_alpha_sweep_independent_points_and_both_losses():
    r = simulate_alpha_sweep(10, [2.0, 8.0], 0.2, [0.3, 0.0], loss="hinge", n_seeds=2, first_seed=5)
    assert r.success and r.shape == (2,)
    # point k runs seeds first_seed + 1000 k + s
    one = simulate_linear_hinge(10, 8.0, 0.2, [0.0], seeds=(1005, 1006))
    assert float(r.e_gen[1]) == pytest.approx(float(one.e_gen[0]), abs=1e-12)
    assert float(r.e_gen_sem[1]) == pytest.approx(float(one.e_gen_sem[0]), abs=1e-12)
    sq = simulate_alpha_sweep(10, [5.0, 20.0], 0.2, 0.1, loss="square", n_seeds=2, n_test=500)
    ref = simulate_linear(10, 20.0, 0.2, [0.1], seeds=(1000, 1001), n_test=500)
    assert float(sq.e_gen[1]) == pytest.approx(float(ref.e_gen[0]), abs=1e-12)
    assert np.all(np.asarray(sq.lam) == 0.1)
    # seeds per point: point k runs n_seeds[k] of them
    more = simulate_alpha_sweep(10, [5.0, 20.0], 0.2, 0.1, loss="square", n_seeds=[3, 2], n_test=500)
    assert np.asarray(more.n_seeds).tolist() == [3, 2]
    assert float(more.e_gen[1]) == pytest.approx(float(ref.e_gen[0]), abs=1e-12)
    ref3 = simulate_linear(10, 5.0, 0.2, [0.1], seeds=(0, 1, 2), n_test=500)
    assert float(more.e_gen_sem[0]) == pytest.approx(float(ref3.e_gen_sem[0]), abs=1e-12)


def test_local_slope_points():
    x = np.array([1.0, 10.0, 100.0])
    m = 0.3 * x ** -0.5
    r = local_slope_points(x, m, 0.1 * m)
    np.testing.assert_allclose(r.slope, -0.5)
    np.testing.assert_allclose(r.x_mid, [np.sqrt(10), np.sqrt(1000)])
    np.testing.assert_allclose(r.slope_sem, np.sqrt(2) * 0.1 / np.log(10))
    with pytest.raises(ValueError, match="'x'"):
        local_slope_points([1.0, 1.0], [1.0, 1.0], [0.1, 0.1])
