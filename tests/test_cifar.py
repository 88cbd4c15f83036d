"""raf.cifar and raf.image_kernels: CIFAR10-RAF draws, kernels on images, the sweeps (THEORY §7).

The composition tests run on a small synthetic stand-in for CIFAR-10 built in memory
(ten classes, each a fixed pattern plus noise). The tests at the end use the real data
set named by $RAF_CIFAR10 and are skipped when it is unset or missing.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from raf.cifar import D_CIFAR, cifar10_raf, cifar10_raf_errors, linear_part_errors
from raf.cifar_summary import (
    bandwidth_summary,
    bandwidth_table,
    distance_summary,
    join_kernels,
    quadratic_twins,
    select_draws,
    twin_summary,
)
from raf.image_kernels import (
    bandwidth_for_angle,
    kernel_coefficients,
    kernel_matrices,
    kernel_spec_coefficients,
)
from raf.datasets import CIFAR10, CIFAR10_CLASSES

SHARED = os.environ.get("RAF_CIFAR10")
needs_cifar = pytest.mark.skipif(not SHARED or not Path(SHARED).exists(),
                                 reason="RAF_CIFAR10 is unset or missing: no real CIFAR-10 here")


@pytest.fixture(scope="module")
def fake():
    """400 training and 100 test images per class; class = pattern + noise."""
    rng = np.random.default_rng(123)
    patterns = rng.integers(60, 196, size=(10, 32, 32, 3))

    def split(k):
        y = np.repeat(np.arange(10), k)
        X = patterns[y] + rng.normal(0, 40, size=(y.size, 32, 32, 3))
        return np.clip(X, 0, 255).astype(np.uint8), y

    Xtr, ytr = split(400)
    Xte, yte = split(100)
    return CIFAR10(Xtr, ytr, Xte, yte, CIFAR10_CLASSES, "synthetic")


# ----------------------------------------------------------------------------------
# composition of one draw
# ----------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha,eps", [(0.1, 0.2), (0.13, 0.0), (0.07, 0.5), (0.05, 1.0)])
def test_sizes_fractions_balance(fake, alpha, eps):
    ds = cifar10_raf(alpha, eps, seed=1, data=fake)
    n = round(alpha * D_CIFAR)
    assert ds.n == n and ds.X_train.shape == (n, D_CIFAR) and ds.y_train.shape == (n,)
    assert ds.is_fact.sum() == ds.n_fact == round(eps * n)
    cls = fake.y_train[ds.train_index]
    cat, dog, car = (CIFAR10_CLASSES.index(c) for c in ("cat", "dog", "automobile"))
    # facts are exactly the automobile images; the rule images are cats (+1) and dogs (-1)
    np.testing.assert_array_equal(ds.is_fact, cls == car)
    rule = ~ds.is_fact
    assert set(cls[rule]) <= {cat, dog}
    np.testing.assert_array_equal(ds.y_train[rule], np.where(cls[rule] == cat, 1.0, -1.0))
    assert abs((ds.y_train[rule] == 1).sum() - (ds.y_train[rule] == -1).sum()) <= 1
    assert set(np.unique(ds.y_train)) <= {-1.0, 1.0}
    assert len(np.unique(ds.train_index)) == n  # no image twice


def test_fact_labels_are_independent_coin_flips(fake):
    labels = np.concatenate([cifar10_raf(0.1, 1.0, seed=s, data=fake).y_train for s in range(20)])
    # 20 * 307 fair coins: the fraction of +1 is 1/2 within 4 standard deviations
    assert abs(labels.mean()) < 4 / np.sqrt(labels.size)


def test_zscore_uses_training_statistics_only(fake):
    ds = cifar10_raf(0.1, 0.2, seed=2, data=fake)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1.0, atol=1e-10)
    raw_tr = fake.X_train[ds.train_index].reshape(ds.n, -1).astype(float)
    raw_te = fake.X_test[ds.test_index].reshape(ds.test_index.size, -1).astype(float)
    mu, sd = raw_tr.mean(axis=0), raw_tr.std(axis=0)
    np.testing.assert_allclose(ds.X_test, (raw_te - mu) / sd, atol=1e-10)
    assert np.abs(ds.X_test.mean(axis=0)).max() > 1e-3  # not re-centred on the test set


def test_test_set_rule_classes_only_and_unseen(fake):
    ds = cifar10_raf(0.1, 0.3, seed=3, data=fake)
    cat, dog = CIFAR10_CLASSES.index("cat"), CIFAR10_CLASSES.index("dog")
    cls = fake.y_test[ds.test_index]
    assert set(cls) == {cat, dog} and ds.test_index.size == 200  # all of them by default
    np.testing.assert_array_equal(ds.y_test, np.where(cls == cat, 1.0, -1.0))
    small = cifar10_raf(0.1, 0.3, seed=3, data=fake, n_test=51)
    assert small.y_test.size == 51 and abs(small.y_test.sum()) == 1
    # test images come from the test split: no training image is in the test set
    assert not np.isin(fake.X_test[ds.test_index].reshape(200, -1)[:, :8].sum(1),
                       fake.X_train[ds.train_index].reshape(ds.n, -1)[:, :8].sum(1)).all()


def test_deterministic_given_seed(fake):
    a = cifar10_raf(0.1, 0.2, seed=7, data=fake)
    b = cifar10_raf(0.1, 0.2, seed=7, data=fake)
    c = cifar10_raf(0.1, 0.2, seed=8, data=fake)
    for name in ("X_train", "y_train", "is_fact", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.train_index, c.train_index)


def test_other_classes(fake):
    ds = cifar10_raf(0.05, 0.2, seed=0, data=fake, rule_classes=("ship", "truck"),
                     fact_class="frog")
    cls = fake.y_train[ds.train_index]
    assert set(cls[ds.is_fact]) == {CIFAR10_CLASSES.index("frog")}
    assert set(cls[~ds.is_fact]) == {CIFAR10_CLASSES.index("ship"), CIFAR10_CLASSES.index("truck")}


@pytest.mark.parametrize("kw,match", [
    (dict(alpha=0.5), "need .* images of class 'cat'"),
    (dict(fact_class="cat"), "must differ"),
    (dict(fact_class="unicorn"), "fact_class"),
    (dict(rule_classes=("cat", "cat")), "two different"),
    (dict(eps=1.5), "'eps' parameter"),
    (dict(alpha=-1), "'alpha' parameter"),
    (dict(n_test=5000), "n_test"),
])
def test_parameter_errors(fake, kw, match):
    args = dict(alpha=0.1, eps=0.2, seed=0, data=fake) | kw
    with pytest.raises(ValueError, match=match):
        cifar10_raf(**args)


# ----------------------------------------------------------------------------------
# kernels
# ----------------------------------------------------------------------------------


def test_bandwidth_for_theta_star():
    from raf.theory import theta_star

    for eps in (0.0, 0.2, 0.5):
        th = float(theta_star(eps))
        g = bandwidth_for_angle(th)
        mu1, mustar, theta = kernel_coefficients(g)
        assert theta == pytest.approx(th, abs=1e-10)
        # THEORY §7: mu1^2 = 2 g e^{-2g}, mustar^2 = 1 - e^{-2g} - 2 g e^{-2g}
        assert mu1**2 == pytest.approx(2 * g * np.exp(-2 * g))
        assert mustar**2 == pytest.approx(1 - np.exp(-2 * g) - 2 * g * np.exp(-2 * g))


def test_kernel_matrices_match_raf_kernels(fake):
    from raf.gram import rbf_gram
    from raf.kernels import truncated_quadratic

    ds = cifar10_raf(0.05, 0.2, seed=0, data=fake, n_test=20)
    X, Xt = ds.X_train, ds.X_test
    n = X.shape[0]
    sq = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    mean_sq = sq.sum() / (n * (n - 1))
    assert mean_sq == pytest.approx(2 * D_CIFAR * n / (n - 1))  # z-scored: exact
    g = 0.8
    (_, K, Kt), (_, Q, Qt) = kernel_matrices(X, Xt, [("rbf", g), ("quad", g)], dtype=np.float64)
    # RBF: exp(-2 g |x - x'|^2 / D) with D the mean squared distance
    np.testing.assert_allclose(K, rbf_gram(X, X, g, scale=mean_sq / 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(Kt, rbf_gram(Xt, X, g, scale=mean_sq / 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(np.diag(K), 1.0)
    mu1, mustar, _ = kernel_coefficients(g)
    k = truncated_quadratic(mu1, mustar, c0=np.exp(-2 * g))
    np.testing.assert_allclose(Q, k(X @ X.T / (mean_sq / 2)), rtol=1e-10)
    np.testing.assert_allclose(Qt, k(Xt @ X.T / (mean_sq / 2)), rtol=1e-10)
    # float32 Gram matrices agree to single precision
    (_, K32, _), = kernel_matrices(X, Xt, [("rbf", g)], dtype=np.float32)
    assert K32.dtype == np.float32
    np.testing.assert_allclose(K32, K, atol=1e-5)


def test_kernel_spec_errors(fake):
    ds = cifar10_raf(0.05, 0.2, seed=0, data=fake, n_test=20)
    with pytest.raises(ValueError, match="kernel family"):
        next(kernel_matrices(ds.X_train, ds.X_test, [("laplace", 1.0)]))
    with pytest.raises(ValueError, match="'gamma' parameter"):
        next(kernel_matrices(ds.X_train, ds.X_test, [("rbf", -1.0)]))
    bad = [(("quadratic", 0.0, 0.0), "not both be 0"), (("quadratic", -0.1, 1.0), "'mu1' parameter"),
           (("quadratic", 0.5, np.nan), "'mustar' parameter"), (("quadratic", 1, 1, -1), "'c0' parameter"),
           (("quadratic", 1.0), "'quadratic' kernel must be"), (("rbf", 1.0, 2.0), "must be a pair"),
           ("quadratic:a,b", "numbers"), ("rbf", "'gamma' parameter")]
    for spec, match in bad:
        with pytest.raises(ValueError, match=match):
            next(kernel_matrices(ds.X_train, ds.X_test, [("rbf", 1.0), spec]))


def test_free_quadratic_gram_is_the_formula(fake):
    """("quadratic", mu1, mustar, c0): K = c0 + mu1^2 t + mustar^2 t^2, t = x.x'/(D/2) (Eq. (221))."""
    from raf.kernels import truncated_quadratic

    ds = cifar10_raf(0.05, 0.2, seed=0, data=fake, n_test=20)
    X, Xt = ds.X_train, ds.X_test
    s = D_CIFAR * X.shape[0] / (X.shape[0] - 1)  # half the mean squared distance (exact, z-scored)
    specs = [("quadratic", 0.3, 0.7), ("quadratic", 0.3, 0.7, 0.25), "quadratic:0.6,0.0,1.5"]
    mats = list(kernel_matrices(X, Xt, specs, dtype=np.float64))
    assert [m[0] for m in mats] == [("quadratic", 0.3, 0.7, 0.0), ("quadratic", 0.3, 0.7, 0.25),
                                    ("quadratic", 0.6, 0.0, 1.5)]
    for (spec, K, Kt) in mats:
        k = truncated_quadratic(spec[1], spec[2], c0=spec[3])
        np.testing.assert_allclose(K, k(X @ X.T / s), rtol=1e-10)
        np.testing.assert_allclose(Kt, k(Xt @ X.T / s), rtol=1e-10)
    # the matched quadratic of Fig. 14 right is the free quadratic with the RBF's mu1, mustar, k(0)
    g = 0.8
    mu1, mustar, theta = kernel_coefficients(g)
    (_, Q, Qt), (_, F, Ft) = kernel_matrices(X, Xt, [("quad", g), ("quadratic", mu1, mustar,
                                                                     np.exp(-2 * g))])
    np.testing.assert_array_equal(Q, F)
    np.testing.assert_array_equal(Qt, Ft)
    # the numbers the theory assigns: gamma NaN, the given (mu1, mustar), theta = arctan(mustar/mu1)
    gq, m1, ms, th = kernel_spec_coefficients(("quadratic", 0.3, 0.7))
    assert np.isnan(gq) and (m1, ms) == (0.3, 0.7) and th == pytest.approx(np.arctan(0.7 / 0.3))
    assert kernel_spec_coefficients(("quad", g)) == pytest.approx((g, mu1, mustar, theta))
    assert kernel_spec_coefficients(("quadratic", 0.0, 1.0))[3] == pytest.approx(np.pi / 2)


def test_free_quadratic_errors_are_invariant_under_scaling(fake):
    """(mu1, mustar, c0, lam) -> (c mu1, c mustar, c^2 c0, c^2 lam) leaves KRR unchanged: K -> c^2 K.

    One draw, float64; c = 2 scales the Gram matrix exactly, so at most a prediction within
    round-off of 0 could flip (none does here).
    """
    lams = np.geomspace(1e-3, 1e4, 8)  # the synthetic images overlap strongly: large ridges
    mu1, mustar, c0, c = 0.4, 0.6, 0.3, 2.0
    kw = dict(repeats=1, seed=2, data=fake, n_test=100, dtype=np.float64)
    a = cifar10_raf_errors(0.08, 0.2, kernels=[("quadratic", mu1, mustar, c0)], lams=lams, **kw)
    b = cifar10_raf_errors(0.08, 0.2, kernels=[("quadratic", c * mu1, c * mustar, c**2 * c0)],
                           lams=c**2 * lams, **kw)
    for name in ("e_gen", "e_mem", "e_train_rule"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert 0 < a.e_mem[0, -1] and a.e_mem[0, 0] == 0.0  # the errors do move along the path
    # the result carries the theory's numbers: the same angle for both, no bandwidth
    np.testing.assert_allclose(a.theta, b.theta)
    assert a.kernel[0, 0] == "quadratic" and np.isnan(a.gamma[0, 0]) and a.c0[0, 0] == c0
    np.testing.assert_allclose(b.mu1, c * mu1)


# ----------------------------------------------------------------------------------
# sweeps
# ----------------------------------------------------------------------------------


def test_sweep_on_synthetic_classes(fake):
    lams = np.geomspace(1e-4, 1e2, 7)
    kernels = [("rbf", 0.3), ("rbf", 1.0), ("quad", 1.0)]
    res = cifar10_raf_errors(0.1, 0.2, kernels=kernels, lams=lams, repeats=2, seed=0,
                             data=fake, n_test=100)
    assert res.e_gen.shape == res.e_mem.shape == (3, 7)
    assert res.e_gen_repeats.shape == (3, 7, 2) and res.trailing["e_gen_repeats"] == "repeat"
    np.testing.assert_allclose(res.e_gen, res.e_gen_repeats.mean(axis=-1))
    np.testing.assert_allclose(res.e_gen_sem, res.e_gen_repeats.std(axis=-1, ddof=1) / np.sqrt(2))
    assert res.n.flat[0] == 307 and res.n_test.flat[0] == 100
    # the synthetic classes are easy: the rule is learnt, and small lam memorises the facts
    assert res.e_gen.min() < 0.1
    np.testing.assert_array_equal(res.e_mem[:, 0], 0.0)
    # large lam forgets the facts (close to chance)
    assert (res.e_mem[:, -1] > 0.2).all()
    rows = res.to_rows()
    assert len(rows) == 21 and rows[0]["kernel"] == "rbf" and rows[0]["gamma"] == 0.3
    assert rows[-1]["kernel"] == "quad" and rows[0]["loss"] == "square"
    np.testing.assert_allclose(res.theta[:2, 0], [kernel_coefficients(g)[2] for g in (0.3, 1.0)])
    # beside the theory: the summary picks the right entries and the table formats them
    summ = bandwidth_summary(res, kernels=[0, 1])
    assert summ.shape == (2,) and summ.converged.all()
    np.testing.assert_array_equal(summ.e_gen_lam_min, res.e_gen[:2, 0])
    jb = res.e_gen[:2].argmin(axis=1)
    np.testing.assert_array_equal(summ.e_gen_best, res.e_gen[[0, 1], jb])
    np.testing.assert_array_equal(summ.lam_best, lams[jb])
    from raf.theory import erm

    th0 = erm(0.1, 0.2, 0.0, mu1=res.mu1[:2, 0], mustar=res.mustar[:2, 0])
    np.testing.assert_allclose(summ.theory_e_gen_0, th0.e_gen)
    header, trows = bandwidth_table(summ, [0.5, 2.0])
    assert len(header) == 7 and len(trows) == 2 and trows[1][0] == "2"
    assert trows[0][4] == f"{res.e_gen[0, 0]:.3f} ± {res.e_gen_sem[0, 0]:.3f}"


def test_quadratic_twins_on_the_same_draws(fake):
    """Fig. 14 left: free quadratics with the RBF's (mu1, mustar), cut and joined sweeps, pairs."""
    from raf.theory import erm

    gammas = [0.3, 1.0]
    lams = np.geomspace(1e-3, 1e3, 5)
    specs = quadratic_twins(gammas)
    for (fam, m1, ms, c0), g in zip(specs, gammas):
        assert fam == "quadratic" and c0 == pytest.approx(np.exp(-2 * g))
        assert (m1, ms) == pytest.approx(kernel_coefficients(g)[:2])
    kw = dict(lams=lams, seed=4, data=fake, n_test=100)
    rbf = cifar10_raf_errors(0.08, 0.2, kernels=[("rbf", g) for g in gammas] + [("quad", 1.0)],
                             repeats=3, **kw)
    quad0 = cifar10_raf_errors(0.08, 0.2, kernels=specs[:1], repeats=2, **kw)
    # cutting to the first draws: the same numbers as a sweep with fewer repeats
    cut = select_draws(rbf, 2, kernels=[2])
    again = cifar10_raf_errors(0.08, 0.2, kernels=[("quad", 1.0)], repeats=2, **kw)
    for name in ("e_gen", "e_gen_sem", "e_mem", "e_mem_repeats"):
        np.testing.assert_array_equal(cut[name], again[name])
    assert cut.kernel[0, 0] == "quad" and cut.e_gen_repeats.shape == (1, 5, 2)
    # joined in order: the free quadratic at 0.3, then the matched one at 1.0 (the same kernel)
    quad = join_kernels(quad0, cut)
    assert quad.shape == (2, 5) and quad.kernel[:, 0].tolist() == ["quadratic", "quad"]
    np.testing.assert_allclose(quad.mu1[:, 0], rbf.mu1[:2, 0])
    np.testing.assert_array_equal(quad.e_gen_repeats[0], quad0.e_gen_repeats[0])
    with pytest.raises(ValueError, match="same number of draws"):
        join_kernels(quad0, rbf)
    with pytest.raises(ValueError, match="'alpha'"):
        join_kernels(quad0, cifar10_raf_errors(0.09, 0.2, kernels=specs[:1], repeats=2, **kw))
    with pytest.raises(ValueError, match="at most the 3 draws"):
        select_draws(rbf, 4)
    # pairs: paired differences over the quadratics' draws, theory shared by the pair
    tw = twin_summary(rbf[:2], quad)
    gap = quad.e_gen_repeats[:, 0] - rbf.e_gen_repeats[:2, 0, :2]
    np.testing.assert_allclose(tw.gap_lam_min, gap.mean(axis=1))
    np.testing.assert_allclose(tw.gap_lam_min_sem, gap.std(axis=1, ddof=1) / np.sqrt(2))
    np.testing.assert_allclose(tw.e_gen_lam_min_rbf, rbf.e_gen_repeats[:2, 0, :2].mean(axis=1))
    np.testing.assert_array_equal(tw.e_mem_lam_max_quad, quad.e_mem[:, -1])
    th = erm(0.08, 0.2, lams[-1], mu1=rbf.mu1[:2, 0], mustar=rbf.mustar[:2, 0])
    np.testing.assert_allclose(tw.theory_e_mem_lam_max, th.e_mem)
    assert tw.converged.all() and int(tw.repeats[0]) == 2
    with pytest.raises(ValueError, match="twin"):
        twin_summary(rbf[1::-1], quad)


def test_float32_matches_float64_on_synthetic(fake):
    lams = np.geomspace(1e-4, 1e2, 9)
    kw = dict(kernels=[("rbf", 0.2), ("rbf", 0.8), ("quad", 0.8)], lams=lams, repeats=2, seed=1,
              data=fake)
    r64 = cifar10_raf_errors(0.1, 0.3, dtype=np.float64, **kw)
    r32 = cifar10_raf_errors(0.1, 0.3, dtype=np.float32, **kw)
    # at most one flipped prediction per curve point
    assert np.abs(r64.e_gen_repeats - r32.e_gen_repeats).max() <= 1 / r64.n_test.flat[0] + 1e-12
    assert np.abs(r64.e_mem_repeats - r32.e_mem_repeats).max() <= 1 / 92 + 1e-12


def test_parallel_repeats_give_the_same_numbers(fake):
    kw = dict(kernels=[("rbf", 0.8)], lams=np.geomspace(1e-3, 1e1, 4), repeats=3, seed=5,
              data=fake, n_test=50)
    r1 = cifar10_raf_errors(0.05, 0.2, n_jobs=1, **kw)
    r2 = cifar10_raf_errors(0.05, 0.2, n_jobs=2, **kw)
    for name in ("e_gen_repeats", "e_mem_repeats", "e_train_rule_repeats"):
        np.testing.assert_array_equal(getattr(r1, name), getattr(r2, name))


def test_hinge_sweep_on_synthetic(fake):
    lams = np.geomspace(1e-3, 1e1, 5)
    res = cifar10_raf_errors(0.05, 0.2, kernels=[("rbf", 0.8)], lams=lams, loss="hinge",
                             repeats=1, seed=0, data=fake, n_test=100)
    assert res.converged.all() and res.n_iter.min() >= 1 and np.all(res.residual < 1e-6)
    assert res.e_mem[0, 0] == 0.0 and res.e_gen.min() < 0.1


# ----------------------------------------------------------------------------------
# the real data set
# ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    if not SHARED or not Path(SHARED).exists():
        pytest.skip("RAF_CIFAR10 is unset or missing: no real CIFAR-10 here")
    from raf.datasets import load_cifar10

    return load_cifar10()


@needs_cifar
def test_real_quick_experiment_is_sane(real):
    """Quick CIFAR10-RAF sweep: E_mem -> 0 as lam -> 0, E_gen well below 1/2."""
    from raf.theory import theta_star

    g = bandwidth_for_angle(float(theta_star(0.2)))
    lams = np.geomspace(1e-4, 1e2, 9)
    res = cifar10_raf_errors(0.25, 0.2, kernels=[("rbf", g / 4), ("rbf", g), ("rbf", 4 * g)],
                             lams=lams, repeats=2, seed=0, data=real, n_test=1000)
    em, eg = res.e_mem, res.e_gen
    np.testing.assert_array_equal(em[:, 0], 0.0)  # every bandwidth interpolates the facts
    assert em[0, -1] > 0.3  # the widest kernel forgets them at large lam
    assert eg.min() < 0.45  # cats vs dogs: well below chance at the best bandwidth and lam
    assert (eg > 0.2).all()  # ... but far from easy (KRR on raw pixels)


@needs_cifar
def test_real_float32_equals_float64(real):
    """The float32 eigendecomposition leaves the CIFAR10-RAF curves unchanged."""
    lams = np.geomspace(1e-4, 1e2, 9)
    kw = dict(kernels=[("rbf", 0.2), ("rbf", 0.8), ("quad", 0.8), ("rbf", 3.2)], lams=lams,
              repeats=1, seed=3, data=real, n_test=1000)
    r64 = cifar10_raf_errors(0.25, 0.2, dtype=np.float64, **kw)
    r32 = cifar10_raf_errors(0.25, 0.2, dtype=np.float32, **kw)
    # a handful of the 1000 test / 154 fact predictions may flip (5 seen at lambda = 1e-4,
    # where the float32 spectrum is least accurate), far below the spread over repeats
    # (about 0.01 for E_gen, 0.03 for E_mem)
    assert np.abs(r64.e_gen - r32.e_gen).max() <= 6 / 1000 + 1e-12
    assert np.abs(r64.e_mem - r32.e_mem).max() <= 2 / 154 + 1e-12  # one repeat: mean = value


def test_linear_part_errors_on_synthetic(fake):
    lams = np.geomspace(1e-3, 1e1, 4)
    res = linear_part_errors(0.05, 0.2, 0.8, lams, repeats=2, seed=1, data=fake, n_test=60)
    assert res.shape == (2, 4) and res.kernel[:, 0].tolist() == ["rbf", "linear"]
    # the rbf row is cifar10_raf_errors' on the same draws (float64)
    ref = cifar10_raf_errors(0.05, 0.2, kernels=[("rbf", 0.8)], lams=lams, repeats=2, seed=1,
                             data=fake, n_test=60)
    np.testing.assert_array_equal(res.e_gen_repeats[0], ref.e_gen_repeats[0])
    # the linear row is ridge regression on X X^T / s at the implicit ridge
    from raf.learners import krr_errors

    mu1, mustar, _ = kernel_coefficients(0.8)
    ds = cifar10_raf(0.05, 0.2, seed=(1, 0), data=fake, n_test=60)
    X, Xt = ds.X_train, ds.X_test
    s = ((X[:, None] - X[None]) ** 2).sum(-1).sum() / (ds.n * (ds.n - 1)) / 2
    lin = krr_errors(X @ X.T / s, ds.y_train, Xt @ X.T / s, ds.y_test, (lams + mustar**2) / mu1**2,
                     fact_mask=ds.is_fact)
    np.testing.assert_allclose(res.e_gen_repeats[1, :, 0], lin.e_gen, atol=1 / 60 + 1e-12)


def test_distance_summary_is_exact_after_zscoring(fake):
    ds = cifar10_raf(0.05, 0.2, seed=0, data=fake, n_test=20)
    s = distance_summary(ds.X_train)
    n = ds.n
    assert s["mean"] == pytest.approx(2 * D_CIFAR * n / (n - 1)) == pytest.approx(s["exact"])
    assert s["p05"] < s["median"] < s["p95"]
    sq = ((ds.X_train[:, None] - ds.X_train[None]) ** 2).sum(-1)[np.triu_indices(n, 1)]
    assert s["median"] == pytest.approx(np.median(sq) / (2 * D_CIFAR))


def test_sweep_validates_its_parameters(fake):
    kw = dict(kernels=[("rbf", 0.8)], lams=[0.1], repeats=1, data=fake)
    with pytest.raises(ValueError, match="'loss' parameter"):
        cifar10_raf_errors(0.05, 0.2, loss="Square", **kw)
    with pytest.raises(ValueError, match="'kernels' parameter must name at least one kernel"):
        cifar10_raf_errors(0.05, 0.2, **(kw | {"kernels": []}))
    with pytest.raises(ValueError, match="'lams' parameter"):
        cifar10_raf_errors(0.05, 0.2, **(kw | {"lams": [-1.0]}))
    with pytest.raises(TypeError, match="'alpha' parameter"):
        cifar10_raf_errors(None, 0.2, **kw)


# ----------------------------------------------------------------------------------
# the explorer
# ----------------------------------------------------------------------------------


def test_explorer_on_synthetic_data(fake):
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    from raf.widgets.cifar10_raf import cifar10_raf_explorer
    from raf.theory import erm
    from raf.widgets.base import Explorer

    ex = cifar10_raf_explorer(fake)
    assert isinstance(ex, Explorer)
    assert set(ex.controls) == {"alpha", "eps", "gamma", "rule_pos", "rule_neg", "fact_class"}
    ex.controls["alpha"].value = 0.1
    ex.controls["gamma"].value = 1.0
    ex.controls["rule_pos"].value = "ship"
    st = ex.state
    assert st["n"] == round(0.1 * D_CIFAR)
    # the points are cifar10_raf_errors at the slider values (one draw, seed 0)
    res = cifar10_raf_errors(0.1, st["eps"], kernels=[("rbf", 1.0)], lams=st["lams"], repeats=1,
                             seed=0, rule_classes=("ship", "dog"), fact_class="automobile",
                             data=fake)
    np.testing.assert_array_equal(st["e_gen"], res.e_gen[0])
    np.testing.assert_array_equal(st["e_mem"], res.e_mem[0])
    # the line is raf.theory.erm at the kernel's (mu1, mustar)
    mu1, mustar, theta = kernel_coefficients(1.0)
    th = erm(0.1, st["eps"], np.asarray(st["lams"]), loss="square", mu1=mu1, mustar=mustar)
    np.testing.assert_allclose(st["theory_e_gen"], th.e_gen)
    np.testing.assert_allclose(st["theory_e_mem"], th.e_mem)
    assert st["theta"] == pytest.approx(theta)
    ex.controls["fact_class"].value = "ship"  # same as a rule class: a message, no crash
    assert "error" in ex.state
