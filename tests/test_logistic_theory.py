"""The logistic loss and user-given convex losses in the exact theory (THEORY §5, §6).

* the logistic channel against an independent slow reference written here (scipy quad over
  the student field, brentq proximal operator, damped fixed-point iteration; no raf code) at
  eps = 0, the classical teacher-student perceptron;
* the generic channel (:class:`raf.theory.ConvexLoss`) reproduces the dedicated square, hinge
  and logistic channels on >= 100 points, and the state equations' errors to 1e-8;
* the ridgeless limit: below the separability threshold the logistic solution tends (like
  1/log(1/lambda)) to the max-margin one, the hinge's lambda = 0 point; above it lambda = 0
  is the finite plain system;
* bounds: errors in [0, 1/2], generalisation never below Bayes-optimal;
* ConvexLoss checks its input (non-convex, wrong derivative, undeclared kink, bad prox).
"""

import warnings

import numpy as np
import pytest
from scipy import integrate, optimize
from scipy.special import expit, ndtr
from scipy.stats import norm

from raf.theory import ConvexLoss, alpha_c, bayes_optimal, erm
from raf.theory.channels import CHANNELS
from raf.theory.logistic import LOGISTIC, logistic_channel
from raf.theory.proxquad import prox_solve
from raf.tradeoff import tradeoff_curve


# ---------------------------------------------------------------- the three losses, by hand
def _hinge_prox(y, w, V):
    u = y * w
    return y * np.where(u < 1 - V, u + V, np.where(u <= 1, 1.0, u))


SQUARE = ConvexLoss(lambda y, z: 0.5 * (y - z) ** 2, lambda y, z: z - y, lambda y, z: np.ones_like(z),
                    name="square")
HINGE = ConvexLoss(lambda y, z: np.maximum(0.0, 1.0 - y * z), lambda y, z: np.where(y * z < 1, -y, 0.0),
                   lambda y, z: np.zeros_like(z), prox=_hinge_prox, kinks={1: [1.0], -1: [-1.0]},
                   name="hinge")
LOGIT = ConvexLoss(lambda y, z: np.logaddexp(0.0, -y * z), lambda y, z: -y * expit(-y * z),
                   lambda y, z: expit(y * z) * expit(-y * z), name="logistic")
GENERIC = {"square": SQUARE, "hinge": HINGE, "logistic": LOGIT}


# ---------------------------------------------------------------- independent reference, eps = 0
def _ref_prox(y, w, V):
    f = lambda p: p - w - V * y * expit(-y * p)  # noqa: E731  (stationarity of the prox objective)
    a, b = (w - 1.0, w + V + 1.0) if y > 0 else (w - V - 1.0, w + 1.0)
    return optimize.brentq(f, a, b, xtol=1e-14, rtol=1e-15)


def _ref_hats(m, q, V, alpha, epsrel):
    """Conjugates in the teacher-student form: xi ~ N(0,1), omega = sqrt(q) xi, omega* = m xi/sqrt(q)."""
    eta = m * m / q
    vs = 1.0 - eta

    def integrand(xi, y, which):
        om, ws = np.sqrt(q) * xi, np.sqrt(eta) * xi
        p = _ref_prox(y, om, V)
        fout = (p - om) / V
        if which == 0:  # d/d omega* of Z0(y | omega*) = Phi(y omega*/sqrt(vs))
            return norm.pdf(xi) * y * norm.pdf(ws / np.sqrt(vs)) / np.sqrt(vs) * fout
        z0 = ndtr(y * ws / np.sqrt(vs))
        if which == 1:
            return norm.pdf(xi) * z0 * fout**2
        d2 = expit(y * p) * expit(-y * p)
        return norm.pdf(xi) * z0 * (1.0 - 1.0 / (1.0 + V * d2)) / V  # -d fout / d omega

    return [alpha * sum(integrate.quad(integrand, -10, 10, args=(y, k), epsabs=0.0, epsrel=epsrel,
                                       limit=200)[0] for y in (1.0, -1.0)) for k in range(3)]


def _reference_logistic_perceptron(alpha, lam, tol=1e-10, damping=0.6, max_iter=300):
    m, q, V, err = 0.5, 1.0, 1.0, 1.0
    for _ in range(max_iter):
        mh, qh, Vh = _ref_hats(m, q, V, alpha, epsrel=min(1e-6, max(1e-12, 1e-3 * err)))
        new = (mh / (lam + Vh), (mh * mh + qh) / (lam + Vh) ** 2, 1.0 / (lam + Vh))
        err = max(abs(a - b) for a, b in zip(new, (m, q, V)))
        m, q, V = ((1 - damping) * a + damping * b for a, b in zip((m, q, V), new))
        if err < tol:
            return m, q, V, True
    return m, q, V, False


@pytest.mark.parametrize("alpha, lam", [(0.5, 0.1), (5.0, 1.0)])
def test_eps0_agrees_with_independent_reference(alpha, lam):
    m, q, V, ok = _reference_logistic_perceptron(alpha, lam)
    assert ok
    res = erm(alpha, 0.0, lam, loss="logistic", tol=1e-13)
    assert bool(res.converged)
    for got, ref in ((res.m, m), (res.q, q), (res.V, V)):
        assert float(got) == pytest.approx(ref, rel=1e-6, abs=1e-8)
    assert float(res.e_gen) == pytest.approx(np.arccos(m / np.sqrt(q)) / np.pi, abs=1e-6)


# ---------------------------------------------------------------- the channel itself
def test_logistic_channel_matches_quadrature_of_definition():
    # THEORY §5 conjugates of the logistic loss by scipy quad over omega (brentq prox), at
    # extreme responses V = W/r (1e-2 .. 1e12) and angles close to 1
    rng = np.random.default_rng(3)
    for _ in range(6):
        q = 10 ** rng.uniform(-1, 2.5)
        rho = rng.choice([rng.uniform(0.1, 0.95), 1 - 10 ** rng.uniform(-5, -2)])
        m, r, W, eps = rho * np.sqrt(q), 10 ** rng.uniform(-10, 1), 10 ** rng.uniform(-1, 1), rng.uniform()
        V = W / r
        sig, s = np.sqrt(q), np.sqrt(1 - rho * rho)
        a = rho / s
        f = lambda w: expit(-_ref_prox(1.0, w, V)) / r  # noqa: E731  (-g'(p)/r, y = +1)
        P = lambda w: eps / 2 + (1 - eps) * ndtr(a * w / sig)  # noqa: E731
        pts = sorted({0.0, -V, np.log1p(V)})
        quad = lambda g, lo, hi: integrate.quad(g, lo, hi, points=[x for x in pts if lo < x < hi] or None,  # noqa: E731
                                                limit=400, epsrel=1e-12, epsabs=0.0)[0]
        M = 2 * (1 - eps) / np.sqrt(2 * np.pi) * quad(lambda w: norm.pdf(w, scale=sig * s) * f(w),
                                                      -10 * sig * s, 10 * sig * s)

        def u_int(w):
            p = _ref_prox(1.0, w, V)
            d2 = expit(p) * expit(-p)
            return norm.pdf(w, scale=sig) * P(w) * d2 / (r + W * d2)

        Q = 2 * quad(lambda w: norm.pdf(w, scale=sig) * P(w) * f(w) ** 2, -10 * sig, 10 * sig)
        U = 2 * quad(u_int, -10 * sig, 10 * sig)
        got = logistic_channel(q, 1 - rho * rho, W, r, 1.0, eps)
        np.testing.assert_allclose(got, (M, Q, U), rtol=1e-8)


def test_prox_solver_is_the_proximal_operator():
    omega = np.linspace(-50, 50, 41)[:, None]
    V = np.geomspace(1e-3, 1e10, 14)
    for loss in (LOGISTIC, LOGIT, HINGE, SQUARE):
        for y in (1, -1) if loss is not LOGISTIC else (1,):
            p = prox_solve(loss, y, omega, V, rtol=1e-13)
            kinked = np.zeros(p.shape, bool)
            for z, _, _ in loss.kinks(y):
                kinked |= p == z
            resid = p + V * loss.grad(y, p) - omega
            assert np.all(np.abs(np.where(kinked, 0.0, resid)) <= 1e-9 * (1 + np.abs(omega) + V))


def _fixed_points():
    """(q, s2, W, r, alpha, eps) at the fixed points of a realistic grid (kernels, 120 points)."""
    a, e, lam, th = np.meshgrid([0.5, 2.0, 5.0, 12.0], [0.0, 0.3], [0.01, 0.1, 1.0, 10.0, 100.0],
                                [0.0, 0.6, 1.2], indexing="ij")
    out = []
    for loss in ("square", "hinge"):
        r = erm(a, e, lam, loss=loss, mu1=np.cos(th), mustar=np.sin(th))
        out.append((r.q, 1.0 - r.m**2 / r.q, lam * r.V, lam, a, e))
    return [np.concatenate([o[k].ravel() for o in out]) for k in range(6)]


@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
def test_generic_channel_reproduces_dedicated_channel(loss):
    args = _fixed_points()
    assert args[0].size >= 100
    ded = np.array(CHANNELS[loss](*args))
    gen = np.array(GENERIC[loss].channel(*args))
    # absolute floor: the hinge's closed form loses relative digits on conjugates ~1e-9 (a flat
    # interval deep in the Gaussian tail, differences of Owen's T); the quadrature does not
    floor = 1e-10 * np.abs(ded).max(axis=1, keepdims=True)
    assert np.all(np.abs(gen - ded) <= 1e-8 * np.abs(ded) + floor)


@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
@pytest.mark.parametrize("kappa", [None, 2.0])
def test_generic_loss_gives_the_same_errors_in_erm(loss, kappa):
    a = np.array([0.5, 2.0, 5.0, 12.0])[:, None, None, None]
    e = np.array([0.0, 0.3])[:, None, None]
    lam = np.array([0.01, 0.1, 1.0, 10.0, 100.0])[:, None] if kappa is None else np.array([0.1, 1.0])[:, None]
    th = np.array([0.0, 0.6, 1.2])
    kw = dict(mu1=np.cos(th), mustar=np.sin(th), kappa=kappa, tol=1e-13)
    ded = erm(a, e, lam, loss=loss, **kw)
    gen = erm(a, e, lam, loss=GENERIC[loss], **kw)
    assert ded.converged.all() and gen.converged.all()
    assert gen.e_gen.size >= (100 if kappa is None else 40)
    np.testing.assert_allclose(gen.e_gen, ded.e_gen, atol=1e-8)
    np.testing.assert_allclose(gen.e_mem, ded.e_mem, atol=1e-8)


# ---------------------------------------------------------------- ridgeless limit
@pytest.mark.parametrize("alpha, eps, mu1, mustar", [(2.0, 0.2, 1.0, 0.0), (1.0, 0.5, 1.0, 0.0),
                                                     (4.0, 0.2, 0.8, 0.6)])
def test_logistic_tends_to_max_margin_below_separability(alpha, eps, mu1, mustar):
    if mustar == 0:
        assert alpha < alpha_c(eps)  # separable: the linear model interpolates
    hinge0 = erm(alpha, eps, 0.0, loss="hinge", mu1=mu1, mustar=mustar)
    log0 = erm(alpha, eps, 0.0, loss="logistic", mu1=mu1, mustar=mustar)
    assert bool(log0.converged) and float(log0.e_gen) == float(hinge0.e_gen) and float(log0.e_mem) == 0.0
    lams = 10.0 ** -np.array([6, 10, 15, 20, 25, 30, 40, 50])
    res = erm(alpha, eps, lams, loss="logistic", mu1=mu1, mustar=mustar)
    assert res.converged.all()
    assert np.all(res.e_mem < 1e-12)  # the training set is fitted
    gap = res.e_gen - float(hinge0.e_gen)
    assert np.all(np.diff(np.abs(gap)) < 0)  # approaches monotonically ...
    L = np.log(1.0 / lams)
    assert np.ptp(gap * L) < 0.35 * np.max(np.abs(gap * L))  # ... like 1/log(1/lambda) ...
    A = np.stack([np.ones_like(L), 1 / L, 1 / L**2, 1 / L**3], axis=1)
    limit = np.linalg.lstsq(A, gap, rcond=None)[0][0]
    assert abs(limit) < 0.02 * abs(gap[0])  # ... and its extrapolated limit is the max-margin error


@pytest.mark.parametrize("alpha", [4.0, 10.0])
def test_logistic_ridgeless_limit_is_finite_above_separability(alpha):
    eps = 0.2
    assert alpha > alpha_c(eps)
    r0 = erm(alpha, eps, 0.0, loss="logistic")
    small = erm(alpha, eps, [1e-6, 1e-9], loss="logistic")
    assert bool(r0.converged) and small.converged.all()
    assert np.isfinite(r0.V) and float(r0.e_mem) > 0.0  # not separable: facts stay misfitted
    np.testing.assert_allclose(small.e_gen, float(r0.e_gen), atol=1e-5)
    np.testing.assert_allclose(small.e_mem, float(r0.e_mem), atol=1e-5)


# ---------------------------------------------------------------- bounds and other models
def test_errors_are_bounded_and_not_below_bayes_optimal():
    alpha = np.array([0.5, 2.0, 4.0, 10.0, 20.0])[:, None, None]
    theta = np.linspace(0.0, np.pi / 2, 7)[:, None]
    lam = np.concatenate([[0.0], np.geomspace(1e-4, 1e2, 7)])
    for eps in (0.0, 0.2, 0.6):
        r = erm(alpha, eps, lam, loss="logistic", mu1=np.cos(theta), mustar=np.sin(theta))
        assert r.converged.all()
        for key in ("e_gen", "e_mem", "e_train_rule"):
            v = getattr(r, key)
            assert np.all((v >= 0) & (v <= 0.5 + 1e-12)), key
        assert np.all(r.e_gen >= bayes_optimal(alpha, eps).e_gen - 1e-9)


def test_random_features_logistic_converge_to_kernel_limit():
    th = 0.7
    kw = dict(loss="logistic", mu1=np.cos(th), mustar=np.sin(th))
    lam = np.array([0.01, 0.1, 1.0])
    kern = erm(2.0, 0.2, lam, **kw)
    gaps = []
    for kappa in (1.0, 10.0, 1000.0):
        rf = erm(2.0, 0.2, lam, kappa=kappa, **kw)
        assert rf.converged.all()
        gaps.append(np.max(np.abs(rf.e_gen - kern.e_gen)))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3


def test_tradeoff_curve_end_points_of_the_logistic_loss():
    # lambda -> inf: the Hebbian estimator, the closed form shared with square and hinge (the
    # logistic slope at 0 is half theirs, which no sign sees); lambda -> 0: the max-margin point
    mu1, mustar = np.array([1.0, 0.8]), np.array([0.0, 0.6])
    c = tradeoff_curve(2.0, 0.2, loss="logistic", mu1=mu1, mustar=mustar, lams=[1e-2, 1.0, 1e6])
    assert c.converged.all()
    np.testing.assert_allclose(c.e_gen[:, -1], c.e_gen_laminf, atol=1e-6)
    np.testing.assert_allclose(c.e_mem[:, -1], c.e_mem_laminf, atol=1e-5)
    hinge0 = erm(2.0, 0.2, 0.0, loss="hinge", mu1=mu1, mustar=mustar)
    np.testing.assert_array_equal(c.e_gen_lam0, hinge0.e_gen)
    np.testing.assert_array_equal(c.e_mem_lam0, 0.0)


def test_eps_one_gives_chance():
    r = erm(3.0, 1.0, [0.01, 1.0], loss="logistic", mu1=0.8, mustar=0.6)
    np.testing.assert_allclose(r.e_gen, 0.5, atol=1e-6)


# ---------------------------------------------------------------- ConvexLoss checks its input
def test_convex_loss_rejects_bad_losses():
    with pytest.raises(ValueError, match="not convex"):
        ConvexLoss(lambda y, z: -np.logaddexp(0, -y * z), lambda y, z: y * expit(-y * z),
                   lambda y, z: -expit(y * z) * expit(-y * z))
    with pytest.raises(ValueError, match="not convex"):  # negative curvature, monotone slope not checked
        ConvexLoss(lambda y, z: np.cos(z), lambda y, z: -np.sin(z), lambda y, z: -np.cos(z))
    with pytest.raises(ValueError, match="finite differences of 'value'"):
        ConvexLoss(lambda y, z: 0.5 * (y - z) ** 2, lambda y, z: 2 * (z - y), lambda y, z: 2 + 0 * z)
    with pytest.raises(ValueError, match="finite differences of 'grad'"):
        ConvexLoss(lambda y, z: 0.5 * (y - z) ** 2, lambda y, z: z - y, lambda y, z: 3 + 0 * z)
    with pytest.raises(ValueError, match="kinks"):  # the hinge without its kink declared
        ConvexLoss(lambda y, z: np.maximum(0.0, 1.0 - y * z), lambda y, z: np.where(y * z < 1, -y, 0.0),
                   lambda y, z: np.zeros_like(z))
    with pytest.raises(ValueError, match="proximal operator"):
        ConvexLoss(lambda y, z: 0.5 * (y - z) ** 2, lambda y, z: z - y, lambda y, z: np.ones_like(z),
                   prox=lambda y, w, V: w)
    with pytest.raises(ValueError, match="slopes at z = 0"):  # one misfit threshold for both labels
        ConvexLoss(lambda y, z: 0.5 * (y - z) ** 2 + 0.3 * z, lambda y, z: z - y + 0.3,
                   lambda y, z: np.ones_like(z))
    with pytest.raises(TypeError, match="'grad'"):
        ConvexLoss(lambda y, z: z * z, "not a function")
    with pytest.raises(TypeError, match="vectorised"):
        ConvexLoss(lambda y, z: float(z) ** 2, lambda y, z: 2 * z)


def test_squared_hinge_is_the_square_loss_while_no_margin_exceeds_one():
    # max(0, 1 - y z)^2 / 2 equals the square loss (y - z)^2 / 2 for y z < 1: at large lambda
    # the proximal values stay below the kink, and the two losses give the same errors
    value = lambda y, z: 0.5 * np.maximum(0.0, 1.0 - y * z) ** 2  # noqa: E731
    grad = lambda y, z: -y * np.maximum(0.0, 1.0 - y * z)  # noqa: E731
    hess = lambda y, z: (y * z < 1).astype(float)  # noqa: E731
    with pytest.raises(ValueError, match="kinks"):  # l'' jumps at y z = 1
        ConvexLoss(value, grad, hess)
    sq_hinge = ConvexLoss(value, grad, hess, kinks={1: [1.0], -1: [-1.0]}, name="squared hinge")
    lam = np.array([0.01, 1.0, 100.0, 1e4])
    a = erm(2.0, 0.2, lam, loss=sq_hinge, mu1=0.8, mustar=0.6)
    b = erm(2.0, 0.2, lam, loss="square", mu1=0.8, mustar=0.6)
    assert a.converged.all()
    np.testing.assert_allclose(a.e_gen[2:], b.e_gen[2:], atol=1e-10)
    assert np.all(np.abs(a.e_gen[:2] - b.e_gen[:2]) > 1e-5)  # a different loss where margins exceed 1


def test_convex_loss_needs_positive_lambda_and_named_losses_stay_checked():
    with pytest.raises(ValueError, match="'lam'.*ConvexLoss"):
        erm(2.0, 0.2, [0.0, 0.1], loss=SQUARE)
    with pytest.raises(ValueError, match="'loss'"):
        erm(2.0, 0.2, 0.1, loss="absolute")
    with pytest.raises(TypeError, match="'loss'"):
        erm(2.0, 0.2, 0.1, loss=3)


def test_hessian_by_finite_differences_is_accurate_enough():
    no_hess = ConvexLoss(lambda y, z: np.logaddexp(0.0, -y * z), lambda y, z: -y * expit(-y * z))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = erm([1.0, 3.0], 0.2, [0.05, 1.0], loss=no_hess, mu1=0.8, mustar=0.6)
    b = erm([1.0, 3.0], 0.2, [0.05, 1.0], loss="logistic", mu1=0.8, mustar=0.6)
    np.testing.assert_allclose(a.e_gen, b.e_gen, atol=1e-7)
