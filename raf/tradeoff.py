"""Memorisation–generalisation trade-off curves as the ridge varies (THEORY §5, §6; paper Fig. 1, 2, 8).

For a fixed data set (``alpha``, ``eps``), a learner (linear model, kernel, or random
features of width ``kappa``) and a loss, the ridge ``lambda`` traces a curve
``lambda -> (E_gen(lambda), E_mem(lambda))`` in the memorisation–generalisation plane.
:func:`tradeoff_curve` evaluates that curve on a grid of ``lambda`` with one vectorised
call of :func:`raf.theory.erm` and adds its two end points:

* ``lambda -> 0``: the ridgeless limit, solved exactly by ``erm(..., lam=0)`` (kernel
  limit and linear model);
* ``lambda -> inf``: for every loss with ``loss'(y, 0) = -c y`` (square and hinge,
  ``c = 1``; logistic, ``c = 1/2``) the minimiser is ``w ~ (c/lambda) sum_mu y_mu phi(x_mu)``,
  the same estimator up to its scale, which the signs do not see; in the kernel limit its
  errors are the closed form
  :func:`raf.theory.square_large_lambda` (paper App. C.2).

At finite width (``kappa`` a number) ``raf.theory.erm`` has no ridgeless solution: the
``lambda -> 0`` end point is then NaN and the ``lambda -> inf`` one is evaluated
numerically at ``lambda = LAM_INF_NUMERIC``.

Also here: :func:`alpha_c_small_eps`, the leading small-``eps`` behaviour of the
separability threshold :func:`raf.theory.alpha_c`, and :func:`deviation_in_spread`, the
distance of simulations from theory in units of their seed-to-seed spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_choice, check_int, check_range
from .theory import erm, square_large_lambda

__all__ = [
    "LAM_INF_NUMERIC",
    "TradeoffCurve",
    "tradeoff_curve",
    "activation_mu",
    "alpha_c_small_eps",
    "deviation_in_spread",
]

LAM_INF_NUMERIC = 1e8
"""Ridge at which the ``lambda -> inf`` end point is evaluated at finite width ``kappa``."""

_LOSSES = ("square", "hinge", "logistic")


@dataclass
class TradeoffCurve:
    """A ``lambda``-parametrised curve in the ``(E_gen, E_mem)`` plane and its end points.

    Attributes
    ----------
    lam : array (L,)
        The ridges of the grid (increasing, all > 0).
    e_gen, e_mem : arrays ``shape + (L,)``
        Errors along the grid, ``shape`` the broadcast shape of the model parameters.
    converged : bool array ``shape + (L,)``
        Whether the state equations converged at each grid point.
    e_gen_lam0, e_mem_lam0 : arrays ``shape``
        The ``lambda -> 0`` end point (NaN at finite ``kappa``).
    e_gen_laminf, e_mem_laminf : arrays ``shape``
        The ``lambda -> inf`` end point.
    lam0_exact : bool
        False at finite ``kappa`` (no ridgeless end point available).
    """

    lam: np.ndarray
    e_gen: np.ndarray
    e_mem: np.ndarray
    converged: np.ndarray
    e_gen_lam0: np.ndarray
    e_mem_lam0: np.ndarray
    e_gen_laminf: np.ndarray
    e_mem_laminf: np.ndarray
    lam0_exact: bool

    def argmin_gen(self):
        """Index (along the ``lambda`` axis) of the smallest ``E_gen`` on the grid."""
        return np.argmin(self.e_gen, axis=-1)


def activation_mu(activation):
    """``(mu1, mustar)`` of a named activation ("linear", "erf", "relu", ...) (THEORY §3).

    Thin wrapper of :func:`raf.kernels.coefficients` (which also returns ``mu0``, not
    needed by the theory). ``"linear"`` gives ``(1, 0)``, the linear model.
    """
    from .kernels import coefficients

    _, mu1, mustar = coefficients(activation)
    return float(mu1), float(mustar)


def tradeoff_curve(alpha, eps, *, loss="square", mu1=1.0, mustar=0.0, kappa=None, lams=None,
                   n_lam=61, lam_range=(1e-4, 1e4)):
    """The curve ``lambda -> (E_gen, E_mem)`` and its ``lambda -> 0, inf`` end points.

    Parameters
    ----------
    alpha : array_like, > 0
        Sample complexity.
    eps : array_like, in [0, 1]
        Fraction of facts.
    loss : {"square", "hinge", "logistic"}
    mu1, mustar : array_like, >= 0
        Kernel coefficients (THEORY §3); ``mu1=1, mustar=0`` is the linear model.
    kappa : array_like or None
        ``None``: kernel limit. A number: random features of width ``p = kappa d`` (§6).
    lams : array_like, optional
        The ridges (all > 0). Default: ``n_lam`` log-spaced points in ``lam_range``.
    n_lam : int
    lam_range : (float, float)
        ``0 < low < high``.

    Returns
    -------
    TradeoffCurve
        Arrays of shape ``broadcast(alpha, eps, mu1, mustar, kappa) + (L,)``.

    Notes
    -----
    All model parameters are broadcast together and the ``lambda`` axis is appended
    last, so several kernels (e.g. ``mu1=[1, mu1_erf, mu1_relu]``) or widths cost one
    call of :func:`raf.theory.erm`.
    """
    check_choice("loss", loss, _LOSSES)
    alpha = check_range("alpha", alpha, 0.0, low_open=True)
    eps = check_range("eps", eps, 0.0, 1.0)
    mu1 = check_range("mu1", mu1, 0.0)
    mustar = check_range("mustar", mustar, 0.0)
    if lams is None:
        n_lam = check_int("n_lam", n_lam, 2)
        lo, hi = lam_range
        lo = float(check_range("lam_range[0]", lo, 0.0, low_open=True))
        hi = float(check_range("lam_range[1]", hi, lo, low_open=True))
        lams = np.logspace(np.log10(lo), np.log10(hi), n_lam)
    else:
        lams = np.sort(np.atleast_1d(check_range("lams", lams, 0.0, low_open=True)).ravel())
    if kappa is not None:
        kappa = check_range("kappa", kappa, 0.0, low_open=True)

    params = [alpha, eps, mu1, mustar] + ([] if kappa is None else [kappa])
    b = np.broadcast_arrays(*params)
    alpha, eps, mu1, mustar = b[:4]
    kappa = None if kappa is None else b[4]
    shape = alpha.shape
    ax = (Ellipsis, None)

    res = erm(alpha[ax], eps[ax], lams, loss=loss, mu1=mu1[ax], mustar=mustar[ax],
              kappa=None if kappa is None else kappa[ax])
    if kappa is None:
        r0 = erm(alpha, eps, 0.0, loss=loss, mu1=mu1, mustar=mustar)
        e_gen0, e_mem0 = r0.e_gen, r0.e_mem
        if np.all(mu1 > 0):
            e_geninf, e_meminf = square_large_lambda(alpha, eps, mu1, mustar)
        else:  # pure-memorisation kernel (mu1 = 0): no closed form, evaluate numerically
            rinf = erm(alpha, eps, LAM_INF_NUMERIC, loss=loss, mu1=mu1, mustar=mustar)
            e_geninf, e_meminf = rinf.e_gen, rinf.e_mem
        exact = True
    else:
        e_gen0 = np.full(shape, np.nan)
        e_mem0 = np.full(shape, np.nan)
        rinf = erm(alpha, eps, LAM_INF_NUMERIC, loss=loss, mu1=mu1, mustar=mustar, kappa=kappa)
        e_geninf, e_meminf = rinf.e_gen, rinf.e_mem
        exact = False
    return TradeoffCurve(
        lam=lams,
        e_gen=res.e_gen,
        e_mem=res.e_mem,
        converged=res.converged,
        e_gen_lam0=np.asarray(e_gen0, float).reshape(shape),
        e_mem_lam0=np.asarray(e_mem0, float).reshape(shape),
        e_gen_laminf=np.asarray(e_geninf, float).reshape(shape),
        e_mem_laminf=np.asarray(e_meminf, float).reshape(shape),
        lam0_exact=exact,
    )


ALPHA_C_SMALL_EPS_COEFF = (2.0 / 3.0) * (1.5 * np.pi) ** (2.0 / 3.0)
"""``C`` in ``alpha_c(eps) ~ C eps^(-1/3)`` as ``eps -> 0``, ``C = (2/3)(3 pi/2)^(2/3)``."""


def alpha_c_small_eps(eps):
    """Leading behaviour ``alpha_c(eps) ~ (2/3) (3 pi / 2)^(2/3) eps^(-1/3)`` as ``eps -> 0``.

    From ``1/alpha_c = min_t E[(G - t S |Z|)_+^2]`` (THEORY §5): at small ``eps`` the
    optimal ``t`` is large; the rule part contributes ``2/(3 pi t)`` (only ``|Z| < 1/t``
    matters) and the facts ``eps t^2 / 2``. Minimising over ``t`` gives
    ``t^3 = 2/(3 pi eps)`` and ``1/alpha_c ~ (3/2) (2/(3 pi))^(2/3) eps^(1/3)``.
    The relative correction is ``O(eps^(2/3))`` (checked in ``tests/test_tradeoff.py``).
    """
    eps = check_range("eps", eps, 0.0, 1.0, low_open=True)
    out = ALPHA_C_SMALL_EPS_COEFF * eps ** (-1.0 / 3.0)
    return out if out.ndim else float(out)


def deviation_in_spread(sim_mean, sim_std, theory, *, floor=0.005):
    """``|sim_mean - theory| / max(sim_std, floor)``, element-wise.

    The distance of finite-size simulations (mean over seeds) from the theory in units
    of the seed-to-seed standard deviation (the error bars of the book's figures).
    ``floor`` keeps the ratio finite where every seed gives the same value (e.g.
    ``E_mem = 0`` for all seeds); it should be of the order of the resolution of the
    measured error (``1/number of facts``).
    """
    floor = float(check_range("floor", floor, 0.0, low_open=True))
    sim_mean = np.asarray(sim_mean, float)
    sim_std = np.asarray(sim_std, float)
    theory = np.asarray(theory, float)
    return np.abs(sim_mean - theory) / np.maximum(np.nan_to_num(sim_std), floor)
