"""Learners on a Gram matrix: kernel ridge regression, ridge regression, the SVM (THEORY §2, §7).

Each learner sweeps a whole array of ridges ``lams`` on one training set, wherever the data come
from (Gaussian RAF data or real images):

* :func:`krr_errors`: kernel ridge regression (square loss), one eigendecomposition for all ridges;
* :func:`ridge_errors`: the same on explicit features ``Phi`` (``K = Phi Phi^T``), cheaper when
  the features are few;
* :func:`svm_errors`: the hinge loss, i.e. the SVM, without intercept (the theory's estimator,
  :func:`raf.svm.solve_svm_dual` warm-started along ``lams``) or with scikit-learn's intercept.

Normalisation (THEORY §2): the learner minimises ``sum_mu loss(y_mu, f(x_mu)) + lam/2 ||w||^2``
with the loss *summed* over the ``n`` samples: KRR is ``f(x) = K(x, X) (K + lam I)^{-1} y`` and the SVM
has ``C = 1 / lam``. ``lam = 0`` is the limit ``lam -> 0+``.

Errors (THEORY §1): ``e_gen`` is the test error of ``sign f`` on the (rule) test labels, ``e_mem``
the training error on the facts, ``e_train_rule`` on the rule samples, ``e_train`` on all; a
prediction ``f = 0`` counts as an error. Each learner returns a :class:`raf.result.Result` over
``lam``.

The Gram matrices are checked once, here at the public boundary: square, finite, symmetric and
positive semi-definite to the tolerance ``sqrt(machine epsilon)`` relative to their scale (an
indefinite "kernel" gives numbers that mean nothing). :mod:`raf.simulations` and :mod:`raf.cifar`,
which build their Gram matrices themselves, call the unchecked cores.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from ._validation import Interval, check_choice, check_range, validated
from .result import Result
from .svm import _FreeBlock
from .svm import _solve as _solve_dual
from .theory.channels import LOSSES

__all__ = ["krr_errors", "ridge_errors", "svm_errors", "LEARNER_LOSSES"]

#: The losses of :data:`raf.theory.channels.LOSSES` with a finite-size learner here: the square
#: loss (KRR, ridge) and the hinge loss (the SVM).
LEARNER_LOSSES = ("square", "hinge")


# -- parameter specs (used by @validated here and in raf.simulations) -----------------------------


def ridges(name, value):
    """Spec of a ridge grid: a scalar or 1-d array of floats ``>= 0``, returned 1-d."""
    arr = check_range(name, value, 0.0)
    if arr.ndim > 1:
        raise ValueError(f"The '{name}' parameter must be a scalar or a 1-d array. "
                         f"Got shape {arr.shape} instead.")
    return np.atleast_1d(arr)


def learner_loss(name, value):
    """Spec of ``loss``: one of :data:`raf.theory.channels.LOSSES` that has a learner here."""
    check_choice(name, value, LOSSES)
    if value not in LEARNER_LOSSES:
        raise ValueError(f"The '{name}' parameter must be a loss with a finite-size learner "
                         f"{LEARNER_LOSSES}. Got {value!r} instead.")
    return value


def float_dtype(name, value):
    """Spec of a floating-point dtype."""
    dt = np.dtype(value)
    if dt.kind != "f":
        raise ValueError(f"The '{name}' parameter must be a floating dtype. Got {dt!r} instead.")
    return dt


def _psd_rtol(dtype):
    return float(np.sqrt(np.finfo(dtype).eps))


# -- structural checks of one problem -------------------------------------------------------------


def _check_labels(name, y, n, what):
    if y.shape != (n,):
        raise ValueError(f"The '{name}' parameter must have shape ({n},) to match the {what}. "
                         f"Got shape {y.shape} instead.")
    if not np.all(np.abs(y) == 1):
        raise ValueError(f"The '{name}' parameter must contain only labels -1 and +1.")


def _check_targets(n, n_test, y_train, y_test, fact_mask, dtype):
    """Labels and fact mask for ``n`` training and ``n_test`` test points."""
    y_train = np.asarray(y_train, dtype=dtype)
    y_test = np.asarray(y_test, dtype=dtype)
    _check_labels("y_train", y_train, n, "training inputs")
    _check_labels("y_test", y_test, n_test, "test inputs")
    fact_mask = np.asarray(fact_mask)
    if fact_mask.shape != (n,) or fact_mask.dtype != bool:
        raise ValueError(f"The 'fact_mask' parameter must be a boolean array of shape ({n},). "
                         f"Got dtype {fact_mask.dtype} and shape {fact_mask.shape} instead.")
    return y_train, y_test, fact_mask


def _check_gram(K_train, K_test, dtype):
    """Square, finite, symmetric training Gram matrix and a matching test-versus-train one."""
    K_train = np.asarray(K_train, dtype=dtype)
    K_test = np.asarray(K_test, dtype=dtype)
    if K_train.ndim != 2 or K_train.shape[0] != K_train.shape[1] or K_train.shape[0] == 0:
        raise ValueError("The 'K_train' parameter must be a non-empty square (n, n) array. "
                         f"Got shape {K_train.shape} instead.")
    n = K_train.shape[0]
    if K_test.ndim != 2 or K_test.shape[1] != n:
        raise ValueError(f"The 'K_test' parameter must be an (n_test, {n}) array. "
                         f"Got shape {K_test.shape} instead.")
    if not (np.all(np.isfinite(K_train)) and np.all(np.isfinite(K_test))):
        raise ValueError("The Gram matrices 'K_train' and 'K_test' must be finite.")
    scale = max(float(np.max(np.abs(K_train))), np.finfo(float).tiny)
    asym = float(np.max(np.abs(K_train - K_train.T)))
    if asym > _psd_rtol(dtype) * scale:
        raise ValueError("The 'K_train' parameter must be a symmetric Gram matrix: "
                         f"max |K - K^T| = {asym:.3g} exceeds {_psd_rtol(dtype):.1e} * max |K| "
                         f"= {_psd_rtol(dtype) * scale:.3g}.")
    return K_train, K_test


def _indefinite(lowest, scale, dtype, how):
    return ValueError(
        "The 'K_train' parameter must be positive semi-definite (a kernel's Gram matrix): "
        f"{how} {lowest:.3g}, below -{_psd_rtol(dtype):.1e} * {scale:.3g}. "
        "An indefinite matrix gives meaningless errors.")


def _check_psd_cholesky(K, dtype):
    """PSD to a tolerance: ``K + tol * max(diag K) I`` must have a Cholesky factor."""
    scale = max(float(np.max(np.diag(K))), np.finfo(float).tiny)
    shift = _psd_rtol(dtype) * scale
    try:
        scipy.linalg.cholesky(K + shift * np.eye(K.shape[0]), lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        lowest = float(scipy.linalg.eigvalsh(K, subset_by_index=(0, 0))[0])
        raise _indefinite(lowest, scale, dtype, "its smallest eigenvalue is") from None


# -- errors from predictions ----------------------------------------------------------------------


def _error_rates(f_train, f_test, y_train, y_test, fact_mask):
    """Error rates from predictions of shape (n, L) and (n_test, L); NaN predictions stay NaN."""
    wrong_train = (np.sign(f_train) != y_train[:, None]).astype(float)
    wrong_test = (np.sign(f_test) != y_test[:, None]).astype(float)
    wrong_train[np.isnan(f_train)] = np.nan
    wrong_test[np.isnan(f_test)] = np.nan
    L = f_train.shape[1]
    none = np.full(L, np.nan)
    return {
        "e_gen": wrong_test.mean(axis=0),
        "e_mem": wrong_train[fact_mask].mean(axis=0) if fact_mask.any() else none,
        "e_train_rule": wrong_train[~fact_mask].mean(axis=0) if (~fact_mask).any() else none,
        "e_train": wrong_train.mean(axis=0),
    }


def _result(lams, f_train, f_test, y_train, y_test, fact_mask, return_predictions, *,
            converged=None, n_iter=None, residual=None, message="closed form"):
    outputs = _error_rates(f_train, f_test, y_train, y_test, fact_mask)
    trailing = {}
    if return_predictions:
        outputs["f_train"], outputs["f_test"] = f_train.T, f_test.T
        trailing = {"f_train": "training sample", "f_test": "test sample"}
    return Result({"lam": lams}, outputs, converged=converged, n_iter=n_iter, residual=residual,
                  message=message, trailing=trailing)


# -- kernel ridge regression ----------------------------------------------------------------------


class _Eigenvectors:
    """The eigenvectors ``U`` of ``K = U diag(s) U^T`` as the products with them that KRR needs.

    From :func:`_eigh`: ``U = Q Z`` is kept factored, ``Q`` the orthogonal matrix of the
    tridiagonal reduction ``K = Q T Q^T`` (Householder reflectors, LAPACK ``?sytrd``) and ``Z``
    the eigenvectors of ``T`` (``?stevd``, divide and conquer). ``?syevd`` computes the same
    ``T`` and ``Z`` and then forms ``U = Q Z``, a third or more of its time at ``n ~ 3000``; KRR
    only multiplies ``U`` and ``U^T`` with ``2 L + 1`` vectors (``L`` ridges), so ``Q`` is applied
    to those instead (``?ormqr``, ``O(n^2 L)``). Without reflectors (``Q = I``), ``Z`` is ``U``.
    """

    def __init__(self, Z, reflectors=None, tau=None):
        self.Z, self.reflectors, self.tau = Z, reflectors, tau

    def _q(self, M, trans):
        """``Q M`` (``trans="N"``) or ``Q^T M`` (``"T"``): ``Q = diag(1, Q')``, ``Q'`` in the
        ``?geqrf`` layout of the strictly lower part of ``?sytrd``'s output (as ``?ormtr``)."""
        out = np.array(M, dtype=self.Z.dtype, order="F")
        if self.reflectors is None:
            return out
        ormqr = scipy.linalg.lapack.get_lapack_funcs("ormqr", (self.reflectors,))
        lwork = int(ormqr("L", trans, self.reflectors, self.tau, out[1:], -1)[1][0])
        cq, _, info = ormqr("L", trans, self.reflectors, self.tau, out[1:], lwork)
        if info != 0:
            raise np.linalg.LinAlgError(f"?ormqr failed (info={info})")
        out[1:] = cq
        return out

    def t_dot(self, v):
        """``U^T v`` for a vector ``v``."""
        return self.Z.T @ self._q(v[:, None], "T")[:, 0]

    def dot(self, M):
        """``U M`` for a matrix ``M`` (n, m)."""
        return self._q(self.Z @ M, "N")


def _eigh(K):
    """``(s, U)``: eigenvalues ascending and :class:`_Eigenvectors`, in the precision of ``K``.

    float32 and float64 go through ``?sytrd`` and ``?stevd``, the steps of the divide-and-conquer
    driver ``?syevd`` (about twice as fast as numpy's ``eigh`` at n ~ 3000) without its
    back-transformation; other dtypes and ``n < 3`` through ``scipy.linalg.eigh``.
    """
    n = K.shape[0]
    if K.dtype not in (np.float32, np.float64) or n < 3:
        s, U = scipy.linalg.eigh(K, driver="evd", check_finite=False)
        return s, _Eigenvectors(U)
    sytrd, sytrd_lwork, stevd = scipy.linalg.lapack.get_lapack_funcs(
        ("sytrd", "sytrd_lwork", "stevd"), (K,))
    lwork, info = sytrd_lwork(n, lower=1)
    A = np.array(K, order="F")  # its lower triangle is used, as scipy.linalg.eigh does
    c, d, e, tau, info = sytrd(A, lower=1, lwork=int(lwork), overwrite_a=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"?sytrd failed (info={info})")
    s, Z, info = stevd(d, e, compute_v=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"the tridiagonal eigensolver ?stevd failed (info={info})")
    return s, _Eigenvectors(Z, np.asfortranarray(c[1:, :-1]), tau)


def _krr_from_eigh(s, U, K_test, y_train, lams, rcond):
    """Predictions ``(f_train, f_test)`` (n, L) from ``K = U diag(s) U^T``, for every ridge
    (``U``: :class:`_Eigenvectors`)."""
    smax = max(float(np.max(np.abs(s))), np.finfo(float).tiny)
    keep = s > rcond * smax  # numerically non-zero eigenvalues (used at lam = 0 only)
    s_pos = np.maximum(s, 0.0)  # round-off negatives of a PSD kernel
    lam = lams.astype(s.dtype)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(lam > 0, 1.0 / (s_pos[:, None] + lam),
                       np.where(keep[:, None], 1.0 / s_pos[:, None], 0.0))
    coef = U.t_dot(y_train)[:, None] * np.where(np.isfinite(inv), inv, 0.0)  # alpha, eigenbasis
    # back to the sample basis before touching K_test: one U (n, 2L) product for the dual
    # coefficients alpha and f_train = K alpha, then (n_test, n) x (n, L). Forming K_test @ U
    # first would cost n_test n^2, ten times the rest at n = 3072 and L = 25.
    L = coef.shape[1]
    both = U.dot(np.concatenate([s_pos[:, None] * coef, coef], axis=1))
    return both[:, :L], K_test @ both[:, L:]


def _krr(K_train, y_train, K_test, y_test, lams, fact_mask, rcond=None, return_predictions=False):
    """:func:`krr_errors` on checked inputs (the core used by the simulation drivers)."""
    if rcond is None:
        rcond = K_train.shape[0] * np.finfo(K_train.dtype).eps
    s, U = _eigh(K_train)
    f_train, f_test = _krr_from_eigh(s, U, K_test, y_train, lams, rcond)
    return _result(lams, f_train, f_test, y_train, y_test, fact_mask, return_predictions)


@validated(lams=ridges, dtype=float_dtype, rcond=Interval(0.0, np.inf, optional=True))
def krr_errors(K_train, y_train, K_test, y_test, lams, *, fact_mask, dtype=np.float64,
               rcond=None, return_predictions=False):
    """Errors of kernel ridge regression for every ridge in ``lams`` (THEORY §7; paper Sec. 2.2).

    ``f(x) = K(x, X) alpha`` with ``alpha = (K + lam I)^{-1} y``; one eigendecomposition
    ``K = U diag(s) U^T`` serves every ``lam``. ``lam = 0`` is the minimum-norm interpolator
    ``alpha = K^+ y``: eigenvalues ``s <= rcond * max(s)`` are dropped there (only there); for
    ``lam > 0`` round-off negative eigenvalues are clipped to 0.

    Parameters
    ----------
    K_train : array (n, n)
        Training Gram matrix ``K_ij = k(x_i . x_j / d)``: symmetric positive semi-definite
        (checked to ``sqrt(machine epsilon)``; ``ValueError`` otherwise).
    y_train : array (n,)
        Training labels in {-1, +1}.
    K_test : array (n_test, n)
        Test-versus-train Gram matrix.
    y_test : array (n_test,)
        Test labels (the rule) in {-1, +1}.
    lams : float or array (L,), >= 0
        Ridges.
    fact_mask : bool array (n,)
        True for the training samples that are facts.
    dtype : floating dtype, default float64
        Precision of the linear algebra (``np.float32`` halves time and memory at large ``n``).
    rcond : float, optional
        Cut-off of the pseudo-inverse at ``lam = 0``; default ``n`` times the machine epsilon.
    return_predictions : bool
        Also return the predictions ``f_train`` (L, n) and ``f_test`` (L, n_test).

    Returns
    -------
    Result
        Input ``lam`` (L,); outputs ``e_gen``, ``e_mem``, ``e_train_rule``, ``e_train`` (L,)
        (``e_mem`` is NaN without facts, ``e_train_rule`` when all are facts); converged (a
        closed form).
    """
    K_train, K_test = _check_gram(K_train, K_test, dtype)
    n = K_train.shape[0]
    y_train, y_test, fact_mask = _check_targets(n, K_test.shape[0], y_train, y_test, fact_mask,
                                                dtype)
    if rcond is None:
        rcond = n * np.finfo(dtype).eps
    s, U = _eigh(K_train)
    smax = max(float(np.max(np.abs(s))), np.finfo(float).tiny)
    if s[0] < -_psd_rtol(dtype) * smax:
        raise _indefinite(float(s[0]), smax, dtype, "its smallest eigenvalue is")
    f_train, f_test = _krr_from_eigh(s, U, K_test, y_train, lams, float(rcond))
    return _result(lams, f_train, f_test, y_train, y_test, fact_mask, return_predictions)


# -- ridge regression on features -----------------------------------------------------------------


def _ridge(Phi, y_train, Phi_t, y_test, lams, fact_mask, rcond=None, return_predictions=False):
    """:func:`ridge_errors` on checked inputs: one eigendecomposition of the smaller Gram matrix."""
    n, p = Phi.shape
    if rcond is None:
        rcond = max(n, p) * np.finfo(Phi.dtype).eps
    lam = lams.astype(Phi.dtype)[None, :]
    small_side = p <= n  # eigendecompose Phi^T Phi (p x p) or Phi Phi^T (n x n)
    s, V = np.linalg.eigh(Phi.T @ Phi if small_side else Phi @ Phi.T)
    keep = s > rcond * max(float(np.max(np.abs(s))), np.finfo(float).tiny)
    s_pos = np.where(keep, s, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(keep[:, None] | (lam > 0), 1.0 / (s_pos[:, None] + lam), 0.0)
    inv = np.where(np.isfinite(inv), inv, 0.0)
    if small_side:
        W = V @ ((V.T @ (Phi.T @ y_train))[:, None] * inv)  # weights, (p, L)
    else:
        W = Phi.T @ (V @ ((V.T @ y_train)[:, None] * inv))
    return _result(lams, Phi @ W, Phi_t @ W, y_train, y_test, fact_mask, return_predictions)


@validated(lams=ridges, dtype=float_dtype, rcond=Interval(0.0, np.inf, optional=True))
def ridge_errors(features_train, y_train, features_test, y_test, lams, *, fact_mask,
                 dtype=np.float64, rcond=None, return_predictions=False):
    """Errors of ridge regression on explicit features for every ridge in ``lams`` (THEORY §2).

    ``f(x) = phi(x) . w`` with ``w = argmin sum_mu (y_mu - phi_mu . w)^2 / 2 + lam/2 |w|^2``: the
    linear model with ``phi(x) = x / sqrt(d)``, random features with
    ``phi(x) = sigma(F x / sqrt(d)) / sqrt(p)``. Identical to :func:`krr_errors` with
    ``K = Phi Phi^T`` but cheaper: one eigendecomposition of the smaller of ``Phi^T Phi`` and
    ``Phi Phi^T``. ``lam = 0`` is the minimum-norm least-squares solution ``w = Phi^+ y``.
    The other parameters and the return value are those of :func:`krr_errors`.

    Parameters
    ----------
    features_train : array (n, p)
    features_test : array (n_test, p)
    """
    Phi = np.asarray(features_train, dtype=dtype)
    Phi_t = np.asarray(features_test, dtype=dtype)
    if Phi.ndim != 2 or Phi_t.ndim != 2 or Phi.shape[1] != Phi_t.shape[1]:
        raise ValueError("The 'features_train' and 'features_test' parameters must be 2-d arrays "
                         f"with the same number of columns. Got shapes {Phi.shape} and "
                         f"{Phi_t.shape} instead.")
    if Phi.size == 0:
        raise ValueError("The 'features_train' parameter must be non-empty. "
                         f"Got shape {Phi.shape} instead.")
    if not (np.all(np.isfinite(Phi)) and np.all(np.isfinite(Phi_t))):
        raise ValueError("The features 'features_train' and 'features_test' must be finite.")
    y_train, y_test, fact_mask = _check_targets(Phi.shape[0], Phi_t.shape[0], y_train, y_test,
                                                fact_mask, dtype)
    return _ridge(Phi, y_train, Phi_t, y_test, lams, fact_mask, rcond, return_predictions)


# -- the SVM --------------------------------------------------------------------------------------


def _dual_path(K_train, y_train, lams, features, tol):
    """Intercept-free SVM along ``lams``, largest first, each solve warm-started from the last.

    Returns the dual coefficients ``a * y`` (n, L), and per ``lam`` the convergence flag, the
    KKT residual and the iterations. At ``lam = 0`` without a hard-margin solution the
    coefficients are NaN (no such solution exists).
    """
    n, L = K_train.shape[0], lams.size
    Q = (y_train[:, None] * y_train[None, :]) * K_train
    coef = np.empty((n, L))
    converged, kkt, nit = np.zeros(L, bool), np.full(L, np.nan), np.zeros(L, int)
    a = C_prev = None
    block = _FreeBlock(Q)  # factorisations shared along the path
    for j in np.argsort(-lams, kind="stable"):  # large lam (small C) first
        C = np.inf if lams[j] == 0 else 1.0 / lams[j]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            res = _solve_dual(Q, C, a, C_prev, features, y_train, tol, 30, block)
        converged[j], kkt[j], nit[j] = res.success, float(res.residual), int(res.n_iter)
        if res.success:
            a, C_prev = res.a, C
        coef[:, j] = res.a * y_train
        if np.isinf(C) and not res.success:
            coef[:, j] = np.nan  # no hard-margin solution: NaN errors
    return coef, converged, kkt, nit


def _svc_path(K_train, y_train, K_test, lams):
    """scikit-learn's SVC (with intercept) at each ``lam > 0``: predictions and convergence."""
    from sklearn.svm import SVC

    f_train = np.empty((K_train.shape[0], lams.size))
    f_test = np.empty((K_test.shape[0], lams.size))
    converged = np.ones(lams.size, bool)
    for j, lam in enumerate(lams):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clf = SVC(kernel="precomputed", C=1.0 / lam, tol=1e-5, cache_size=1000)
            clf.fit(K_train, y_train)
        converged[j] = not any("iter" in str(w.message).lower() for w in caught)
        f_train[:, j] = clf.decision_function(K_train)
        f_test[:, j] = clf.decision_function(K_test)
    return f_train, f_test, converged


def _svm(K_train, y_train, K_test, y_test, lams, fact_mask, features=None, tol=1e-7,
         return_predictions=False):
    """Intercept-free :func:`svm_errors` on checked inputs, without the warning."""
    coef, converged, kkt, nit = _dual_path(K_train, y_train, lams, features, tol)
    bad = int(np.count_nonzero(~converged))
    msg = "converged" if bad == 0 else (
        f"the SVM dual did not converge at lam={lams[~converged].tolist()} (errors are the best "
        "iterate's, or NaN at lam=0 where the data are not separable and no hard margin exists)")
    return _result(lams, K_train @ coef, K_test @ coef, y_train, y_test, fact_mask,
                   return_predictions, converged=converged, n_iter=nit, residual=kkt, message=msg)


@validated(lams=ridges, tol=Interval(0.0, np.inf, low_open=True))
def svm_errors(K_train, y_train, K_test, y_test, lams, *, fact_mask, intercept=False,
               features=None, tol=1e-7, return_predictions=False):
    """Errors of the hinge-loss kernel classifier (SVM) for every ridge in ``lams`` (THEORY §2).

    Minimises ``sum_mu max(0, 1 - y_mu f(x_mu)) + lam/2 ||w||^2``, the SVM with ``C = 1 / lam``.

    * ``intercept=False`` (default, the theory's estimator): the dual is solved by
      :func:`raf.svm.solve_svm_dual` from the largest ``lam`` to the smallest, each solve
      warm-started from the previous one. ``lam = 0`` is the hard-margin SVM, the ``lam -> 0+``
      limit on separable data (every kernel with ``mustar > 0``). On data the kernel cannot
      separate (the linear model above ``alpha_c(eps)``, THEORY §5) no hard margin exists: the
      errors there are NaN, ``converged`` False, with a warning -- use a small ``lam > 0``.
    * ``intercept=True``: scikit-learn's ``SVC(kernel="precomputed", C=1/lam)``, which fits an
      unpenalised intercept ``b``. On RAF data the labels are balanced and ``b`` is small: for
      ``lam <~ 1`` the two agree far within the seed-to-seed spread (``tests/test_learners.py``);
      at large ``lam`` the intercept-free ``f`` shrinks like ``C`` and ``b`` matters. Needs
      ``lam > 0``.

    ``features`` (intercept-free only): any ``Phi`` (n, r) with ``Phi Phi^T = K_train`` (e.g.
    ``X / sqrt(d)``), which makes the interior-point stage cheaper when ``r < n``.

    Parameters and returns as :func:`krr_errors`, always in float64; ``converged``, ``n_iter`` and
    ``residual`` (the KKT residual, NaN with intercept) per ``lam``. A point that does not converge
    is reported with one ``RuntimeWarning``.
    """
    K_train, K_test = _check_gram(K_train, K_test, np.float64)
    n = K_train.shape[0]
    y_train, y_test, fact_mask = _check_targets(n, K_test.shape[0], y_train, y_test, fact_mask,
                                                np.float64)
    _check_psd_cholesky(K_train, np.float64)
    if not isinstance(intercept, (bool, np.bool_)):
        raise ValueError(f"The 'intercept' parameter must be a bool. Got {intercept!r} instead.")
    if intercept:
        if np.any(lams == 0):
            raise ValueError("The 'lams' parameter must be in the range (0, inf) when "
                             "intercept=True (SVC needs a finite C = 1/lam). Got 0.0 instead.")
        f_train, f_test, converged = _svc_path(K_train, y_train, K_test, lams)
        res = _result(lams, f_train, f_test, y_train, y_test, fact_mask, return_predictions,
                      converged=converged, residual=np.full(lams.size, np.nan), message=None)
    else:
        Phi = None if features is None else np.asarray(features, dtype=np.float64)
        if Phi is not None and (Phi.ndim != 2 or Phi.shape[0] != n):
            raise ValueError(f"The 'features' parameter must be an ({n}, r) array with "
                             f"features @ features.T == K_train. Got shape {Phi.shape} instead.")
        res = _svm(K_train, y_train, K_test, y_test, lams, fact_mask, Phi, float(tol),
                   return_predictions)
    if not res.success:
        warnings.warn(f"svm_errors: {res.message}", RuntimeWarning, stacklevel=2)
    return res
