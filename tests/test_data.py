"""Tests of raf.data: Gaussian RAF samples (THEORY §1)."""

import numpy as np
import pytest

from raf.data import RAFData, n_samples, sample, sample_test


def test_shapes_and_types():
    data = sample(50, 2.5, 0.3, seed=0)
    assert isinstance(data, RAFData)
    assert data.X.shape == (125, 50) and data.n == 125 and data.d == 50
    assert data.y.shape == data.is_fact.shape == data.z.shape == (125,)
    assert data.teacher.shape == (50,)
    assert data.is_fact.dtype == bool
    assert set(np.unique(data.y)) <= {-1.0, 1.0}
    assert data.alpha == 2.5 and data.eps == 0.3


def test_rule_labels_are_teacher_signs():
    data = sample(40, 3.0, 0.4, seed=1)
    z = data.X @ data.teacher / np.sqrt(40)
    np.testing.assert_allclose(z, data.z)
    rule = ~data.is_fact
    np.testing.assert_array_equal(data.y[rule], np.sign(z[rule]))


def test_fact_fraction_and_fact_labels():
    # facts are i.i.d. with probability eps: their count is Binomial(n, eps)
    data = sample(200, 50.0, 0.3, seed=2)  # n = 10000
    n = data.n
    frac = data.is_fact.mean()
    assert abs(frac - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    # fact labels are fair coins, independent of the teacher's sign
    yf, zf = data.y[data.is_fact], np.sign(data.z[data.is_fact])
    m = yf.size
    assert abs(yf.mean()) < 4 / np.sqrt(m)
    assert abs(np.mean(yf == zf) - 0.5) < 4 * 0.5 / np.sqrt(m)


def test_exact_fraction():
    data = sample(100, 2.0, 0.25, seed=3, exact_fraction=True)
    assert data.is_fact.sum() == round(0.25 * 200)


def test_eps_limits():
    assert not sample(20, 2.0, 0.0, seed=0).is_fact.any()
    assert sample(20, 2.0, 1.0, seed=0).is_fact.all()


def test_determinism():
    a, b = sample(30, 2.0, 0.2, seed=7), sample(30, 2.0, 0.2, seed=7)
    for f in ("X", "y", "is_fact", "teacher", "z"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    c = sample(30, 2.0, 0.2, seed=8)
    assert not np.array_equal(a.X, c.X)
    X1, y1 = sample_test(a.teacher, 100, seed=5)
    X2, y2 = sample_test(a.teacher, 100, seed=5)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


def test_sample_test_labels():
    teacher = np.random.default_rng(0).standard_normal(25)
    X, y = sample_test(teacher, 500, seed=1)
    assert X.shape == (500, 25) and y.shape == (500,)
    np.testing.assert_array_equal(y, np.sign(X @ teacher))


def test_n_samples_rounding():
    assert n_samples(100, 1.234) == 123
    assert n_samples(10, 0.26) == 3


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(d=10, alpha=1.0, eps=1.5), r"'eps' parameter must be a float in the range \[0, 1\]"),
        (dict(d=10, alpha=1.0, eps=-0.1), r"'eps'.*Got -0.1"),
        (dict(d=10, alpha=0.0, eps=0.1),
         r"'alpha' parameter must be a float in the range \(0, inf\)"),
        (dict(d=10, alpha=-2.0, eps=0.1), r"'alpha'"),
        (dict(d=0, alpha=1.0, eps=0.1), r"'d' parameter must be an int in the range \[1, inf\)"),
        (dict(d=10.5, alpha=1.0, eps=0.1), r"'d' parameter must be an int"),
        (dict(d=10, alpha=0.01, eps=0.1), r"at least one sample"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample(**kwargs, seed=0)


def test_bad_test_input():
    with pytest.raises(ValueError, match="'n_test'"):
        sample_test(np.ones(5), 0, seed=0)
    with pytest.raises(ValueError, match="'teacher'"):
        sample_test(np.ones((2, 5)), 10, seed=0)
