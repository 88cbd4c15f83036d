"""The explorers' readout and figure (raf/widgets/base.py) and the CIFAR10-RAF explorer that runs
on recorded results (raf/widgets/cifar10_live.py), without a browser."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from raf.kernels import RBF  # noqa: E402
from raf.theory import bayes_optimal, erm  # noqa: E402
from raf.widgets import cifar10_live  # noqa: E402
from raf.widgets.base import Explorer, readout_html  # noqa: E402


def _values(html: str) -> dict:
    return {k: float(v) for k, v in re.findall(r'data-key="([^"]+)" data-value="([^"]+)"', html)}


def test_readout_shows_known_numbers_with_full_precision():
    html = readout_html({"e_gen_at": 0.123456789, "lam": np.arange(3), "n": 7, "flag": True,
                         "e_mem_at": float("nan")})
    assert _values(html)["e_gen_at"] == 0.123456789
    assert "E_gen = 0.1235" in html and "n = 7" in html
    assert "E_mem = —" in html  # not finite: a dash, not "nan"
    assert "lam" not in _values(html) and "flag" not in html


def test_readout_of_an_explorer_follows_every_redraw():
    from raf.widgets.bayes_optimal import bayes_optimal_explorer

    ex = bayes_optimal_explorer(alpha=2.0, eps=0.2)
    png = ex.image.value
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    ex.controls["eps"].value = 0.3
    got = _values(ex.readout.value)
    assert got["e_bo_at"] == pytest.approx(float(bayes_optimal(2.0, 0.3).e_gen), rel=1e-12)
    assert ex.image.value != png


def test_explorer_leaves_no_static_copy_of_its_figure():
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())

    def draw(fig, *, x):
        fig.add_subplot(111).plot([0, 1], [0, x])
        return {"e_gen_at": x}

    ex = Explorer({"x": __import__("ipywidgets").FloatSlider(value=0.5)}, draw)
    assert set(plt.get_fignums()) == before  # closed: pyplot will not show it again
    assert _values(ex.readout.value) == {"e_gen_at": 0.5}
    custom = Explorer({"x": __import__("ipywidgets").FloatSlider(value=0.2)}, draw,
                      readout=lambda s: f"<b>x={s['e_gen_at']}</b>")
    assert custom.readout.value == "<b>x=0.2</b>"


@pytest.fixture
def recorded():
    """Recorded results of the shape the chapter writes (two kernels, five ridges)."""
    gamma_star = 0.8
    lams = np.geomspace(1e-3, 10, 5)
    eg = np.array([[0.30, 0.29, 0.28, 0.30, 0.35], [0.33, 0.31, 0.29, 0.29, 0.31]])
    return {"alpha": 0.5, "eps": 0.2, "n": 1536, "repeats": 3, "loss": "square",
            "rule_classes": ["cat", "dog"], "fact_class": "automobile", "gamma_star": gamma_star,
            "gammas": [gamma_star, 4 * gamma_star], "bandwidths": [1.0, 4.0], "lams": lams.tolist(),
            "e_gen": eg.tolist(), "e_mem": (eg / 3).tolist(), "e_gen_sem": (eg / 10).tolist(),
            "e_mem_sem": (eg / 30).tolist()}


def test_cifar_record_round_trip(tmp_path):
    """record() reads a cifar10_raf_errors Result (over kernel x ridge, repeats trailing)."""
    from raf.result import Result

    K, L, R = 3, 4, 2
    rng = np.random.default_rng(0)
    reps = {k: rng.random((K, L, R)) for k in ("e_gen", "e_mem")}
    col = (slice(None), None)
    res = Result(
        {"kernel": np.array(["rbf", "rbf", "quad"])[col], "gamma": np.array([0.5, 1.0, 0.5])[col],
         "lam": np.geomspace(1e-2, 1, L)[None, :], "alpha": 0.25, "eps": 0.2, "n": 768, "loss": "square",
         "rule_classes": "cat/dog", "fact_class": "automobile"},
        {**{k: v.mean(axis=-1) for k, v in reps.items()},
         **{f"{k}_sem": v.std(axis=-1, ddof=1) / np.sqrt(R) for k, v in reps.items()},
         **{f"{k}_repeats": v for k, v in reps.items()}},
        trailing={"e_gen_repeats": "repeat", "e_mem_repeats": "repeat"})
    rec = cifar10_live.record(res, gamma_star=0.5)
    assert rec["gammas"] == [0.5, 1.0] and rec["bandwidths"] == [1.0, 2.0]  # the quadratic is left out
    assert rec["repeats"] == R and rec["n"] == 768 and rec["rule_classes"] == ["cat", "dog"]
    assert np.allclose(rec["e_gen"], reps["e_gen"].mean(axis=-1)[:2])
    assert np.allclose(rec["e_mem_sem"], reps["e_mem"].std(axis=-1, ddof=1)[:2] / np.sqrt(R))
    path = tmp_path / "live.json"
    path.write_text(json.dumps(rec))
    assert cifar10_live.load(str(path)) == cifar10_live.load(json.dumps(rec)) == rec


def test_cifar_load_names_what_is_missing(recorded):
    bad = dict(recorded)
    del bad["lams"]
    with pytest.raises(ValueError, match="lams"):
        cifar10_live.load(bad)
    bad = dict(recorded, e_mem=[[0.1]])
    with pytest.raises(ValueError, match="e_mem"):
        cifar10_live.load(bad)


def test_cifar_curves_are_the_theory_and_the_recorded_points(recorded):
    s = cifar10_live.explorer_curves(recorded, 1, 0.05)
    mu1, mustar = RBF.coefficients(recorded["gammas"][1])
    th = erm(0.5, 0.2, 0.05, loss="square", mu1=mu1, mustar=mustar)
    assert s["theory_e_gen_at"] == pytest.approx(float(th.e_gen), rel=1e-10)
    assert s["theory_e_mem_at"] == pytest.approx(float(th.e_mem), rel=1e-10, abs=1e-12)
    j = int(np.argmin(np.abs(np.log(recorded["lams"]) - np.log(0.05))))
    assert s["lam_near"] == recorded["lams"][j] and s["cifar_e_gen_at"] == recorded["e_gen"][1][j]
    with pytest.raises(ValueError, match="bandwidth"):
        cifar10_live.explorer_curves(recorded, 2, 0.05)
    with pytest.raises(ValueError, match="lam"):
        cifar10_live.explorer_curves(recorded, 0, 0.0)


def test_cifar_explorer_redraws_on_the_ridge(recorded):
    ex = cifar10_live.cifar10_results_explorer(recorded)
    assert ex.state["bandwidth"] == 1.0  # the recorded kernel closest to gamma*
    first = _values(ex.readout.value)
    ex.controls["lam"].value = 1.0
    after = _values(ex.readout.value)
    mu1, mustar = RBF.coefficients(recorded["gammas"][0])
    assert after["theory_e_gen_at"] == pytest.approx(
        float(erm(0.5, 0.2, 1.0, loss="square", mu1=mu1, mustar=mustar).e_gen), rel=1e-10)
    assert after != first
