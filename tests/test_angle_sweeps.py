"""raf.angle_sweeps: sweeps over the kernel angle (THEORY §3, §5; paper Fig. 3, 4, 11-13).

The square-loss checks are identities of THEORY §5 (optimal ridge, critical angle), so their
tolerances are round-off; the hinge-loss table is compared with the paper's printed values at
the printing precision plus the search tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from raf import angle_sweeps as asw
from raf import kernels as K
from raf.paper import FIG3_OUTPUTS, PAPER_FIG3_TABLE
from raf.result import Result
from raf.theory import bayes_optimal, erm, lambda_opt_square, optimal_lambda, theta_star

EPS = 0.2
TH_STAR = float(theta_star(EPS))


def test_square_sweep_follows_the_closed_forms():
    th = np.linspace(0.05, 1.5, 30)
    sw = asw.angle_sweep([2.0, 10.0], EPS, th, loss="square")
    assert isinstance(sw, Result) and sw.e_gen_0.shape == (2, 30) and sw.converged.all()
    np.testing.assert_array_equal(sw.alpha[:, 0], [2.0, 10.0])
    np.testing.assert_array_equal(sw.theta[0], th)
    assert len(sw.to_rows()) == 60 and sw.to_rows()[0]["loss"] == "square"
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
    best_th = asw.best_angle([2.0, 4.0, 20.0], EPS, loss="square", regime="ridgeless", lo=0.3,
                             hi=1.4)
    th, e = best_th.theta, best_th.e_gen
    np.testing.assert_allclose(th, TH_STAR, atol=2e-3)  # flat minimum: angle to ~sqrt(tolerance)
    best = erm(np.array([2.0, 4.0, 20.0]), EPS, 0.0, mu1=np.cos(TH_STAR), mustar=np.sin(TH_STAR)).e_gen
    np.testing.assert_allclose(e, best, atol=1e-8)


def test_minimise_angle_on_known_parabolas():
    c = np.array([0.3, 0.71, 1.2])

    def f(th):
        return (th - c[:, None]) ** 2 + 0.1 * c[:, None]

    m = asw.minimise_angle(f, 0.0, 1.5, n_points=9, n_zoom=2)
    th, v = m.theta, m.value
    np.testing.assert_allclose(th, c, atol=1e-12)
    np.testing.assert_allclose(v, 0.1 * c, atol=1e-12)


def test_fig3_table_from_a_coarse_sweep_matches_the_paper():
    """Two rows of the table under paper Fig. 3; the paper prints 4 decimals (5e-5) and the
    angle search adds at most a few 1e-6, hence 1e-4."""
    alphas = np.array([2.0, 10.0])
    sw = asw.angle_sweep(alphas, EPS, np.linspace(0.02, 1.5, 12), loss="hinge")
    res = asw.fig3_table(sw)
    table = np.stack([res[k] for k in FIG3_OUTPUTS], axis=1)
    paper = PAPER_FIG3_TABLE[[0, 2]]
    np.testing.assert_allclose(table, paper, atol=1e-4)
    np.testing.assert_allclose(table[:, 0], bayes_optimal(alphas, EPS).e_gen, atol=1e-14)
    np.testing.assert_allclose(res.theta_star, TH_STAR)
    # the SVM's best interpolating angle is close to (not at) theta*
    assert np.all(np.abs(res.theta_svm_0 - TH_STAR) < 0.1)
    assert [row["alpha"] for row in res.to_rows()] == [2.0, 10.0]


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
    assert cur.shape == (3,) and cur.e_gen.shape == (3, 4) and cur.trailing["e_gen"] == "ridge"
    np.testing.assert_array_equal(cur.lam, np.broadcast_to(lams, (3, 4)))
    r = erm(2.0, EPS, lams, mu1=np.cos(th)[:, None], mustar=np.sin(th)[:, None])
    np.testing.assert_allclose(cur.e_gen, r.e_gen, atol=1e-14)
    np.testing.assert_allclose(cur.e_mem, r.e_mem, atol=1e-14)
    sw = asw.angle_sweep([2.0], EPS, th, loss="square")
    np.testing.assert_allclose(cur.e_gen_opt, sw.e_gen_opt[0], atol=1e-14)
    np.testing.assert_allclose(cur.e_gen[:, 0], sw.e_gen_0[0], atol=1e-14)


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
        np.testing.assert_allclose(cur.e_gen[0], a.e_gen, atol=1e-8)
        np.testing.assert_allclose(cur.e_mem[0], a.e_mem, atol=1e-8)


def test_kernel_table():
    from raf.paper import kernel_table

    header, rows = kernel_table(EPS)
    assert len(header) == 6 and len(rows) == 9
    rbf = [r for r in rows if r[0].startswith("Spherical Gaussian")][0]
    gamma = float(rbf[-1].split("=")[1])
    assert gamma == pytest.approx(float(K.param_for_angle(K.RBF, TH_STAR)), abs=1e-4)
    relu = [r for r in rows if r[0].startswith("ReLU")][0]
    assert relu[4] == pytest.approx(np.arctan(np.sqrt(0.25 - 1 / (2 * np.pi)) / 0.5))


def test_simulate_matched_small_run():
    lams = np.array([1e-2, 1.0])
    out = asw.simulate_matched(60, 2.0, EPS, lams, family=K.RBF, param=0.8, loss="square",
                               seeds=(0, 1), n_test=500)
    assert out.shape == (2, 2) and out.kernel[:, 0].tolist() == ["rbf", "quadratic"]
    m1, ms = K.RBF.coefficients(0.8)
    assert out.mu1[0, 0] == pytest.approx(m1) and out.mustar[0, 0] == pytest.approx(ms)
    assert out.e_gen_seeds.shape == (2, 2, 2)
    th = erm(2.0, EPS, lams, mu1=m1, mustar=ms)
    np.testing.assert_allclose(out.theory_e_gen, np.broadcast_to(th.e_gen, (2, 2)))
    assert np.all(np.abs(out.e_gen - out.theory_e_gen) < 0.1)  # d = 60: coarse check only
    # the same data as a direct simulate_kernel run with the centred kernel
    from raf.simulations import simulate_kernel

    direct = simulate_kernel(60, 2.0, EPS, lams, kernel=K.centred_kernel(K.RBF, 0.8),
                             seeds=(0, 1), n_test=500)
    np.testing.assert_array_equal(out.e_gen[0], direct.e_gen)


@pytest.mark.parametrize("kw, name", [({"loss": "Square"}, "loss"), ({"eps": 1.0}, "eps"),
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


def test_paper_constants_are_what_the_paper_prints():
    # a copy of the printed table: any edit must be deliberate
    assert PAPER_FIG3_TABLE.shape == (4, 4) and PAPER_FIG3_TABLE[0, 0] == 0.2430
    assert PAPER_FIG3_TABLE[3, 3] == 0.0846 and len(FIG3_OUTPUTS) == 4
