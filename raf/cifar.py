"""CIFAR10-RAF: the rules-and-facts construction on real images (THEORY.md §7; paper Sec. 3.4, App. D.4).

* :func:`cifar10_raf` builds one training/test draw: ``n = round(alpha * 3072)``
  training images, a fraction ``eps`` of them from the *fact* class with independent
  random labels, the rest split evenly between the two *rule* classes (label +1 for the
  first, -1 for the second); a test set of unseen rule-class images from the CIFAR-10
  test split; features z-scored with the training statistics.
* :func:`cifar10_raf_errors` runs kernel ridge regression (square loss) or the
  intercept-free SVM (hinge loss) on repeated draws, for several kernels and a whole
  grid of ridges ``lams``, through :func:`raf.experiments.krr_errors` /
  :func:`raf.experiments.svm_errors` (one eigendecomposition per repeat and kernel).
* :func:`bandwidth_for_angle`, :func:`kernel_coefficients`: the kernels in the
  language of the Gaussian theory (``mu1, mustar``, angle ``theta``).
* :func:`cifar10_raf_explorer`: the chapter's ipywidgets explorer (small ``n``).

Kernels on images. Let ``X`` be the z-scored training matrix (``n x d``,
``d = 3072``) and ``D`` the **mean** squared distance between two distinct training
points; we use the scale ``s = D / 2``. Because the features are z-scored on the
training set, ``D = 2 d n / (n - 1)`` exactly, so ``s`` is ``d`` up to ``n/(n-1)`` and
``gamma`` has the meaning it has in the Gaussian theory. (The median squared distance is
about ``0.91 D`` on CIFAR10-RAF: a data-dependent rescaling of every ``gamma``.)
With ``t_ij = x_i . x_j / s``:

* RBF (``("rbf", gamma)``): ``K_ij = exp(-2 gamma |x_i - x_j|^2 / D)
  = exp(-gamma (t_ii + t_jj - 2 t_ij))``. On isotropic Gaussian inputs (``t_ii = 1``) this
  is exactly the family ``k(t) = exp(-2 gamma (1 - t))`` of THEORY §7 / :data:`raf.kernels.RBF`,
  so ``gamma`` maps to the angle ``theta(gamma)`` of the theory (larger ``gamma``:
  narrower kernel, larger angle).
* Matched quadratic (``("quad", gamma)``): ``K_ij = e^{-2 gamma} + mu1^2 t_ij + mustar^2
  t_ij^2`` with the ``(mu1, mustar)`` of ``RBF(gamma)`` (paper Eq. (221), Fig. 14):
  identical to the RBF as far as the Gaussian theory can tell, not on images.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from raf._validation import check_choice, check_int, check_range

__all__ = [
    "CIFAR10RAF",
    "CIFAR10RAFErrors",
    "D_CIFAR",
    "KERNEL_FAMILIES",
    "bandwidth_for_angle",
    "cifar10_raf",
    "cifar10_raf_errors",
    "cifar10_raf_explorer",
    "kernel_coefficients",
    "kernel_matrices",
    "summarize",
]

#: Input dimension of CIFAR-10 images, 32 x 32 x 3.
D_CIFAR = 3072
#: Kernel families accepted by :func:`cifar10_raf_errors`.
KERNEL_FAMILIES = ("rbf", "quad")


# ----------------------------------------------------------------------------------
# the data set
# ----------------------------------------------------------------------------------


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


def _resolve_data(data):
    from raf.datasets import CIFAR10, load_cifar10

    if isinstance(data, CIFAR10):
        return data
    return load_cifar10(data)


def cifar10_raf(alpha, eps, *, seed, rule_classes=("cat", "dog"), fact_class="automobile",
                n_test=None, data=None, dtype=np.float64):
    """Draw one CIFAR10-RAF training set and its test set (THEORY §7; paper Sec. 3.4).

    Parameters
    ----------
    alpha : float > 0
        Sample complexity; ``n = round(alpha * 3072)`` training images.
    eps : float in [0, 1]
        Fraction of facts: ``n_fact = round(eps * n)`` images of ``fact_class``, each
        with an independent label +-1 (probability 1/2 each).
    seed : int or sequence of int
        Seed of ``np.random.default_rng`` (which images, which fact labels, which test
        images).
    rule_classes : (str, str)
        The two classes that carry the rule: label +1 for the first, -1 for the second;
        the ``n - n_fact`` rule images are split evenly between them (the first gets the
        odd one out).
    fact_class : str
        The class whose images become facts.
    n_test : int, optional
        Number of test images, drawn without replacement from the rule classes of the
        CIFAR-10 *test* split, half from each class (default: all of them, 2000).
    data : :class:`raf.datasets.CIFAR10`, path or None
        The images; default :func:`raf.datasets.load_cifar10` (``$RAF_CIFAR10`` or the
        cache folder).
    dtype : floating dtype
        Of the returned feature matrices.

    Returns
    -------
    CIFAR10RAF
    """
    alpha = float(check_range("alpha", alpha, 0.0, low_open=True))
    eps = float(check_range("eps", eps, 0.0, 1.0))
    data = _resolve_data(data)
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
    rng = np.random.default_rng(seed)
    d = int(np.prod(data.X_train.shape[1:]))
    n = int(round(alpha * d))
    n_fact = int(round(eps * n))
    n_rule = n - n_fact
    n_pos, n_neg = n_rule - n_rule // 2, n_rule // 2
    c_pos, c_neg, c_fact = (data.class_index(c) for c in (*rule_classes, fact_class))
    pools = {c: np.flatnonzero(data.y_train == c) for c in (c_pos, c_neg, c_fact)}
    for c, k, name in ((c_pos, n_pos, rule_classes[0]), (c_neg, n_neg, rule_classes[1]),
                       (c_fact, n_fact, fact_class)):
        if k > pools[c].size:
            raise ValueError(
                f"alpha={alpha:g}, eps={eps:g} need {k} training images of class {name!r}; "
                f"the data set has {pools[c].size}. Lower 'alpha' (or 'eps').")
    if n < 2:
        raise ValueError(f"The 'alpha' parameter gives n={n} training images; need at least 2.")
    idx = np.concatenate([rng.choice(pools[c_pos], n_pos, replace=False),
                          rng.choice(pools[c_neg], n_neg, replace=False),
                          rng.choice(pools[c_fact], n_fact, replace=False)])
    y = np.concatenate([np.ones(n_pos), -np.ones(n_neg), rng.choice([-1.0, 1.0], n_fact)])
    fact = np.concatenate([np.zeros(n_rule, bool), np.ones(n_fact, bool)])
    perm = rng.permutation(n)
    idx, y, fact = idx[perm], y[perm], fact[perm]

    t_pos = np.flatnonzero(data.y_test == c_pos)
    t_neg = np.flatnonzero(data.y_test == c_neg)
    if n_test is None:
        t_idx = np.concatenate([t_pos, t_neg])
    else:
        n_test = check_int("n_test", n_test, low=2)
        k_pos, k_neg = n_test - n_test // 2, n_test // 2
        if k_pos > t_pos.size or k_neg > t_neg.size:
            raise ValueError(f"The 'n_test' parameter must be at most "
                             f"{2 * min(t_pos.size, t_neg.size)}. Got {n_test} instead.")
        t_idx = np.concatenate([rng.choice(t_pos, k_pos, replace=False),
                                rng.choice(t_neg, k_neg, replace=False)])
    t_idx = rng.permutation(t_idx)
    y_test = np.where(data.y_test[t_idx] == c_pos, 1.0, -1.0)

    X = data.X_train[idx].reshape(n, d).astype(np.float64)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a constant pixel stays 0 instead of NaN
    X = (X - mean) / std
    Xt = (data.X_test[t_idx].reshape(t_idx.size, d).astype(np.float64) - mean) / std
    return CIFAR10RAF(X.astype(dtype, copy=False), y, fact, Xt.astype(dtype, copy=False), y_test,
                      idx, t_idx, mean, std, alpha, eps, n, n_fact, tuple(rule_classes), fact_class)


# ----------------------------------------------------------------------------------
# kernels
# ----------------------------------------------------------------------------------


def kernel_coefficients(gamma):
    """``(mu1, mustar, theta)`` of the RBF ``k(t) = exp(-2 gamma (1 - t))`` (THEORY §3, §7).

    ``mu1^2 = 2 gamma e^{-2 gamma}``, ``mustar^2 = 1 - e^{-2 gamma} - 2 gamma e^{-2 gamma}``,
    ``theta = arctan(mustar / mu1)``; vectorised over ``gamma``. The matched quadratic
    kernel ``("quad", gamma)`` has the same three numbers.
    """
    from raf.kernels import RBF

    mu1, mustar = RBF.coefficients(gamma)
    return mu1, mustar, RBF.angle(gamma)


def bandwidth_for_angle(theta):
    """The RBF ``gamma`` whose kernel angle is ``theta`` (:func:`raf.kernels.param_for_angle`).

    With ``theta = raf.theory.theta_star(eps)`` this is the bandwidth the square-loss
    theory singles out: the only one at which KRR both interpolates the facts and
    reaches the best generalisation error.
    """
    from raf.kernels import param_for_angle

    g = param_for_angle("rbf", theta)
    return float(g) if np.ndim(g) == 0 else g


def _parse_kernel(spec):
    if isinstance(spec, str):
        fam, _, g = spec.partition(":")
        spec = (fam, float(g) if g else np.nan)
    if not (isinstance(spec, (tuple, list)) and len(spec) == 2):
        raise ValueError("Each kernel must be a pair (family, gamma) with family in "
                         f"{KERNEL_FAMILIES}. Got {spec!r} instead.")
    fam = check_choice("kernel family", spec[0], KERNEL_FAMILIES)
    gamma = float(check_range("gamma", spec[1], 0.0, low_open=True))
    return fam, gamma


def kernel_matrices(X_train, X_test, kernels, *, dtype=np.float32):
    """Yield ``(spec, K_train, K_test)`` for each kernel, sharing one dot-product matrix.

    ``X_train`` (n, d) and ``X_test`` (n_test, d) are z-scored inputs. The scale is
    half the mean squared distance between distinct training points (module docstring);
    the dot products ``X X^T`` are computed once for all kernels, in ``dtype``.
    """
    X = np.asarray(X_train, dtype=dtype)
    Xt = np.asarray(X_test, dtype=dtype)
    n = X.shape[0]
    xbar = X.mean(axis=0, dtype=np.float64)
    sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    mean_sqdist = 2.0 * n / (n - 1) * (sq.mean() - xbar @ xbar)  # over pairs i != j
    s = mean_sqdist / 2.0
    T = X @ X.T
    T *= T.dtype.type(1.0 / s)
    Tt = Xt @ X.T
    Tt *= T.dtype.type(1.0 / s)
    tn = (sq / s).astype(T.dtype)
    tnt = (np.einsum("ij,ij->i", Xt, Xt, dtype=np.float64) / s).astype(T.dtype)
    for spec in kernels:
        fam, g = _parse_kernel(spec)
        if fam == "rbf":
            # -gamma * |x_i - x_j|^2 / s, clipped at 0 against round-off
            K = np.minimum(2.0 * T - tn[:, None] - tn[None, :], 0.0)
            K *= T.dtype.type(g)
            np.exp(K, out=K)
            np.fill_diagonal(K, 1.0)
            Kt = np.minimum(2.0 * Tt - tnt[:, None] - tn[None, :], 0.0)
            Kt *= T.dtype.type(g)
            np.exp(Kt, out=Kt)
        else:
            mu1, mustar, _ = kernel_coefficients(g)
            c0, a1, a2 = (T.dtype.type(v) for v in (np.exp(-2.0 * g), mu1**2, mustar**2))
            K = c0 + T * (a1 + a2 * T)
            Kt = c0 + Tt * (a1 + a2 * Tt)
        yield (fam, g), K, Kt


# ----------------------------------------------------------------------------------
# the sweep over repeats, kernels and ridges
# ----------------------------------------------------------------------------------


@dataclass
class CIFAR10RAFErrors:
    """Errors of :func:`cifar10_raf_errors`, arrays of shape ``(repeats, kernels, lams)``.

    Attributes
    ----------
    e_gen, e_mem, e_train_rule : float arrays (R, K, L)
        Test error on the rule classes, training error on the facts, training error on
        the rule images.
    lams : array (L,)
    kernels : list of (family, gamma)
    mu1, mustar, theta : arrays (K,)
        Coefficients and angle the Gaussian theory assigns to each kernel.
    converged : bool array (R, K, L)
        Solver status (always True for the square loss).
    alpha, eps, n, n_test, loss, dtype, repeats, seed : the settings.
    seconds : float
        Wall-clock time of the whole sweep.
    cpu_seconds : float
        CPU time of the repeats, summed over the processes that ran them (with one BLAS
        thread per process, ``cpu_seconds / n_jobs`` is the wall time on an idle machine).
    """

    e_gen: np.ndarray
    e_mem: np.ndarray
    e_train_rule: np.ndarray
    converged: np.ndarray
    lams: np.ndarray
    kernels: list
    mu1: np.ndarray
    mustar: np.ndarray
    theta: np.ndarray
    alpha: float
    eps: float
    n: int
    n_test: int
    loss: str
    dtype: str
    repeats: int
    seed: int
    rule_classes: tuple = ("cat", "dog")
    fact_class: str = "automobile"
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def mean(self, name):
        """Mean over repeats of ``e_gen`` / ``e_mem`` / ``e_train_rule``: (K, L)."""
        return getattr(self, name).mean(axis=0)

    def spread(self, name):
        """Standard deviation over repeats (ddof=1; 0 for a single repeat): (K, L)."""
        a = getattr(self, name)
        return a.std(axis=0, ddof=1) if a.shape[0] > 1 else np.zeros(a.shape[1:])

    def to_rows(self):
        """Tidy table: one dict per (kernel, lam) with means and spreads."""
        rows = []
        for k, (fam, g) in enumerate(self.kernels):
            for j, lam in enumerate(self.lams):
                row = dict(kernel=fam, gamma=g, theta=float(self.theta[k]), lam=float(lam),
                           loss=self.loss, alpha=self.alpha, eps=self.eps, n=self.n)
                for name in ("e_gen", "e_mem", "e_train_rule"):
                    row[name] = float(self.mean(name)[k, j])
                    row[name + "_sd"] = float(self.spread(name)[k, j])
                rows.append(row)
        return rows


def _one_repeat(r, *, alpha, eps, seed, specs, lams, loss, rule_classes, fact_class, n_test,
                data, dtype, rcond, svm_tol, threads):
    """Errors of every kernel on the draw ``(seed, r)``: dict of (K, L) arrays."""
    from contextlib import nullcontext

    from raf.experiments import krr_errors, svm_errors

    if threads:
        from threadpoolctl import threadpool_limits

        ctx = threadpool_limits(threads)
    else:
        ctx = nullcontext()
    cpu0 = time.process_time()
    K, L = len(specs), lams.size
    out = {k: np.full((K, L), np.nan) for k in ("e_gen", "e_mem", "e_train_rule")}
    out["converged"] = np.ones((K, L), bool)
    with ctx:
        ds = cifar10_raf(alpha, eps, seed=(int(seed), int(r)), rule_classes=rule_classes,
                         fact_class=fact_class, n_test=n_test, data=data, dtype=dtype)
        gram_dtype = dtype if loss == "square" else np.float64  # the SVM solves in float64
        for k, (_spec, Ktr, Kte) in enumerate(kernel_matrices(ds.X_train, ds.X_test, specs,
                                                              dtype=gram_dtype)):
            if loss == "square":
                res = krr_errors(Ktr, ds.y_train, Kte, ds.y_test, lams, fact_mask=ds.is_fact,
                                 dtype=dtype, rcond=rcond)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    res = svm_errors(Ktr, ds.y_train, Kte, ds.y_test, lams,
                                     fact_mask=ds.is_fact, tol=svm_tol)
                out["converged"][k] = res["converged"]
            for name in ("e_gen", "e_mem", "e_train_rule"):
                out[name][k] = res[name]
    out["n"], out["n_test"] = ds.n, ds.y_test.size
    out["cpu"] = time.process_time() - cpu0
    return out


def cifar10_raf_errors(alpha, eps, *, kernels, lams, loss="square", repeats=20, seed=0,
                       rule_classes=("cat", "dog"), fact_class="automobile", n_test=None,
                       data=None, dtype=np.float64, svm_tol=1e-6, n_jobs=1, progress=False):
    """Memorisation and generalisation errors on CIFAR10-RAF over repeats, kernels and ridges.

    For each repeat ``r`` a fresh draw ``cifar10_raf(alpha, eps, seed=(seed, r), ...)``
    (new images, new fact labels, new test images when ``n_test`` is smaller than the
    2000 available), one dot-product matrix, then for each kernel one call of
    :func:`raf.experiments.krr_errors` (square loss: one eigendecomposition for all
    ``lams``) or :func:`raf.experiments.svm_errors` (hinge loss, intercept-free,
    warm-started along ``lams``). The results do not depend on ``n_jobs``.

    Parameters
    ----------
    alpha, eps : float
        Sample complexity and fraction of facts (``n = round(alpha * 3072)``).
    kernels : sequence of (family, gamma)
        ``family`` in ``{"rbf", "quad"}`` (module docstring), ``gamma > 0``.
    lams : array of float >= 0
        Ridges; ``0`` is the ridgeless limit.
    loss : {"square", "hinge"}
    repeats : int
        Independent draws (the paper used 20).
    seed : int
    dtype : {np.float64, np.float32}
        Precision of the Gram matrices and of ``krr_errors`` (square loss). The
        errors are the same in both (``tests/test_cifar.py``,
        ``benchmarks/cifar_speed.py``); float32 halves the memory. The SVM always runs
        in float64.
    svm_tol : float
        KKT tolerance of the SVM solver.
    n_jobs : int
        Repeats run in this many worker processes (joblib), each with one BLAS thread.
        On a 2-core machine ``n_jobs=2`` beats one process with two BLAS threads, and
        it does not collapse when the machine is shared.
    progress : bool
        tqdm progress bar over the repeats.

    Returns
    -------
    CIFAR10RAFErrors
    """
    check_choice("loss", loss, ("square", "hinge"))
    repeats = check_int("repeats", repeats)
    n_jobs = check_int("n_jobs", n_jobs)
    specs = [_parse_kernel(s) for s in kernels]
    if not specs:
        raise ValueError("The 'kernels' parameter must name at least one kernel.")
    lams = check_range("lams", np.atleast_1d(np.asarray(lams, dtype=float)), 0.0)
    dtype = np.dtype(dtype).type
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"The 'dtype' parameter must be float32 or float64. Got {dtype!r}.")
    # With every lam > 0 no eigenvalue needs to be discarded (K + lam I is invertible):
    # rcond=0 keeps them all. krr_errors' default cut-off (n * machine epsilon, meant for
    # the pseudo-inverse at lam = 0) would drop every eigenvalue below ~4e-4 * max(s) in
    # float32, i.e. most of the spectrum of an image kernel.
    rcond = 0.0 if lams.min() > 0 else None
    data = _resolve_data(data)
    t0 = time.perf_counter()
    kw = dict(alpha=alpha, eps=eps, seed=seed, specs=specs, lams=lams, loss=loss,
              rule_classes=tuple(rule_classes), fact_class=fact_class, n_test=n_test,
              data=data, dtype=dtype, rcond=rcond, svm_tol=svm_tol,
              threads=1 if n_jobs > 1 else None)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=repeats, desc=f"CIFAR10-RAF {loss}", unit="repeat")
    if n_jobs == 1:
        parts = []
        for r in range(repeats):
            parts.append(_one_repeat(r, **kw))
            if bar is not None:
                bar.update()
    else:
        from joblib import Parallel, delayed

        parts = []
        for part in Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_one_repeat)(r, **kw) for r in range(repeats)):
            parts.append(part)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    out = {k: np.stack([p[k] for p in parts]) for k in ("e_gen", "e_mem", "e_train_rule",
                                                         "converged")}
    conv = out["converged"]
    if not conv.all():
        warnings.warn(f"cifar10_raf_errors: the SVM did not converge at {int((~conv).sum())} of "
                      f"{conv.size} points (reported anyway, see 'converged').",
                      RuntimeWarning, stacklevel=2)
    gam = np.array([g for _, g in specs])
    mu1, mustar, theta = kernel_coefficients(gam)
    return CIFAR10RAFErrors(out["e_gen"], out["e_mem"], out["e_train_rule"], conv, lams,
                            specs, np.atleast_1d(mu1), np.atleast_1d(mustar),
                            np.atleast_1d(theta), float(alpha), float(eps), parts[0]["n"],
                            parts[0]["n_test"], loss, np.dtype(dtype).name, repeats, int(seed),
                            tuple(rule_classes), fact_class, time.perf_counter() - t0,
                            float(sum(p["cpu"] for p in parts)))


def summarize(res):
    """Key numbers of a :class:`CIFAR10RAFErrors` (JSON-serialisable dict).

    Per kernel: ``e_mem`` and ``e_gen`` at the smallest ridge, the best mean ``e_gen``
    over the ridges and its ridge; overall: the kernel with the lowest best ``e_gen``.
    """
    eg, em = res.mean("e_gen"), res.mean("e_mem")
    j0 = int(np.argmin(res.lams))
    per = []
    for k, (fam, g) in enumerate(res.kernels):
        jb = int(np.nanargmin(eg[k]))
        per.append(dict(kernel=fam, gamma=float(g), theta=float(res.theta[k]),
                        lam_min=float(res.lams[j0]), e_mem_at_lam_min=float(em[k, j0]),
                        e_gen_at_lam_min=float(eg[k, j0]), lam_opt=float(res.lams[jb]),
                        e_gen_at_lam_opt=float(eg[k, jb]), e_mem_at_lam_opt=float(em[k, jb])))
    best = min(range(len(per)), key=lambda k: per[k]["e_gen_at_lam_opt"])
    return dict(loss=res.loss, alpha=res.alpha, eps=res.eps, n=res.n, repeats=res.repeats,
                kernels=per, best_kernel=best,
                best_e_gen=per[best]["e_gen_at_lam_opt"],
                max_e_mem_at_lam_min=max(p["e_mem_at_lam_min"] for p in per),
                seconds=float(res.seconds), cpu_seconds=float(res.cpu_seconds))


# ----------------------------------------------------------------------------------
# the explorer of the chapter
# ----------------------------------------------------------------------------------


def explore(fig, *, alpha, eps, gamma, rule_pos, rule_neg, fact_class, data, seed=0,
            lams=None, n_test=None):
    """Draw one CIFAR10-RAF trade-off curve next to the Gaussian theory (for the explorer).

    One repeat, RBF kernel of bandwidth ``gamma``, square loss: cheap for
    ``alpha <= 0.5`` (``n <= 1536``). Returns the plotted numbers.
    """
    from raf.plotting import LABELS, simulation_points, theory_line
    from raf.theory import erm

    if lams is None:
        lams = np.geomspace(1e-4, 1e2, 19)
    ax = fig.add_subplot(111)
    if len({rule_pos, rule_neg, fact_class}) < 3:
        ax.text(0.5, 0.5, "choose three different classes", ha="center", va="center",
                transform=ax.transAxes)
        return {"error": "classes must differ"}
    res = cifar10_raf_errors(alpha, eps, kernels=[("rbf", gamma)], lams=lams, repeats=1,
                             seed=seed, rule_classes=(rule_pos, rule_neg),
                             fact_class=fact_class, n_test=n_test, data=data)
    mu1, mustar, theta = kernel_coefficients(gamma)
    th = erm(alpha, eps, lams, loss="square", mu1=mu1, mustar=mustar)
    theory_line(ax, th.e_gen, th.e_mem, label=rf"Gaussian RAF theory, $\theta={theta:.2f}$",
                color="C0")
    eg, em = res.e_gen[0, 0], res.e_mem[0, 0]
    simulation_points(ax, eg, em, label=f"CIFAR10-RAF, {rule_pos} vs {rule_neg}, "
                                        f"facts: {fact_class} (n={res.n})", color="C1")
    ax.set_xlabel(LABELS["e_gen"])
    ax.set_ylabel(LABELS["e_mem"])
    ax.set_xlim(0, 0.55)
    ax.set_ylim(-0.02, 0.55)
    ax.legend(loc="upper right", fontsize=8)
    return dict(alpha=float(alpha), eps=float(eps), gamma=float(gamma),
                rule_classes=(rule_pos, rule_neg), fact_class=fact_class,
                lams=np.asarray(lams).tolist(), e_gen=eg.tolist(), e_mem=em.tolist(),
                theory_e_gen=th.e_gen.tolist(), theory_e_mem=th.e_mem.tolist(),
                theta=float(theta), n=int(res.n))


def cifar10_raf_explorer(data=None, *, seed=0):
    """ipywidgets explorer: alpha, eps, RBF bandwidth, rule classes and fact class.

    Returns a :class:`raf.widgets.base.Explorer`; every change refits KRR on one small
    draw (``alpha <= 0.5``) and redraws the trade-off curve next to the theory.
    """
    import ipywidgets as w

    from raf.widgets.base import Explorer

    data = _resolve_data(data)
    classes = list(data.classes)
    g_star = round(bandwidth_for_angle(_theta_star(0.2)), 2)
    controls = {
        "alpha": w.FloatSlider(value=0.2, min=0.05, max=0.5, step=0.05, description="α"),
        "eps": w.FloatSlider(value=0.2, min=0.0, max=0.8, step=0.05, description="ε"),
        "gamma": w.FloatLogSlider(value=g_star, base=10, min=-1.3, max=1.0, step=0.05,
                                  description="γ"),
        "rule_pos": w.Dropdown(options=classes, value="cat" if "cat" in classes else classes[0],
                               description="+1 class"),
        "rule_neg": w.Dropdown(options=classes, value="dog" if "dog" in classes else classes[1],
                               description="−1 class"),
        "fact_class": w.Dropdown(options=classes,
                                 value="automobile" if "automobile" in classes else classes[2],
                                 description="facts"),
    }

    def draw(fig, **v):
        return explore(fig, data=data, seed=seed, **v)

    return Explorer(controls, draw)


def _theta_star(eps):
    from raf.theory import theta_star

    return float(theta_star(eps))
