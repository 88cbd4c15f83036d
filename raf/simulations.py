"""Finite-size simulations on Gaussian RAF data, averaged over seeds (THEORY §7).

One job: draw independent data sets, fit a learner of :mod:`raf.learners` on each for a whole grid
of ridges, and summarise over the seeds:

* :func:`simulate_kernel`: kernel ridge regression / the kernel SVM with a dot-product kernel;
* :func:`simulate_linear`: the linear model ``f(x) = w . x / sqrt(d)``;
* :func:`simulate_random_features`: random features of width ``p = kappa d``.

Each seed spawns three independent streams (:func:`seed_streams`): training set (teacher, inputs,
labels), test set, random features. Each driver returns a :class:`raf.result.Result` over the
ridges ``lam``: for every error ``e`` in ``e_gen``, ``e_mem``, ``e_train_rule`` the mean over seeds
``e``, its standard error ``e_sem`` (``std(ddof=1) / sqrt(S)``, NaN for one seed) and the per-seed
values ``e_seeds`` (trailing axis ``"seed"``, labelled by the output ``seed``). A point is
``converged`` when every seed's fit converged; otherwise one ``RuntimeWarning``. The theory to
compare with is ``raf.theory.erm`` at the inputs ``alpha, eps, lam, mu1, mustar`` (and ``kappa``);
:mod:`raf.compare` measures the distance.
"""

from __future__ import annotations

import numpy as np

from ._validation import Integer, Interval, check_choice, validated
from .data import sample, sample_test
from .gram import as_kernel, to_sphere
from .kernels import ACTIVATION_NAMES, activation as _activation, coefficients
from .learners import _krr, _ridge, _svm, float_dtype, learner_loss, ridges
from .result import Result, warn_unconverged

__all__ = ["simulate_kernel", "simulate_linear", "simulate_random_features", "seed_streams",
           "at_ridge", "ERRORS"]

#: The errors every driver reports (THEORY §1).
ERRORS = ("e_gen", "e_mem", "e_train_rule")


def _seeds(name, value):
    """Spec of ``seeds``: one int or a non-empty sequence of non-negative ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,)
    try:
        value = tuple(value)
    except TypeError:
        raise ValueError(f"The '{name}' parameter must be a non-empty sequence of ints. "
                         f"Got {value!r} instead.") from None
    if not value or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
                            for s in value):
        raise ValueError(f"The '{name}' parameter must be a non-empty sequence of non-negative "
                         f"ints. Got {value!r} instead.")
    return tuple(int(s) for s in value)


_COMMON = dict(d=Integer(1), alpha=Interval(0.0, np.inf, low_open=True), eps=Interval(0.0, 1.0),
               lams=ridges, loss=learner_loss, seeds=_seeds, n_test=Integer(1))


def seed_streams(seed):
    """Independent generators' seeds for (training data, test data, random features) of one seed."""
    return np.random.SeedSequence(seed).spawn(3)


def _progress(iterable, progress, desc):
    if not progress:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, leave=False)


def _draw(d, alpha, eps, n_test, seed, exact_fraction):
    """One seed's training set, test inputs and labels, and the stream for random features."""
    s_train, s_test, s_feat = seed_streams(seed)
    data = sample.__wrapped__(d, alpha, eps, seed=s_train, exact_fraction=exact_fraction)
    X_test, y_test = sample_test.__wrapped__(data.teacher, n_test, seed=s_test)
    return data, X_test, y_test, s_feat


def _summary(per_seed, lams, seeds, inputs, what):
    """One :class:`Result` over ``lam`` from the per-seed results: means, standard errors, seeds."""
    S = len(seeds)
    outputs = {}
    for key in ERRORS:
        arr = np.stack([np.asarray(r[key], float) for r in per_seed], axis=-1)  # (L, S)
        outputs[key] = arr.mean(axis=-1)
        outputs[key + "_sem"] = (arr.std(axis=-1, ddof=1) / np.sqrt(S) if S > 1
                                 else np.full(lams.shape, np.nan))
        outputs[key + "_seeds"] = arr
    outputs["seed"] = np.broadcast_to(np.asarray(seeds), (lams.size, S))
    converged = np.all([r.converged for r in per_seed], axis=0)
    messages = [r.message for r in per_seed if not r.success]
    residual = np.stack([r.residual for r in per_seed])  # (S, L); NaN where not measured
    residual = np.where(np.isnan(residual), -np.inf, residual).max(axis=0)
    residual = np.where(np.isfinite(residual), residual, np.nan)
    res = Result({"lam": lams, **inputs}, outputs, converged=converged,
                 n_iter=np.sum([r.n_iter for r in per_seed], axis=0), residual=residual,
                 message=messages[0] if messages else "converged",
                 trailing={f"{k}_seeds": "seed" for k in ERRORS} | {"seed": "seed"})
    return warn_unconverged(res, what)


def _common_inputs(d, n, alpha, eps, loss):
    return {"d": d, "n": n, "alpha": float(alpha), "eps": float(eps), "loss": loss}


@validated(**_COMMON, dtype=float_dtype)
def simulate_kernel(d, alpha, eps, lams, *, kernel, param=None, loss="square",
                    seeds=(0, 1, 2, 3, 4), n_test=4000, exact_fraction=False, dtype=np.float64,
                    progress=False, on_sphere=True):
    """Finite-size kernel ridge regression / kernel SVM on Gaussian RAF data (THEORY §7).

    Per seed: a training set (:func:`raf.data.sample`) and a rule-labelled test set, the Gram
    matrices ``k(X X^T / d)`` of the inputs on the sphere (``on_sphere``; :func:`raf.gram.gram`),
    then :func:`raf.learners.krr_errors`
    (``loss="square"``, one eigendecomposition for all ``lams``) or
    :func:`raf.learners.svm_errors` (``loss="hinge"``, intercept-free, warm-started along
    ``lams``). The theory: ``raf.theory.erm(alpha, eps, lam, loss=loss, mu1=mu1, mustar=mustar)``.

    Parameters
    ----------
    d : int
        Dimension; ``n = round(alpha d)``.
    alpha : float > 0
    eps : float in [0, 1]
    lams : float or array (L,), >= 0
    kernel, param : as accepted by :func:`raf.gram.as_kernel`
    loss : {"square", "hinge"}
    seeds : sequence of int
        One independent draw of (teacher, data, test set) per seed.
    n_test : int
        Test-set size per seed.
    exact_fraction : bool
        Passed to :func:`raf.data.sample`.
    dtype : floating dtype
        Precision of the KRR linear algebra.
    progress : bool
        A tqdm progress bar over seeds.
    on_sphere : bool, default True
        Evaluate the kernel on the inputs rescaled to ``|x|^2 = d`` (:func:`raf.gram.to_sphere`),
        i.e. at the cosine of the angle between inputs. Every sample then has the implicit ridge
        ``mustar^2`` of the theory's limit; the plain form ``k(x . x' / d)`` spreads it with the
        norms, which for kernels clipped at ``t = 1`` (ReLU, sign) biases it down at order
        ``d^(-1/2)`` (:func:`raf.scaling.implicit_ridges`; ReLU KRR at ``lambda = 0``, ``d = 100``,
        ``alpha = 4``, ``eps = 0.2``: 0.33 instead of the theory's 0.19). The labels do not
        depend on the norm.

    Returns
    -------
    Result
        Over ``lam`` (module docstring); inputs also ``d``, ``n``, ``alpha``, ``eps``, ``loss``,
        ``kernel`` (its name), ``mu1``, ``mustar`` (NaN for a bare callable).
    """
    ker = as_kernel(kernel, param)
    per_seed = []
    for seed in _progress(seeds, progress, f"kernel {ker.name}"):
        data, X_test, y_test, _ = _draw(d, alpha, eps, n_test, seed, exact_fraction)
        X, X_t = (to_sphere(data.X), to_sphere(X_test)) if on_sphere else (data.X, X_test)
        K = np.asarray(ker.k(X @ X.T / d), dtype=float)
        K_test = np.asarray(ker.k(X_t @ X.T / d), dtype=float)
        if loss == "square":
            per_seed.append(_krr(K.astype(dtype), data.y.astype(dtype), K_test.astype(dtype),
                                 y_test, lams, data.is_fact))
        else:
            per_seed.append(_svm(K, data.y, K_test, y_test, lams, data.is_fact))
    inputs = _common_inputs(d, data.n, alpha, eps, loss) | {
        "kernel": ker.name, "mu1": float(ker.mu1), "mustar": float(ker.mustar)}
    return _summary(per_seed, lams, seeds, inputs, "simulate_kernel")


def _fit_features(Phi, Phi_t, data, y_test, lams, loss):
    """Ridge (square) or intercept-free SVM (hinge) on explicit features, all ``lams``."""
    if loss == "square":
        return _ridge(Phi, data.y, Phi_t, y_test, lams, data.is_fact)
    return _svm(Phi @ Phi.T, data.y, Phi_t @ Phi.T, y_test, lams, data.is_fact, Phi)


@validated(**_COMMON)
def simulate_linear(d, alpha, eps, lams, *, loss="square", seeds=(0, 1, 2, 3, 4), n_test=4000,
                    exact_fraction=False, progress=False):
    """Finite-size linear model ``f(x) = w . x / sqrt(d)`` on Gaussian RAF data (THEORY §2).

    Square loss: ridge regression in closed form (:func:`raf.learners.ridge_errors`; ``lam = 0``
    is the minimum-norm least-squares limit). Hinge loss: the intercept-free SVM on
    ``K = X X^T / d`` with features ``X / sqrt(d)``. The theory is
    ``raf.theory.erm(..., mu1=1, mustar=0)``.

    Parameters and returns as :func:`simulate_kernel` (``kernel="linear"``, ``mu1 = 1``,
    ``mustar = 0``).
    """
    per_seed = []
    for seed in _progress(seeds, progress, "linear"):
        data, X_test, y_test, _ = _draw(d, alpha, eps, n_test, seed, exact_fraction)
        per_seed.append(_fit_features(data.X / np.sqrt(d), X_test / np.sqrt(d), data, y_test,
                                      lams, loss))
    inputs = _common_inputs(d, data.n, alpha, eps, loss) | {
        "kernel": "linear", "mu1": 1.0, "mustar": 0.0}
    return _summary(per_seed, lams, seeds, inputs, "simulate_linear")


def _activation_spec(name, value):
    if isinstance(value, str):
        check_choice(name, value, ACTIVATION_NAMES)
        return value
    if callable(value):
        return value
    raise ValueError(f"The '{name}' parameter must be a callable or one of {ACTIVATION_NAMES}. "
                     f"Got {value!r} instead.")


@validated(**_COMMON, kappa=Interval(0.0, np.inf, low_open=True), activation=_activation_spec)
def simulate_random_features(d, alpha, eps, lams, *, kappa, activation="erf", loss="square",
                             seeds=(0, 1, 2, 3, 4), n_test=4000, exact_fraction=False,
                             progress=False):
    """Finite-size random features of width ``p = round(kappa d)`` (THEORY §2, §6).

    ``f(x) = sum_k w_k sigma_c(F_k . x / sqrt(d)) / sqrt(p)`` with ``F_kj ~ N(0, 1)`` fixed per
    seed and the *centred* activation ``sigma_c = sigma - mu0`` (THEORY §6: the constant mode
    would add a finite-size offset the theory does not have). Square loss: ridge on the features
    (one eigendecomposition of the smaller Gram matrix per seed); hinge loss: the intercept-free
    SVM on ``K = Phi Phi^T``. The theory is ``raf.theory.erm(..., mu1=mu1, mustar=mustar,
    kappa=kappa)`` with the activation's coefficients (:func:`raf.kernels.coefficients`).

    Parameters
    ----------
    kappa : float > 0
        Width ratio ``p / d``.
    activation : str or callable
        ``"erf"``, ``"relu"``, ``"sign"``, ``"tanh"``, ``"linear"`` or a vectorised callable.
    other parameters and returns as :func:`simulate_kernel` (inputs also ``kappa``, ``p``,
    ``activation``, ``mu0``).
    """
    p = int(round(float(kappa) * d))
    if p < 1:
        raise ValueError(f"kappa * d must give at least one feature. Got kappa={float(kappa)!r}, "
                         f"d={d!r}.")
    sigma = _activation(activation) if isinstance(activation, str) else activation
    act_name = activation if isinstance(activation, str) else getattr(activation, "__name__",
                                                                      "callable")
    mu0, mu1, mustar = coefficients.__wrapped__(activation)
    per_seed = []
    for seed in _progress(seeds, progress, f"random features {act_name}"):
        data, X_test, y_test, s_feat = _draw(d, alpha, eps, n_test, seed, exact_fraction)
        F = np.random.default_rng(s_feat).standard_normal((p, d))
        Phi = (sigma(data.X @ F.T / np.sqrt(d)) - mu0) / np.sqrt(p)
        Phi_t = (sigma(X_test @ F.T / np.sqrt(d)) - mu0) / np.sqrt(p)
        per_seed.append(_fit_features(Phi, Phi_t, data, y_test, lams, loss))
    inputs = _common_inputs(d, data.n, alpha, eps, loss) | {
        "kernel": f"random features ({act_name})", "activation": act_name, "kappa": float(kappa),
        "p": p, "mu0": float(mu0), "mu1": float(mu1), "mustar": float(mustar)}
    return _summary(per_seed, lams, seeds, inputs, "simulate_random_features")


def at_ridge(result, lam):
    """The sub-result of ``result`` (a :class:`Result` over ``lam``) at the ridge ``lam``, shape (1,).

    ``ValueError`` when ``lam`` is not one of the simulated ridges.
    """
    hit = np.flatnonzero(np.asarray(result.lam) == lam)
    if hit.size == 0:
        raise ValueError(f"The 'lam' parameter must be one of the simulated ridges "
                         f"{np.asarray(result.lam).tolist()}. Got {lam!r} instead.")
    return result[hit[:1]]
