"""The intercept-free SVM dual: a box-constrained quadratic programme (THEORY §2, §7).

One job: solve ``min_a a^T Q a / 2 - sum(a)`` subject to ``0 <= a <= C`` to round-off, where
``Q = (y y^T) * K`` and ``C = 1 / lambda``. This is the dual of the hinge-loss ERM of THEORY §2
without an intercept; the predictor is ``f(x) = K(x, X) (a * y)`` and ``C = inf`` (``lambda = 0``)
is the hard-margin SVM, which exists only on separable data. :func:`raf.learners.svm_errors`
sweeps it along a path of ridges.

Three stages, run in order until the KKT conditions hold (:func:`solve_svm_dual`):

1. a primal-dual active-set (semismooth Newton) iteration from a warm start;
2. the same iteration along a geometric path of ``C``;
3. a Mehrotra predictor-corrector interior-point method, robust to a singular ``Q``, whose output
   is polished by stage 1.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from ._validation import Integer, Interval, validated
from .free_block import FreeBlock as _FreeBlock
from .result import Result

__all__ = ["solve_svm_dual"]

# step of the active-set guess a - scale * grad: tiny, so a variable leaves a bound only when its
# gradient points inwards (the conservative rule, fewest cycles)
_PDAS_SCALE = 1e-8
# a free-set solve from a reused factorisation is refined until the gradient on the free set is
# below this fraction of the KKT tolerance
_SOLVE_TARGET = 1e-2


def _kkt_residual(a, g, C):
    """Natural KKT residual ``max |a - clip(a - grad, 0, C)|`` (in units of the margin ``y f``)."""
    return float(np.max(np.abs(a - np.clip(a - g, 0.0, C)))) if a.size else 0.0


def _kkt_of(Q, x, C):
    if not np.all(np.isfinite(x)):
        return np.inf
    return _kkt_residual(x, Q @ x - 1.0, C)


# -- stage 1: active set --------------------------------------------------------------------------


def _active_sets(g, a, C, scale, first, sets_from_a):
    """Which variables sit at 0, at ``C``, or in between, guessed from ``a`` or the KKT step
    (``g = Q a - 1``)."""
    if sets_from_a and first:
        return a <= 0.0, a >= C
    z = a - scale * g
    return z <= 0.0, z >= C


def _active_set(Q, C, a, tol, max_iter, sets_from_a, scale=None, block=None):
    """Primal-dual active-set iterations for the box QP; returns ``(a, nit, ok)``.

    ``ok`` is False when the iteration broke down (singular free block, non-finite values).
    ``block`` (a :class:`_FreeBlock` on ``Q``) carries factorisations from earlier calls; each
    free-set solve is accurate to ``tol / 100`` in the gradient on the free set.
    """
    if scale is None:
        scale = _PDAS_SCALE / max(float(np.mean(np.diag(Q))), np.finfo(float).tiny)
    if block is None:
        block = _FreeBlock(Q)
    prev, nit = None, 0
    g = None if sets_from_a else Q @ a - 1.0
    for nit in range(1, max_iter + 1):
        low, up = _active_sets(g, a, C, scale, nit == 1, sets_from_a)
        key = (low.tobytes(), up.tobytes())
        if key == prev:
            break
        prev = key
        a_new, g_new = block.solve(~(low | up), up, C, _SOLVE_TARGET * tol)
        if a_new is None:
            return a, nit, False
        a, g = a_new, g_new
        if _kkt_residual(a, g, C) <= tol:
            break
    return a, nit, True


# -- stage 2: path following in C -----------------------------------------------------------------


def _continuation(Q, C, a, C_from, tol, max_iter, ratio=2.0, max_steps=120, budget=150,
                  block=None):
    """Follow the solution path from ``(C_from, a)`` up to ``C`` in geometric steps.

    Each step is a warm-started active-set solve. A failed step is retried with the ratio
    square-rooted (down to 1.001), a successful one lets it grow back. For ``C = inf`` the path
    is followed until no variable sits at its upper bound; that solution is the hard-margin one.
    Returns ``(a, nit, ok)``.
    """
    nit_total, Cc, r = 0, C_from, ratio
    for _ in range(max_steps):
        if nit_total > budget:
            break
        at_up = a >= Cc * (1 - 1e-12)
        if np.isinf(C) and not np.any(at_up):
            x, nit, ok = _active_set(Q, np.inf, a, tol, max_iter, True, block=block)
            return x, nit_total + nit, ok and _kkt_of(Q, x, np.inf) <= tol
        C_next = min(C, Cc * r)
        x, nit, ok = _active_set(Q, C_next, np.where(at_up, C_next, a), tol, max_iter, True,
                                 block=block)
        nit_total += nit
        if not ok or _kkt_of(Q, x, C_next) > tol:
            if r < 1.001:
                return x, nit_total, False
            r = np.sqrt(r)
            continue
        a, Cc, r = x, C_next, min(ratio, r * r)
        if Cc >= C:
            return a, nit_total, True
    return a, nit_total, False


# -- stage 3: interior point ----------------------------------------------------------------------


def _woodbury_solver(YPhi):
    """Solver of ``(D + B B^T) x = r`` for ``B = YPhi`` (rank ``r < n``) in ``O(n r^2)``.

    Returns ``solve(Dg, rhs)`` giving ``x``, or None when the Woodbury solution stays inaccurate
    (``D`` spanning many orders of magnitude near convergence); then the caller solves densely.
    """

    def solve(Dg, rhs):
        cl = cho_factor(np.eye(YPhi.shape[1]) + YPhi.T @ (YPhi / Dg[:, None]), lower=True,
                        check_finite=False)

        def wood(r):
            Dinv_r = r / Dg
            return Dinv_r - (YPhi @ cho_solve(cl, YPhi.T @ Dinv_r, check_finite=False)) / Dg

        sol = wood(rhs)
        for it in range(4):  # iterative refinement
            res = rhs - (Dg * sol + YPhi @ (YPhi.T @ sol))
            if np.linalg.norm(res) <= (1e-10 if it < 3 else 1e-8) * np.linalg.norm(rhs):
                return sol
            if it < 3:
                sol = sol + wood(res)
        return None

    return solve


def _linear_solver(Q, features, y):
    """``solve(Dg, rhs)`` for ``(Q + diag(Dg)) x = rhs``: Woodbury when low rank, else Cholesky."""
    n = Q.shape[0]
    wood = None
    if features is not None and y is not None and features.shape[1] < n:
        YPhi = np.asarray(y, dtype=float)[:, None] * np.asarray(features, dtype=float)
        wood = _woodbury_solver(YPhi)

    def solve(Dg, rhs):
        if wood is not None:
            sol = wood(Dg, rhs)
            if sol is not None:
                return sol
        cl = cho_factor(Q + np.diag(Dg), lower=True, check_finite=False)
        return cho_solve(cl, rhs, check_finite=False)

    return solve


def _step_len(v, dv):
    neg = dv < 0
    return min(1.0, float(np.min(-v[neg] / dv[neg]))) if neg.any() else 1.0


def _step_lengths(x, s, z, w, dx, dz, dw, finite_ub):
    """Largest primal and dual steps that keep ``x, C - x, z, w`` non-negative."""
    ap = _step_len(x, dx)
    if finite_ub:
        ap = min(ap, _step_len(s, -dx))
    ad = min(_step_len(z, dz), _step_len(w, dw) if finite_ub else 1.0)
    return ap, ad


def _mehrotra_direction(solve, x, s, z, w, rd, mu, n_pairs, finite_ub):
    """Predictor-corrector direction ``(dx, dz, dw)`` of the box QP's KKT system."""
    Dg = z / x + (w / s if finite_ub else 0.0)
    dx = solve(Dg, -rd - z + (w if finite_ub else 0.0))  # predictor (affine scaling)
    dz = -z - z / x * dx
    dw = (-w + w / s * dx) if finite_ub else np.zeros_like(x)
    ap, ad = _step_lengths(x, s, z, w, dx, dz, dw, finite_ub)
    mu_aff = (x + ap * dx) @ (z + ad * dz)
    if finite_ub:
        mu_aff += (s - ap * dx) @ (w + ad * dw)
    sigma = (mu_aff / n_pairs / mu) ** 3 if mu > 0 else 0.0
    rz = sigma * mu - x * z - dx * dz  # corrector
    rhs = -rd + rz / x
    rw = None
    if finite_ub:
        rw = sigma * mu - s * w + dx * dw
        rhs = rhs - rw / s
    dx = solve(Dg, rhs)
    dz = (rz - z * dx) / x
    dw = ((rw + w * dx) / s) if finite_ub else np.zeros_like(x)
    return dx, dz, dw


def _interior_point(Q, C, *, features=None, y=None, tol=1e-8, max_iter=60, eta=0.995):
    """Mehrotra predictor-corrector interior-point method for the box QP; returns ``(x, nit, ok)``.

    Each iteration solves ``(Q + D) dx = r`` with a positive diagonal ``D``, so it is robust
    when ``Q`` is singular or badly conditioned. Typically 15-40 iterations.
    """
    n = Q.shape[0]
    finite_ub = np.isfinite(C)
    n_pairs = 2 * n if finite_ub else n
    solve = _linear_solver(Q, features, y)
    x = np.full(n, 0.5 * C if finite_ub else 1.0)
    z = np.ones(n)
    w = np.ones(n) if finite_ub else np.zeros(n)
    for it in range(1, max_iter + 1):
        s = C - x if finite_ub else np.ones(n)
        Qx = Q @ x
        if _kkt_residual(x, Qx - 1.0, C) <= tol:
            return x, it, True
        if not np.all(np.isfinite(x)) or np.max(x) > 1e15:
            return x, it, False
        mu = (x @ z + (s @ w if finite_ub else 0.0)) / n_pairs
        try:
            dx, dz, dw = _mehrotra_direction(solve, x, s, z, w, Qx - 1.0 - z + w, mu, n_pairs,
                                             finite_ub)
        except LinAlgError:
            return x, it, False
        ap, ad = _step_lengths(x, s, z, w, dx, dz, dw, finite_ub)
        x, z = x + eta * ap * dx, z + eta * ad * dz
        if finite_ub:
            w = w + eta * ad * dw
            x = np.minimum(x, C * (1 - 1e-15))
    return x, max_iter, False


# -- the driver -----------------------------------------------------------------------------------


class _Best:
    """The iterate of smallest KKT residual over the stages, and the stages run."""

    def __init__(self, Q, C, tol, block=None):
        self.Q, self.C, self.tol = Q, C, tol
        self.block = _FreeBlock(Q) if block is None else block
        self.kkt, self.a = np.inf, np.zeros(Q.shape[0])
        self.stages, self.nit = [], 0

    def consider(self, x, nit, stage):
        self.stages.append(stage)
        self.nit += nit
        r = _kkt_of(self.Q, x, self.C)
        if r < self.kkt:
            self.kkt, self.a = r, x
        return r <= self.tol


def _warm_stage(best, a0, C0, max_iter):
    Q, C = best.Q, best.C
    x0 = np.asarray(a0, dtype=float)
    if C0 is not None:  # variables at the old upper bound move to the new one
        x0 = np.where(x0 >= C0 * (1 - 1e-12), C, x0)
    x, nit, _ = _active_set(Q, C, np.clip(x0, 0.0, C), best.tol, min(max_iter, 10), True,
                            block=best.block)
    return best.consider(x, nit, "active-set")


def _path_stage(best, a0, C0, max_iter):
    Q, C = best.Q, best.C
    if a0 is not None and C0 is not None and 0 < C0 < C:
        start, C_from = np.clip(np.asarray(a0, dtype=float), 0.0, C0), float(C0)
    else:  # a = C_from 1 is optimal while Q (C_from 1) <= 1 componentwise
        rowmax = float(np.max(Q.sum(axis=1)))
        C_from = min(C, 1.0 / rowmax) if rowmax > 0 else C
        start = np.full(Q.shape[0], C_from)
    x, nit, _ = _continuation(Q, C, start, C_from, best.tol, max_iter, block=best.block)
    return best.consider(x, nit, "path")


def _interior_stage(best, features, y, max_iter):
    Q, C = best.Q, best.C
    x, nit, _ = _interior_point(Q, C, features=features, y=y, tol=best.tol)
    if best.consider(np.clip(x, 0.0, C), nit, "interior-point"):
        return True
    if not np.all(np.isfinite(x)):
        return False
    band = 1e-7 * (C if np.isfinite(C) else max(1.0, float(np.max(x))))
    guess = np.where(x < band, 0.0, np.where(x > C - band, C, x))
    xp, nit, _ = _active_set(Q, C, guess, best.tol, max_iter, True, block=best.block)
    return best.consider(xp, nit, "polish")


def _duality_gap(Q, a, C):
    """Relative duality gap of the primal hinge problem (``lambda = 1/C``)."""
    margin = Q @ a  # y_i f_i
    aQa = float(a @ margin)
    hinge = float(np.maximum(0.0, 1.0 - margin).sum())
    if np.isinf(C):  # hard margin: primal ||w||^2 / 2 subject to y f >= 1
        primal, dual = 0.5 * aQa, a.sum() - 0.5 * aQa
        return max(abs(primal - dual) / max(abs(primal), 1e-300), hinge)
    primal = hinge + 0.5 * aQa / C
    return (primal - (a.sum() - 0.5 * aQa) / C) / max(primal, 1e-300)


@validated(C=Interval(0.0, np.inf, low_open=True), tol=Interval(0.0, np.inf, low_open=True),
           max_iter=Integer(1))
def solve_svm_dual(Q, C, *, a0=None, C0=None, features=None, y=None, tol=1e-7, max_iter=30,
                   warn=True):
    """Solve the SVM dual ``min_a a^T Q a / 2 - sum(a)``, ``0 <= a <= C``, without intercept (THEORY §2).

    Stages, in order until the KKT conditions hold (module docstring): active set from the warm
    start ``a0`` (the solution at a nearby ``C0``), usually 1-10 exact linear solves; path
    following in ``C``; interior point (with ``features`` its linear systems cost ``O(n r^2)``),
    polished by the active set. Convergence is certified by the natural KKT residual
    ``max |a - clip(a - grad, 0, C)|``, in units of the margin ``y f``.

    Parameters
    ----------
    Q : array (n, n), symmetric positive semi-definite
        ``(y y^T) * K``.
    C : float in (0, inf]
        ``1 / lambda``; ``inf`` is the hard-margin SVM.
    a0, C0 : array (n,) and float, optional
        Warm start: the solution at ``C0``.
    features, y : arrays (n, r) and (n,), optional
        Any ``Phi`` with ``Phi Phi^T = K`` and the labels: cheaper interior-point steps if ``r < n``.
    tol : float > 0
        KKT tolerance.
    max_iter : int
        Active-set iterations per attempt.
    warn : bool
        One ``RuntimeWarning`` when not converged.

    Returns
    -------
    Result
        Input ``C``; outputs ``a`` (the dual variables, trailing axis ``"sample"``; the predictor
        is ``f = K (a * y)``) and ``gap`` (relative duality gap of the primal hinge problem);
        ``residual`` is the KKT residual, ``n_iter`` the iterations of all stages, ``message``
        names the stages run.
    """
    # overflow / NaN in a failed trial step show up as a non-finite KKT residual and the step
    # is rejected: no need to warn about them
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        res = _solve(np.asarray(Q, dtype=np.float64), float(C), a0, C0, features, y, float(tol),
                     int(max_iter))
    if warn and not res.success:
        warnings.warn(f"solve_svm_dual did not converge: {res.message}", RuntimeWarning,
                      stacklevel=2)
    return res


def _solve(Q, C, a0, C0, features, y, tol, max_iter, block=None):
    """:func:`solve_svm_dual` on checked inputs (no warning); ``block``: a :class:`_FreeBlock`
    on ``Q`` shared by the solves along a path of ``C``."""
    best = _Best(Q, C, tol, block)
    done = a0 is not None and _warm_stage(best, a0, C0, max_iter)
    done = done or _path_stage(best, a0, C0, max_iter)
    done = done or _interior_stage(best, features, y, max_iter)
    stages = "+".join(best.stages)
    converged = bool(np.isfinite(best.kkt) and best.kkt <= tol)
    if converged:
        msg = f"converged ({stages})"
    else:
        hint = "; hard margin on non-separable data?" if np.isinf(C) else ""
        msg = f"KKT residual {best.kkt:.3g} above tol={tol:g} (C={C:g}{hint}; stages {stages})"
    return Result({"C": C}, {"a": best.a, "gap": float(_duality_gap(Q, best.a, C))},
                  converged=converged, n_iter=best.nit, residual=best.kkt, message=msg,
                  trailing={"a": "sample"})
