"""Finite-size experiments on the RAF model (THEORY.md §7).

Two layers:

* Gram-matrix learners, independent of where the data come from (Gaussian RAF data
  or real images): :func:`krr_errors` (kernel ridge regression, square loss),
  :func:`ridge_errors` (the same on explicit features) and :func:`svm_errors` (hinge
  loss, with or without an intercept; the intercept-free dual is solved exactly by
  :func:`solve_svm_dual`). Each sweeps a whole array of regularisations ``lams`` on
  one Gram matrix.
* Simulation drivers on Gaussian RAF data, averaged over seeds:
  :func:`simulate_kernel`, :func:`simulate_linear`, :func:`simulate_random_features`.

Normalisation (the one of the theory, THEORY §2): the learner minimises
``sum_mu loss(y_mu, f(x_mu)) + lam/2 ||w||^2`` with the loss *summed* (not averaged)
over the ``n`` samples. For the square loss ``loss = (y - f)^2 / 2`` this is kernel ridge
regression ``f(x) = K(x, X) (K + lam I)^{-1} y``; for the hinge loss it is the SVM with
``C = 1 / lam``.

Errors (THEORY §1): ``e_gen`` is the test error of ``sign f`` against the (rule) test
labels, ``e_mem`` the training error on the facts, ``e_train_rule`` the training error
on the rule samples. A prediction ``f = 0`` counts as an error.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from raf._validation import check_choice, check_int, check_range

__all__ = [
    "krr_errors",
    "ridge_errors",
    "svm_errors",
    "simulate_kernel",
    "simulate_linear",
    "simulate_random_features",
    "solve_svm_dual",
    "SVMDualResult",
]


# ----------------------------------------------------------------------------------
# input checks shared by the Gram-matrix learners
# ----------------------------------------------------------------------------------


def _check_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(
            f"The 'dtype' parameter must be a floating dtype. Got {dtype!r} instead."
        )
    return dtype


def _check_targets(n, n_test, y_train, y_test, lams, fact_mask, dtype):
    """Check labels, fact mask and regularisations for ``n`` train / ``n_test`` test points."""
    y_train = np.asarray(y_train, dtype=dtype)
    y_test = np.asarray(y_test, dtype=dtype)
    if y_train.shape != (n,):
        raise ValueError(
            f"The 'y_train' parameter must have shape ({n},) to match the training "
            f"inputs. Got shape {y_train.shape} instead."
        )
    if y_test.shape != (n_test,):
        raise ValueError(
            f"The 'y_test' parameter must have shape ({n_test},) to match the test "
            f"inputs. Got shape {y_test.shape} instead."
        )
    for name, y in (("y_train", y_train), ("y_test", y_test)):
        if not np.all(np.abs(y) == 1):
            raise ValueError(f"The '{name}' parameter must contain only labels -1 and +1.")
    fact_mask = np.asarray(fact_mask)
    if fact_mask.shape != (n,) or fact_mask.dtype != bool:
        raise ValueError(
            f"The 'fact_mask' parameter must be a boolean array of shape ({n},). "
            f"Got dtype {fact_mask.dtype} and shape {fact_mask.shape} instead."
        )
    lams = np.asarray(lams, dtype=float)
    if lams.ndim > 1:
        raise ValueError(
            f"The 'lams' parameter must be a scalar or a 1-d array. Got shape {lams.shape}."
        )
    lams = check_range("lams", np.atleast_1d(lams), 0.0)
    return y_train, y_test, lams, fact_mask


def _check_gram_inputs(K_train, y_train, K_test, y_test, lams, fact_mask, dtype):
    dtype = _check_dtype(dtype)
    K_train = np.asarray(K_train, dtype=dtype)
    K_test = np.asarray(K_test, dtype=dtype)
    if K_train.ndim != 2 or K_train.shape[0] != K_train.shape[1] or K_train.shape[0] == 0:
        raise ValueError(
            "The 'K_train' parameter must be a non-empty square (n, n) array. "
            f"Got shape {K_train.shape} instead."
        )
    n = K_train.shape[0]
    if K_test.ndim != 2 or K_test.shape[1] != n:
        raise ValueError(
            f"The 'K_test' parameter must be an (n_test, {n}) array. "
            f"Got shape {K_test.shape} instead."
        )
    if not (np.all(np.isfinite(K_train)) and np.all(np.isfinite(K_test))):
        raise ValueError("The Gram matrices 'K_train' and 'K_test' must be finite.")
    y_train, y_test, lams, fact_mask = _check_targets(
        n, K_test.shape[0], y_train, y_test, lams, fact_mask, dtype)
    return K_train, y_train, K_test, y_test, lams, fact_mask


def _errors_from_predictions(f_train, f_test, y_train, y_test, fact_mask):
    """Error rates from predictions of shape (n, L) and (n_test, L)."""
    wrong_train = (np.sign(f_train) != y_train[:, None]).astype(float)
    wrong_test = (np.sign(f_test) != y_test[:, None]).astype(float)
    wrong_train[np.isnan(f_train)] = np.nan  # failed points stay NaN
    wrong_test[np.isnan(f_test)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # empty set of facts -> nan
        e_mem = wrong_train[fact_mask].mean(axis=0) if fact_mask.any() else np.full(
            f_train.shape[1], np.nan
        )
        e_rule = wrong_train[~fact_mask].mean(axis=0) if (~fact_mask).any() else np.full(
            f_train.shape[1], np.nan
        )
    return {
        "e_gen": wrong_test.mean(axis=0),
        "e_mem": np.asarray(e_mem, dtype=float),
        "e_train_rule": np.asarray(e_rule, dtype=float),
        "e_train": wrong_train.mean(axis=0),
    }


# ----------------------------------------------------------------------------------
# kernel ridge regression (square loss)
# ----------------------------------------------------------------------------------


def _result(lams, f_train, f_test, y_train, y_test, fact_mask, return_predictions):
    """The dict returned by :func:`krr_errors` and :func:`ridge_errors`."""
    out = {"lam": lams.copy()}
    out.update(_errors_from_predictions(f_train, f_test, y_train, y_test, fact_mask))
    if return_predictions:
        out["f_train"] = f_train
        out["f_test"] = f_test
    return out


def krr_errors(K_train, y_train, K_test, y_test, lams, *, fact_mask, dtype=np.float64,
               rcond=None, return_predictions=False):
    """Errors of kernel ridge regression for every regularisation in ``lams``.

    Square loss, ``f(x) = K(x, X) alpha`` with ``alpha = (K + lam I)^{-1} y``
    (THEORY §7; paper Sec. 2.2). One eigendecomposition ``K = U diag(s) U^T`` is
    reused for all ``lams``: ``alpha = U diag(1 / (s + lam)) U^T y``.

    ``lam = 0`` is the ridgeless limit ``lam -> 0+``, i.e. the minimum-norm
    interpolator ``alpha = K^+ y`` (pseudo-inverse): eigenvalues ``s <= rcond * max(s)``
    are treated as exact zeros and dropped, the rest inverted (the cut-off applies at
    ``lam = 0`` only). For ``lam > 0`` the
    (round-off) negative eigenvalues of a positive semi-definite kernel are clipped
    to 0.

    Parameters
    ----------
    K_train : array (n, n)
        Training Gram matrix ``K_ij = k(x_i . x_j / d)``.
    y_train : array (n,)
        Training labels in {-1, +1}.
    K_test : array (n_test, n)
        Test-versus-train Gram matrix.
    y_test : array (n_test,)
        Test labels (the rule) in {-1, +1}.
    lams : float or array (L,)
        Regularisations ``lam >= 0``.
    fact_mask : bool array (n,)
        True for the training samples that are facts (their label is random).
    dtype : floating dtype, default float64
        Precision of the linear algebra (``np.float32`` halves time and memory for
        large ``n``).
    rcond : float, optional
        Relative cut-off of the pseudo-inverse at ``lam = 0``; default
        ``n * machine epsilon of dtype``.
    return_predictions : bool, default False
        Also return the predictions ``f_train`` (n, L) and ``f_test`` (n_test, L).

    Returns
    -------
    dict
        ``lam`` (L,), ``e_gen``, ``e_mem``, ``e_train_rule``, ``e_train`` (each (L,)).
        ``e_mem`` is NaN when there are no facts, ``e_train_rule`` when all are facts.
    """
    K_train, y_train, K_test, y_test, lams, fact_mask = _check_gram_inputs(
        K_train, y_train, K_test, y_test, lams, fact_mask, dtype
    )
    n = K_train.shape[0]
    if rcond is None:
        rcond = n * np.finfo(K_train.dtype).eps
    rcond = float(check_range("rcond", rcond, 0.0))

    # divide-and-conquer driver: about twice as fast as numpy's eigh at n ~ 3000, and it
    # keeps float32 in single precision
    s, U = scipy.linalg.eigh(K_train, driver="evd", check_finite=False)
    smax = max(float(np.max(np.abs(s))), np.finfo(float).tiny)
    keep = s > rcond * smax  # numerically non-zero eigenvalues (used at lam = 0 only)
    s_pos = np.maximum(s, 0.0)  # round-off negatives of a PSD kernel
    Uy = U.T @ y_train  # (n,)

    lam = lams.astype(K_train.dtype)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(lam > 0, 1.0 / (s_pos[:, None] + lam), np.where(keep[:, None], 1.0 / s_pos[:, None], 0.0))
    inv = np.where(np.isfinite(inv), inv, 0.0)
    coef = Uy[:, None] * inv  # coefficients of alpha in the eigenbasis, (n, L)

    f_train = U @ (s_pos[:, None] * coef)
    f_test = (K_test @ U) @ coef
    return _result(lams, f_train, f_test, y_train, y_test, fact_mask, return_predictions)


def ridge_errors(features_train, y_train, features_test, y_test, lams, *, fact_mask,
                 dtype=np.float64, rcond=None, return_predictions=False):
    """Errors of ridge regression on explicit features, for every ``lam`` in ``lams``.

    ``f(x) = phi(x) . w`` with ``w = argmin sum_mu (y_mu - phi_mu . w)^2 / 2 + lam/2 |w|^2``
    (THEORY §2, square loss): the linear model with ``phi(x) = x / sqrt(d)``, random
    features with ``phi(x) = sigma(F x / sqrt(d)) / sqrt(p)``. Identical to
    :func:`krr_errors` with ``K = Phi Phi^T`` but cheaper: one eigendecomposition of
    the smaller of ``Phi^T Phi`` (p x p) and ``Phi Phi^T`` (n x n), reused for all
    ``lams``. ``lam = 0`` is the ``lam -> 0+`` limit, the minimum-norm least-squares
    solution ``w = Phi^+ y`` (eigenvalues below ``rcond * max`` dropped). The other
    parameters and the return value are those of :func:`krr_errors`.

    Parameters
    ----------
    features_train : array (n, p)
    features_test : array (n_test, p)
    """
    dtype = _check_dtype(dtype)
    Phi = np.asarray(features_train, dtype=dtype)
    Phi_t = np.asarray(features_test, dtype=dtype)
    if Phi.ndim != 2 or Phi_t.ndim != 2 or Phi.shape[1] != Phi_t.shape[1]:
        raise ValueError(
            "The 'features_train' and 'features_test' parameters must be 2-d arrays "
            f"with the same number of columns. Got shapes {Phi.shape} and "
            f"{Phi_t.shape} instead.")
    n, p = Phi.shape
    if n == 0 or p == 0:
        raise ValueError(
            "The 'features_train' parameter must be non-empty. "
            f"Got shape {Phi.shape} instead.")
    if not (np.all(np.isfinite(Phi)) and np.all(np.isfinite(Phi_t))):
        raise ValueError("The features 'features_train' and 'features_test' must be finite.")
    y_train, y_test, lams, fact_mask = _check_targets(
        n, Phi_t.shape[0], y_train, y_test, lams, fact_mask, dtype)
    if rcond is None:
        rcond = max(n, p) * np.finfo(dtype).eps
    lam = lams.astype(dtype)[None, :]
    if p <= n:
        s, V = np.linalg.eigh(Phi.T @ Phi)  # squared singular values, right vectors
    else:
        s, U = np.linalg.eigh(Phi @ Phi.T)
    smax = max(float(np.max(np.abs(s))), np.finfo(float).tiny)
    keep = s > rcond * smax
    s_pos = np.where(keep, s, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(keep[:, None] | (lam > 0), 1.0 / (s_pos[:, None] + lam), 0.0)
    inv = np.where(np.isfinite(inv), inv, 0.0)
    if p <= n:
        b = V.T @ (Phi.T @ y_train)  # (p,)
        W = V @ (b[:, None] * inv)  # weights, (p, L)
    else:
        Uy = U.T @ y_train
        W = Phi.T @ (U @ (Uy[:, None] * inv))
    f_train = Phi @ W
    f_test = Phi_t @ W
    return _result(lams, f_train, f_test, y_train, y_test, fact_mask, return_predictions)


# ----------------------------------------------------------------------------------
# hinge loss: the intercept-free kernel SVM
# ----------------------------------------------------------------------------------


class SVMDualResult:
    """Result of :func:`solve_svm_dual` (SciPy-style: no exception on failure).

    Attributes
    ----------
    a : array (n,)
        Dual variables, ``0 <= a <= C``; the predictor is ``f = K (a * y)``.
    success : bool
        True when the KKT residual is below ``tol``.
    kkt : float
        Natural KKT residual ``max |a - clip(a - grad, 0, C)|`` (margin units).
    gap : float
        Relative duality gap ``(P - D) / max(P, 1e-300)`` of the primal hinge problem.
    nit : int
        Iterations used, all stages together.
    method : str
        The stages that were run, e.g. ``"active-set+path"``.
    message : str
    """

    __slots__ = ("a", "success", "kkt", "gap", "nit", "method", "message")

    def __init__(self, a, success, kkt, gap, nit, method, message):
        self.a, self.success, self.kkt, self.gap = a, success, kkt, gap
        self.nit, self.method, self.message = nit, method, message

    def __repr__(self):
        return (f"SVMDualResult(success={self.success}, kkt={self.kkt:.2e}, "
                f"gap={self.gap:.2e}, nit={self.nit}, method={self.method!r})")


def _kkt_residual(a, g, C):
    return float(np.max(np.abs(a - np.clip(a - g, 0.0, C)))) if a.size else 0.0


def _solve_free(Q, a, free, up, C):
    """Set a[free] to the unconstrained minimiser with the other entries fixed.

    Returns False when the free block is numerically singular (then the active-set
    guess is abandoned: more free variables than the rank of ``Q``).
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    rhs = np.ones(int(free.sum()))
    if up.any():
        rhs -= C * Q[np.ix_(free, up)].sum(axis=1)
    QF = Q[np.ix_(free, free)]
    try:
        cl = cho_factor(QF, lower=True, check_finite=False)
        a[free] = cho_solve(cl, rhs, check_finite=False)
    except LinAlgError:
        # singular block: more free variables than the rank of Q (e.g. the linear
        # kernel with n > d); the caller falls back to the interior-point method
        return False
    return bool(np.all(np.isfinite(a)))


# step of the active-set guess a - scale * grad: tiny, so a variable leaves a bound
# only when its gradient points inwards (the conservative rule, fewest cycles)
_PDAS_SCALE = 1e-8


def _active_set(Q, C, a, tol, max_iter, sets_from_a, scale=None):
    """Primal-dual active-set (semismooth Newton) iterations for the box QP.

    Returns ``(a, nit, ok)``; ``ok`` is False when the iteration broke down
    (singular free block or non-finite values) -- the caller then falls back.
    """
    n = Q.shape[0]
    if scale is None:
        scale = _PDAS_SCALE / max(float(np.mean(np.diag(Q))), np.finfo(float).tiny)
    prev = None
    nit = 0
    for nit in range(1, max_iter + 1):
        if sets_from_a and nit == 1:
            low = a <= 0.0
            up = a >= C
        else:
            g = Q @ a - 1.0
            z = a - scale * g
            low = z <= 0.0
            up = z >= C
        free = ~(low | up)
        key = (low.tobytes(), up.tobytes())
        if key == prev:
            break
        prev = key
        a_new = np.zeros(n)
        a_new[up] = C
        if free.any() and not _solve_free(Q, a_new, free, up, C):
            return a, nit, False
        a = a_new
        if _kkt_residual(a, Q @ a - 1.0, C) <= tol:
            break
    return a, nit, True


def _interior_point(Q, C, *, features=None, y=None, tol=1e-8, max_iter=60):
    """Mehrotra predictor-corrector interior-point method for the box QP.

    ``min x^T Q x / 2 - sum(x)`` subject to ``0 <= x <= C`` (``C`` may be inf). Each
    iteration solves ``(Q + D) dx = r`` with a positive diagonal ``D``, so it is
    robust when ``Q`` is singular (the linear kernel with ``n > d``) or badly
    conditioned, where the active-set iterations may stall. With ``features``
    ``Phi`` (``Q = diag(y) Phi Phi^T diag(y)``, rank ``r < n``) the system is solved by
    the Woodbury identity in ``O(n r^2)``; otherwise by Cholesky in ``O(n^3)``.
    Typically 15-40 iterations. Returns ``(x, nit, ok)``.
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    n = Q.shape[0]
    finite_ub = np.isfinite(C)
    YPhi = None
    if features is not None and y is not None and features.shape[1] < n:
        YPhi = np.asarray(y, dtype=float)[:, None] * np.asarray(features, dtype=float)
    x = np.full(n, 0.5 * C if finite_ub else 1.0)
    z = np.ones(n)
    w = np.ones(n) if finite_ub else np.zeros(n)

    def solve(Dg, rhs):
        if YPhi is not None:  # (D + B B^T)^{-1} by Woodbury, B = YPhi
            M = np.eye(YPhi.shape[1]) + YPhi.T @ (YPhi / Dg[:, None])
            cl = cho_factor(M, lower=True, check_finite=False)

            def wood(r):
                Dinv_r = r / Dg
                return Dinv_r - (YPhi @ cho_solve(cl, YPhi.T @ Dinv_r,
                                                  check_finite=False)) / Dg

            sol = wood(rhs)
            for _ in range(3):  # iterative refinement: Woodbury loses digits when
                # D spans many orders of magnitude near convergence
                res = rhs - (Dg * sol + YPhi @ (YPhi.T @ sol))
                if np.linalg.norm(res) <= 1e-10 * np.linalg.norm(rhs):
                    return sol
                sol = sol + wood(res)
            res = rhs - (Dg * sol + YPhi @ (YPhi.T @ sol))
            if np.linalg.norm(res) <= 1e-8 * np.linalg.norm(rhs):
                return sol
            # still inaccurate: dense solve below
        M = Q + np.diag(Dg)
        cl = cho_factor(M, lower=True, check_finite=False)
        return cho_solve(cl, rhs, check_finite=False)

    def step_len(v, dv):
        neg = dv < 0
        return min(1.0, float(np.min(-v[neg] / dv[neg]))) if neg.any() else 1.0

    for it in range(1, max_iter + 1):
        s = C - x if finite_ub else np.ones(n)
        Qx = Q @ x
        rd = Qx - 1.0 - z + w
        mu = (x @ z + (s @ w if finite_ub else 0.0)) / (2 * n if finite_ub else n)
        if _kkt_residual(x, Qx - 1.0, C) <= tol:
            return x, it, True
        if not np.all(np.isfinite(x)) or np.max(x) > 1e15:
            return x, it, False
        Dg = z / x + (w / s if finite_ub else 0.0)
        try:
            # predictor (affine scaling)
            rhs = -rd - z + (w if finite_ub else 0.0)
            dx = solve(Dg, rhs)
            dz = -z - z / x * dx
            dw = (-w + w / s * dx) if finite_ub else np.zeros(n)
            ap = step_len(x, dx)
            if finite_ub:
                ap = min(ap, step_len(s, -dx))
            ad = min(step_len(z, dz), step_len(w, dw) if finite_ub else 1.0)
            x_a, z_a = x + ap * dx, z + ad * dz
            mu_aff = x_a @ z_a
            if finite_ub:
                mu_aff += (s - ap * dx) @ (w + ad * dw)
            mu_aff /= (2 * n if finite_ub else n)
            sigma = (mu_aff / mu) ** 3 if mu > 0 else 0.0
            # corrector
            rz = sigma * mu - x * z - dx * dz
            rhs = -rd + rz / x
            if finite_ub:
                rw = sigma * mu - s * w + dx * dw
                rhs = rhs - rw / s
            dx = solve(Dg, rhs)
            dz = (rz - z * dx) / x
            dw = ((rw + w * dx) / s) if finite_ub else np.zeros(n)
        except LinAlgError:
            return x, it, False
        ap = step_len(x, dx)
        if finite_ub:
            ap = min(ap, step_len(s, -dx))
        ad = min(step_len(z, dz), step_len(w, dw) if finite_ub else 1.0)
        eta = 0.995
        x = x + eta * ap * dx
        z = z + eta * ad * dz
        if finite_ub:
            w = w + eta * ad * dw
            x = np.minimum(x, C * (1 - 1e-15))
    return x, max_iter, False


def _continuation(Q, C, a, C_from, tol, max_iter, ratio=2.0, max_steps=120,
                  budget=150):
    """Follow the solution path from ``(C_from, a)`` up to ``C`` in geometric steps.

    Each step is a warm-started active-set solve, which needs only a few iterations
    when the step is small; a failed step is retried with the step ratio square-rooted
    (down to 1.001), a successful one lets the ratio grow back. For ``C = inf`` the
    path is followed until no variable sits at its upper bound; that solution is then
    the hard-margin one. Returns ``(a, nit, ok)``.
    """
    nit_total = 0
    Cc = C_from
    r = ratio
    for _ in range(max_steps):
        if nit_total > budget:
            break
        at_up = a >= Cc * (1 - 1e-12)
        if np.isinf(C) and not np.any(at_up):
            x, nit, ok = _active_set(Q, np.inf, a, tol, max_iter, True)
            return x, nit_total + nit, ok and _kkt_residual(x, Q @ x - 1.0, np.inf) <= tol
        C_next = min(C, Cc * r)
        start = np.where(at_up, C_next, a)
        x, nit, ok = _active_set(Q, C_next, start, tol, max_iter, True)
        nit_total += nit
        if not ok or _kkt_residual(x, Q @ x - 1.0, C_next) > tol:
            if r < 1.001:
                return x, nit_total, False
            r = np.sqrt(r)
            continue
        a, Cc = x, C_next
        r = min(ratio, r * r)
        if Cc >= C:
            return a, nit_total, True
    return a, nit_total, False


def solve_svm_dual(Q, C, *, a0=None, C0=None, features=None, y=None, tol=1e-7,
                   max_iter=30, warn=True):
    """Solve the intercept-free SVM dual ``min_a a^T Q a / 2 - sum(a)``, ``0 <= a <= C``.

    With ``Q = (y y^T) * K`` and ``C = 1 / lam`` this is the dual of the hinge ERM
    ``sum_mu max(0, 1 - y_mu f(x_mu)) + lam/2 ||w||^2`` of THEORY §2 without an
    intercept; the predictor is ``f(x) = K(x, X) (a * y)``. ``C = inf`` (``lam = 0``)
    is the hard-margin SVM, which exists only if the data are separable.

    Algorithm, in order until the KKT conditions hold:

    1. a primal-dual active-set (semismooth Newton) method: guess which ``a_i`` sit
       at 0, at ``C`` or in between, solve the linear system on the free ones exactly
       (Cholesky), update the guess from the KKT conditions. From a warm start ``a0``
       (the solution at a nearby ``C0``) it usually needs 1-10 linear solves and is
       exact to round-off;
    2. path following: the same iterations along a geometric grid of ``C`` from
       ``C0`` (or, without a warm start, from the ``C`` below which every ``a_i = C``
       is optimal) up to ``C``, with adaptive steps and an iteration budget;
    3. a Mehrotra predictor-corrector interior-point method, robust when ``Q`` is
       singular (linear kernel or random features with ``n`` above the rank), where
       active-set guesses can make the free block singular; with ``features`` its
       linear systems cost ``O(n r^2)`` (Woodbury); its output is polished by step 1.

    Convergence is certified by the natural KKT residual
    ``max |a - clip(a - grad, 0, C)|``, in units of the margin ``y f``; the relative
    duality gap of the primal hinge problem is reported as well.

    Parameters
    ----------
    Q : array (n, n), symmetric positive semi-definite
    C : float in (0, inf]
    a0 : array (n,), optional
        Warm start: the solution at ``C0``.
    C0 : float, optional
        The ``C`` of the warm start (enables path following from it).
    features, y : arrays (n, r) and (n,), optional
        Any ``Phi`` with ``Phi Phi^T = K`` and the labels: cheaper interior-point steps
        when ``r < n``.
    tol : float
        KKT tolerance.
    max_iter : int
        Maximum active-set iterations per attempt.
    warn : bool
        Warn (``RuntimeWarning``) when not converged.

    Returns
    -------
    SVMDualResult
    """
    # overflow / NaN in a failed trial step are detected (non-finite KKT residual)
    # and the step rejected: no need to warn about them
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _solve_svm_dual(Q, C, a0=a0, C0=C0, features=features, y=y, tol=tol,
                               max_iter=max_iter, warn=warn)


def _solve_svm_dual(Q, C, *, a0, C0, features, y, tol, max_iter, warn):
    Q = np.asarray(Q, dtype=np.float64)
    n = Q.shape[0]
    C = float(check_range("C", C, 0.0, np.inf, low_open=True))
    tol = float(check_range("tol", tol, 0.0, low_open=True))
    max_iter = check_int("max_iter", max_iter)

    def kkt_of(x):
        if not np.all(np.isfinite(x)):
            return np.inf
        return _kkt_residual(x, Q @ x - 1.0, C)

    nit_total = 0
    methods = []
    best = (np.inf, np.zeros(n))

    def consider(x, label):
        nonlocal best
        methods.append(label)
        r = kkt_of(x)
        if r < best[0]:
            best = (r, x)
        return r <= tol

    done = False
    # 1. warm-started active set
    if a0 is not None:
        x0 = np.asarray(a0, dtype=float)
        if C0 is not None:  # variables at the old upper bound move to the new one
            x0 = np.where(x0 >= C0 * (1 - 1e-12), C, x0)
        x0 = np.clip(x0, 0.0, C)
        x, nit, _ = _active_set(Q, C, x0, tol, min(max_iter, 10), True)
        nit_total += nit
        done = consider(x, "active-set")
    # 2. path following in C
    if not done:
        if a0 is not None and C0 is not None and 0 < C0 < C:
            start, C_from = np.clip(np.asarray(a0, dtype=float), 0.0, C0), float(C0)
        else:
            # a = C_from * 1 is optimal while Q (C_from 1) <= 1 componentwise
            rowmax = float(np.max(Q.sum(axis=1)))
            C_from = min(C, 1.0 / rowmax) if rowmax > 0 else C
            start = np.full(n, C_from)
        x, nit, _ = _continuation(Q, C, start, C_from, tol, max_iter)
        nit_total += nit
        done = consider(x, "path")
    # 3. interior point (robust to singular Q), then active-set polish
    if not done:
        x, nit, _ = _interior_point(Q, C, features=features, y=y, tol=tol)
        nit_total += nit
        done = consider(np.clip(x, 0.0, C), "interior-point")
        if not done and np.all(np.isfinite(x)):
            band = 1e-7 * (C if np.isfinite(C) else max(1.0, float(np.max(x))))
            guess = np.where(x < band, 0.0, np.where(x > C - band, C, x))
            xp, nit, _ = _active_set(Q, C, guess, tol, max_iter, True)
            nit_total += nit
            done = consider(xp, "polish")
    kkt, a = best
    g = Q @ a - 1.0
    # relative duality gap of the primal hinge problem (lam = 1/C)
    margin = g + 1.0  # y_i f_i
    aQa = float(a @ margin)
    hinge = float(np.maximum(0.0, 1.0 - margin).sum())
    if np.isinf(C):  # hard margin: primal ||w||^2/2 subject to y f >= 1
        primal, dual = 0.5 * aQa, a.sum() - 0.5 * aQa
        gap = max(abs(primal - dual) / max(abs(primal), 1e-300), hinge)
    else:
        primal = hinge + 0.5 * aQa / C
        dual = (a.sum() - 0.5 * aQa) / C
        gap = (primal - dual) / max(primal, 1e-300)
    success = bool(np.isfinite(kkt) and kkt <= tol)
    msg = "converged" if success else (
        f"KKT residual {kkt:.3g} above tol={tol:g} (C={C:g}"
        + ("; hard margin on non-separable data?" if np.isinf(C) else "") + ")"
    )
    if not success and warn:
        warnings.warn(f"solve_svm_dual did not converge: {msg}", RuntimeWarning,
                      stacklevel=3)
    return SVMDualResult(a, success, kkt, float(gap), nit_total, "+".join(methods), msg)


def svm_errors(K_train, y_train, K_test, y_test, lams, *, fact_mask, intercept=False,
               features=None, tol=1e-7, return_predictions=False):
    """Errors of the hinge-loss kernel classifier (SVM) for every ``lam`` in ``lams``.

    Minimises ``sum_mu max(0, 1 - y_mu f(x_mu)) + lam/2 ||w||^2`` (THEORY §2, hinge),
    i.e. the SVM with ``C = 1 / lam``.

    * ``intercept=False`` (default, the theory's estimator): the intercept-free dual
      is solved by :func:`solve_svm_dual`, sweeping ``lams`` from the largest to the
      smallest and warm-starting each from the previous solution. ``lam = 0`` is
      the hard-margin SVM (the ``lam -> 0+`` limit when the data are separable, as
      they are for every kernel with ``mustar > 0``).
    * ``intercept=True``: scikit-learn's ``SVC(kernel="precomputed", C=1/lam)``,
      which always fits an unpenalised intercept ``b`` (``f = K (a y) + b``). Kept for
      comparison: on RAF data the labels are balanced and symmetric, so ``b`` is
      small and for ``lam <~ 1`` the two agree far within the seed-to-seed spread
      (``tests/test_experiments.py``: RBF, d = 150, alpha = 2, eps = 0.3, 4 seeds,
      lam in {0.03, 0.3, 1}: mean absolute difference of E_gen <= 0.001 against a spread of
      ~0.02). At large ``lam`` (``C -> 0``) the intercept-free ``f`` shrinks like ``C``
      and the intercept is no longer negligible (at lam = 3 the E_gen differ by up to
      ~0.05). Requires ``lam > 0``.

    ``features`` (optional, intercept-free only): any ``Phi`` (n, r) with
    ``Phi Phi^T = K_train`` (e.g. ``X / sqrt(d)`` for the linear model), which makes
    the interior-point stage of :func:`solve_svm_dual` cheaper when ``r < n``.

    ``lam = 0`` on data that are not separable by the kernel (e.g. the linear model
    above its separability threshold ``alpha_c(eps)``, THEORY §5): the hard-margin SVM
    does not exist; the errors there are NaN, ``converged`` False, and a warning
    says so -- use a small ``lam > 0`` for the ``lam -> 0+`` limit.

    Parameters and returns as :func:`krr_errors`; the dict also holds ``converged``
    (bool, per ``lam``) and, without intercept, ``kkt`` (KKT residual per ``lam``).
    A point that does not converge warns once and is still reported.
    """
    K_train, y_train, K_test, y_test, lams, fact_mask = _check_gram_inputs(
        K_train, y_train, K_test, y_test, lams, fact_mask, np.float64
    )
    if not isinstance(intercept, (bool, np.bool_)):
        raise ValueError(f"The 'intercept' parameter must be a bool. Got {intercept!r}.")
    L = lams.size
    n = K_train.shape[0]
    f_train = np.empty((n, L))
    f_test = np.empty((K_test.shape[0], L))
    converged = np.zeros(L, dtype=bool)
    kkt = np.full(L, np.nan)
    if intercept:
        from sklearn.svm import SVC

        if np.any(lams == 0):
            raise ValueError(
                "The 'lams' parameter must be in the range (0, inf) when "
                "intercept=True (SVC needs a finite C = 1/lam). Got 0.0 instead."
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for j, lam in enumerate(lams):
                clf = SVC(kernel="precomputed", C=1.0 / lam, tol=1e-5,
                          cache_size=1000)
                clf.fit(K_train, y_train)
                f_train[:, j] = clf.decision_function(K_train)
                f_test[:, j] = clf.decision_function(K_test)
                converged[j] = True
        for w in caught:  # libsvm's max_iter warning -> point not converged
            if "iter" in str(w.message).lower():
                converged[:] = False
    else:
        Q = (y_train[:, None] * y_train[None, :]) * K_train
        order = np.argsort(-lams, kind="stable")  # large lam (small C) first
        a = None
        failed = []
        Phi = None if features is None else np.asarray(features, dtype=np.float64)
        if Phi is not None and (Phi.ndim != 2 or Phi.shape[0] != n):
            raise ValueError(
                f"The 'features' parameter must be an ({n}, r) array with "
                f"features @ features.T == K_train. Got shape {Phi.shape} instead.")
        C_prev = None
        for j in order:
            C = np.inf if lams[j] == 0 else 1.0 / lams[j]
            res = solve_svm_dual(Q, C, a0=a, C0=C_prev, features=Phi, y=y_train,
                                 tol=tol, warn=False)
            converged[j] = res.success
            kkt[j] = res.kkt
            if not res.success:
                failed.append(float(lams[j]))
            if res.success:
                a, C_prev = res.a, C
            coef = res.a * y_train
            if np.isinf(C) and not res.success:
                coef = np.full(n, np.nan)  # no hard-margin solution: NaN errors
            f_train[:, j] = K_train @ coef
            f_test[:, j] = K_test @ coef
        if failed:
            warnings.warn(
                f"svm_errors: the intercept-free SVM did not converge at lam={failed} "
                "('converged' is False there; errors are the best iterate's, or NaN "
                "at lam=0 where the data are not separable and no hard margin exists).",
                RuntimeWarning, stacklevel=2)
    out = {"lam": lams.copy()}
    out.update(_errors_from_predictions(f_train, f_test, y_train, y_test, fact_mask))
    out["converged"] = converged
    if not intercept:
        out["kkt"] = kkt
    if return_predictions:
        out["f_train"] = f_train
        out["f_test"] = f_test
    return out


# ----------------------------------------------------------------------------------
# simulation drivers on Gaussian RAF data
# ----------------------------------------------------------------------------------

_ERROR_KEYS = ("e_gen", "e_mem", "e_train_rule")
_LOSSES = ("square", "hinge")


def _check_seeds(seeds):
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = (int(seeds),)
    try:
        seeds = tuple(seeds)
    except TypeError:
        raise ValueError(
            f"The 'seeds' parameter must be a non-empty sequence of ints. Got {seeds!r}."
        ) from None
    if not seeds or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                            and s >= 0 for s in seeds):
        raise ValueError(
            "The 'seeds' parameter must be a non-empty sequence of non-negative ints. "
            f"Got {seeds!r} instead.")
    return tuple(int(s) for s in seeds)


def _check_common(d, alpha, eps, lams, loss, seeds, n_test):
    from raf.data import n_samples

    d = check_int("d", d)
    n = n_samples(d, alpha)
    eps = float(check_range("eps", eps, 0.0, 1.0))
    lams = np.asarray(lams, dtype=float)
    if lams.ndim > 1:
        raise ValueError(
            f"The 'lams' parameter must be a scalar or a 1-d array. Got shape {lams.shape}.")
    lams = check_range("lams", np.atleast_1d(lams), 0.0)
    check_choice("loss", loss, _LOSSES)
    seeds = _check_seeds(seeds)
    n_test = check_int("n_test", n_test)
    return d, n, float(alpha), eps, lams, loss, seeds, n_test


def _seed_streams(seed):
    """Independent generators for (training data, test data, random features)."""
    ss = np.random.SeedSequence(seed)
    return ss.spawn(3)


def _progress(iterable, progress, desc):
    if not progress:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, leave=False)


def _collect(per_seed, lams, seeds, meta):
    """Tidy dict: per-seed arrays (S, L), their mean and std over seeds."""
    out = {"lam": lams.copy(), "seeds": np.array(seeds)}
    for key in _ERROR_KEYS:
        arr = np.array([r[key] for r in per_seed], dtype=float)  # (S, L)
        out[key + "_all"] = arr
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN (no facts)
            out[key] = np.nanmean(arr, axis=0) if np.isfinite(arr).any() else arr[0]
            out[key + "_std"] = (np.nanstd(arr, axis=0, ddof=1) if arr.shape[0] > 1
                                 else np.zeros(arr.shape[1]))
    out["converged_all"] = np.array(
        [r.get("converged", np.ones(lams.size, dtype=bool)) for r in per_seed])
    out["converged"] = out["converged_all"].all(axis=0)
    out.update(meta)
    return out


def simulate_kernel(d, alpha, eps, lams, *, kernel, param=None, loss="square",
                    seeds=(0, 1, 2, 3, 4), n_test=4000, exact_fraction=False,
                    dtype=np.float64, progress=False):
    """Finite-size kernel ridge regression / kernel SVM on Gaussian RAF data (THEORY §7).

    For each seed: draw a training set (:func:`raf.data.sample`) and a rule-labelled
    test set, build ``K = k(X X^T / d)`` (:func:`raf.kernels.gram`), and run
    :func:`krr_errors` (``loss="square"``, one eigendecomposition for all ``lams``)
    or :func:`svm_errors` (``loss="hinge"``, intercept-free, warm-started along
    ``lams``). The theory to compare with is ``raf.theory.erm(alpha, eps, lam,
    loss=loss, mu1=mu1, mustar=mustar)`` with the kernel's ``(mu1, mustar)``.

    Parameters
    ----------
    d : int
        Dimension; ``n = round(alpha d)``.
    alpha : float > 0
    eps : float in [0, 1]
    lams : float or array (L,), >= 0
    kernel : KernelFamily, DotProductKernel, str or callable
        As accepted by :func:`raf.kernels.gram`.
    param : float, optional
        The family parameter when ``kernel`` is a family.
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
        Show a tqdm progress bar over seeds.

    Returns
    -------
    dict
        ``lam`` (L,), ``seeds`` (S,); for ``key`` in ``e_gen``, ``e_mem``,
        ``e_train_rule``: ``key`` (mean over seeds, (L,)), ``key_std`` (standard
        deviation over seeds, ddof=1), ``key_all`` ((S, L), per seed);
        ``converged`` (L,) and ``converged_all`` (S, L); and the metadata ``d``,
        ``n``, ``alpha``, ``eps``, ``loss``, ``kernel``, ``mu1``, ``mustar``
        (``NaN`` for a bare callable).
    """
    from raf import kernels as _k
    from raf.data import sample, sample_test

    d, n, alpha, eps, lams, loss, seeds, n_test = _check_common(
        d, alpha, eps, lams, loss, seeds, n_test)
    kfun = _k._resolve_kernel(kernel, param)  # validates kernel / param
    if isinstance(kernel, str):
        kernel = _k.ACTIVATION_KERNELS.get(kernel) or _k.FAMILIES[kernel]
    if isinstance(kernel, _k.KernelFamily):
        mu1, mustar = kernel.coefficients(param)
        name = kernel.at(param).name
    elif isinstance(kernel, _k.DotProductKernel):
        mu1, mustar, name = kernel.mu1, kernel.mustar, kernel.name
    else:
        mu1 = mustar = np.nan
        name = getattr(kernel, "__name__", "callable")
    per_seed = []
    for seed in _progress(seeds, progress, f"kernel {name}"):
        s_train, s_test, _ = _seed_streams(seed)
        data = sample(d, alpha, eps, seed=s_train, exact_fraction=exact_fraction)
        X_test, y_test = sample_test(data.teacher, n_test, seed=s_test)
        K = _k.gram(data.X, None, kfun)
        K_test = _k.gram(X_test, data.X, kfun)
        if loss == "square":
            r = krr_errors(K, data.y, K_test, y_test, lams, fact_mask=data.is_fact,
                           dtype=dtype)
        else:
            r = svm_errors(K, data.y, K_test, y_test, lams, fact_mask=data.is_fact)
        per_seed.append(r)
    meta = {"d": d, "n": n, "alpha": alpha, "eps": eps, "loss": loss, "kernel": name,
            "mu1": float(mu1), "mustar": float(mustar)}
    return _collect(per_seed, lams, seeds, meta)


def _fit_features(Phi, Phi_t, data, y_test, lams, loss):
    """Ridge (square) or intercept-free SVM (hinge) on explicit features, all ``lams``."""
    if loss == "square":
        return ridge_errors(Phi, data.y, Phi_t, y_test, lams, fact_mask=data.is_fact)
    return svm_errors(Phi @ Phi.T, data.y, Phi_t @ Phi.T, y_test, lams,
                      fact_mask=data.is_fact, features=Phi)


def simulate_linear(d, alpha, eps, lams, *, loss="square", seeds=(0, 1, 2, 3, 4),
                    n_test=4000, exact_fraction=False, progress=False):
    """Finite-size linear model ``f(x) = w . x / sqrt(d)`` on Gaussian RAF data (THEORY §2).

    Square loss: ridge regression in closed form (:func:`ridge_errors`, one
    eigendecomposition per seed for all ``lams``; ``lam = 0`` is the minimum-norm
    least-squares limit). Hinge loss: the intercept-free SVM (:func:`svm_errors`)
    on ``K = X X^T / d`` with features ``X / sqrt(d)``. The theory is
    ``raf.theory.erm(..., mu1=1, mustar=0)``.

    Parameters and returns as :func:`simulate_kernel` (``kernel="linear"``,
    ``mu1 = 1``, ``mustar = 0``).
    """
    from raf.data import sample, sample_test

    d, n, alpha, eps, lams, loss, seeds, n_test = _check_common(
        d, alpha, eps, lams, loss, seeds, n_test)
    per_seed = []
    for seed in _progress(seeds, progress, "linear"):
        s_train, s_test, _ = _seed_streams(seed)
        data = sample(d, alpha, eps, seed=s_train, exact_fraction=exact_fraction)
        X_test, y_test = sample_test(data.teacher, n_test, seed=s_test)
        per_seed.append(_fit_features(data.X / np.sqrt(d), X_test / np.sqrt(d), data, y_test, lams, loss))
    meta = {"d": d, "n": n, "alpha": alpha, "eps": eps, "loss": loss,
            "kernel": "linear", "mu1": 1.0, "mustar": 0.0}
    return _collect(per_seed, lams, seeds, meta)


def simulate_random_features(d, alpha, eps, lams, *, kappa, activation="erf",
                             loss="square", seeds=(0, 1, 2, 3, 4), n_test=4000,
                             exact_fraction=False, progress=False):
    """Finite-size random-features model of width ``p = round(kappa d)`` (THEORY §2, §6).

    ``f(x) = sum_k w_k sigma_c(F_k . x / sqrt(d)) / sqrt(p)`` with ``F_kj ~ N(0, 1)``
    fixed per seed and the *centred* activation ``sigma_c = sigma - mu0`` (THEORY §6:
    the constant mode would add a finite-size offset the theory does not have).
    Square loss: ridge on the features (:func:`ridge_errors`, one eigendecomposition
    of the smaller of the p x p and n x n Gram matrices per seed). Hinge loss: the
    intercept-free SVM on ``K = Phi Phi^T``. The theory is
    ``raf.theory.erm(..., mu1=mu1, mustar=mustar, kappa=kappa)`` with the
    activation's coefficients (:func:`raf.kernels.coefficients`).

    Parameters
    ----------
    kappa : float > 0
        Width ratio ``p / d``.
    activation : str or callable
        ``"erf"``, ``"relu"``, ``"sign"``, ``"tanh"``, ``"linear"`` or a vectorised callable.

    Notes
    -----
    The other parameters and the return value are those of :func:`simulate_kernel`
    (plus ``kappa``, ``p``, ``mu0``).
    """
    from raf import kernels as _k
    from raf.data import sample, sample_test

    d, n, alpha, eps, lams, loss, seeds, n_test = _check_common(
        d, alpha, eps, lams, loss, seeds, n_test)
    kappa = float(check_range("kappa", kappa, 0.0, low_open=True))
    p = int(round(kappa * d))
    if p < 1:
        raise ValueError(
            f"kappa * d must give at least one feature. Got kappa={kappa!r}, d={d!r}.")
    if isinstance(activation, str):
        sigma = _k.activation(activation)
        act_name = activation
    elif callable(activation):
        sigma = activation
        act_name = getattr(activation, "__name__", "callable")
    else:
        raise ValueError(
            "The 'activation' parameter must be a callable or one of "
            f"{_k.ACTIVATION_NAMES}. Got {activation!r} instead.")
    mu0, mu1, mustar = _k.coefficients(activation)
    per_seed = []
    for seed in _progress(seeds, progress, f"random features {act_name}"):
        s_train, s_test, s_feat = _seed_streams(seed)
        data = sample(d, alpha, eps, seed=s_train, exact_fraction=exact_fraction)
        X_test, y_test = sample_test(data.teacher, n_test, seed=s_test)
        F = np.random.default_rng(s_feat).standard_normal((p, d))
        Phi = (sigma(data.X @ F.T / np.sqrt(d)) - mu0) / np.sqrt(p)
        Phi_t = (sigma(X_test @ F.T / np.sqrt(d)) - mu0) / np.sqrt(p)
        per_seed.append(_fit_features(Phi, Phi_t, data, y_test, lams, loss))
    meta = {"d": d, "n": n, "alpha": alpha, "eps": eps, "loss": loss,
            "kernel": f"random features ({act_name})", "activation": act_name,
            "kappa": kappa, "p": p, "mu0": float(mu0), "mu1": float(mu1),
            "mustar": float(mustar)}
    return _collect(per_seed, lams, seeds, meta)
