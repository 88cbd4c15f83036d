"""The intro explorer (raf.widgets.intro): sliders redraw a RAF sample and report its counts.

The state of the explorer must equal what ``raf.data.sample`` gives at the slider values (same
seed, same arrays), so the picture and the numbers printed beside it are the data model's.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from raf.data import sample  # noqa: E402
from raf.widgets.base import Explorer  # noqa: E402
from raf.widgets.intro import (  # noqa: E402
    intro_explorer,
    label_fractions,
    label_summary,
    plot_sample,
    project,
)


def _counts(d, alpha, eps, seed):
    data = sample(d, alpha, eps, seed=seed)
    rule = np.where(data.z >= 0, 1.0, -1.0)
    return data, int(data.is_fact.sum()), int(np.sum(data.y != rule))


def test_explorer_builds_and_matches_raf_data():
    ex = intro_explorer(d=40)
    assert isinstance(ex, Explorer)
    assert set(ex.controls) == {"alpha", "eps", "seed"}
    data, n_facts, n_against = _counts(40, ex.state["alpha"], ex.state["eps"], ex.state["seed"])
    assert ex.state["n"] == data.n == round(ex.state["alpha"] * 40)
    assert ex.state["n_facts"] == n_facts
    assert ex.state["facts_against"] == n_against


def test_sliders_change_the_state():
    ex = intro_explorer(d=40)
    before = dict(ex.state)
    ex.controls["eps"].value = 0.8
    ex.controls["alpha"].value = 6.0
    ex.controls["seed"].value = 7
    after = ex.state
    assert after != before
    assert (after["alpha"], after["eps"], after["seed"]) == (6.0, 0.8, 7)
    data, n_facts, n_against = _counts(40, 6.0, 0.8, 7)
    assert after["n"] == data.n == 240
    assert after["n_facts"] == n_facts
    assert after["facts_against"] == n_against
    assert after["frac_against_rule"] == pytest.approx(n_against / data.n)
    assert after["expected_facts"] == pytest.approx(0.8 * 240)
    assert after["expected_against"] == pytest.approx(0.4 * 240)
    # the figure was redrawn: one scatter axis with the rule boundary
    assert len(ex.fig.axes) == 1


def test_no_facts_at_eps_zero():
    ex = intro_explorer(d=30)
    ex.controls["eps"].value = 0.0
    assert ex.state["n_facts"] == 0 and ex.state["facts_against"] == 0
    assert np.isnan(ex.state["facts_agree"])


def test_projection_is_teacher_plus_orthogonal_direction():
    data = sample(60, 3.0, 0.4, seed=2)
    t, u = project(data)
    w_hat = data.teacher / np.linalg.norm(data.teacher)
    np.testing.assert_allclose(t, data.X @ w_hat)
    # u is a projection on a unit vector orthogonal to w*: recover it by least squares
    v, *_ = np.linalg.lstsq(data.X, u, rcond=None)
    assert abs(np.linalg.norm(v) - 1) < 1e-8 and abs(v @ w_hat) < 1e-8
    # the rule labels are the sign of the first coordinate
    rule = ~data.is_fact
    np.testing.assert_array_equal(np.sign(t[rule]), data.y[rule])


def test_label_summary_and_fractions():
    data = sample(20, 10.0, 0.5, seed=1)
    s = label_summary(data)
    assert s["n"] == 200 and s["d"] == 20
    assert s["facts_agree"] == pytest.approx(1 - s["facts_against"] / s["n_facts"])
    # rule samples never go against the rule, so only facts can
    assert s["facts_against"] <= s["n_facts"]
    st = label_fractions(20, 50.0, [0.0, 0.5, 1.0], seeds=[0, 1])
    assert st["frac_facts_mean"][0] == 0 and st["frac_facts_mean"][-1] == 1
    assert np.isnan(st["facts_agree_mean"][0])
    assert st["n_facts_total"] > 0
    # the error bars are standard errors: sample spread (ddof=1) over sqrt(number of seeds)
    assert np.allclose(st["frac_against_rule_sem"], st["frac_against_rule_std"] / np.sqrt(2))
    assert st["frac_against_rule_sem"][1] > 0
    assert abs(st["facts_agree_pooled"] - 0.5) < 5 * 0.5 / np.sqrt(st["n_facts_total"])
    with pytest.raises(ValueError, match="eps_grid"):
        label_fractions(20, 1.0, [1.5], seeds=[0])
    with pytest.raises(ValueError, match="seeds"):
        label_fractions(20, 1.0, [0.5], seeds=[])


def test_plot_sample_returns_summary():
    import matplotlib.pyplot as plt

    data = sample(30, 2.0, 0.3, seed=0)
    fig, ax = plt.subplots()
    s = plot_sample(ax, data)
    assert s == label_summary(data)
    plt.close(fig)
