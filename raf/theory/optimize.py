"""The ridge that minimises the generalisation error (THEORY §5; paper Fig. 3, 6)."""

from __future__ import annotations

import numpy as np

from .._validation import Choice, Integer, Interval, validated
from ..result import Result, warn_unconverged
from .channels import LOSSES
from .erm import solve_erm
from .square import lambda_opt_square

__all__ = ["optimal_lambda"]

_GOLD = (np.sqrt(5.0) - 1.0) / 2.0
_NONNEG = Interval(0.0, np.inf)


def _scan(model, grid, progress):
    """``E_gen`` on the ridge grid (last axis), ``inf`` where a point did not converge."""
    ex = (...,) + (None,)
    scan = solve_erm(model["alpha"][ex], model["eps"][ex], grid, loss=model["loss"], mu1=model["mu1"][ex],
                     mustar=model["mustar"][ex], progress=progress)
    return np.where(scan.converged, scan.e_gen, np.inf)


def _bracket(k, grid, lam_min):
    """``log lambda`` bracket around the best scan point ``k`` (index 0 is ``lambda = 0``)."""
    logg = np.log(grid[1:])
    n = logg.size
    kk = np.clip(k - 1, 0, n - 1)  # position in the log grid
    lo = np.where(k == 0, np.log(lam_min) - 2.0, logg[np.clip(kk - 1, 0, n - 1)])
    hi = np.where(k == 0, logg[min(1, n - 1)], logg[np.clip(kk + 1, 0, n - 1)])
    return lo, hi


def _golden(f, lo, hi, n_golden):
    """Golden-section search of ``f`` (vectorised, one bracket per point) in ``[lo, hi]``."""
    c = hi - _GOLD * (hi - lo)
    d = lo + _GOLD * (hi - lo)
    fc, fd = f(c), f(d)
    for _ in range(n_golden):
        left = fc < fd
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        c_new = hi - _GOLD * (hi - lo)
        d_new = lo + _GOLD * (hi - lo)
        c, d = np.where(left, c_new, d), np.where(left, c, d_new)
        fe = f(np.where(left, c, d))
        fc, fd = np.where(left, fe, fd), np.where(left, fc, fe)
    return 0.5 * (lo + hi)


def _numerical_optimum(model, lam_min, lam_max, n_grid, n_golden, progress):
    """Best ridge of the scan, refined by golden section; only converged points count."""
    grid = np.concatenate([[0.0], np.geomspace(lam_min, lam_max, n_grid)])
    e_scan = _scan(model, grid, progress)
    k = np.argmin(e_scan, axis=-1)
    e_best = np.min(e_scan, axis=-1)

    def f(logl):
        r = solve_erm(model["alpha"], model["eps"], np.exp(logl), loss=model["loss"], mu1=model["mu1"],
                      mustar=model["mustar"])
        return np.where(r.converged, r.e_gen, np.inf)

    lo, hi = _bracket(k, grid, lam_min)
    log_lam = _golden(f, lo, hi, n_golden)
    refined = f(log_lam) < e_best  # else keep the scan's point (lambda = 0 wins ties)
    return np.where(refined, np.exp(log_lam), grid[k])


@validated(alpha=Interval(0.0, np.inf, low_open=True), eps=Interval(0.0, 1.0), loss=Choice(LOSSES),
           mu1=_NONNEG, mustar=_NONNEG, lam_min=Interval(0.0, np.inf, low_open=True),
           lam_max=Interval(0.0, np.inf, low_open=True), n_grid=Integer(2), n_golden=Integer(0))
def optimal_lambda(alpha, eps, *, loss="square", mu1=1.0, mustar=0.0, lam_min=1e-5, lam_max=1e3,
                   n_grid=65, n_golden=40, progress=False):
    """The ridge ``lambda_opt = argmin_{lambda >= 0} E_gen`` and the fixed point there.

    Square loss, kernel limit: the closed form :func:`lambda_opt_square` (``inf`` at
    ``eps = 1``). Otherwise a log-spaced scan of ``[lam_min, lam_max]`` together with
    ``lambda = 0`` (vectorised over the grid of ``alpha, eps, mu1, mustar``), refined by
    golden-section search in ``log lambda`` inside the bracket of the best scan point. Only
    points whose state equations converged take part. The scan must be fine: for the hinge
    loss ``E_gen(lambda)`` is flat in the max-margin regime and can have a narrow dip (a factor
    of about 2 in ``lambda``) before the large-``lambda`` plateau; the default 65 points over
    8 decades resolve it.

    Returns
    -------
    Result
        Inputs ``alpha, eps, loss, mu1, mustar``; outputs ``lam`` (the optimal ridge) and
        every output of :func:`raf.theory.erm` at it, with its per-point flags.
    """
    if float(lam_max) <= float(lam_min):
        raise ValueError(f"The 'lam_max' parameter must be a float in the range ({float(lam_min):g}, inf). "
                         f"Got {float(lam_max)!r} instead.")
    alpha, eps, mu1, mustar = np.broadcast_arrays(alpha, eps, mu1, mustar)
    model = {"alpha": alpha, "eps": eps, "loss": loss, "mu1": mu1, "mustar": mustar}
    if loss == "square":
        lam = lambda_opt_square.__wrapped__(eps, mu1, mustar)
    else:
        lam = _numerical_optimum(model, float(lam_min), float(lam_max), n_grid, n_golden, progress)
    res = solve_erm(alpha, eps, lam, loss=loss, mu1=mu1, mustar=mustar)
    out = Result(model, {"lam": np.asarray(lam, dtype=float), **res.outputs}, converged=res.converged,
                 n_iter=res.n_iter, residual=res.residual)
    return warn_unconverged(out, f"optimal_lambda (loss={loss!r})", stacklevel=4)
