"""The large-alpha explorer (raf.widgets.large_alpha_rates): its state must be raf.theory's."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from raf.theory import bayes_optimal, erm, large_alpha_coefficient, lambda_opt_square  # noqa: E402
from raf.widgets.base import Explorer  # noqa: E402
from raf.widgets.large_alpha_rates import explorer_curves, large_alpha_rates_explorer  # noqa: E402


def _check_against_theory(s):
    a = s["alpha_grid"]
    r = erm(a, s["eps"], s["lam_used"], loss=s["loss"], mu1=np.cos(s["theta"]),
            mustar=np.sin(s["theta"]))
    ok = np.isfinite(s["e_gen"])
    assert ok.sum() >= a.size - 2
    assert np.allclose(s["e_gen"][ok], r.e_gen[ok], atol=1e-9)
    assert np.allclose(s["e_bo"], bayes_optimal(a, s["eps"]).e_gen, atol=1e-12)
    assert s["krr_coefficient"] == pytest.approx(large_alpha_coefficient(s["eps"]))


def test_explorer_builds_and_matches_theory():
    ex = large_alpha_rates_explorer()
    assert isinstance(ex, Explorer)
    assert set(ex.controls) == {"eps", "theta", "lam", "loss", "optimal"}
    s = ex.state
    _check_against_theory(s)
    # kernel ridge regression: slope -1/2, coefficient tan(theta*)/pi (paper Eq. (42))
    assert s["slope"] == pytest.approx(-0.5, abs=0.02)
    assert s["coef_at_max"] == pytest.approx(s["krr_coefficient"], rel=0.03)


def test_controls_change_the_state():
    ex = large_alpha_rates_explorer(eps=0.2, theta=0.7, lam=0.1, loss="square")
    before = dict(ex.state)
    ex.controls["eps"].value = 0.4
    ex.controls["theta"].value = 0.3
    ex.controls["lam"].value = 1.0
    s = ex.state
    assert (s["eps"], s["theta"], s["lam"]) == pytest.approx((0.4, 0.3, 1.0))
    assert not np.allclose(s["e_gen"], before["e_gen"])
    _check_against_theory(s)
    ex.controls["optimal"].value = True
    s = ex.state
    assert np.allclose(s["lam_used"], lambda_opt_square(0.4, np.cos(0.3), np.sin(0.3)))
    _check_against_theory(s)
    ex.controls["optimal"].value = False
    ex.controls["loss"].value = "hinge"
    s = ex.state
    assert s["loss"] == "hinge"
    _check_against_theory(s)
    # the SVM also decays as alpha^{-1/2} when eps > 0 (paper Sec. 3.5, Fig. 6, 9)
    assert s["slope"] == pytest.approx(-0.5, abs=0.05)


def test_bad_values_are_rejected():
    with pytest.raises(ValueError, match="'loss' parameter"):
        explorer_curves(0.2, 0.5, 0.1, "absolute")
    with pytest.raises(ValueError, match="'eps' parameter"):
        large_alpha_rates_explorer(eps=0.0)
