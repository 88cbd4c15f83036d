"""Sweeps over the kernel angle ``theta`` (THEORY §3, §5; paper Sec. 3.3, Fig. 3, 4, 10-13).

At ``lambda -> 0`` and at the optimal ``lambda`` the errors depend on the kernel only through
``theta = arctan(mustar / mu1)`` (paper App. A.6), so every kernel can be replaced by the
unit-norm pair ``(mu1, mustar) = (cos theta, sin theta)``. This module turns
:mod:`raf.theory` into the tidy arrays the chapter *The kernel angle* plots:

* :func:`angle_sweep` -- ``E_gen`` and ``E_mem`` at ``lambda -> 0`` and at ``lambda_opt``
  on an ``(alpha, theta)`` grid, one vectorised call each (paper Fig. 3, 12);
* :func:`minimise_angle` / :func:`best_angle` -- the angle that minimises a curve,
  vectorised over ``alpha`` (grid zoom + parabola);
* :func:`fig3_table` -- the table printed under the paper's Fig. 3;
* :func:`tradeoff_curves` -- ``(E_gen, E_mem)`` as ``lambda`` varies at fixed angles
  (paper Fig. 4, 5, 11);
* :func:`family_parameters` -- parameters of the kernel families of the paper's Table 1
  that realise a given angle (paper Fig. 10);
* :func:`centred_kernel` -- a family member with its constant ``k(0)`` removed, for
  finite-size simulations (paper Fig. 13);
* :func:`markdown_table` -- a small pandas-free table for the book;
* :func:`plot_angle_sweeps` -- the panels of the paper's Fig. 3 / 12;
* :func:`kernel_table` -- the paper's Table 1 with the parameters that realise ``theta*``;
* :func:`simulate_matched` -- finite-size KRR / SVM with two kernels of equal
  ``(mu1, mustar)``, against the theory (paper Fig. 13).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels as _k
from ._validation import check_choice, check_int, check_range
from .theory import bayes_optimal, erm, optimal_lambda, theta_star

__all__ = [
    "PAPER_FIG3_ALPHAS",
    "PAPER_FIG3_EPS",
    "PAPER_FIG3_TABLE",
    "FIG3_COLUMNS",
    "AngleSweep",
    "angle_sweep",
    "minimise_angle",
    "best_angle",
    "fig3_table",
    "tradeoff_curves",
    "family_parameters",
    "centred_kernel",
    "markdown_table",
    "plot_angle_sweeps",
    "kernel_table",
    "simulate_matched",
]

#: Sample complexities and fraction of facts of the paper's Fig. 3.
PAPER_FIG3_ALPHAS = (2.0, 4.0, 10.0, 20.0)
PAPER_FIG3_EPS = 0.2
#: Columns of the table under the paper's Fig. 3.
FIG3_COLUMNS = (
    "E_gen^BO",
    "KRR, theta*, lambda->0",
    "SVM best theta, lambda_opt",
    "SVM best theta, lambda->0",
)
#: The values printed in the paper (rows: ``PAPER_FIG3_ALPHAS``; columns: ``FIG3_COLUMNS``).
PAPER_FIG3_TABLE = np.array([
    [0.2430, 0.2479, 0.2445, 0.2477],
    [0.1702, 0.1864, 0.1763, 0.1858],
    [0.0853, 0.1208, 0.1009, 0.1196],
    [0.0449, 0.0858, 0.0669, 0.0846],
])


#: Scan of ``optimal_lambda`` used throughout (see :func:`angle_sweep`).
_OPT = {"n_grid": 129, "n_golden": 30}


def _unit(theta):
    theta = np.asarray(theta, dtype=float)
    return np.cos(theta), np.sin(theta)


def _check_theta(theta):
    return check_range("theta", theta, 0.0, np.pi / 2)


@dataclass
class AngleSweep:
    """Errors on an ``(alpha, theta)`` grid at ``lambda -> 0`` and at ``lambda_opt``.

    Every array has shape ``(len(alpha), len(theta))``.

    Attributes
    ----------
    alpha, theta : 1-d arrays
    eps : float
    loss : str
    e_gen_0, e_mem_0 : errors at ``lambda -> 0`` (``e_mem_0 = 0`` for ``theta > 0``).
    lam_opt : the ridge minimising ``E_gen`` (closed form for the square loss).
    e_gen_opt, e_mem_opt : errors at ``lam_opt``.
    converged : whether both fixed points converged.
    """

    alpha: np.ndarray
    theta: np.ndarray
    eps: float
    loss: str
    e_gen_0: np.ndarray
    e_mem_0: np.ndarray
    lam_opt: np.ndarray
    e_gen_opt: np.ndarray
    e_mem_opt: np.ndarray
    converged: np.ndarray


def angle_sweep(alpha, eps, theta, *, loss="square", n_grid=129, n_golden=30):
    """``E_gen`` at ``lambda -> 0`` and ``E_gen, E_mem`` at ``lambda_opt`` versus ``theta``.

    Paper Fig. 3 and 12. The kernel is the unit-norm pair ``(cos theta, sin theta)``; at
    these two regularisations every kernel of angle ``theta`` gives the same errors
    (paper App. A.6). Each regularisation is one vectorised call of :func:`raf.theory.erm`
    / :func:`raf.theory.optimal_lambda` on the whole grid.

    Parameters
    ----------
    alpha : array_like (A,), > 0
    eps : float in [0, 1)
    theta : array_like (T,), in [0, pi/2]
    loss : {"square", "hinge"}
    n_grid, n_golden : int
        Passed to :func:`raf.theory.optimal_lambda` (hinge loss: log-spaced scan of
        ``lambda`` in ``[1e-5, 1e3]`` and golden-section refinement steps). For the hinge
        loss at large ``theta``, ``E_gen(lambda)`` has a plateau at small ``lambda`` and a
        narrow dip below it near ``lambda ~ 1``: a scan of 17 points misses the dip (at
        ``alpha=4, eps=0.2, theta=1.16`` it returns ``lambda = 0.17``, ``E_gen = 0.19150``
        instead of ``lambda = 0.79``, ``E_gen = 0.18963``) and 33 points still err by up to
        ``5e-4``; 129 points agree with 257 to ``5e-6`` on the grid of paper Fig. 3.

    Returns
    -------
    AngleSweep
    """
    check_choice("loss", loss, ("square", "hinge"))
    alpha = np.atleast_1d(check_range("alpha", alpha, 0.0, low_open=True)).ravel()
    eps = float(check_range("eps", eps, 0.0, 1.0, high_open=True))
    theta = np.atleast_1d(_check_theta(theta)).ravel()
    n_grid = check_int("n_grid", n_grid, low=2)
    n_golden = check_int("n_golden", n_golden, low=1)
    mu1, mustar = _unit(theta)
    a = alpha[:, None]
    r0 = erm(a, eps, 0.0, loss=loss, mu1=mu1, mustar=mustar)
    ropt = optimal_lambda(a, eps, loss=loss, mu1=mu1, mustar=mustar, n_grid=n_grid, n_golden=n_golden)
    lam = ropt.lam
    shape = (alpha.size, theta.size)
    return AngleSweep(alpha=alpha, theta=theta, eps=eps, loss=loss,
                      e_gen_0=np.broadcast_to(r0.e_gen, shape).copy(),
                      e_mem_0=np.broadcast_to(r0.e_mem, shape).copy(),
                      lam_opt=np.broadcast_to(lam, shape).copy(),
                      e_gen_opt=np.broadcast_to(ropt.e_gen, shape).copy(),
                      e_mem_opt=np.broadcast_to(ropt.e_mem, shape).copy(),
                      converged=np.broadcast_to(r0.converged & ropt.converged, shape).copy())


def _parabola_vertex(x, y):
    """Vertex of the parabola through three points per row (x, y of shape (R, 3))."""
    x0, x1, x2 = x.T
    y0, y1, y2 = y.T
    den = (x0 - x1) * (x0 - x2) * (x1 - x2)
    A = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
    B = (x2**2 * (y0 - y1) + x1**2 * (y2 - y0) + x0**2 * (y1 - y2)) / den
    C = (x1 * x2 * (x1 - x2) * y0 + x2 * x0 * (x2 - x0) * y1 + x0 * x1 * (x0 - x1) * y2) / den
    ok = A > 0
    xv = np.where(ok, -B / np.where(ok, 2 * A, 1.0), x1)
    xv = np.clip(xv, x0, x2)
    yv = np.where(ok, C - B * B / np.where(ok, 4 * A, 1.0), y1)
    return xv, yv


def minimise_angle(f, lo, hi, *, n_points=7, n_zoom=2):
    """Minimise ``f(theta)`` on ``[lo, hi]`` for many independent rows at once.

    ``f`` maps a ``(R, P)`` array of angles to a ``(R, P)`` array of values (row ``r``
    is one problem, e.g. one ``alpha``). Each zoom evaluates ``n_points`` equally
    spaced angles per row and shrinks the bracket to the neighbours of the best one;
    the last zoom ends with the vertex of the parabola through the best point and its
    neighbours, where ``f`` is evaluated once more (the best grid point is kept if it is
    lower). The functions minimised here are smooth near their minimum, so the error on
    the minimum value is far below the resolution of the last grid.

    Returns
    -------
    theta_min, value_min : arrays (R,)
    """
    n_points = check_int("n_points", n_points, low=3)
    n_zoom = check_int("n_zoom", n_zoom, low=1)
    lo = np.atleast_1d(np.asarray(lo, dtype=float))
    hi = np.atleast_1d(np.asarray(hi, dtype=float))
    lo, hi = np.broadcast_arrays(lo, hi)
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    s = np.linspace(0.0, 1.0, n_points)
    for it in range(n_zoom):
        th = lo[:, None] + (hi - lo)[:, None] * s
        v = np.asarray(f(th), dtype=float)
        if it == 0 and lo.size == 1 and v.shape[0] > 1:  # scalar bracket shared by all rows
            lo, hi = np.repeat(lo, v.shape[0]), np.repeat(hi, v.shape[0])
            th = np.broadcast_to(th, v.shape)
        rows = np.arange(lo.size)
        v = np.where(np.isfinite(v), v, np.inf)
        k = np.clip(np.argmin(v, axis=1), 1, n_points - 2)
        if it == n_zoom - 1:
            idx = k[:, None] + np.array([-1, 0, 1])
            xv, _ = _parabola_vertex(th[rows[:, None], idx], v[rows[:, None], idx])
            fv = np.asarray(f(xv[:, None]), dtype=float)[:, 0]  # the value itself, not the fit's
            kb = np.argmin(v, axis=1)
            better = np.isfinite(fv) & (fv <= v[rows, kb])
            return np.where(better, xv, th[rows, kb]), np.where(better, fv, v[rows, kb])
        lo, hi = th[rows, k - 1], th[rows, k + 1]


def best_angle(alpha, eps, *, loss="hinge", regime="ridgeless", lo=0.0, hi=1.5, n_points=7,
               n_zoom=3):
    """Angle minimising ``E_gen`` at ``lambda -> 0`` or at ``lambda_opt``, for each ``alpha``.

    Paper Sec. 3.3: for the square loss at ``lambda -> 0`` the answer is ``theta*`` of
    :func:`raf.theory.theta_star` for every ``alpha``; for the hinge loss it is found
    numerically here (:func:`minimise_angle` on ``[lo, hi]``, which may be arrays).

    Parameters
    ----------
    alpha : array_like (A,)
    eps : float
    loss : {"square", "hinge"}
    regime : {"ridgeless", "optimal"}
    lo, hi : float or array (A,)
        Bracket of the search (e.g. the neighbours of the best point of an
        :func:`angle_sweep` grid).

    Returns
    -------
    theta_min, e_gen_min : arrays (A,)
    """
    check_choice("loss", loss, ("square", "hinge"))
    check_choice("regime", regime, ("ridgeless", "optimal"))
    alpha = np.atleast_1d(check_range("alpha", alpha, 0.0, low_open=True)).ravel()
    eps = float(check_range("eps", eps, 0.0, 1.0, high_open=True))
    _check_theta(lo)
    _check_theta(hi)
    a = alpha[:, None]

    def f(th):
        mu1, mustar = _unit(th)
        if regime == "ridgeless":
            return erm(a, eps, 0.0, loss=loss, mu1=mu1, mustar=mustar).e_gen
        return optimal_lambda(a, eps, loss=loss, mu1=mu1, mustar=mustar, **_OPT).e_gen

    lo = np.broadcast_to(np.asarray(lo, dtype=float), alpha.shape)
    hi = np.broadcast_to(np.asarray(hi, dtype=float), alpha.shape)
    return minimise_angle(f, lo, hi, n_points=n_points, n_zoom=n_zoom)


def _bracket(sweep_values, theta):
    """Neighbours of the best grid point of each row, as a search bracket."""
    k = np.argmin(sweep_values, axis=1)
    return theta[np.clip(k - 1, 0, theta.size - 1)], theta[np.clip(k + 1, 0, theta.size - 1)]


def fig3_table(hinge_sweep, *, n_points=5, n_zoom=2):
    """The table under the paper's Fig. 3, computed from a hinge :func:`angle_sweep`.

    Columns (:data:`FIG3_COLUMNS`): Bayes-optimal ``E_gen``; KRR at ``theta*`` and
    ``lambda -> 0`` (the best KRR error, closed form); SVM at ``lambda_opt`` minimised
    over ``theta``; SVM at ``lambda -> 0`` minimised over ``theta``. The two SVM minima
    start from the best grid points of ``hinge_sweep`` and are refined by
    :func:`best_angle`, so a coarse sweep still gives an accurate table.

    Returns
    -------
    table : array (A, 4)
    info : dict
        ``theta_star``, and per ``alpha`` the SVM's best angles ``theta_svm_opt``,
        ``theta_svm_0``.
    """
    if hinge_sweep.loss != "hinge":
        raise ValueError(
            "The 'hinge_sweep' parameter must be an AngleSweep with loss='hinge'. "
            f"Got loss={hinge_sweep.loss!r} instead."
        )
    alpha, eps, theta = hinge_sweep.alpha, hinge_sweep.eps, hinge_sweep.theta
    ts = float(theta_star(eps))
    bo = bayes_optimal(alpha, eps).e_gen
    krr = erm(alpha, eps, 0.0, loss="square", mu1=np.cos(ts), mustar=np.sin(ts)).e_gen
    lo, hi = _bracket(hinge_sweep.e_gen_opt, theta)
    th_opt, svm_opt = best_angle(alpha, eps, loss="hinge", regime="optimal", lo=lo, hi=hi,
                                 n_points=n_points, n_zoom=n_zoom)
    lo, hi = _bracket(hinge_sweep.e_gen_0, theta)
    th_0, svm_0 = best_angle(alpha, eps, loss="hinge", regime="ridgeless", lo=lo, hi=hi,
                             n_points=7, n_zoom=4)
    table = np.stack([bo, krr, svm_opt, svm_0], axis=1)
    return table, {"theta_star": ts, "theta_svm_opt": th_opt, "theta_svm_0": th_0}


def tradeoff_curves(alpha, eps, theta, lams, *, loss="square"):
    """``(E_gen, E_mem)`` along ``lams`` at each angle (paper Fig. 4, 5, 11).

    Parameters
    ----------
    alpha, eps : float
    theta : array_like (T,)
        Angles; the kernel is ``(cos theta, sin theta)``. A kernel of the same angle and
        norm ``r`` traces the same curve with ``lambda`` multiplied by ``r^2``.
    lams : array_like (L,), >= 0
    loss : {"square", "hinge"}

    Returns
    -------
    dict
        ``theta`` (T,), ``lam`` (L,), ``e_gen``, ``e_mem`` (T, L); ``lam_opt``,
        ``e_gen_opt``, ``e_mem_opt`` (T,) at the optimal ``lambda``.
    """
    check_choice("loss", loss, ("square", "hinge"))
    alpha = float(check_range("alpha", alpha, 0.0, low_open=True))
    eps = float(check_range("eps", eps, 0.0, 1.0, high_open=True))
    theta = np.atleast_1d(_check_theta(theta)).ravel()
    lams = np.atleast_1d(check_range("lams", lams, 0.0)).ravel()
    mu1, mustar = _unit(theta[:, None])
    r = erm(alpha, eps, lams, loss=loss, mu1=mu1, mustar=mustar)
    ropt = optimal_lambda(alpha, eps, loss=loss, mu1=mu1[:, 0], mustar=mustar[:, 0], **_OPT)
    lam_opt = ropt.lam
    return {"theta": theta, "lam": lams, "e_gen": r.e_gen, "e_mem": r.e_mem,
            "converged": r.converged, "lam_opt": lam_opt, "e_gen_opt": ropt.e_gen,
            "e_mem_opt": ropt.e_mem}


def family_parameters(theta, families=None):
    """Parameter of each kernel family whose kernel has angle ``theta`` (paper Fig. 10).

    Parameters
    ----------
    theta : array_like, in (0, pi/2)
    families : dict name -> KernelFamily, optional
        Default: the RBF, exponential, geometric and cubic polynomial families of
        :data:`raf.kernels.FAMILIES` (the truncated quadratic is parametrised by its
        angle and is left out).

    Returns
    -------
    dict name -> array (same shape as ``theta``)
    """
    theta = _check_theta(theta)
    if families is None:
        families = {k: v for k, v in _k.FAMILIES.items() if k != "quadratic"}
    return {name: np.asarray(_k.param_for_angle(fam, theta)) for name, fam in families.items()}


def centred_kernel(family, param):
    """Member ``k(t) - k(0)`` of a family, as a :class:`raf.kernels.DotProductKernel`.

    The constant ``k(0)`` leaves ``(mu1, mustar)`` and the theory unchanged, but at
    finite size it adds a rank-one mode ``k(0) 1 1^T`` to the Gram matrix. The SVM
    without intercept cannot absorb it: once many dual variables sit at their bound
    ``C = 1/lambda`` the prediction picks up ``k(0) C sum_mu y_mu``, a random offset of
    the order of the signal. Kernel ridge regression absorbs it as long as
    ``lambda << n k(0)``. Simulations meant to be compared with the theory therefore
    use the centred kernel (as THEORY §6 does with centred activations).
    """
    if isinstance(family, str):
        family = _k.get_family(family)
    p = float(family.check_param(param))
    k0 = float(family.k(np.array(0.0), p))
    mu1, mustar = family.coefficients(p)

    def k(t, _f=family.k, _p=p, _k0=k0):
        return _f(np.asarray(t, dtype=float), _p) - _k0

    return _k.DotProductKernel(name=f"{family.name}({family.param_name}={p:.4g}) - k(0)", k=k,
                               mu1=float(mu1), mustar=float(mustar))


def markdown_table(header, rows, *, fmt="{:.4f}"):
    """A Markdown table from a header and rows; floats are formatted with ``fmt``."""
    def cell(x):
        if isinstance(x, (float, np.floating)):
            return fmt.format(float(x))
        return str(x)

    lines = ["| " + " | ".join(str(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def plot_angle_sweeps(axes, sweeps, shift=None, *, theta_mark=None):
    """Draw paper Fig. 3 / 12 on a ``(len(sweeps), 3)`` array of axes.

    Row ``i`` shows ``sweeps[i]`` (an :class:`AngleSweep`): ``E_gen`` at ``lambda -> 0``,
    ``E_gen`` at ``lambda_opt`` and ``E_mem`` at ``lambda_opt`` versus ``theta``, one line per
    ``alpha``. ``shift`` (array (A,), optional) is subtracted from both ``E_gen`` columns,
    as in the paper (there: the KRR error at ``theta*``, ``lambda -> 0``). ``theta_mark``
    draws a dashed vertical line (``theta*``).
    """
    from .plotting import LABELS, theory_line

    axes = np.atleast_2d(axes)
    for row, sw in zip(axes, sweeps):
        s = np.zeros(sw.alpha.size) if shift is None else np.asarray(shift, dtype=float)
        sub = r" - E_{\rm gen}^{\rm KRR}(\theta^\star)" if shift is not None else ""
        ylab = [rf"$E_{{\rm gen}}(\lambda\to0){sub}$", rf"$E_{{\rm gen}}(\lambda_{{\rm opt}}){sub}$",
                r"$E_{\rm mem}(\lambda_{\rm opt})$"]
        for i, a in enumerate(sw.alpha):
            c = f"C{i}"
            lab = rf"$\alpha={a:g}$"
            theory_line(row[0], sw.theta, sw.e_gen_0[i] - s[i], color=c, label=lab)
            theory_line(row[1], sw.theta, sw.e_gen_opt[i] - s[i], color=c, label=lab)
            theory_line(row[2], sw.theta, sw.e_mem_opt[i], color=c, label=lab)
        for j, ax in enumerate(row):
            if theta_mark is not None:
                ax.axvline(theta_mark, color="k", ls="--", lw=1)
            ax.set_ylabel(ylab[j])
            ax.set_xlabel(LABELS["theta"])
            ax.text(0.03, 0.95, sw.loss, transform=ax.transAxes, va="top", fontsize=10,
                    bbox=dict(boxstyle="round", fc="white", ec="0.7"))
    axes[0, 0].legend(loc="upper center", fontsize=9)
    return axes


#: Display formulas of the paper's Table 1 (plain Unicode: they go into Markdown tables).
_TABLE1 = (
    ("Linear (perceptron)", "linear", "t", "1", "0"),
    ("Arc-sine (sign)", "sign", "(2/π) arcsin t", "2/π", "1 − 2/π"),
    ("Arc-sine (erf)", "erf", "(2/π) arcsin(2t/3)", "4/(3π)", "(2/π) arcsin(2/3) − 4/(3π)"),
    ("ReLU (arc-cosine, centred)", "relu", "[√(1−t²) + t(π − arccos t) − 1]/(2π)", "1/4",
     "1/4 − 1/(2π)"),
    ("Polynomial (cubic)", "polynomial", "(c + t)³", "3c²", "(1+c)³ − c³ − 3c²"),
    ("Exponential", "exponential", "exp(t/s)", "1/s", "exp(1/s) − 1 − 1/s"),
    ("Spherical Gaussian (RBF)", "rbf", "exp(−2γ(1 − t))", "2γ exp(−2γ)",
     "1 − exp(−2γ) − 2γ exp(−2γ)"),
    ("Geometric", "geometric", "1/(1 − a t)", "a", "a²/(1 − a)"),
    ("Truncated quadratic", "quadratic", "cos²θ t + sin²θ t²", "cos²θ", "sin²θ"),
)


def kernel_table(eps):
    """Rows of the paper's Table 1 with the angle each kernel realises (paper App. D.1).

    Fixed kernels (activations) get their angle ``theta``; one-parameter families get the
    parameter at which their angle is ``theta*(eps)`` (paper Eqs. (212)-(217)).

    Returns
    -------
    header : list of str
    rows : list of lists (name, k(t), mu1^2, mustar^2, theta in rad, parameter at theta*)
    """
    ts = float(theta_star(eps))
    header = ["kernel", "k(t)", "μ₁²", "μ⋆²", "θ (rad)", f"parameter at θ* = {ts:.4f}"]
    rows = []
    for name, key, kf, m1, ms in _TABLE1:
        if key in _k.ACTIVATION_KERNELS:
            ker = _k.ACTIVATION_KERNELS[key]
            rows.append([name, kf, m1, ms, float(ker.angle), "—"])
        else:
            fam = _k.FAMILIES[key]
            p = float(_k.param_for_angle(fam, ts))
            rows.append([name, kf, m1, ms, "(0, π/2)", f"{fam.param_name} = {p:.4f}"])
    return header, rows


def simulate_matched(d, alpha, eps, lams, *, family, param, loss="square", seeds=(0, 1, 2, 3, 4),
                     n_test=4000, blas_threads=1):
    """Finite-size runs of two kernels with equal ``(mu1, mustar)`` and their theory (paper Fig. 13).

    The two kernels are the centred family member (:func:`centred_kernel`) and the truncated
    quadratic ``k(t) = mu1^2 t + mustar^2 t^2`` with the same coefficients
    (:func:`raf.kernels.truncated_quadratic`); both are run by
    :func:`raf.experiments.simulate_kernel` on the same seeds.

    ``blas_threads`` caps the BLAS threads during the runs (``threadpoolctl``): the Gram
    matrices are small (``n`` of a few hundred), threading gains nothing there, and on a
    shared machine spinning BLAS threads made each Cholesky factorisation of the SVM solver
    ~20 times slower in our measurements. ``None`` leaves the BLAS settings alone.

    Returns
    -------
    dict
        ``"kernels"``, ``"sims"``: {name: DotProductKernel / simulate_kernel dict}, with
        names ``family.name`` (e.g. ``"rbf"``) and ``"quadratic"``;
        ``"theory"``: :class:`raf.result.Result` of :func:`raf.theory.erm` at ``lams``; ``mu1``, ``mustar``, ``param``.
    """
    from contextlib import nullcontext

    from .experiments import simulate_kernel

    check_choice("loss", loss, ("square", "hinge"))
    lams = np.atleast_1d(check_range("lams", lams, 0.0)).ravel()
    if isinstance(family, str):
        family = _k.get_family(family)
    centred = centred_kernel(family, param)
    kers = {family.name: centred,
            "quadratic": _k.truncated_quadratic(centred.mu1, centred.mustar)}
    if blas_threads is None:
        ctx = nullcontext()
    else:
        from threadpoolctl import threadpool_limits

        ctx = threadpool_limits(limits=check_int("blas_threads", blas_threads, low=1), user_api="blas")
    with ctx:
        sims = {name: simulate_kernel(d, alpha, eps, lams, kernel=ker, loss=loss, seeds=seeds,
                                      n_test=n_test)
                for name, ker in kers.items()}
    theory = erm(alpha, eps, lams, loss=loss, mu1=centred.mu1, mustar=centred.mustar)
    return {"kernels": kers, "sims": sims, "theory": theory, "mu1": centred.mu1,
            "mustar": centred.mustar, "param": float(param)}
