"""Closed forms of the square loss (kernel ridge regression), THEORY §5 "Square loss".

All functions broadcast over their array arguments.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfc

from .._validation import Interval, validated
from .channels import a_eps

__all__ = [
    "square_fixed_point",
    "lambda_opt_square",
    "theta_star",
    "large_alpha_coefficient",
    "square_large_lambda",
]

_NONNEG = Interval(0.0, np.inf)
_EPS = Interval(0.0, 1.0)


def _response(alpha, mu1sq, *, r, lam_r, tau):
    """``W = r V``: the positive root of ``(W - tau)(lam_r (r + W) + mu1^2 alpha) = mu1^2 (r + W)``.

    This is THEORY's quadratic for ``V`` multiplied by ``r``. The coefficients are divided by
    their largest size first, so that no square overflows at any ``lambda``.
    """
    A = lam_r
    B = lam_r * r + mu1sq * alpha - lam_r * tau - mu1sq
    C = -(tau * (lam_r * r + mu1sq * alpha) + mu1sq * r)
    scale = np.maximum(np.maximum(np.abs(B), np.abs(C)), 1.0)
    A, B, C = A / scale, B / scale, C / scale
    disc = np.sqrt(B * B - 4.0 * A * C)
    quad = np.where(B > 0, -2.0 * C / (B + disc), (-B + disc) / (2.0 * np.where(A > 0, A, 1.0)))
    return np.where(A > 0, quad, -C / B)  # A = 0: the plain system at lambda = 0


def square_fixed_point(alpha, eps, lam, mu1, *, r, lam_r, tau):
    """Exact solution of the square-loss state equations (THEORY §5), without overflow.

    ``(r, lam_r, tau) = (lambda, 1, mustar^2)`` is the rescaled system, ``(1, lambda,
    mustar^2/lambda)`` the plain one. With ``W = r V`` from the quadratic of THEORY,
    ``D = lambda + lam_r W + mu1^2 alpha``, ``m = mu1^2 alpha a_eps / D`` and
    ``q = mu1^4 alpha (alpha a_eps^2 + 1 - 2 a_eps m)/(D^2 - mu1^4 alpha)``. The errors need
    only ``s2 = 1 - m^2/q = X/(alpha a_eps^2 + X)`` with ``X = 1 + q - 2 a_eps m`` (no
    cancellation) and ``margin = V/sqrt(q)``, both formed without ``D^2`` so that they stay
    exact at any ``lambda`` (``q`` itself underflows beyond ``lambda ~ 1e150``).

    Returns
    -------
    q, s2, W, margin, m : ndarrays
        ``margin = inf`` where ``V = inf`` (``r = 0``).
    """
    mu1sq = mu1 * mu1
    a = a_eps(eps)
    W = _response(alpha, mu1sq, r=r, lam_r=lam_r, tau=tau)
    D = lam + np.where(lam_r > 0, lam_r * W, 0.0) + mu1sq * alpha  # W = inf at the threshold
    m = mu1sq * alpha * a / D
    ratio = mu1sq * np.sqrt(alpha) / D  # mu1^2 sqrt(alpha)/D, so mu1^4 alpha/D^2 = ratio^2
    shrink = 1.0 - ratio * ratio
    signal = alpha * a * a + 1.0 - 2.0 * a * m
    q = (mu1sq / D) ** 2 * alpha * signal / shrink
    s2 = (1.0 + q - 2.0 * a * m) / (alpha * a * a + 1.0 + q - 2.0 * a * m)
    pos = r > 0
    D_over_r = np.where(pos, D / np.where(pos, r, 1.0), np.inf)
    margin = W * D_over_r * np.sqrt(shrink) / (mu1sq * np.sqrt(alpha * signal))
    return q, s2, W, margin, m


@validated(eps=_EPS, mu1=_NONNEG, mustar=_NONNEG)
def lambda_opt_square(eps, mu1=1.0, mustar=0.0):
    """Optimal ridge of KRR, ``max(0, mu1^2 (pi/(2(1-eps)^2) - 1) - mustar^2)`` (THEORY §5).

    Independent of ``alpha``. Infinite at ``eps = 1`` (no rule to learn).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        t2 = np.pi / (2.0 * (1.0 - eps) ** 2) - 1.0
        return np.where(mu1 > 0, np.maximum(0.0, mu1**2 * t2 - mustar**2), 0.0)


@validated(eps=_EPS)
def theta_star(eps):
    """Critical kernel angle, ``tan^2 theta* = pi/(2(1-eps)^2) - 1`` (THEORY §5)."""
    with np.errstate(divide="ignore"):
        return np.arctan(np.sqrt(np.pi / (2.0 * (1.0 - eps) ** 2) - 1.0))


@validated(eps=_EPS)
def large_alpha_coefficient(eps):
    """Universal coefficient ``c`` of ``E_gen ~ c / sqrt(alpha)`` for KRR, ``tan(theta*)/pi``."""
    with np.errstate(divide="ignore"):
        return np.sqrt(np.pi / (2.0 * (1.0 - eps) ** 2) - 1.0) / np.pi


@validated(alpha=Interval(0.0, np.inf, low_open=True), eps=_EPS, mu1=_NONNEG, mustar=_NONNEG)
def square_large_lambda(alpha, eps, mu1=1.0, mustar=0.0):
    """``lambda -> inf`` limit of KRR (and of the SVM), returns ``(e_gen, e_mem)`` (THEORY §5).

    ``m/sqrt(q) -> a_eps/sqrt(a_eps^2 + 1/alpha)``, i.e. ``E_gen -> arctan(1/(a_eps sqrt alpha))/pi``, and
    ``E_mem -> erfc((mu1^2 + mustar^2)/(mu1^2 sqrt(2 alpha (1 + alpha a_eps^2))))/2``.
    A kernel without linear part (``mu1 = 0``) gives ``E_gen = 1/2`` and ``E_mem = 0``
    (see :func:`raf.theory.erm`).
    """
    if np.any(mu1 * mu1 + mustar * mustar == 0):
        raise ValueError("The 'mu1' and 'mustar' parameters must not both be 0 (the kernel would vanish).")
    a = a_eps(eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_gen = np.where(mu1 > 0, np.arctan(1.0 / (a * np.sqrt(alpha))) / np.pi, 0.5)
        e_mem = 0.5 * erfc((mu1**2 + mustar**2) / (mu1**2 * np.sqrt(2.0 * alpha * (1.0 + alpha * a * a))))
    return e_gen, e_mem
