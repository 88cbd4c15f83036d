"""Kernels on real images, in the language of the Gaussian theory (THEORY §3, §7; paper App. D.4).

One job: the Gram matrices of the CIFAR10-RAF experiments (:mod:`raf.cifar`) and the numbers that
tie each kernel to the theory (``mu1``, ``mustar``, the angle ``theta``).

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

import numpy as np

from ._validation import Interval, check_choice, validated

__all__ = ["KERNEL_FAMILIES", "bandwidth_for_angle", "kernel_coefficients", "kernel_matrices"]

#: Kernel families accepted by :func:`raf.cifar.cifar10_raf_errors`.
KERNEL_FAMILIES = ("rbf", "quad")


@validated(gamma=Interval(0.0, np.inf, low_open=True))
def kernel_coefficients(gamma):
    """``(mu1, mustar, theta)`` of the RBF ``k(t) = exp(-2 gamma (1 - t))`` (THEORY §3, §7).

    ``mu1^2 = 2 gamma e^{-2 gamma}``, ``mustar^2 = 1 - e^{-2 gamma} - 2 gamma e^{-2 gamma}``,
    ``theta = arctan(mustar / mu1)``; vectorised over ``gamma``. The matched quadratic kernel
    ``("quad", gamma)`` has the same three numbers.
    """
    from .kernels import RBF

    mu1, mustar = RBF.coefficients(gamma)
    return mu1, mustar, RBF.angle(gamma)


@validated(theta=Interval(0.0, np.pi / 2))
def bandwidth_for_angle(theta):
    """The RBF ``gamma`` whose kernel angle is ``theta`` (THEORY §3).

    With ``theta = raf.theory.theta_star(eps)`` this is the bandwidth the square-loss theory
    singles out: the only one at which KRR both interpolates the facts and reaches the best
    generalisation error.
    """
    from .kernels import RBF, param_for_angle

    g = param_for_angle.__wrapped__(RBF, theta)
    return float(g) if np.ndim(g) == 0 else g


def _parse_kernel(spec):
    if isinstance(spec, str):
        fam, _, g = spec.partition(":")
        spec = (fam, float(g) if g else np.nan)
    if not (isinstance(spec, (tuple, list)) and len(spec) == 2):
        raise ValueError("Each kernel must be a pair (family, gamma) with family in "
                         f"{KERNEL_FAMILIES}. Got {spec!r} instead.")
    fam = check_choice("kernel family", spec[0], KERNEL_FAMILIES)
    gamma = float(Interval(0.0, np.inf, low_open=True)("gamma", spec[1]))
    return fam, gamma


def _kernel_specs(name, value):
    """Spec of ``kernels``: a non-empty sequence of ``(family, gamma)`` pairs."""
    specs = [_parse_kernel(s) for s in value]
    if not specs:
        raise ValueError(f"The '{name}' parameter must name at least one kernel.")
    return specs


def _dot_products(X, Xt, dtype):
    """``(T, Tt, tn, tnt)``: train and test dot products over the scale ``s`` (half the mean
    squared distance between distinct training points) and the squared norms over ``s``."""
    X = np.asarray(X, dtype=dtype)
    Xt = np.asarray(Xt, dtype=dtype)
    n = X.shape[0]
    xbar = X.mean(axis=0, dtype=np.float64)
    sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    s = n / (n - 1) * (sq.mean() - xbar @ xbar)  # half the mean squared distance, pairs i != j
    T = X @ X.T
    T *= T.dtype.type(1.0 / s)
    Tt = Xt @ X.T
    Tt *= T.dtype.type(1.0 / s)
    tn = (sq / s).astype(T.dtype)
    tnt = (np.einsum("ij,ij->i", Xt, Xt, dtype=np.float64) / s).astype(T.dtype)
    return T, Tt, tn, tnt


def _rbf(T, Tt, tn, tnt, g):
    # -gamma |x_i - x_j|^2 / s, clipped at 0 against round-off
    K = np.minimum(2.0 * T - tn[:, None] - tn[None, :], 0.0)
    K *= T.dtype.type(g)
    np.exp(K, out=K)
    np.fill_diagonal(K, 1.0)
    Kt = np.minimum(2.0 * Tt - tnt[:, None] - tn[None, :], 0.0)
    Kt *= T.dtype.type(g)
    np.exp(Kt, out=Kt)
    return K, Kt


def _matched_quadratic(T, Tt, g):
    mu1, mustar, _ = kernel_coefficients.__wrapped__(g)
    c0, a1, a2 = (T.dtype.type(v) for v in (np.exp(-2.0 * g), mu1**2, mustar**2))
    return c0 + T * (a1 + a2 * T), c0 + Tt * (a1 + a2 * Tt)


def kernel_matrices(X_train, X_test, kernels, *, dtype=np.float32):
    """Yield ``(spec, K_train, K_test)`` for each kernel, sharing one dot-product matrix.

    ``X_train`` (n, d) and ``X_test`` (n_test, d) are z-scored inputs. The scale is half the
    mean squared distance between distinct training points (module docstring); the dot
    products ``X X^T`` are computed once for all kernels, in ``dtype``.
    """
    T, Tt, tn, tnt = _dot_products(X_train, X_test, dtype)
    for spec in kernels:
        fam, g = _parse_kernel(spec)
        K, Kt = _rbf(T, Tt, tn, tnt, g) if fam == "rbf" else _matched_quadratic(T, Tt, g)
        yield (fam, g), K, Kt
