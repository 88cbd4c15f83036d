"""Theory against finite-size simulations: one distance, in standard errors (THEORY §7).

One job: say how far a simulated error (a mean over seeds, with its standard error) lies from the
exact ``d -> inf`` prediction. Every chapter and test measures it the same way:

    deviation = max(|sim_mean - theory| - bias, 0) / max(sim_sem, floor)

* ``sim_sem`` is the standard error of the mean over seeds (``std(ddof=1) / sqrt(S)``, the error
  bars of the book's figures), as :mod:`raf.simulations` reports it;
* ``floor`` is the smallest standard error believed. A simulated error is a fraction of finitely
  many points, so when every seed gives the same value (``E_mem = 0`` for an interpolating kernel)
  the standard error is 0 and the ratio would be infinite. The floor is the resolution of that
  fraction: one point out of the ``count`` it is measured on, over ``sqrt(S)`` seeds,
  :func:`resolution` ``= 1 / (count sqrt(S))``. The default, ``DEFAULT_FLOOR = 0.002``, is the
  resolution of an error on a few hundred points averaged over a handful of seeds;
* ``bias`` is an allowance for the ``O(d^{-1/2})`` finite-size corrections, which do not average
  out over seeds (default 0: the raw distance in standard errors).

A deviation of order one means that the seed-to-seed fluctuations, not a bias, separate
simulation and theory; three is the usual threshold of a test.
"""

from __future__ import annotations

import numpy as np

from ._validation import Integer, Interval, validated

__all__ = ["DEFAULT_FLOOR", "deviation", "max_deviation", "resolution"]

#: Default floor of the standard error (module docstring).
DEFAULT_FLOOR = 0.002

_POSITIVE = Interval(0.0, np.inf, low_open=True)


@validated(count=Integer(1), n_seeds=Integer(1))
def resolution(count, n_seeds):
    """``1 / (count sqrt(n_seeds))``: the resolution of an error rate measured on ``count`` points
    and averaged over ``n_seeds`` seeds, the natural ``floor`` of :func:`deviation`."""
    return 1.0 / (count * np.sqrt(n_seeds))


@validated(floor=_POSITIVE, bias=Interval(0.0, np.inf))
def deviation(sim_mean, sim_sem, theory, *, floor=DEFAULT_FLOOR, bias=0.0):
    """Distance of simulated means from the theory in standard errors, element-wise (module docs).

    Parameters
    ----------
    sim_mean, sim_sem : array_like
        Mean over seeds and its standard error (NaN standard errors count as 0).
    theory : array_like
        The prediction at the same parameters (broadcast).
    floor : float > 0
        Smallest standard error believed (see :func:`resolution`).
    bias : float >= 0
        Finite-size allowance subtracted from ``|sim_mean - theory|`` first.

    Returns
    -------
    ndarray
        ``max(|sim_mean - theory| - bias, 0) / max(sim_sem, floor)``; NaN where the simulation or
        the theory is NaN (a point that did not converge is never hidden).
    """
    sim_mean, sim_sem, theory = (np.asarray(v, dtype=float) for v in (sim_mean, sim_sem, theory))
    gap = np.maximum(np.abs(sim_mean - theory) - float(bias), 0.0)
    gap = np.where(np.isnan(sim_mean) | np.isnan(theory), np.nan, gap)
    return gap / np.maximum(np.nan_to_num(sim_sem), float(floor))


def max_deviation(sim, theory, *, keys=("e_gen", "e_mem"), floor=DEFAULT_FLOOR, bias=0.0):
    """Largest :func:`deviation` over the errors ``keys`` and every point of a simulation.

    ``sim`` is a result of :mod:`raf.simulations` (outputs ``key`` and ``key + "_sem"``),
    ``theory`` anything with the attributes ``keys`` at the same points (a result of
    :func:`raf.theory.erm`). NaN when any point is NaN or, on either side, flagged
    ``converged=False``.
    """
    def checked(res, k):
        value = np.asarray(getattr(res, k), dtype=float)
        ok = np.asarray(getattr(res, "converged", True), dtype=bool)
        return np.where(ok, value, np.nan)

    return float(max(np.max(deviation(checked(sim, k), getattr(sim, k + "_sem"),
                                      checked(theory, k), floor=floor, bias=bias))
                     for k in keys))
