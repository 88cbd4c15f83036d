"""The trade-off explorer (raf.widgets.perceptron_tradeoff): its state must be raf.theory's."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from raf.theory import erm, square_large_lambda  # noqa: E402
from raf.tradeoff import activation_mu  # noqa: E402
from raf.widgets.base import Explorer  # noqa: E402
from raf.widgets.perceptron_tradeoff import perceptron_tradeoff_explorer  # noqa: E402


def _check_against_theory(s):
    mu1, mustar = activation_mu(s["activation"])
    assert (s["mu1"], s["mustar"]) == pytest.approx((mu1, mustar))
    r = erm(s["alpha"], s["eps"], s["lam"], loss=s["loss"], mu1=mu1, mustar=mustar, kappa=s["kappa"])
    np.testing.assert_allclose(s["e_gen"], r.e_gen, atol=1e-10)
    np.testing.assert_allclose(s["e_mem"], r.e_mem, atol=1e-10)
    if s["kappa"] is None:
        r0 = erm(s["alpha"], s["eps"], 0.0, loss=s["loss"], mu1=mu1, mustar=mustar)
        assert s["e_gen_lam0"] == pytest.approx(float(r0.e_gen), abs=1e-10)
        assert s["e_mem_lam0"] == pytest.approx(float(r0.e_mem), abs=1e-10)
        g, m = square_large_lambda(s["alpha"], s["eps"], mu1, mustar)
        assert s["e_gen_laminf"] == pytest.approx(float(g), abs=1e-12)
        assert s["e_mem_laminf"] == pytest.approx(float(m), abs=1e-12)
    else:
        assert math.isnan(s["e_gen_lam0"])
    i = int(np.argmin(s["e_gen"]))
    assert s["e_gen_best"] == pytest.approx(float(s["e_gen"][i]))


def test_explorer_builds_and_matches_theory():
    ex = perceptron_tradeoff_explorer(n_lam=15)
    assert isinstance(ex, Explorer)
    assert set(ex.controls) == {"alpha", "eps", "kappa", "activation", "loss"}
    s = ex.state
    assert s["kappa"] is None and s["activation"] == "relu" and s["loss"] == "square"
    assert s["alpha"] == 2.0 and s["eps"] == pytest.approx(0.2)
    _check_against_theory(s)
    assert s["e_mem_lam0"] == 0.0  # a kernel with mustar > 0 memorises every fact at lambda -> 0


def test_controls_change_the_state():
    ex = perceptron_tradeoff_explorer(n_lam=15)
    before = np.array(ex.state["e_gen"])
    ex.controls["activation"].value = "linear"
    ex.controls["loss"].value = "hinge"
    ex.controls["alpha"].value = 4.0          # above alpha_c(0.2) ~ 2.99: no interpolation
    s = ex.state
    assert s["activation"] == "linear" and s["loss"] == "hinge" and s["alpha"] == 4.0
    assert not np.allclose(s["e_gen"], before)
    assert s["e_mem_lam0"] > 0.1
    _check_against_theory(s)
    ex.controls["alpha"].value = 2.0          # below alpha_c(0.2): the max-margin perceptron interpolates
    assert ex.state["e_mem_lam0"] == 0.0
    _check_against_theory(ex.state)


def test_finite_width_option():
    ex = perceptron_tradeoff_explorer(n_lam=12)
    ex.controls["activation"].value = "erf"
    ex.controls["eps"].value = 0.3
    ex.controls["kappa"].value = 1.0
    s = ex.state
    assert s["kappa"] == 1.0 and s["eps"] == pytest.approx(0.3)
    _check_against_theory(s)
    ex.controls["kappa"].value = math.inf     # the "kernel" stop
    assert ex.state["kappa"] is None
    _check_against_theory(ex.state)
