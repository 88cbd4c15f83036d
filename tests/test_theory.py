"""Tests of raf.theory: identities, limits, thresholds, bounds and the paper's table (THEORY §3–6)."""

import warnings

import numpy as np
import pytest
from scipy import integrate, optimize
from scipy.stats import norm

from raf.theory import (
    alpha_c,
    bayes_optimal,
    erm,
    lambda_opt_square,
    large_alpha_coefficient,
    optimal_lambda,
    square_large_lambda,
    theta_star,
)
from raf.theory.channels import hinge_channel, square_channel
from raf.theory.paths import fixed_point_map
from raf.theory.gaussian import gauss_phi_moments
from raf.theory.solver import solve_fixed_point

EPS = 0.2
TH_STAR = float(theta_star(EPS))


def kernel(theta):
    return dict(mu1=np.cos(theta), mustar=np.sin(theta))


# ---------------------------------------------------------------- building blocks
@pytest.mark.parametrize("a", [-2.0, 0.3, 7.0])
@pytest.mark.parametrize("h", [-2.5, 0.0, 1.3])
def test_owen_t_moments_match_quadrature(a, h):
    I = gauss_phi_moments(h, a)
    for k in range(3):
        ref = integrate.quad(lambda x: x**k * norm.pdf(x) * norm.cdf(a * x), -np.inf, h)[0]
        assert I[k] == pytest.approx(ref, abs=1e-10)


def _channel_by_quadrature(loss, m, q, V, alpha, eps):
    """THEORY §5 conjugates by brute-force 1-d quadrature over omega, summing over y."""
    s2 = 1 - m * m / q
    s = np.sqrt(s2)

    def prox(y, w):
        if loss == "square":
            return (w + V * y) / (1 + V)
        u = y * w
        return y * (u + V) if u < 1 - V else (y if u <= 1 else w)

    def fout(y, w):
        return (prox(y, w) - w) / V

    def dfout(y, w):
        if loss == "square":
            return -1 / (1 + V)
        return -1 / V if 1 - V <= y * w <= 1 else 0.0

    def P(y, w):
        return eps / 2 + (1 - eps) * norm.cdf(y * (m * w / q) / s)

    def E(fun):
        pts = sorted({1 - V, 1.0, V - 1, -1.0})
        tot = 0.0
        for y in (1, -1):
            tot += integrate.quad(lambda w: norm.pdf(w, scale=np.sqrt(q)) * fun(y, w), -40, 40,
                                  points=pts, limit=400)[0]
        return tot

    mh = alpha * E(lambda y, w: fout(y, w) * (1 - eps) * y * s * norm.pdf((m * w / q) / s)) / s2
    qh = alpha * E(lambda y, w: P(y, w) * fout(y, w) ** 2)
    vh = -alpha * E(lambda y, w: P(y, w) * dfout(y, w))
    return mh, qh, vh


@pytest.mark.parametrize("loss, channel", [("square", square_channel), ("hinge", hinge_channel)])
@pytest.mark.parametrize("m, q, V", [(0.6, 1.1, 0.7), (1.3, 2.5, 3.0), (0.2, 0.5, 1.5), (0.999, 1.0, 0.5)])
def test_channels_match_definition(loss, channel, m, q, V):
    """The state is (q, s2 = 1 - m^2/q, W); m >= 0 at every fixed point. The last case has a
    steep slope cos_gen/s = 22 (the split form of raf.theory.gaussian)."""
    alpha, eps = 2.5, 0.3
    ref = _channel_by_quadrature(loss, m, q, V, alpha, eps)
    s2 = 1.0 - m * m / q
    for r in (1.0, 0.25):  # plain and rescaled conventions give the same conjugates
        M, Q, U = channel(np.array(q), np.array(s2), np.array(V * r), np.array(r), alpha, eps)
        got = (M * r, Q * r * r, U * r)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------- identities
def test_square_closed_form_equals_fixed_point_iteration():
    alpha = np.array([0.5, 2.0, 7.0, 2.0, 2.0])
    eps = np.array([0.1, 0.2, 0.5, 0.0, 0.2])
    lam = np.array([0.3, 1e-3, 5.0, 0.1, 0.0])
    mu1 = np.array([1.0, 0.8, 0.6, 0.5, 0.7])
    mustar = np.array([0.0, 0.6, 0.8, 0.7, 0.7])
    closed = erm(alpha, eps, lam, loss="square", mu1=mu1, mustar=mustar)
    P = dict(alpha=alpha, eps=eps, mu1=mu1, mustar=mustar, kappa=np.full(5, np.inf))
    S = dict(r=lam, lam_r=np.ones(5), tau=mustar**2)
    G = fixed_point_map(P, S, "square")
    x = np.tile([1.0, 0.5, 1.0], (5, 1))  # (q, s2, W)
    for _ in range(3000):  # plain damped iteration, no Newton
        x = 0.5 * x + 0.5 * G(x, np.arange(5))
    np.testing.assert_allclose(np.sqrt(x[:, 0] * (1 - x[:, 1])), closed.m, rtol=1e-8)
    np.testing.assert_allclose(x[:, 0], closed.q, rtol=1e-8)
    fp = solve_fixed_point(G, np.tile([1.0, 0.5, 1.0], (5, 1)))
    assert fp.converged.all() and np.all(fp.residual < 1e-10)
    np.testing.assert_allclose(fp.x[:, 0], closed.q, rtol=1e-8)


def test_angle_only_dependence_after_rescaling_lambda():
    """Scaling (mu1, mustar) by c and lambda by c^2 leaves the errors unchanged (paper App. A.6)."""
    th, c, lam = 0.9, 1.7, 0.05
    for loss in ("square", "hinge"):
        a = erm(3.0, 0.3, lam, loss=loss, **kernel(th))
        b = erm(3.0, 0.3, lam * c * c, loss=loss, mu1=c * np.cos(th), mustar=c * np.sin(th))
        assert b.e_gen == pytest.approx(float(a.e_gen), abs=1e-9)
        assert b.e_mem == pytest.approx(float(a.e_mem), abs=1e-9)


@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_large_kappa_recovers_kernel_limit(loss):
    kern = erm(2.0, 0.3, 0.3, loss=loss, **kernel(0.8))
    rf = erm(2.0, 0.3, 0.3, loss=loss, kappa=1e5, **kernel(0.8))
    assert rf.converged and kern.converged
    assert rf.e_gen == pytest.approx(float(kern.e_gen), abs=1e-4)
    assert rf.e_mem == pytest.approx(float(kern.e_mem), abs=1e-4)
    # and the distance shrinks like 1/kappa
    d = [abs(float(erm(2.0, 0.3, 0.3, loss=loss, kappa=k, **kernel(0.8)).e_gen - kern.e_gen))
         for k in (10, 100)]
    assert d[1] < d[0] / 5


def test_random_features_reference_point_of_theory_md():
    """THEORY §6: centred ReLU, square, kappa=2, alpha=2, eps=0.3, lambda=0.3 -> 0.337, 0.140."""
    r = erm(2.0, 0.3, 0.3, loss="square", mu1=0.5, mustar=np.sqrt(0.25 - 1 / (2 * np.pi)), kappa=2.0)
    assert r.e_gen == pytest.approx(0.337, abs=5e-4)
    assert r.e_mem == pytest.approx(0.140, abs=5e-4)


# ---------------------------------------------------------------- limits
@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_eps_one_gives_chance_generalisation(loss):
    r = erm([0.5, 3.0], 1.0, [0.0, 10.0], loss=loss, **kernel(0.7))
    np.testing.assert_allclose(r.e_gen, 0.5, atol=1e-12)
    assert bayes_optimal(3.0, 1.0).e_gen == pytest.approx(0.5, abs=1e-12)


def test_bayes_optimal_eps0_is_classical_perceptron():
    """eps=0: teacher-student perceptron, E ~ 0.4417/alpha at large alpha (Engel & Van den Broeck)."""
    a = np.array([1e3, 1e4])
    e = bayes_optimal(a, 0.0).e_gen
    np.testing.assert_allclose(e * a, 0.4417, atol=2e-4)
    # Theta(1/alpha) for every eps < 1
    for eps in (0.2, 0.6):
        e = bayes_optimal(np.array([1e3, 1e4]), eps).e_gen
        assert e[0] / e[1] == pytest.approx(10.0, rel=0.02)


def test_bayes_optimal_matches_fixed_point_definition():
    r = bayes_optimal(np.array([0.7, 5.0]), np.array([0.1, 0.4]))
    assert r.converged.all()
    np.testing.assert_allclose(r.q_hat / (1 + r.q_hat), r.q, atol=1e-10)


def test_alpha_c_known_values():
    assert alpha_c(1.0) == pytest.approx(2.0, abs=1e-10)  # Cover / Gardner capacity
    ac = alpha_c(np.array([0.9, 0.5, 0.2, 0.05, 0.01]))
    assert np.all(np.diff(ac) > 0)  # grows as eps -> 0 ...
    assert ac[-1] > 8.0  # ... and diverges
    assert np.isinf(alpha_c(0.0))


@pytest.mark.parametrize("eps", [0.2, 0.6])
def test_hinge_ridgeless_memorises_exactly_below_alpha_c(eps):
    ac = alpha_c(eps)
    below = erm([0.9 * ac, 0.97 * ac], eps, [0.0, 1e-7], loss="hinge")
    assert below.converged.all()
    assert np.all(below.e_mem < 1e-6)
    above = erm([1.03 * ac, 1.1 * ac], eps, [0.0, 1e-7], loss="hinge")
    assert above.converged.all()
    assert np.all(above.e_mem > 1e-3)


def test_square_linear_ridgeless_threshold_at_alpha_one():
    r = erm([0.5, 0.95, 1.5, 2.0], 0.3, 0.0, loss="square")  # V = 1/(alpha-1) above 1
    np.testing.assert_array_equal(r.e_mem[:2], 0.0)
    assert np.all(r.e_mem[2:] > 1e-3)
    # lambda = 0 is the limit lambda -> 0+, on both sides of the threshold
    small = erm([0.5, 2.0], 0.3, 1e-9, loss="square")
    np.testing.assert_allclose(small.e_gen, r.e_gen[[0, 3]], atol=1e-6)


@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_ridgeless_kernel_is_continuous_limit_and_interpolates(loss):
    r0 = erm(3.0, 0.2, 0.0, loss=loss, **kernel(0.5))
    r1 = erm(3.0, 0.2, 1e-8, loss=loss, **kernel(0.5))
    assert r0.e_mem == 0.0
    assert r1.e_gen == pytest.approx(float(r0.e_gen), abs=1e-6)


def test_lambda_opt_formula_matches_numerical_minimisation():
    for theta in (0.3, 0.6):
        lam_cf = float(lambda_opt_square(EPS, **kernel(theta)))
        res = optimize.minimize_scalar(
            lambda ll: float(erm(4.0, EPS, np.exp(ll), **kernel(theta)).e_gen),
            bounds=(-8, 5), method="bounded", options=dict(xatol=1e-8))
        assert np.exp(res.x) == pytest.approx(lam_cf, rel=1e-3)
    # above theta*, E_gen increases with lambda: the optimum is lambda = 0
    lam = np.geomspace(1e-6, 10, 50)
    e = erm(4.0, EPS, lam, **kernel(TH_STAR + 0.2)).e_gen
    assert np.all(np.diff(e) > 0)
    assert lambda_opt_square(EPS, **kernel(TH_STAR + 0.2)) == 0.0


def test_theta_star_minimises_ridgeless_error_for_every_alpha():
    th = np.linspace(0.2, 1.4, 2401)
    for alpha in (0.5, 2.0, 20.0):
        e = erm(alpha, EPS, 0.0, **kernel(th)).e_gen
        assert th[np.argmin(e)] == pytest.approx(TH_STAR, abs=1e-3)
    # and at lambda_opt all theta <= theta* share the same error
    lam = lambda_opt_square(EPS, **kernel(th))
    e = erm(4.0, EPS, lam, **kernel(th)).e_gen
    np.testing.assert_allclose(e[th <= TH_STAR], e[th <= TH_STAR].min(), atol=1e-12)
    assert np.all(e[th > TH_STAR + 0.01] > e.min() + 1e-6)


def test_large_alpha_rate_of_krr():
    c = float(large_alpha_coefficient(EPS))
    assert c == pytest.approx(np.tan(TH_STAR) / np.pi)
    alpha = 1e6
    for theta, lam in ((0.3, 0.01), (1.0, 1.0), (TH_STAR, 0.0)):
        e = float(erm(alpha, EPS, lam, **kernel(theta)).e_gen)
        assert e * np.sqrt(alpha) == pytest.approx(c, rel=2e-3)


def test_lambda_to_infinity_limit():
    g, m = square_large_lambda(3.0, 0.3, **kernel(0.6))
    r = erm(3.0, 0.3, 1e9, **kernel(0.6))
    assert r.e_gen == pytest.approx(float(g), abs=1e-7)
    assert r.e_mem == pytest.approx(float(m), abs=1e-7)


def test_reproduces_table_of_fig3():
    """Paper Fig. 3 table (eps=0.2): BO, KRR at theta*, SVM best at lambda_opt, SVM best at lambda=0."""
    alpha = np.array([2.0, 4.0, 10.0, 20.0])
    paper = np.array([[0.2430, 0.2479, 0.2445, 0.2477],
                      [0.1702, 0.1864, 0.1763, 0.1858],
                      [0.0853, 0.1208, 0.1009, 0.1196],
                      [0.0449, 0.0858, 0.0669, 0.0846]])
    bo = bayes_optimal(alpha, EPS).e_gen
    krr = erm(alpha, EPS, 0.0, **kernel(TH_STAR)).e_gen
    th = np.linspace(0.0, 1.2, 61)
    opt = optimal_lambda(alpha[:, None], EPS, loss="hinge", **kernel(th))
    th0 = np.linspace(0.6, 1.1, 201)
    svm0 = erm(alpha[:, None], EPS, 0.0, loss="hinge", **kernel(th0)).e_gen
    ours = np.stack([bo, krr, opt.e_gen.min(axis=1), svm0.min(axis=1)], axis=1)
    # the paper prints 4 decimals: agreement to rounding (5e-5) plus the theta-grid resolution
    np.testing.assert_allclose(ours, paper, atol=2e-4)


# ---------------------------------------------------------------- robustness
def test_paper_range_grid_converges_and_respects_bounds():
    alpha = np.array([0.5, 2.0, 10.0, 50.0])[:, None, None, None]
    eps = np.array([0.0, 0.2, 0.5, 0.9])[:, None, None]
    th = np.linspace(0, np.pi / 2, 7)[:, None]
    lam = np.geomspace(1e-4, 1e2, 9)
    bo = bayes_optimal(alpha, eps).e_gen
    for loss in ("square", "hinge"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            r = erm(alpha, eps, lam, loss=loss, **kernel(th))
        assert r.converged.all()
        assert np.all(r.e_gen >= bo - 1e-9), loss
        for e in (r.e_gen, r.e_mem, r.e_train_rule):
            assert np.all((e >= 0) & (e <= 0.5))


def test_published_solver_failure_point_is_sane():
    """Issue #2: at alpha=2, eps=0.2, theta=0.70 the authors' solver reports E_gen=0.2339 < BO."""
    bo = float(bayes_optimal(2.0, 0.2).e_gen)
    lam = np.geomspace(1e-5, 2e-3, 40)
    r = erm(2.0, 0.2, lam, loss="hinge", **kernel(0.70))
    assert r.converged.all()
    assert np.all(r.e_gen > bo)
    assert np.all(np.isfinite(r.e_gen))
    assert np.ptp(r.e_gen) < 1e-3  # smooth approach to the ridgeless value


def test_non_convergence_is_flagged_and_warned_once():
    with pytest.warns(RuntimeWarning, match="did not converge") as rec:
        r = erm([2.0, 3.0], 0.2, 0.1, loss="hinge", **kernel(0.7), max_iter=0)
    assert len(rec) == 1
    assert not r.converged.any()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(alpha=2, eps=1.5, lam=0.1), "eps"),
        (dict(alpha=2, eps=-0.1, lam=0.1), "eps"),
        (dict(alpha=0, eps=0.2, lam=0.1), "alpha"),
        (dict(alpha=-1, eps=0.2, lam=0.1), "alpha"),
        (dict(alpha=2, eps=0.2, lam=-1e-3), "lam"),
        (dict(alpha=2, eps=0.2, lam=0.1, mu1=-0.5), "mu1"),
        (dict(alpha=2, eps=0.2, lam=0.1, loss="absolute"), "loss"),
        (dict(alpha=2, eps=0.2, lam=0.0, kappa=2.0), "lam"),
        (dict(alpha=2, eps=0.2, lam=0.1, kappa=0.0), "kappa"),
    ],
)
def test_bad_input_names_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        erm(**kwargs)


def test_bad_input_other_entry_points():
    with pytest.raises(ValueError, match="'eps'.*\\[0, 1\\]"):
        bayes_optimal(2.0, 1.2)
    with pytest.raises(ValueError, match="'alpha'"):
        bayes_optimal(-2.0, 0.2)
    with pytest.raises(ValueError, match="'eps'"):
        alpha_c(2.0)
    with pytest.raises(ValueError, match="'loss'"):
        optimal_lambda(2.0, 0.2, loss="absolute")


def test_broadcasting_and_determinism():
    r1 = erm(np.array([2.0, 4.0])[:, None], 0.2, np.array([0.0, 0.1, 1.0]), loss="hinge", **kernel(0.8))
    r2 = erm(np.array([2.0, 4.0])[:, None], 0.2, np.array([0.0, 0.1, 1.0]), loss="hinge", **kernel(0.8))
    assert r1.e_gen.shape == (2, 3)
    np.testing.assert_array_equal(r1.e_gen, r2.e_gen)
    single = erm(4.0, 0.2, 0.1, loss="hinge", **kernel(0.8))
    assert single.e_gen.shape == ()
    assert float(single.e_gen) == pytest.approx(r1.e_gen[1, 1], abs=1e-10)


def test_random_features_grid_converges_and_respects_bounds():
    """Random features over (alpha, theta, kappa, lambda), including lambda = 100 where V_hat -> 0."""
    alpha = np.array([0.5, 4.0, 20.0])[:, None, None, None]
    th = np.linspace(0.0, np.pi / 2, 7)[:, None, None]
    kappa = np.array([0.5, 1.0, 4.0])[:, None]
    lam = np.geomspace(1e-4, 1e2, 7)
    bo = bayes_optimal(alpha, 0.2).e_gen
    for loss in ("square", "hinge"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            r = erm(alpha, 0.2, lam, loss=loss, kappa=kappa, **kernel(th))
        assert r.converged.all()
        assert np.all(r.e_gen >= bo - 1e-9)
        assert np.all((r.e_mem >= 0) & (r.e_mem <= 0.5))


def test_optimal_lambda_finds_narrow_hinge_dip():
    """Hinge E_gen(lambda) is flat, dips near lambda ~ 0.8, then plateaus (alpha=4, theta=1.16)."""
    kw = dict(loss="hinge", **kernel(1.16))
    res = optimal_lambda(4.0, EPS, **kw)
    fine = erm(4.0, EPS, np.geomspace(1e-3, 10, 801), **kw).e_gen
    assert float(res.e_gen) <= fine.min() + 1e-7
    assert 0.5 < float(res.lam) < 1.2
