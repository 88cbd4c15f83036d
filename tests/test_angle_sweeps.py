"""raf.angle_sweeps: sweeps over the kernel angle (THEORY §3, §5; paper Fig. 3, 4, 10-13).

The square-loss checks are identities of THEORY §5 (optimal ridge, critical angle), so their
tolerances are round-off; the hinge-loss table is compared with the paper's printed values at
the printing precision plus the search tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from raf import angle_sweeps as asw
from raf import kernels as K
from raf.theory import bayes_optimal, erm, lambda_opt_square, optimal_lambda, theta_star

EPS = 0.2
TH_STAR = float(theta_star(EPS))


def test_square_sweep_follows_the_closed_forms():
    th = np.linspace(0.05, 1.5, 30)
    sw = asw.angle_sweep([2.0, 10.0], EPS, th, loss="square")
    assert sw.e_gen_0.shape == (2, 30) and sw.converged.all()
    np.testing.assert_allclose(sw.lam_opt, np.broadcast_to(lambda_opt_square(EPS, np.cos(th), np.sin(th)),
                                                           (2, 30)), rtol=0, atol=1e-14)
    best = erm(np.array([2.0, 10.0]), EPS, 0.0, mu1=np.cos(TH_STAR), mustar=np.sin(TH_STAR)).e_gen
    below, above = th <= TH_STAR, th > TH_STAR
    # below theta*: the positive optimal ridge reaches the best KRR error, facts are left unfitted
    np.testing.assert_allclose(sw.e_gen_opt[:, below], np.broadcast_to(best[:, None], (2, below.sum())),
                               atol=1e-12)
    assert np.all(sw.e_mem_opt[:, below] > 0)
    # above theta*: lambda_opt = 0+, facts stored, same errors as the ridgeless learner
    assert np.all(sw.lam_opt[:, above] == 0)
    np.testing.assert_array_equal(sw.e_mem_opt[:, above], 0.0)
    np.testing.assert_allclose(sw.e_gen_opt[:, above], sw.e_gen_0[:, above], atol=1e-14)
    assert np.all(sw.e_gen_0 >= best[:, None] - 1e-12)


def test_square_ridgeless_optimum_is_theta_star_for_every_alpha():
    th, e = asw.best_angle([2.0, 4.0, 20.0], EPS, loss="square", regime="ridgeless", lo=0.3, hi=1.4)
    np.testing.assert_allclose(th, TH_STAR, atol=2e-3)  # flat minimum: angle to ~sqrt(tolerance)
    best = erm(np.array([2.0, 4.0, 20.0]), EPS, 0.0, mu1=np.cos(TH_STAR), mustar=np.sin(TH_STAR)).e_gen
    np.testing.assert_allclose(e, best, atol=1e-8)


def test_minimise_angle_on_known_parabolas():
    c = np.array([0.3, 0.71, 1.2])

    def f(th):
        return (th - c[:, None]) ** 2 + 0.1 * c[:, None]

    th, v = asw.minimise_angle(f, 0.0, 1.5, n_points=9, n_zoom=2)
    np.testing.assert_allclose(th, c, atol=1e-12)
    np.testing.assert_allclose(v, 0.1 * c, atol=1e-12)


def test_fig3_table_from_a_coarse_sweep_matches_the_paper():
    """Two rows of the table under paper Fig. 3; the paper prints 4 decimals (5e-5) and the
    angle search adds at most a few 1e-6, hence 1e-4."""
    alphas = np.array([2.0, 10.0])
    sw = asw.angle_sweep(alphas, EPS, np.linspace(0.02, 1.5, 12), loss="hinge")
    table, info = asw.fig3_table(sw)
    paper = asw.PAPER_FIG3_TABLE[[0, 2]]
    np.testing.assert_allclose(table, paper, atol=1e-4)
    np.testing.assert_allclose(table[:, 0], bayes_optimal(alphas, EPS).e_gen, atol=1e-14)
    assert info["theta_star"] == pytest.approx(TH_STAR)
    # the SVM's best interpolating angle is close to (not at) theta*
    assert np.all(np.abs(info["theta_svm_0"] - TH_STAR) < 0.1)


def test_fig3_table_needs_a_hinge_sweep():
    sw = asw.angle_sweep([2.0], EPS, np.linspace(0.1, 1.4, 5), loss="square")
    with pytest.raises(ValueError, match="'hinge_sweep'"):
        asw.fig3_table(sw)


def test_hinge_sweep_optimal_ridge_beats_the_ridgeless_one():
    sw = asw.angle_sweep([4.0], EPS, np.linspace(0.1, 1.45, 8), loss="hinge")
    assert sw.converged.all()
    assert np.all(sw.e_gen_opt <= sw.e_gen_0 + 1e-10)
    assert np.all(sw.e_gen_opt >= bayes_optimal(4.0, EPS).e_gen)
    np.testing.assert_array_equal(sw.e_mem_0, 0.0)  # every kernel with mustar > 0 interpolates


def test_hinge_optimal_ridge_finds_the_narrow_dip():
    """At large theta E_gen(lambda) has a plateau and a narrow dip near lambda ~ 1 (see the
    angle_sweep docstring); the sweep's scan must find it."""
    th = 1.16
    sw = asw.angle_sweep([4.0], EPS, [th], loss="hinge")
    lams = np.geomspace(0.3, 2.0, 200)
    fine = erm(4.0, EPS, lams, loss="hinge", mu1=np.cos(th), mustar=np.sin(th)).e_gen.min()
    assert sw.e_gen_opt[0, 0] <= fine + 1e-7
    assert sw.e_gen_opt[0, 0] < sw.e_gen_0[0, 0] - 1e-3


def test_tradeoff_curves_match_erm_and_the_sweep():
    th = np.array([0.4, TH_STAR, 1.2])
    lams = np.array([0.0, 1e-2, 1.0, 100.0])
    cur = asw.tradeoff_curves(2.0, EPS, th, lams, loss="square")
    assert cur["e_gen"].shape == (3, 4)
    r = erm(2.0, EPS, lams, mu1=np.cos(th)[:, None], mustar=np.sin(th)[:, None])
    np.testing.assert_allclose(cur["e_gen"], r.e_gen, atol=1e-14)
    np.testing.assert_allclose(cur["e_mem"], r.e_mem, atol=1e-14)
    sw = asw.angle_sweep([2.0], EPS, th, loss="square")
    np.testing.assert_allclose(cur["e_gen_opt"], sw.e_gen_opt[0], atol=1e-14)
    np.testing.assert_allclose(cur["e_gen"][:, 0], sw.e_gen_0[0], atol=1e-14)


def test_rescaled_kernel_traces_the_same_curve():
    """Paper App. A.6: (mu1, mustar, lambda) -> (c mu1, c mustar, c^2 lambda) leaves the errors."""
    g = 0.5
    m1, ms = K.RBF.coefficients(g)
    r2 = m1**2 + ms**2
    th = float(np.arctan2(ms, m1))
    lams = np.geomspace(1e-3, 10, 6)
    for loss in ("square", "hinge"):
        a = erm(2.0, EPS, lams, loss=loss, mu1=m1, mustar=ms)
        cur = asw.tradeoff_curves(2.0, EPS, [th], lams / r2, loss=loss)
        np.testing.assert_allclose(cur["e_gen"][0], a.e_gen, atol=1e-8)
        np.testing.assert_allclose(cur["e_mem"][0], a.e_mem, atol=1e-8)


def test_family_parameters_realise_the_angle():
    th = np.array([0.3, TH_STAR, 1.3])
    params = asw.family_parameters(th)
    assert set(params) == {"rbf", "exponential", "geometric", "polynomial"}
    for name, p in params.items():
        np.testing.assert_allclose(K.FAMILIES[name].angle(p), th, atol=1e-9, err_msg=name)
    # explicit case, paper Eq. (217): a = sin^2 theta
    np.testing.assert_allclose(params["geometric"], np.sin(th) ** 2, atol=1e-12)


def test_centred_kernel_keeps_the_coefficients():
    k = asw.centred_kernel("rbf", 0.8)
    m1, ms = K.RBF.coefficients(0.8)
    assert k.mu1 == pytest.approx(float(m1)) and k.mustar == pytest.approx(float(ms))
    assert k(0.0) == pytest.approx(0.0, abs=1e-15)
    t = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(k(t), K.RBF(t, 0.8) - np.exp(-1.6), atol=1e-15)
    h = 1e-5  # mu1^2 = k'(0), mustar^2 = k(1) - k(0) - k'(0)
    d1 = (k(h) - k(-h)) / (2 * h)
    assert d1 == pytest.approx(float(m1) ** 2, rel=1e-8)
    assert k(1.0) - k(0.0) - d1 == pytest.approx(float(ms) ** 2, rel=1e-7)


def test_kernel_table_and_markdown():
    header, rows = asw.kernel_table(EPS)
    assert len(header) == 6 and len(rows) == 9
    rbf = [r for r in rows if r[0].startswith("Spherical Gaussian")][0]
    gamma = float(rbf[-1].split("=")[1])
    assert gamma == pytest.approx(float(K.param_for_angle(K.RBF, TH_STAR)), abs=1e-4)
    relu = [r for r in rows if r[0].startswith("ReLU")][0]
    assert relu[4] == pytest.approx(np.arctan(np.sqrt(0.25 - 1 / (2 * np.pi)) / 0.5))
    md = asw.markdown_table(["a", "b"], [["x", 0.123456], ["y", 1.0]])
    assert md.splitlines() == ["| a | b |", "|---|---|", "| x | 0.1235 |", "| y | 1.0000 |"]


def test_simulate_matched_small_run():
    lams = np.array([1e-2, 1.0])
    out = asw.simulate_matched(60, 2.0, EPS, lams, family=K.RBF, param=0.8, loss="square",
                               seeds=(0, 1), n_test=500)
    assert set(out["sims"]) == {"rbf", "quadratic"}
    for s in out["sims"].values():
        assert s["e_gen"].shape == (2,)
        assert s["mu1"] == pytest.approx(out["mu1"]) and s["mustar"] == pytest.approx(out["mustar"])
        assert np.all(np.abs(s["e_gen"] - out["theory"].e_gen) < 0.1)  # d = 60: coarse check only


@pytest.mark.parametrize("kw, name", [({"loss": "logistic"}, "loss"), ({"eps": 1.0}, "eps"),
                                      ({"theta": [2.0]}, "theta"), ({"alpha": [-1.0]}, "alpha")])
def test_angle_sweep_validates(kw, name):
    args = {"alpha": [2.0], "eps": EPS, "theta": [0.5]} | kw
    loss = args.pop("loss", "square")
    with pytest.raises(ValueError, match=f"'{name}'"):
        asw.angle_sweep(args["alpha"], args["eps"], args["theta"], loss=loss)


def test_optimal_lambda_is_what_the_sweep_uses():
    th = np.array([0.6, 1.0])
    sw = asw.angle_sweep([2.0], EPS, th, loss="hinge")
    r = optimal_lambda(2.0, EPS, loss="hinge", mu1=np.cos(th), mustar=np.sin(th), n_grid=129, n_golden=30)
    np.testing.assert_allclose(sw.lam_opt[0], r.lam)
    np.testing.assert_allclose(sw.e_gen_opt[0], r.e_gen)
