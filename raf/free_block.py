"""Cholesky factors of principal submatrices ``Q[F, F]``, kept across the steps of an active-set
method (the free-set solves of :func:`raf.svm.solve_svm_dual`, THEORY §2).

One job: solve ``Q[F, F] x = r`` for a free set ``F`` that changes by a few indices per step
without factoring from scratch each time. A kept factor is grown by bordering, cut back when the
last indices leave, or used with the leaving indices projected out; which of these is cheapest
is decided by an operation count (:func:`_plan_costs`). A solve through a kept factor is refined
until its residual meets the caller's target, and falls back to a fresh factorisation when the
refinement stalls (the plain method), so the caller's convergence test is unchanged.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve, cholesky, solve_triangular

__all__ = ["FreeBlock"]


def _plan_costs(f, p, j, new, cap):
    """Cost, in triangular-solve flops, of each way to reach a factorisation for ``f`` free
    indices: keep ``p`` rows of the base, project ``j`` of them out (``new`` of those not yet
    in the cache) and border the ``k = f - p + j`` others. Weights from timings at ``n ~ 3000``
    on one core: ``potrf`` with its copy of the block runs at half the flop rate of ``trsm`` and
    ``syrk``."""
    k = f - p + j
    border = np.where(k > 0, cap * cap * k + p * k * k + 2.0 * k ** 3 / 3.0, 0.0)
    return border + cap * cap * new + cap * j * j + j ** 3 / 3.0


class FreeBlock:
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
