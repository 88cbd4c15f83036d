"""The iterative part of :func:`raf.theory.erm`: the fixed-point map and the paths to it.

:func:`fixed_point_map` builds ``G(x) = prior(channel(x))`` on the state ``x = (q, s2, W)``
(THEORY §5, §6; :mod:`raf.theory.channels`, :mod:`raf.theory.priors`).
:func:`solve_iterative` solves it per grid point: Newton's method from the square loss's
closed-form solution, then, for the points where that does not converge, a continuation in
the ridge, each step started from the previous one's solution.
"""

from __future__ import annotations

import numpy as np

from ..result import Result
from .generic import loss_model, max_margin_path
from .priors import kernel_prior, random_features_prior
from .solver import solve_fixed_point
from .square import square_fixed_point

__all__ = ["fixed_point_map", "solve_iterative"]

_DIRECT_ITER = 15  # Newton iterations from the square loss's solution before a path is tried
_STEP_ITER = 20  # Newton iterations for one step of the path
_MIN_LOG_F = np.log(1.0 + 1e-3)  # smallest step of the path (a factor in lambda)
_PATH_FLOOR = 1e-8  # last ridge of the rescaled path before the step to lambda = 0
_PLAIN_FLOOR = 1e-14  # last ridge of the plain path (linear model above its threshold)


def fixed_point_map(P, S, loss):
    """``G(x, idx)``: the map whose fixed point is the state of grid points ``idx``.

    ``P`` holds the model's per-point arrays (``alpha, eps, mu1, mustar, kappa``; ``kappa = inf``
    is the kernel limit), ``S`` the system's (``r, lam_r, tau``), see :func:`raf.theory.erm`.
    """
    channel = loss_model(loss).channel
    kernel = np.isinf(P["kappa"])
    width = np.where(kernel, 1.0, P["kappa"])

    def G(x, idx):
        q, s2, W = x[:, 0], x[:, 1], x[:, 2]
        M, Q, U = channel(q, s2, W, S["r"][idx], P["alpha"][idx] / width[idx], P["eps"][idx])
        out = np.stack(kernel_prior(M, Q, U, mu1=P["mu1"][idx], lam_r=S["lam_r"][idx], tau=S["tau"][idx])[:3],
                       axis=1)
        rf = ~kernel[idx]
        if rf.any():
            i = idx[rf]
            out[rf] = np.stack(random_features_prior(M[rf], Q[rf], U[rf], mu1=P["mu1"][i], mustar=P["mustar"][i],
                                                     kappa=width[i], lam_r=S["lam_r"][i])[:3], axis=1)
        return out

    return G


def _start(P, S):
    """The square loss's closed-form state ``(q, s2, W)`` in the system ``S``.

    Where it is no state (``W = 0``: the square loss does not interpolate where the hinge
    does; ``q = 0``: no linear part, at finite width) a neutral ``(1, 1/2, 1)``.
    """
    q, s2, W, _, _ = square_fixed_point(P["alpha"], P["eps"], P["lam"], P["mu1"], r=S["r"], lam_r=S["lam_r"],
                                        tau=S["tau"])
    x = np.stack([q, s2, W], axis=1)
    ok = np.isfinite(x).all(axis=1) & (q > 0) & (W > 0) & (s2 > 0) & (s2 <= 1)
    x[~ok] = (1.0, 0.5, 1.0)
    return x


def _rescaled(P, lam_k):
    """The model at ridge ``lam_k`` in the rescaled system (``r = lam_k``)."""
    return {**P, "lam": lam_k}, {"r": lam_k, "lam_r": np.ones_like(lam_k), "tau": P["mustar"] ** 2}


def _plain(P, lam_k):
    """The linear model at ridge ``lam_k`` in the plain system (``r = 1``, ``lam_r = lam_k``)."""
    return {**P, "lam": lam_k}, {"r": np.ones_like(lam_k), "lam_r": lam_k, "tau": np.zeros_like(lam_k)}


def _descend(P, x, cur, stop, system, loss, *, tol):
    """Adaptive continuation of the states ``x`` from ridges ``cur`` down to ``stop``.

    Each point moves its ridge down by a factor (at first ``10**0.5``), solving in
    ``system(P, lam_k)`` from the secant extrapolation of its last two solutions in
    ``(log lambda, log x)``; a step that converges doubles the factor's
    logarithm (up to one decade), one that fails halves it, and a point whose factor falls
    below ``1 + 1e-3`` gives up. Returns ``(x, ok, n_iter, residual)``.
    """
    n = cur.size
    x, cur = x.copy(), cur.copy()
    ok = np.ones(n, bool)
    n_tot = np.zeros(n, int)
    res = np.zeros(n)
    log_f = np.full(n, 0.5 * np.log(10.0))
    prev_y, prev_l = np.log(x), np.full(n, np.nan)  # the last solution before the current one
    moving = cur > stop
    while moving.any():
        i = np.flatnonzero(moving)
        nxt = np.maximum(stop[i], cur[i] * np.exp(-log_f[i]))
        y = np.log(x[i])
        with np.errstate(invalid="ignore"):  # secant predictor in (log lambda, log x)
            slope = (y - prev_y[i]) / (np.log(cur[i]) - prev_l[i])[:, None]
        guess = np.where(np.isfinite(slope), y + slope * (np.log(nxt) - np.log(cur[i]))[:, None], y)
        guess[:, 1] = np.minimum(guess[:, 1], 0.0)
        Pi, Si = system({k: v[i] for k, v in P.items()}, nxt)
        fp = solve_fixed_point(fixed_point_map(Pi, Si, loss), np.exp(guess), tol=tol, max_iter=_STEP_ITER)
        n_tot[i] += fp.n_iter
        good = fp.converged
        g = i[good]
        prev_y[g], prev_l[g] = np.log(x[g]), np.log(cur[g])
        x[g], cur[g], res[g] = fp.x[good], nxt[good], fp.residual[good]
        log_f[i] = np.where(good, np.minimum(2.0 * log_f[i], np.log(10.0)), 0.5 * log_f[i])
        ok[i[~good & (log_f[i] < _MIN_LOG_F)]] = False
        moving = ok & (cur > stop)
    return x, ok, n_tot, res


def _ridge_path(P, S, loss, *, tol, max_iter):
    """Continuation from ``max(1, lambda)`` down to ``lambda`` (:func:`_descend`).

    In the rescaled system down to ``lambda``, or to ``1e-8`` for targets at ``lambda = 0``.
    Those then take one more solve in their own system ``S``: rescaled at ``r = 0``; or, for
    the linear model above its interpolation threshold, plain, after a second descent in the
    plain system from ``1e-8`` to ``1e-14`` (``W = lambda V`` becomes ``V = W/lambda``), where
    the ridgeless solution can still move by per cents (few facts, ``eps -> 0``).
    """
    lam = P["lam"]
    start = np.maximum(lam, 1.0)
    Pk, Sk = _rescaled(P, start)
    fp = solve_fixed_point(fixed_point_map(Pk, Sk, loss), _start(Pk, Sk), tol=tol, max_iter=max_iter)
    stop = np.where(lam > 0, lam, _PATH_FLOOR)
    x, ok, n_tot, res = _descend(P, fp.x, start, stop, _rescaled, loss, tol=tol)
    ok &= fp.converged
    n_tot += fp.n_iter
    res = np.where(start > stop, res, fp.residual)
    plain = np.flatnonzero(ok & (lam == 0) & (S["r"] > 0))
    if plain.size:
        xp = x[plain].copy()
        xp[:, 2] /= _PATH_FLOOR
        Pp = {k: v[plain] for k, v in P.items()}
        xp, okp, n_p, _ = _descend(Pp, xp, np.full(plain.size, _PATH_FLOOR), np.full(plain.size, _PLAIN_FLOOR),
                                   _plain, loss, tol=tol)
        x[plain], ok[plain], n_tot[plain] = xp, okp, n_tot[plain] + n_p
    z = np.flatnonzero(ok & (lam == 0))
    if z.size:
        Pz = {k: v[z] for k, v in P.items()}
        Sz = {k: v[z] for k, v in S.items()}
        fz = solve_fixed_point(fixed_point_map(Pz, Sz, loss), x[z], tol=tol, max_iter=max_iter)
        x[z], ok[z], res[z], n_tot[z] = fz.x, fz.converged, fz.residual, n_tot[z] + fz.n_iter
    return x, ok, n_tot, res


def solve_iterative(P, S, loss, *, tol, max_iter, progress=None):
    """Solve the fixed point of every point of ``P`` (flat arrays) in its system ``S``.

    Returns
    -------
    Result
        Output ``x = (q, s2, W)`` per point, with ``converged``, ``n_iter``, ``residual``.
    """
    x0 = _start(P, S)
    fp = solve_fixed_point(fixed_point_map(P, S, loss), x0, tol=tol, max_iter=min(max_iter, _DIRECT_ITER),
                           progress=progress)
    x, ok = fp.x.copy(), fp.converged.copy()
    n_iter, residual = fp.n_iter.copy(), fp.residual.copy()
    rest = np.flatnonzero(~ok)
    # ridgeless rescaled points (r = 0) of the logistic loss are max-margin ones: the hinge's path
    for path, part in ((loss, rest[S["r"][rest] > 0]), (max_margin_path(loss), rest[S["r"][rest] == 0])):
        if not part.size:
            continue
        sub = {k: v[part] for k, v in P.items()}
        xr, okr, nr, rr = _ridge_path(sub, {k: v[part] for k, v in S.items()}, path, tol=tol, max_iter=max_iter)
        x[part], ok[part], n_iter[part], residual[part] = xr, okr, n_iter[part] + nr, rr
        if progress is not None:
            progress.update(int(okr.sum()))
    return Result({}, {"x": x}, converged=ok, n_iter=n_iter, residual=residual,
                  trailing={"x": "component (q, s2, W)"})
