"""Gram matrices of a dot-product kernel on data (THEORY §7).

One job: from inputs ``X`` (rows) and a kernel of :mod:`raf.kernels`, the matrices the learners of
:mod:`raf.learners` take. :func:`as_kernel` turns any accepted kernel specification (a name, a
family and its parameter, a :class:`raf.kernels.DotProductKernel` or a bare callable) into one
:class:`~raf.kernels.DotProductKernel`; :func:`gram` evaluates ``k(X1 X2^T / d)``;
:func:`rbf_gram` is the distance-based RBF for real data, whose norms do not concentrate.
"""

from __future__ import annotations

import numpy as np

from ._validation import Interval, check_choice, validated
from .kernels import ACTIVATION_KERNELS, FAMILIES, DotProductKernel, KernelFamily

__all__ = ["as_kernel", "gram", "rbf_gram", "to_sphere"]


def as_kernel(kernel, param=None):
    """The :class:`~raf.kernels.DotProductKernel` meant by ``(kernel, param)``.

    ``kernel`` is a name (an activation kernel of :data:`raf.kernels.ACTIVATION_KERNELS` or a
    family of :data:`raf.kernels.FAMILIES`), a :class:`~raf.kernels.KernelFamily` (then ``param``
    is required), a :class:`~raf.kernels.DotProductKernel`, or a vectorised callable ``k(t)``,
    whose ``(mu1, mustar)`` are unknown (NaN).
    """
    if isinstance(kernel, str):
        check_choice("kernel", kernel, tuple(ACTIVATION_KERNELS) + tuple(FAMILIES))
        kernel = ACTIVATION_KERNELS.get(kernel) or FAMILIES[kernel]
    if isinstance(kernel, KernelFamily):
        if param is None:
            raise ValueError(
                f"The 'param' parameter is required for the {kernel.name} family "
                f"({kernel.param_name} in {kernel.param_range}). Got None instead.")
        return kernel.at(param)
    if param is not None:
        raise ValueError("The 'param' parameter must be None unless 'kernel' is a KernelFamily. "
                         f"Got {param!r} instead.")
    if isinstance(kernel, DotProductKernel):
        return kernel
    if callable(kernel):
        return DotProductKernel(getattr(kernel, "__name__", "callable"), kernel, np.nan, np.nan)
    raise ValueError("The 'kernel' parameter must be a KernelFamily, a DotProductKernel, a name "
                     f"or a callable k(t). Got {kernel!r} instead.")


def _pair(X1, X2):
    X1 = np.asarray(X1, dtype=float)
    X2 = X1 if X2 is None else np.asarray(X2, dtype=float)
    if X1.ndim != 2 or X2.ndim != 2 or X1.shape[1] != X2.shape[1]:
        raise ValueError("The 'X1' and 'X2' parameters must be 2-d arrays with the same number of "
                         f"columns. Got shapes {X1.shape} and {X2.shape} instead.")
    return X1, X2


def to_sphere(X):
    """Rows of ``X`` rescaled to the sphere ``|x|^2 = d`` (``d`` the number of columns).

    A dot-product kernel of the rescaled inputs, ``k(x . x' / (|x| |x'|))``, is a function of the
    angle between inputs only: its Gram diagonal is exactly ``k(1)``, so the implicit ridge of
    every sample is ``mustar^2`` as in the theory's limit (:func:`raf.scaling.implicit_ridges`).
    RAF labels ``sign(w* . x)`` do not depend on the norm. A zero row stays zero.
    """
    X = np.asarray(X, dtype=float)
    norm = np.sqrt(np.sum(X * X, axis=-1, keepdims=True))
    return X * np.divide(np.sqrt(X.shape[-1]), norm, out=np.zeros_like(norm), where=norm > 0)


@validated(scale=Interval(0.0, np.inf, low_open=True, optional=True))
def gram(X1, X2, kernel, param=None, *, scale=None, on_sphere=False):
    """Gram matrix ``K_ij = k(X1_i . X2_j / scale)`` of a dot-product kernel (THEORY §7).

    Parameters
    ----------
    X1 : array (n1, d)
    X2 : array (n2, d) or None (then ``X2 = X1``)
    kernel, param : as accepted by :func:`as_kernel`
    scale : float, optional
        Normalisation of the dot product, default ``d`` (so ``t = x . x' / d``).
    on_sphere : bool, default False
        Evaluate the kernel on the inputs rescaled to ``|x|^2 = d`` (:func:`to_sphere`), i.e. at
        the cosine of the angle between inputs (with ``scale = d``): the form whose
        high-dimensional limit the theory describes, without the finite-size spread of the norms.
    """
    X1, X2 = _pair(X1, X2)
    if on_sphere:
        X1, X2 = to_sphere(X1), to_sphere(X2)
    scale = float(X1.shape[1] if scale is None else scale)
    return np.asarray(as_kernel(kernel, param).k((X1 @ X2.T) / scale), dtype=float)


@validated(gamma=Interval(0.0, np.inf), scale=Interval(0.0, np.inf, low_open=True, optional=True))
def rbf_gram(X1, X2, gamma, *, scale=None):
    """Distance-based RBF ``exp(-gamma |x - x'|^2 / scale)`` (default ``scale = d``).

    Equals ``gram(X1, X2, RBF, gamma)`` when all ``|x|^2 = scale``; use it on real data (with
    ``scale`` set to the typical squared distance between training points, THEORY §7) where the
    norms do not concentrate.
    """
    X1, X2 = _pair(X1, X2)
    scale = float(X1.shape[1] if scale is None else scale)
    sq = np.sum(X1 * X1, axis=1)[:, None] + np.sum(X2 * X2, axis=1)[None, :] - 2.0 * (X1 @ X2.T)
    return np.exp(-float(gamma) * np.maximum(sq, 0.0) / scale)
