"""Finite-size points on the theory figures of the paper (THEORY §7): Fig. 3, 4, 8, 11, 12.

One job: run the simulations that the chapters draw as points on the paper's theory curves, and
put the theory at the same parameters beside them. Every run goes through
:func:`raf.scaling.sweep`, one task per seed, so a :class:`raf.runner.Runner` can cache it or
send it to other processes; the seeds at dimension ``d`` are ``first_seed + 1000 d + s``.

* :func:`angle_points`: the centred kernel of a family (RBF by default) that realises each kernel
  angle ``theta``, evaluated on the sphere, at ``lambda -> 0+``, at its own optimal ridge
  ``lambda_opt`` and at further ridges (paper Fig. 3, 12: errors against ``theta``; Fig. 4, 11:
  points on the trade-off curves). ``lambda_opt`` is the closed form of the square loss
  (:func:`raf.theory.lambda_opt_square`) or, for the hinge loss, the numerical optimum of
  :func:`raf.theory.optimal_lambda`; both in the units of the kernel's own ``(mu1, mustar)``.
* :func:`alpha_points`: the linear model (the perceptron) at one ridge across sample complexities
  (paper Fig. 8).

Both return a :class:`raf.result.Result` with the simulated means and standard errors over seeds
(``e_gen``, ``e_gen_sem``, ``e_mem``, ``e_mem_sem``, ``n_seeds``) and the theory
``theory_e_gen``, ``theory_e_mem`` (:func:`raf.theory.erm`) at every point; :mod:`raf.compare`
measures the distance.
"""

from __future__ import annotations

import numpy as np

from ._validation import Integer, Interval, check_choice, validated

__all__ = ["angle_points", "alpha_points", "at_angle", "deviations", "optimal_ridge"]

_POS = Interval(0.0, np.inf, low_open=True)
_EPS = Interval(0.0, 1.0, high_open=True)
_SIM_OUT = ("e_gen", "e_gen_sem", "e_mem", "e_mem_sem", "n_seeds")


def _loss(name, value):
    check_choice(name, value, ("square", "hinge"))
    return value


def _theta(name, value):
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1 or arr.size == 0 or np.any(~(arr > 0)) or np.any(arr >= np.pi / 2):
        raise ValueError(f"The '{name}' parameter must be a non-empty sequence of angles in the "
                         f"range (0, pi/2). Got {value!r} instead.")
    return arr


def _lams(name, value):
    arr = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    if np.any(~(arr >= 0)) or np.any(~np.isfinite(arr)):
        raise ValueError(f"The '{name}' parameter must hold finite floats in the range [0, inf). "
                         f"Got {value!r} instead.")
    return arr


def _alphas(name, value):
    arr = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    if arr.size == 0 or np.any(~(arr > 0)) or np.any(~np.isfinite(arr)):
        raise ValueError(f"The '{name}' parameter must be a non-empty sequence of floats in the "
                         f"range (0, inf). Got {value!r} instead.")
    return arr


@validated(alpha=_POS, eps=_EPS, loss=_loss, mu1=Interval(0.0), mustar=Interval(0.0))
def optimal_ridge(alpha, eps, *, loss, mu1, mustar):
    """``lambda_opt`` of a kernel ``(mu1, mustar)`` in its own units (THEORY §5).

    Square loss: ``max(0, mu1^2 tan^2 theta* - mustar^2)`` (independent of ``alpha``); hinge
    loss: :func:`raf.theory.optimal_lambda` (a scan refined by golden section). Returns a float.
    """
    from . import theory

    if loss == "square":
        return float(theory.lambda_opt_square(float(eps), float(mu1), float(mustar)))
    return float(theory.optimal_lambda(float(alpha), float(eps), loss="hinge", mu1=float(mu1),
                                       mustar=float(mustar)).lam)


@validated(theta=_theta, alpha=_POS, eps=_EPS, d=Integer(1), n_seeds=Integer(2), loss=_loss,
           lams=_lams, n_test=Integer(1))
def angle_points(theta, *, alpha, eps, d, n_seeds, loss="square", lams=(), family="rbf",
                 runner=None, first_seed=0, n_test=4000):
    """Simulated errors at kernel angles ``theta``, at ``lambda -> 0+``, ``lambda_opt`` and ``lams``.

    For each angle the member of ``family`` whose angle is ``theta``
    (:func:`raf.kernels.param_for_angle`), centred (``k(t) - k(0)``, the same ``(mu1, mustar)``;
    without the constant the intercept-free SVM has no random offset) and evaluated on the
    sphere, is trained on ``n_seeds`` Gaussian RAF data sets of dimension ``d``,
    ``n = round(alpha d)``. Kernel ridge regression uses one eigendecomposition per seed for all
    ridges; the SVM is warm-started along them.

    Parameters
    ----------
    theta : sequence of float in (0, pi/2)
    alpha : float > 0
    eps : float in [0, 1)
    d : int
    n_seeds : int >= 2
    loss : {"square", "hinge"}
        Kernel ridge regression or the intercept-free SVM (``lambda = 0``: the hard margin, which
        exists for every kernel with ``mustar > 0``).
    lams : sequence of float >= 0
        Further ridges, after ``0`` and ``lambda_opt``, in the units of the kernel itself.
    family : str, default "rbf"
        The name of a family of :data:`raf.kernels.FAMILIES` whose angle runs over ``(0, pi/2)``.
    runner : raf.runner.Runner, optional
        Where the tasks run (default: in this process, no cache).
    first_seed : int
    n_test : int
        Test inputs per data set.

    Returns
    -------
    Result
        Over ``(angle, ridge)``, shape ``(T, 2 + len(lams))``; ridge 0 is ``lambda -> 0+``, ridge
        1 is ``lambda_opt``. Inputs ``theta``, ``lam``, ``param`` (the family's parameter),
        ``mu1``, ``mustar``, ``alpha``, ``eps``, ``d``, ``loss``, ``family``, ``n_test``; outputs the
        simulation's ``e_gen``, ``e_gen_sem``, ``e_mem``, ``e_mem_sem``, ``n_seeds`` and the theory
        ``theory_e_gen``, ``theory_e_mem``. ``converged`` where every seed and the theory did.
    """
    from . import kernels as _k
    from . import theory
    from .scaling import sweep

    fam = _k.get_family(family)
    params = np.array([float(_k.param_for_angle(fam, float(th))) for th in theta])
    mu1, mustar = (np.array(c, dtype=float) for c in zip(*(fam.coefficients(p) for p in params)))
    # the optimal ridges and the theory of every angle in one vectorised call each
    if loss == "square":
        lam_opt = np.asarray(theory.lambda_opt_square(float(eps), mu1, mustar), float)
    else:
        lam_opt = np.asarray(theory.optimal_lambda(float(alpha), float(eps), loss="hinge", mu1=mu1,
                                                   mustar=mustar).lam, float)
    lam = np.column_stack([np.zeros(theta.size), lam_opt, np.broadcast_to(lams, (theta.size, lams.size))])
    th = theory.erm(float(alpha), float(eps), lam, loss=loss, mu1=mu1[:, None], mustar=mustar[:, None])
    runs = [sweep([d], [n_seeds], runner=runner, first_seed=first_seed, alpha=float(alpha),
                  eps=float(eps), lams=lam[i], loss=loss, n_test=int(n_test),
                  kernel={"family": family, "param": float(p), "centred": True})
            for i, p in enumerate(params)]
    out = {k: np.stack([np.asarray(r[k], float)[0] for r in runs]) for k in _SIM_OUT}
    out["theory_e_gen"] = np.asarray(th.e_gen, float)
    out["theory_e_mem"] = np.asarray(th.e_mem, float)
    converged = np.stack([np.asarray(r.converged)[0] for r in runs]) & np.asarray(th.converged)
    return _result({"theta": theta[:, None], "lam": lam, "param": params[:, None],
                    "mu1": mu1[:, None], "mustar": mustar[:, None],
                    "alpha": float(alpha), "eps": float(eps), "d": int(d), "loss": loss,
                    "family": family, "n_test": int(n_test)}, out, converged, "angle_points")


@validated(alphas=_alphas, eps=_EPS, lam=Interval(0.0), d=Integer(1), n_seeds=Integer(2),
           loss=_loss, n_test=Integer(1))
def alpha_points(alphas, *, eps, lam, d, n_seeds, loss="square", runner=None, first_seed=0,
                 n_test=4000):
    """Simulated errors of the linear model at the ridge ``lam`` across ``alphas`` (paper Fig. 8).

    ``lam = 0`` is the minimum-norm least-squares fit (square loss) or the hard-margin SVM
    (hinge loss; it exists only below the separability threshold ``alpha_c(eps)``; above it the
    points are NaN and flagged, so use a small ``lam > 0`` there).

    Returns
    -------
    Result
        Over ``alphas`` ``(A,)``: inputs ``alpha``, ``eps``, ``lam``, ``d``, ``loss``, ``n_test``; the outputs
        of :func:`angle_points` (the theory: :func:`raf.theory.erm` with ``mu1 = 1``,
        ``mustar = 0``).
    """
    from . import theory
    from .scaling import sweep

    runs = [sweep([d], [n_seeds], runner=runner, first_seed=first_seed, alpha=float(a),
                  eps=float(eps), lams=[float(lam)], loss=loss, kernel=None, n_test=int(n_test))
            for a in alphas]
    th = theory.erm(alphas, float(eps), float(lam), loss=loss)
    out = {k: np.array([float(np.asarray(r[k], float)[0, 0]) for r in runs]) for k in _SIM_OUT}
    out["theory_e_gen"] = np.asarray(th.e_gen, float)
    out["theory_e_mem"] = np.asarray(th.e_mem, float)
    converged = np.array([bool(np.asarray(r.converged)[0, 0]) for r in runs]) & np.asarray(th.converged)
    return _result({"alpha": alphas, "eps": float(eps), "lam": float(lam), "d": int(d), "loss": loss,
                    "n_test": int(n_test)},
                   out, converged, "alpha_points")


def _result(inputs, outputs, converged, what):
    from .result import Result, warn_unconverged

    return warn_unconverged(Result(inputs, outputs, converged=converged), what)


def at_angle(points, theta, *, atol=1e-9):
    """The row of an :func:`angle_points` result at the angle ``theta`` (shape ``(L,)``), or None."""
    hit = np.flatnonzero(np.isclose(np.asarray(points.theta)[:, 0], float(theta), rtol=0, atol=atol))
    return points[int(hit[0])] if hit.size else None


def deviations(points, *, bias=0.0):
    """Distance of every point of ``points`` from its theory, in standard errors (THEORY §7).

    :func:`raf.compare.deviation` of ``e_gen`` and ``e_mem`` for a result of :func:`angle_points`
    or :func:`alpha_points`, each point's standard error floored at the resolution of its error
    over the seeds (:func:`raf.compare.resolution`): one test input out of ``n_test`` for
    ``E_gen``, one fact out of the ``round(eps alpha d)`` facts of a data set for ``E_mem`` (where
    every data set stores every fact the spread is 0). ``bias``, a finite-size allowance
    (default 0), is subtracted first. Returns ``{"e_gen": array, "e_mem": array}`` of the grid's
    shape, NaN where a point did not converge.
    """
    from .compare import deviation, resolution

    shape = points.shape
    counts = {"e_gen": np.broadcast_to(np.asarray(points.n_test, float), shape),
              "e_mem": np.broadcast_to(np.round(np.asarray(points.eps, float) * np.asarray(points.alpha, float)
                                                * np.asarray(points.d, float)), shape)}
    seeds = np.broadcast_to(np.asarray(points.n_seeds), shape)
    out = {}
    for key, count in counts.items():
        mean = np.where(points.converged, np.asarray(points[key], float), np.nan)
        dev = [deviation(m, s, t, floor=resolution(max(int(c), 1), max(int(n), 1)), bias=bias)
               for m, s, t, c, n in zip(mean.ravel(), np.asarray(points[key + "_sem"], float).ravel(),
                                        np.asarray(points["theory_" + key], float).ravel(), count.ravel(),
                                        seeds.ravel())]
        out[key] = np.array(dev, float).reshape(shape)
    return out
