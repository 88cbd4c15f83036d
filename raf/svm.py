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
from scipy.linalg import LinAlgError, cho_factor, cho_solve, cholesky, solve_triangular

from ._validation import Integer, Interval, validated
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


def _plan_costs(f, p, j, new, cap):
    """Cost, in triangular-solve flops, of each way to reach a factorisation for ``f`` free
    indices: keep ``p`` rows of the base, project ``j`` of them out (``new`` of those not yet
    in the cache) and border the ``k = f - p + j`` others. Weights from timings at ``n ~ 3000``
    on one core: ``potrf`` with its copy of the block runs at half the flop rate of ``trsm`` and
    ``syrk``."""
    k = f - p + j
    border = np.where(k > 0, cap * cap * k + p * k * k + 2.0 * k ** 3 / 3.0, 0.0)
    return border + cap * cap * new + cap * j * j + j ** 3 / 3.0


class _FreeBlock:
    """The free-set solves of the active-set iterations on one ``Q``, reusing a factorisation.

    An active-set iteration solves ``Q_FF x = r`` for the free set ``F``. Successive free sets
    (iterations, and ridges along a path) differ in a few indices, so the block keeps the lower
    Cholesky factor ``L`` of ``Q_GG`` for a *base* sequence ``G`` of indices and solves from it:

    * the factor of a prefix of ``G`` is the leading block of ``L``: indices of ``G`` leaving
      the free set can be dropped by truncating ``G`` before the first of them;
    * indices of ``F`` outside ``G`` are appended to ``G`` by bordering the factor
      (``X = L^{-1} Q_GA``, ``L_S = chol(Q_AA - X^T X)``: the work a fresh factorisation would
      spend on those rows);
    * indices ``R`` of ``G`` outside ``F`` that are kept are held at zero by a projection: with
      ``W = L^{-1} E_R`` (columns of the identity on ``R``) and ``P = W (W^T W)^{-1} W^T``,
      ``x = L^{-T} (I - P) L^{-1} r`` is ``Q_FF^{-1} r`` on ``F`` and zero on ``R``.
      (``W^T W = (Q_GG^{-1})_RR`` is no worse conditioned than ``Q_GG``.) The columns of ``W``
      are kept from solve to solve (bordering extends them), so an index that stays out of the
      free set costs one triangular solve once.

    Where to truncate and what to project, or whether to factorise ``Q_FF`` afresh, is chosen by
    an operation count (:func:`_plan_costs`). A solve through a kept factor is checked on the
    gradient ``Q a - 1`` on ``F`` (what the KKT test measures) and refined, at most ``REFINE``
    steps of one matrix-vector product and two triangular solves each, until
    ``max |Q a - 1|_F <= target`` (or within twice what the last fresh factorisation reached,
    when that was worse, up to ``FLOOR_CAP * target``). If the refinement stalls (an
    ill-conditioned ``Q_GG``: wide kernels at small ridges) or a factorisation fails
    numerically, ``Q_FF`` is factorised afresh and used as it is, as the plain active-set method
    does; after ``MAX_STALLS`` such fallbacks in a row, every later solve is fresh. Free sets
    below ``MIN_SIZE`` are always solved afresh. ``counts`` records the path of each solve.
    On CIFAR10-RAF (n = 3072, 13 ridges) this cuts the SVM path 3-4 times
    (``benchmarks/cifar_speed.py --ab``) with the same iterations and predictions.

    The factor lives in a Fortran-ordered ``(cap, cap)`` buffer whose rows past ``len(G)`` are
    those of the identity, so that bordering and truncating write in place and every solve runs
    on the whole buffer without copies.
    """

    #: free sets smaller than this are factorised afresh without touching the kept factor
    MIN_SIZE = 200
    #: refinement steps before falling back to a fresh factorisation
    REFINE = 3
    #: an update is also accepted when within twice the residual of the last fresh solve (an
    #: ill-conditioned ``Q`` where a fresh factorisation cannot reach ``target`` either), up to
    #: this multiple of ``target``
    FLOOR_CAP = 50.0
    #: after this many fallbacks in a row every solve is fresh (``Q`` too ill-conditioned)
    MAX_STALLS = 3

    def __init__(self, Q):
        self.Q = Q
        self.n = Q.shape[0]
        self.order = np.zeros(0, dtype=np.intp)  # the base G, in the order of the factor's rows
        self.pos = np.full(self.n, -1)  # row of each index in the factor, -1 outside G
        self.L = np.zeros((0, 0), order="F")  # lower factor of Q_GG in L[:len(G), :len(G)]
        self.wrows = np.zeros(0, dtype=np.intp)  # rows of the base with a column in W
        self.W = np.zeros((0, 0), order="F")  # W[:, i] = L^{-1} e_{wrows[i]}
        self.exact = None  # mask of F when the base is a fresh factorisation of exactly Q_FF
        self.floor = 0.0  # max |Q a - 1|_F of the last fresh solve
        self.stalls = 0  # fallbacks in a row
        self.counts = {"small": 0, "fresh": 0, "reused": 0, "updated": 0, "truncated": 0,
                       "projected": 0, "refined": 0, "fallback": 0}

    # -- the factor --

    def _reserve(self, size):
        """Grow the buffer to hold ``size`` rows (by at least a quarter: few copies)."""
        cap = self.L.shape[0]
        if size <= cap:
            return
        cap = min(self.n, max(size, int(1.25 * cap)))
        g = self.order.size
        L = np.eye(cap, order="F")
        L[:g, :g] = self.L[:g, :g]
        W = np.zeros((cap, self.wrows.size), order="F")
        W[:g] = self.W[:g]
        self.L, self.W = L, W

    def _truncate(self, p):
        """Keep the first ``p`` indices of the base (their factor is the leading block)."""
        g = self.order.size
        if p < g:
            self.L[p:g, :g] = 0.0
            self.L[np.arange(p, g), np.arange(p, g)] = 1.0
            self.pos[self.order[p:]] = -1
            self.order = self.order[:p]
            keep = self.wrows < p
            self.W = np.asfortranarray(self.W[:, keep])
            self.W[p:g] = 0.0
            self.wrows = self.wrows[keep]

    def _border(self, add):
        """Append the indices ``add`` to the base (from scratch when it is empty); False when
        the factorisation fails numerically."""
        g, k = self.order.size, add.size
        self._reserve(g + k)
        S = self.Q[np.ix_(add, add)]
        if g:
            B = np.zeros((self.L.shape[0], k), order="F")
            B[:g] = self.Q[np.ix_(self.order, add)]
            X = solve_triangular(self.L, B, lower=True, check_finite=False)[:g]
            S -= X.T @ X
        try:
            LS = cholesky(S, lower=True, check_finite=False)
        except LinAlgError:
            return False
        if g:
            self.L[g:g + k, :g] = X.T
            if self.wrows.size:  # extend W: X^T w_1 + L_S w_2 = 0
                self.W[g:g + k] = solve_triangular(LS, -(X.T @ self.W[:g]), lower=True,
                                                   check_finite=False)
        self.L[g:g + k, g:g + k] = LS
        self.order = np.concatenate([self.order, add])
        self.pos[add] = np.arange(g, g + k)
        return True

    def _plan(self, free, idx):
        """Rows of the base to keep and rows among them to project out (``(0, [])``: afresh).

        Truncating before the ``j``-th row of ``G`` outside ``F`` keeps ``p`` rows, ``j`` of them
        projected out, and borders the ``k`` remaining indices of ``F``.
        """
        g = self.order.size
        removed = np.flatnonzero(~free[self.order])  # rows of G outside F, ascending
        cached = np.zeros(g, dtype=bool)
        cached[self.wrows] = True
        new = np.concatenate([[0], np.cumsum(~cached[removed])]).astype(float)
        p = np.append(removed, g).astype(float)
        cap = float(max(self.L.shape[0], idx.size))
        costs = _plan_costs(float(idx.size), p, np.arange(p.size, dtype=float), new, cap)
        best = int(np.argmin(costs))
        if costs[best] >= 2.0 * idx.size ** 3 / 3.0:  # a fresh factorisation is cheaper
            return 0, removed[:0]
        return int(p[best]), removed[:best]

    # -- solves on the base --

    def _projector(self, rows):
        """``(W, chol(W^T W))`` for ``W = L^{-1} E_R``, ``R = rows``, from the cached columns;
        None when ``R`` is empty; False when ``W^T W`` is numerically singular."""
        keep = np.isin(self.wrows, rows)
        if not keep.all():
            self.W, self.wrows = np.asfortranarray(self.W[:, keep]), self.wrows[keep]
        new = np.setdiff1d(rows, self.wrows)
        if new.size:
            E = np.zeros((self.L.shape[0], new.size), order="F")
            E[new, np.arange(new.size)] = 1.0
            Wn = solve_triangular(self.L, E, lower=True, check_finite=False)
            self.W = np.asfortranarray(np.concatenate([self.W, Wn], axis=1))
            self.wrows = np.concatenate([self.wrows, new])
        if rows.size == 0:
            return None
        try:
            return self.W, cho_factor(self.W.T @ self.W, lower=True, check_finite=False)
        except LinAlgError:
            return False

    def _apply(self, r, proj):
        """``L^{-T} (I - P) L^{-1} r`` on the whole buffer (rows past the base pass through)."""
        y = solve_triangular(self.L, r, lower=True, check_finite=False)
        if proj is not None:
            W, cw = proj
            y -= W @ cho_solve(cw, W.T @ y, check_finite=False)
        return solve_triangular(self.L, y, lower=True, trans="T", check_finite=False)

    # -- the solve --

    def solve(self, free, up, C, target):
        """``(a, g)``: ``a`` zero below, ``C`` above, ``Q_FF^{-1} r`` on ``free``; ``g = Q a - 1``.

        ``(None, None)`` when ``Q_FF`` is numerically singular or the solution not finite.
        """
        Q = self.Q
        idx = np.flatnonzero(free)
        a = np.zeros(self.n)
        a[up] = C
        if idx.size == 0:
            return a, Q @ a - 1.0
        if idx.size < self.MIN_SIZE:
            self.counts["small"] += 1
            rhs = np.ones(idx.size)
            if up.any():
                rhs -= C * Q[np.ix_(idx, up)].sum(axis=1)
            try:
                cl = cho_factor(Q[np.ix_(idx, idx)], lower=True, check_finite=False)
            except LinAlgError:
                return None, None
            a[idx] = cho_solve(cl, rhs, check_finite=False)
            return self._finish(a)
        # r = 1 - C Q_{F,up} 1, on all indices (Q is symmetric: few rows when few are at C)
        n_up = int(np.count_nonzero(up))
        rhs = 1.0 - (C * Q[up].sum(axis=0) if n_up < self.n // 4 else Q @ a) if n_up \
            else np.ones(self.n)
        if self.exact is not None and np.array_equal(free, self.exact):  # same block: reuse
            self.counts["reused"] += 1
            return self._finish(self._place(a, idx, self._apply(self._padded(idx, rhs), None)))
        p, project = self._plan(free, idx) if self.stalls < self.MAX_STALLS else (0, None)
        if p > 0:
            g = self._update_solve(a, free, idx, rhs, target, p, project)
            if g is not None:
                self.stalls = 0
                return a, g
            self.counts["fallback"] += 1
            self.stalls += 1
        self.counts["fresh"] += 1
        self.exact = None
        self._truncate(0)
        if not self._border(idx):
            return None, None
        self.exact = free.copy()
        a, g = self._finish(self._place(a, idx, self._apply(self._padded(idx, rhs), None)))
        if g is not None:  # what a fresh factorisation achieves: later updates may match it
            self.floor = float(np.max(np.abs(g[idx])))
        return a, g

    def _padded(self, idx, rhs):
        r = np.zeros(self.L.shape[0])
        r[self.pos[idx]] = rhs[idx]
        return r

    def _place(self, a, idx, x):
        a[idx] = x[self.pos[idx]]
        return a

    def _finish(self, a):
        if not np.all(np.isfinite(a)):
            return None, None
        return a, self.Q @ a - 1.0

    def _update_solve(self, a, free, idx, rhs, target, p, project):
        """Set ``a`` on ``free`` from the truncated, bordered base, refined to ``target``;
        return ``g = Q a - 1``, or None to start afresh (``a`` then overwritten on ``free``)."""
        self.exact = None
        self.counts["truncated"] += int(p < self.order.size)
        self._truncate(p)
        add = idx[self.pos[idx] < 0]
        if add.size and not self._border(add):
            return None
        proj = self._projector(project)
        if proj is False:
            return None
        self.counts["updated"] += 1
        self.counts["projected"] += int(project.size > 0)
        rows = self.pos[idx]
        r = self._padded(idx, rhs)
        x = self._apply(r, proj)
        last = np.inf
        for step in range(self.REFINE + 1):
            a[idx] = x[rows]
            if not np.all(np.isfinite(a)):
                return None
            g = self.Q @ a - 1.0
            err = float(np.max(np.abs(g[idx])))
            if err <= max(target, min(2.0 * self.floor, self.FLOOR_CAP * target)):
                return g
            if step == self.REFINE or err > 0.5 * last:
                return None
            last = err
            self.counts["refined"] += 1
            r[rows] = -g[idx]
            x = x + self._apply(r, proj)
        return None


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
