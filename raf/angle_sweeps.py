"""Sweeps over the kernel angle ``theta`` (THEORY §3, §5; paper Sec. 3.3, Fig. 3, 4, 10-13).

At ``lambda -> 0`` and at the optimal ``lambda`` the errors depend on the kernel only through
``theta = arctan(mustar / mu1)`` (paper App. A.6), so every kernel can be replaced by the
unit-norm pair ``(mu1, mustar) = (cos theta, sin theta)``. One job: turn :mod:`raf.theory` into
the sweeps over ``theta`` the chapter *The kernel angle* plots, each a :class:`raf.result.Result`:

* :func:`angle_sweep` -- ``E_gen`` and ``E_mem`` at ``lambda -> 0`` and at ``lambda_opt`` on an
  ``(alpha, theta)`` grid, one vectorised call each (paper Fig. 3, 12);
* :func:`minimise_angle` / :func:`best_angle` -- the angle that minimises a curve, vectorised
  over ``alpha`` (grid zoom + parabola);
* :func:`fig3_table` -- the table printed under the paper's Fig. 3 (compare with
  :data:`raf.paper.PAPER_FIG3_TABLE`);
* :func:`tradeoff_curves` -- ``(E_gen, E_mem)`` as ``lambda`` varies at fixed angles (paper
  Fig. 4, 5, 11);
* :func:`simulate_matched` -- finite-size KRR / SVM with two kernels of equal ``(mu1, mustar)``,
  against the theory (paper Fig. 13).

The kernels realising an angle are :func:`raf.kernels.family_parameters` and
:func:`raf.kernels.centred_kernel`; the figure is :func:`raf.plotting.plot_angle_sweeps`.
"""

from __future__ import annotations

import numpy as np

from . import kernels as _k
from ._validation import Choice, Integer, Interval, validated
from .result import Result
from .theory import bayes_optimal, erm, optimal_lambda, theta_star
from .theory.channels import LOSSES

__all__ = [
    "angle_sweep",
    "minimise_angle",
    "best_angle",
    "fig3_table",
    "tradeoff_curves",
    "simulate_matched",
]

#: Scan of ``optimal_lambda`` used throughout (see :func:`angle_sweep`).
_OPT = {"n_grid": 129, "n_golden": 30}

_ALPHA = Interval(0.0, np.inf, low_open=True)
_EPS = Interval(0.0, 1.0, high_open=True)
_THETA = Interval(0.0, np.pi / 2)
_LOSS = Choice(LOSSES)


def _unit(theta):
    theta = np.asarray(theta, dtype=float)
    return np.cos(theta), np.sin(theta)


def _residual(r):
    """The residual of a theory result, where it reports one."""
    return getattr(r, "residual", None)


@validated(alpha=_ALPHA, eps=_EPS, theta=_THETA, loss=_LOSS, n_grid=Integer(2),
           n_golden=Integer(1))
def angle_sweep(alpha, eps, theta, *, loss="square", n_grid=129, n_golden=30):
    """``E_gen, E_mem`` at ``lambda -> 0`` and at ``lambda_opt`` versus ``theta`` (paper Fig. 3, 12).

    The kernel is the unit-norm pair ``(cos theta, sin theta)``; at these two regularisations
    every kernel of angle ``theta`` gives the same errors (paper App. A.6). Each regularisation
    is one vectorised call of :func:`raf.theory.erm` / :func:`raf.theory.optimal_lambda`.

    Parameters
    ----------
    alpha : array_like (A,), > 0
    eps : float in [0, 1)
    theta : array_like (T,), in [0, pi/2]
    loss : {"square", "hinge"}
    n_grid, n_golden : int
        Passed to :func:`raf.theory.optimal_lambda`. For the hinge loss at large ``theta``,
        ``E_gen(lambda)`` has a plateau at small ``lambda`` and a narrow dip below it near
        ``lambda ~ 1``: a scan of 17 points misses the dip (at ``alpha=4, eps=0.2, theta=1.16``
        it returns ``lambda = 0.17``, ``E_gen = 0.19150`` instead of ``lambda = 0.79``,
        ``E_gen = 0.18963``) and 33 points still err by up to ``5e-4``; 129 points agree with 257
        to ``5e-6`` on the grid of paper Fig. 3.

    Returns
    -------
    Result
        Over ``(alpha, theta)``, shape ``(A, T)``: inputs ``alpha``, ``theta``, ``eps``, ``loss``;
        outputs ``e_gen_0``, ``e_mem_0`` (at ``lambda -> 0``; ``e_mem_0 = 0`` for
        ``theta > 0``), ``lam_opt`` (closed form for the square loss), ``e_gen_opt``,
        ``e_mem_opt``; ``converged`` where both fixed points converged.
    """
    alpha, theta = np.ravel(alpha), np.ravel(theta)
    mu1, mustar = _unit(theta)
    a = alpha[:, None]
    r0 = erm(a, eps, 0.0, loss=loss, mu1=mu1, mustar=mustar)
    ropt = optimal_lambda(a, eps, loss=loss, mu1=mu1, mustar=mustar, n_grid=n_grid, n_golden=n_golden)
    lam = ropt.lam
    shape = (alpha.size, theta.size)

    def grid(v):
        return np.broadcast_to(np.asarray(v), shape).copy()

    res0, resopt = _residual(r0), _residual(ropt)
    return Result({"alpha": a, "theta": theta[None, :], "eps": float(eps), "loss": loss},
                  {"e_gen_0": grid(r0.e_gen), "e_mem_0": grid(r0.e_mem), "lam_opt": grid(lam),
                   "e_gen_opt": grid(ropt.e_gen), "e_mem_opt": grid(ropt.e_mem)},
                  converged=grid(np.asarray(r0.converged) & np.asarray(ropt.converged)),
                  n_iter=grid(np.asarray(r0.n_iter) + np.asarray(ropt.n_iter)),
                  residual=None if res0 is None else grid(np.maximum(res0, resopt)))


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
    return np.clip(xv, x0, x2), np.where(ok, C - B * B / np.where(ok, 4 * A, 1.0), y1)


def _zoom(f, lo, hi, s):
    """One zoom: values of ``f`` on ``len(s)`` equally spaced angles per row of ``[lo, hi]``."""
    th = lo[:, None] + (hi - lo)[:, None] * s
    v = np.asarray(f(th), dtype=float)
    if lo.size == 1 and v.shape[0] > 1:  # a scalar bracket shared by all rows
        th = np.broadcast_to(th, v.shape)
    return th, np.where(np.isfinite(v), v, np.inf)


def _vertex_step(f, th, v, k):
    """Parabola through the best point and its neighbours; keep its vertex if ``f`` is lower."""
    rows = np.arange(th.shape[0])
    idx = k[:, None] + np.array([-1, 0, 1])
    xv, _ = _parabola_vertex(th[rows[:, None], idx], v[rows[:, None], idx])
    fv = np.asarray(f(xv[:, None]), dtype=float)[:, 0]  # the value itself, not the fit's
    kb = np.argmin(v, axis=1)
    better = np.isfinite(fv) & (fv <= v[rows, kb])
    return np.where(better, xv, th[rows, kb]), np.where(better, fv, v[rows, kb])


@validated(n_points=Integer(3), n_zoom=Integer(1))
def minimise_angle(f, lo, hi, *, n_points=7, n_zoom=2):
    """Minimise ``f(theta)`` on ``[lo, hi]`` for many independent rows at once.

    ``f`` maps a ``(R, P)`` array of angles to a ``(R, P)`` array of values (row ``r`` is one
    problem, e.g. one ``alpha``). Each zoom evaluates ``n_points`` equally spaced angles per row
    and shrinks the bracket to the neighbours of the best one; the last zoom ends with the vertex
    of the parabola through the best point and its neighbours, where ``f`` is evaluated once more
    (the best grid point is kept if it is lower). The functions minimised here are smooth near
    their minimum, so the error on the minimum value is far below the last grid's resolution.

    Returns
    -------
    Result
        Over the rows ``(R,)``: inputs ``lo``, ``hi`` (the first bracket); outputs ``theta``
        (the minimiser) and ``value`` (the minimum).
    """
    lo0, hi0 = np.broadcast_arrays(np.atleast_1d(np.asarray(lo, float)),
                                   np.atleast_1d(np.asarray(hi, float)))
    lo, hi = lo0.copy(), hi0.copy()
    s = np.linspace(0.0, 1.0, n_points)
    for it in range(n_zoom):
        th, v = _zoom(f, lo, hi, s)
        k = np.clip(np.argmin(v, axis=1), 1, n_points - 2)
        if it == n_zoom - 1:
            theta, value = _vertex_step(f, th, v, k)
            break
        rows = np.arange(th.shape[0])
        lo, hi = th[rows, k - 1], th[rows, k + 1]
    shape = theta.shape
    return Result({"lo": np.broadcast_to(lo0, shape), "hi": np.broadcast_to(hi0, shape)},
                  {"theta": theta, "value": value}, message="minimised")


@validated(alpha=_ALPHA, eps=_EPS, loss=_LOSS, regime=Choice(("ridgeless", "optimal")), lo=_THETA,
           hi=_THETA)
def best_angle(alpha, eps, *, loss="hinge", regime="ridgeless", lo=0.0, hi=1.5, n_points=7,
               n_zoom=3):
    """Angle minimising ``E_gen`` at ``lambda -> 0`` or at ``lambda_opt``, for each ``alpha``.

    Paper Sec. 3.3: for the square loss at ``lambda -> 0`` the answer is ``theta*`` of
    :func:`raf.theory.theta_star` for every ``alpha``; for the hinge loss it is found numerically
    (:func:`minimise_angle` on ``[lo, hi]``, which may be arrays).

    Parameters
    ----------
    alpha : array_like (A,)
    eps : float
    loss : {"square", "hinge"}
    regime : {"ridgeless", "optimal"}
    lo, hi : float or array (A,)
        Bracket of the search (e.g. the neighbours of the best point of an :func:`angle_sweep`).

    Returns
    -------
    Result
        Over ``alpha``: inputs ``alpha``, ``eps``, ``loss``, ``regime``; outputs ``theta`` (the
        best angle) and ``e_gen`` (the error there).
    """
    alpha = np.ravel(alpha)
    a = alpha[:, None]

    def f(th):
        mu1, mustar = _unit(th)
        if regime == "ridgeless":
            return erm(a, eps, 0.0, loss=loss, mu1=mu1, mustar=mustar).e_gen
        return optimal_lambda(a, eps, loss=loss, mu1=mu1, mustar=mustar, **_OPT).e_gen

    lo = np.broadcast_to(lo, alpha.shape)
    hi = np.broadcast_to(hi, alpha.shape)
    m = minimise_angle.__wrapped__(f, lo, hi, n_points=n_points, n_zoom=n_zoom)
    return Result({"alpha": alpha, "eps": float(eps), "loss": loss, "regime": regime},
                  {"theta": m.theta, "e_gen": m.value}, message="minimised")


def _bracket(values, theta):
    """Neighbours of the best grid point of each row, as a search bracket."""
    k = np.argmin(values, axis=1)
    return theta[np.clip(k - 1, 0, theta.size - 1)], theta[np.clip(k + 1, 0, theta.size - 1)]


def fig3_table(hinge_sweep, *, n_points=5, n_zoom=2):
    """The table under the paper's Fig. 3, computed from a hinge :func:`angle_sweep`.

    Columns (:data:`raf.paper.FIG3_COLUMNS`): Bayes-optimal ``E_gen``; KRR at ``theta*`` and
    ``lambda -> 0`` (the best KRR error, closed form); SVM at ``lambda_opt`` minimised over
    ``theta``; SVM at ``lambda -> 0`` minimised over ``theta``. The two SVM minima start from
    the best grid points of ``hinge_sweep`` and are refined by :func:`best_angle`, so a coarse
    sweep still gives an accurate table.

    Returns
    -------
    Result
        Over ``alpha``: outputs ``e_gen_bo``, ``e_gen_krr``, ``e_gen_svm_opt``, ``e_gen_svm_0``
        (the columns, :data:`raf.paper.FIG3_OUTPUTS`), ``theta_star`` and the SVM's best angles
        ``theta_svm_opt``, ``theta_svm_0``.
    """
    if not isinstance(hinge_sweep, Result) or hinge_sweep.loss != "hinge":
        raise ValueError("The 'hinge_sweep' parameter must be an angle_sweep with loss='hinge'. "
                         f"Got loss={getattr(hinge_sweep, 'loss', None)!r} instead.")
    alpha, theta = hinge_sweep.alpha[:, 0], hinge_sweep.theta[0]
    eps = float(hinge_sweep.eps.flat[0])
    ts = float(theta_star(eps))
    krr = erm(alpha, eps, 0.0, loss="square", mu1=np.cos(ts), mustar=np.sin(ts)).e_gen
    lo, hi = _bracket(hinge_sweep.e_gen_opt, theta)
    svm_opt = best_angle.__wrapped__(alpha, eps, loss="hinge", regime="optimal", lo=lo, hi=hi,
                                     n_points=n_points, n_zoom=n_zoom)
    lo, hi = _bracket(hinge_sweep.e_gen_0, theta)
    svm_0 = best_angle.__wrapped__(alpha, eps, loss="hinge", regime="ridgeless", lo=lo, hi=hi,
                                   n_points=7, n_zoom=4)
    return Result({"alpha": alpha, "eps": eps},
                  {"e_gen_bo": bayes_optimal(alpha, eps).e_gen, "e_gen_krr": krr,
                   "e_gen_svm_opt": svm_opt.e_gen, "e_gen_svm_0": svm_0.e_gen,
                   "theta_star": np.full(alpha.shape, ts), "theta_svm_opt": svm_opt.theta,
                   "theta_svm_0": svm_0.theta}, message="computed")


@validated(alpha=_ALPHA, eps=_EPS, theta=_THETA, lams=Interval(0.0), loss=_LOSS)
def tradeoff_curves(alpha, eps, theta, lams, *, loss="square"):
    """``(E_gen, E_mem)`` along ``lams`` at each angle (paper Fig. 4, 5, 11).

    Parameters
    ----------
    alpha, eps : float
    theta : array_like (T,)
        Angles; the kernel is ``(cos theta, sin theta)``. A kernel of the same angle and norm
        ``r`` traces the same curve with ``lambda`` multiplied by ``r^2``.
    lams : array_like (L,), >= 0
    loss : {"square", "hinge"}

    Returns
    -------
    Result
        Over the angles ``(T,)``: inputs ``theta``, ``alpha``, ``eps``, ``loss``; outputs the
        curve ``lam``, ``e_gen``, ``e_mem`` (trailing axis ``"ridge"``, length ``L``) and the
        optimum ``lam_opt``, ``e_gen_opt``, ``e_mem_opt``. ``converged`` where the whole curve
        and the optimum converged.
    """
    theta, lams = np.ravel(theta), np.ravel(lams)
    mu1, mustar = _unit(theta[:, None])
    r = erm(float(alpha), float(eps), lams, loss=loss, mu1=mu1, mustar=mustar)
    ropt = optimal_lambda(float(alpha), float(eps), loss=loss, mu1=mu1[:, 0],
                          mustar=mustar[:, 0], **_OPT)
    lam_opt = ropt.lam
    ridge = {k: "ridge" for k in ("lam", "e_gen", "e_mem")}
    return Result({"theta": theta, "alpha": float(alpha), "eps": float(eps), "loss": loss},
                  {"lam": np.broadcast_to(lams, r.e_gen.shape), "e_gen": r.e_gen,
                   "e_mem": r.e_mem, "lam_opt": lam_opt, "e_gen_opt": ropt.e_gen,
                   "e_mem_opt": ropt.e_mem},
                  converged=np.asarray(r.converged).all(axis=-1) & np.asarray(ropt.converged),
                  trailing=ridge)


def _stack_runs(sims, theory):
    """Outputs of simulation results (one per kernel) stacked along a first axis, with theory."""
    first = next(iter(sims.values()))
    outputs = {k: np.stack([np.asarray(s[k]) for s in sims.values()]) for k in first.outputs}
    outputs["theory_e_gen"] = np.broadcast_to(theory.e_gen, outputs["e_gen"].shape)
    outputs["theory_e_mem"] = np.broadcast_to(theory.e_mem, outputs["e_mem"].shape)
    return outputs, first.trailing


@validated(lams=Interval(0.0), loss=_LOSS, blas_threads=lambda n, v: v if v is None
           else Integer(1)(n, v))
def simulate_matched(d, alpha, eps, lams, *, family, param, loss="square", seeds=(0, 1, 2, 3, 4),
                     n_test=4000, blas_threads=1):
    """Finite-size runs of two kernels of equal ``(mu1, mustar)`` and their theory (paper Fig. 13).

    The two kernels are the centred family member (:func:`raf.kernels.centred_kernel`) and the
    truncated quadratic ``k(t) = mu1^2 t + mustar^2 t^2`` with the same coefficients
    (:func:`raf.kernels.truncated_quadratic`); both are run by
    :func:`raf.simulations.simulate_kernel` on the same seeds.

    ``blas_threads`` caps the BLAS threads during the runs (``threadpoolctl``): the Gram matrices
    are small (``n`` of a few hundred), threading gains nothing there, and on a shared machine
    spinning BLAS threads made each Cholesky factorisation of the SVM solver ~20 times slower in
    our measurements. ``None`` leaves the BLAS settings alone.

    Returns
    -------
    Result
        Over (kernel, ridge), shape ``(2, L)``: inputs ``kernel`` (``family.name``, e.g.
        ``"rbf"``, then ``"quadratic"``), ``lam``, ``param``, ``mu1``, ``mustar``, ``alpha``,
        ``eps``, ``d``, ``loss``; the outputs of :func:`raf.simulations.simulate_kernel` (means,
        standard errors, per-seed values) and the theory ``theory_e_gen``, ``theory_e_mem``
        (:func:`raf.theory.erm`, the same for both kernels). ``converged`` where both the
        simulation and the theory converged.
    """
    from contextlib import nullcontext

    from .simulations import simulate_kernel

    lams = np.ravel(lams)
    family = _k.get_family(family) if isinstance(family, str) else family
    centred = _k.centred_kernel(family, param)
    kers = {family.name: centred, "quadratic": _k.truncated_quadratic(centred.mu1, centred.mustar)}
    if blas_threads is None:
        ctx = nullcontext()
    else:
        from threadpoolctl import threadpool_limits

        ctx = threadpool_limits(limits=blas_threads, user_api="blas")
    with ctx:
        sims = {name: simulate_kernel(d, alpha, eps, lams, kernel=ker, loss=loss, seeds=seeds,
                                      n_test=n_test)
                for name, ker in kers.items()}
    theory = erm(alpha, eps, lams, loss=loss, mu1=centred.mu1, mustar=centred.mustar)
    outputs, trailing = _stack_runs(sims, theory)
    converged = np.stack([s.converged for s in sims.values()]) & np.asarray(theory.converged)
    return Result({"kernel": np.array(list(kers))[:, None], "lam": lams[None, :],
                   "param": float(param), "mu1": centred.mu1, "mustar": centred.mustar,
                   "alpha": float(alpha), "eps": float(eps), "d": int(d), "loss": loss},
                  outputs, converged=converged, trailing=trailing)
