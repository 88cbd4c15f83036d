"""Power laws in the sample complexity: fits, local slopes and the large-alpha coefficients.

Used by the chapters on the Bayes-optimal error and on the large-``alpha`` rates
(THEORY §4, §5; paper Sec. 3.5, App. C.3, Fig. 6, 9).

* :func:`fit_power_law` -- least-squares fit of ``y = c x^s`` on log-log axes, with the
  standard error of the slope;
* :func:`local_slope` -- ``d log y / d log x`` along a curve (tends to the exponent);
* :func:`bayes_large_alpha_coefficient` -- ``C(eps)`` in ``E_gen^BO ~ C(eps) / alpha``
  (paper App. C.3.1), ``C(0) = 0.4417`` for the classical perceptron;
* :func:`krr_large_alpha_coefficient` -- ``tan(theta*)/pi`` in
  ``E_gen^KRR ~ tan(theta*) / (pi sqrt(alpha))`` (paper Eq. (42), App. C.3.2);
* :func:`markdown_table` -- a small helper that prints a list of rows as a Markdown table.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.integrate import quad
from scipy.special import erfc, erfcx

from ._validation import check_range
from .theory import large_alpha_coefficient

__all__ = [
    "PowerLawFit",
    "fit_power_law",
    "local_slope",
    "bayes_large_alpha_coefficient",
    "krr_large_alpha_coefficient",
    "markdown_table",
]


class PowerLawFit(NamedTuple):
    """Result of :func:`fit_power_law`: ``y ~ prefactor * x**slope``."""

    slope: float
    prefactor: float
    stderr: float


def fit_power_law(x, y, *, x_min=None, x_max=None):
    """Fit ``y = prefactor * x**slope`` by least squares on ``(log x, log y)``.

    Parameters
    ----------
    x, y : array_like, same shape, positive
        The curve (e.g. ``alpha`` and ``E_gen``). Non-finite or non-positive ``y``
        values are dropped (a solver point that did not converge, an error of 0).
    x_min, x_max : float, optional
        Fit only the points with ``x_min <= x <= x_max`` (the asymptotic window).

    Returns
    -------
    PowerLawFit
        ``(slope, prefactor, stderr)``; ``stderr`` is the standard error of the slope
        from the residuals (0 for two points). Unpacks as a tuple.

    Raises
    ------
    ValueError
        If ``x`` is not positive, shapes differ, or fewer than two points remain.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(
            f"The 'x' and 'y' parameters must have the same number of points. "
            f"Got {x.size} and {y.size} instead.")
    check_range("x", x, 0.0, low_open=True)
    keep = np.isfinite(y) & (y > 0) & np.isfinite(x)
    if x_min is not None:
        keep &= x >= float(x_min)
    if x_max is not None:
        keep &= x <= float(x_max)
    if keep.sum() < 2:
        raise ValueError(
            "fit_power_law needs at least two points with finite positive 'y' inside "
            f"[x_min, x_max]. Got {int(keep.sum())} instead.")
    lx, ly = np.log(x[keep]), np.log(y[keep])
    A = np.stack([lx, np.ones_like(lx)], axis=1)
    coef, *_ = np.linalg.lstsq(A, ly, rcond=None)
    slope, intercept = float(coef[0]), float(coef[1])
    k = lx.size
    if k > 2:
        resid = ly - A @ coef
        s2 = float(resid @ resid) / (k - 2)
        sxx = float(np.sum((lx - lx.mean()) ** 2))
        stderr = float(np.sqrt(s2 / sxx)) if sxx > 0 else float("nan")
    else:
        stderr = 0.0
    return PowerLawFit(slope, float(np.exp(intercept)), stderr)


def local_slope(x, y):
    """Logarithmic derivative ``d log y / d log x`` along a curve (second-order differences).

    Tends to the exponent ``s`` where ``y ~ c x^s``; how fast it gets there shows how
    large ``x`` must be for the asymptotic law to apply.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    check_range("x", x, 0.0, low_open=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.gradient(np.log(y), np.log(x))


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
    eps = check_range("eps", eps, 0.0, 1.0)
    flat = np.atleast_1d(eps).astype(float).ravel()
    out = np.empty_like(flat)
    for i, e in enumerate(flat):
        out[i] = np.inf if e >= 1.0 else np.sqrt(2 * np.pi) / (2 * (1 - e) ** 2 * _bo_integral(e))
    return out.reshape(np.shape(eps)) if np.ndim(eps) else float(out[0])


def krr_large_alpha_coefficient(eps):
    """``tan(theta*)/pi`` in ``E_gen^KRR ~ tan(theta*)/(pi sqrt(alpha))`` (THEORY §5; paper Eq. (42)).

    The same for every kernel and every fixed ``lambda``: an alias of
    :func:`raf.theory.large_alpha_coefficient`.
    """
    return large_alpha_coefficient(eps)


def markdown_table(header, rows, *, fmt="{:.4g}"):
    """A Markdown table (string) from a header and rows; floats formatted with ``fmt``."""
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return fmt.format(float(v))
        return str(v)

    lines = ["| " + " | ".join(map(str, header)) + " |",
             "|" + "|".join([" --- "] * len(header)) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(cell(v) for v in r) + " |")
    return "\n".join(lines)
