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
