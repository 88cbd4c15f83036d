"""CIFAR10-RAF: the rules-and-facts construction on real images (THEORY §7; paper Sec. 3.4, D.4).

* :func:`cifar10_raf` builds one training/test draw: ``n = round(alpha * 3072)``
  training images, a fraction ``eps`` of them from the *fact* class with independent
  random labels, the rest split evenly between the two *rule* classes (label +1 for the
  first, -1 for the second); a test set of unseen rule-class images from the CIFAR-10
  test split; features z-scored with the training statistics.
* :func:`cifar10_raf_errors` runs kernel ridge regression (square loss) or the
  intercept-free SVM (hinge loss) on repeated draws, for several kernels and a whole
  grid of ridges ``lams``, through the learners of :mod:`raf.learners` (one
  eigendecomposition per repeat and kernel); a :class:`raf.result.Result` over (kernel, ridge).
* :func:`linear_part_errors` (a kernel against its linear part with the implicit ridge), for the
  exercises.

What the chapter reads off these results (best ridges, kernel twins, distances) is
:mod:`raf.cifar_summary`.

The chapter's explorer is :mod:`raf.widgets.cifar10_raf`.

The kernels on images (RBF relative to the mean distance, the matched quadratic) are
:mod:`raf.image_kernels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import Integer, Interval, check_choice, validated
from .image_kernels import (
    _dot_products,
    _kernel_specs,
    _rbf,
    kernel_coefficients,
    kernel_matrices,
    kernel_spec_coefficients,
)
from .learners import _krr, _svm, learner_loss, ridges
from .result import Result, warn_unconverged

__all__ = [
    "CIFAR10RAF",
    "D_CIFAR",
    "cifar10_raf",
    "linear_part_errors",
    "cifar10_raf_errors",
]

#: Input dimension of CIFAR-10 images, 32 x 32 x 3.
D_CIFAR = 3072
#: The errors measured on each draw (THEORY §1).
ERRORS = ("e_gen", "e_mem", "e_train_rule")

_ALPHA, _EPS = Interval(0.0, np.inf, low_open=True), Interval(0.0, 1.0)


# -- the data set ---------------------------------------------------------------------------------


@dataclass
class CIFAR10RAF:
    """One draw of CIFAR10-RAF (see :func:`cifar10_raf`).

    Attributes
    ----------
    X_train : float array (n, 3072)
        z-scored training inputs (with the training mean and standard deviation).
    y_train : float array (n,)
        Labels +-1: +1 / -1 for the two rule classes, random for the facts.
    is_fact : bool array (n,)
        True for the images of the fact class.
    X_test : float array (n_test, 3072)
        Test inputs, z-scored with the *training* statistics.
    y_test : float array (n_test,)
        Rule labels of the test images (rule classes only).
    train_index, test_index : int arrays
        Positions of the images in the CIFAR-10 training and test splits.
    mean, std : float arrays (3072,)
        The training statistics used for z-scoring.
    alpha, eps, n, n_fact : the construction's parameters.
    rule_classes, fact_class : class names.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    is_fact: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    train_index: np.ndarray
    test_index: np.ndarray
    mean: np.ndarray = field(repr=False)
    std: np.ndarray = field(repr=False)
    alpha: float = 0.0
    eps: float = 0.0
    n: int = 0
    n_fact: int = 0
    rule_classes: tuple = ("cat", "dog")
    fact_class: str = "automobile"

    @property
    def d(self):
        return self.X_train.shape[1]


def resolve_data(data):
    """``data`` as a :class:`raf.datasets.CIFAR10`: itself, or loaded from a path (None: default)."""
    from .datasets import CIFAR10, load_cifar10

    if isinstance(data, CIFAR10):
        return data
    return load_cifar10(data)


def _class_indices(data, rule_classes, fact_class):
    """Indices ``(positive rule, negative rule, fact)`` of three different classes of ``data``."""
    if (not isinstance(rule_classes, (tuple, list)) or len(rule_classes) != 2
            or rule_classes[0] == rule_classes[1]):
        raise ValueError("The 'rule_classes' parameter must be two different class names. "
                         f"Got {rule_classes!r} instead.")
    check_choice("rule_classes[0]", rule_classes[0], data.classes)
    check_choice("rule_classes[1]", rule_classes[1], data.classes)
    check_choice("fact_class", fact_class, data.classes)
    if fact_class in rule_classes:
        raise ValueError(f"The 'fact_class' parameter must differ from the rule classes "
                         f"{tuple(rule_classes)}. Got {fact_class!r} instead.")
    return tuple(data.class_index(c) for c in (*rule_classes, fact_class))


def _draw_training(rng, data, classes, names, n, n_fact, alpha, eps):
    """Training indices, labels and fact mask: rule images split evenly, then the facts."""
    n_rule = n - n_fact
    counts = (n_rule - n_rule // 2, n_rule // 2, n_fact)
    pools = [np.flatnonzero(data.y_train == c) for c in classes]
    for pool, k, name in zip(pools, counts, names):
        if k > pool.size:
            raise ValueError(
                f"alpha={alpha:g}, eps={eps:g} need {k} training images of class {name!r}; "
                f"the data set has {pool.size}. Lower 'alpha' (or 'eps').")
    idx = np.concatenate([rng.choice(pool, k, replace=False) for pool, k in zip(pools, counts)])
    y = np.concatenate([np.ones(counts[0]), -np.ones(counts[1]), rng.choice([-1.0, 1.0], n_fact)])
    fact = np.concatenate([np.zeros(n_rule, bool), np.ones(n_fact, bool)])
    perm = rng.permutation(n)
    return idx[perm], y[perm], fact[perm]


def _draw_test(rng, data, c_pos, c_neg, n_test):
    """Test indices (rule classes of the test split, half each) and their rule labels."""
    t_pos = np.flatnonzero(data.y_test == c_pos)
    t_neg = np.flatnonzero(data.y_test == c_neg)
    if n_test is None:
        t_idx = np.concatenate([t_pos, t_neg])
    else:
        k_pos, k_neg = n_test - n_test // 2, n_test // 2
        if k_pos > t_pos.size or k_neg > t_neg.size:
            raise ValueError(f"The 'n_test' parameter must be at most "
                             f"{2 * min(t_pos.size, t_neg.size)}. Got {n_test} instead.")
        t_idx = np.concatenate([rng.choice(t_pos, k_pos, replace=False),
                                rng.choice(t_neg, k_neg, replace=False)])
    t_idx = rng.permutation(t_idx)
    return t_idx, np.where(data.y_test[t_idx] == c_pos, 1.0, -1.0)


def _zscore(data, idx, t_idx, d):
    """Training and test features z-scored with the training statistics."""
    X = data.X_train[idx].reshape(idx.size, d).astype(np.float64)
    mean, std = X.mean(axis=0), X.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a constant pixel stays 0 instead of NaN
    Xt = (data.X_test[t_idx].reshape(t_idx.size, d).astype(np.float64) - mean) / std
    return (X - mean) / std, Xt, mean, std


def _optional_count(name, value):
    """Spec of ``n_test``: None (all test images) or an int ``>= 2``."""
    return None if value is None else Integer(2)(name, value)


@validated(alpha=_ALPHA, eps=_EPS, n_test=_optional_count)
def cifar10_raf(alpha, eps, *, seed, rule_classes=("cat", "dog"), fact_class="automobile",
                n_test=None, data=None, dtype=np.float64):
    """Draw one CIFAR10-RAF training set and its test set (THEORY §7; paper Sec. 3.4).

    Parameters
    ----------
    alpha : float > 0
        Sample complexity; ``n = round(alpha * 3072)`` training images.
    eps : float in [0, 1]
        Fraction of facts: ``n_fact = round(eps * n)`` images of ``fact_class``, each with an
        independent label +-1 (probability 1/2 each).
    seed : int or sequence of int
        Seed of ``np.random.default_rng`` (which images, which fact labels, which test images).
    rule_classes : (str, str)
        The two classes that carry the rule: label +1 for the first, -1 for the second; the
        ``n - n_fact`` rule images are split evenly between them (the first gets the odd one out).
    fact_class : str
        The class whose images become facts.
    n_test : int, optional
        Number of test images, drawn without replacement from the rule classes of the CIFAR-10
        *test* split, half from each class (default: all of them, 2000).
    data : :class:`raf.datasets.CIFAR10`, path or None
        The images; default :func:`raf.datasets.load_cifar10` (``$RAF_CIFAR10`` or the cache).
    dtype : floating dtype
        Of the returned feature matrices.

    Returns
    -------
    CIFAR10RAF
    """
    alpha, eps = float(alpha), float(eps)
    data = resolve_data(data)
    classes = _class_indices(data, rule_classes, fact_class)
    d = int(np.prod(data.X_train.shape[1:]))
    n = int(round(alpha * d))
    if n < 2:
        raise ValueError(f"The 'alpha' parameter gives n={n} training images; need at least 2.")
    n_fact = int(round(eps * n))
    rng = np.random.default_rng(seed)
    idx, y, fact = _draw_training(rng, data, classes, (*rule_classes, fact_class), n, n_fact,
                                  alpha, eps)
    t_idx, y_test = _draw_test(rng, data, classes[0], classes[1], n_test)
    X, Xt, mean, std = _zscore(data, idx, t_idx, d)
    return CIFAR10RAF(X.astype(dtype, copy=False), y, fact, Xt.astype(dtype, copy=False), y_test,
                      idx, t_idx, mean, std, alpha, eps, n, n_fact, tuple(rule_classes), fact_class)


# -- the sweep over repeats, kernels and ridges ---------------------------------------------------


def _one_repeat(r, *, alpha, eps, seed, specs, lams, loss, rule_classes, fact_class, n_test,
                data, dtype, rcond, svm_tol, threads):
    """Every kernel on the draw ``(seed, r)``: the per-kernel :class:`Result` over ``lams``."""
    from contextlib import nullcontext

    if threads:
        from threadpoolctl import threadpool_limits

        ctx = threadpool_limits(threads)
    else:
        ctx = nullcontext()
    with ctx:
        ds = cifar10_raf.__wrapped__(alpha, eps, seed=(int(seed), int(r)),
                                     rule_classes=rule_classes, fact_class=fact_class,
                                     n_test=n_test, data=data, dtype=dtype)
        gram_dtype = dtype if loss == "square" else np.float64  # the SVM solves in float64
        out = []
        for _spec, Ktr, Kte in kernel_matrices(ds.X_train, ds.X_test, specs, dtype=gram_dtype):
            if loss == "square":
                out.append(_krr(Ktr, ds.y_train.astype(dtype), Kte, ds.y_test, lams, ds.is_fact,
                                rcond))
            else:
                out.append(_svm(Ktr, ds.y_train, Kte, ds.y_test, lams, ds.is_fact, tol=svm_tol))
    return {"results": out, "n": ds.n, "n_test": ds.y_test.size}


def _run_repeats(kw, repeats, n_jobs, progress, loss):
    """:func:`_one_repeat` for ``r = 0 .. repeats-1``, in ``n_jobs`` processes, in order."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=repeats, desc=f"CIFAR10-RAF {loss}", unit="repeat")
    if n_jobs == 1:
        jobs = (_one_repeat(r, **kw) for r in range(repeats))
    else:
        from joblib import Parallel, delayed

        jobs = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_one_repeat)(r, **kw) for r in range(repeats))
    parts = []
    for part in jobs:
        parts.append(part)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return parts


def _over_repeats(parts, key):
    """``key`` of every (repeat, kernel) result stacked as (K, L, R)."""
    return np.stack([np.stack([np.asarray(getattr(res, key)) for res in p["results"]])
                     for p in parts], axis=-1)


def _error_outputs(arrays):
    """Means over the trailing (repeat) axis, standard errors of the means and the values."""
    outputs = {}
    for key, arr in arrays.items():
        R = arr.shape[-1]
        outputs[key] = arr.mean(axis=-1)
        outputs[key + "_sem"] = (arr.std(axis=-1, ddof=1) / np.sqrt(R) if R > 1
                                 else np.full(arr.shape[:-1], np.nan))
        outputs[key + "_repeats"] = arr
    return outputs


def _sweep_result(parts, specs, lams, inputs):
    """One :class:`Result` over (kernel, ridge): means, standard errors and per-repeat values."""
    outputs = _error_outputs({key: _over_repeats(parts, key) for key in ERRORS})
    gammas, mu1, mustar, theta = np.array([kernel_spec_coefficients(s) for s in specs]).T
    c0 = [s[3] if s[0] == "quadratic" else np.exp(-2.0 * s[1]) if s[0] == "quad" else np.nan
          for s in specs]
    col = (slice(None), None)
    inputs = {"kernel": np.array([s[0] for s in specs])[col], "gamma": gammas[col],
              "mu1": mu1[col], "mustar": mustar[col], "theta": theta[col],
              "c0": np.array(c0)[col], "lam": lams[None, :],
              "n": parts[0]["n"], "n_test": parts[0]["n_test"], **inputs}
    residual = _over_repeats(parts, "residual")
    return Result(inputs, outputs, converged=_over_repeats(parts, "converged").all(axis=-1),
                  n_iter=_over_repeats(parts, "n_iter").sum(axis=-1),
                  residual=np.where(np.isnan(residual), 0.0, residual).max(axis=-1),
                  trailing={f"{k}_repeats": "repeat" for k in ERRORS})


def _cifar_dtype(name, value):
    dt = np.dtype(value).type
    if dt not in (np.float32, np.float64):
        raise ValueError(f"The '{name}' parameter must be float32 or float64. Got {value!r} instead.")
    return dt


@validated(alpha=_ALPHA, eps=_EPS, kernels=_kernel_specs, lams=ridges, loss=learner_loss,
           repeats=Integer(1), n_jobs=Integer(1), dtype=_cifar_dtype,
           svm_tol=Interval(0.0, np.inf, low_open=True))
def cifar10_raf_errors(alpha, eps, *, kernels, lams, loss="square", repeats=20, seed=0,
                       rule_classes=("cat", "dog"), fact_class="automobile", n_test=None,
                       data=None, dtype=np.float64, svm_tol=1e-6, n_jobs=1, progress=False):
    """Memorisation and generalisation errors on CIFAR10-RAF over repeats, kernels and ridges.

    For each repeat ``r`` a fresh draw ``cifar10_raf(alpha, eps, seed=(seed, r), ...)`` (new
    images, new fact labels, new test images when ``n_test`` is below the 2000 available), one
    dot-product matrix, then for each kernel kernel ridge regression (square loss: one
    eigendecomposition for all ``lams``) or the intercept-free SVM (hinge loss, warm-started along
    ``lams``) of :mod:`raf.learners`. The results do not depend on ``n_jobs``.

    Parameters
    ----------
    alpha, eps : float
        Sample complexity and fraction of facts (``n = round(alpha * 3072)``).
    kernels : sequence of kernel specs
        ``("rbf", gamma)``, ``("quad", gamma)`` (``gamma > 0``) or ``("quadratic", mu1, mustar)``,
        ``("quadratic", mu1, mustar, c0)`` (:mod:`raf.image_kernels`).
    lams : array of float >= 0
        Ridges; ``0`` is the ridgeless limit.
    loss : {"square", "hinge"}
    repeats : int
        Independent draws (the paper used 20).
    seed : int
    dtype : {np.float64, np.float32}
        Precision of the Gram matrices and of the square-loss linear algebra; the errors are the
        same in both (``tests/test_cifar.py``, ``benchmarks/cifar_speed.py``) and float32 halves
        the memory. The SVM always runs in float64.
    svm_tol : float
        KKT tolerance of the SVM solver.
    n_jobs : int
        Repeats run in this many worker processes (joblib), each with one BLAS thread.
    progress : bool
        tqdm progress bar over the repeats.

    Returns
    -------
    Result
        Over (kernel, ridge), shape ``(K, L)``. Inputs ``kernel`` (family), ``gamma`` (NaN for a
        free quadratic), ``mu1``, ``mustar``, ``theta`` (the coefficients and angle the Gaussian
        theory assigns to each kernel), ``c0`` (the constant of a quadratic kernel, NaN for the
        RBF), ``lam``, and the settings ``alpha``, ``eps``, ``loss``, ``n``, ``n_test``,
        ``seed``, ``dtype``, ``rule_classes``, ``fact_class``. For each error ``e`` in
        ``e_gen``, ``e_mem``, ``e_train_rule``: the mean over repeats ``e``, its standard error
        ``e_sem`` and the per-repeat values ``e_repeats`` (trailing axis ``"repeat"``).
        ``converged`` when every repeat's solver converged (always for the square loss);
        otherwise one ``RuntimeWarning``.
    """
    # With every lam > 0 no eigenvalue needs to be discarded (K + lam I is invertible): rcond=0
    # keeps them all. The default cut-off (n * machine epsilon, meant for the pseudo-inverse at
    # lam = 0) would drop every eigenvalue below ~4e-4 * max(s) in float32, most of the
    # spectrum of an image kernel.
    rcond = 0.0 if lams.min() > 0 else None
    kw = dict(alpha=float(alpha), eps=float(eps), seed=seed, specs=kernels, lams=lams, loss=loss,
              rule_classes=tuple(rule_classes), fact_class=fact_class, n_test=n_test,
              data=resolve_data(data), dtype=dtype, rcond=rcond, svm_tol=float(svm_tol),
              threads=1 if n_jobs > 1 else None)
    parts = _run_repeats(kw, repeats, n_jobs, progress, loss)
    res = _sweep_result(parts, kernels, lams, {
        "alpha": float(alpha), "eps": float(eps), "loss": loss, "seed": int(seed),
        "dtype": np.dtype(dtype).name, "rule_classes": "/".join(rule_classes),
        "fact_class": fact_class})
    return warn_unconverged(res, "cifar10_raf_errors")


# -- a kernel beside its linear part -------------------------------------------------------------


@validated(alpha=_ALPHA, eps=_EPS, gamma=Interval(0.0, np.inf, low_open=True), lams=ridges,
           repeats=Integer(1), n_test=_optional_count)
def linear_part_errors(alpha, eps, gamma, lams, *, repeats=3, seed=0, n_test=None, data=None,
                       rule_classes=("cat", "dog"), fact_class="automobile"):
    """KRR with the RBF kernel beside its linear part with the implicit ridge (THEORY §5).

    On Gaussian data a kernel predicts new inputs like its linear part ``mu1^2 x . x' / s`` with
    the ridge ``lambda + mustar^2``, while its nonlinear part acts on the training inputs like
    ``mustar^2 I`` and stores the facts. On each draw this fits, at every ``lambda`` of ``lams``,
    the RBF kernel of bandwidth ``gamma`` and linear ridge regression on ``K = X X^T / s`` at the
    ridge ``(lambda + mustar^2) / mu1^2`` (the same predictor on new inputs, without the
    ``mustar^2 I`` on the training inputs).

    Returns
    -------
    Result
        As :func:`cifar10_raf_errors`, over (model, ridge) with ``kernel`` ``"rbf"`` and
        ``"linear"`` (the RBF's linear part; its ``mu1, mustar, theta`` are the RBF's).
    """
    alpha, eps, gamma = float(alpha), float(eps), float(gamma)
    data = resolve_data(data)
    mu1, mustar, _ = kernel_coefficients.__wrapped__(gamma)
    rcond = 0.0 if lams.min() > 0 else None
    parts = []
    for r in range(repeats):
        ds = cifar10_raf.__wrapped__(alpha, eps, seed=(int(seed), r), rule_classes=rule_classes,
                                     fact_class=fact_class, n_test=n_test, data=data)
        T, Tt, tn, tnt = _dot_products(ds.X_train, ds.X_test, np.float64)
        K, Kt = _rbf(T, Tt, tn, tnt, gamma)
        parts.append({"results": [
            _krr(K, ds.y_train, Kt, ds.y_test, lams, ds.is_fact, rcond),
            _krr(T, ds.y_train, Tt, ds.y_test, (lams + mustar**2) / mu1**2, ds.is_fact, rcond)],
            "n": ds.n, "n_test": ds.y_test.size})
    return _sweep_result(parts, [("rbf", gamma), ("linear", gamma)], lams, {
        "alpha": alpha, "eps": eps, "loss": "square", "seed": int(seed), "dtype": "float64",
        "rule_classes": "/".join(rule_classes), "fact_class": fact_class})


