"""The logistic loss in the explorers' loss menus: their state must be raf.theory's."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("ipywidgets")

from raf.theory import erm, square_large_lambda  # noqa: E402
from raf.tradeoff import activation_mu  # noqa: E402
from raf.widgets.kernel_angle import VIEWS, kernel_angle_explorer  # noqa: E402
from raf.widgets.perceptron_tradeoff import perceptron_tradeoff_explorer  # noqa: E402


def test_kernel_angle_explorer_logistic():
    ex = kernel_angle_explorer(alpha=2.0, lam=0.1)
    assert "logistic" in ex.controls["loss"].options
    ex.controls["loss"].value = "logistic"
    for view in VIEWS:
        ex.controls["view"].value = view
        s = ex.state
        assert s["loss"] == "logistic"
        if view == VIEWS[0]:
            th = s["theta_grid"]
            r = erm(2.0, s["eps"], s["lam"], loss="logistic", mu1=np.cos(th), mustar=np.sin(th))
        else:
            r = erm(2.0, s["eps"], s["lam_grid"], loss="logistic", mu1=np.cos(s["theta"]),
                    mustar=np.sin(s["theta"]))
        np.testing.assert_allclose(s["e_gen"], r.e_gen, atol=1e-12)
        np.testing.assert_allclose(s["e_mem"], r.e_mem, atol=1e-12)


def test_perceptron_tradeoff_explorer_logistic():
    ex = perceptron_tradeoff_explorer(activation="relu", n_lam=9)
    assert "logistic" in ex.controls["loss"].options
    ex.controls["loss"].value = "logistic"
    s = ex.state
    mu1, mustar = activation_mu("relu")
    r = erm(s["alpha"], s["eps"], s["lam"], loss="logistic", mu1=mu1, mustar=mustar)
    np.testing.assert_allclose(s["e_gen"], r.e_gen, atol=1e-10)
    hinge0 = erm(s["alpha"], s["eps"], 0.0, loss="hinge", mu1=mu1, mustar=mustar)
    assert s["e_gen_lam0"] == pytest.approx(float(hinge0.e_gen), abs=1e-12)  # the max-margin end point
    g, _ = square_large_lambda(s["alpha"], s["eps"], mu1, mustar)
    assert s["e_gen_laminf"] == pytest.approx(float(g), abs=1e-12)
