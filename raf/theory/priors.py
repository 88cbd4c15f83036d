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
    z = lw / Us
    delta = np.sqrt((1.0 + gam + z) ** 2 - 4.0 * gam)
    Vs = (z + 1.0 + gam - delta) / (2.0 * gam * Us)
    ms = Ms * Vs
    Vw = (1.0 - gam - z + delta) / (2.0 * lw)
    n1 = (2 * z + gam + 1) * delta - 2 * z * z - 3 * (gam + 1) * z - (gam - 1) ** 2
    n2 = z * delta - z * z - (gam + 1) * z
    n3 = (1 - gam) * delta + (gam + 1) * z + (gam - 1) ** 2
    A = Ms * Ms + Qs
    qs = A * n1 / (2 * gam * Us**2 * delta) - Qw * n2 / (2 * gam * Us * lw * delta)
    qw = Qw * n3 / (2 * lw**2 * delta) - A * n2 / (2 * Us * lw * delta)
    m = mu1 * ms
    q = mu1**2 * qs + mustar**2 * qw
    W = mu1**2 * Vs + mustar**2 * Vw
    return m, q, W
