"""Regularisation (prior) side of the ERM state equations (THEORY §5, §6).

Each prior maps the rescaled conjugates ``(M, Q, U)`` of :mod:`raf.theory.channels` back to
the student-field state ``(q, s2, W = r V)``, with ``s2 = 1 - m**2/q``. ``lam_r`` and ``tau``
carry the scale ``r``: the prior's ridge in rescaled units is ``lam_r = lambda/r`` and
``tau = mustar**2/lam_r``. So ``lam_r = 1, tau = mustar**2`` in the rescaled system
(``r = lambda``) and ``lam_r = lambda, tau = mustar**2/lambda`` in the plain one (``r = 1``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["kernel_prior", "random_features_prior"]


def kernel_prior(M, Q, U, *, mu1, lam_r, tau):
    """Kernel limit (and linear model, ``mu1=1, mustar=0``), THEORY §5.

    ``m = mu1^2 M/(lam_r + mu1^2 U)``, ``q = mu1^4 (M^2+Q)/(lam_r + mu1^2 U)^2``,
    ``W = mu1^2/(lam_r + mu1^2 U) + tau``; hence ``s2 = 1 - m^2/q = Q/(M^2 + Q)`` exactly
    (independent of ``mu1``: no cancellation). Returns ``(q, s2, W, m)``.
    """
    mu1sq = mu1 * mu1
    den = lam_r + mu1sq * U
    return (mu1sq**2 * (M * M + Q) / den**2, Q / (M * M + Q), mu1sq / den + tau, mu1sq * M / den)


def random_features_prior(M, Q, U, *, mu1, mustar, kappa, lam_r):
    """Random features of width ratio ``kappa`` (THEORY §6, Marchenko–Pastur).

    ``(M, Q, U)`` must come from the channel evaluated at ``alpha/kappa``. The equations of
    THEORY §6 are homogeneous in ``lambda``: in rescaled units ``lambda`` becomes ``lam_r``.
    ``inv_kappa = 1/kappa`` is THEORY's ``gamma``. Returns ``(q, s2, W, m)``.
    """
    inv_kappa = 1.0 / kappa
    Ms, Qs, Us = mu1 * kappa * M, mu1**2 * kappa * Q, mu1**2 * kappa * U
    Qw, Uw = mustar**2 * Q, mustar**2 * U
    lw = lam_r + Uw
    # THEORY §6 with z = lw/Us and Delta = D/Us, every difference of nearly equal
    # terms rationalised, so that the formulas stay finite as U_hat -> 0 (large lambda).
    A1 = lw + (1.0 + inv_kappa) * Us
    # D^2 = A1^2 - 4 inv_kappa Us^2, written as a sum of positive terms
    D = np.sqrt(lw * lw + 2.0 * (1.0 + inv_kappa) * lw * Us + (1.0 - inv_kappa) ** 2 * Us * Us)
    Vs = 2.0 / (A1 + D)
    # D - (1 - inv_kappa) Us cancels for kappa > 1 and large Us (large alpha): rationalised
    F = 1.0 - inv_kappa
    excess = np.where(F > 0, lw * (lw + 2.0 * (1.0 + inv_kappa) * Us) / (D + F * Us), D - F * Us)
    Vw = 2.0 / (lw + excess)
    A = Ms * Ms + Qs
    B = 2.0 * lw + (inv_kappa + 1.0) * Us
    C = 2.0 * lw**2 + 3.0 * (inv_kappa + 1.0) * lw * Us + (inv_kappa - 1.0) ** 2 * Us**2
    qs = 2.0 * A * (Us * (inv_kappa - 1.0) ** 2 + 2.0 * (inv_kappa + 1.0) * lw) / ((B * D + C) * D) + (
        2.0 * Qw / ((D + A1) * D))
    E = (inv_kappa + 1.0) * lw + (inv_kappa - 1.0) ** 2 * Us
    n3U = np.where(F >= 0, E + F * D, 4.0 * inv_kappa * lw**2 / (E - F * D))
    qw = Qw * n3U / (2.0 * lw**2 * D) + 2.0 * inv_kappa * A / ((D + A1) * D)
    m = mu1 * Ms * Vs
    q = mu1**2 * qs + mustar**2 * qw
    W = mu1**2 * Vs + mustar**2 * Vw
    # finite width keeps s2 away from 0 (E_gen has a positive plateau), so 1 - m^2/q is accurate
    return q, np.clip(1.0 - m * m / q, 0.0, 1.0), W, m
