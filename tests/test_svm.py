"""raf.svm: the intercept-free SVM dual, against an independent solver (THEORY §2)."""

import numpy as np
import pytest

from raf.data import sample, sample_test
from raf.result import Result
from raf.svm import solve_svm_dual


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        yield


def _problem(d=50, alpha=2.0, eps=0.3, seed=0):
    data = sample(d, alpha, eps, seed=seed)
    Xt, yt = sample_test(data.teacher, 300, seed=seed + 1000)
    return data, Xt, yt, None, None


def _primal(Ktr, y, a, lam):
    f = Ktr @ (a * y)
    return np.maximum(0, 1 - y * f).sum() + 0.5 * lam * (a * y) @ f


def test_svm_dual_kkt_and_independent_solver():
    # intercept-free hinge ERM against liblinear's dual coordinate descent on the
    # features of the linear kernel (an independent implementation)
    from sklearn.svm import LinearSVC

    data, Xt, yt, _, _ = _problem(d=50, alpha=2.0)
    Phi = data.X / np.sqrt(50)
    Ktr = Phi @ Phi.T
    y = data.y
    for lam in (0.1, 1.0):
        res = solve_svm_dual(np.outer(y, y) * Ktr, 1 / lam)
        assert res.success and res.residual < 1e-7 and abs(res.gap) < 1e-8
        assert np.all(res.a >= 0) and np.all(res.a <= 1 / lam + 1e-12)
        clf = LinearSVC(loss="hinge", fit_intercept=False, C=1 / lam, tol=1e-10,
                        max_iter=10 ** 6).fit(Phi, y)
        f_ll = Phi @ clf.coef_.ravel()
        f = Ktr @ (res.a * y)
        np.testing.assert_allclose(f, f_ll, atol=1e-3)
        # our solution is optimal: its primal objective is not above liblinear's
        w_ll = clf.coef_.ravel()
        p_ll = np.maximum(0, 1 - y * f_ll).sum() + 0.5 * lam * w_ll @ w_ll
        assert _primal(Ktr, y, res.a, lam) <= p_ll + 1e-9


def test_solve_svm_dual_warns_when_not_converged():
    Q = np.array([[1.0, -1.0], [-1.0, 1.0]])  # y = (+1, -1) at the same input
    with pytest.warns(RuntimeWarning, match="did not converge"):
        res = solve_svm_dual(Q, np.inf)
    assert not res.success and "not converge" not in res.message and "hard margin" in res.message


def test_result_protocol():
    data, _, _, _, _ = _problem(d=20)
    Phi = data.X / np.sqrt(20)
    res = solve_svm_dual(np.outer(data.y, data.y) * (Phi @ Phi.T), 2.0)
    assert isinstance(res, Result) and res.shape == () and res.converged
    assert res.a.shape == (data.y.size,) and res.trailing == {"a": "sample"}
    (row,) = res.to_rows()
    assert row["C"] == 2.0 and row["converged"] and row["n_iter"] == res.n_iter
    assert len(row["a"]) == data.y.size and "stages" not in res.message


@pytest.mark.parametrize("kw, match", [({"C": 0.0}, "'C' parameter"), ({"C": "1"}, "'C' parameter"),
                                       ({"tol": -1.0}, "'tol' parameter"),
                                       ({"max_iter": 0}, "'max_iter' parameter")])
def test_bad_input(kw, match):
    args = {"C": 1.0} | kw
    C = args.pop("C")
    with pytest.raises((ValueError, TypeError), match=match):
        solve_svm_dual(np.eye(3), C, **args)


# -- the free-set solves of the active-set method (raf.free_block.FreeBlock, used by raf.svm) ----------------------------


def _rbf_Q(n_per_d=8.0, d=50, seed=0):
    from raf import kernels
    from raf.gram import gram

    data = sample(d, n_per_d, 0.3, seed=seed)
    return np.outer(data.y, data.y) * gram(data.X, None, kernels.RBF, 0.5), data


def _plain_solve(Q, free, up, C):
    idx = np.flatnonzero(free)
    rhs = 1.0 - C * Q[np.ix_(idx, up)].sum(axis=1)
    return np.linalg.solve(Q[np.ix_(idx, idx)], rhs)


def _next_sets(rng, free, up, change, out=None):
    """Move ``change`` free indices (or those in ``out``) out, half to 0 and half to C, and
    ``change`` others in; returns the new sets and the indices moved in."""
    free, up = free.copy(), up.copy()
    if out is None:
        out = rng.choice(np.flatnonzero(free), change, replace=False)
    inn = rng.choice(np.flatnonzero(~free), change, replace=False)
    free[out], up[inn] = False, False
    free[inn], up[out[: change // 2]] = True, True
    return free, up, inn


def test_free_block_solves_equal_dense_solves():
    # reused, bordered, truncated and projected factorisations give the free-set solution of a
    # dense solve, along free sets that change by a few indices (as active-set iterations do)
    from raf.svm import _FreeBlock

    Q, _ = _rbf_Q()  # n = 400, condition number ~3e3
    n, C, rng = Q.shape[0], 2.0, np.random.default_rng(1)
    free = np.zeros(n, bool)
    free[rng.choice(n, 250, replace=False)] = True
    up = ~free & (rng.random(n) < 0.2)
    block = _FreeBlock(Q)
    block.MIN_SIZE = 50
    inn = None
    for step in range(12):
        if step == 4:  # the indices that just came in leave again: truncate the factor
            free, up, inn = _next_sets(rng, free, up, 8, out=inn)
        elif step in (6, 10):  # the same free set again
            pass
        elif step == 9:  # a large change: a fresh factorisation
            free, up, inn = _next_sets(rng, free, up, 120)
        elif step:
            free, up, inn = _next_sets(rng, free, up, 8)
        a, g = block.solve(free, up, C, 1e-12)
        x = _plain_solve(Q, free, up, C)
        np.testing.assert_allclose(a[free], x, rtol=0, atol=1e-12 * np.abs(x).max())
        assert np.all(a[up] == C) and np.all(a[~free & ~up] == 0)
        np.testing.assert_allclose(g, Q @ a - 1.0, atol=1e-12)
        assert np.abs(g[free]).max() <= 1e-12
    c = block.counts
    assert c["fresh"] == 2 and c["reused"] == 1 and c["updated"] == 9 and c["fallback"] == 0
    assert c["truncated"] >= 1 and c["projected"] >= 4


def _q_with_spectrum(rng, eigenvalues):
    """A symmetric matrix with the given eigenvalues and random orthogonal eigenvectors."""
    n = eigenvalues.size
    U = np.linalg.qr(rng.standard_normal((n, n)))[0]
    Q = (U * eigenvalues) @ U.T
    return (Q + Q.T) / 2


def test_free_block_falls_back_on_an_ill_conditioned_Q():
    # eigenvalues down to 1e-13: no factorisation reaches the target residual, the refinement of
    # an updated factor stalls and the solve falls back to a fresh factorisation -- the plain
    # active-set solve, which it then equals -- and after MAX_STALLS such fallbacks stays fresh
    from raf.svm import _FreeBlock

    rng = np.random.default_rng(0)
    n = 300
    Q = _q_with_spectrum(rng, np.logspace(0, -13, n))
    free, up = np.arange(n) < 200, np.zeros(n, bool)
    block = _FreeBlock(Q)
    block.MIN_SIZE = 20
    for step in range(8):
        a, g = block.solve(free, up, 1.0, 1e-9)
        x = _plain_solve(Q, free, up, 1.0)
        # both are Cholesky solves of the same block: equal far below their error (~1e-8)
        np.testing.assert_allclose(a[free], x, rtol=0, atol=1e-6 * np.abs(x).max())
        free, up, _ = _next_sets(rng, free, up, 6)
    c = block.counts
    assert c["fallback"] == block.MAX_STALLS and c["fresh"] == 8 and c["refined"] >= 1


def test_free_block_keeps_an_accurate_update_on_a_moderately_conditioned_Q():
    # eigenvalues down to 1e-10: a fresh factorisation reaches ~1e-9 only; updates that do as
    # well (within twice) are kept, no fallback
    from raf.svm import _FreeBlock

    rng = np.random.default_rng(0)
    n = 300
    Q = _q_with_spectrum(rng, np.logspace(0, -10, n))
    free, up = np.arange(n) < 200, np.zeros(n, bool)
    block = _FreeBlock(Q)
    block.MIN_SIZE = 20
    for step in range(6):
        a, g = block.solve(free, up, 1.0, 1e-9)
        assert np.abs(g[free]).max() <= 2 * block.floor + 1e-9
        free, up, _ = _next_sets(rng, free, up, 6)
    assert block.counts["fallback"] == 0 and block.counts["updated"] == 5


def test_svm_path_with_reused_factorisations_equals_plain_active_set(monkeypatch):
    # the whole warm-started ridge path: reusing factorisations (small MIN_SIZE, so that n = 400
    # exercises it) against fresh factorisations only (the plain active-set method): same
    # iterations, every point converged, same predictions to round-off
    from raf import learners, svm

    Q, data = _rbf_Q()
    K = Q * np.outer(data.y, data.y)
    lams = np.geomspace(1e-3, 1e1, 9)
    made = []

    class Spy(svm._FreeBlock):
        def __init__(self, Q):
            super().__init__(Q)
            made.append(self)

    monkeypatch.setattr(learners, "_FreeBlock", Spy)
    runs = {}
    for min_size in (30, 10 ** 9):
        monkeypatch.setattr(svm._FreeBlock, "MIN_SIZE", min_size)
        runs[min_size] = learners._dual_path(K, data.y, lams, None, 1e-7)
    (ca, conv_a, kkt_a, nit_a), (cb, conv_b, kkt_b, nit_b) = runs.values()
    assert conv_a.all() and conv_b.all() and kkt_a.max() <= 1e-7 and kkt_b.max() <= 1e-7
    np.testing.assert_array_equal(nit_a, nit_b)
    np.testing.assert_allclose(K @ ca, K @ cb, atol=1e-8)
    assert made[0].counts["updated"] >= 5 and made[1].counts["updated"] == 0
