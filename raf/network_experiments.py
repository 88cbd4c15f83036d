"""Paired experiments: a trained two-layer network against random features, kernels and theory.

Every function here draws its data from the same seed streams (:func:`seed_streams`): for a given
``seed`` and ``(d, alpha, eps)``, :func:`simulate_network` (trained or frozen first layer) and
:func:`simulate_kernels` see the *same* training set, test set and validation set, so their
differences can be averaged seed by seed (:func:`paired`), which removes most of the
seed-to-seed spread (THEORY §7: that spread is as large as the effects sought).

- :func:`simulate_network` -- :func:`raf.networks.train` over seeds, errors along training;
- :func:`simulate_kernels` -- ridgeless kernel regression on the same data with two kernels:
  the infinite-width kernel of the network's activation (the ``kappa -> inf`` limit of the frozen
  network) and the RBF kernel at the critical angle ``theta*`` of THEORY §5 (the best kernel that
  still memorises every fact);
- :func:`best_interpolating` -- the stopping time with no fact forgotten and the smallest
  validation error (an oracle stopping rule on separate rule-labelled inputs);
- :func:`paired`, :func:`slopes` -- paired means with standard errors, power-law slopes with
  their seed-to-seed uncertainty.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.optimize import brentq

from raf._validation import Choice, Integer, Interval, check_int, validated
from raf.data import sample, sample_test
from raf.networks import ACTIVATIONS, LOSSES, METHODS, init_network, train
from raf.rates import fit_power_law
from raf.result import Result, warn_unconverged

__all__ = [
    "seed_streams",
    "activation_kernel",
    "rbf_gamma_for_angle",
    "rbf_kernel",
    "ridgeless_krr",
    "simulate_network",
    "simulate_kernels",
    "best_interpolating",
    "paired",
    "slopes",
    "KERNELS",
]

KERNELS = ("activation", "theta_star")


def _check_seeds(seeds):
    seeds = list(seeds) if np.ndim(seeds) else [seeds]
    if not seeds:
        raise ValueError("The 'seeds' parameter must hold at least one seed. Got [] instead.")
    return [check_int("seeds", s, 0) for s in seeds]


def seed_streams(seed):
    """Four independent generators' seeds (train data, test inputs, validation inputs, weights)."""
    return np.random.SeedSequence(int(seed)).spawn(4)


def _draw(d, alpha, eps, seed, n_test, n_val):
    s_train, s_test, s_val, s_init = seed_streams(seed)
    data = sample(d, alpha, eps, seed=s_train)
    X_test, y_test = sample_test(data.teacher, n_test, seed=s_test)
    X_val, y_val = sample_test(data.teacher, n_val, seed=s_val)
    return data, (X_test, y_test), (X_val, y_val), s_init


# -- kernels --------------------------------------------------------------------------------------

def activation_kernel(X1, X2, activation="relu"):
    """``E_w[sigma(w.x/sqrt d) sigma(w.x'/sqrt d)]``, ``w ~ N(0, I_d)``: the frozen network at ``p -> inf``.

    Exact on the given inputs (their norms included), for the centred ReLU of
    :mod:`raf.networks` (arc-cosine kernel minus its mean terms) and for erf
    (``2/pi arcsin(2c/sqrt((1+2a)(1+2b)))``).
    """
    if activation not in ("relu", "erf"):
        raise ValueError(f"The 'activation' parameter must be one of {{'relu', 'erf'}} for a "
                         f"closed-form kernel. Got {activation!r} instead.")
    X1, X2 = np.asarray(X1, float), np.asarray(X2, float)
    d = X1.shape[1]
    c = X1 @ X2.T / d
    a = np.sum(X1 * X1, axis=1) / d
    b = np.sum(X2 * X2, axis=1) / d
    if activation == "erf":
        return (2.0 / math.pi) * np.arcsin(2.0 * c / np.sqrt(np.outer(1.0 + 2.0 * a, 1.0 + 2.0 * b)))
    s1, s2 = np.sqrt(a), np.sqrt(b)
    norm = np.outer(s1, s2)
    cos = np.clip(c / norm, -1.0, 1.0)
    phi = np.arccos(cos)
    relu = norm * (np.sin(phi) + (math.pi - phi) * cos) / (2.0 * math.pi)
    mu0 = 1.0 / math.sqrt(2.0 * math.pi)   # E relu(s xi) = s mu0
    return relu - mu0 * mu0 * (s1[:, None] + s2[None, :]) + mu0 * mu0


def rbf_gamma_for_angle(theta):
    """Bandwidth ``gamma`` of ``exp(-gamma |x - x'|^2/d)`` whose kernel angle is ``theta`` (THEORY §7).

    ``tan^2 theta = (e^{2 gamma} - 1 - 2 gamma)/(2 gamma)``, increasing from 0 (at ``gamma -> 0``).
    """
    t2 = math.tan(float(theta)) ** 2

    def g(x):
        return math.expm1(2 * x) / (2 * x) - 1.0 - t2

    return brentq(g, 1e-8, 50.0, xtol=1e-14)


def rbf_kernel(X1, X2, gamma):
    """``exp(-gamma |x - x'|^2 / d)``."""
    X1, X2 = np.asarray(X1, float), np.asarray(X2, float)
    d = X1.shape[1]
    sq = np.sum(X1 * X1, 1)[:, None] + np.sum(X2 * X2, 1)[None, :] - 2.0 * X1 @ X2.T
    return np.exp(-gamma * np.maximum(sq, 0.0) / d)


def ridgeless_krr(K, y, K_tests):
    """Kernel interpolation ``f = K_t K^{-1} y`` (the ``lambda -> 0`` ridge, THEORY §7).

    A jitter of ``1e-10`` times the mean diagonal is added when the Cholesky factorisation
    fails. Returns ``(f_train, [f_test, ...])``.
    """
    n = K.shape[0]
    jitter = 0.0
    for _ in range(6):
        try:
            cf = cho_factor(K + jitter * np.eye(n), lower=True, check_finite=False)
            break
        except LinAlgError:
            jitter = max(10 * jitter, 1e-10 * float(np.mean(np.diag(K))))
    else:
        raise LinAlgError("ridgeless_krr: the Gram matrix is not positive definite")
    coef = cho_solve(cf, y, check_finite=False)
    return K @ coef, [Kt @ coef for Kt in K_tests]


def _err(f, y):
    return np.where(f >= 0, 1.0, -1.0) != y


# -- experiments ----------------------------------------------------------------------------------

@validated(d=Integer(1), alpha=Interval(0, np.inf, low_open=True), eps=Interval(0, 1),
           kappa=Interval(0, np.inf, low_open=True), loss=Choice(LOSSES), lam=Interval(0, np.inf),
           method=Choice(METHODS), activation=Choice(ACTIVATIONS), n_test=Integer(1), n_val=Integer(1),
           max_iter=Integer(1))
def simulate_network(d, alpha, eps, *, kappa=1.0, loss="logistic", lam=1e-3, train_first=True,
                     method="gd", lr=10.0, max_iter=1000, checkpoints=None, activation="relu",
                     seeds=(0, 1, 2, 3), n_test=4000, n_val=2000, **train_kw):
    """Train the network of width ``p = round(kappa d)`` on one RAF data set per seed.

    Same data and same initial first layer for every call with the same ``seed``; so the
    trained (``train_first=True``) and frozen (``False``) runs are paired. Other keywords go to
    :func:`raf.networks.train`.

    Returns
    -------
    Result
        Grid ``iteration`` (checkpoints, then ``inf``); outputs of :func:`raf.networks.train`
        with a trailing ``seed`` axis; ``converged`` at a point means every seed converged there.
    """
    seeds = _check_seeds(seeds)
    alpha, eps, kappa = float(alpha), float(eps), float(kappa)
    p = max(1, int(round(kappa * d)))
    per_seed, conv, n_iter, msgs = [], [], [], set()
    for seed in seeds:
        data, (X_test, y_test), (X_val, y_val), s_init = _draw(d, alpha, eps, seed, n_test, n_val)
        net = init_network(d, p, activation=activation, seed=s_init)
        _, res = train(net, data, X_test, y_test, loss=loss, lam=lam, train_first=train_first,
                                   method=method, lr=lr, max_iter=max_iter, checkpoints=checkpoints,
                                   X_val=X_val, y_val=y_val, **train_kw)
        per_seed.append(res.outputs)
        conv.append(res.converged)
        n_iter.append(res.n_iter)
        msgs.add(res.message if not res.success else "converged")
    outputs = {k: np.stack([o[k] for o in per_seed], axis=-1) for k in per_seed[0]}
    result = Result(
        {"iteration": res.inputs["iteration"], "d": d, "p": p, "alpha": alpha, "eps": eps,
         "kappa": kappa, "loss": loss, "lam": float(lam), "activation": activation,
         "method": method, "train_first": bool(train_first), "n_seeds": len(seeds)},
        outputs, converged=np.all(conv, axis=0), n_iter=np.max(n_iter, axis=0),
        message="; ".join(sorted(msgs)), trailing={k: "seed" for k in outputs})
    warn_unconverged(result, "raf.network_experiments.simulate_network")
    return result


@validated(d=Integer(1), alpha=Interval(0, np.inf, low_open=True), eps=Interval(0, 1, high_open=True),
           n_test=Integer(1), n_val=Integer(1))
def simulate_kernels(d, alpha, eps, *, activation="relu", seeds=(0, 1, 2, 3), n_test=4000, n_val=2000,
                     theta=None):
    """Ridgeless kernel regression on the data sets of :func:`simulate_network` (same seeds).

    Kernels (grid axis ``kernel``): ``"activation"``, the network's infinite-width kernel
    (:func:`activation_kernel`), and ``"theta_star"``, the RBF kernel at the critical angle
    ``theta*(eps)`` (or at ``theta`` if given; :func:`rbf_gamma_for_angle`). Both interpolate
    every training label (``E_mem = 0``).

    Returns
    -------
    Result
        Grid ``kernel``; outputs ``e_gen``, ``e_val``, ``e_mem``, ``e_train_rule`` with a
        trailing ``seed`` axis, and ``theta`` (the angle of the RBF kernel used).
    """
    from raf.theory import theta_star

    seeds = _check_seeds(seeds)
    alpha, eps = float(alpha), float(eps)
    th = float(theta_star(eps)) if theta is None else float(theta)
    gamma = rbf_gamma_for_angle(th)
    out = {k: np.zeros((2, len(seeds))) for k in ("e_gen", "e_val", "e_mem", "e_train_rule")}
    for j, seed in enumerate(seeds):
        data, (X_test, y_test), (X_val, y_val), _ = _draw(d, alpha, eps, seed, n_test, n_val)
        grams = [lambda A, B: activation_kernel(A, B, activation), lambda A, B: rbf_kernel(A, B, gamma)]
        for i, gram in enumerate(grams):
            f_tr, (f_te, f_va) = ridgeless_krr(gram(data.X, data.X), data.y,
                                               [gram(X_test, data.X), gram(X_val, data.X)])
            wrong = _err(f_tr, data.y)
            out["e_gen"][i, j] = _err(f_te, y_test).mean()
            out["e_val"][i, j] = _err(f_va, y_val).mean()
            out["e_mem"][i, j] = wrong[data.is_fact].mean() if data.is_fact.any() else np.nan
            out["e_train_rule"][i, j] = wrong[~data.is_fact].mean()
    return Result({"kernel": np.array(KERNELS), "d": d, "alpha": alpha, "eps": eps,
                   "activation": activation, "theta": np.array([np.nan, th]), "gamma": np.array([np.nan, gamma])},
                  out, trailing={k: "seed" for k in out})


def best_interpolating(result, *, mem_tol=0.0):
    """Per seed, the checkpoint with ``e_mem <= mem_tol`` and the smallest validation error.

    The choice uses ``e_val`` (separate rule-labelled inputs), so the reported test error
    ``e_gen`` at that checkpoint is not biased by the choice. Ties go to the earliest checkpoint.

    Returns
    -------
    dict
        ``e_gen``, ``e_mem``, ``time``, ``iteration`` (arrays over seeds; NaN where no checkpoint
        stores every fact) and ``found`` (bool per seed).
    """
    e_mem, e_val = np.asarray(result.e_mem), np.asarray(result.e_val)
    ok = e_mem <= mem_tol
    score = np.where(ok, e_val, np.inf)
    idx = np.argmin(score, axis=0)
    found = ok.any(axis=0)
    cols = np.arange(e_mem.shape[1])
    pick = lambda v: np.where(found, np.asarray(v)[idx, cols], np.nan)  # noqa: E731
    its = np.broadcast_to(np.asarray(result.iteration, float)[:, None], e_mem.shape)
    return {"e_gen": pick(result.e_gen), "e_mem": pick(e_mem), "time": pick(result.time),
            "iteration": pick(its), "found": found}


def paired(a, b=None):
    """Mean of ``a - b`` over seeds (the last axis) and its standard error (``b=None``: of ``a``)."""
    x = np.asarray(a, float) - (0.0 if b is None else np.asarray(b, float))
    k = np.sum(np.isfinite(x), axis=-1)
    mean = np.nanmean(x, axis=-1)
    se = np.nanstd(x, axis=-1, ddof=1) / np.sqrt(k) if np.all(k > 1) else np.full(np.shape(mean), np.nan)
    return mean, se


def slopes(alphas, e, reference=None):
    """Power-law slope of ``e`` (``(n_alpha, n_seeds)``) against ``alpha``, with uncertainty.

    ``slope`` is fitted to the seed mean (:func:`raf.rates.fit_power_law`); ``stderr`` is the
    standard error of the per-seed slopes (each seed's curve fitted on its own), which counts
    the data sets' spread; ``fit_stderr`` is the fit's own residual error. With ``reference``
    (same shape) also the paired slope difference ``diff``, ``diff_stderr``.
    """
    alphas = np.asarray(alphas, float)
    e = np.asarray(e, float)
    fit = fit_power_law(alphas, np.nanmean(e, axis=1))
    per = fit_power_law(alphas, e.T).slope  # one fit per seed
    out = {"slope": float(fit.slope), "prefactor": float(fit.prefactor), "fit_stderr": float(fit.stderr),
           "per_seed": per, "stderr": float(np.std(per, ddof=1) / np.sqrt(per.size)) if per.size > 1 else np.nan}
    if reference is not None:
        ref = fit_power_law(alphas, np.asarray(reference, float).T).slope
        m, s = paired(per, ref)
        out["diff"], out["diff_stderr"] = float(m), float(s)
    return out
