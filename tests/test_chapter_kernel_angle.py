"""Key numbers of the chapter on the kernel angle (book/kernel_angle.md), executed with quick=True.

Checks:

- the table under paper Fig. 3 (BO, KRR at theta*, SVM best angle at lambda_opt and at
  lambda -> 0, for alpha = 2, 4, 10, 20 at eps = 0.2) within 1e-3 of the printed values (the
  criterion of issue 3) and, more strictly, within 1e-4: the paper prints 4 decimals (5e-5) and
  the angle search adds a few 1e-6, so the quick grid must not matter;
- the first two columns are raf.theory identities (round-off);
- theta* = arctan sqrt(pi / (2 (1 - eps)^2) - 1), and the family parameters printed in the chapter
  realise it;
- at the optimal ridge, KRR's best error is the same for every angle below theta* (THEORY §5);
- finite-size KRR and SVM (d = 80 and 2 seeds in quick mode) within finite-size effects of the
  theory, with two kernels of equal (mu1, mustar): see the tolerance note in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from booktools import run_chapter

from raf import kernels as K
from raf.compare import deviation
from raf.paper import PAPER_FIG3_TABLE
from raf.theory import bayes_optimal, erm, theta_star


@pytest.fixture(scope="module")
def results():
    return run_chapter("kernel_angle").results


def test_fig3_table_matches_the_paper(results):
    ours = np.array(results["fig3_table"])
    paper = np.array(results["fig3_table_paper"])
    np.testing.assert_array_equal(paper, PAPER_FIG3_TABLE)
    assert ours.shape == (4, 4)
    np.testing.assert_allclose(ours, paper, atol=1e-3)  # issue 3's criterion
    np.testing.assert_allclose(ours, paper, atol=1e-4)  # printing precision + search tolerance
    assert results["fig3_table_max_abs_diff"] == pytest.approx(np.abs(ours - paper).max())


def test_first_columns_are_theory_identities(results):
    alphas = np.array(results["alphas"])
    eps = results["eps"]
    ours = np.array(results["fig3_table"])
    np.testing.assert_allclose(ours[:, 0], bayes_optimal(alphas, eps).e_gen, atol=1e-12)
    ts = results["theta_star"]
    krr = erm(alphas, eps, 0.0, mu1=np.cos(ts), mustar=np.sin(ts)).e_gen
    np.testing.assert_allclose(ours[:, 1], krr, atol=1e-12)
    # KRR at lambda_opt: its minimum over the angle grid is the theta* ridgeless value
    np.testing.assert_allclose(results["square_e_gen_opt_min"], krr, atol=1e-12)
    # the tuned SVM beats the best KRR, the interpolating SVM is within 5e-3 of it
    assert np.all(ours[:, 2] < ours[:, 1])
    assert np.all(np.abs(ours[:, 3] - ours[:, 1]) < 5e-3)


def test_theta_star_and_kernel_parameters(results):
    eps = results["eps"]
    expected = np.arctan(np.sqrt(np.pi / (2 * (1 - eps) ** 2) - 1))
    assert results["theta_star"] == pytest.approx(expected, abs=1e-14)
    assert results["theta_star"] == pytest.approx(float(theta_star(eps)), abs=1e-14)
    assert results["theta_star"] == pytest.approx(0.878498553676, abs=1e-10)
    for name, p in results["family_params_at_theta_star"].items():
        assert float(K.FAMILIES[name].angle(p)) == pytest.approx(expected, abs=1e-9), name
    assert float(K.RBF.angle(results["gamma_star"])) == pytest.approx(expected, abs=1e-9)
    # the SVM's best tuned angle at alpha = 2 lies below theta* (a wider RBF kernel)
    assert results["theta_svm_opt"][0] < expected
    assert results["gamma_svm"] < results["gamma_star"]


def test_simulations_agree_with_theory(results):
    """Quick mode runs d = 80 (n = 160) with 2 seeds. The book's one metric (raf.compare.deviation,
    in standard errors); two seeds give an unreliable sample standard error (a t distribution with
    one degree of freedom), so the floor here is the fluctuation scale of E_gen per data set,
    0.5/sqrt(d), over sqrt(2) seeds, and 0.015 allows for the finite-size offset of E_gen (about
    +0.01 at d = 80). E_mem at the interpolating ridges is 0 in every seed."""
    sim = results["sim"]
    assert set(sim["deviation"]) == {"square/rbf", "square/quadratic", "hinge/rbf", "hinge/quadratic"}
    floor = 0.5 / np.sqrt(sim["d"] * len(sim["seeds"]))
    for key in sim["e_gen"]:
        loss = key.split("/")[0]
        for err in ("e_gen", "e_mem"):
            dev = deviation(sim[err][key], sim[err + "_sem"][key], sim["theory_" + err][loss],
                            floor=floor, bias=0.015)
            assert np.all(dev <= 3), (key, err, dev)
        # the chapter's table is the same metric with its own floor (one fact over the seeds)
        dev = deviation(sim["e_gen"][key], sim["e_gen_sem"][key], sim["theory_e_gen"][loss],
                        floor=sim["floor"])
        assert np.max(dev) == pytest.approx(sim["deviation"][key]["max_dev_e_gen"])
    # the stored theory is raf.theory at the kernels' (mu1, mustar)
    for loss in ("square", "hinge"):
        r = erm(sim["alpha"], results["eps"], np.array(sim["lams"]), loss=loss, mu1=sim["mu1"][loss],
                mustar=sim["mustar"][loss])
        np.testing.assert_allclose(sim["theory_e_gen"][loss], r.e_gen, atol=1e-8)
    # two kernels with equal (mu1, mustar): the same curve within the same allowance
    for loss in ("square", "hinge"):
        a, b = np.array(sim["e_gen"][f"{loss}/rbf"]), np.array(sim["e_gen"][f"{loss}/quadratic"])
        assert np.max(np.abs(a - b)) < 0.04, loss


def test_exercise_numbers(results):
    """The executed exercise solutions (THEORY §5; paper App. A.6, Fig. 3)."""
    ex = results["exercise_lamopt"]
    assert ex["theta_star_0"] == pytest.approx(np.arctan(np.sqrt(np.pi / 2 - 1)), abs=1e-12)
    assert ex["theta_star_0"] == pytest.approx(0.647, abs=1e-3)
    assert ex["relu"]["theta"] == pytest.approx(0.54, abs=5e-3)
    assert ex["erf"]["theta"] == pytest.approx(0.30, abs=5e-3)
    assert ex["erf"]["theta"] < ex["relu"]["theta"] < ex["theta_star"]
    # below theta*: a positive optimal ridge that leaves facts unfitted, more for erf
    assert ex["relu"]["lam_opt"] > 0 and ex["erf"]["lam_opt"] > 0
    assert 0 < ex["relu"]["e_mem"] < ex["erf"]["e_mem"]
    # (mu1, mustar, lambda) -> (c mu1, c mustar, c^2 lambda): identical errors
    assert results["exercise_rescale"]["rescaled"] < 1e-10
    assert results["exercise_rescale"]["same_lambda"] > 1e-3
    lin = results["exercise_linear"]
    assert lin["lam_opt"][0] == 0.0 and lin["e_gen"][0] == pytest.approx(0.1039, abs=1e-4)
    # the nearly linear kernels reach the table's value, below the linear model, with
    # lambda_opt shrinking like theta^2 and a large memorization error
    table_svm_opt = results["fig3_table"][results["alphas"].index(10.0)][2]
    np.testing.assert_allclose(lin["e_gen"][1:], table_svm_opt, atol=2e-5)
    assert lin["lam_opt"][2] / lin["lam_opt"][1] == pytest.approx(25, rel=0.1)
    assert min(lin["e_mem"][1:]) > 0.25


# ---------------------------------------------------------------------------------------------
# The simulation points of paper Fig. 3, 4, 11, 12 (raf.figure_points.angle_points).
#
# Tolerance of every point: raf.compare.deviation <= K_SE standard errors after a finite-size
# allowance C / d is subtracted (its `bias`):
# - the standard error is the seed spread recorded by the chapter, floored (a) for E_mem at one
#   fact out of the round(eps alpha d) facts of a data set over the seeds (raf.compare.resolution:
#   where every data set stores every fact the spread is 0), (b) for E_gen at the smallest
#   per-seed spread recorded at full size, SIGMA_GEN / sqrt(d S) with SIGMA_GEN = 0.1 (the recorded
#   spreads are 0.10/sqrt(d) to 0.35/sqrt(d)): quick mode's 3 seeds give a sample spread that falls
#   below half its true value with probability about 0.2, which alone would fail points;
# - C is the largest |c| of E(d) = E_inf + c / d fitted by chapter finite_size at full size
#   (d = 100 to 400, its table), rounded up: KRR at theta*, lambda in {0+, 0.1, 1}: |c| <= 1.43
#   (the truncated quadratic), so C_KRR = 1.5; the hinge loss: |c| = 3.25 (the perceptron's E_mem
#   at alpha = 3.5), so C_HINGE = 3.5, taken for the kernel SVM as well, which has no study of its
#   own. At the quick d = 60 they allow 0.025 and 0.058; at full size (d = 200 for KRR at
#   alpha = 2, d = 100 otherwise) 0.0075 to 0.035.
K_SE = 3
C_KRR, C_HINGE = 1.5, 3.5
SIGMA_GEN = 0.1


def _point_deviations(p, *, allowance=True):
    """Element-wise deviations of both errors of one recorded set of points (see above)."""
    from raf.compare import resolution

    S, d = p["n_seeds"], p["d"]
    floor = {"e_gen": max(SIGMA_GEN / np.sqrt(d * S), resolution(p["n_test"], S)),
             "e_mem": resolution(round(p["eps"] * p["alpha"] * d), S)}
    bias = (C_KRR if p["loss"] == "square" else C_HINGE) / d if allowance else 0.0
    return {key: deviation(p[key], p[key + "_sem"], p["theory_" + key], floor=floor[key], bias=bias)
            for key in ("e_gen", "e_mem")}


def test_points_cover_the_figures(results):
    pts = results["points"]
    eps, other = results["eps"], results["eps_other"]
    for loss in ("square", "hinge"):
        for a in (2.0, 4.0):
            assert f"{loss} eps={eps:g} alpha={a:g}" in pts        # Fig. 3, at alpha = 2 and 4
        assert f"{loss} eps={other:g} alpha=2" in pts              # Fig. 12
        p = pts[f"{loss} eps={eps:g} alpha=2"]
        assert len(p["lam"][0]) > 2                                # further ridges: Fig. 4, 11
        assert any(abs(t - results["theta_star"]) < 1e-12 for t in p["theta"])
    svm = pts[f"hinge eps={eps:g} alpha=2"]["theta"]
    assert any(abs(t - results["theta_svm_alpha_curves"]) < 1e-12 for t in svm)   # Fig. 4 right
    assert results["theta_svm_alpha_curves"] == pytest.approx(results["theta_svm_opt"][0])


def test_points_sit_at_lambda_to_0_and_at_the_optimal_ridge(results):
    """Ridge 0 is lambda -> 0+, ridge 1 the kernel's own lambda_opt: the closed form for KRR,
    raf.theory.optimal_lambda for the SVM (the points that were missing before)."""
    from raf.theory import lambda_opt_square, optimal_lambda

    for key, p in results["points"].items():
        lam = np.array(p["lam"])
        assert np.all(lam[:, 0] == 0.0), key
        for t, l_opt in zip(p["theta"], lam[:, 1]):
            m1, ms = K.RBF.coefficients(float(K.param_for_angle(K.RBF, t)))
            if p["loss"] == "square":
                expected = float(lambda_opt_square(p["eps"], m1, ms))
            else:
                expected = float(optimal_lambda(p["alpha"], p["eps"], loss="hinge", mu1=m1, mustar=ms).lam)
                assert expected > 0, key   # the tuned SVM gives up some facts
            assert l_opt == pytest.approx(expected, rel=1e-9, abs=1e-12), (key, t)
            r = erm(p["alpha"], p["eps"], lam[p["theta"].index(t)], loss=p["loss"], mu1=m1, mustar=ms)
            np.testing.assert_allclose(p["theory_e_gen"][p["theta"].index(t)], r.e_gen, atol=1e-8)
            np.testing.assert_allclose(p["theory_e_mem"][p["theta"].index(t)], r.e_mem, atol=1e-8)


def test_points_agree_with_theory(results):
    for key, p in results["points"].items():
        assert p["converged"], key
        for err, dev in _point_deviations(p).items():
            assert np.all(dev <= K_SE), (key, err, np.round(dev, 2))
        # every kernel with mustar > 0 stores every fact at lambda -> 0+, in every seed
        assert np.all(np.array(p["e_mem"])[:, 0] == 0.0), key
        # the chapter's table: the same metric, floored at the resolution only, no allowance
        from raf.compare import resolution

        S = p["n_seeds"]
        raw_gen = deviation(p["e_gen"], p["e_gen_sem"], p["theory_e_gen"], floor=resolution(p["n_test"], S))
        raw_mem = deviation(p["e_mem"], p["e_mem_sem"], p["theory_e_mem"],
                            floor=resolution(round(p["eps"] * p["alpha"] * p["d"]), S))
        assert np.max(raw_gen) == pytest.approx(p["max_dev_e_gen"])
        assert np.max(raw_mem) == pytest.approx(p["max_dev_e_mem"])
