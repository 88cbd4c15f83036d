"""Finite-size logistic regression on RAF data, no intercept (THEORY §2, §7).

The learner minimises ``sum_mu log(1 + exp(-y_mu f(x_mu))) + lam/2 ||w||^2`` with the loss
*summed* over the ``n`` samples, in the convention of the square and hinge learners of
:mod:`raf.experiments` (KRR ``(K + lam I)^{-1} y``, SVM ``C = 1/lam``), so that
``raf.theory.erm(alpha, eps, lam, loss="logistic", ...)`` is its ``d -> inf`` limit.

* :func:`fit_logistic_features`: ``f(x) = phi(x) . w`` on explicit features (the linear
  model with ``phi(x) = x/sqrt(d)``, random features); Newton's method on ``w`` (or, when
  there are more features than samples, in the representer form below).
* :func:`fit_logistic_gram`: kernel logistic regression, ``f = K c`` with penalty
  ``lam/2 c^T K c`` (the representer form of the same problem); Newton's method on ``c``
  with the direction ``(D K + lam I) dc = -(l' + lam c)``, ``D = diag(l'')``.
* :func:`logistic_errors`: both, for an array of ridges, warm-started from large to small
  ``lam``, and the errors of THEORY §1.
* :func:`simulate_logistic_linear`, :func:`simulate_logistic_kernel`: Gaussian RAF data,
  averaged over seeds (the seeds draw the same data as :mod:`raf.experiments`).

Every Newton iteration takes a backtracking (Armijo) line search on the objective, so the
iteration converges from any start (the objective is strongly convex for ``lam > 0``).
It stops when the optimality residual ``max |l'(y, f) + lam c|`` (or its feature-space
analogue) is below ``tol``; a fit that does not get there in ``max_iter`` iterations is
flagged ``converged = False`` and warned about once. ``lam = 0`` is not accepted: on
separable data the minimiser does not exist (its ``lam -> 0+`` direction is the hard-margin
SVM, :func:`raf.experiments.svm_errors` at ``lam = 0``).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from raf._validation import check_int, check_range
from raf.result import Result, warn_unconverged

__all__ = [
    "fit_logistic_features",
    "fit_logistic_gram",
    "logistic_errors",
    "simulate_logistic_linear",
    "simulate_logistic_kernel",
]


def _loss_terms(y, f):
    """``(sum of losses, l'(y, f), l''(y, f))`` for ``l = log(1 + e^{-y f})``, stably."""
    t = y * f
    e = np.exp(-np.abs(t))
    s = e / (1.0 + e)  # expit(-|t|)
    neg = np.where(t > 0, s, 1.0 - s)  # expit(-t)
    return np.logaddexp(0.0, -t).sum(), -y * neg, s * (1.0 - s)


def _check_lams(lams):
    lams = np.atleast_1d(np.asarray(lams, dtype=float))
    if lams.ndim != 1:
        raise ValueError(f"The 'lams' parameter must be a scalar or a 1-d array. Got shape {lams.shape}.")
    return check_range("lams", lams, 0.0, low_open=True)


def _check_labels(y, n):
    y = np.asarray(y, dtype=float)
    if y.shape != (n,) or not np.all(np.abs(y) == 1):
        raise ValueError(f"The 'y' parameter must be an array of shape ({n},) of labels -1 and +1. "
                         f"Got shape {y.shape}.")
    return y


def _newton(obj_grad, direction, x0, *, tol, max_iter):
    """Damped Newton: ``obj_grad(x) -> (F, residual vector)``, ``direction(x) -> dx``."""
    x = x0
    F, res = obj_grad(x)
    for it in range(max_iter + 1):
        err = float(np.max(np.abs(res)))
        if err <= tol:
            return x, True, it, err
        if it == max_iter:
            break
        dx, slope = direction(x, res)
        t = 1.0
        for _ in range(50):  # Armijo backtracking
            xn = x + t * dx
            Fn, resn = obj_grad(xn)
            if Fn <= F + 1e-4 * t * slope or abs(Fn - F) <= 1e-15 * abs(F):
                break
            t *= 0.5
        x, F, res = xn, Fn, resn
    return x, False, max_iter, err


def fit_logistic_gram(K, y, lam, *, c0=None, tol=1e-9, max_iter=100):
    """Kernel logistic regression ``f = K c`` minimising ``sum l(y, f) + lam/2 c^T K c``.

    Parameters
    ----------
    K : array (n, n)
        Training Gram matrix (positive semi-definite).
    y : array (n,)
        Labels in {-1, +1}.
    lam : float > 0
    c0 : array (n,), optional
        Starting coefficients (warm start).
    tol : float
        Stop when ``max_mu |l'(y_mu, f_mu) + lam c_mu| <= tol`` (the stationarity of the
        representer form, whose solution has ``c = -l'/lam``).
    max_iter : int

    Returns
    -------
    c : array (n,)
    converged : bool
    n_iter : int
    residual : float
    """
    K = np.asarray(K, dtype=float)
    n = K.shape[0]
    y = _check_labels(y, n)
    lam = float(check_range("lam", lam, 0.0, low_open=True))
    eye = np.eye(n)

    def obj_grad(c):
        f = K @ c
        L, g, _ = _loss_terms(y, f)
        return L + 0.5 * lam * c @ f, g + lam * c

    def direction(c, res):
        _, _, h = _loss_terms(y, K @ c)
        dc = np.linalg.solve(h[:, None] * K + lam * eye, -res)
        return dc, float(res @ (K @ dc))  # directional derivative: grad = K res

    c0 = np.zeros(n) if c0 is None else np.asarray(c0, dtype=float)
    return _newton(obj_grad, direction, c0, tol=tol, max_iter=max_iter)


def fit_logistic_features(Phi, y, lam, *, w0=None, tol=1e-9, max_iter=100):
    """Logistic regression ``f = Phi w`` minimising ``sum l(y, f) + lam/2 |w|^2`` (Newton on ``w``).

    Stops when ``max |Phi^T l' + lam w| <= tol``. Returns ``(w, converged, n_iter, residual)``.
    """
    Phi = np.asarray(Phi, dtype=float)
    n, p = Phi.shape
    y = _check_labels(y, n)
    lam = float(check_range("lam", lam, 0.0, low_open=True))

    def obj_grad(w):
        f = Phi @ w
        L, g, _ = _loss_terms(y, f)
        return L + 0.5 * lam * w @ w, Phi.T @ g + lam * w

    def direction(w, res):
        _, _, h = _loss_terms(y, Phi @ w)
        H = Phi.T @ (h[:, None] * Phi)
        H[np.diag_indices(p)] += lam
        dw = scipy.linalg.solve(H, -res, assume_a="pos")
        return dw, float(res @ dw)

    w0 = np.zeros(p) if w0 is None else np.asarray(w0, dtype=float)
    return _newton(obj_grad, direction, w0, tol=tol, max_iter=max_iter)


def _errors(f_train, f_test, y_train, y_test, fact_mask):
    """THEORY §1 errors from predictions (n, L), (n_test, L); ``f = 0`` counts as wrong."""
    wrong = np.sign(f_train) != y_train[:, None]
    out = {"e_gen": (np.sign(f_test) != y_test[:, None]).mean(axis=0),
           "e_train": wrong.mean(axis=0)}
    nan = np.full(f_train.shape[1], np.nan)
    out["e_mem"] = wrong[fact_mask].mean(axis=0) if fact_mask.any() else nan
    out["e_train_rule"] = wrong[~fact_mask].mean(axis=0) if (~fact_mask).any() else nan
    return out


def logistic_errors(K_train, y_train, K_test, y_test, lams, *, fact_mask, features=None,
                    features_test=None, tol=1e-9, max_iter=100):
    """Errors of logistic regression for every ridge in ``lams`` (warm-started, large to small).

    With ``features`` (and ``features_test``) given and no more features than samples, the
    fit is on the weights (:func:`fit_logistic_features`); otherwise on the Gram matrices
    (:func:`fit_logistic_gram`; ``K_train``, ``K_test`` may then be None and are built from
    the features).

    Returns
    -------
    Result
        Grid ``lam``; outputs ``e_gen``, ``e_mem``, ``e_train_rule``, ``e_train``;
        per-point ``converged``, ``n_iter`` and ``residual``. One warning when a fit failed.
    """
    lams = _check_lams(lams)
    fact_mask = np.asarray(fact_mask, dtype=bool)
    y_train = np.asarray(y_train, dtype=float)
    y_test = np.asarray(y_test, dtype=float)
    primal = features is not None and np.shape(features)[1] <= np.shape(features)[0]
    if features is not None and not primal and K_train is None:
        Phi, Phi_t = np.asarray(features, float), np.asarray(features_test, float)
        K_train, K_test = Phi @ Phi.T, Phi_t @ Phi.T
    n = y_train.size
    L = lams.size
    f_train, f_test = np.empty((n, L)), np.empty((y_test.size, L))
    conv, n_iter, resid = np.zeros(L, bool), np.zeros(L, int), np.zeros(L)
    x = None
    for j in np.argsort(-lams, kind="stable"):
        if primal:
            x, conv[j], n_iter[j], resid[j] = fit_logistic_features(features, y_train, lams[j], w0=x,
                                                                    tol=tol, max_iter=max_iter)
            f_train[:, j], f_test[:, j] = features @ x, features_test @ x
        else:
            x, conv[j], n_iter[j], resid[j] = fit_logistic_gram(K_train, y_train, lams[j], c0=x,
                                                                tol=tol, max_iter=max_iter)
            f_train[:, j], f_test[:, j] = K_train @ x, K_test @ x
    res = Result({"lam": lams}, _errors(f_train, f_test, y_train, y_test, fact_mask),
                 converged=conv, n_iter=n_iter, residual=resid)
    return warn_unconverged(res, "logistic_errors")


# ----------------------------------------------------------------------------------------------
# simulations on Gaussian RAF data (the conventions of raf.simulations)
# ----------------------------------------------------------------------------------------------
_KEYS = ("e_gen", "e_mem", "e_train_rule")


def _check_seeds(seeds):
    seeds = (seeds,) if isinstance(seeds, (int, np.integer)) else tuple(seeds)
    if not seeds or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
                            for s in seeds):
        raise ValueError(f"The 'seeds' parameter must be a non-empty sequence of non-negative ints. "
                         f"Got {seeds!r} instead.")
    return tuple(int(s) for s in seeds)


def _simulate(draw_fit, d, alpha, eps, lams, seeds, n_test, meta, what):
    """Per seed: draw (as :func:`raf.simulations.seed_streams`), fit all ``lams``; summarise over seeds."""
    from raf.data import n_samples, sample, sample_test
    from raf.simulations import seed_streams

    d = check_int("d", d)
    n = n_samples(d, alpha)
    eps = float(check_range("eps", eps, 0.0, 1.0))
    lams = _check_lams(lams)
    seeds = _check_seeds(seeds)
    n_test = check_int("n_test", n_test)
    per_seed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # one warning below, for all seeds
        for seed in seeds:
            s_train, s_test, _ = seed_streams(seed)
            data = sample(d, alpha, eps, seed=s_train)
            X_test, y_test = sample_test(data.teacher, n_test, seed=s_test)
            per_seed.append(draw_fit(data, X_test, y_test, lams))
    S = len(seeds)
    outputs = {}
    for key in _KEYS:
        arr = np.stack([np.asarray(r[key], float) for r in per_seed], axis=-1)  # (L, S)
        outputs[key] = arr.mean(axis=-1)
        outputs[key + "_sem"] = arr.std(axis=-1, ddof=1) / np.sqrt(S) if S > 1 else np.full(lams.shape, np.nan)
        outputs[key + "_seeds"] = arr
    outputs["seed"] = np.broadcast_to(np.asarray(seeds), (lams.size, S))
    res = Result({"lam": lams, "d": d, "n": n, "alpha": float(alpha), "eps": eps, "loss": "logistic", **meta},
                 outputs, converged=np.all([r.converged for r in per_seed], axis=0),
                 n_iter=np.sum([r.n_iter for r in per_seed], axis=0),
                 residual=np.max([r.residual for r in per_seed], axis=0),
                 trailing={**{k + "_seeds": "seed" for k in _KEYS}, "seed": "seed"})
    return warn_unconverged(res, what, stacklevel=4)


def simulate_logistic_linear(d, alpha, eps, lams, *, seeds=(0, 1, 2, 3, 4), n_test=4000, tol=1e-9):
    """Linear logistic regression ``f(x) = w . x/sqrt(d)`` on Gaussian RAF data, averaged over seeds.

    The data of seed ``s`` are those of :func:`raf.simulations.simulate_linear` at the same seed.
    Theory: ``raf.theory.erm(alpha, eps, lam, loss="logistic")``. Returns a :class:`Result` over
    ``lam``, as :mod:`raf.simulations`: for each error ``e`` in ``e_gen``, ``e_mem``,
    ``e_train_rule`` the mean ``e``, its standard error ``e_sem`` and the per-seed ``e_seeds``
    (trailing axis ``seed``).
    """

    def fit(data, X_test, y_test, lams):
        s = np.sqrt(data.d)
        return logistic_errors(None, data.y, None, y_test, lams, fact_mask=data.is_fact,
                               features=data.X / s, features_test=X_test / s, tol=tol)

    return _simulate(fit, d, alpha, eps, lams, seeds, n_test, {"kernel": "linear"}, "simulate_logistic_linear")


def simulate_logistic_kernel(d, alpha, eps, lams, *, kernel, param=None, seeds=(0, 1, 2, 3, 4),
                             n_test=4000, tol=1e-9):
    """Kernel logistic regression with ``K = k(X X^T/d)`` on Gaussian RAF data, averaged over seeds.

    ``kernel``, ``param`` as in :func:`raf.gram.gram`. Theory:
    ``raf.theory.erm(alpha, eps, lam, loss="logistic", mu1=mu1, mustar=mustar)`` with the
    kernel's coefficients. Returns as :func:`simulate_logistic_linear`.
    """
    from raf.gram import as_kernel, gram

    k = as_kernel(kernel, param)  # validates kernel / param early

    def fit(data, X_test, y_test, lams):
        K = gram(data.X, None, k)
        K_test = gram(X_test, data.X, k)
        return logistic_errors(K, data.y, K_test, y_test, lams, fact_mask=data.is_fact, tol=tol)

    name = getattr(k, "name", getattr(kernel, "name", str(kernel)))
    return _simulate(fit, d, alpha, eps, lams, seeds, n_test, {"kernel": str(name)}, "simulate_logistic_kernel")
