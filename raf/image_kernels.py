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
  t_ij^2`` with the ``(mu1, mustar)`` of ``RBF(gamma)`` (paper Eq. (221), Fig. 14 right):
  identical to the RBF as far as the Gaussian theory can tell, not on images.
* Free quadratic (``("quadratic", mu1, mustar)`` or ``("quadratic", mu1, mustar, c0)``):
  ``K_ij = c0 + mu1^2 t_ij + mustar^2 t_ij^2`` with freely chosen ``mu1, mustar >= 0`` (not both
  0) and constant ``c0 >= 0`` (default 0), the kernel :func:`raf.kernels.truncated_quadratic`
  (paper Eq. (221), Fig. 14 left). The Gaussian theory sees only ``(mu1, mustar)``; its angle is
  ``theta = arctan(mustar / mu1)``. ``("quad", gamma)`` is the free quadratic
  ``("quadratic", mu1(gamma), mustar(gamma), e^{-2 gamma})``. Scaling ``(mu1, mustar, c0)`` by
  ``(c, c, c^2)`` and the ridge by ``c^2`` leaves kernel ridge regression unchanged.

Each kernel is named by a *spec*, a tuple (or the string ``"family:p1,p2,..."``); see
:func:`kernel_spec_coefficients` for the numbers the theory assigns to it.
"""

from __future__ import annotations

import numpy as np

from ._validation import Interval, check_choice, validated

__all__ = ["KERNEL_FAMILIES", "bandwidth_for_angle", "kernel_coefficients", "kernel_matrices",
           "kernel_spec_coefficients"]

#: Kernel families accepted by :func:`raf.cifar.cifar10_raf_errors`: ``("rbf", gamma)``,
#: ``("quad", gamma)`` and ``("quadratic", mu1, mustar[, c0])`` (module docstring).
KERNEL_FAMILIES = ("rbf", "quad", "quadratic")


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


_POSITIVE = Interval(0.0, np.inf, low_open=True)
_NONNEG = Interval(0.0, np.inf)


def _parse_kernel(spec):
    """A kernel spec, checked and normalised: ``(fam, gamma)`` or ``("quadratic", mu1, mustar, c0)``."""
    if isinstance(spec, str):
        fam, _, p = spec.partition(":")
        try:
            spec = (fam, *(float(v) for v in p.split(","))) if p else (fam, np.nan)
        except ValueError:
            raise ValueError(f"A kernel string must read 'family:p1,p2,...' with numbers p1, p2, ... "
                             f"Got {spec!r} instead.") from None
    if not (isinstance(spec, (tuple, list)) and len(spec) >= 2):
        raise ValueError("Each kernel must be a pair (family, gamma) with family 'rbf' or 'quad', or "
                         "a tuple ('quadratic', mu1, mustar) or ('quadratic', mu1, mustar, c0). "
                         f"Got {spec!r} instead.")
    fam = check_choice("kernel family", spec[0], KERNEL_FAMILIES)
    if fam != "quadratic":
        if len(spec) != 2:
            raise ValueError(f"A '{fam}' kernel must be a pair ({fam!r}, gamma). Got {spec!r} instead.")
        return fam, float(_POSITIVE("gamma", spec[1]))
    if len(spec) not in (3, 4):
        raise ValueError("A 'quadratic' kernel must be ('quadratic', mu1, mustar) or ('quadratic', mu1, "
                         f"mustar, c0). Got {spec!r} instead.")
    mu1, mustar = float(_NONNEG("mu1", spec[1])), float(_NONNEG("mustar", spec[2]))
    c0 = float(_NONNEG("c0", spec[3])) if len(spec) == 4 else 0.0
    if mu1 == 0.0 and mustar == 0.0:
        raise ValueError("The 'mu1' and 'mustar' parameters of a 'quadratic' kernel must not both be 0 "
                         f"(a constant kernel). Got {spec!r} instead.")
    return fam, mu1, mustar, c0


def kernel_spec_coefficients(spec):
    """``(gamma, mu1, mustar, theta)`` the Gaussian theory assigns to a kernel spec (THEORY §3, §7).

    ``("rbf", gamma)`` and ``("quad", gamma)``: the coefficients of ``RBF(gamma)``
    (:func:`kernel_coefficients`). ``("quadratic", mu1, mustar[, c0])``: ``gamma`` is NaN (no
    bandwidth), ``theta = arctan2(mustar, mu1)``. A spec of another family with a bandwidth
    (``("linear", gamma)``, the linear part of the RBF in :func:`raf.cifar.linear_part_errors`)
    gets the RBF's numbers.
    """
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and spec[0] not in KERNEL_FAMILIES:
        fam, g = spec[0], float(_POSITIVE("gamma", spec[1]))
    else:
        fam, *p = _parse_kernel(spec)
        g = p[0] if fam != "quadratic" else None
    if g is None:
        mu1, mustar = p[0], p[1]
        return np.nan, mu1, mustar, float(np.arctan2(mustar, mu1))
    mu1, mustar, theta = kernel_coefficients.__wrapped__(g)
    return g, float(mu1), float(mustar), float(theta)


def _kernel_specs(name, value):
    """Spec of ``kernels``: a non-empty sequence of kernel specs (module docstring), normalised."""
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


def _quadratic(T, Tt, mu1, mustar, c0):
    c0, a1, a2 = (T.dtype.type(v) for v in (c0, mu1**2, mustar**2))
    return c0 + T * (a1 + a2 * T), c0 + Tt * (a1 + a2 * Tt)


def _matched_quadratic(T, Tt, g):
    mu1, mustar, _ = kernel_coefficients.__wrapped__(g)
    return _quadratic(T, Tt, mu1, mustar, np.exp(-2.0 * g))


def kernel_matrices(X_train, X_test, kernels, *, dtype=np.float32):
    """Yield ``(spec, K_train, K_test)`` for each kernel, sharing one dot-product matrix.

    ``X_train`` (n, d) and ``X_test`` (n_test, d) are z-scored inputs. The scale is half the
    mean squared distance between distinct training points (module docstring); the dot
    products ``X X^T`` are computed once for all kernels, in ``dtype``. ``spec`` is the normalised
    spec: ``(family, gamma)`` or ``("quadratic", mu1, mustar, c0)``.
    """
    specs = [_parse_kernel(spec) for spec in kernels]  # every spec checked before any work
    T, Tt, tn, tnt = _dot_products(X_train, X_test, dtype)
    for spec in specs:
        fam, *p = spec
        if fam == "rbf":
            K, Kt = _rbf(T, Tt, tn, tnt, p[0])
        elif fam == "quad":
            K, Kt = _matched_quadratic(T, Tt, p[0])
        else:
            K, Kt = _quadratic(T, Tt, *p)
        yield spec, K, Kt
