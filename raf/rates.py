"""Power laws in the sample complexity: fits, local slopes and the large-alpha coefficients.

Used by the chapters on the Bayes-optimal error and on the large-``alpha`` rates
(THEORY §4, §5; paper Sec. 3.5, App. C.3, Fig. 6, 9).

* :func:`fit_power_law` -- least-squares fit of ``y = c x^s`` on log-log axes, with the
  standard error of the slope, for one curve or many at once;
* :func:`local_slope` -- ``d log y / d log x`` along a curve (tends to the exponent);
* :func:`local_slope_points` -- the same between consecutive simulated points, with its
  standard error;
* :func:`bayes_large_alpha_coefficient` -- ``C(eps)`` in ``E_gen^BO ~ C(eps) / alpha``
  (paper App. C.3.1), ``C(0) = 0.4417`` for the classical perceptron.

The KRR coefficient ``tan(theta*)/pi`` of ``E_gen^KRR ~ tan(theta*)/(pi sqrt(alpha))`` is
:func:`raf.theory.large_alpha_coefficient`.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad
from scipy.special import erfc, erfcx

from ._validation import Interval, validated
from .result import Result

__all__ = [
    "fit_power_law",
    "local_slope",
    "local_slope_points",
    "bayes_large_alpha_coefficient",
]

_POSITIVE = Interval(0.0, np.inf, low_open=True)


def _fit_one(lx, ly):
    """Slope, log-prefactor and standard error of the slope of one least-squares line."""
    A = np.stack([lx, np.ones_like(lx)], axis=1)
    coef, *_ = np.linalg.lstsq(A, ly, rcond=None)
    sxx = float(np.sum((lx - lx.mean()) ** 2))
    if lx.size > 2:
        resid = ly - A @ coef
        stderr = float(np.sqrt(float(resid @ resid) / (lx.size - 2) / sxx))
    else:  # a line through two points has no residual to estimate its error from
        stderr = float("nan")
    return float(coef[0]), float(coef[1]), stderr


@validated(x=_POSITIVE, x_min=Interval(0.0, np.inf, optional=True),
           x_max=Interval(0.0, np.inf, optional=True))
def fit_power_law(x, y, *, x_min=None, x_max=None):
    """Fit ``y = prefactor * x**slope`` by least squares on ``(log x, log y)``.

    Parameters
    ----------
    x : array_like (N,), positive
        The abscissae (e.g. ``alpha``), shared by every curve.
    y : array_like (..., N)
        One curve, or many along the leading axes (e.g. ``E_gen``). Non-finite or non-positive
        values are dropped (a solver point that did not converge, an error of 0).
    x_min, x_max : float, optional
        Fit only the points with ``x_min <= x <= x_max`` (the asymptotic window).

    Returns
    -------
    Result
        Shape ``y.shape[:-1]``; inputs ``x_min``, ``x_max``; outputs ``slope``, ``prefactor``,
        ``stderr`` (standard error of the slope from the residuals; NaN for a line through two
        points, which has none) and ``n_points``.

    Raises
    ------
    ValueError
        If shapes differ, fewer than two points of a curve remain, or the points kept do not
        span at least two distinct values of ``x`` (the slope is then undefined).
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float)
    if y.shape[-1:] != x.shape:
        raise ValueError("The 'y' parameter must have the points of 'x' along its last axis. "
                         f"Got {x.size} x values and y of shape {y.shape} instead.")
    window = np.ones(x.size, bool)
    if x_min is not None:
        window &= x >= float(x_min)
    if x_max is not None:
        window &= x <= float(x_max)
    grid = y.shape[:-1]
    out = {k: np.empty(grid) for k in ("slope", "prefactor", "stderr")}
    out["n_points"] = np.empty(grid, int)
    for idx in np.ndindex(*grid):
        keep = window & np.isfinite(y[idx]) & (y[idx] > 0)
        if keep.sum() < 2:
            raise ValueError("fit_power_law needs at least two points with finite positive 'y' "
                             f"inside [x_min, x_max]. Got {int(keep.sum())} instead"
                             + (f" for the curve {idx}." if grid else "."))
        if np.ptp(x[keep]) == 0:
            raise ValueError("The 'x' parameter must take at least two distinct values on the "
                             f"points fitted (the slope is undefined). Got only x={x[keep][0]!r}.")
        slope, log_c, stderr = _fit_one(np.log(x[keep]), np.log(y[idx][keep]))
        out["slope"][idx], out["prefactor"][idx] = slope, np.exp(log_c)
        out["stderr"][idx], out["n_points"][idx] = stderr, int(keep.sum())
    return Result({"x_min": x_min, "x_max": x_max}, out, converged=np.ones(grid, bool),
                  message="fitted")


@validated(x=_POSITIVE)
def local_slope(x, y):
    """Logarithmic derivative ``d log y / d log x`` along a curve (second-order differences).

    Tends to the exponent ``s`` where ``y ~ c x^s``; how fast it gets there shows how
    large ``x`` must be for the asymptotic law to apply.
    """
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.gradient(np.log(y), np.log(x))


@validated(x=_POSITIVE, mean=_POSITIVE, sem=Interval(0.0, np.inf))
def local_slope_points(x, mean, sem):
    """Slope ``log(m_{k+1}/m_k) / log(x_{k+1}/x_k)`` between consecutive simulated points.

    For means over independent data sets at each ``x`` (standard errors ``sem``), the standard
    error of each slope is ``sqrt((sem_k/m_k)^2 + (sem_{k+1}/m_{k+1})^2) / log(x_{k+1}/x_k)``
    (first order in the relative errors). Returns a :class:`Result` over the ``K - 1`` pairs with
    inputs ``x_mid`` (geometric midpoints) and outputs ``slope``, ``slope_sem``.
    """
    x, mean, sem = (np.asarray(v, dtype=float).ravel() for v in (x, mean, sem))
    if not (x.shape == mean.shape == sem.shape) or x.size < 2 or np.any(np.diff(x) <= 0):
        raise ValueError("The 'x', 'mean' and 'sem' parameters must have one shape, with at least "
                         f"2 increasing points. Got {x.shape}, {mean.shape}, {sem.shape}.")
    dlx = np.diff(np.log(x))
    rel = sem / mean
    return Result({"x_mid": np.sqrt(x[1:] * x[:-1])},
                  {"slope": np.diff(np.log(mean)) / dlx,
                   "slope_sem": np.sqrt(rel[1:] ** 2 + rel[:-1] ** 2) / dlx})


def _bo_integral(eps):
    """``I(eps) = int exp(-s^2) / (1 + (1-eps) erf(s/sqrt 2)) ds`` (overflow-free)."""

    def neg(s):  # s < 0: 1 + (1-eps) erf(s/sqrt2) = eps + (1-eps) erfc(|s|/sqrt2)
        u = -s / np.sqrt(2.0)
        grow = eps * np.exp(min(0.5 * s * s, 700.0)) if eps > 0 else 0.0
        return np.exp(-0.5 * s * s) / (grow + (1.0 - eps) * erfcx(u))

    def pos(s):
        return np.exp(-s * s) / (eps + (1.0 - eps) * erfc(-s / np.sqrt(2.0)))

    return quad(neg, -np.inf, 0.0, epsabs=1e-13, epsrel=1e-10)[0] + quad(
        pos, 0.0, np.inf, epsabs=1e-13, epsrel=1e-10)[0]


@validated(eps=Interval(0.0, 1.0))
def bayes_large_alpha_coefficient(eps):
    """``C(eps)`` in ``E_gen^BO(alpha, eps) ~ C(eps) / alpha`` as ``alpha -> inf`` (eps < 1).

    As ``alpha`` grows the Bayes-optimal overlap ``q_b -> 1``; writing ``delta = 1 - q_b``
    the state equation of THEORY §4 gives ``q_hat ~ 1/delta`` on one side and
    ``q_hat ~ 4 alpha (1-eps)^2 I(eps) / ((2 pi)^{3/2} sqrt(delta))`` on the other, with
    ``I(eps) = int exp(-s^2) / (1 + (1-eps) erf(s/sqrt 2)) ds``. Since
    ``E = arccos(sqrt q_b)/pi ~ sqrt(delta)/pi``,

        C(eps) = sqrt(2 pi) / (2 (1-eps)^2 I(eps))

    (paper App. C.3.1, Eq. (201)). ``C(0) = 0.44170`` is the classical perceptron;
    ``C ~ 1/(sqrt 2 (1-eps)^2)`` as ``eps -> 1``. Vectorised over ``eps``; ``inf`` at 1.
    """
    flat = np.atleast_1d(eps).astype(float).ravel()
    out = np.empty_like(flat)
    for i, e in enumerate(flat):
        out[i] = np.inf if e >= 1.0 else np.sqrt(2 * np.pi) / (2 * (1 - e) ** 2 * _bo_integral(e))
    return out.reshape(np.shape(eps)) if np.ndim(eps) else float(out[0])
