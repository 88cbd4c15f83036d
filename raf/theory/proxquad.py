"""Channel side of the ERM state equations for any convex loss, by quadrature (THEORY §5).

Given the state ``(q, s2, W)`` of :mod:`raf.theory.channels` and the scale ``r``
(``V = W/r``, ``r > 0``), the rescaled conjugates of the loss ``l(y, z)`` are, with
``omega ~ N(0, q)``, ``sigma = sqrt(q)``, ``s = sqrt(s2)``, ``cos_gen = sqrt(1 - s2)``,
``slope = cos_gen/s`` and the proximal value
``p = prox(y, omega, V)`` (``omega = p + V l'(y, p)``)::

    M = alpha (1-eps)/sqrt(2 pi) sum_y y E_{omega ~ N(0, q s^2)}[ -l'(y, p)/r ]
    Q = alpha sum_y E_{omega ~ N(0, q)}[ P(y|omega) (l'(y, p)/r)^2 ]
    U = alpha sum_y E_{omega ~ N(0, q)}[ P(y|omega) l''(y, p)/(r + W l''(y, p)) ]

with ``P(y|omega) = eps/2 + (1-eps) Phi(y slope omega/sigma)``. ``M`` is THEORY §5's
``E[f_out (z - c)]/s^2`` after the Gaussian product ``phi(x) phi(slope x) = phi(x/s)/sqrt(2 pi)``
(no steep factor left in it). At a kink ``z_k`` of the loss (subgradient
``[g-, g+]``) the proximal value sticks at ``p = z_k`` for ``omega`` in
``[z_k + V g-, z_k + V g+]``; there ``-l'/r`` reads ``(z_k - omega)/W`` and the
``U`` integrand ``1/W``.

Quadrature. On the smooth pieces the integrals are taken over ``p`` rather than
``omega``: ``omega(p) = p + V l'(y, p)`` is explicit and ``d omega = (1 + V l'') dp``,
so no proximal problem is solved at the nodes, and the ``U`` integrand becomes
``l''(y, p)/r dp``. The ``p``-axis is cut into panels at the images ``p(omega_j)``
of fixed ``omega`` grids scaled by ``sigma`` and by ``sigma s`` (where the Gaussian
weights and the step ``Phi(slope omega/sigma)`` vary), at the loss's kinks and at a few
loss-specific points; each panel gets ``N_GL`` Gauss--Legendre nodes. The flat
intervals of the kinks are integrated over ``omega`` on the same grid. Only the
panel ends need proximal values, and only roughly (a few safeguarded Newton steps):
every node is exact. Everything is vectorised over the grid of ``(m, q, W, r)``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from .channels import angle_terms

__all__ = ["prox_conjugates", "prox_solve"]

_SQRT2PI = np.sqrt(2.0 * np.pi)
# omega breakpoints in units of sigma (Gaussian weight) and of sigma*s (M weight, Phi step)
_G_SIGMA = np.array([0.0, 1.4, 2.9, 4.6, 6.8])
_G_SIGMA = np.concatenate([-_G_SIGMA[:0:-1], _G_SIGMA])
_G_S = np.array([1.2, 3.0, 5.4, 8.6])
_G_S = np.concatenate([-_G_S[::-1], _G_S])
_L = 10.0  # truncation of the Gaussian weights: |omega| <= L sigma
N_GL = 10
_Q_MIN = 1e-300  # q = 0 exactly (a kernel without linear part): a point mass at omega = 0
_SIGMA_SMALL = 1e-2  # below: quadrature over omega (no cancellation in omega(p) = p + V l'(p))
_XGL, _WGL = np.polynomial.legendre.leggauss(N_GL)


def prox_solve(loss, y, omega, V, *, n_newton=60, rtol=1e-12):
    """Proximal value ``p`` with ``p + V l'(y, p) = omega`` (safeguarded Newton, vectorised).

    ``omega`` and ``V`` broadcast. The root is bracketed before Newton starts: on a
    smooth piece ``[z_k, z_{k+1}]`` of ``l`` (kinks ``z_k``), ``p`` lies between
    ``omega`` and ``omega - V l'(y, omega)`` (monotonicity of ``l'``), intersected with the
    piece; inside flat intervals ``p`` is the kink itself. A Newton step that leaves the
    bracket is replaced by bisection. Returns ``p`` (same shape). The quadrature needs these
    values at panel ends only, where any point of the bracket would do: accuracy there
    only improves the panels, never biases the integrals.
    """
    omega, V = np.broadcast_arrays(np.asarray(omega, float), np.asarray(V, float))
    lo = np.full(omega.shape, -np.inf)
    hi = np.full(omega.shape, np.inf)
    stuck = np.zeros(omega.shape, bool)
    p = np.full(omega.shape, np.nan)
    for zk, gm, gp in loss.kinks(y):
        below = omega < zk + V * gm  # root below the kink
        above = omega > zk + V * gp
        at = ~below & ~above
        p = np.where(at & ~stuck, zk, p)
        stuck |= at
        hi = np.where(below, np.minimum(hi, zk), hi)
        lo = np.where(above, np.maximum(lo, zk), lo)
    # bracket from monotonicity, inside the piece
    w_in = np.clip(omega, lo, hi)
    g = loss.grad(y, w_in)
    other = omega - V * g
    lo = np.where(stuck, p, np.maximum(lo, np.minimum(omega, other)))
    hi = np.where(stuck, p, np.minimum(hi, np.maximum(omega, other)))
    guess = getattr(loss, "prox_guess", None)
    x = guess(y, omega, V) if guess is not None else np.full(omega.shape, np.nan)
    x = np.where(np.isfinite(x), x, 0.5 * (lo + hi))
    x = np.where(stuck, p, np.clip(x, lo, hi))
    shape = x.shape
    x, lo, hi, om, Vf = (v.ravel() for v in (x, lo, hi, omega, V))
    prev = np.abs(hi - lo)  # size of the step before last (rtsafe rule)
    act = np.flatnonzero(~stuck.ravel() & (hi > lo))
    for _ in range(n_newton):
        if act.size == 0:
            break
        xa, la, ha, wa, Va = x[act], lo[act], hi[act], om[act], Vf[act]
        g1, g2 = loss.grad_hess(y, xa)
        h = xa + Va * g1 - wa
        la = np.where(h < 0, xa, la)
        ha = np.where(h > 0, xa, ha)
        dh = 1.0 + Va * g2
        step = h / dh
        xn = xa - step
        small = np.abs(step) <= rtol * (1.0 + np.abs(xa))  # converged: keep the Newton point
        # bisect when Newton leaves the bracket or does not halve the step of two iterations ago
        out = ~small & (~((xn > la) & (xn < ha)) | (2.0 * np.abs(step) > prev[act]))
        xn = np.where(out, 0.5 * (la + ha), xn)
        prev[act] = np.where(out, 0.5 * (ha - la), np.abs(step))
        lo[act], hi[act], x[act] = la, ha, xn
        done = small | (h == 0) | (ha - la <= rtol * (1.0 + np.abs(xa)))
        act = act[~done]
    return x.reshape(shape)


def _gl_panels(b):
    """Nodes and weights on the non-empty panels between sorted breakpoints ``b`` (N, K).

    Returns ``(row, x, w)``: the grid row of each panel (P,), its Gauss--Legendre nodes
    and weights (P, N_GL). Empty panels (repeated or clipped breakpoints) are dropped.
    """
    lo, hi = b[:, :-1], b[:, 1:]
    keep = hi > lo
    row = np.nonzero(keep)[0]
    lo, hi = lo[keep][:, None], hi[keep][:, None]
    half = 0.5 * (hi - lo)
    return row, (lo + hi) * 0.5 + half * _XGL, half * _WGL


def _weights(omega, sigma, s, slope, eps, y):
    """``(w_M, w_Q)``: ``N(omega; 0, q s^2)`` and ``N(omega; 0, q) P(y | omega)``."""
    x = omega / sigma
    ss = sigma * s
    wM = np.exp(-0.5 * (omega / ss) ** 2) / (_SQRT2PI * ss)
    wQ = np.exp(-0.5 * x * x) / (_SQRT2PI * sigma) * (0.5 * eps + (1.0 - eps) * ndtr(y * slope * x))
    return wM, wQ


def _row_sums(row, values, n):
    return np.bincount(row, weights=values.sum(axis=1), minlength=n)


def prox_conjugates(loss, q, s2, W, r, alpha, eps):
    """Rescaled conjugates ``(M, Q, U)`` of a convex loss by quadrature (module docstring).

    The state is the channels' ``(q, s2, W)`` (:mod:`raf.theory.channels`), ``r > 0``.
    ``loss`` provides ``grad_hess(y, z) -> (l', l'')``, ``grad(y, z)``, ``hess(y, z)``,
    ``kinks(y)`` (sequence of ``(z_k, g-, g+)``), ``p_points(y, V, p_lo, p_hi)`` (extra
    ``p`` breakpoints, shape ``(N, k)``) and ``labels`` (pairs ``(y, weight)``:
    ``((1, 2.0),)`` for a margin loss by symmetry, ``((1, 1.0), (-1, 1.0))`` otherwise).
    All arguments broadcast. Points with ``sqrt(q) < 1e-2`` (large ``lambda``, ``mu1 -> 0``)
    are integrated over ``omega`` instead, with the proximal value solved at every node:
    there ``omega(p) = p + V l'(p)`` would be a difference of numbers much larger than
    ``omega`` itself.
    """
    q, s2, W, r, alpha, eps = np.broadcast_arrays(*(np.asarray(v, float) for v in (q, s2, W, r, alpha, eps)))
    shape = q.shape
    q, s2, W, r, alpha, eps = (v.reshape(-1, 1) for v in (q, s2, W, r, alpha, eps))
    sigma, s, _, slope = angle_terms(np.maximum(q, _Q_MIN), s2)
    out = np.zeros((3, q.shape[0]))
    small = sigma[:, 0] < _SIGMA_SMALL
    for rows, integrate in ((~small, _p_space), (small, _omega_space)):
        i = np.flatnonzero(rows)
        if i.size:
            out[:, i] = integrate(loss, sigma[i], s[i], slope[i], W[i], r[i], eps[i])
    alpha, eps = alpha[:, 0], eps[:, 0]
    M, Q, U = out[0] * alpha * (1.0 - eps) / _SQRT2PI, alpha * out[1], alpha * out[2]
    return M.reshape(shape), Q.reshape(shape), U.reshape(shape)


def _p_space(loss, sigma, s, slope, W, r, eps):
    """``(M, Q, U)`` per row (before the factors ``alpha (1-eps)/sqrt(2 pi)`` and ``alpha``), over ``p``."""
    n = sigma.shape[0]
    V = W / r
    Lw = _L * sigma
    omega_bp = np.concatenate([sigma * _G_SIGMA, sigma * s * _G_S], axis=1)  # (N, K)
    M, Q, U = np.zeros(n), np.zeros(n), np.zeros(n)
    for y, wy in loss.labels:
        kinks = loss.kinks(y)
        # smooth pieces: integrate over p, panels between the images of the omega grid
        p_bp = prox_solve(loss, y, np.concatenate([omega_bp, -Lw, Lw], axis=1), V,
                          n_newton=getattr(loss, "newton_steps", 60), rtol=1e-13)
        p_lo, p_hi = p_bp[:, -2:-1], p_bp[:, -1:]  # the range of p: omega in [-L sigma, L sigma]
        extra = [p_bp, loss.p_points(y, V, p_lo, p_hi)]
        if kinks:
            extra.append(np.broadcast_to(np.array([k[0] for k in kinks]), (n, len(kinks))))
        b = np.sort(np.clip(np.concatenate(extra, axis=1), p_lo, p_hi), axis=1)
        row, p, wgl = _gl_panels(b)
        g1, g2 = loss.grad_hess(y, p)
        Vr, rr = V[row], r[row]
        omega = p + Vr * g1
        wM, wQ = _weights(omega, sigma[row], s[row], slope[row], eps[row], y)
        f = -g1 / rr  # rescaled f_out
        fj = wgl * f * (1.0 + Vr * g2)  # d omega = (1 + V l'') dp
        M += wy * y * _row_sums(row, fj * wM, n)
        Q += wy * _row_sums(row, fj * f * wQ, n)
        U += wy * _row_sums(row, wgl * wQ * g2 / rr, n)
        # flat intervals at the kinks: p = z_k, integrate over omega
        for zk, gm, gp in kinks:
            A = np.clip(zk + V * gm, -Lw, Lw)
            B = np.clip(zk + V * gp, -Lw, Lw)
            bb = np.sort(np.clip(np.concatenate([omega_bp, A, B], axis=1), A, B), axis=1)
            row, om, wo = _gl_panels(bb)
            wM, wQ = _weights(om, sigma[row], s[row], slope[row], eps[row], y)
            f = (zk - om) / W[row]
            M += wy * y * _row_sums(row, wo * wM * f, n)
            Q += wy * _row_sums(row, wo * wQ * f * f, n)
            U += wy * _row_sums(row, wo * wQ / W[row], n)
    return M, Q, U


def _omega_space(loss, sigma, s, slope, W, r, eps):
    """As :func:`_p_space`, over ``x = omega/sigma`` with the proximal value at every node."""
    n = sigma.shape[0]
    V = W / r
    x_bp = [np.broadcast_to(np.concatenate([_G_SIGMA, [-_L, _L]]), (n, _G_SIGMA.size + 2)), s * _G_S]
    M, Q, U = np.zeros(n), np.zeros(n), np.zeros(n)
    for y, wy in loss.labels:
        kinks = loss.kinks(y)
        ends = [np.clip((zk + V * g) / sigma, -_L, _L) for zk, gm, gp in kinks for g in (gm, gp)]
        row, x, wgl = _gl_panels(np.sort(np.concatenate(x_bp + ends, axis=1), axis=1))
        sg, Wr, rr = sigma[row], W[row], r[row]
        om = sg * x
        p = prox_solve(loss, y, om, V[row], n_newton=60, rtol=1e-14)
        g1, g2 = loss.grad_hess(y, p)
        at_kink = np.zeros(p.shape, bool)
        for zk, _, _ in kinks:
            at_kink |= p == zk
        f = np.where(at_kink, (p - om) / Wr, -g1 / rr)
        u = np.where(at_kink, 1.0 / Wr, g2 / (rr + Wr * g2))
        sr = s[row]
        wM = np.exp(-0.5 * (x / sr) ** 2) / (_SQRT2PI * sr)  # N(omega; 0, q s^2) d omega, in x
        wQ = np.exp(-0.5 * x * x) / _SQRT2PI * (0.5 * eps[row] + (1.0 - eps[row]) * ndtr(y * slope[row] * x))
        M += wy * y * _row_sums(row, wgl * wM * f, n)
        Q += wy * _row_sums(row, wgl * wQ * f * f, n)
        U += wy * _row_sums(row, wgl * wQ * u, n)
    return M, Q, U
