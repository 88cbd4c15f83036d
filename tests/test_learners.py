"""raf.learners: KRR, ridge and the SVM on a Gram matrix, and their checks (THEORY §2, §7)."""

import numpy as np
import pytest

from raf import kernels as K
from raf.data import sample, sample_test
from raf.gram import gram
from raf.learners import krr_errors, ridge_errors, svm_errors
from raf.svm import solve_svm_dual


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # small dense problems: one BLAS thread is as fast and immune to oversubscription
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        yield


def _problem(d=60, alpha=2.0, eps=0.3, seed=0, kernel=K.RBF, param=0.5, n_test=500):
    data = sample(d, alpha, eps, seed=seed)
    Xt, yt = sample_test(data.teacher, n_test, seed=seed + 1000)
    Ktr = gram(data.X, None, kernel, param)
    Kte = gram(Xt, data.X, kernel, param)
    return data, Xt, yt, Ktr, Kte


# ----------------------------------------------------------------------------- KRR


def test_krr_matches_sklearn_kernel_ridge():
    from sklearn.kernel_ridge import KernelRidge

    data, _, yt, Ktr, Kte = _problem()
    lam = 0.3
    r = krr_errors(Ktr, data.y, Kte, yt, [lam], fact_mask=data.is_fact,
                   return_predictions=True)
    kr = KernelRidge(alpha=lam, kernel="precomputed").fit(Ktr, data.y)
    np.testing.assert_allclose(r.f_test[0], kr.predict(Kte), atol=1e-9)
    np.testing.assert_allclose(r.f_train[0], kr.predict(Ktr), atol=1e-9)
    f = kr.predict(Kte)
    assert r["e_gen"][0] == np.mean(np.sign(f) != yt)
    ftr = kr.predict(Ktr)
    assert r["e_mem"][0] == np.mean(np.sign(ftr[data.is_fact]) != data.y[data.is_fact])
    assert r["e_train_rule"][0] == np.mean(
        np.sign(ftr[~data.is_fact]) != data.y[~data.is_fact])


def test_krr_matches_direct_solve_at_every_ridge():
    # one eigendecomposition serves every ridge: f = K_test (K + lam I)^{-1} y at each lam, as a
    # dense solve per ridge gives it, to round-off relative to max |f|: measured 2e-14 in float64
    # and 3e-5 in float32 (n = 240, down to lam = 1e-3); the bounds leave a factor 10 or more
    data, _, yt, Ktr, Kte = _problem(d=60, alpha=4.0)
    lams = np.array([1e-3, 1e-2, 0.3, 10.0])
    direct = np.stack([Kte @ np.linalg.solve(Ktr + lam * np.eye(len(Ktr)), data.y)
                       for lam in lams])
    direct_train = np.stack([Ktr @ np.linalg.solve(Ktr + lam * np.eye(len(Ktr)), data.y)
                             for lam in lams])
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 3e-4)):
        r = krr_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact, dtype=dtype,
                       return_predictions=True)
        scale = np.abs(direct).max(axis=1, keepdims=True)
        assert np.all(np.abs(r.f_test - direct) <= rtol * scale), dtype
        np.testing.assert_allclose(r.f_train, direct_train, atol=rtol * np.abs(direct_train).max())


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("n", [1, 2, 3, 60])
def test_eigh_with_factored_eigenvectors(n, dtype, tol):
    # K = U diag(s) U^T with U = Q Z kept factored (tridiagonal reduction and its eigenvectors):
    # U orthogonal, the decomposition exact to round-off, eigenvalues those of scipy's eigh
    import scipy.linalg

    from raf.learners import _eigh

    rng = np.random.default_rng(n)
    A = rng.standard_normal((n, n + 5))
    K = (A @ A.T / (n + 5)).astype(dtype)
    s, U = _eigh(K)
    assert s.dtype == dtype and np.all(np.diff(s) >= 0)
    dense = U.dot(np.eye(n, dtype=dtype))
    scale = float(np.abs(K).max())
    np.testing.assert_allclose(s, scipy.linalg.eigvalsh(K.astype(float)), atol=tol * scale)
    np.testing.assert_allclose(dense.T @ dense, np.eye(n), atol=10 * tol)
    np.testing.assert_allclose((dense * s) @ dense.T, K, atol=10 * tol * scale)
    v = rng.standard_normal(n).astype(dtype)
    np.testing.assert_allclose(U.t_dot(v), dense.T @ v, atol=10 * tol * np.abs(v).max())


def test_krr_ridgeless_interpolates():
    # RBF has mustar > 0: K is full rank for n < ~d^2, so lam = 0 interpolates,
    # E_mem = 0 and every training label is reproduced (THEORY §5, ridgeless limit)
    data, _, yt, Ktr, Kte = _problem(d=80, alpha=3.0)
    r = krr_errors(Ktr, data.y, Kte, yt, [0.0, 1e-8, 1.0], fact_mask=data.is_fact,
                   return_predictions=True)
    np.testing.assert_allclose(r.f_train[0], data.y, atol=1e-7)
    assert r["e_mem"][0] == 0 and r["e_train"][0] == 0
    # lam = 0 is the lam -> 0+ limit
    np.testing.assert_allclose(r.f_test[0], r.f_test[1], atol=1e-5)
    assert r["e_mem"][2] > 0  # strong ridge gives up some facts


def test_krr_ridgeless_linear_kernel_is_least_squares():
    # linear kernel, n > d: K has rank d, lam = 0 is the least-squares fit (pseudo-inverse)
    data, Xt, yt, _, _ = _problem(d=40, alpha=3.0)
    Ktr = data.X @ data.X.T / 40
    Kte = Xt @ data.X.T / 40
    r = krr_errors(Ktr, data.y, Kte, yt, [0.0], fact_mask=data.is_fact,
                   return_predictions=True)
    w = np.linalg.lstsq(data.X / np.sqrt(40), data.y, rcond=None)[0]
    np.testing.assert_allclose(r.f_test[0], Xt @ w / np.sqrt(40), atol=1e-8)


def test_krr_float32():
    data, _, yt, Ktr, Kte = _problem()
    lams = [0.1, 1.0]
    a = krr_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact)
    b = krr_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact, dtype=np.float32)
    # float32 flips at most a handful of near-zero predictions
    np.testing.assert_allclose(a["e_gen"], b["e_gen"], atol=0.01)


def test_ridge_errors_equals_krr_on_features():
    rng = np.random.default_rng(3)
    data, Xt, yt, _, _ = _problem(d=50, alpha=2.0)
    lams = [0.0, 0.05, 2.0]
    for p in (30, 200):  # p < n and p > n
        F = rng.standard_normal((p, 50))
        Phi = np.tanh(data.X @ F.T / np.sqrt(50)) / np.sqrt(p)
        Phit = np.tanh(Xt @ F.T / np.sqrt(50)) / np.sqrt(p)
        a = ridge_errors(Phi, data.y, Phit, yt, lams, fact_mask=data.is_fact,
                         return_predictions=True)
        b = krr_errors(Phi @ Phi.T, data.y, Phit @ Phi.T, yt, lams, fact_mask=data.is_fact,
                       return_predictions=True)
        np.testing.assert_allclose(a.f_test, b.f_test, atol=1e-6)
        for k in ("e_gen", "e_mem", "e_train_rule"):
            np.testing.assert_allclose(a[k], b[k], atol=1e-3)


def test_no_facts_gives_nan_memorization():
    data, _, yt, Ktr, Kte = _problem(eps=0.0)
    r = krr_errors(Ktr, data.y, Kte, yt, [0.1], fact_mask=data.is_fact)
    assert np.isnan(r["e_mem"][0]) and np.isfinite(r["e_gen"][0])


# ----------------------------------------------------------------------------- SVM


def _primal(Ktr, y, a, lam):
    f = Ktr @ (a * y)
    return np.maximum(0, 1 - y * f).sum() + 0.5 * lam * (a * y) @ f


def test_svm_warm_start_path_equals_cold_solves():
    data, _, yt, Ktr, Kte = _problem(d=60, alpha=2.0)
    lams = np.array([3.0, 0.3, 0.03, 0.0])
    r = svm_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact,
                   return_predictions=True)
    assert r.converged.all() and np.all(r.residual < 1e-7)
    Q = np.outer(data.y, data.y) * Ktr
    for j, lam in enumerate(lams):
        res = solve_svm_dual(Q, np.inf if lam == 0 else 1 / lam)
        np.testing.assert_allclose(r.f_test[j], Kte @ (res.a * data.y), atol=1e-7)
    # hard margin (lam = 0) on kernel data with mustar > 0: every margin >= 1
    assert np.all(data.y * r.f_train[-1] >= 1 - 1e-7)
    assert r["e_mem"][-1] == 0 and r["e_train"][-1] == 0


def test_svm_intercept_negligible_on_raf_data():
    # SVC's unpenalised intercept vs the intercept-free theory estimator: on RAF data
    # (balanced, symmetric labels) the intercept is O(1/sqrt(n)) and the errors agree
    # far within the seed-to-seed spread at lam <= 1. (At very large lam, C -> 0, the
    # intercept-free f is tiny and the intercept is no longer negligible.)
    lams = np.array([0.03, 0.3, 1.0])
    ours, svc = [], []
    for seed in range(4):
        data, _, yt, Ktr, Kte = _problem(d=150, alpha=2.0, seed=seed, n_test=2000)
        ours.append(svm_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact)["e_gen"])
        svc.append(svm_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact,
                              intercept=True)["e_gen"])
    ours, svc = np.array(ours), np.array(svc)
    spread = ours.std(axis=0, ddof=1)
    assert np.all(np.abs(ours - svc).mean(axis=0) <= 0.5 * spread)


def test_svm_hard_margin_not_separable():
    # linear model far above its separability threshold: no hard-margin solution
    data, Xt, yt, _, _ = _problem(d=30, alpha=8.0, eps=0.3)
    Phi, Phit = data.X / np.sqrt(30), Xt / np.sqrt(30)
    with pytest.warns(RuntimeWarning, match="did not converge at lam=\\[0.0\\]"):
        r = svm_errors(Phi @ Phi.T, data.y, Phit @ Phi.T, yt, [1.0, 0.0],
                       fact_mask=data.is_fact, features=Phi)
    assert r.converged.tolist() == [True, False]
    assert np.isfinite(r["e_gen"][0]) and np.isnan(r["e_gen"][1]) and np.isnan(r["e_mem"][1])


# ------------------------------------------------------------------------ bad input


def test_gram_learners_bad_input():
    data, _, yt, Ktr, Kte = _problem(d=20)
    y, m = data.y, data.is_fact
    with pytest.raises(ValueError, match="'K_train' parameter must be a non-empty square"):
        krr_errors(Ktr[:, :-1], y, Kte, yt, [0.1], fact_mask=m)
    with pytest.raises(ValueError, match="'K_test' parameter must be an"):
        krr_errors(Ktr, y, Kte[:, :-1], yt, [0.1], fact_mask=m)
    with pytest.raises(ValueError, match="'y_train' parameter must contain only labels"):
        krr_errors(Ktr, 2 * y, Kte, yt, [0.1], fact_mask=m)
    with pytest.raises(ValueError, match="'y_test' parameter must have shape"):
        krr_errors(Ktr, y, Kte, yt[:-1], [0.1], fact_mask=m)
    with pytest.raises(ValueError, match="'fact_mask' parameter must be a boolean"):
        krr_errors(Ktr, y, Kte, yt, [0.1], fact_mask=m.astype(int))
    with pytest.raises(ValueError,
                       match=r"'lams' parameter must be a float in the range \[0, inf\)"):
        svm_errors(Ktr, y, Kte, yt, [0.1, -1.0], fact_mask=m)
    with pytest.raises(ValueError, match="'dtype'"):
        krr_errors(Ktr, y, Kte, yt, [0.1], fact_mask=m, dtype=int)
    with pytest.raises(ValueError, match="intercept=True"):
        svm_errors(Ktr, y, Kte, yt, [0.0], fact_mask=m, intercept=True)
    with pytest.raises(ValueError, match="'features' parameter"):
        svm_errors(Ktr, y, Kte, yt, [0.1], fact_mask=m, features=np.ones((3, 2)))




# ------------------------------------------------------------- Gram checks (regressions)


@pytest.mark.parametrize("learner", [krr_errors, svm_errors])
def test_non_symmetric_gram_is_refused(learner):
    """Regression: krr_errors / svm_errors accepted a non-symmetric Gram matrix."""
    data, _, yt, Ktr, Kte = _problem(d=20)
    bad = Ktr.copy()
    bad[0, 1] += 0.1
    with pytest.raises(ValueError, match="'K_train' parameter must be a symmetric"):
        learner(bad, data.y, Kte, yt, [0.1], fact_mask=data.is_fact)


@pytest.mark.parametrize("learner", [krr_errors, svm_errors])
def test_indefinite_gram_is_refused(learner):
    """Regression: an indefinite 'kernel' (here K - 2 I, eigenvalues down to about -2) gave
    numbers without a word."""
    data, _, yt, Ktr, Kte = _problem(d=20)
    bad = Ktr - 2.0 * np.eye(Ktr.shape[0])
    with pytest.raises(ValueError, match="positive semi-definite.*smallest eigenvalue is -1"):
        learner(bad, data.y, Kte, yt, [0.1], fact_mask=data.is_fact)


def test_round_off_asymmetry_and_singular_gram_are_accepted():
    # the linear kernel with n > d is singular (PSD, rank d); round-off asymmetry is tolerated
    data, Xt, yt, _, _ = _problem(d=20, alpha=3.0)
    Phi = data.X / np.sqrt(20)
    K = Phi @ Phi.T
    K[0, 1] *= 1 + 1e-12
    for learner in (krr_errors, svm_errors):
        r = learner(K, data.y, Xt @ Phi.T / np.sqrt(20), yt, [1.0], fact_mask=data.is_fact)
        assert r.converged.all()


def test_learners_return_the_result_protocol():
    from raf.result import Result

    data, _, yt, Ktr, Kte = _problem(d=20)
    lams = [0.0, 0.1, 1.0]
    for r in (krr_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact),
              svm_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact)):
        assert isinstance(r, Result) and r.shape == (3,)
        np.testing.assert_array_equal(r.lam, lams)
        rows = r.to_rows()
        assert [row["lam"] for row in rows] == lams
        assert {"e_gen", "e_mem", "e_train_rule", "e_train", "converged", "n_iter",
                "residual"} <= set(rows[0])
    assert r.n_iter.min() >= 1 and np.all(r.residual < 1e-7)  # the SVM's KKT residual


def test_wrong_types_name_the_parameter():
    data, _, yt, Ktr, Kte = _problem(d=20)
    with pytest.raises(TypeError, match="'lams' parameter"):
        krr_errors(Ktr, data.y, Kte, yt, "0.1", fact_mask=data.is_fact)
    with pytest.raises(TypeError, match="'tol' parameter"):
        svm_errors(Ktr, data.y, Kte, yt, [0.1], fact_mask=data.is_fact, tol=None)
