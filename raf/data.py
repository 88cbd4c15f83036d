"""Gaussian Rules-and-Facts data (THEORY.md §1; paper Sec. 2.1).

``n = round(alpha d)`` inputs ``x ~ N(0, I_d)``, a teacher ``w* ~ N(0, I_d)`` and the
teacher field ``z = w* . x / sqrt(d)``. Each sample is independently a *fact* with
probability ``eps`` -- its label is a fair coin ``+-1`` -- and otherwise a *rule*
sample labelled ``sign(z)``. This is the output channel
``P(y | z) = eps/2 + (1 - eps) Theta(y z)`` of the theory, so the number of facts is
Binomial(n, eps) (``exact_fraction=True`` fixes it to ``round(eps n)`` instead, which
removes that source of seed-to-seed spread without changing the ``d -> inf`` limit).

Test data are fresh Gaussian inputs labelled by the rule, ``y = sign(z)``: the
generalization error ``E_gen`` of THEORY §1 is the test error on them.

Randomness only through ``seed`` (anything :func:`numpy.random.default_rng` accepts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from raf._validation import Integer, Interval, validated

__all__ = ["RAFData", "sample", "sample_test", "n_samples"]


@dataclass(frozen=True, eq=False)
class RAFData:
    """A Gaussian RAF training set.

    Attributes
    ----------
    X : array (n, d)
        Inputs, i.i.d. standard Gaussian.
    y : array (n,)
        Labels in {-1.0, +1.0}.
    is_fact : bool array (n,)
        True for the facts (random labels). The learner never sees it.
    teacher : array (d,)
        The teacher ``w*``.
    z : array (n,)
        Teacher fields ``w* . x / sqrt(d)``.
    alpha, eps : float
        The parameters the set was drawn with.
    """

    X: np.ndarray
    y: np.ndarray
    is_fact: np.ndarray
    teacher: np.ndarray
    z: np.ndarray
    alpha: float
    eps: float

    @property
    def n(self):
        return self.X.shape[0]

    @property
    def d(self):
        return self.X.shape[1]


_D, _ALPHA, _EPS = Integer(1), Interval(0.0, np.inf, low_open=True), Interval(0.0, 1.0)


@validated(d=_D, alpha=_ALPHA)
def n_samples(d, alpha):
    """``n = round(alpha d)``, at least 1."""
    n = int(round(float(alpha) * d))
    if n < 1:
        raise ValueError(
            f"alpha * d must give at least one sample. Got alpha={float(alpha)!r}, d={d!r}.")
    return n


def _sign(z):
    # sign with sign(0) = +1 (a measure-zero event), so labels are always +-1
    return np.where(z >= 0, 1.0, -1.0)


@validated(d=_D, alpha=_ALPHA, eps=_EPS)
def sample(d, alpha, eps, *, seed, exact_fraction=False):
    """Draw a Gaussian RAF training set (THEORY §1).

    Parameters
    ----------
    d : int >= 1
        Input dimension.
    alpha : float > 0
        Sample complexity; ``n = round(alpha d)``.
    eps : float in [0, 1]
        Fraction of facts.
    seed : int, sequence of int, SeedSequence or Generator
        Randomness; the same seed gives the same arrays.
    exact_fraction : bool, default False
        False: each sample is a fact independently with probability ``eps`` (the
        theory's channel). True: exactly ``round(eps n)`` facts at random positions.

    Returns
    -------
    RAFData
    """
    n = n_samples.__wrapped__(d, alpha)
    eps = float(eps)
    rng = np.random.default_rng(seed)
    teacher = rng.standard_normal(d)
    X = rng.standard_normal((n, d))
    z = X @ teacher / np.sqrt(d)
    if exact_fraction:
        is_fact = np.zeros(n, dtype=bool)
        is_fact[rng.permutation(n)[: int(round(eps * n))]] = True
    else:
        is_fact = rng.random(n) < eps
    coin = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    y = np.where(is_fact, coin, _sign(z))
    return RAFData(X=X, y=y, is_fact=is_fact, teacher=teacher, z=z,
                   alpha=float(alpha), eps=eps)


@validated(n_test=_D)
def sample_test(teacher, n_test, *, seed):
    """Fresh rule-labelled test inputs: ``(X_test (n_test, d), y_rule (n_test,))``.

    ``y_rule = sign(teacher . x / sqrt(d))``: the test error against these labels is
    the generalization error ``E_gen`` (THEORY §1).
    """
    teacher = np.asarray(teacher, dtype=float)
    if teacher.ndim != 1 or teacher.size == 0:
        raise ValueError(
            "The 'teacher' parameter must be a non-empty 1-d array. "
            f"Got shape {teacher.shape} instead.")
    d = teacher.size
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_test, d))
    return X, _sign(X @ teacher / np.sqrt(d))
