"""A two-layer network trained on both layers, and its frozen-first-layer twin (beyond the paper).

The network of width ``p`` on inputs ``x in R^d`` is

    f(x) = (1/sqrt p) sum_k a_k sigma(w_k . x / sqrt d),

the random-features model of THEORY §2, §6 with the first layer ``W = (w_k)`` *trained* too. It
is fitted by full-batch empirical risk minimisation,

    minimise  sum_mu loss(y_mu, f(x_mu)) + lam/2 |a|^2 + lam_first/2 |W|^2 / d,

by full-batch gradient descent (the path of gradient flow, training time as a knob) or by SciPy's
L-BFGS-B (to a minimiser), with hand-written gradients (:func:`objective`). With the first layer frozen
at its random initialisation (``train_first=False``) only ``a`` moves and the problem is exactly
the random-features ERM of THEORY §6 with ridge ``lam``: :func:`raf.theory.erm` with
``kappa = p/d`` and the activation's ``(mu1, mustar)`` is its ``d -> inf`` limit. The first
layer's penalty is measured in the units of the pre-activation, ``|w_k|^2/d`` (about 1 per neuron
at initialisation, like ``a_k^2``), so ``lam_first = lam`` penalises both layers alike; it is a
constant when the first layer is frozen.

The output layer starts at ``a = 0`` (the network starts at ``f = 0``), ``W`` at i.i.d.
``N(0, 1)`` entries drawn from ``seed``; so the trained and frozen variants start at the same point
and follow the same path until the first layer starts to move. Training records the errors of
THEORY §1 at chosen L-BFGS iterations (``checkpoints``): stopping early is a regulariser.

Losses (written here, not taken from elsewhere): ``"square"`` ``(y - f)^2/2``; ``"logistic"``
``log(1 + exp(-y f))``; ``"hinge"`` a *smoothed* hinge (quadratic on ``1 - h < y f < 1``, with
``h = hinge_smoothing``; ``h -> 0`` is the hinge ``max(0, 1 - y f)``), smooth enough for L-BFGS.
Activations: ``"relu"`` centred, ``max(u, 0) - 1/sqrt(2 pi)`` (THEORY §6: centred activations
avoid the constant mode's finite-size offset), ``"erf"`` and ``"tanh"`` (odd, already centred).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import erf, expit

from raf._validation import Choice, Integer, Interval, check_int, validated
from raf.result import Result, warn_unconverged

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Network",
    "init_network",
    "loss_and_derivative",
    "objective",
    "train",
    "errors",
    "linear_part_cosine",
    "default_checkpoints",
    "METHODS",
]

ACTIVATIONS = ("relu", "erf", "tanh")
LOSSES = ("square", "logistic", "hinge")
_MU0_RELU = 1.0 / math.sqrt(2.0 * math.pi)
# Gauss-Hermite nodes (probabilists' weight) for E[sigma'(s xi)] of tanh
_GH_U, _GH_W = np.polynomial.hermite_e.hermegauss(80)
_GH_W = _GH_W / _GH_W.sum()


def _sigma(name, u):
    if name == "relu":
        return np.maximum(u, 0.0) - _MU0_RELU
    if name == "erf":
        return erf(u)
    return np.tanh(u)


def _dsigma(name, u):
    if name == "relu":
        return (u > 0).astype(float)
    if name == "erf":
        return (2.0 / math.sqrt(math.pi)) * np.exp(-u * u)
    return 1.0 - np.tanh(u) ** 2


def _mean_dsigma(name, s):
    """``E sigma'(s xi)``, ``xi ~ N(0, 1)``: the linear (first Hermite) coefficient per unit norm."""
    s = np.asarray(s, dtype=float)
    if name == "relu":
        return np.full(s.shape, 0.5)
    if name == "erf":
        return (2.0 / math.sqrt(math.pi)) / np.sqrt(1.0 + 2.0 * s * s)
    return (1.0 - np.tanh(np.multiply.outer(s, _GH_U)) ** 2) @ _GH_W


@dataclass(frozen=True, eq=False)
class Network:
    """Parameters of ``f(x) = sum_k a_k sigma(w_k . x / sqrt d) / sqrt p``.

    Attributes
    ----------
    W : array (p, d)
        First layer (rows ``w_k``).
    a : array (p,)
        Output layer.
    activation : str
        One of :data:`ACTIVATIONS`.
    """

    W: np.ndarray
    a: np.ndarray
    activation: str

    @property
    def p(self):
        return self.W.shape[0]

    @property
    def d(self):
        return self.W.shape[1]

    def hidden(self, X):
        """Pre-activations ``X W^T / sqrt d``, shape ``(n, p)``."""
        return np.asarray(X, dtype=float) @ self.W.T / math.sqrt(self.d)

    def __call__(self, X):
        """Outputs ``f(x)`` for the rows of ``X``."""
        return _sigma(self.activation, self.hidden(X)) @ self.a / math.sqrt(self.p)


@validated(d=Integer(1), p=Integer(1), activation=Choice(ACTIVATIONS))
def init_network(d, p, *, activation="relu", seed):
    """A network with ``W_kj ~ N(0, 1)`` drawn from ``seed`` and ``a = 0`` (so ``f = 0``)."""
    W = np.random.default_rng(seed).standard_normal((p, d))
    return Network(W=W, a=np.zeros(p), activation=activation)


def loss_and_derivative(loss, y, f, *, hinge_smoothing=0.1):
    """Per-sample loss ``l(y, f)`` and its derivative ``dl/df`` (module docstring)."""
    if loss == "square":
        r = f - y
        return 0.5 * r * r, r
    m = y * f
    if loss == "logistic":
        return np.logaddexp(0.0, -m), -y * expit(-m)
    h = hinge_smoothing
    gap = 1.0 - m
    val = np.where(gap <= 0, 0.0, np.where(gap < h, gap * gap / (2.0 * h), gap - 0.5 * h))
    return val, -y * np.clip(gap / h, 0.0, 1.0)


def objective(W, a, X, y, *, activation, loss, lam, lam_first, train_first=True,
              hinge_smoothing=0.1):
    """Regularised empirical risk and its gradients ``(value, dW, da)`` (``dW`` None if frozen).

    ``sum_mu l(y_mu, f(x_mu)) + lam/2 |a|^2 + lam_first/2 |W|^2/d`` (the last term only when
    ``train_first``). Hand-written backpropagation; :mod:`tests.test_networks` checks it against
    finite differences.
    """
    n, d = X.shape
    p = a.size
    H = X @ W.T / math.sqrt(d)
    S = _sigma(activation, H)
    f = S @ a / math.sqrt(p)
    ell, r = loss_and_derivative(loss, y, f, hinge_smoothing=hinge_smoothing)
    value = float(ell.sum()) + 0.5 * lam * float(a @ a)
    da = S.T @ r / math.sqrt(p) + lam * a
    if not train_first:
        return value, None, da
    G = (r[:, None] * _dsigma(activation, H)) * (a / math.sqrt(p))[None, :]
    dW = G.T @ X / math.sqrt(d) + (lam_first / d) * W
    value += 0.5 * lam_first * float(np.sum(W * W)) / d
    return value, dW, da


def errors(net, X, y, is_fact, X_test, y_test):
    """``(e_gen, e_mem, e_train_rule)`` of THEORY §1 for the network ``net``.

    ``e_mem`` is the fraction of training facts misclassified (NaN when there are none),
    ``e_train_rule`` the training error on the rule samples, ``e_gen`` the test error against
    the rule labels ``y_test``. ``sign(0)`` counts as ``+1``.
    """
    wrong = np.where(net(X) >= 0, 1.0, -1.0) != y
    e_gen = float(np.mean(np.where(net(X_test) >= 0, 1.0, -1.0) != y_test))
    e_mem = float(wrong[is_fact].mean()) if is_fact.any() else float("nan")
    e_rule = float(wrong[~is_fact].mean()) if (~is_fact).any() else float("nan")
    return e_gen, e_mem, e_rule


def linear_part_cosine(net, teacher):
    """Cosine between the teacher and the linear part of ``f`` on Gaussian inputs.

    By Stein's lemma ``E[x f(x)] = sum_k a_k E[sigma'(s_k xi)] w_k / sqrt(d p)`` with
    ``s_k = |w_k|/sqrt d``: the direction the network's linear (first Hermite) component
    points at. For random features it is what ``mu1`` carries in THEORY §6.
    """
    s = np.linalg.norm(net.W, axis=1) / math.sqrt(net.d)
    beta = (net.a * _mean_dsigma(net.activation, s)) @ net.W
    nb, nt = np.linalg.norm(beta), np.linalg.norm(teacher)
    return float(beta @ teacher / (nb * nt)) if nb > 0 else 0.0


def default_checkpoints(max_iter, n=12):
    """About ``n`` log-spaced L-BFGS iteration counts in ``[1, max_iter]`` (distinct integers)."""
    max_iter = check_int("max_iter", max_iter)
    return np.unique(np.round(np.geomspace(1, max_iter, n)).astype(int))


_OUTPUTS = ("time", "e_gen", "e_val", "e_mem", "e_train_rule", "train_loss", "cos_linear",
            "first_layer_change")
METHODS = ("gd", "lbfgs")


class _Problem:
    """The objective of :func:`objective` as a function of one flat parameter vector."""

    def __init__(self, net, X, y, *, loss, lam, lam_first, train_first, hinge_smoothing):
        self.X, self.y, self.W0, self.act = X, y, net.W, net.activation
        self.p, self.d = net.W.shape
        self.train_first = train_first
        self.kw = dict(activation=net.activation, loss=loss, lam=lam, lam_first=lam_first,
                       train_first=train_first, hinge_smoothing=hinge_smoothing)
        # frozen first layer: the features never change, compute them once
        self.S = None if train_first else _sigma(net.activation, net.hidden(X))
        self.x0 = np.concatenate([net.W.ravel(), net.a]) if train_first else net.a.copy()

    def unpack(self, x):
        if self.train_first:
            return x[: self.p * self.d].reshape(self.p, self.d), x[self.p * self.d:]
        return self.W0, x

    def network(self, x):
        W, a = self.unpack(x)
        return Network(W=W, a=a, activation=self.act)

    def __call__(self, x):
        W, a = self.unpack(x)
        if self.S is not None:
            k = self.kw
            f = self.S @ a / math.sqrt(self.p)
            ell, r = loss_and_derivative(k["loss"], self.y, f, hinge_smoothing=k["hinge_smoothing"])
            return (float(ell.sum()) + 0.5 * k["lam"] * float(a @ a),
                    self.S.T @ r / math.sqrt(self.p) + k["lam"] * a)
        value, dW, da = objective(W, a, self.X, self.y, **self.kw)
        return value, np.concatenate([dW.ravel(), da])


def _gradient_descent(prob, n, lr, max_iter, callback):
    """Full-batch gradient descent on ``objective / n``; halves ``lr`` if a step raises it.

    Returns ``(x, n_steps, time, n_halvings, finite)``; ``time`` is the sum of the step sizes
    (the gradient-flow time of the mean loss).
    """
    x = prob.x0.copy()
    value, grad = prob(x)
    t, halvings, steps = 0.0, 0, 0
    while steps < max_iter:
        x_new = x - (lr / n) * grad
        v_new, g_new = prob(x_new)
        if not np.isfinite(v_new) or v_new > value + 1e-12 * abs(value):
            lr *= 0.5
            halvings += 1
            if halvings > 60:
                return x, steps, t, halvings, False
            continue
        x, value, grad = x_new, v_new, g_new
        steps += 1
        t += lr
        callback(x, steps, t)
    return x, steps, t, halvings, True


@validated(loss=Choice(LOSSES), lam=Interval(0, np.inf), lam_first=Interval(0, np.inf, optional=True),
           method=Choice(METHODS), lr=Interval(0, np.inf, low_open=True), max_iter=Integer(1),
           tol=Interval(0, np.inf, low_open=True), hinge_smoothing=Interval(0, np.inf, low_open=True))
def train(net, data, X_test, y_test, *, loss="logistic", lam=1e-3, lam_first=None, train_first=True,
          method="gd", lr=10.0, max_iter=1000, checkpoints=None, X_val=None, y_val=None, tol=1e-7,
          hinge_smoothing=0.1):
    """Full-batch training of ``net`` on a RAF training set, recording errors along the way.

    Parameters
    ----------
    net : Network
        The starting point (e.g. :func:`init_network`); it is not modified.
    data : raf.data.RAFData
        Training set (``X``, ``y``, ``is_fact``, ``teacher``).
    X_test, y_test : arrays
        Fresh rule-labelled test inputs (:func:`raf.data.sample_test`): ``e_gen``.
    loss : {"square", "logistic", "hinge"}
        ``"hinge"`` is the smoothed hinge of the module docstring.
    lam, lam_first : float >= 0
        Weight decay of the output and first layers (``lam_first=None``: equal to ``lam``).
    train_first : bool
        False freezes ``W``: random-features ERM (THEORY §6).
    method : {"gd", "lbfgs"}
        ``"gd"``: gradient descent on the *mean* objective (``objective / n``) with step ``lr``,
        halved whenever a step would raise the objective; the training time is the sum of the
        steps (gradient flow on the mean loss, independent of ``lr`` while ``lr`` is small).
        ``"lbfgs"``: SciPy's L-BFGS-B on the objective, to its minimiser (``tol`` is its
        ``gtol``): regularised ERM. Run with one BLAS thread (``threadpoolctl``) on a shared
        machine: L-BFGS-B's small BLAS calls are slow when threads compete.
    max_iter : int
        Gradient steps, or L-BFGS iterations at most.
    checkpoints : sequence of int, optional
        Steps (or iterations) at which to record the errors, default :func:`default_checkpoints`;
        counts beyond the end of training record the final network.
    X_val, y_val : arrays, optional
        A second set of rule-labelled inputs (``e_val``, NaN without it), to choose a stopping
        time without looking at the test set.

    Returns
    -------
    (Network, Result)
        The trained network, and a :class:`raf.result.Result` over the grid ``iteration`` (the
        checkpoints, then ``inf`` for the end of training) with outputs ``time`` (gradient-flow
        time; the iteration count for L-BFGS), ``e_gen``, ``e_val``, ``e_mem``,
        ``e_train_rule``, ``train_loss`` (the regularised objective), ``cos_linear``
        (:func:`linear_part_cosine`) and ``first_layer_change`` (``|W - W_0| / |W_0|``);
        ``residual`` is the largest gradient component. ``converged`` is False at ``inf``
        when L-BFGS stopped at ``max_iter`` before ``tol``, or gradient descent hit a
        non-finite value (one warning).
    """
    lam = float(lam)
    lam_first = lam if lam_first is None else float(lam_first)
    if checkpoints is None:
        checkpoints = default_checkpoints(max_iter)
    checkpoints = np.unique(np.asarray(checkpoints, dtype=int))
    if checkpoints.size and checkpoints[0] < 0:
        raise ValueError(f"The 'checkpoints' parameter must hold iteration counts >= 0. "
                         f"Got {checkpoints[0]!r} instead.")
    if not isinstance(train_first, (bool, np.bool_)):
        raise TypeError(f"The 'train_first' parameter must be a bool. Got {train_first!r} instead.")
    X, y, is_fact = data.X, data.y, data.is_fact
    prob = _Problem(net, X, y, loss=loss, lam=lam, lam_first=lam_first,
                    train_first=bool(train_first), hinge_smoothing=float(hinge_smoothing))
    rows = {k: [] for k in _OUTPUTS}
    resid = []

    def record(x, t):
        cur = prob.network(x)
        e_gen, e_mem, e_rule = errors(cur, X, y, is_fact, X_test, y_test)
        value, grad = prob(x)
        rows["time"].append(float(t))
        rows["e_gen"].append(e_gen)
        rows["e_val"].append(float("nan") if X_val is None
                             else float(np.mean(np.where(cur(X_val) >= 0, 1.0, -1.0) != y_val)))
        rows["e_mem"].append(e_mem)
        rows["e_train_rule"].append(e_rule)
        rows["train_loss"].append(value)
        rows["cos_linear"].append(linear_part_cosine(cur, data.teacher))
        rows["first_layer_change"].append(float(np.linalg.norm(cur.W - prob.W0) / np.linalg.norm(prob.W0)))
        resid.append(float(np.max(np.abs(grad))))

    todo = list(checkpoints)
    while todo and todo[0] == 0:
        record(prob.x0, 0.0)
        todo.pop(0)

    def on_step(x, step, t):
        while todo and todo[0] == step:
            record(x, t)
            todo.pop(0)

    if method == "gd":
        x_end, n_done, t_end, halvings, ok = _gradient_descent(prob, data.n, float(lr), int(max_iter), on_step)
        message = (f"gradient descent: {n_done} steps, time {t_end:.4g}, step size halved {halvings} times"
                   if ok else "gradient descent: the objective became non-finite")
    else:
        state = {"it": 0}

        def callback(xk):
            state["it"] += 1
            on_step(xk, state["it"], state["it"])

        res = minimize(prob, prob.x0, jac=True, method="L-BFGS-B", callback=callback,
                       options={"maxiter": int(max_iter), "maxfun": 4 * int(max_iter),
                                "gtol": float(tol), "ftol": float(tol) * 1e-3})
        x_end, n_done, t_end = res.x, int(res.nit), float(res.nit)
        # L-BFGS-B also stops "abnormally" when its line search cannot improve at machine
        # precision: accept that when the gradient is small, report anything else (max_iter)
        ok = bool(res.success) or (n_done < max_iter and float(np.max(np.abs(res.jac))) < 10 * tol)
        message = "converged" if ok else f"L-BFGS-B stopped: {res.message}"
    for _ in todo:          # training ended before these checkpoints: the final network
        record(x_end, t_end)
    record(x_end, t_end)    # the "end of training" point
    trained = prob.network(x_end.copy())
    grid = np.concatenate([checkpoints.astype(float), [np.inf]])
    conv = np.ones(grid.size, bool)
    conv[-1] = ok
    n_iter = np.minimum(grid, n_done)
    result = Result(
        {"iteration": grid, "alpha": data.alpha, "eps": data.eps, "p": prob.p, "d": prob.d,
         "lam": lam, "lam_first": lam_first, "loss": loss, "activation": net.activation,
         "method": method, "train_first": bool(train_first)},
        {k: np.array(v) for k, v in rows.items()},
        converged=conv, n_iter=n_iter.astype(int), residual=np.array(resid), message=message)
    warn_unconverged(result, "raf.networks.train")
    return trained, result
