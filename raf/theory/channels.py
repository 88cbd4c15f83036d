"""Loss (channel) side of the ERM state equations (THEORY §5).

Given the student-field order parameters ``(m, q, V)`` each channel returns the
conjugates ``(m_hat, q_hat, V_hat)``. To treat the ridgeless limit and finite
``lambda`` with one code path the conjugates are returned *rescaled* by a scale
``r`` (THEORY §5, "Ridgeless limit"):

    V = W / r,   M = m_hat / r,   Q = q_hat / r**2,   U = V_hat / r .

With ``r = lambda`` this is the rescaled system (finite as ``lambda -> 0`` whenever
the learner interpolates); with ``r = 1`` it is the plain system. ``r = 0`` is the
ridgeless limit itself (``V = inf``).

Both channels are exact closed forms: the hinge integrals are truncated Gaussian
moments (:mod:`raf.theory.gaussian`), split at the kinks ``y omega = 1 - V`` and
``y omega = 1``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from .gaussian import gauss_moments, gauss_pdf_moments, gauss_phi_cdf, gauss_phi_moments

_A_SQ = np.sqrt(2.0 / np.pi)
LOSSES = ("square", "hinge", "logistic")


def _angle_terms(m, q):
    """Return ``sigma = sqrt(q)``, ``s = sqrt(1 - m^2/q)`` and slope ``a = rho/s``."""
    sigma = np.sqrt(q)
    rho = np.clip(m / sigma, -1.0 + 1e-15, 1.0 - 1e-15)
    s = np.sqrt(1.0 - rho * rho)
    return sigma, s, rho / s


def square_channel(m, q, W, r, alpha, eps):
    """Rescaled conjugates ``(M, Q, U)`` for the square loss (closed form, THEORY §5)."""
    a = (1.0 - eps) * _A_SQ
    g = r + W
    return alpha * a / g, alpha * (1.0 + q - 2.0 * a * m) / g**2, alpha / g


def hinge_channel(m, q, W, r, alpha, eps):
    """Rescaled conjugates ``(M, Q, U)`` for the hinge loss (exact, THEORY §5).

    With ``u = y omega`` the rescaled output function is ``1/r`` for ``u < 1 - V``,
    ``(1 - u)/W`` for ``1 - V <= u <= 1`` and ``0`` above; the two outer sums over
    ``y = +-1`` are equal by symmetry.
    """
    sigma, s, a = _angle_terms(m, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        hA = np.where(r > 0, (1.0 - W / np.where(r > 0, r, 1.0)) / sigma, -np.inf)
    hB = 1.0 / sigma
    inv_r = np.where(r > 0, 1.0 / np.where(r > 0, r, 1.0), 0.0)

    # pdf moments: int phi(x) phi(a x) (1 - sigma x)^k
    L0A, _ = gauss_pdf_moments(hA, a)
    L0B, L1B = gauss_pdf_moments(hB, a)
    _, L1A = gauss_pdf_moments(hA, a)
    pieceA_M = np.where(r > 0, L0A * inv_r, 0.0)
    pieceB_M = ((L0B - L0A) - sigma * (L1B - L1A)) / W
    M = 2.0 * alpha * (1.0 - eps) / s * (pieceA_M + pieceB_M)

    # P(u) = eps/2 + (1 - eps) Phi(a x)
    G0A, G1A, G2A = gauss_moments(hA)
    G0B, G1B, G2B = gauss_moments(hB)
    I0A, I1A, I2A = gauss_phi_moments(hA, a)
    I0B, I1B, I2B = gauss_phi_moments(hB, a)
    half = 0.5 * eps
    PA = half * G0A + (1.0 - eps) * I0A
    PB0 = half * (G0B - G0A) + (1.0 - eps) * (I0B - I0A)
    PB2 = half * ((G0B - G0A) - 2 * sigma * (G1B - G1A) + sigma**2 * (G2B - G2A)) + (
        1.0 - eps
    ) * ((I0B - I0A) - 2 * sigma * (I1B - I1A) + sigma**2 * (I2B - I2A))
    Q = 2.0 * alpha * (np.where(r > 0, PA * inv_r**2, 0.0) + PB2 / W**2)
    U = 2.0 * alpha * PB0 / W
    return M, Q, U


from .logistic import logistic_channel  # noqa: E402  (logistic.py imports this module lazily)

CHANNELS = {"square": square_channel, "hinge": hinge_channel, "logistic": logistic_channel}


def training_errors(m, q, W, r, eps):
    """Training errors ``(e_mem, e_train_rule)`` at a fixed point (THEORY §5, Errors).

    A training sample is misclassified iff ``y omega < -V`` for both losses. For a fact
    ``y`` is independent of ``omega``: ``E_mem = Phi(-V/sqrt q) = erfc(V/sqrt(2q))/2``.
    For a rule sample ``y = sign(z)``: ``2 P(omega < -V, z > 0)``.
    """
    sigma, _, a = _angle_terms(m, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(r > 0, -(W / np.where(r > 0, r, 1.0)) / sigma, -np.inf)
    e_mem = np.where(np.isfinite(h), ndtr(np.where(np.isfinite(h), h, 0.0)), 0.0)
    I0 = gauss_phi_cdf(h, a)
    return e_mem, np.maximum(2.0 * I0, 0.0)  # clip rounding (~1e-17) of Owen's T difference
