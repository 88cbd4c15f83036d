"""raf.simulations: the drivers on Gaussian RAF data, their Result and checks (THEORY §7)."""

import numpy as np
import pytest

from raf import kernels as K
from raf.simulations import at_ridge, simulate_kernel, simulate_linear, simulate_random_features


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # small dense problems: one BLAS thread is as fast and immune to oversubscription
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        yield


@pytest.mark.parametrize(
    "fn, kwargs, match",
    [
        (simulate_linear, dict(loss="logistic"), r"'loss' parameter must be"),
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
        assert r[key].shape == (L,) and r[key + "_sem"].shape == (L,)
        assert r[key + "_seeds"].shape == (L, S) and r.trailing[key + "_seeds"] == "seed"
        np.testing.assert_allclose(r[key], r[key + "_seeds"].mean(axis=1))
        np.testing.assert_allclose(r[key + "_sem"],
                                   r[key + "_seeds"].std(axis=1, ddof=1) / np.sqrt(S))
    assert r.lam.shape == (L,) and r.converged.shape == (L,)
    assert r.seed.shape == (L, S)
    rows = r.to_rows()
    assert len(rows) == L and rows[0]["seed"] == list(range(S)) and "alpha" in rows[0]


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
        for key in ("e_gen_seeds", "e_mem_seeds", "e_train_rule_seeds"):
            np.testing.assert_array_equal(a[key], b[key])
        assert a["converged"].all()


def test_driver_metadata_and_progress():
    r = simulate_random_features(20, 2.0, 0.3, [0.1], kappa=2.0, activation="erf",
                                 seeds=[3], n_test=100, progress=True)
    assert r.p[0] == 40 and r.n[0] == 40 and r.mu0[0] == 0.0 and r.kappa[0] == 2.0
    assert r.mu1[0] == pytest.approx(K.coefficients("erf")[1])
    r = simulate_kernel(20, 2.0, 0.3, [0.1], kernel="erf", seeds=[3], n_test=100)
    # one seed: no standard error to report
    assert r.mu1[0] == K.ERF_KERNEL.mu1 and np.isnan(r.e_gen_sem[0]) and r.kernel == "erf"
    r = simulate_kernel(20, 2.0, 0.3, [0.1], kernel=lambda t: t, seeds=[3], n_test=100)
    assert np.isnan(r.mu1[0])


def test_linear_driver_equals_linear_kernel():
    # simulate_linear (features) and simulate_kernel with the linear kernel (Gram)
    # see the same data and must give the same errors (the kernel in its plain dot-product form:
    # on the sphere it would be the perceptron of normalised inputs)
    lams = [0.05, 1.0]
    for loss in ("square", "hinge"):
        a = simulate_linear(40, 2.0, 0.3, lams, loss=loss, seeds=(0, 1), n_test=300)
        b = simulate_kernel(40, 2.0, 0.3, lams, kernel="linear", loss=loss, seeds=(0, 1),
                            n_test=300, on_sphere=False)
        np.testing.assert_allclose(a.e_gen_seeds, b.e_gen_seeds, atol=1 / 300 + 1e-12)
        np.testing.assert_allclose(a.e_mem_seeds, b.e_mem_seeds, atol=1e-12)


def test_random_features_wide_limit_approaches_kernel():
    # kappa -> inf: random features with the centred erf activation converge to
    # the erf kernel (finite-size agreement, same data)
    lams = [0.3]
    rf = simulate_random_features(50, 2.0, 0.3, lams, kappa=40.0, activation="erf",
                                  seeds=(0, 1, 2), n_test=1000)
    ker = simulate_kernel(50, 2.0, 0.3, lams, kernel="erf", seeds=(0, 1, 2), n_test=1000)
    assert abs(rf["e_gen"][0] - ker["e_gen"][0]) < 0.02
    assert abs(rf["e_mem"][0] - ker["e_mem"][0]) < 0.03


def test_unconverged_point_is_flagged_with_one_warning():
    # the linear hinge model far above alpha_c: no hard margin at lam = 0 in any seed
    with pytest.warns(RuntimeWarning, match="simulate_linear: 1 of 2 points did not converge"):
        r = simulate_linear(20, 8.0, 0.3, [1.0, 0.0], loss="hinge", seeds=(0, 1), n_test=100)
    assert r.converged.tolist() == [True, False]
    assert np.isnan(r.e_gen[1]) and np.isfinite(r.e_gen[0])
    assert "lam=[0.0]" in r.message


def test_at_ridge():
    r = simulate_linear(20, 2.0, 0.2, [0.0, 0.5, 1.0], seeds=(0, 1), n_test=100)
    one = at_ridge(r, 0.5)
    assert one.shape == (1,) and one.lam[0] == 0.5 and one.e_gen[0] == r.e_gen[1]
    assert one.e_gen_seeds.shape == (1, 2)
    with pytest.raises(ValueError, match="'lam' parameter must be one of the simulated ridges"):
        at_ridge(r, 0.3)


def test_wrong_types_name_the_parameter():
    with pytest.raises(TypeError, match="'alpha' parameter"):
        simulate_linear(20, "2", 0.2, [0.1])
    with pytest.raises(TypeError, match="'eps' parameter.*Got None"):
        simulate_linear(20, 2.0, None, [0.1])
