"""Truncated Gaussian moments used by the channel side (THEORY §5, hinge loss).

For ``x ~ N(0, 1)`` and a slope ``a`` these are the closed forms of

* ``gauss_phi_moments``:  ``int_{-inf}^h x^k phi(x) Phi(a x) dx``  (k = 0, 1, 2),
* ``gauss_pdf_moments``:  ``int_{-inf}^h x^k phi(x) phi(a x) dx``  (k = 0, 1),
* ``gauss_moments``:      ``int_{-inf}^h x^k phi(x) dx``           (k = 0, 1, 2).

The first uses Owen's T function, ``int_{-inf}^h phi(x) Phi(a x) dx = Phi(h)/2 - T(h, a)``;
the others follow by integrating by parts. They make the hinge channel exact and cheap
enough to vectorise over whole parameter grids. Every function accepts ``h = -inf`` and
broadcasts.

For a steep slope (``a > 8``: a student almost aligned with the teacher, large ``alpha``) the
integration-by-parts forms of ``int x^k phi Phi(a x)`` cancel (``k = 2`` loses ``~a^2`` of
the precision: 1e-8 relative at ``a = 600``). There ``Phi(a x)`` is split into the step
``1{x > 0}``, integrated in closed form (error and incomplete gamma functions), and the
narrow remainder ``Phi(a x) - 1{x > 0}`` (width ``1/a``), integrated by Gauss-Legendre
quadrature in ``t = a x`` on ``|t| <= 12`` (beyond, it is below ``Phi(-12) = 2e-33``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf, gammainc, ndtr, owens_t

_SQRT2PI = np.sqrt(2.0 * np.pi)
_STEEP = 8.0  # slopes above this use the split form
_T_MAX = 12.0
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(40)


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


def _legendre(lo, hi):
    """Gauss-Legendre nodes and weights on ``[lo, hi]`` (arrays, a trailing axis of nodes)."""
    mid = 0.5 * (lo + hi)[..., None]
    half = 0.5 * (hi - lo)[..., None]
    return mid + half * _NODES, half * _WEIGHTS


def _steep_moments(h, a):
    """``(I0, I1, I2)`` for ``a >= 1`` by the split ``Phi(a x) = 1{x > 0} + c(x)`` (module docstring)."""
    hp = np.maximum(h, 0.0)
    step = (0.5 * erf(hp / np.sqrt(2.0)),  # int_0^h x^k phi, k = 0, 1, 2
            -np.expm1(-0.5 * hp * hp) / _SQRT2PI,
            0.5 * gammainc(1.5, 0.5 * hp * hp))
    ah = np.where(np.isfinite(h), a * h, np.sign(h) * 2.0 * _T_MAX)
    zero = np.zeros_like(ah)
    rest = [zero, zero, zero]
    # c(x) = Phi(a x) for x < 0 and -Phi(-a x) for x > 0; x = t/a
    for lo, hi, sign in ((zero - _T_MAX, np.clip(ah, -_T_MAX, 0.0), 1.0), (zero, np.clip(ah, 0.0, _T_MAX), -1.0)):
        t, w = _legendre(lo, hi)
        base = sign * w * np.exp(-0.5 * (t / a[..., None]) ** 2) / _SQRT2PI * ndtr(sign * t)
        rest = [rest[k] + np.sum(base * t**k, axis=-1) for k in range(3)]
    return tuple(step[k] + rest[k] / a ** (k + 1) for k in range(3))


def _phi_moments(h, a, kmax):
    h, a = np.broadcast_arrays(np.asarray(h, dtype=float), np.asarray(a, dtype=float))
    finite = np.isfinite(h)
    top = h == np.inf  # the integrals over the whole line: 1/2, a/(sqrt(2 pi) b), 1/2
    hf = np.where(finite, h, 0.0)
    b2 = 1.0 + a * a
    I0 = np.where(finite, 0.5 * ndtr(hf) - owens_t(hf, a), np.where(top, 0.5, 0.0))
    out = [I0]
    if kmax >= 1:
        ph_Phi = _phi(hf) * ndtr(a * hf)
        full1 = a / np.sqrt(b2) / _SQRT2PI
        out.append(np.where(finite, -ph_Phi + full1 * ndtr(hf * np.sqrt(b2)), np.where(top, full1, 0.0)))
        out.append(np.where(finite, -hf * ph_Phi + I0 - a / (2.0 * np.pi * b2) * np.exp(-0.5 * b2 * hf * hf),
                            np.where(top, 0.5, 0.0)))
    steep = a > _STEEP
    if steep.any():
        split = _steep_moments(h[steep], a[steep])
        for k in range(len(out)):
            out[k] = np.array(out[k], dtype=float, copy=True)
            out[k][steep] = split[k]
    return out


def gauss_phi_cdf(h, a):
    """``I0 = int_{-inf}^h phi(x) Phi(a x) dx = Phi(h)/2 - T(h, a)`` alone (cheaper)."""
    return _phi_moments(h, a, 0)[0]


def gauss_phi_moments(h, a):
    """``(I0, I1, I2)`` with ``Ik = int_{-inf}^h x^k phi(x) Phi(a x) dx``."""
    return tuple(_phi_moments(h, a, 2))
