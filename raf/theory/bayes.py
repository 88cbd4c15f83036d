"""Bayes-optimal generalisation error of the RAF model (THEORY §4)."""

from __future__ import annotations

import numpy as np
from scipy.special import erfc, erfcx

from .._validation import Interval, validated
from ..result import Result, warn_unconverged

__all__ = ["bayes_optimal"]

_S, _WS = np.polynomial.hermite_e.hermegauss(100)  # weight exp(-s^2/2)
_PREF = 4.0 / (2.0 * np.pi) ** 1.5
_LOG_E_MIN = np.log(1e-300)  # bracket of the root in log E
_N_BISECT = 16  # bisection steps first: a bracket 0.01 wide in log E
_N_ILLINOIS = 40  # then false position (Illinois), superlinear
_TOL = 1e-13  # converged when |F| < _TOL (|F| ~ the relative error of E, but near E = 1/2)
_F_FLOOR = 1e-15  # iterate until |F| reaches the round-off of F = s^2 + s P I - 1


def _integral(q, eps):
    """``int exp(-q s^2/2) / (eps + (1-eps) erfc(-sqrt(q/2) s)) Dz(s)`` (Gauss-Hermite).

    This is THEORY §4's integral after ``t = sqrt(1-q) s``: finite and smooth up to ``q = 1``.
    Where ``y = -sqrt(q/2) s > 0`` the integrand is written with ``erfcx`` (no overflow).
    """
    q = q[..., None]
    eps_ = eps[..., None]
    y = -np.sqrt(q / 2.0) * _S
    yp = np.maximum(y, 0.0)
    g_pos = 1.0 / (eps_ * np.exp(np.minimum(yp * yp, 700.0)) + (1.0 - eps_) * erfcx(yp))
    g_neg = np.exp(-0.5 * q * _S * _S) / (eps_ + (1.0 - eps_) * erfc(np.minimum(y, 0.0)))
    return np.sum(_WS * np.where(y > 0, g_pos, g_neg), axis=-1)


def _excess(log_e, pref, eps):
    """``F(E) = s^2 + s P I(q) - 1`` with ``s = sin(pi E)``, ``q = cos(pi E)^2``, ``P = pref``.

    The fixed point ``q = q_hat/(1 + q_hat)`` of THEORY §4, with ``q_hat = P I(q)/sqrt(1-q)``,
    is ``1 - q = 1/(1 + q_hat)``, i.e. ``F(E) = 0``. Written in ``s`` it keeps full relative
    precision as ``E -> 0`` (no ``1 - q`` is ever formed); ``F < 0`` means ``E`` is too small.
    """
    e = np.exp(log_e)
    s = np.sin(np.pi * e)
    q = np.cos(np.pi * e) ** 2
    return s * s + s * pref * _integral(q, eps) - 1.0


def _root(pref, eps):
    """``log E`` with ``F(E) = 0``: bisection in ``log E``, then Illinois; also ``|F|`` and the steps."""
    lo = np.full_like(pref, _LOG_E_MIN)  # F(lo) < 0
    hi = np.full_like(pref, np.log(0.5))  # F(hi) >= 0
    for _ in range(_N_BISECT):
        mid = 0.5 * (lo + hi)
        low = _excess(mid, pref, eps) < 0
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
    f_lo, f_hi = _excess(lo, pref, eps), _excess(hi, pref, eps)
    x, fx = hi.copy(), f_hi.copy()
    side = np.zeros(pref.shape, int)  # which end moved last: -1 lo, +1 hi
    n_iter = np.full(pref.shape, _N_BISECT + 2)
    active = np.abs(fx) >= _F_FLOOR
    for _ in range(_N_ILLINOIS):
        if not active.any():
            break
        i = np.flatnonzero(active)
        xi = hi[i] - f_hi[i] * (hi[i] - lo[i]) / (f_hi[i] - f_lo[i])
        xi = np.where(np.isfinite(xi) & (xi > lo[i]) & (xi < hi[i]), xi, 0.5 * (lo[i] + hi[i]))
        fi = _excess(xi, pref[i], eps[i])
        neg = fi < 0
        f_hi[i] = np.where(neg & (side[i] == -1), 0.5 * f_hi[i], f_hi[i])  # Illinois: halve the stuck end
        f_lo[i] = np.where(~neg & (side[i] == 1), 0.5 * f_lo[i], f_lo[i])
        lo[i], f_lo[i] = np.where(neg, xi, lo[i]), np.where(neg, fi, f_lo[i])
        hi[i], f_hi[i] = np.where(neg, hi[i], xi), np.where(neg, f_hi[i], fi)
        side[i] = np.where(neg, -1, 1)
        x[i], fx[i] = xi, fi
        n_iter[i] += 1
        active[i] = (np.abs(fi) >= _F_FLOOR) & (hi[i] - lo[i] > 1e-15 * np.abs(hi[i]))
    return x, np.abs(fx), n_iter


@validated(alpha=Interval(0.0, np.inf, low_open=True), eps=Interval(0.0, 1.0))
def bayes_optimal(alpha, eps):
    """Bayes-optimal generalisation error ``E_gen^BO(alpha, eps)`` (THEORY §4).

    Solves ``q = q_hat(q)/(1 + q_hat(q))`` for ``log E`` (bisection, then false position) with
    ``E = arccos(sqrt q)/pi``, written in ``sin(pi E)`` so that the relative precision of
    ``E`` is that of the arithmetic at every ``alpha`` (at large ``alpha``,
    ``E ~ C(eps)/alpha``, :func:`raf.rates.bayes_large_alpha_coefficient`). Vectorised over the
    broadcast of ``alpha`` and ``eps``; ``alpha = inf`` gives the limit ``E = 0``, ``eps = 1``
    gives ``E = 1/2``.

    Returns
    -------
    Result
        Inputs ``alpha, eps``; outputs ``e_gen``, ``q``, ``q_hat``; per point ``converged``,
        ``n_iter`` (bisection and false-position steps) and ``residual`` (``|F|`` of :func:`_excess` at ``E``).
    """
    alpha, eps = np.broadcast_arrays(alpha, eps)
    a, ep = alpha.ravel(), eps.ravel()
    chance = ep == 1.0  # no rule in the data: E = 1/2 at every alpha
    with np.errstate(invalid="ignore"):  # inf * 0 at (alpha, eps) = (inf, 1)
        pref = np.where(chance, 0.0, _PREF * a * (1.0 - ep) ** 2)
    trivial = chance | np.isinf(a)  # alpha = inf: the limit E = 0
    p = np.where(trivial, 1.0, pref)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        log_e, residual, n_iter = _root(p, ep)
        E = np.where(trivial, np.where(chance, 0.5, 0.0), np.exp(log_e))
        s = np.sin(np.pi * E)
        q = np.cos(np.pi * E) ** 2
        q_hat = np.where(trivial, np.where(chance, 0.0, np.inf), pref * _integral(q, ep) / s)
        residual = np.where(trivial, 0.0, residual)
    converged = trivial | ((residual < _TOL) & np.isfinite(q_hat) & (log_e > _LOG_E_MIN + 1.0))
    shape = alpha.shape
    res = Result(
        {"alpha": alpha, "eps": eps},
        {"e_gen": E.reshape(shape), "q": q.reshape(shape), "q_hat": q_hat.reshape(shape)},
        converged=converged.reshape(shape),
        n_iter=np.where(trivial, 0, n_iter).reshape(shape),
        residual=residual.reshape(shape),
    )
    return warn_unconverged(res, "bayes_optimal", stacklevel=4)
