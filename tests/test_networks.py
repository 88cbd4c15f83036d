"""raf.networks and raf.network_experiments: gradients, determinism, the frozen network against
the random-features theory (THEORY §6), kernels, pairing, and parameter validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from raf.data import sample, sample_test
from raf.kernels import coefficients
from raf.network_experiments import (
    activation_kernel,
    best_interpolating,
    paired,
    rbf_gamma_for_angle,
    ridgeless_krr,
    simulate_kernels,
    simulate_network,
    slopes,
)
from raf.networks import (
    ACTIVATIONS,
    LOSSES,
    Network,
    init_network,
    linear_part_cosine,
    objective,
    train,
)
from raf.result import Result
from raf.theory import erm


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # L-BFGS-B's many small BLAS calls crawl when threads compete on a shared machine
    with threadpool_limits(1):
        yield


def _small_problem(seed=0, n=13, d=7, p=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    W = rng.standard_normal((p, d))
    a = rng.standard_normal(p)
    return X, y, W, a


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_matches_finite_differences(loss, activation):
    X, y, W, a = _small_problem()
    kw = dict(activation=activation, loss=loss, lam=0.3, lam_first=0.7, hinge_smoothing=0.5)
    _, dW, da = objective(W, a, X, y, **kw)
    h = 1e-6
    num_a = np.array([(objective(W, a + h * e, X, y, **kw)[0] - objective(W, a - h * e, X, y, **kw)[0]) / (2 * h)
                      for e in np.eye(a.size)])
    num_W = np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        num_W[idx] = (objective(W + E, a, X, y, **kw)[0] - objective(W - E, a, X, y, **kw)[0]) / (2 * h)
    # central differences: error O(h^2) plus rounding O(eps/h); the ReLU kink is a measure-zero event
    np.testing.assert_allclose(da, num_a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dW, num_W, rtol=1e-5, atol=1e-6)
    # frozen first layer: the same output-layer gradient, no first-layer gradient or penalty
    v_frozen, dW_frozen, da_frozen = objective(W, a, X, y, train_first=False, **kw)
    assert dW_frozen is None
    np.testing.assert_allclose(da_frozen, da, rtol=1e-12)
    v_full = objective(W, a, X, y, **kw)[0]
    assert v_full - v_frozen == pytest.approx(0.5 * 0.7 * np.sum(W * W) / W.shape[1], rel=1e-12)


def test_smoothed_hinge_tends_to_hinge():
    X, y, W, a = _small_problem(1)
    net = Network(W=W, a=a, activation="relu")
    f = net(X)
    hinge = np.maximum(0.0, 1.0 - y * f).sum()
    v = objective(W, a, X, y, activation="relu", loss="hinge", lam=0.0, lam_first=0.0,
                  train_first=False, hinge_smoothing=1e-8)[0]
    assert v == pytest.approx(hinge, abs=1e-6)


def _data(d=40, alpha=2.0, eps=0.2, seed=0):
    data = sample(d, alpha, eps, seed=seed)
    X_test, y_test = sample_test(data.teacher, 500, seed=seed + 100)
    return data, X_test, y_test


@pytest.mark.filterwarnings("ignore:raf.networks.train")  # 30 L-BFGS iterations: unconverged on purpose
@pytest.mark.parametrize("method", ["gd", "lbfgs"])
def test_training_is_deterministic(method):
    data, X_test, y_test = _data()
    runs = []
    for _ in range(2):
        net = init_network(40, 30, seed=5)
        trained, res = train(net, data, X_test, y_test, loss="logistic", method=method, lr=20.0,
                             max_iter=30, checkpoints=[1, 10, 30])
        runs.append((trained, res))
    (n1, r1), (n2, r2) = runs
    assert np.array_equal(n1.W, n2.W) and np.array_equal(n1.a, n2.a)
    for k in r1.outputs:
        assert np.array_equal(r1.outputs[k], r2.outputs[k], equal_nan=True), k
    other, _ = train(init_network(40, 30, seed=6), data, X_test, y_test, method=method, lr=20.0,
                     max_iter=30, checkpoints=[30])
    assert not np.allclose(other.a, n1.a)
    # the starting network is not modified, and the first layer moved
    assert np.all(init_network(40, 30, seed=5).a == 0)
    assert r1.first_layer_change[-1] > 0


def test_result_protocol_and_checkpoints():
    data, X_test, y_test = _data()
    net = init_network(40, 20, seed=1)
    _, res = train(net, data, X_test, y_test, loss="square", lr=5.0, max_iter=50,
                   checkpoints=[0, 5, 50, 80], X_val=X_test[:100], y_val=y_test[:100])
    assert isinstance(res, Result)
    assert list(res.iteration) == [0, 5, 50, 80, np.inf]
    assert res.success and res.shape == (5,)
    # at iteration 0 the network is f = 0: sign(0) = +1, so it errs on every negative label
    assert res.e_gen[0] == pytest.approx(np.mean(y_test < 0))
    # checkpoint 80 is past the end (50 steps): it records the final network
    assert res.e_gen[3] == res.e_gen[4] and res.n_iter[3] == 50
    # gradient descent lowers the objective monotonically (step halving guarantees it)
    assert np.all(np.diff(res.train_loss[:3]) < 0)
    assert res.time[2] == pytest.approx(5.0 * 50) or res.time[2] < 5.0 * 50   # halved steps shorten time
    assert np.isfinite(res.e_val).all()
    rows = res.to_rows()
    assert rows[0]["loss"] == "square" and rows[1]["iteration"] == 5


def test_lbfgs_frozen_square_equals_closed_form_ridge():
    """L-BFGS on the frozen network reaches the ridge minimiser (the optimiser is right)."""
    data, X_test, y_test = _data(d=60, alpha=2.0)
    net = init_network(60, 90, seed=3)
    lam = 0.3
    trained, res = train(net, data, X_test, y_test, loss="square", lam=lam, train_first=False,
                         method="lbfgs", max_iter=2000, tol=1e-10)
    assert res.success
    Phi = (np.maximum(net.hidden(data.X), 0) - 1 / math.sqrt(2 * math.pi)) / math.sqrt(net.p)
    a_ridge = np.linalg.solve(Phi.T @ Phi + lam * np.eye(net.p), Phi.T @ data.y)
    # L-BFGS-B stops on its relative decrease (ftol = 1e-3 tol): a distance delta from the
    # minimiser changes the objective (~100 here) by ~lam delta^2, so delta ~ 1e-6 is expected
    np.testing.assert_allclose(trained.a, a_ridge, rtol=1e-5, atol=1e-5)
    assert np.array_equal(trained.W, net.W)
    # gradient descent on the same (convex) problem reaches the same minimiser
    gd, _ = train(net, data, X_test, y_test, loss="square", lam=lam, train_first=False, method="gd",
                  lr=2.0, max_iter=20000, checkpoints=[])
    np.testing.assert_allclose(gd.a, a_ridge, atol=2e-3)


@pytest.mark.parametrize("loss,lam", [("square", 0.3), ("hinge", 1.0)])
def test_frozen_network_matches_random_features_theory(loss, lam):
    """The frozen network is random-features ERM: its errors land on raf.theory.erm (THEORY §6).

    THEORY §6's own check (square loss, kappa = 2, alpha = 2, eps = 0.3, lambda = 0.3) at quick
    size, d = 150 (p = 300, n = 300, 90 facts), four data sets; the hinge case uses the smoothed
    hinge with h = 0.02 at lambda = 1, where the margins are O(1) and the smoothing shifts the
    errors by O(h). Tolerance: three standard errors of the seed mean, plus a finite-size
    allowance of 0.02, the size of the O(1/sqrt d) corrections seen at d = 150 in THEORY §6
    and §7 (at d = 400 THEORY's six simulations sat 0.004 and 0.007 from the theory).
    """
    d, alpha, eps, kappa = 150, 2.0, 0.3, 2.0
    _, mu1, mustar = coefficients("relu")
    theory = erm(alpha, eps, lam, loss=loss, mu1=mu1, mustar=mustar, kappa=kappa)
    res = simulate_network(d, alpha, eps, kappa=kappa, loss=loss, lam=lam, train_first=False,
                           method="lbfgs", max_iter=3000, checkpoints=[], seeds=range(4),
                           n_test=4000, n_val=10, tol=1e-8, hinge_smoothing=0.02)
    assert res.success
    for key in ("e_gen", "e_mem"):
        mean, se = paired(res[key][-1])
        assert abs(mean - float(getattr(theory, key))) < 3 * se + 0.02, (key, mean, se, float(getattr(theory, key)))


def test_trained_and_frozen_see_the_same_data():
    common = dict(d=30, alpha=2.0, eps=0.2, kappa=1.0, lr=10.0, max_iter=20, checkpoints=[1, 20],
                  seeds=[3, 4], n_test=300, n_val=100)
    tr = simulate_network(**common)
    fz = simulate_network(**common, train_first=False)
    # one step from a = 0 moves only the output layer (dW is proportional to a): identical networks
    np.testing.assert_array_equal(tr.e_gen[0], fz.e_gen[0])
    np.testing.assert_array_equal(tr.e_mem[0], fz.e_mem[0])
    assert np.all(tr.first_layer_change[-1] > 0) and np.all(fz.first_layer_change[-1] == 0)
    assert tr.e_gen.shape == (3, 2)


def test_activation_kernel_is_the_wide_frozen_network():
    rng = np.random.default_rng(0)
    d, P = 20, 200_000
    X = rng.standard_normal((6, d)) * np.linspace(0.7, 1.3, 6)[:, None]   # unequal norms on purpose
    Wd = rng.standard_normal((P, d))
    for act in ("relu", "erf"):
        net = Network(W=Wd, a=np.zeros(P), activation=act)
        from raf.networks import _sigma
        S = _sigma(act, net.hidden(X))
        mc = S @ S.T / P
        np.testing.assert_allclose(activation_kernel(X, X, act), mc, atol=8e-3)
    with pytest.raises(ValueError, match="'activation' parameter"):
        activation_kernel(X, X, "tanh")


def test_rbf_angle_and_ridgeless_interpolation():
    theta = 0.8
    g = rbf_gamma_for_angle(theta)
    assert math.expm1(2 * g) / (2 * g) - 1 == pytest.approx(math.tan(theta) ** 2, rel=1e-12)
    k = simulate_kernels(40, 2.0, 0.2, seeds=[0, 1], n_test=300, n_val=50)
    assert list(k.kernel) == ["activation", "theta_star"]
    assert np.all(k.e_mem == 0) and np.all(k.e_train_rule == 0)        # ridgeless: interpolation
    rng = np.random.default_rng(1)
    A = rng.standard_normal((5, 5))
    f, (ft,) = ridgeless_krr(A @ A.T + np.eye(5), np.arange(5.0), [np.eye(5)])
    np.testing.assert_allclose(f, np.arange(5.0), atol=1e-10)


def test_kernels_on_the_same_data_approach_theory():
    """Ridgeless kernel regression at d = 120, alpha = 1 against erm at lambda = 0 (THEORY §5, §7)."""
    from raf.theory import theta_star

    k = simulate_kernels(120, 1.0, 0.2, seeds=range(4), n_test=3000, n_val=10)
    _, mu1, mustar = coefficients("relu")
    th = float(theta_star(0.2))
    theory = [erm(1.0, 0.2, 0.0, mu1=mu1, mustar=mustar).e_gen,
              erm(1.0, 0.2, 0.0, mu1=math.cos(th), mustar=math.sin(th)).e_gen]
    for i in range(2):
        mean, se = paired(k.e_gen[i])
        # seed spread plus the same finite-size allowance as the frozen-network test
        assert abs(mean - float(theory[i])) < 3 * se + 0.02


def test_best_interpolating_and_paired_statistics():
    it = np.array([1.0, 2.0, 3.0, np.inf])
    e_mem = np.array([[0.5, 0.4], [0.0, 0.1], [0.0, 0.0], [0.0, 0.0]])
    e_val = np.array([[0.1, 0.1], [0.30, 0.2], [0.25, 0.3], [0.25, 0.2]])
    e_gen = np.array([[0.11, 0.12], [0.31, 0.21], [0.26, 0.31], [0.27, 0.22]])
    res = Result({"iteration": it}, {"e_mem": e_mem, "e_val": e_val, "e_gen": e_gen, "time": e_gen * 0 + it[:, None]})
    b = best_interpolating(res)
    # seed 0: smallest validation error with e_mem = 0 at checkpoint 3 (tie with inf: earliest)
    assert b["iteration"].tolist() == [3.0, np.inf]
    assert b["e_gen"].tolist() == [0.26, 0.22] and b["found"].all()
    none = best_interpolating(Result({"iteration": it}, {"e_mem": e_mem + 1, "e_val": e_val, "e_gen": e_gen,
                                                          "time": e_gen}))
    assert not none["found"].any() and np.isnan(none["e_gen"]).all()
    m, se = paired([1.0, 2.0, 3.0], [0.0, 1.0, 1.0])
    assert m == pytest.approx(4 / 3) and se == pytest.approx(np.std([1, 1, 2], ddof=1) / math.sqrt(3))


def test_slopes_recover_power_laws():
    a = np.array([1.0, 2.0, 4.0, 8.0])
    rng = np.random.default_rng(0)
    e = 0.3 * a[:, None] ** -0.5 * np.exp(0.01 * rng.standard_normal((4, 5)))
    ref = 0.3 * a[:, None] ** -1.0 * np.ones((1, 5))
    s = slopes(a, e, reference=ref)
    assert s["slope"] == pytest.approx(-0.5, abs=0.03)
    assert 0 < s["stderr"] < 0.03
    assert s["diff"] == pytest.approx(0.5, abs=0.03)


def test_validation_errors():
    data, X_test, y_test = _data()
    net = init_network(40, 10, seed=0)
    with pytest.raises(ValueError, match="'loss' parameter"):
        train(net, data, X_test, y_test, loss="cross-entropy")
    with pytest.raises(ValueError, match="'lam' parameter"):
        train(net, data, X_test, y_test, lam=-1.0)
    with pytest.raises(TypeError, match="'lam' parameter"):
        train(net, data, X_test, y_test, lam="big")
    with pytest.raises(ValueError, match="'method' parameter"):
        train(net, data, X_test, y_test, method="sgd")
    with pytest.raises(ValueError, match="'lr' parameter"):
        train(net, data, X_test, y_test, lr=0.0)
    with pytest.raises(ValueError, match="'max_iter' parameter"):
        train(net, data, X_test, y_test, max_iter=0)
    with pytest.raises(TypeError, match="'train_first' parameter"):
        train(net, data, X_test, y_test, train_first="yes")
    with pytest.raises(ValueError, match="'checkpoints' parameter"):
        train(net, data, X_test, y_test, checkpoints=[-1, 3])
    with pytest.raises(ValueError, match="'activation' parameter"):
        init_network(10, 5, activation="softplus", seed=0)
    with pytest.raises(ValueError, match="'p' parameter"):
        init_network(10, 0, seed=0)
    with pytest.raises(ValueError, match="'kappa' parameter"):
        simulate_network(20, 2.0, 0.2, kappa=0.0)
    with pytest.raises(ValueError, match="'eps' parameter"):
        simulate_kernels(20, 2.0, 1.0)
    with pytest.raises(ValueError, match="'seeds' parameter"):
        simulate_network(20, 2.0, 0.2, seeds=[])


def test_linear_part_cosine():
    d = 30
    teacher = np.random.default_rng(0).standard_normal(d)
    # one neuron pointing at the teacher: its linear part is the teacher direction, for every activation
    for act in ACTIVATIONS:
        net = Network(W=teacher[None, :] * 0.5, a=np.array([2.0]), activation=act)
        assert linear_part_cosine(net, teacher) == pytest.approx(1.0)
    assert linear_part_cosine(Network(W=teacher[None, :], a=np.zeros(1), activation="relu"), teacher) == 0.0
