"""Regularisation (prior) side of the ERM state equations (THEORY §5, §6).

Each prior maps the rescaled conjugates ``(M, Q, U)`` of :mod:`raf.theory.channels`
back to the student-field order parameters ``(m, q, W = r V)``. ``rho`` and ``tau``
carry the scale: ``rho = 1, tau = mustar**2`` in the rescaled system (``r = lambda``)
and ``rho = lambda, tau = mustar**2/lambda`` in the plain one (``r = 1``).
"""

from __future__ import annotations

import numpy as np


def kernel_prior(M, Q, U, *, mu1, rho, tau):
    """Kernel limit (and linear model, ``mu1=1, mustar=0``), THEORY §5.

    ``m = mu1^2 M/(rho + mu1^2 U)``, ``q = mu1^4 (M^2+Q)/(rho + mu1^2 U)^2``,
    ``W = mu1^2/(rho + mu1^2 U) + tau``.
    """
    mu1sq = mu1 * mu1
    den = rho + mu1sq * U
    return mu1sq * M / den, mu1sq**2 * (M * M + Q) / den**2, mu1sq / den + tau


def random_features_prior(M, Q, U, *, mu1, mustar, kappa, rho):
    """Random features of width ratio ``kappa`` (THEORY §6, Marchenko–Pastur).

    ``(M, Q, U)`` must come from the channel evaluated at ``alpha/kappa``. The
    equations of THEORY §6 are homogeneous in ``lambda``: in rescaled units
    ``lambda`` is replaced by ``rho``.
    """
    gam = 1.0 / kappa
    Ms, Qs, Us = mu1 * kappa * M, mu1**2 * kappa * Q, mu1**2 * kappa * U
    Qw, Uw = mustar**2 * Q, mustar**2 * U
    lw = rho + Uw
    # THEORY §6 with z = lw/Us and Delta = D/Us, every difference of nearly equal
    # terms rationalised, so that the formulas stay finite as U_hat -> 0 (large lambda).
    A1 = lw + (1.0 + gam) * Us
    D = np.sqrt(np.maximum(A1 * A1 - 4.0 * gam * Us * Us, 0.0))
    Vs = 2.0 / (A1 + D)
    Vw = 2.0 / (lw + D - (1.0 - gam) * Us)
    A = Ms * Ms + Qs
    B = 2.0 * lw + (gam + 1.0) * Us
    C = 2.0 * lw**2 + 3.0 * (gam + 1.0) * lw * Us + (gam - 1.0) ** 2 * Us**2
    qs = 2.0 * A * (Us * (gam - 1.0) ** 2 + 2.0 * (gam + 1.0) * lw) / ((B * D + C) * D) + 2.0 * Qw / (
        (D + A1) * D
    )
    E = (gam + 1.0) * lw + (gam - 1.0) ** 2 * Us
    F = 1.0 - gam
    n3U = np.where(F >= 0, E + F * D, 4.0 * gam * lw**2 / (E - F * D))
    qw = Qw * n3U / (2.0 * lw**2 * D) + 2.0 * gam * A / ((D + A1) * D)
    m = mu1 * Ms * Vs
    q = mu1**2 * qs + mustar**2 * qw
    W = mu1**2 * Vs + mustar**2 * Vw
    return m, q, W
