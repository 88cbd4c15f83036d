"""Interpolation thresholds of the ridgeless linear model (THEORY §5, "Ridgeless limit")."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from .._validation import Choice, Interval, validated
from .channels import LOSSES

__all__ = ["alpha_c", "alpha_interpolation"]

# Gauss–Legendre nodes for E over |Z| (half-normal) on [0, 12]
_x, _w = np.polynomial.legendre.leggauss(200)
_Z = 6.0 * (_x + 1.0)
_WZ = 6.0 * _w * 2.0 * np.exp(-0.5 * _Z**2) / np.sqrt(2.0 * np.pi)


def _psi(c):  # E[(G - c)_+]
    return np.exp(-0.5 * c * c) / np.sqrt(2 * np.pi) - c * ndtr(-c)


def _g(c):  # E[(G - c)_+^2]
    return (1.0 + c * c) * ndtr(-c) - c * np.exp(-0.5 * c * c) / np.sqrt(2 * np.pi)


def _objective(t, eps):
    p = 1.0 - 0.5 * eps
    return np.sum(_WZ * (p * _g(t * _Z) + (1 - p) * _g(-t * _Z)))


def _slope(t, eps):
    p = 1.0 - 0.5 * eps
    return -2.0 * np.sum(_WZ * _Z * (p * _psi(t * _Z) - (1 - p) * _psi(-t * _Z)))


def _alpha_c_scalar(eps):
    if eps == 0.0:
        return np.inf
    if _slope(0.0, eps) >= 0.0:
        return 1.0 / _objective(0.0, eps)
    hi = 1.0
    while _slope(hi, eps) < 0.0:
        hi *= 2.0
        if hi > 1e8:
            return np.inf
    t = brentq(_slope, 0.0, hi, args=(eps,), xtol=1e-14, rtol=1e-14)
    return 1.0 / _objective(t, eps)


@validated(eps=Interval(0.0, 1.0))
def alpha_c(eps):
    """Linear separability threshold of RAF data (hinge, ``lambda -> 0``).

    ``1/alpha_c = min_{t >= 0} E[(G - t S |Z|)_+^2]`` with ``S = +1`` w.p. ``1 - eps/2``
    (THEORY §5). ``alpha_c(1) = 2`` (Cover, Gardner) and ``alpha_c -> inf`` as ``eps -> 0``.
    """
    out = np.vectorize(_alpha_c_scalar, otypes=[float])(eps)
    return out if out.ndim else float(out)


@validated(loss=Choice(LOSSES), eps=Interval(0.0, 1.0))
def alpha_interpolation(loss, eps):
    """Sample complexity below which the ridgeless *linear* model interpolates (THEORY §5).

    Square loss: ``1`` for every ``eps``; hinge: :func:`alpha_c`.
    """
    if loss == "square":
        return np.ones_like(eps)
    return alpha_c.__wrapped__(eps)
