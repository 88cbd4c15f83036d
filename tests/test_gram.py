"""raf.gram: Gram matrices of dot-product kernels on data (THEORY §7)."""

import numpy as np
import pytest

from raf import kernels as K
from raf.gram import as_kernel, gram, rbf_gram


def test_gram():
    rng = np.random.default_rng(0)
    X1, X2 = rng.standard_normal((7, 40)), rng.standard_normal((5, 40))
    G = gram(X1, X2, K.RBF, 0.5)
    assert G.shape == (7, 5)
    np.testing.assert_allclose(G, np.exp(-2 * 0.5 * (1 - X1 @ X2.T / 40)))
    np.testing.assert_allclose(gram(X1, None, "linear"), X1 @ X1.T / 40)
    np.testing.assert_allclose(gram(X1, X2, "erf"), K.ERF_KERNEL(X1 @ X2.T / 40))
    np.testing.assert_allclose(gram(X1, X2, lambda t: t ** 2), (X1 @ X2.T / 40) ** 2)
    np.testing.assert_allclose(gram(X1, X2, "rbf", 0.5), G)
    np.testing.assert_allclose(gram(X1, X2, K.RBF.at(0.5)), G)
    np.testing.assert_allclose(gram(X1, X2, "linear", scale=10.0), X1 @ X2.T / 10)
    # on the sphere |x|^2 = d the distance-based RBF is the dot-product one
    S = X1 / np.linalg.norm(X1, axis=1, keepdims=True) * np.sqrt(40)
    np.testing.assert_allclose(rbf_gram(S, None, 0.7), gram(S, None, K.RBF, 0.7),
                               rtol=1e-12)


def test_gram_bad_input():
    X = np.ones((3, 4))
    with pytest.raises(ValueError, match="'param' parameter is required for the rbf family"):
        gram(X, X, K.RBF)
    with pytest.raises(ValueError, match="'param' parameter must be None"):
        gram(X, X, K.ERF_KERNEL, 0.3)
    with pytest.raises(ValueError, match="'kernel' parameter must be one of"):
        gram(X, X, "laplace")
    with pytest.raises(ValueError, match="same number of columns"):
        gram(X, np.ones((3, 5)), "linear")


def test_as_kernel():
    assert as_kernel("erf") is K.ERF_KERNEL
    k = as_kernel(K.RBF, 0.5)
    assert (k.mu1, k.mustar) == K.RBF.coefficients(0.5)
    f = as_kernel(np.tanh)
    assert f.name == "tanh" and np.isnan(f.mu1)
