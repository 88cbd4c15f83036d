"""raf.plotting: the multi-panel figures moved out of the chapters (paper Fig. 3, 5, 12, 15)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from raf.angle_sweeps import angle_sweep  # noqa: E402
from raf.plotting import plot_angle_sweeps, plot_bandwidths  # noqa: E402
from raf.result import Result  # noqa: E402
from raf.theory import erm  # noqa: E402


def test_plot_angle_sweeps_draws_every_curve():
    th = np.linspace(0.1, 1.4, 9)
    sweeps = [angle_sweep([2.0, 4.0], e, th, loss="square") for e in (0.2, 0.5)]
    fig, axes = plt.subplots(2, 3)
    shift = np.array([0.01, 0.02])
    plot_angle_sweeps(axes, sweeps, shift, theta_mark=0.8)
    for row, sw in zip(axes, sweeps):
        lines = [ln for ln in row[0].get_lines() if ln.get_label().startswith("$\\alpha")]
        assert len(lines) == 2
        np.testing.assert_allclose(lines[1].get_ydata(), sw.e_gen_0[1] - shift[1])
        np.testing.assert_allclose(row[2].get_lines()[0].get_ydata(), sw.e_mem_opt[0])
        assert "KRR" in row[0].get_ylabel() and row[0].get_xlabel()
    plt.close(fig)


def test_plot_angle_sweeps_draws_the_simulation_points():
    from raf.result import Result

    th = np.linspace(0.1, 1.4, 9)
    sw = angle_sweep([2.0, 4.0], 0.2, th, loss="square")
    rng = np.random.default_rng(1)
    pts = Result({"theta": np.array([[0.5], [0.9]]), "alpha": 4.0},
                 {k: rng.uniform(0.1, 0.3, (2, 2)) for k in ("e_gen", "e_gen_sem", "e_mem", "e_mem_sem")})
    fig, axes = plt.subplots(1, 3)
    shift = np.array([0.01, 0.02])
    plot_angle_sweeps(axes, [sw], shift, points=[[pts]], points_label="sim")
    bars = axes[0].containers[0]   # ridge 0, shifted by the shift of its alpha, in its colour
    np.testing.assert_allclose(bars.lines[0].get_ydata(), pts.e_gen[:, 0] - 0.02)
    np.testing.assert_allclose(axes[2].containers[0].lines[0].get_ydata(), pts.e_mem[:, 1])
    assert bars.lines[0].get_color() == "C1" and bars.get_label() == "sim"
    assert "sim" in [t.get_text() for t in fig.legends[0].get_texts()]
    with pytest.raises(ValueError, match="'points' parameter"):
        plot_angle_sweeps(axes, [sw], points=[[Result({"theta": [[0.5]], "alpha": 3.0}, pts.outputs)]])
    plt.close(fig)


def test_plot_bandwidths_panels():
    B, L, R = 3, 4, 2
    rng = np.random.default_rng(0)
    reps = rng.uniform(0.3, 0.4, (B, L, R))
    res = Result({"lam": np.geomspace(1e-3, 1e1, L)[None, :], "theta": np.array([[0.5], [0.9], [1.2]])},
                 {"e_gen": reps.mean(-1), "e_gen_sem": reps.std(-1, ddof=1) / np.sqrt(R),
                  "e_mem": reps.mean(-1) / 2, "e_mem_sem": reps.std(-1, ddof=1) / np.sqrt(R),
                  "e_gen_repeats": reps}, trailing={"e_gen_repeats": "repeat"})
    curves = erm(1.0, 0.2, np.geomspace(1e-3, 1e1, 6)[None, :], mu1=np.array([[0.9], [0.6], [0.3]]),
                 mustar=np.array([[0.3], [0.6], [0.9]]))
    fine = np.geomspace(0.2, 5, 7)
    zero = erm(1.0, 0.2, 0.0, mu1=np.cos(np.linspace(0.3, 1.3, 7)), mustar=np.sin(np.linspace(0.3, 1.3, 7)))
    fig, axes = plt.subplots(2, 2)
    plot_bandwidths(axes, res, [0.5, 1.0, 2.0], curves, (fine, zero, zero), highlight=1)
    assert len(axes[0, 0].get_lines()) == B and axes[0, 0].get_lines()[1].get_linewidth() == 3.0
    assert len(axes[0, 1].containers) == B  # error bars, one per bandwidth
    legend = axes[0, 1].get_legend()  # the panel's name heads its legend, above the data
    assert "2 draws" in axes[0, 1].get_title() + (legend.get_title().get_text() if legend else "")
    assert axes[1, 1].get_xscale() == "log" and axes[1, 0].get_ylabel()
    plt.close(fig)
