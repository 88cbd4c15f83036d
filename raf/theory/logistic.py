"""The logistic loss ``l(y, z) = log(1 + exp(-y z))`` on the channel side (THEORY §5).

A margin loss, ``l(y, z) = g(y z)`` with ``g(t) = log(1 + e^{-t})``,
``g'(t) = -expit(-t)``, ``g''(t) = expit(t) expit(-t)``: by the symmetry
``(y, omega) -> (-y, -omega)`` of the RAF channel only ``y = +1`` is integrated (twice).
The conjugates come from :func:`raf.theory.proxquad.prox_conjugates`; the proximal
value ``p`` solves ``p - V expit(-p) = omega``.

Ridgeless limit. The logistic loss has no minimiser, so at ``lambda -> 0+`` the norm of
the solution diverges (like ``log 1/lambda``) whenever the training data can be
separated -- kernels with ``mustar > 0`` always, the linear model below the separability
threshold ``alpha_c(eps)`` -- and its direction tends to the max-margin one, the
ridgeless hinge solution (Rosset, Zhu & Hastie 2004). Errors depend on the direction
only, so the ``r = 0`` (rescaled ridgeless) channel of the logistic loss is the hinge
channel at ``r = 0``. Above ``alpha_c`` (linear model) the ``lambda -> 0`` limit is finite
and is solved as the plain system at ``lambda = 0`` (``r = 1``).
"""

from __future__ import annotations

import numpy as np

from . import proxquad as _pq  # a module import: channels -> logistic -> proxquad -> channels is a cycle

__all__ = ["LOGISTIC", "logistic_channel"]

_LADDER = (1.6, 3.3, 5.2, 7.5, 10.3, 13.8, 18.5, 25.0)


class _Logistic:
    """The logistic loss as the quadrature engine sees it (margin form, ``y = +1`` twice)."""

    name = "logistic"
    labels = ((1, 2.0),)
    slope0 = 0.5  # -l'(+1, 0): a training sample is misfitted iff y omega < -V/2
    curv0 = 0.25  # l''(+1, 0): the Hebbian (lambda -> inf) V_hat is alpha/4
    newton_steps = 10  # from prox_guess (quadratic convergence in a few steps)

    @staticmethod
    def value(y, z):
        return np.logaddexp(0.0, -y * z)

    @staticmethod
    def grad(y, z):
        return _Logistic.grad_hess(y, z)[0]

    @staticmethod
    def hess(y, z):
        return _Logistic.grad_hess(y, z)[1]

    @staticmethod
    def kinks(y):
        return ()

    @staticmethod
    def grad_hess(y, z):
        """``(l', l'')`` from one exponential: ``e = expit(-|t|)``, ``l'' = e (1 - e)`` (no cancellation)."""
        t = y * z
        x = np.exp(-np.abs(t))
        e = x / (1.0 + x)  # expit(-|t|) <= 1/2
        return np.where(t > 0, -y * e, y * (e - 1.0)), e * (1.0 - e)

    @staticmethod
    def p_points(y, V, p_lo, p_hi):
        """Panel ends on the ``p`` axis (``y = +1``) where the loss factors vary on an O(1) scale.

        Above ``p = 0`` the integrands decay like ``e^{-p}`` to ``e^{-3p}``: a ladder of
        widening steps from ``a = max(p_lo, -3)``; below, the corner of the proximal map at
        ``V g''(p) = 1`` (``p ~ -log V``).
        """
        c = np.clip(0.0, p_lo, p_hi)
        ell = np.log1p(V)
        pts = [c + d for d in _LADDER] + [c - d for d in _LADDER] + [c, -ell - 2.5, -ell + 2.5, -ell]
        return y * np.concatenate(pts, axis=1)

    @staticmethod
    def prox_guess(y, omega, V):
        """Starting point for ``p - V expit(-p) = u`` (``u = y omega``), from the two asymptotes.

        ``p >= 0`` (``u >= -V/2``): ``expit(-p) ~ e^{-p}`` gives ``p = u + W0(V e^{-u})``;
        ``p < 0``: ``expit(-p) ~ 1 - e^{p}`` gives ``p = u + V - W0(V e^{u + V})``.
        """
        u = y * omega
        with np.errstate(divide="ignore"):
            lv = np.log(V)
        up = u >= -0.5 * V
        w = _lambertw0_log(np.where(up, lv - u, lv + u + V))
        return y * np.where(up, u + w, u + V - w)


def _lambertw0_log(lx):
    """Principal Lambert ``W0(e^lx)`` for real ``lx`` (Winitzki's start, three Newton steps)."""
    L = np.logaddexp(0.0, lx)  # log(1 + x)
    w = L * (1.0 - np.log1p(L) / (2.0 + L))
    w = np.maximum(w, 1e-300)
    for _ in range(3):  # Newton on w + log w = lx (concave: stays positive from below)
        w = np.maximum(w - (w + np.log(w) - lx) / (1.0 + 1.0 / w), 1e-300)
    return w


LOGISTIC = _Logistic()


def logistic_channel(q, s2, W, r, alpha, eps):
    """Rescaled conjugates ``(M, Q, U)`` of the logistic loss (module docstring).

    State ``(q, s2, W)`` as in :mod:`raf.theory.channels`. ``r = 0`` (the ridgeless limit,
    separable data) gives the hinge channel at ``r = 0``: the max-margin direction is the
    limit of the logistic one.
    """
    q, s2, W, r, alpha, eps = np.broadcast_arrays(*(np.asarray(v, float) for v in (q, s2, W, r, alpha, eps)))
    zero = r == 0
    if not zero.any():
        return _pq.prox_conjugates(LOGISTIC, q, s2, W, r, alpha, eps)
    from .channels import hinge_channel  # at r = 0 only; channels imports this module

    M, Q, U = (np.empty(q.shape) for _ in range(3))
    M[zero], Q[zero], U[zero] = hinge_channel(q[zero], s2[zero], W[zero], r[zero], alpha[zero], eps[zero])
    pos = ~zero
    if pos.any():
        M[pos], Q[pos], U[pos] = _pq.prox_conjugates(LOGISTIC, q[pos], s2[pos], W[pos], r[pos], alpha[pos],
                                                     eps[pos])
    return M, Q, U
