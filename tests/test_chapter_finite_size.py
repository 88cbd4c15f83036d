"""Key numbers of book/finite_size.md, executed with quick=True (d of 40 to 160, a few seeds).

Every simulation of the chapter is checked against its theory with the tolerance

    |mean - theory| < 3 * sem + C / d,

where sem is the standard error of the mean over the seeds (the seed spread, measured in the run)
and C / d the finite-size bias: C is the largest slope c of E(d) = E_inf + c/d measured by the
chapter's own scaling fits at full size (d = 100 to 400 and beyond, see the chapter's table), with
a margin: KRR at lambda -> 0+ (RBF and truncated quadratic at theta*) |c| <= 1.5, the hinge
perceptron's E_mem at alpha = 3.5 |c| = 3.25 measured, bounded by 3.5 (C_KRR and C_HINGE below).
"""

from __future__ import annotations

import numpy as np
import pytest
from booktools import run_chapter

C_KRR = 1.5     # finite-size slope bound of KRR errors (chapter's fits: largest, truncated quadratic)
C_HINGE = 3.5   # the same for the hinge perceptron's E_mem at alpha = 3.5 (measured 3.25)


@pytest.fixture(scope="module")
def results():
    return run_chapter("finite_size").results


def _within(mean, sem, theory, d, C):
    mean, sem, theory = (np.asarray(x, float) for x in (mean, sem, theory))
    return np.abs(mean - theory) < 3 * sem + C / d


def test_relu_on_the_sphere_lands_on_theory_the_dot_form_does_not(results):
    r = results["relu"]
    assert _within(r["e_gen"]["sphere"], r["e_gen_sem"]["sphere"], r["theory"], r["d"], C_KRR)
    assert r["e_gen"]["dot"] - r["theory"] > 0.05 + 3 * r["e_gen_sem"]["dot"]
    assert 0.5 < r["mean_ridge_ratio"] < 0.9  # the implicit ridge biased down (about 0.73 at d=100)


@pytest.mark.parametrize("name", ["krr_theta_star", "matched_quadratic", "hinge_e_mem"])
def test_every_scaling_point_is_within_its_tolerance(results, name):
    st = results["studies"][name]
    C = C_HINGE if name == "hinge_e_mem" else C_KRR
    d = np.asarray(results["d_values"], float)[:, None]
    assert np.all(_within(st["mean"], st["sem"], np.asarray(st["theory"])[None, :], d, C))


@pytest.mark.parametrize("name", ["krr_theta_star", "matched_quadratic", "hinge_e_mem"])
def test_extrapolation_lands_on_theory(results, name):
    """Within 3 standard errors at quick size (the chapter at full size: within 2)."""
    st = results["studies"][name]
    assert np.all(np.abs(st["z"]) < 3)
    assert np.all(np.asarray(st["e_inf_sem"]) < 0.05)  # an error bar that says something


def test_two_kernels_with_equal_coefficients_extrapolate_to_one_value(results):
    a, b = results["studies"]["krr_theta_star"], results["studies"]["matched_quadratic"]
    np.testing.assert_allclose(a["theory"], b["theory"], rtol=1e-12)  # same (mu1, mustar)
    diff = np.abs(np.asarray(a["e_inf"]) - np.asarray(b["e_inf"]))
    both = np.hypot(a["e_inf_sem"], b["e_inf_sem"])
    assert np.all(diff < 3 * both)
