"""Tests of raf.tradeoff: trade-off curves, their end points, the small-eps law of alpha_c."""

from __future__ import annotations

import numpy as np
import pytest

from raf.kernels import coefficients
from raf.theory import alpha_c, erm, square_large_lambda
from raf.tradeoff import (
    ALPHA_C_SMALL_EPS_COEFF,
    activation_mu,
    alpha_c_small_eps,
    tradeoff_curve,
)

MU = np.array([activation_mu(a) for a in ("linear", "erf", "relu")])


def test_activation_mu_matches_kernels_and_closed_forms():
    assert activation_mu("linear") == pytest.approx((1.0, 0.0))
    assert activation_mu("relu") == pytest.approx((0.5, np.sqrt(0.25 - 1 / (2 * np.pi))))
    assert activation_mu("erf") == pytest.approx(coefficients("erf")[1:])


@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_curve_is_erm_on_the_grid(loss):
    lams = np.array([1e-2, 1.0, 1e2])
    c = tradeoff_curve(2.0, 0.2, loss=loss, mu1=MU[:, 0], mustar=MU[:, 1], lams=lams)
    assert c.e_gen.shape == (3, 3) and c.converged.all()
    for i, (m1, ms) in enumerate(MU):
        r = erm(2.0, 0.2, lams, loss=loss, mu1=m1, mustar=ms)
        np.testing.assert_allclose(c.e_gen[i], r.e_gen, atol=1e-12)
        np.testing.assert_allclose(c.e_mem[i], r.e_mem, atol=1e-12)


@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_end_points_are_the_limits_of_the_curve(loss):
    c = tradeoff_curve(2.0, 0.2, loss=loss, mu1=MU[:, 0], mustar=MU[:, 1], lam_range=(1e-6, 1e6),
                       n_lam=13)
    assert np.all(np.isfinite(c.e_gen_lam0)) and c.converged.all()
    # lambda -> infinity: closed form (App. C.2), the same for both losses
    g, m = square_large_lambda(2.0, 0.2, MU[:, 0], MU[:, 1])
    np.testing.assert_allclose(c.e_gen_laminf, g, atol=1e-12)
    np.testing.assert_allclose(c.e_mem_laminf, m, atol=1e-12)
    np.testing.assert_allclose(c.e_gen[:, -1], c.e_gen_laminf, atol=1e-4)
    np.testing.assert_allclose(c.e_mem[:, -1], c.e_mem_laminf, atol=1e-4)
    # lambda -> 0: ridgeless solution; kernels (mustar > 0) memorise everything
    np.testing.assert_allclose(c.e_gen[:, 0], c.e_gen_lam0, atol=2e-3)
    np.testing.assert_allclose(c.e_mem[:, 0], c.e_mem_lam0, atol=2e-3)
    assert np.all(c.e_mem_lam0[1:] == 0.0)


def test_square_and_hinge_share_the_large_lambda_limit():
    for m1, ms in MU:
        rs = erm(2.0, 0.2, 1e8, loss="square", mu1=m1, mustar=ms)
        rh = erm(2.0, 0.2, 1e8, loss="hinge", mu1=m1, mustar=ms)
        assert float(rs.e_gen) == pytest.approx(float(rh.e_gen), abs=1e-6)
        assert float(rs.e_mem) == pytest.approx(float(rh.e_mem), abs=1e-6)
        g, m = square_large_lambda(2.0, 0.2, m1, ms)
        for loss in ("square", "hinge"):
            inf = erm(2.0, 0.2, np.inf, loss=loss, mu1=m1, mustar=ms)
            assert float(inf.e_gen) == pytest.approx(float(g), abs=1e-14)
            assert float(inf.e_mem) == pytest.approx(float(m), abs=1e-14)


def test_linear_ridgeless_memorisation_thresholds():
    # square: interpolation below alpha = 1 only; hinge: below alpha_c(0.2) ~ 2.99
    sq = tradeoff_curve([0.5, 2.0], 0.2, loss="square", n_lam=3)
    hi = tradeoff_curve([2.0, 4.0], 0.2, loss="hinge", n_lam=3)
    assert sq.e_mem_lam0[0] == 0.0 and sq.e_mem_lam0[1] > 0.1
    assert hi.e_mem_lam0[0] == 0.0 and hi.e_mem_lam0[1] > 0.1


def test_finite_width_curve_and_its_end_points():
    m1, ms = activation_mu("erf")
    c = tradeoff_curve(2.0, 0.2, loss="square", mu1=m1, mustar=ms, kappa=[1.0, 50.0], n_lam=5)
    assert np.all(np.isnan(c.e_gen_lam0)) and c.converged.all()  # no ridgeless end point at finite width
    r = erm(2.0, 0.2, np.inf, loss="square", mu1=m1, mustar=ms, kappa=np.array([1.0, 50.0]))
    np.testing.assert_allclose(c.e_gen_laminf, r.e_gen, atol=1e-12)
    # the Hebbian end point is the limit of the numerical solution at a large ridge
    big = erm(2.0, 0.2, 1e8, loss="square", mu1=m1, mustar=ms, kappa=np.array([1.0, 50.0]))
    np.testing.assert_allclose(big.e_gen, r.e_gen, atol=1e-7)
    np.testing.assert_allclose(big.e_mem, r.e_mem, atol=1e-7)
    # wider features: curve closer to the kernel's
    k = tradeoff_curve(2.0, 0.2, loss="square", mu1=m1, mustar=ms, n_lam=5)
    gap = np.abs(c.e_gen - k.e_gen).max(axis=-1)
    assert gap[1] < gap[0]


def test_input_validation_names_the_parameter():
    with pytest.raises(ValueError, match="'loss'"):
        tradeoff_curve(2.0, 0.2, loss="absolute")
    with pytest.raises(ValueError, match="'lams'"):
        tradeoff_curve(2.0, 0.2, lams=[0.0, 1.0])
    with pytest.raises(ValueError, match="'n_lam'"):
        tradeoff_curve(2.0, 0.2, n_lam=1)
    with pytest.raises(ValueError, match="'eps'"):
        alpha_c_small_eps(0.0)


def test_alpha_c_small_eps_law():
    assert ALPHA_C_SMALL_EPS_COEFF == pytest.approx(1.87386, abs=1e-5)
    eps = np.array([1e-2, 1e-3, 1e-4, 1e-5, 1e-6])
    ratio = alpha_c(eps) / alpha_c_small_eps(eps)
    err = np.abs(1 - ratio)
    assert err[-1] < 1e-4
    assert np.all(np.diff(err) < 0)                 # converges ...
    slopes = np.diff(np.log(err)) / np.diff(np.log(eps))
    assert np.all(np.abs(slopes - 2 / 3) < 0.1)     # ... with a relative error ~ eps^(2/3)
