"""Batched solver for the ERM fixed point ``x = G(x)`` with ``x = (m, q, W)`` (THEORY §5).

Every grid point is an independent three-dimensional fixed-point problem; they are
solved together, vectorised over the grid. The iteration is Newton's method on
``F(x) = G(x) - x`` with a finite-difference Jacobian and a backtracking line search;
a point where the Newton step does not decrease ``|F|`` takes a damped fixed-point
step instead (a convex combination, which keeps ``q > m^2`` and ``W > 0``). Points
that still violate the tolerance after ``max_iter`` iterations are reported with
``converged = False``; the caller warns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FixedPoint", "solve_fixed_point"]


@dataclass
class FixedPoint:
    x: np.ndarray  # (N, 3) solution (m, q, W)
    converged: np.ndarray  # (N,) bool
    n_iter: np.ndarray  # (N,) int
    residual: np.ndarray  # (N,) scaled max |G(x) - x|


def _valid(x):
    m, q, W = x[..., 0], x[..., 1], x[..., 2]
    return np.isfinite(x).all(axis=-1) & (q > 0) & (W > 0) & (m * m < q)


def _scaled(F, x):
    return np.max(np.abs(F) / (1.0 + np.abs(x)), axis=-1)


def solve_fixed_point(G, x0, *, tol=1e-10, max_iter=100, damping=0.5, progress=None):
    """Solve ``x = G(x, idx)`` for every row of ``x0``.

    Parameters
    ----------
    G : callable
        ``G(x, idx)`` maps states ``x`` of shape ``(k, 3)`` of the grid points ``idx``
        (an integer index array) to new states of the same shape.
    x0 : ndarray, shape (N, 3)
        Starting points (valid: ``q > m^2``, ``W > 0``).
    tol : float
        Convergence when ``max_i |G(x)_i - x_i| / (1 + |x_i|) < tol``.
    max_iter : int
        Newton iterations before a point is declared not converged.
    damping : float
        Step of the fallback fixed-point iteration.
    progress : tqdm-like or None
        Updated with the number of points that converged at each iteration.
    """
    x = np.array(x0, dtype=float, copy=True)
    N = x.shape[0]
    converged = np.zeros(N, bool)
    n_iter = np.zeros(N, int)
    residual = np.full(N, np.inf)
    active = np.arange(N)
    for it in range(max_iter + 1):
        if active.size == 0:
            break
        xa = x[active]
        Ga = G(xa, active)
        Fa = Ga - xa
        ok_G = _valid(Ga)
        res = np.where(ok_G, _scaled(Fa, xa), np.inf)
        residual[active] = res
        done = res < tol
        converged[active[done]] = True
        n_iter[active] = it
        if progress is not None:
            progress.update(int(done.sum()))
        keep = ~done
        active, xa, Ga, Fa, res = active[keep], xa[keep], Ga[keep], Fa[keep], res[keep]
        if active.size == 0 or it == max_iter:
            break
        # finite-difference Jacobian of F
        J = np.empty(xa.shape + (3,))
        for j in range(3):
            h = 1e-7 * np.maximum(np.abs(xa[:, j]), 1e-6)
            if j == 2:  # keep W > 0
                h = np.where(xa[:, 2] - h > 0, h, 0.5 * xa[:, 2])
            xp = xa.copy()
            xp[:, j] += h
            J[:, :, j] = ((G(xp, active) - xp) - Fa) / h[:, None]
        with np.errstate(all="ignore"):
            try:
                step = np.linalg.solve(J, -Fa[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.full_like(xa, np.nan)
        bad = ~np.isfinite(step).all(axis=1)
        step[bad] = 0.0
        # backtracking line search on the scaled residual
        t = np.ones(active.size)
        accepted = np.zeros(active.size, bool)
        accepted[bad] = False
        pending = ~bad
        new = xa.copy()
        for _ in range(12):
            idx = np.flatnonzero(pending)
            if idx.size == 0:
                break
            cand = xa[idx] + t[idx, None] * step[idx]
            good = _valid(cand)
            rc = np.full(idx.size, np.inf)
            if good.any():
                gi = idx[good]
                Gc = G(cand[good], active[gi])
                rc[good] = np.where(_valid(Gc), _scaled(Gc - cand[good], cand[good]), np.inf)
            win = rc < res[idx]
            new[idx[win]] = cand[win]
            accepted[idx[win]] = True
            pending[idx[win]] = False
            t[idx[~win]] *= 0.5
        fall = ~accepted
        if fall.any():  # damped fixed-point step: convex combination with G(x)
            new[fall] = xa[fall] + damping * Fa[fall]
            still = ~_valid(new[fall])
            if still.any():
                fi = np.flatnonzero(fall)[still]
                new[fi] = Ga[fi] if _valid(Ga[fi]).all() else xa[fi]
        x[active] = new
    return FixedPoint(x=x, converged=converged, n_iter=n_iter, residual=residual)
