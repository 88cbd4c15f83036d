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

from .proxquad import prox_conjugates, training_errors_loss

__all__ = ["LOGISTIC", "logistic_channel", "logistic_training_errors"]

_LADDER = (1.6, 3.3, 5.2, 7.5, 10.3, 13.8, 18.5, 25.0)


class _Logistic:
    """The logistic loss as the quadrature engine sees it (margin form, ``y = +1`` twice)."""

    name = "logistic"
    labels = ((1, 2.0),)
    newton_steps = 5  # from prox_guess; panel ends need little accuracy

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
    def grad_zero(y, side):
        return -0.5 * y

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


def logistic_channel(m, q, W, r, alpha, eps):
    """Rescaled conjugates ``(M, Q, U)`` of the logistic loss (module docstring).

    ``r = 0`` (the ridgeless limit, separable data) gives the hinge channel at ``r = 0``:
    the max-margin direction is the limit of the logistic one.
    """
    from .channels import hinge_channel  # at r = 0 only; channels imports this module

    m, q, W, r, alpha, eps = np.broadcast_arrays(*(np.asarray(v, float) for v in (m, q, W, r, alpha, eps)))
    zero = r == 0
    if not zero.any():
        return prox_conjugates(LOGISTIC, m, q, W, r, alpha, eps)
    M, Q, U = (np.empty(m.shape) for _ in range(3))
    if zero.any():
        M[zero], Q[zero], U[zero] = hinge_channel(m[zero], q[zero], W[zero], r[zero], alpha[zero], eps[zero])
    pos = ~zero
    if pos.any():
        M[pos], Q[pos], U[pos] = prox_conjugates(LOGISTIC, m[pos], q[pos], W[pos], r[pos], alpha[pos], eps[pos])
    return M, Q, U


def logistic_training_errors(m, q, W, r, eps):
    """``(e_mem, e_train_rule)``: misclassified iff ``y omega < -V/2`` (``g'(0) = -1/2``).

    ``r = 0`` (separable data, max-margin limit): every training sample is fitted, ``0``.
    """
    m, q, W, r, eps = np.broadcast_arrays(*(np.asarray(v, float) for v in (m, q, W, r, eps)))
    pos = r > 0
    e_mem, e_rule = np.zeros(m.shape), np.zeros(m.shape)
    if pos.any():
        e_mem[pos], e_rule[pos] = training_errors_loss(LOGISTIC, m[pos], q[pos], W[pos], r[pos], eps[pos])
    return e_mem, e_rule
