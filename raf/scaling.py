"""Finite-size scaling: simulations at growing ``d`` extrapolated to the theory's ``d -> inf`` (THEORY §7).

The exact theory is a statement about ``d -> inf`` at fixed ``alpha = n/d``. A simulation at
dimension ``d`` carries a finite-size bias; for a smooth average observable of a convex learner on
Gaussian data the bias is ``O(1/d)``, while the seed-to-seed spread is ``O(1/sqrt(d))``. This module

* runs a sweep of one observable over ``d`` as independent tasks (one per ``(d, seed)``) through
  :class:`raf.runner.Runner` (in process, local processes or Dask; cached on disk),
  :func:`simulation_task`, :func:`sweep`;
* fits ``E(d) = E_inf + c d^(-p)`` by weighted least squares with the standard errors of the
  means as weights and gives the error bar of ``E_inf`` (:func:`fit_finite_size`);
* defines the three studies of the book's finite-size chapter (:data:`STUDIES`,
  :func:`run_study`): kernel ridge regression at the critical angle ``theta*`` and ``lambda -> 0+``
  (RBF kernel), the truncated quadratic kernel with the same ``(mu1, mustar)`` (same curve), and
  the hinge perceptron's memorization error just above its separability threshold ``alpha_c``.
"""

from __future__ import annotations

import math

import numpy as np

from .result import Result

__all__ = ["implicit_ridges", "fit_finite_size", "fit_rate", "simulation_task", "seeds_per_d", "sweep", "STUDIES", "study_kernel",
           "run_study"]

_ERRORS = ("e_gen", "e_mem", "e_train_rule")


# ----------------------------------------------------------------------------------------------
# why dot-product kernels are evaluated on the sphere
# ----------------------------------------------------------------------------------------------


def implicit_ridges(kernel, X, *, on_sphere=False):
    """Per-sample implicit ridge ``r_i = k(s_i) - k(0) - mu1^2 s_i`` of a dot-product kernel (THEORY §3, §7).

    In high dimension the training Gram matrix ``k(X X^T / d)`` of Gaussian inputs is close to
    ``k(0) 1 1^T + mu1^2 X X^T / d + diag(r)``: off the diagonal only ``t = x.x'/d ~ d^(-1/2)``
    enters, where ``k`` is linear to leading order; the diagonal holds ``k(s_i)`` at the squared
    norm ``s_i = |x_i|^2 / d``. The theory's limit has ``s_i = 1``, so ``r_i = mu*^2`` for every
    sample: the nonlinear part of the kernel acts as a ridge ``mu*^2`` (it is all the
    regularisation KRR has at ``lambda -> 0+``). At finite ``d``, ``s_i = 1 +- sqrt(2/d)``:

    * smooth ``k``: ``r_i = mu*^2 + (k'(1) - mu1^2)(s_i - 1) + ...``, a spread of ridges around
      ``mu*^2`` whose mean effect is a ``1/d`` correction;
    * a kernel defined only for ``|t| <= 1`` (arc-cosine/ReLU, arc-sine/sign; clipped at 1):
      ``r_i`` is biased *down* at first order -- ReLU: ``r_i = mu*^2 - |s_i - 1|/4``, so at
      ``d = 100`` its mean is about 27 % below ``mu*^2 = 0.091`` and about one sample in a hundred
      (``|s_i - 1| > 4 mu*^2``) has ``r_i < 0``: the ridgeless interpolator then inverts a nearly
      singular matrix, which is the gap of ``E_gen`` 0.33 against the theory's 0.19 at
      ``d = 100``, ``alpha = 4``, ``eps = 0.2``.

    On the sphere (``on_sphere=True``: the kernel of ``x / |x| * sqrt(d)``, i.e. ``k`` of the
    cosine of the angle between inputs; RAF labels ``sign(w*.x)`` do not see the norm)
    ``s_i = 1`` and ``r_i = mu*^2`` exactly for every kernel.

    Parameters
    ----------
    kernel : raf.kernels.DotProductKernel
    X : array (n, d)
    on_sphere : bool

    Returns
    -------
    array (n,)
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"The 'X' parameter must be a 2-d array. Got shape {X.shape}.")
    s = np.ones(X.shape[0]) if on_sphere else np.sum(X * X, axis=1) / X.shape[1]
    k = kernel.k
    return np.asarray(k(s), float) - float(k(np.array(0.0))) - kernel.mu1 ** 2 * s


# ----------------------------------------------------------------------------------------------
# the fit
# ----------------------------------------------------------------------------------------------


def fit_finite_size(d, mean, sem, *, exponent=1.0):
    """Weighted least squares of ``mean(d) = e_inf + slope * d**(-exponent)``.

    Parameters
    ----------
    d : array (D,)
        Dimensions, at least two distinct values.
    mean, sem : array (D,)
        The observable's mean over seeds at each ``d`` and its standard error (> 0).
    exponent : float > 0, default 1
        The power of ``1/d`` of the leading finite-size correction.

    Returns
    -------
    Result
        Scalar outputs ``e_inf`` and ``slope`` with their standard errors ``e_inf_sem``,
        ``slope_sem``; ``chi2`` and ``dof`` (= D - 2) of the fit; ``birge = sqrt(chi2/dof)``. When
        ``birge > 1`` (the points scatter more than their error bars allow, e.g. a correction the
        model misses) both standard errors are multiplied by it. Inputs ``exponent``, ``d_min``,
        ``d_max``.
    """
    d = np.asarray(d, dtype=float).ravel()
    mean = np.asarray(mean, dtype=float).ravel()
    sem = np.asarray(sem, dtype=float).ravel()
    if not (d.shape == mean.shape == sem.shape):
        raise ValueError(f"The 'd', 'mean' and 'sem' parameters must have one shape. Got "
                         f"{d.shape}, {mean.shape} and {sem.shape}.")
    if np.unique(d).size < 2 or np.any(d <= 0):
        raise ValueError(f"The 'd' parameter must hold at least two distinct positive values. "
                         f"Got {d.tolist()!r}.")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sem)) and np.all(sem > 0)):
        raise ValueError("The 'mean' parameter must be finite and 'sem' finite and > 0.")
    exponent = float(exponent)
    if not exponent > 0:
        raise ValueError(f"The 'exponent' parameter must be > 0. Got {exponent!r}.")
    A = np.stack([np.ones_like(d), d ** -exponent], axis=1)
    coef, se, chi2, dof, birge = _wls(A, mean, sem)
    return Result({"exponent": exponent, "d_min": float(d.min()), "d_max": float(d.max())},
                  {"e_inf": coef[0], "e_inf_sem": se[0], "slope": coef[1], "slope_sem": se[1],
                   "chi2": chi2, "dof": dof, "birge": birge})


def _wls(A, y, sigma):
    """Weighted least squares ``y ~ A coef``; standard errors inflated by the Birge ratio if > 1."""
    w = 1.0 / sigma
    coef, *_ = np.linalg.lstsq(A * w[:, None], y * w, rcond=None)
    cov = np.linalg.inv((A * (w ** 2)[:, None]).T @ A)
    chi2 = float(np.sum(((y - A @ coef) * w) ** 2))
    dof = y.size - A.shape[1]
    birge = math.sqrt(chi2 / dof) if dof > 0 else float("nan")
    inflate = max(1.0, birge) if dof > 0 else 1.0
    return coef, np.sqrt(np.diag(cov)) * inflate, chi2, dof, birge


def fit_rate(alpha, mean, sem):
    """Weighted fit of ``mean = prefactor * alpha**slope`` on log-log axes (paper Fig. 6, 9).

    The weights are ``mean / sem`` (the standard error of ``log mean``); errors of the slope and
    of the prefactor as in :func:`fit_finite_size`. Returns a :class:`Result` with ``slope``,
    ``slope_sem``, ``prefactor``, ``prefactor_sem``, ``chi2``, ``dof``, ``birge``.
    """
    alpha, mean, sem = (np.asarray(v, dtype=float).ravel() for v in (alpha, mean, sem))
    if not (alpha.shape == mean.shape == sem.shape) or alpha.size < 3:
        raise ValueError("The 'alpha', 'mean' and 'sem' parameters must have one shape, with at "
                         f"least 3 points. Got {alpha.shape}, {mean.shape}, {sem.shape}.")
    if np.any(alpha <= 0) or np.any(mean <= 0) or not np.all(sem > 0):
        raise ValueError("The 'alpha' and 'mean' parameters must be > 0 and 'sem' > 0.")
    A = np.stack([np.ones_like(alpha), np.log(alpha)], axis=1)
    coef, se, chi2, dof, birge = _wls(A, np.log(mean), sem / mean)
    return Result({"alpha_min": float(alpha.min()), "alpha_max": float(alpha.max())},
                  {"slope": coef[1], "slope_sem": se[1], "prefactor": math.exp(coef[0]),
                   "prefactor_sem": math.exp(coef[0]) * se[0], "chi2": chi2, "dof": dof,
                   "birge": birge})


# ----------------------------------------------------------------------------------------------
# one task and a sweep over d
# ----------------------------------------------------------------------------------------------


def study_kernel(kernel):
    """The kernel object of a plain-data kernel spec (task inputs must be plain data).

    ``None``: the linear model; a str: a kernel of :data:`raf.kernels.ACTIVATION_KERNELS`;
    ``{"family": name, "param": p, "centred": bool}``: a member of a family of
    :data:`raf.kernels.FAMILIES` (centred: ``k(t) - k(0)``); ``{"mu1": a, "mustar": b}``: the
    truncated quadratic ``a^2 t + b^2 t^2``.
    """
    from . import kernels as _k

    if kernel is None or isinstance(kernel, str):
        return kernel
    if not isinstance(kernel, dict):
        raise TypeError(f"The 'kernel' parameter must be None, a name or a dict. Got "
                        f"{type(kernel).__name__}.")
    if "family" in kernel:
        from .kernels import centred_kernel

        fam = _k.get_family(kernel["family"])
        if kernel.get("centred", True):
            return centred_kernel(fam, kernel["param"])
        return fam.at(kernel["param"])
    if set(kernel) == {"mu1", "mustar"}:
        return _k.truncated_quadratic(kernel["mu1"], kernel["mustar"])
    raise ValueError(f"The 'kernel' parameter must have keys 'family' (and 'param', 'centred') or "
                     f"'mu1' and 'mustar'. Got {sorted(kernel)!r}.")


def simulation_task(*, d, alpha, eps, lams, seed, loss="square", kernel=None, n_test=4000,
                    on_sphere=True):
    """One seed of a finite-size simulation; plain-data inputs, so that it can be cached and shipped.

    ``kernel=None`` runs :func:`raf.simulations.simulate_linear` or, for the hinge loss with every
    ridge positive, :func:`raf.linear_svm.simulate_linear_hinge` (the same estimator solved in its
    ``d``-dimensional primal, so large ``d`` stays cheap; ``e_gen`` exact from the angle to the
    teacher, ``n_test`` unused; ``lam = 0`` keeps the hard margin of ``simulate_linear``, which
    fails above ``alpha_c`` with a warning); anything else :func:`raf.simulations.simulate_kernel` with the
    kernel of :func:`study_kernel` (and ``on_sphere``). The data of ``seed`` are those of the
    same seed in a multi-seed call.

    Returns
    -------
    dict
        ``e_gen``, ``e_mem``, ``e_train_rule`` and ``converged``, each an array over ``lams``.
    """
    from .simulations import simulate_kernel, simulate_linear

    common = dict(loss=loss, seeds=(int(seed),), n_test=n_test)
    if kernel is None and loss == "hinge" and min(lams) > 0:
        from .linear_svm import simulate_linear_hinge

        res = simulate_linear_hinge(d, alpha, eps, np.asarray(lams, float), seeds=(int(seed),))
    elif kernel is None:
        res = simulate_linear(d, alpha, eps, np.asarray(lams, float), **common)
    else:
        res = simulate_kernel(d, alpha, eps, np.asarray(lams, float), kernel=study_kernel(kernel),
                              on_sphere=on_sphere, **common)
    out = {k: np.asarray(res[k], float).copy() for k in _ERRORS}
    out["converged"] = np.asarray(res.converged, bool).copy()
    return out


def seeds_per_d(ds, seeds_at_100, *, min_seeds=4):
    """Seeds per dimension, ``max(min_seeds, ceil(seeds_at_100 * 100 / d))``.

    The seed-to-seed spread of an error falls like ``d^(-1/2)``, so about ``1/d`` as many seeds
    give every ``d`` a similar standard error at a similar cost per ``d``.
    """
    return [max(int(min_seeds), math.ceil(seeds_at_100 * 100.0 / float(d))) for d in ds]


def sweep(ds, seeds, *, runner=None, first_seed=0, **task):
    """Run :func:`simulation_task` at every ``d`` in ``ds`` with ``seeds[i]`` seeds each.

    The seeds at ``d`` are ``first_seed + 1000 d + s``, ``s < seeds[i]``, so that the points at
    different ``d`` are independent. All ``(d, seed)`` tasks go to ``runner`` at once (a :class:`raf.runner.Runner`; default: in
    process, no cache). Returns a :class:`Result` over ``(d, lam)``: for each error its mean over
    seeds, ``<error>_sem`` (standard error of the mean, ddof=1) and ``<error>_std``; ``n_seeds``;
    ``converged`` where every seed converged. A seed whose fit did not converge is excluded from
    the means (and counted out of ``n_seeds``).
    """
    from .runner import Runner

    ds = [int(d) for d in ds]
    seeds = [int(s) for s in np.broadcast_to(np.asarray(seeds), (len(ds),))]
    if min(seeds) < 2:
        raise ValueError(f"The 'seeds' parameter must give at least 2 seeds per d. Got {seeds!r}.")
    runner = Runner() if runner is None else runner
    lams = np.atleast_1d(np.asarray(task.pop("lams"), float))
    # seed first_seed + 1000 d + s: every (d, s) its own data set, independent across d
    tasks = [dict(task, d=d, lams=lams.tolist(), seed=first_seed + 1000 * d + s)
             for d, S in zip(ds, seeds) for s in range(S)]
    values = runner.map(simulation_task, tasks, desc="finite-size sweep")
    L = lams.size
    out = {k: np.full((len(ds), L), np.nan) for k in
           [e + s for e in _ERRORS for s in ("", "_sem", "_std")]}
    n_used = np.zeros((len(ds), L), int)
    converged = np.ones((len(ds), L), bool)
    start = 0
    for i, S in enumerate(seeds):
        block = values[start:start + S]
        start += S
        ok = np.array([v["converged"] for v in block])  # (S, L)
        converged[i] = ok.all(axis=0)
        n_used[i] = ok.sum(axis=0)
        for e in _ERRORS:
            arr = np.where(ok, np.array([v[e] for v in block]), np.nan)
            with np.errstate(invalid="ignore"), _quiet():
                out[e][i] = np.nanmean(arr, axis=0)
                std = np.nanstd(arr, axis=0, ddof=1)
            out[e + "_std"][i] = std
            out[e + "_sem"][i] = std / np.sqrt(np.maximum(n_used[i], 1))
    return Result({"d": np.asarray(ds)[:, None], "lam": lams[None, :],
                   **{k: v for k, v in task.items() if k in ("alpha", "eps", "loss")}},
                  dict(out, n_seeds=n_used), converged=converged)


class _quiet:
    """Silence numpy's warnings for all-NaN columns (no facts, or no converged seed)."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


# ----------------------------------------------------------------------------------------------
# the three studies of the finite-size chapter
# ----------------------------------------------------------------------------------------------


def _theta_star_kernels(eps):
    from . import kernels as _k
    from .kernels import centred_kernel
    from .theory import theta_star

    gamma = float(_k.param_for_angle(_k.RBF, float(theta_star(eps))))
    rbf = centred_kernel(_k.RBF, gamma)
    return ({"family": "rbf", "param": gamma, "centred": True},
            {"mu1": float(rbf.mu1), "mustar": float(rbf.mustar)})


def _studies():
    rbf, quad = _theta_star_kernels(0.2)
    return {
        "krr_theta_star": dict(
            title="KRR, centred RBF at θ*", observable="e_gen",
            task=dict(alpha=2.0, eps=0.2, lams=[0.0, 0.1, 1.0], loss="square", kernel=rbf)),
        "matched_quadratic": dict(
            title="KRR, truncated quadratic, same (μ1, μ*)", observable="e_gen",
            task=dict(alpha=2.0, eps=0.2, lams=[0.0, 0.1, 1.0], loss="square", kernel=quad)),
        "hinge_e_mem": dict(
            title="hinge perceptron E_mem, α = 3.5 > α_c", observable="e_mem",
            task=dict(alpha=3.5, eps=0.2, lams=[1e-3], loss="hinge", kernel=None, n_test=200)),
    }


#: name -> {"title", "observable", "task": simulation_task inputs but d and seed}
STUDIES = _studies()


def run_study(name, ds, *, seeds_at_100=48, min_seeds=4, runner=None, exponent=1.0, first_seed=0):
    """One study of :data:`STUDIES`: the sweep over ``ds``, the theory, the extrapolation.

    Returns
    -------
    dict
        ``sweep`` (:func:`sweep`'s Result), ``theory`` (``raf.theory.erm`` at the study's
        parameters and the kernel's ``(mu1, mustar)``), ``fits`` (one :func:`fit_finite_size` of
        the observable per ridge), ``e_inf`` and ``e_inf_sem`` (per ridge), ``theory_value`` (per
        ridge), ``z = (e_inf - theory) / e_inf_sem``, ``lams``, ``seeds`` (per ``d``),
        ``observable``, ``title``, ``mu1``, ``mustar``.
    """
    from . import theory

    if name not in STUDIES:
        raise ValueError(f"The 'name' parameter must be one of {tuple(STUDIES)}. Got {name!r}.")
    spec = STUDIES[name]
    task = dict(spec["task"])
    seeds = seeds_per_d(ds, seeds_at_100, min_seeds=min_seeds)
    sw = sweep(ds, seeds, runner=runner, first_seed=first_seed, **task)
    ker = study_kernel(task["kernel"])
    mu1, mustar = (1.0, 0.0) if ker is None else (ker.mu1, ker.mustar)
    th = theory.erm(task["alpha"], task["eps"], np.asarray(task["lams"], float), loss=task["loss"],
                    mu1=mu1, mustar=mustar)
    obs = spec["observable"]
    fits = [fit_finite_size(sw.d[:, j], sw[obs][:, j], sw[obs + "_sem"][:, j], exponent=exponent)
            for j in range(sw.shape[1])]
    values = np.asarray(getattr(th, obs), float).ravel()
    e_inf = np.array([f.e_inf for f in fits])
    e_inf_sem = np.array([f.e_inf_sem for f in fits])
    return {"sweep": sw, "theory": th, "fits": fits, "observable": obs, "theory_value": values,
            "e_inf": e_inf, "e_inf_sem": e_inf_sem, "z": (e_inf - values) / e_inf_sem,
            "seeds": seeds, "lams": np.asarray(task["lams"], float),
            "title": spec["title"], "mu1": float(mu1), "mustar": float(mustar)}
