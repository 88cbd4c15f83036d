"""The two-layer-network explorer (raf.widgets.two_layer_network): state, theory lines, speed."""

from __future__ import annotations

import math
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

pytest.importorskip("ipywidgets")

from raf.kernels import coefficients  # noqa: E402
from raf.theory import bayes_optimal, erm, theta_star  # noqa: E402
from raf.widgets.base import Explorer  # noqa: E402
from raf.widgets.two_layer_network import explorer_curves, two_layer_network_explorer  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    with threadpool_limits(1):
        yield


def test_explorer_builds_and_lines_are_theory():
    ex = two_layer_network_explorer(steps=100)
    assert isinstance(ex, Explorer)
    assert set(ex.controls) == {"kappa", "lam", "steps", "alpha", "loss"}
    s = ex.state
    _, mu1, mustar = coefficients("relu")
    th = float(theta_star(0.2))
    assert s["kernel"] == pytest.approx(float(erm(s["alpha"], 0.2, 0.0, mu1=mu1, mustar=mustar).e_gen))
    assert s["theta_star"] == pytest.approx(float(erm(s["alpha"], 0.2, 0.0, mu1=math.cos(th),
                                                      mustar=math.sin(th)).e_gen))
    assert s["bayes"] == pytest.approx(float(bayes_optimal(s["alpha"], 0.2).e_gen))
    assert np.all(np.diff(s["time"]) > 0)
    for k in ("trained", "frozen"):
        assert s["e_gen"][k].shape == s["time"].shape


def test_controls_change_the_state():
    ex = two_layer_network_explorer(steps=60)
    before = ex.state["e_gen"]["trained"].copy()
    ex.controls["kappa"].value = 2.0
    assert ex.state["kappa"] == 2.0 and not np.array_equal(ex.state["e_gen"]["trained"], before)
    ex.controls["loss"].value = "square"
    assert ex.state["loss"] == "square"


def test_recomputes_within_seconds():
    t = time.process_time()
    s = explorer_curves(1.0, 1e-4, 400, "logistic", 4.0)
    assert time.process_time() - t < 5.0     # CPU seconds: independent of other jobs on the machine
    assert s["e_mem"]["trained"][-1] == 0.0   # 400 steps store every fact at alpha = 4, d = 50


def test_bad_values_are_rejected():
    with pytest.raises(ValueError, match="'kappa' parameter"):
        explorer_curves(0.0, 0.0, 10, "logistic")
    with pytest.raises(ValueError, match="'loss' parameter"):
        explorer_curves(1.0, 0.0, 10, "absolute")
    with pytest.raises(ValueError, match="'steps' parameter"):
        explorer_curves(1.0, 0.0, 0, "logistic")
