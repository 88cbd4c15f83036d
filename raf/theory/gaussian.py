"""Truncated Gaussian moments used by the channel side (THEORY §5, hinge loss).

For ``x ~ N(0, 1)`` and a slope ``a`` these are the closed forms of

* ``gauss_phi_moments``:  ``int_{-inf}^h x^k phi(x) Phi(a x) dx``  (k = 0, 1, 2),
* ``gauss_pdf_moments``:  ``int_{-inf}^h x^k phi(x) phi(a x) dx``  (k = 0, 1),
* ``gauss_moments``:      ``int_{-inf}^h x^k phi(x) dx``           (k = 0, 1, 2).

The first uses Owen's T function, ``int_{-inf}^h phi(x) Phi(a x) dx = Phi(h)/2 - T(h, a)``;
the others follow by integrating by parts. They make the hinge channel exact (no
quadrature) and cheap enough to vectorise over whole parameter grids. Every function
accepts ``h = -inf`` and broadcasts.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, owens_t

_SQRT2PI = np.sqrt(2.0 * np.pi)


def _phi(x):
    return np.exp(-0.5 * x * x) / _SQRT2PI


def gauss_moments(h):
    """``(M0, M1, M2)`` with ``Mk = int_{-inf}^h x^k phi(x) dx``."""
    h = np.asarray(h, dtype=float)
    ph = _phi(h)
    with np.errstate(invalid="ignore"):
        hph = np.where(np.isfinite(h), h * ph, 0.0)
    c = ndtr(h)
    return c, -ph, c - hph


def gauss_pdf_moments(h, a):
    """``(L0, L1)`` with ``Lk = int_{-inf}^h x^k phi(x) phi(a x) dx``."""
    h = np.asarray(h, dtype=float)
    b2 = 1.0 + a * a
    b = np.sqrt(b2)
    L0 = ndtr(h * b) / (_SQRT2PI * b)
    L1 = -np.exp(-0.5 * b2 * h * h) / (2.0 * np.pi * b2)
    return L0, L1


def gauss_phi_cdf(h, a):
    """``I0 = int_{-inf}^h phi(x) Phi(a x) dx = Phi(h)/2 - T(h, a)`` alone (cheaper)."""
    h = np.asarray(h, dtype=float)
    finite = np.isfinite(h)
    hf = np.where(finite, h, 0.0)
    return np.where(finite, 0.5 * ndtr(hf) - owens_t(hf, a), 0.0)


def gauss_phi_moments(h, a):
    """``(I0, I1, I2)`` with ``Ik = int_{-inf}^h x^k phi(x) Phi(a x) dx`` (Owen's T)."""
    h = np.asarray(h, dtype=float)
    finite = np.isfinite(h)
    hf = np.where(finite, h, 0.0)
    I0 = np.where(finite, 0.5 * ndtr(hf) - owens_t(hf, a), 0.0)
    b2 = 1.0 + a * a
    ph_Phi = _phi(hf) * ndtr(a * hf)
    I1 = np.where(finite, -ph_Phi + a / np.sqrt(b2) / _SQRT2PI * ndtr(hf * np.sqrt(b2)), 0.0)
    I2 = np.where(
        finite,
        -hf * ph_Phi + I0 - a / (2.0 * np.pi * b2) * np.exp(-0.5 * b2 * hf * hf),
        0.0,
    )
    return I0, I1, I2
