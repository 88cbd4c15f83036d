"""Channel side of the ERM state equations for any convex loss, by quadrature (THEORY §5).

Given ``(m, q, W)`` and the scale ``r`` (``V = W/r``, ``r > 0``), the rescaled
conjugates of the loss ``l(y, z)`` are, with ``omega ~ N(0, q)``, ``sigma = sqrt(q)``,
``cos_gen = m/sigma``, ``s = sqrt(1 - cos_gen^2)``, ``slope = cos_gen/s`` and the proximal value
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

__all__ = ["prox_conjugates", "prox_solve", "training_errors_loss"]

_SQRT2PI = np.sqrt(2.0 * np.pi)
# omega breakpoints in units of sigma (Gaussian weight) and of sigma*s (M weight, Phi step)
_G_SIGMA = np.array([0.0, 1.4, 2.9, 4.6, 6.8])
_G_SIGMA = np.concatenate([-_G_SIGMA[:0:-1], _G_SIGMA])
_G_S = np.array([1.2, 3.0, 5.4, 8.6])
_G_S = np.concatenate([-_G_S[::-1], _G_S])
_L = 10.0  # truncation of the Gaussian weights: |omega| <= L sigma
N_GL = 10
_Q_MIN = 1e-14  # floor of q: changes the integrals by O(q) relative, keeps the panels resolvable
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


def prox_conjugates(loss, m, q, W, r, alpha, eps):
    """Rescaled conjugates ``(M, Q, U)`` of a convex loss by quadrature (module docstring).

    ``loss`` provides ``grad_hess(y, z) -> (l', l'')``, ``grad(y, z)``, ``hess(y, z)``,
    ``kinks(y)`` (sequence of ``(z_k, g-, g+)``), ``p_points(y, V, p_lo, p_hi)`` (extra
    ``p`` breakpoints, shape ``(N, k)``) and ``labels`` (pairs ``(y, weight)``:
    ``((1, 2.0),)`` for a margin loss by symmetry, ``((1, 1.0), (-1, 1.0))`` otherwise).
    All other arguments broadcast; ``r > 0``.
    """
    m, q, W, r, alpha, eps = np.broadcast_arrays(*(np.asarray(v, float) for v in (m, q, W, r, alpha, eps)))
    shape = m.shape
    m, q, W, r, alpha, eps = (v.reshape(-1, 1) for v in (m, q, W, r, alpha, eps))
    n = m.shape[0]
    sigma = np.sqrt(np.maximum(q, _Q_MIN))  # q -> 0 (mu1 -> 0): the weights tend to a point mass
    cos_gen = np.clip(m / sigma, -1.0 + 1e-15, 1.0 - 1e-15)
    s = np.sqrt(1.0 - cos_gen * cos_gen)
    slope = cos_gen / s
    V = W / r
    Lw = _L * sigma
    omega_bp = np.concatenate([sigma * _G_SIGMA, sigma * s * _G_S], axis=1)  # (N, K)
    M, Q, U = np.zeros(n), np.zeros(n), np.zeros(n)
    for y, wy in loss.labels:
        kinks = loss.kinks(y)
        # smooth pieces: integrate over p, panels between the images of the omega grid
        p_bp = prox_solve(loss, y, np.concatenate([omega_bp, -Lw, Lw], axis=1), V,
                          n_newton=getattr(loss, "newton_steps", 60), rtol=1e-6)
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
    alpha, eps = alpha[:, 0], eps[:, 0]
    M *= alpha * (1.0 - eps) / _SQRT2PI
    return M.reshape(shape), (alpha * Q).reshape(shape), (alpha * U).reshape(shape)


def training_errors_loss(loss, m, q, W, r, eps):
    """Training errors ``(e_mem, e_train_rule)`` of a convex loss (THEORY §5, Errors).

    A training sample with label ``y`` is misclassified when its prediction, the proximal
    value, has the wrong sign (``0`` counts as wrong). The proximal value is increasing in
    ``omega``, so this is ``omega <= V l'_+(+1, 0)`` for ``y = +1`` and
    ``omega >= V l'_-(-1, 0)`` for ``y = -1`` (one-sided derivatives at ``0``). Facts:
    ``y`` independent of ``omega``; rule samples: ``y = sign z``, a bivariate Gaussian
    probability (Owen's T).
    """
    from .gaussian import gauss_phi_cdf

    sigma = np.sqrt(q)
    cos_gen = np.clip(m / sigma, -1.0 + 1e-15, 1.0 - 1e-15)
    slope = cos_gen / np.sqrt(1.0 - cos_gen * cos_gen)
    V = W / r
    tp = V * loss.grad_zero(1, +1) / sigma  # omega threshold / sigma for y = +1
    tm = V * loss.grad_zero(-1, -1) / sigma  # for y = -1
    e_mem = 0.5 * (ndtr(tp) + ndtr(-tm))
    e_rule = gauss_phi_cdf(tp, slope) + gauss_phi_cdf(-tm, slope)
    return e_mem, np.maximum(e_rule, 0.0)
