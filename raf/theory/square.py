"""Closed forms of the square loss (kernel ridge regression), THEORY §5 "Square loss".

All functions broadcast over their array arguments.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfc

from .._validation import check_range

__all__ = [
    "square_fixed_point",
    "lambda_opt_square",
    "theta_star",
    "large_alpha_coefficient",
    "square_large_lambda",
]


def _a(eps):
    return (1.0 - eps) * np.sqrt(2.0 / np.pi)


def square_fixed_point(alpha, eps, lam, mu1, *, r, rho, tau):
    """Exact solution ``(m, q, W)`` of the square-loss state equations.

    ``W = r V`` solves ``(W - tau)(rho (r + W) + mu1^2 alpha) = mu1^2 (r + W)``, which is
    THEORY's quadratic for ``V`` multiplied by ``r`` (``r = lambda, rho = 1,
    tau = mustar^2`` in the rescaled system; ``r = 1, rho = lambda, tau = mustar^2/lambda``
    in the plain one). Then ``D = lambda + rho W + mu1^2 alpha``,
    ``m = mu1^2 alpha a / D`` and ``q = mu1^4 alpha (alpha a^2 + 1 - 2 a m)/(D^2 - mu1^4 alpha)``.
    """
    mu1sq = mu1 * mu1
    A = rho
    B = rho * r + mu1sq * alpha - rho * tau - mu1sq
    C = -(tau * (rho * r + mu1sq * alpha) + mu1sq * r)
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = np.sqrt(B * B - 4.0 * A * C)
        W_quad = np.where(B > 0, -2.0 * C / (B + disc), (-B + disc) / (2.0 * np.where(A > 0, A, 1.0)))
        W_lin = -C / B  # rho == 0 (plain system at lambda = 0)
    W = np.where(A > 0, W_quad, W_lin)
    a = _a(eps)
    D = lam + rho * W + mu1sq * alpha
    with np.errstate(divide="ignore", invalid="ignore"):  # alpha = 1 exactly at lambda = 0: q = inf
        m = mu1sq * alpha * a / D
        q = mu1sq**2 * alpha * (alpha * a * a + 1.0 - 2.0 * a * m) / (D * D - mu1sq**2 * alpha)
    return m, q, W


def lambda_opt_square(eps, mu1=1.0, mustar=0.0):
    """Optimal ridge of KRR, ``max(0, mu1^2 (pi/(2(1-eps)^2) - 1) - mustar^2)`` (THEORY §5).

    Independent of ``alpha``. Infinite at ``eps = 1`` (no rule to learn).
    """
    eps = check_range("eps", eps, 0.0, 1.0)
    mu1 = check_range("mu1", mu1, 0.0)
    mustar = check_range("mustar", mustar, 0.0)
    with np.errstate(divide="ignore"):
        t2 = np.pi / (2.0 * (1.0 - eps) ** 2) - 1.0
    return np.maximum(0.0, mu1**2 * t2 - mustar**2)


def theta_star(eps):
    """Critical kernel angle, ``tan^2 theta* = pi/(2(1-eps)^2) - 1`` (THEORY §5)."""
    eps = check_range("eps", eps, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return np.arctan(np.sqrt(np.pi / (2.0 * (1.0 - eps) ** 2) - 1.0))


def large_alpha_coefficient(eps):
    """Universal coefficient ``c`` of ``E_gen ~ c / sqrt(alpha)`` for KRR, ``tan(theta*)/pi``."""
    eps = check_range("eps", eps, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return np.sqrt(np.pi / (2.0 * (1.0 - eps) ** 2) - 1.0) / np.pi


def square_large_lambda(alpha, eps, mu1=1.0, mustar=0.0):
    """``lambda -> inf`` limit of KRR, returns ``(e_gen, e_mem)`` (THEORY §5).

    ``m/sqrt(q) -> a/sqrt(a^2 + 1/alpha)`` and
    ``E_mem -> erfc((mu1^2 + mustar^2)/(mu1^2 sqrt(2 alpha (1 + alpha a^2))))/2``.
    """
    alpha = check_range("alpha", alpha, 0.0, low_open=True)
    eps = check_range("eps", eps, 0.0, 1.0)
    mu1 = check_range("mu1", mu1, 0.0, low_open=True)
    mustar = check_range("mustar", mustar, 0.0)
    a = _a(eps)
    e_gen = np.arccos(a / np.sqrt(a * a + 1.0 / alpha)) / np.pi
    e_mem = 0.5 * erfc((mu1**2 + mustar**2) / (mu1**2 * np.sqrt(2.0 * alpha * (1.0 + alpha * a * a))))
    return e_gen, e_mem
