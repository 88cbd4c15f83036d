"""Batched solver for the ERM fixed point ``x = G(x)`` with ``x = (q, s2, W)`` (THEORY §5).

Every grid point is an independent three-dimensional fixed-point problem; they are solved
together, vectorised over the grid, but each point's arithmetic depends on its own row only
(a point solved alone gives the same numbers as in a batch). The unknowns are positive and
``s2 <= 1``, so the iteration runs on ``y = log x``: Newton's method on
``F(y) = log G(e^y) - y`` with a finite-difference Jacobian and a backtracking line search;
a point where the Newton step does not decrease ``|F|`` takes a damped fixed-point step
instead (a geometric mean of ``x`` and ``G(x)``, which stays valid). ``|F|`` is the relative
change of every unknown, so the tolerance is a relative one, also for ``s2`` (which sets
``E_gen``) when it is tiny. Points still above the tolerance after ``max_iter`` iterations
are reported with ``converged = False``; the caller warns.
"""

from __future__ import annotations

import numpy as np

from ..result import Result

__all__ = ["solve_fixed_point"]

_FD_STEP = 1e-7  # finite-difference step in log x
_MAX_HALVINGS = 12


def _log_map(G, y, idx):
    """``log G(e^y)`` for the points ``idx``; ``nan`` rows where ``G`` leaves the domain."""
    x = np.exp(y)
    with np.errstate(all="ignore"):
        gx = G(x, idx)
        ok = np.isfinite(gx).all(axis=1) & (gx > 0).all(axis=1)
        out = np.log(np.where(ok[:, None], gx, 1.0))
    out[:, 1] = np.minimum(out[:, 1], 0.0)  # s2 <= 1
    out[~ok] = np.nan
    return out


def _residual(F):
    r = np.max(np.abs(F), axis=-1)
    return np.where(np.isfinite(r), r, np.inf)


def _newton_step(G, ya, Fa, active):
    """Newton direction ``-J^{-1} F`` from a forward-difference Jacobian (row-wise)."""
    n = ya.shape[0]
    J = np.empty((n, 3, 3))
    for j in range(3):
        yp = ya.copy()
        yp[:, j] += _FD_STEP
        J[:, :, j] = ((_log_map(G, yp, active) - yp) - Fa) / _FD_STEP
    step = np.full_like(ya, np.nan)
    rows = np.flatnonzero(np.isfinite(J).all(axis=(1, 2)))
    with np.errstate(all="ignore"):
        try:  # LAPACK solves each 3x3 system on its own: the batch does not change a row
            step[rows] = np.linalg.solve(J[rows], -Fa[rows, :, None])[..., 0]
        except np.linalg.LinAlgError:  # a singular matrix: solve row by row, leave it nan
            for i in rows:
                try:
                    step[i] = np.linalg.solve(J[i], -Fa[i])
                except np.linalg.LinAlgError:
                    pass
    return step


def _line_search(G, ya, step, res, active):
    """Backtracking on ``|F|``: the accepted points and the new states (row-wise)."""
    n = ya.shape[0]
    t = np.ones(n)
    accepted = np.zeros(n, bool)
    pending = np.isfinite(step).all(axis=1)
    new = ya.copy()
    for _ in range(_MAX_HALVINGS):
        idx = np.flatnonzero(pending)
        if idx.size == 0:
            break
        cand = ya[idx] + t[idx, None] * step[idx]
        cand[:, 1] = np.minimum(cand[:, 1], 0.0)
        rc = _residual(_log_map(G, cand, active[idx]) - cand)
        win = rc < res[idx]
        new[idx[win]] = cand[win]
        accepted[idx[win]] = True
        pending[idx[win]] = False
        t[idx[~win]] *= 0.5
    return accepted, new


def solve_fixed_point(G, x0, *, tol=1e-10, max_iter=100, damping=0.5, progress=None):
    """Solve ``x = G(x, idx)`` for every row of ``x0``.

    Parameters
    ----------
    G : callable
        ``G(x, idx)`` maps states ``x = (q, s2, W)`` of shape ``(k, 3)`` of the grid points
        ``idx`` (an integer index array) to new states of the same shape.
    x0 : ndarray, shape (N, 3)
        Starting points (``q, W > 0``, ``0 < s2 <= 1``).
    tol : float
        Convergence when every unknown changes by less than ``tol`` relatively
        (``max |log G(x) - log x| < tol``).
    max_iter : int
        Newton iterations before a point is declared not converged.
    damping : float
        Step of the fallback fixed-point iteration (in ``log x``).
    progress : tqdm-like or None
        Updated with the number of points that converged at each iteration.

    Returns
    -------
    Result
        Output ``x`` (shape ``(N, 3)``, the last iterate); per point ``converged``, ``n_iter``
        and ``residual`` (``max |log G(x) - log x|``).
    """
    x0 = np.asarray(x0, dtype=float)
    N = x0.shape[0]
    with np.errstate(all="ignore"):
        y = np.log(np.where(x0 > 0, x0, np.nan))
    y[:, 1] = np.minimum(y[:, 1], 0.0)
    converged = np.zeros(N, bool)
    n_iter = np.zeros(N, int)
    residual = np.full(N, np.inf)
    active = np.flatnonzero(np.isfinite(y).all(axis=1))
    for it in range(max_iter + 1):
        if active.size == 0:
            break
        ya = y[active]
        Ga = _log_map(G, ya, active)
        Fa = Ga - ya
        res = _residual(Fa)
        residual[active] = res
        n_iter[active] = it
        done = res < tol
        converged[active[done]] = True
        if progress is not None:
            progress.update(int(done.sum()))
        keep = ~done & np.isfinite(res)
        active, ya, Ga, Fa, res = active[keep], ya[keep], Ga[keep], Fa[keep], res[keep]
        if active.size == 0 or it == max_iter:
            break
        step = _newton_step(G, ya, Fa, active)
        accepted, new = _line_search(G, ya, step, res, active)
        fall = ~accepted  # damped fixed-point step: geometric mean of x and G(x)
        new[fall] = ya[fall] + damping * Fa[fall]
        y[active] = new
    with np.errstate(over="ignore"):
        x = np.exp(y)
    return Result({}, {"x": x}, converged=converged, n_iter=n_iter, residual=residual,
                  trailing={"x": "component (q, s2, W)"})
