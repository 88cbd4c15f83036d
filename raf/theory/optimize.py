"""The ridge that minimises the generalisation error (THEORY §5; paper Fig. 3, 6)."""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_range
from .channels import LOSSES
from .erm import erm
from .square import lambda_opt_square

__all__ = ["optimal_lambda"]

_GOLD = (np.sqrt(5.0) - 1.0) / 2.0


def optimal_lambda(alpha, eps, *, loss="square", mu1=1.0, mustar=0.0, lam_min=1e-5, lam_max=1e3,
                   n_grid=65, n_golden=40, progress=False):
    """Cross-validated ridge ``lambda_opt = argmin_{lambda >= 0} E_gen`` and the fixed point there.

    Square loss, kernel limit: the closed form :func:`lambda_opt_square`. Otherwise a
    log-spaced scan of ``[lam_min, lam_max]`` together with ``lambda = 0`` (vectorised
    over the grid of ``alpha, eps, mu1, mustar``), refined by golden-section search in
    ``log lambda`` inside the bracket of the best scan point. The scan must be fine: for
    the hinge loss ``E_gen(lambda)`` is flat in the max-margin regime and can have a
    narrow dip (a factor of about 2 in ``lambda``) before the large-``lambda`` plateau;
    the default 65 points over 8 decades resolve it.

    Returns
    -------
    lam_opt : ndarray
    result : ERMResult at ``lam_opt``
    """
    check_choice("loss", loss, LOSSES)
    lam_min = float(check_range("lam_min", lam_min, 0.0, low_open=True))
    lam_max = float(check_range("lam_max", lam_max, lam_min, low_open=True))
    alpha, eps, mu1, mustar = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (alpha, eps, mu1, mustar))
    )
    if loss == "square":
        lam = lambda_opt_square(eps, mu1, mustar)
        lam = np.where(np.isfinite(lam), lam, lam_max)
        return lam, erm(alpha, eps, lam, loss=loss, mu1=mu1, mustar=mustar)

    grid = np.concatenate([[0.0], np.geomspace(lam_min, lam_max, n_grid)])
    ex = (...,) + (None,)
    scan = erm(alpha[ex], eps[ex], grid, loss=loss, mu1=mu1[ex], mustar=mustar[ex], progress=progress)
    e = np.where(scan.converged, scan.e_gen, np.inf)
    k = np.argmin(e, axis=-1)
    # bracket in log lambda around the best scan point (index 0 is lambda = 0)
    logg = np.log(grid[1:])
    kk = np.clip(k - 1, 0, n_grid - 1)  # position in the log grid
    lo = logg[np.clip(kk - 1, 0, n_grid - 1)]
    hi = logg[np.clip(kk + 1, 0, n_grid - 1)]
    lo = np.where(k == 0, np.log(lam_min) - 2.0, lo)  # lambda = 0 best: search below lam_min too
    hi = np.where(k == 0, logg[1], hi)

    def f(logl):
        return erm(alpha, eps, np.exp(logl), loss=loss, mu1=mu1, mustar=mustar)

    c = hi - _GOLD * (hi - lo)
    d = lo + _GOLD * (hi - lo)
    fc, fd = f(c).e_gen, f(d).e_gen
    for _ in range(n_golden):
        left = fc < fd
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        c_new = hi - _GOLD * (hi - lo)
        d_new = lo + _GOLD * (hi - lo)
        c, d = np.where(left, c_new, d), np.where(left, c, d_new)
        fe = f(np.where(left, c, d)).e_gen
        fc, fd = np.where(left, fe, fd), np.where(left, fc, fe)
    lam = np.exp(0.5 * (lo + hi))
    res = f(np.log(lam))
    e0 = scan.e_gen[..., 0]
    use0 = scan.converged[..., 0] & (e0 <= res.e_gen)
    lam = np.where(use0, 0.0, lam)
    if use0.any():
        res = erm(alpha, eps, lam, loss=loss, mu1=mu1, mustar=mustar)
    return lam, res
