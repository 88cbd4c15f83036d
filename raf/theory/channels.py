"""Loss (channel) side of the ERM state equations (THEORY §5).

The student field is described by ``(q, s2, W)``: its variance ``q``, the conditional
variance ``s2 = 1 - m**2/q`` of the teacher field given the student's (THEORY §5, so
``m = sqrt(q (1 - s2))`` and ``cos_gen = m/sqrt(q) = sqrt(1 - s2)``) and the rescaled response
``W = r V``. Carrying ``s2`` rather than ``m`` keeps ``E_gen = arcsin(sqrt(s2))/pi`` to full
relative precision when the student is almost aligned with the teacher (large ``alpha``),
where ``1 - m**2/q`` formed from ``m`` and ``q`` would cancel.

Given that state, each channel returns the conjugates *rescaled* by the scale ``r``
(THEORY §5, "Ridgeless limit"):

    V = W / r,   M = m_hat / r,   Q = q_hat / r**2,   U = V_hat / r .

With ``r = lambda`` this is the rescaled system (finite as ``lambda -> 0`` whenever the
learner interpolates); with ``r = 1`` it is the plain system; ``r = 0`` is the ridgeless
limit itself (``V = inf``). Both channels are exact closed forms: the hinge integrals are
truncated Gaussian moments (:mod:`raf.theory.gaussian`), split at the kinks
``y omega = 1 - V`` and ``y omega = 1``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from .gaussian import gauss_moments, gauss_pdf_moments, gauss_phi_cdf, gauss_phi_moments

__all__ = ["LOSSES", "CHANNELS", "a_eps", "angle_terms", "square_channel", "hinge_channel",
           "training_errors"]

LOSSES = ("square", "hinge", "logistic")  # logistic: raf.theory.logistic
_SQRT_2_PI = np.sqrt(2.0 / np.pi)
_S_MIN = 1e-150  # smallest sin of the student-teacher angle the channels resolve
_THIN = 0.05  # middle pieces thinner than this (in units of the integrand's scale) use quadrature
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)


def a_eps(eps):
    """``a_eps = (1 - eps) sqrt(2/pi) = E[y z]``, the rule's share of the label-field correlation."""
    return (1.0 - eps) * _SQRT_2_PI


def angle_terms(q, s2):
    """``(sigma, s, cos_gen, slope)``: ``sigma = sqrt q``, ``s = sqrt s2``, ``slope = cos_gen/s``.

    Given the student field ``omega = sigma x``, the teacher's is ``z = cos_gen x + s g``, so
    ``P(z > 0 | x) = Phi(slope x)``.
    """
    s2 = np.clip(s2, _S_MIN**2, 1.0)
    s = np.sqrt(s2)
    cos_gen = np.sqrt(1.0 - s2)
    return np.sqrt(q), s, cos_gen, cos_gen / s


def _inverse(r):
    """``1/r`` where ``r > 0``, ``0`` where ``r = 0`` (the ridgeless limit)."""
    pos = r > 0
    return np.where(pos, 1.0 / np.where(pos, r, 1.0), 0.0)


def square_channel(q, s2, W, r, alpha, eps):
    """Rescaled conjugates ``(M, Q, U)`` for the square loss (closed form, THEORY §5).

    ``f_out = (y - omega)/(1 + V)``: ``M = alpha a_eps/(r + W)``,
    ``Q = alpha (1 + q - 2 a_eps m)/(r + W)**2``, ``U = alpha/(r + W)``.
    """
    a = a_eps(eps)
    m = np.sqrt(q * (1.0 - np.clip(s2, 0.0, 1.0)))
    g = r + W
    return alpha * a / g, alpha * (1.0 + q - 2.0 * a * m) / g**2, alpha / g


def _middle_closed(hA, hB, sigma, slope, eps):
    """Middle piece ``hA <= x <= hB`` of the hinge integrals from truncated moments."""
    L0A, L1A = gauss_pdf_moments(hA, slope)
    L0B, L1B = gauss_pdf_moments(hB, slope)
    G0A, G1A, G2A = gauss_moments(hA)
    G0B, G1B, G2B = gauss_moments(hB)
    I0A, I1A, I2A = gauss_phi_moments(hA, slope)
    I0B, I1B, I2B = gauss_phi_moments(hB, slope)
    half = 0.5 * eps
    pdf1 = (L0B - L0A) - sigma * (L1B - L1A)
    p0 = half * (G0B - G0A) + (1.0 - eps) * (I0B - I0A)
    p2 = half * ((G0B - G0A) - 2 * sigma * (G1B - G1A) + sigma**2 * (G2B - G2A)) + (
        1.0 - eps) * ((I0B - I0A) - 2 * sigma * (I1B - I1A) + sigma**2 * (I2B - I2A))
    return pdf1, p0, p2


def _middle_quadrature(hB, width, sigma, slope, eps):
    """The same integrals by Gauss-Legendre quadrature on a thin ``[hB - width, hB]`` (no cancellation)."""
    half = 0.5 * width[:, None]
    mid = hB[:, None] - half
    x = mid + half * _NODES
    w = half * _WEIGHTS * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    lin = 1.0 - sigma[:, None] * x
    pdf = np.exp(-0.5 * (slope[:, None] * x) ** 2) / np.sqrt(2.0 * np.pi)
    P = 0.5 * eps[:, None] + (1.0 - eps[:, None]) * ndtr(slope[:, None] * x)
    return np.sum(w * pdf * lin, axis=1), np.sum(w * P, axis=1), np.sum(w * P * lin * lin, axis=1)


def _middle(hB, width, sigma, slope, eps):
    """``(int phi phi(slope x)(1 - sigma x), int P phi, int P phi (1 - sigma x)^2)`` over ``[hB - width, hB]``.

    Differences of truncated moments cancel when the interval is thin (``V -> 0``: large
    ``alpha`` at finite width, large ``lambda``): there Gauss-Legendre quadrature is used, on
    the width ``V/sigma`` itself (``hB - hA`` formed from ``hA = (1 - V)/sigma`` would lose it).
    """
    hB, width, sigma, slope, eps = np.broadcast_arrays(hB, width, sigma, slope, np.asarray(eps, dtype=float))
    hA = hB - width
    out = [np.array(v, dtype=float, copy=True) for v in _middle_closed(hA, hB, sigma, slope, eps)]
    with np.errstate(invalid="ignore"):
        thin = np.isfinite(hA) & (width * (1.0 + np.abs(hB) + np.abs(hA) + slope) < _THIN)
    if thin.any():
        quad = _middle_quadrature(hB[thin], width[thin], sigma[thin], slope[thin], eps[thin])
        for k in range(3):
            out[k][thin] = quad[k]
    return out


def hinge_channel(q, s2, W, r, alpha, eps):
    """Rescaled conjugates ``(M, Q, U)`` for the hinge loss (exact, THEORY §5).

    With ``u = y omega`` the rescaled output function is ``1/r`` for ``u < 1 - V``,
    ``(1 - u)/W`` for ``1 - V <= u <= 1`` and ``0`` above; the sums over ``y = +-1`` are
    equal by symmetry. In units ``x = omega/sigma`` the kinks are at ``hA = (1 - V)/sigma``
    and ``hB = 1/sigma``.
    """
    sigma, s, _, slope = angle_terms(q, s2)
    inv_r = _inverse(r)
    hB = 1.0 / sigma
    width = np.where(r > 0, W * inv_r / sigma, np.inf)  # V/sigma
    hA = hB - width
    pdf1, PB0, PB2 = _middle(hB, width, sigma, slope, eps)

    # M: int phi(x) phi(slope x) f_out; below the kink f_out = 1/r (rescaled)
    L0A, _ = gauss_pdf_moments(hA, slope)
    piece_a = np.where(r > 0, L0A * inv_r, 0.0)
    M = 2.0 * alpha * (1.0 - eps) / s * (piece_a + pdf1 / W)

    # P(y | x) = eps/2 + (1 - eps) Phi(slope x)
    G0A, _, _ = gauss_moments(hA)
    PA = 0.5 * eps * G0A + (1.0 - eps) * gauss_phi_cdf(hA, slope)
    Q = 2.0 * alpha * (np.where(r > 0, PA * inv_r**2, 0.0) + PB2 / W**2)
    U = 2.0 * alpha * PB0 / W
    return M, Q, U


from .logistic import logistic_channel  # noqa: E402  (logistic.py imports this module lazily)

CHANNELS = {"square": square_channel, "hinge": hinge_channel, "logistic": logistic_channel}


def training_errors(s2, margin):
    """Training errors ``(e_mem, e_train_rule)`` from ``s2`` and ``margin = V/sqrt(q)`` (THEORY §5).

    A training sample is misclassified iff ``y omega < -V`` for both losses. For a fact ``y``
    is independent of ``omega``: ``E_mem = Phi(-V/sqrt q)``. For a rule sample
    ``y = sign(z)``: ``2 P(omega < -V, z > 0) = 2 int_{-inf}^{-margin} phi(x) Phi(slope x) dx``.
    ``margin = inf`` (``V = inf``, or ``q = 0``) gives ``0`` for both.
    """
    _, _, _, slope = angle_terms(1.0, s2)
    h = -np.asarray(margin, dtype=float)
    finite = np.isfinite(h)
    e_mem = np.where(finite, ndtr(np.where(finite, h, 0.0)), 0.0)
    e_rule = 2.0 * gauss_phi_cdf(h, slope)
    return e_mem, np.maximum(e_rule, 0.0)  # clip rounding (~1e-17) of Owen's T difference
