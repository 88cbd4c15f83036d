"""Tests of raf.experiments: Gram-matrix learners and simulation drivers (THEORY §7)."""

import numpy as np
import pytest

from raf import kernels as K
from raf.data import sample, sample_test
from raf.experiments import (
    krr_errors,
    ridge_errors,
    simulate_kernel,
    simulate_linear,
    simulate_random_features,
    solve_svm_dual,
    svm_errors,
)


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # small dense problems: one BLAS thread is as fast and immune to oversubscription
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        yield


def _problem(d=60, alpha=2.0, eps=0.3, seed=0, kernel=K.RBF, param=0.5, n_test=500):
    data = sample(d, alpha, eps, seed=seed)
    Xt, yt = sample_test(data.teacher, n_test, seed=seed + 1000)
    Ktr = K.gram(data.X, None, kernel, param)
    Kte = K.gram(Xt, data.X, kernel, param)
    return data, Xt, yt, Ktr, Kte


# ----------------------------------------------------------------------------- KRR


def test_krr_matches_sklearn_kernel_ridge():
    from sklearn.kernel_ridge import KernelRidge

    data, _, yt, Ktr, Kte = _problem()
    lam = 0.3
    r = krr_errors(Ktr, data.y, Kte, yt, [lam], fact_mask=data.is_fact,
                   return_predictions=True)
    kr = KernelRidge(alpha=lam, kernel="precomputed").fit(Ktr, data.y)
    np.testing.assert_allclose(r["f_test"][:, 0], kr.predict(Kte), atol=1e-9)
    np.testing.assert_allclose(r["f_train"][:, 0], kr.predict(Ktr), atol=1e-9)
    f = kr.predict(Kte)
    assert r["e_gen"][0] == np.mean(np.sign(f) != yt)
    ftr = kr.predict(Ktr)
    assert r["e_mem"][0] == np.mean(np.sign(ftr[data.is_fact]) != data.y[data.is_fact])
    assert r["e_train_rule"][0] == np.mean(
        np.sign(ftr[~data.is_fact]) != data.y[~data.is_fact])


def test_krr_ridgeless_interpolates():
    # RBF has mustar > 0: K is full rank for n < ~d^2, so lam = 0 interpolates,
    # E_mem = 0 and every training label is reproduced (THEORY §5, ridgeless limit)
    data, _, yt, Ktr, Kte = _problem(d=80, alpha=3.0)
    r = krr_errors(Ktr, data.y, Kte, yt, [0.0, 1e-8, 1.0], fact_mask=data.is_fact,
                   return_predictions=True)
    np.testing.assert_allclose(r["f_train"][:, 0], data.y, atol=1e-7)
    assert r["e_mem"][0] == 0 and r["e_train"][0] == 0
    # lam = 0 is the lam -> 0+ limit
    np.testing.assert_allclose(r["f_test"][:, 0], r["f_test"][:, 1], atol=1e-5)
    assert r["e_mem"][2] > 0  # strong ridge gives up some facts


def test_krr_ridgeless_linear_kernel_is_least_squares():
    # linear kernel, n > d: K has rank d, lam = 0 is the least-squares fit (pseudo-inverse)
    data, Xt, yt, _, _ = _problem(d=40, alpha=3.0)
    Ktr = data.X @ data.X.T / 40
    Kte = Xt @ data.X.T / 40
    r = krr_errors(Ktr, data.y, Kte, yt, [0.0], fact_mask=data.is_fact,
                   return_predictions=True)
    w = np.linalg.lstsq(data.X / np.sqrt(40), data.y, rcond=None)[0]
    np.testing.assert_allclose(r["f_test"][:, 0], Xt @ w / np.sqrt(40), atol=1e-8)


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
        np.testing.assert_allclose(a["f_test"], b["f_test"], atol=1e-6)
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
        assert res.success and res.kkt < 1e-7 and abs(res.gap) < 1e-8
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


def test_svm_warm_start_path_equals_cold_solves():
    data, _, yt, Ktr, Kte = _problem(d=60, alpha=2.0)
    lams = np.array([3.0, 0.3, 0.03, 0.0])
    r = svm_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact,
                   return_predictions=True)
    assert r["converged"].all() and np.all(r["kkt"] < 1e-7)
    Q = np.outer(data.y, data.y) * Ktr
    for j, lam in enumerate(lams):
        res = solve_svm_dual(Q, np.inf if lam == 0 else 1 / lam)
        np.testing.assert_allclose(r["f_test"][:, j], Kte @ (res.a * data.y), atol=1e-7)
    # hard margin (lam = 0) on kernel data with mustar > 0: every margin >= 1
    assert np.all(data.y * r["f_train"][:, -1] >= 1 - 1e-7)
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
    assert r["converged"].tolist() == [True, False]
    assert np.isfinite(r["e_gen"][0]) and np.isnan(r["e_gen"][1]) and np.isnan(r["e_mem"][1])


def test_solve_svm_dual_warns_when_not_converged():
    Q = np.array([[1.0, -1.0], [-1.0, 1.0]])  # y = (+1, -1) at the same input
    with pytest.warns(RuntimeWarning, match="did not converge"):
        res = solve_svm_dual(Q, np.inf)
    assert not res.success and "not converge" not in res.message and "hard margin" in res.message


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


@pytest.mark.parametrize(
    "fn, kwargs, match",
    [
        (simulate_linear, dict(loss="logistic"), r"'loss' parameter must be one of"),
        (simulate_linear, dict(seeds=()), r"'seeds' parameter must be a non-empty"),
        (simulate_linear, dict(n_test=0), r"'n_test'"),
        (simulate_kernel, dict(kernel=K.RBF), r"'param' parameter is required"),
        (simulate_kernel, dict(kernel="laplace"), r"'kernel' parameter must be one of"),
        (simulate_random_features, dict(kappa=0.0), r"'kappa' parameter must be a float"),
        (simulate_random_features, dict(kappa=1.0, activation="softplus"),
         r"'activation' parameter must be one of"),
    ],
)
def test_simulate_bad_input(fn, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(20, 2.0, 0.2, [0.1], **kwargs)


@pytest.mark.parametrize(
    "args, match",
    [
        ((20, 2.0, 1.2, [0.1]), r"'eps' parameter must be a float in the range \[0, 1\]"),
        ((20, -1.0, 0.2, [0.1]), r"'alpha'"),
        ((20, 2.0, 0.2, [-0.1]), r"'lams'"),
        ((0, 2.0, 0.2, [0.1]), r"'d'"),
    ],
)
def test_simulate_bad_common_input(args, match):
    with pytest.raises(ValueError, match=match):
        simulate_linear(*args)


# --------------------------------------------------------------------- drivers


def _check_tidy(r, S, L):
    for key in ("e_gen", "e_mem", "e_train_rule"):
        assert r[key].shape == (L,) and r[key + "_std"].shape == (L,)
        assert r[key + "_all"].shape == (S, L)
        np.testing.assert_allclose(r[key], r[key + "_all"].mean(axis=0))
    assert r["lam"].shape == (L,) and r["converged"].shape == (L,)
    assert r["converged_all"].shape == (S, L)


@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_drivers_shapes_and_determinism(loss):
    lams = [0.0, 0.1, 1.0]
    runs = [
        lambda: simulate_linear(30, 1.5, 0.2, lams, loss=loss, seeds=(0, 1), n_test=200),
        lambda: simulate_kernel(30, 1.5, 0.2, lams, kernel=K.RBF, param=0.5, loss=loss,
                                seeds=(0, 1), n_test=200),
        lambda: simulate_random_features(30, 1.5, 0.2, lams, kappa=1.5, activation="relu",
                                         loss=loss, seeds=(0, 1), n_test=200),
    ]
    for run in runs:
        a, b = run(), run()
        _check_tidy(a, 2, 3)
        for key in ("e_gen_all", "e_mem_all", "e_train_rule_all"):
            np.testing.assert_array_equal(a[key], b[key])
        assert a["converged"].all()


def test_driver_metadata_and_progress():
    r = simulate_random_features(20, 2.0, 0.3, [0.1], kappa=2.0, activation="erf",
                                 seeds=[3], n_test=100, progress=True)
    assert r["p"] == 40 and r["n"] == 40 and r["mu0"] == 0.0
    assert r["mu1"] == pytest.approx(K.coefficients("erf")[1])
    r = simulate_kernel(20, 2.0, 0.3, [0.1], kernel="erf", seeds=[3], n_test=100)
    assert r["mu1"] == K.ERF_KERNEL.mu1 and r["e_gen_std"][0] == 0.0
    r = simulate_kernel(20, 2.0, 0.3, [0.1], kernel=lambda t: t, seeds=[3], n_test=100)
    assert np.isnan(r["mu1"])


def test_linear_driver_equals_linear_kernel():
    # simulate_linear (features) and simulate_kernel with the linear kernel (Gram)
    # see the same data and must give the same errors
    lams = [0.05, 1.0]
    for loss in ("square", "hinge"):
        a = simulate_linear(40, 2.0, 0.3, lams, loss=loss, seeds=(0, 1), n_test=300)
        b = simulate_kernel(40, 2.0, 0.3, lams, kernel="linear", loss=loss, seeds=(0, 1),
                            n_test=300)
        np.testing.assert_allclose(a["e_gen_all"], b["e_gen_all"], atol=1 / 300 + 1e-12)
        np.testing.assert_allclose(a["e_mem_all"], b["e_mem_all"], atol=1e-12)


def test_random_features_wide_limit_approaches_kernel():
    # kappa -> inf: random features with the centred erf activation converge to
    # the erf kernel (finite-size agreement, same data)
    lams = [0.3]
    rf = simulate_random_features(50, 2.0, 0.3, lams, kappa=40.0, activation="erf",
                                  seeds=(0, 1, 2), n_test=1000)
    ker = simulate_kernel(50, 2.0, 0.3, lams, kernel="erf", seeds=(0, 1, 2), n_test=1000)
    assert abs(rf["e_gen"][0] - ker["e_gen"][0]) < 0.02
    assert abs(rf["e_mem"][0] - ker["e_mem"][0]) < 0.03
