"""raf.scaling.fit_finite_size: the extrapolation d -> inf and its error bar."""

import numpy as np
import pytest

from raf.scaling import fit_finite_size, seeds_per_d


def test_exact_data_give_the_line_back():
    d = np.array([100, 200, 400, 800.0])
    fit = fit_finite_size(d, 0.25 + 3.0 / d, np.full(4, 1e-3))
    assert fit.e_inf == pytest.approx(0.25, abs=1e-12)
    assert fit.slope == pytest.approx(3.0, rel=1e-9)
    assert fit.chi2 == pytest.approx(0.0, abs=1e-12) and fit.dof == 2
    # the error bar is that of weighted least squares (no inflation: chi2 < dof)
    A = np.stack([np.ones(4), 1 / d], 1)
    cov = np.linalg.inv(A.T @ A / 1e-6)
    assert fit.e_inf_sem == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-9)


def test_error_bar_covers_the_truth_at_the_nominal_rate():
    """Over many noisy replicas, |e_inf - truth| < 2 e_inf_sem about 95 % of the time."""
    rng = np.random.default_rng(0)
    d = np.array([100, 200, 400, 800, 1600.0])
    sem = 0.02 / np.sqrt(d / 100)
    hits = []
    for _ in range(2000):
        y = 0.19 - 1.5 / d + sem * rng.standard_normal(d.size)
        f = fit_finite_size(d, y, sem)
        hits.append(abs(f.e_inf - 0.19) < 2 * f.e_inf_sem)
    # binomial spread of the rate over 2000 replicas is 0.005; Birge inflation only widens
    assert 0.93 < np.mean(hits) < 0.995


def test_wrong_exponent_is_caught_by_chi2_and_widens_the_error():
    d = np.array([50, 100, 200, 400, 800, 1600.0])
    y = 0.2 + 0.3 / np.sqrt(d)
    sem = np.full(d.size, 2e-4)
    good = fit_finite_size(d, y, sem, exponent=0.5)
    bad = fit_finite_size(d, y, sem, exponent=1.0)
    assert good.birge < 1e-6 and bad.birge > 3
    assert bad.e_inf_sem > 3 * good.e_inf_sem  # inflated by the Birge ratio
    assert good.e_inf == pytest.approx(0.2, abs=1e-10)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="'d'"):
        fit_finite_size([100, 100], [0.2, 0.2], [0.01, 0.01])
    with pytest.raises(ValueError, match="'sem'"):
        fit_finite_size([100, 200], [0.2, 0.2], [0.01, 0.0])
    with pytest.raises(ValueError, match="one shape"):
        fit_finite_size([100, 200], [0.2], [0.01, 0.01])
    with pytest.raises(ValueError, match="'exponent'"):
        fit_finite_size([100, 200], [0.2, 0.2], [0.01, 0.01], exponent=0)


def test_seed_schedule():
    assert seeds_per_d([100, 200, 400, 1600], 48) == [48, 24, 12, 4]
    assert seeds_per_d([1600], 48, min_seeds=6) == [6]


def test_fit_rate_recovers_a_power_law_and_its_error():
    from raf.scaling import fit_rate

    alpha = np.array([10, 30, 100, 300, 1000.0])
    y = 0.35 * alpha ** -0.5
    f = fit_rate(alpha, y, 0.01 * y)
    assert f.slope == pytest.approx(-0.5, abs=1e-12) and f.prefactor == pytest.approx(0.35)
    rng = np.random.default_rng(3)
    z = []
    for _ in range(500):
        noisy = y * (1 + 0.02 * rng.standard_normal(5))
        g = fit_rate(alpha, noisy, 0.02 * y)
        z.append((g.slope + 0.5) / g.slope_sem)
    assert 0.9 < np.mean(np.abs(z) < 2) / 0.95 < 1.05
    with pytest.raises(ValueError, match="'alpha'"):
        fit_rate(alpha[:2], y[:2], y[:2])
