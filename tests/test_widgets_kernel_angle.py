"""The kernel-angle explorer (raf.widgets.kernel_angle): sliders redraw curves from raf.theory.

The state after each change must equal ``raf.theory.erm`` at the slider values (same call, so
the tolerance is round-off), in both views and for both losses.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from raf.theory import erm, theta_star  # noqa: E402
from raf.widgets.base import Explorer  # noqa: E402
from raf.widgets.kernel_angle import VIEWS, explorer_curves, kernel_angle_explorer  # noqa: E402


def _at(s):
    return erm(s["alpha"], s["eps"], s["lam"], loss=s["loss"], mu1=np.cos(s["theta"]),
               mustar=np.sin(s["theta"]))


def test_explorer_builds_with_theta_star_and_matches_theory():
    ex = kernel_angle_explorer()
    assert isinstance(ex, Explorer)
    assert set(ex.controls) == {"alpha", "eps", "lam", "theta", "loss", "view"}
    s = ex.state
    assert s["view"] == VIEWS[0] and s["loss"] == "square"
    assert s["theta_star"] == pytest.approx(float(theta_star(0.2)))
    assert s["theta"] == pytest.approx(s["theta_star"], abs=0.011)  # slider step 0.02
    r = erm(s["alpha"], s["eps"], s["lam"], mu1=np.cos(s["theta_grid"]), mustar=np.sin(s["theta_grid"]))
    np.testing.assert_allclose(s["e_gen"], r.e_gen, atol=1e-14)
    np.testing.assert_allclose(s["e_mem"], r.e_mem, atol=1e-14)
    assert s["e_gen_at"] == pytest.approx(float(_at(s).e_gen), abs=1e-14)


def test_sliders_change_the_state_and_it_stays_exact():
    ex = kernel_angle_explorer()
    before = dict(ex.state)
    ex.controls["alpha"].value = 10.0
    ex.controls["eps"].value = 0.4
    ex.controls["lam"].value = 1.0
    ex.controls["theta"].value = 0.5
    s = ex.state
    assert (s["alpha"], s["eps"], s["lam"], s["theta"]) == (10.0, 0.4, 1.0, 0.5)
    assert s["e_gen_at"] != before["e_gen_at"]
    assert s["theta_star"] == pytest.approx(float(theta_star(0.4)))
    r = _at(s)
    assert s["e_gen_at"] == pytest.approx(float(r.e_gen), abs=1e-14)
    assert s["e_mem_at"] == pytest.approx(float(r.e_mem), abs=1e-14)


def test_hinge_and_tradeoff_view():
    ex = kernel_angle_explorer(alpha=2.0, lam=0.1)
    ex.controls["loss"].value = "hinge"
    ex.controls["view"].value = VIEWS[1]
    s = ex.state
    assert s["loss"] == "hinge" and "lam_grid" in s
    r = erm(2.0, s["eps"], s["lam_grid"], loss="hinge", mu1=np.cos(s["theta"]), mustar=np.sin(s["theta"]))
    np.testing.assert_allclose(s["e_gen"], r.e_gen, atol=1e-12)
    np.testing.assert_allclose(s["e_mem"], r.e_mem, atol=1e-12)
    assert s["e_gen_at"] == pytest.approx(float(_at(s).e_gen), abs=1e-12)
    # the figure holds the curve just drawn
    line = ex.fig.axes[0].lines[0]
    np.testing.assert_allclose(line.get_xdata(), s["e_gen"])


def test_explorer_curves_validates():
    with pytest.raises(ValueError, match="'view'"):
        explorer_curves(2.0, 0.2, 0.1, 0.5, "square", "table")
    with pytest.raises(ValueError, match="'lam'"):
        explorer_curves(2.0, 0.2, 0.0, 0.5, "square", VIEWS[0])
    with pytest.raises(ValueError, match="'alpha'"):
        kernel_angle_explorer(alpha=100.0)
