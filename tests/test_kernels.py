"""Tests of raf.kernels: Hermite coefficients, kernel families, angles (THEORY §3, paper D.1)."""

import math

import numpy as np
import pytest

from raf import kernels as K
from raf.theory import theta_star

TH_STAR = float(theta_star(0.2))

CLOSED = {  # THEORY §3
    "erf": (0.0, 2 / math.sqrt(3 * math.pi),
            math.sqrt(2 / math.pi * math.asin(2 / 3) - 4 / (3 * math.pi))),
    "relu": (1 / math.sqrt(2 * math.pi), 0.5, math.sqrt(0.25 - 1 / (2 * math.pi))),
    "sign": (0.0, math.sqrt(2 / math.pi), math.sqrt(1 - 2 / math.pi)),
    "linear": (0.0, 1.0, 0.0),
}


@pytest.mark.parametrize("name", ["erf", "relu", "sign", "linear"])
def test_closed_forms(name):
    np.testing.assert_allclose(K.coefficients(name), CLOSED[name], atol=1e-15)


@pytest.mark.parametrize("name", ["erf", "linear"])
def test_hermite_quadrature_smooth(name):
    # smooth activations: Gauss-Hermite is exponentially accurate
    q = K.coefficients(name, closed_form=False)
    c = K.coefficients(name)
    np.testing.assert_allclose(q[:2], c[:2], atol=1e-12)
    # compare mustar^2 (sqrt amplifies round-off near 0 for the linear activation)
    assert abs(q[2] ** 2 - c[2] ** 2) < 1e-12


@pytest.mark.parametrize("name", ["relu", "sign"])
def test_hermite_quadrature_kinks(name):
    # A kink at 0 limits Gauss-Hermite to algebraic convergence: the error of the
    # n-node rule is ~ c/n (measured: relu 0.16/n, sign 0.44/n on mustar), so the
    # tolerance is 1/n; with breakpoints=[0] adaptive quadrature is exact to 1e-10.
    c = np.array(K.coefficients(name))
    for n in (100, 200):
        q = np.array(K.coefficients(name, closed_form=False, n_nodes=n))
        assert np.max(np.abs(q - c)) < 1.0 / n
    b = np.array(K.coefficients(name, closed_form=False, breakpoints=[0.0]))
    np.testing.assert_allclose(b, c, atol=1e-10)


def test_tanh_and_callable():
    mu0, mu1, ms = K.coefficients("tanh")
    assert abs(mu0) < 1e-14
    # tanh is smooth: the 200-node rule agrees with adaptive quadrature
    b = K.coefficients(np.tanh, breakpoints=[0.0])
    np.testing.assert_allclose((mu0, mu1, ms), b, atol=1e-9)
    # a polynomial is integrated exactly: sigma = 1 + 2u + 3(u^2 - 1) -> (1, 2, 3 sqrt 2)
    c = K.coefficients(lambda u: 1 + 2 * u + 3 * (u ** 2 - 1), n_nodes=10)
    np.testing.assert_allclose(c, (1.0, 2.0, 3 * math.sqrt(2)), atol=1e-12)


def test_coefficients_bad_input():
    with pytest.raises(ValueError, match="'activation' parameter must be one of"):
        K.coefficients("softplus")
    with pytest.raises(ValueError, match="'activation' parameter must be a callable"):
        K.coefficients(3.0)
    with pytest.raises(ValueError, match="'n_nodes'"):
        K.coefficients("tanh", n_nodes=0)
    with pytest.raises(ValueError, match="'n_nodes'"):
        K.coefficients("tanh", n_nodes=10_000)


def test_angle_and_mu_from_angle():
    assert K.angle(1.0, 0.0) == 0.0
    assert K.angle(0.0, 2.0) == pytest.approx(np.pi / 2)
    assert K.angle(1.0, 1.0) == pytest.approx(np.pi / 4)
    th = np.linspace(0, np.pi / 2, 7)
    m1, ms = K.mu_from_angle(th)
    np.testing.assert_allclose(K.angle(m1, ms), th, atol=1e-15)
    np.testing.assert_allclose(m1 ** 2 + ms ** 2, 1.0)
    with pytest.raises(ValueError, match="'mu1' parameter must be a float in the range"):
        K.angle(-1.0, 1.0)
    with pytest.raises(ValueError, match="'mustar'"):
        K.angle(1.0, -0.5)
    with pytest.raises(ValueError, match="both be 0"):
        K.angle(0.0, 0.0)
    with pytest.raises(ValueError, match="'theta'"):
        K.mu_from_angle(2.0)


def _fd_coefficients(k, h=1e-5):
    """mu1^2 = k'(0) (central difference), mustar^2 = k(1) - k(0) - k'(0)."""
    d1 = (k(np.array(h)) - k(np.array(-h))) / (2 * h)
    return math.sqrt(d1), math.sqrt(max(float(k(np.array(1.0)) - k(np.array(0.0)) - d1), 0.0))


@pytest.mark.parametrize("name", ["erf", "relu", "sign", "linear"])
def test_activation_kernels_match_activation_coefficients(name):
    ker = K.ACTIVATION_KERNELS[name]
    _, mu1, ms = K.coefficients(name)
    assert (ker.mu1, ker.mustar) == pytest.approx((mu1, ms), abs=1e-14)
    # and the kernel function itself has these coefficients
    np.testing.assert_allclose(_fd_coefficients(ker), (mu1, ms), atol=1e-8)
    # centred: k(0) = 0 (no constant mode)
    assert abs(float(ker(0.0))) < 1e-15


def test_relu_kernel_is_gaussian_expectation():
    # k(t) = E[relu(u) relu(v)] - mu0^2 for standard Gaussians (u, v) of correlation t,
    # integrated exactly: given u, v ~ N(t u, 1 - t^2) and
    # E[relu(v) | u] = m Phi(m/s) + s phi(m/s).
    from scipy.integrate import quad
    from scipy.stats import norm

    for t in (-0.7, 0.0, 0.4, 0.95):
        s = math.sqrt(1 - t * t)

        def integrand(u):
            m = t * u
            return u * (m * norm.cdf(m / s) + s * norm.pdf(m / s)) * norm.pdf(u)

        e = quad(integrand, 0, np.inf, epsabs=1e-13)[0]
        assert float(K.RELU_KERNEL(t)) == pytest.approx(e - 1 / (2 * np.pi), abs=1e-10)
    assert float(K.RELU_KERNEL(1.0)) == pytest.approx(0.5 - 1 / (2 * np.pi))
    assert float(K.RELU_KERNEL(-1.0)) == pytest.approx(-1 / (2 * np.pi))


def test_erf_kernel_is_gaussian_expectation():
    # E[erf(u) erf(v)] for correlation t by 2-d Gauss-Hermite (smooth integrand)
    u, w = np.polynomial.hermite_e.hermegauss(80)
    w = w / np.sqrt(2 * np.pi)
    from scipy.special import erf

    for t in (-0.5, 0.3, 0.9):
        v = t * u[:, None] + math.sqrt(1 - t * t) * u[None, :]
        e = np.einsum("i,j,ij->", w, w, erf(u)[:, None] * erf(v))
        assert float(K.ERF_KERNEL(t)) == pytest.approx(e, abs=1e-8)


FAMS = [K.RBF, K.EXPONENTIAL, K.GEOMETRIC, K.QUADRATIC, K.polynomial(2), K.polynomial(3),
        K.polynomial(5)]


@pytest.mark.parametrize("fam", FAMS, ids=lambda f: f.name)
def test_family_coefficients_from_kernel(fam):
    for theta in (0.2, 0.8, 1.3):
        p = K.param_for_angle(fam, theta)
        ker = fam.at(p)
        m1, ms = fam.coefficients(p)
        np.testing.assert_allclose(_fd_coefficients(ker), (m1, ms), rtol=1e-6, atol=1e-8)
        assert ker.angle == pytest.approx(theta, abs=1e-12)


@pytest.mark.parametrize("fam", FAMS, ids=lambda f: f.name)
def test_param_for_angle_round_trip(fam):
    th = np.linspace(0.01, np.pi / 2 - 0.01, 25)
    p = K.param_for_angle(fam, th)
    assert p.shape == th.shape
    np.testing.assert_allclose(fam.angle(p), th, atol=1e-11)
    assert isinstance(K.param_for_angle(fam, 0.5), float)


def test_param_for_angle_known_values():
    # RBF, THEORY §7: gamma = 0.5 gives mu1^2 = e^-1, mustar^2 = 1 - 2/e
    g = K.param_for_angle(K.RBF, math.atan(math.sqrt((1 - 2 / math.e) / (1 / math.e))))
    assert g == pytest.approx(0.5, rel=1e-10)
    # geometric, paper Eq. (217): a = sin^2 theta
    assert K.param_for_angle(K.GEOMETRIC, 0.6) == pytest.approx(math.sin(0.6) ** 2)
    # by name
    assert K.param_for_angle("rbf", 0.7) == K.param_for_angle(K.RBF, 0.7)


def test_param_for_angle_out_of_range():
    with pytest.raises(ValueError, match="reachable by the rbf kernel family"):
        K.param_for_angle(K.RBF, 0.0)
    with pytest.raises(ValueError, match="reachable by the geometric kernel family"):
        K.param_for_angle(K.GEOMETRIC, np.pi / 2)
    with pytest.raises(ValueError, match="'theta' parameter must be a float in the range"):
        K.param_for_angle(K.RBF, [0.5, 2.0])
    with pytest.raises(ValueError, match="'family' parameter must be one of"):
        K.param_for_angle("laplace", 0.5)


def test_family_param_validation():
    with pytest.raises(ValueError, match="'gamma' parameter must be a float in the range"):
        K.RBF.angle(-1.0)
    with pytest.raises(ValueError, match="'a' parameter"):
        K.GEOMETRIC.at(1.0)
    with pytest.raises(ValueError, match="'degree'"):
        K.polynomial(1)


def test_rbf_matches_theory_formulas():
    g = np.array([0.1, 0.5, 2.0])
    m1, ms = K.RBF.coefficients(g)
    np.testing.assert_allclose(m1 ** 2, 2 * g * np.exp(-2 * g))
    np.testing.assert_allclose(ms ** 2, 1 - np.exp(-2 * g) - 2 * g * np.exp(-2 * g))


def test_truncated_quadratic():
    ker = K.truncated_quadratic(0.6, 0.3, c0=0.5)
    assert (ker.mu1, ker.mustar) == (0.6, 0.3)
    np.testing.assert_allclose(_fd_coefficients(ker), (0.6, 0.3), atol=1e-8)
    assert float(ker(0.0)) == 0.5


def test_family_parameters_realise_the_angle():
    th = np.array([0.3, TH_STAR, 1.3])
    params = K.family_parameters(th)
    assert set(params) == {"rbf", "exponential", "geometric", "polynomial"}
    for name, p in params.items():
        np.testing.assert_allclose(K.FAMILIES[name].angle(p), th, atol=1e-9, err_msg=name)
    # explicit case, paper Eq. (217): a = sin^2 theta
    np.testing.assert_allclose(params["geometric"], np.sin(th) ** 2, atol=1e-12)


def test_centred_kernel_keeps_the_coefficients():
    k = K.centred_kernel("rbf", 0.8)
    m1, ms = K.RBF.coefficients(0.8)
    assert k.mu1 == pytest.approx(float(m1)) and k.mustar == pytest.approx(float(ms))
    assert k(0.0) == pytest.approx(0.0, abs=1e-15)
    t = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(k(t), K.RBF(t, 0.8) - np.exp(-1.6), atol=1e-15)
    h = 1e-5  # mu1^2 = k'(0), mustar^2 = k(1) - k(0) - k'(0)
    d1 = (k(h) - k(-h)) / (2 * h)
    assert d1 == pytest.approx(float(m1) ** 2, rel=1e-8)
    assert k(1.0) - k(0.0) - d1 == pytest.approx(float(ms) ** 2, rel=1e-7)
