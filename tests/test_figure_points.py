"""raf.figure_points: the simulation points of paper Fig. 3, 4, 8, 11, 12 and their theory."""

import numpy as np
import pytest

from raf import kernels as K
from raf.compare import deviation, resolution
from raf.figure_points import alpha_points, angle_points, at_angle, deviations, optimal_ridge
from raf.runner import Runner
from raf.theory import erm, lambda_opt_square, optimal_lambda, theta_star


@pytest.fixture(scope="module")
def krr():
    return angle_points([0.5, float(theta_star(0.2))], alpha=1.5, eps=0.2, d=30, n_seeds=2,
                        lams=[1.0], n_test=300)


def test_angle_points_grid_ridges_and_theory(krr):
    assert krr.shape == (2, 3) and krr.success
    gammas = [float(K.param_for_angle(K.RBF, t)) for t in (0.5, float(theta_star(0.2)))]
    np.testing.assert_allclose(krr.param[:, 0], gammas)
    for i, g in enumerate(gammas):
        m1, ms = K.RBF.coefficients(g)
        assert krr.mu1[i, 0] == pytest.approx(m1) and krr.mustar[i, 0] == pytest.approx(ms)
        # ridge 0 is lambda -> 0+, ridge 1 the closed-form optimum in the kernel's own units
        np.testing.assert_allclose(krr.lam[i], [0.0, float(lambda_opt_square(0.2, m1, ms)), 1.0])
        th = erm(1.5, 0.2, krr.lam[i], mu1=m1, mustar=ms)
        np.testing.assert_allclose(krr.theory_e_gen[i], th.e_gen, rtol=1e-12)
        np.testing.assert_allclose(krr.theory_e_mem[i], th.e_mem, rtol=1e-12)
    assert krr.lam[1, 1] == 0.0   # at theta* the optimal ridge of KRR is 0+
    assert np.all(krr.e_mem[:, 0] == 0.0)   # every kernel with mustar > 0 interpolates at lambda -> 0+
    assert np.all(krr.n_seeds == 2) and np.all(krr.e_gen_sem > 0)


def test_angle_points_are_the_runs_of_the_runner(krr, tmp_path):
    """The same seeds through a cached runner: identical numbers, read back the second time."""
    runner = Runner(cache=tmp_path)
    kw = dict(alpha=1.5, eps=0.2, d=30, n_seeds=2, lams=[1.0], n_test=300, runner=runner)
    again = angle_points([0.5, float(theta_star(0.2))], **kw)
    np.testing.assert_array_equal(again.e_gen, krr.e_gen)
    angle_points([0.5, float(theta_star(0.2))], **kw)
    assert runner.stats["cached"] == runner.stats["tasks"] == 2


def test_hinge_points_use_the_svm_optimum():
    pts = angle_points([0.7], alpha=1.5, eps=0.2, d=24, n_seeds=2, loss="hinge", n_test=200)
    m1, ms = pts.mu1[0, 0], pts.mustar[0, 0]
    lam = float(optimal_lambda(1.5, 0.2, loss="hinge", mu1=m1, mustar=ms).lam)
    assert pts.lam[0, 1] == pytest.approx(lam, rel=1e-12) and lam > 0
    assert optimal_ridge(1.5, 0.2, loss="hinge", mu1=m1, mustar=ms) == pytest.approx(lam, rel=1e-12)
    assert pts.success and pts.e_mem[0, 0] == 0.0   # the hard margin stores every fact
    assert pts.theory_e_gen[0, 1] <= pts.theory_e_gen[0, 0] + 1e-12


@pytest.mark.filterwarnings("ignore:simulate_linear:RuntimeWarning")   # the per-seed warning
def test_alpha_points_and_the_unseparable_hard_margin():
    pts = alpha_points([0.5, 2.0], eps=0.2, lam=0.0, d=40, n_seeds=2, n_test=200)
    assert pts.shape == (2,) and pts.success
    th = erm(np.array([0.5, 2.0]), 0.2, 0.0)
    np.testing.assert_allclose(pts.theory_e_gen, th.e_gen)
    assert pts.e_mem[0] == 0.0 and pts.theory_e_mem[1] > 0.1   # interpolation only below alpha = 1
    with pytest.warns(RuntimeWarning, match="alpha_points"):   # no hard margin far above alpha_c
        bad = alpha_points([8.0], eps=0.2, lam=0.0, d=20, n_seeds=2, loss="hinge", n_test=100)
    assert not bad.success and np.isnan(deviations(bad)["e_gen"]).all()


def test_at_angle(krr):
    row = at_angle(krr, 0.5)
    assert row.shape == (3,) and row.e_gen[0] == krr.e_gen[0, 0]
    assert at_angle(krr, 0.6) is None


def test_deviations_are_the_books_metric_floored_at_the_resolution(krr):
    dev = deviations(krr)
    fl_gen, fl_mem = resolution(300, 2), resolution(round(0.2 * 1.5 * 30), 2)   # a test input, a fact
    np.testing.assert_allclose(dev["e_gen"], deviation(krr.e_gen, krr.e_gen_sem, krr.theory_e_gen, floor=fl_gen))
    np.testing.assert_allclose(dev["e_mem"], deviation(krr.e_mem, krr.e_mem_sem, krr.theory_e_mem, floor=fl_mem))
    biased = deviations(krr, bias=1.0)   # an allowance larger than any error: no deviation left
    assert np.all(biased["e_gen"] == 0) and np.all(biased["e_mem"] == 0)


@pytest.mark.parametrize("kw, name", [
    (dict(theta=[0.0]), "theta"), (dict(theta=[1.6]), "theta"), (dict(n_seeds=1), "n_seeds"),
    (dict(loss="logistic"), "loss"), (dict(lams=[-1.0]), "lams"), (dict(eps=1.0), "eps")])
def test_angle_points_checks_its_parameters(kw, name):
    args = dict(theta=[0.5], alpha=1.0, eps=0.2, d=10, n_seeds=2) | kw
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        angle_points(args.pop("theta"), **args)


def test_alpha_points_checks_its_parameters():
    with pytest.raises(ValueError, match="'alphas' parameter"):
        alpha_points([0.0, 1.0], eps=0.2, lam=0.0, d=10, n_seeds=2)
    with pytest.raises(ValueError, match="'lam' parameter"):
        alpha_points([1.0], eps=0.2, lam=-1.0, d=10, n_seeds=2)
