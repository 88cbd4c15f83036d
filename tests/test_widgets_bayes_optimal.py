"""The Bayes-optimal explorer (raf.widgets.bayes_optimal): its state must be raf.theory's."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from raf.rates import bayes_large_alpha_coefficient  # noqa: E402
from raf.theory import bayes_optimal, erm, lambda_opt_square  # noqa: E402
from raf.widgets.base import Explorer  # noqa: E402
from raf.widgets.bayes_optimal import bayes_optimal_explorer, explorer_curves  # noqa: E402


def _check_against_theory(s):
    a, e = s["alpha"], s["eps"]
    assert s["e_bo_at"] == pytest.approx(float(bayes_optimal(a, e).e_gen), abs=1e-12)
    lam = float(lambda_opt_square(e))
    assert s["lam_opt"] == pytest.approx(lam, rel=1e-12)
    assert s["e_lin_at"] == pytest.approx(float(erm(a, e, lam, loss="square").e_gen), abs=1e-12)
    assert np.allclose(s["e_bo"], bayes_optimal(s["alpha_grid"], e).e_gen, atol=1e-12)
    assert s["c_bo"] == pytest.approx(bayes_large_alpha_coefficient(e), rel=1e-12)
    # the Bayes-optimal error is a lower bound for the ridge estimator
    assert np.all(s["e_lin"] >= s["e_bo"] - 1e-12)
    assert s["gap_at"] >= -1e-12


def test_explorer_builds_and_matches_theory():
    ex = bayes_optimal_explorer()
    assert isinstance(ex, Explorer)
    assert set(ex.controls) == {"alpha", "eps"}
    _check_against_theory(ex.state)


def test_sliders_change_the_state():
    ex = bayes_optimal_explorer(alpha=2.0, eps=0.2)
    before = dict(ex.state)
    ex.controls["eps"].value = 0.5
    ex.controls["alpha"].value = 10.0
    after = ex.state
    assert (after["alpha"], after["eps"]) == pytest.approx((10.0, 0.5))
    assert after["e_bo_at"] != before["e_bo_at"]
    assert after["lam_opt"] == pytest.approx(np.pi / (2 * 0.25) - 1)
    _check_against_theory(after)


def test_eps_zero_is_the_classical_perceptron():
    s = explorer_curves(1000.0, 0.0)
    # E_BO ~ 0.4417/alpha for the teacher-student perceptron
    assert s["e_bo_at"] * 1000 == pytest.approx(0.4417, rel=2e-3)


def test_bad_values_are_rejected():
    with pytest.raises(ValueError, match="'eps' parameter"):
        explorer_curves(1.0, 1.0)
    with pytest.raises(ValueError, match="'alpha' parameter"):
        bayes_optimal_explorer(alpha=1e5)
