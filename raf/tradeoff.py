"""Memorisation–generalisation trade-off curves as the ridge varies (THEORY §5, §6; paper Fig. 1, 2, 8).

For a fixed data set (``alpha``, ``eps``), a learner (linear model, kernel, or random
features of width ``kappa``) and a loss, the ridge ``lambda`` traces a curve
``lambda -> (E_gen(lambda), E_mem(lambda))`` in the memorisation–generalisation plane.
:func:`tradeoff_curve` evaluates that curve on a grid of ``lambda`` with one vectorised
call of :func:`raf.theory.erm` and adds its two end points:

* ``lambda -> 0``: the ridgeless limit, solved exactly by ``erm(..., lam=0)`` (kernel
  limit and linear model; at finite width ``kappa`` it is not implemented: NaN);
* ``lambda -> inf``: for every loss with ``loss'(y, 0) = -y`` (square and hinge) the
  minimiser is ``w ~ (1/lambda) sum_mu y_mu phi(x_mu)``, the same estimator for both
  losses: ``erm(..., lam=inf)``, in the kernel limit the closed form
  :func:`raf.theory.square_large_lambda` (paper App. C.2).

Also here: :func:`alpha_c_small_eps`, the leading small-``eps`` behaviour of the
separability threshold :func:`raf.theory.alpha_c` (the distance of simulations from
theory is :func:`raf.compare.deviation`).
"""

from __future__ import annotations

import numpy as np

from ._validation import Choice, Integer, Interval, validated
from .result import Result, warn_unconverged
from .theory import LOSSES
from .theory.erm import solve_erm

__all__ = [
    "tradeoff_curve",
    "activation_mu",
    "alpha_c_small_eps",
]

_NONNEG = Interval(0.0, np.inf)


def activation_mu(activation):
    """``(mu1, mustar)`` of a named activation ("linear", "erf", "relu", ...) (THEORY §3).

    Thin wrapper of :func:`raf.kernels.coefficients` (which also returns ``mu0``, not
    needed by the theory). ``"linear"`` gives ``(1, 0)``, the linear model.
    """
    from .kernels import coefficients

    _, mu1, mustar = coefficients(activation)
    return float(mu1), float(mustar)


def _ridges(lams, n_lam, lam_range):
    if lams is not None:
        return np.sort(np.atleast_1d(lams).ravel())
    lo, hi = lam_range
    lo = float(Interval(0.0, np.inf, low_open=True)("lam_range[0]", lo))
    hi = float(Interval(lo, np.inf, low_open=True)("lam_range[1]", hi))
    return np.logspace(np.log10(lo), np.log10(hi), n_lam)


def _end_points(model, loss, kernel):
    """``(e_gen, e_mem)`` at ``lambda -> 0`` (kernel points only, NaN elsewhere) and ``lambda -> inf``."""
    shape = model["alpha"].shape
    e0 = {"e_gen": np.full(shape, np.nan), "e_mem": np.full(shape, np.nan)}
    ok0 = np.ones(shape, bool)
    if kernel.any():
        r0 = solve_erm(model["alpha"][kernel], model["eps"][kernel], 0.0, loss=loss, mu1=model["mu1"][kernel],
                       mustar=model["mustar"][kernel])
        e0["e_gen"][kernel], e0["e_mem"][kernel], ok0[kernel] = r0.e_gen, r0.e_mem, r0.converged
    rinf = solve_erm(model["alpha"], model["eps"], np.inf, loss=loss, mu1=model["mu1"], mustar=model["mustar"],
                     kappa=model["kappa"])
    return e0, ok0, rinf


@validated(alpha=Interval(0.0, np.inf, low_open=True), eps=Interval(0.0, 1.0), loss=Choice(LOSSES),
           mu1=_NONNEG, mustar=_NONNEG, kappa=Interval(0.0, np.inf, low_open=True, optional=True),
           lams=Interval(0.0, np.inf, low_open=True, optional=True), n_lam=Integer(2))
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
        ``None`` (or ``inf``): kernel limit. A number: random features of width ``p = kappa d`` (§6).
    lams : array_like, optional
        The ridges (all > 0). Default: ``n_lam`` log-spaced points in ``lam_range``.
    n_lam : int
    lam_range : (float, float)
        ``0 < low < high``.

    Returns
    -------
    Result
        Grid: the broadcast shape of ``alpha, eps, mu1, mustar, kappa`` (the inputs). Outputs
        with a trailing ``lam`` axis: ``lam`` (the ridges), ``e_gen``, ``e_mem`` and
        ``lam_converged``; per point: the end points ``e_gen_lam0, e_mem_lam0`` (NaN at finite
        ``kappa``) and ``e_gen_laminf, e_mem_laminf``. ``converged`` holds where the whole curve
        and its end points converged; ``n_iter`` sums and ``residual`` maximises over the curve.

    Notes
    -----
    All model parameters are broadcast together and the ``lambda`` axis is appended
    last, so several kernels (e.g. ``mu1=[1, mu1_erf, mu1_relu]``) or widths cost one
    call of :func:`raf.theory.erm`.
    """
    lams = _ridges(lams, n_lam, lam_range)
    k = np.inf if kappa is None else kappa
    alpha, eps, mu1, mustar, kb = np.broadcast_arrays(alpha, eps, mu1, mustar, np.asarray(k, dtype=float))
    model = {"alpha": alpha, "eps": eps, "mu1": mu1, "mustar": mustar, "kappa": kb}
    ax = (Ellipsis, None)
    curve = solve_erm(alpha[ax], eps[ax], lams, loss=loss, mu1=mu1[ax], mustar=mustar[ax], kappa=kb[ax])
    e0, ok0, rinf = _end_points(model, loss, np.isinf(kb))
    shape = alpha.shape
    outputs = {
        "lam": np.broadcast_to(lams, shape + lams.shape), "e_gen": curve.e_gen, "e_mem": curve.e_mem,
        "lam_converged": curve.converged,
        "e_gen_lam0": e0["e_gen"], "e_mem_lam0": e0["e_mem"],
        "e_gen_laminf": rinf.e_gen, "e_mem_laminf": rinf.e_mem,
    }
    inputs = {"alpha": alpha, "eps": eps, "loss": loss, "mu1": mu1, "mustar": mustar,
              "kappa": None if kappa is None else kb}
    res = Result(inputs, outputs, converged=curve.converged.all(axis=-1) & ok0 & rinf.converged,
                 n_iter=curve.n_iter.sum(axis=-1), residual=curve.residual.max(axis=-1),
                 trailing={k: "lam" for k in ("lam", "e_gen", "e_mem", "lam_converged")})
    return warn_unconverged(res, f"tradeoff_curve (loss={loss!r})", stacklevel=4)


ALPHA_C_SMALL_EPS_COEFF = (2.0 / 3.0) * (1.5 * np.pi) ** (2.0 / 3.0)
"""``C`` in ``alpha_c(eps) ~ C eps^(-1/3)`` as ``eps -> 0``, ``C = (2/3)(3 pi/2)^(2/3)``."""


@validated(eps=Interval(0.0, 1.0, low_open=True))
def alpha_c_small_eps(eps):
    """Leading behaviour ``alpha_c(eps) ~ (2/3) (3 pi / 2)^(2/3) eps^(-1/3)`` as ``eps -> 0``.

    From ``1/alpha_c = min_t E[(G - t S |Z|)_+^2]`` (THEORY §5): at small ``eps`` the
    optimal ``t`` is large; the rule part contributes ``2/(3 pi t)`` (only ``|Z| < 1/t``
    matters) and the facts ``eps t^2 / 2``. Minimising over ``t`` gives
    ``t^3 = 2/(3 pi eps)`` and ``1/alpha_c ~ (3/2) (2/(3 pi))^(2/3) eps^(1/3)``.
    The relative correction is ``O(eps^(2/3))`` (checked in ``tests/test_tradeoff.py``).
    """
    out = ALPHA_C_SMALL_EPS_COEFF * eps ** (-1.0 / 3.0)
    return out if out.ndim else float(out)
