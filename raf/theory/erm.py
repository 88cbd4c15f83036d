"""Exact asymptotics of empirical risk minimisation on RAF data (THEORY §5, §6).

One entry point, :func:`erm`, covers the linear model (``mu1=1, mustar=0``), kernel
regression (``kappa=None``, or ``inf``) and random features (``kappa`` a number), for the
square and hinge losses, at any ``lambda`` in ``[0, inf]`` (``lambda = 0`` is the ridgeless
limit, solved through the rescaled equations, not with a tiny ``lambda``; ``lambda = inf``
is the Hebbian limit of :mod:`raf.theory.limits`).

Every grid point is solved on its own, in the cheapest exact way that applies to it:

1. a kernel without linear part (``mu1 = 0``, kernel limit): closed form;
2. ``lambda = inf``, or a ridge so large that no margin reaches the loss's kink: the Hebbian
   closed form;
3. the square loss in the kernel limit: the closed form of THEORY §5;
4. otherwise Newton's method on the fixed point (:mod:`raf.theory.solver`), started from
   the square loss's solution, then, where that fails, along a path of ridges from
   ``max(1, lambda)`` down to ``lambda`` (:mod:`raf.theory.paths`).
"""

from __future__ import annotations

import numpy as np

from .._validation import Integer, Interval, validated
from ..result import Result, warn_unconverged
from .channels import training_errors
from .generic import LossChoice, check_ridgeless, loss_model, loss_name
from .limits import hebbian_is_exact, hebbian_state, memoriser_state
from .paths import solve_iterative
from .square import square_fixed_point
from .thresholds import alpha_interpolation

__all__ = ["erm", "solve_erm"]

_STATE = ("m", "q", "V", "s2", "margin", "m_hat", "q_hat", "V_hat")


def _check_model(lam, mu1, mustar, kappa):
    """The checks that tie parameters together (each one alone is checked by ``@validated``)."""
    if np.any(mu1 * mu1 + mustar * mustar == 0):
        raise ValueError("The 'mu1' and 'mustar' parameters must not both be 0 (the kernel would vanish).")
    if kappa is not None and np.any((lam == 0) & np.isfinite(kappa)):
        raise ValueError(
            "The 'lam' parameter must be a float in the range (0, inf] when 'kappa' is finite "
            "(the ridgeless random-features limit is not implemented). Got 0 instead.")


def _grid(alpha, eps, lam, mu1, mustar, kappa):
    """Broadcast the inputs; flat per-point arrays (``kappa = inf`` is the kernel limit)."""
    k = np.inf if kappa is None else kappa
    b = np.broadcast_arrays(alpha, eps, lam, mu1, mustar, np.asarray(k, dtype=float))
    P = {name: v.ravel().astype(float) for name, v in zip(("alpha", "eps", "lam", "mu1", "mustar", "kappa"), b)}
    return P, b[0].shape


def _system(P, loss):
    """Scale ``r`` with the prior's ``lam_r = lambda/r`` and ``tau = mustar^2/lam_r`` per point.

    Rescaled (``r = lambda``, ``lam_r = 1``, ``tau = mustar^2``) everywhere but for the
    ridgeless linear model above its interpolation threshold, whose response ``V`` stays
    finite: plain system ``r = 1``, ``lam_r = lambda = 0``, ``tau = 0``.
    """
    plain = np.isinf(P["kappa"]) & (P["lam"] == 0) & (P["mustar"] == 0)
    if plain.any():
        at = np.flatnonzero(plain)
        plain[at] = P["alpha"][at] >= alpha_interpolation.__wrapped__(loss, P["eps"][at])
    return {"r": np.where(plain, 1.0, P["lam"]), "lam_r": np.where(plain, P["lam"], 1.0),
            "tau": np.where(plain, 0.0, P["mustar"] ** 2)}


def _regimes(P, loss):
    """Boolean masks of the four ways of solving a point (module docstring)."""
    kernel = np.isinf(P["kappa"])
    memoriser = kernel & (P["mu1"] == 0)
    finite = np.isfinite(P["lam"])
    exact = np.zeros_like(memoriser)
    cand = ~memoriser & finite & ((loss == "hinge") | ~kernel)
    if cand.any():
        sub = {k: v[cand] for k, v in P.items()}
        exact[cand] = hebbian_is_exact(sub["alpha"], sub["eps"], sub["lam"], loss, sub["mu1"],
                                       sub["mustar"], sub["kappa"])
    hebbian = ~memoriser & (~finite | exact)
    closed = ~memoriser & ~hebbian & kernel & (loss == "square")
    return {"memoriser": memoriser, "hebbian": hebbian, "square": closed,
            "iterative": ~(memoriser | hebbian | closed)}


def _state_from_x(P, S, loss, q, s2, W):
    """Per-point state dict from the solver's ``(q, s2, W)`` in the system ``S``."""
    r = S["r"]
    pos = r > 0
    V = np.where(pos, W / np.where(pos, r, 1.0), np.inf)
    a_ch = P["alpha"] / np.where(np.isinf(P["kappa"]), 1.0, P["kappa"])
    # conjugates in plain units (r = 1, W = V); at r = 0 they vanish (m_hat = lambda M -> 0)
    model = loss_model(loss)
    M, Q, U = model.channel(q, s2, np.where(pos, V, 1.0), 1.0, a_ch, P["eps"])
    zero = np.zeros_like(q)
    # margin: the misfit threshold -l'(+1, 0) V in units of sqrt(q) (V/sqrt q for square and hinge)
    return {"m": np.sqrt(q * (1.0 - s2)), "q": q, "V": V, "s2": s2, "margin": model.slope0 * V / np.sqrt(q),
            "m_hat": np.where(pos, M, zero), "q_hat": np.where(pos, Q, zero),
            "V_hat": np.where(pos, U, zero)}


def _solve_closed_square(P, S):
    q, s2, W, margin, _ = square_fixed_point(P["alpha"], P["eps"], P["lam"], P["mu1"], r=S["r"],
                                             lam_r=S["lam_r"], tau=S["tau"])
    degenerate = np.isinf(q)  # the linear model exactly at alpha = 1, lambda = 0: the limit
    s2 = np.where(degenerate, 1.0, s2)
    state = _state_from_x(P, S, "square", q, s2, W)
    state["margin"] = np.where(degenerate, np.inf, margin)  # margin formed without q: exact
    return state


def _solve(P, S, loss, *, tol, max_iter, progress):
    """Per-point state, ``converged``, ``n_iter`` and ``residual`` over the flat grid."""
    N = P["alpha"].size
    state = {k: np.full(N, np.nan) for k in _STATE}
    n_iter = np.zeros(N, int)
    residual = np.zeros(N)
    known = np.ones(N, bool)  # closed forms: converged where finite
    masks = _regimes(P, loss)

    def put(mask, st):
        for k in _STATE:
            state[k][mask] = st[k]

    for name in ("memoriser", "hebbian", "square"):
        mask = masks[name]
        if not mask.any():
            continue
        sub = {k: v[mask] for k, v in P.items()}
        if name == "memoriser":
            put(mask, memoriser_state(sub["alpha"], sub["eps"], sub["lam"], loss, sub["mustar"]))
        elif name == "hebbian":
            put(mask, hebbian_state(sub["alpha"], sub["eps"], sub["lam"], loss, sub["mu1"], sub["mustar"],
                                    sub["kappa"]))
        else:
            put(mask, _solve_closed_square(sub, {k: v[mask] for k, v in S.items()}))
    if progress is not None:
        progress.update(int((~masks["iterative"]).sum()))
    it = np.flatnonzero(masks["iterative"])
    if it.size:
        sub = {k: v[it] for k, v in P.items()}
        Ssub = {k: v[it] for k, v in S.items()}
        fp = solve_iterative(sub, Ssub, loss, tol=tol, max_iter=max_iter, progress=progress)
        x = fp.x
        put(it, _state_from_x(sub, Ssub, loss, x[:, 0], x[:, 1], x[:, 2]))
        known[it] = fp.converged
        n_iter[it], residual[it] = fp.n_iter, fp.residual
    finite = np.isfinite(state["s2"]) & (state["s2"] >= 0) & (state["s2"] <= 1) & ~np.isnan(state["margin"])
    return state, known & finite, n_iter, residual


def _observables(state):
    """The errors from ``s2`` and ``margin`` (THEORY §5, Errors)."""
    s2 = np.clip(state["s2"], 0.0, 1.0)
    e_gen = np.arcsin(np.sqrt(s2)) / np.pi  # = arccos(cos_gen)/pi, exact as cos_gen -> 1
    e_mem, e_rule = training_errors(s2, state["margin"])
    return {"e_gen": e_gen, "e_mem": e_mem, "e_train_rule": e_rule, "m": state["m"], "q": state["q"],
            "V": state["V"], "m_hat": state["m_hat"], "q_hat": state["q_hat"], "V_hat": state["V_hat"]}


_SPECS = dict(alpha=Interval(0.0, np.inf, low_open=True), eps=Interval(0.0, 1.0), lam=Interval(0.0, np.inf),
              loss=LossChoice(), mu1=Interval(0.0, np.inf), mustar=Interval(0.0, np.inf),
              kappa=Interval(0.0, np.inf, low_open=True, optional=True),
              tol=Interval(0.0, 1.0, low_open=True), max_iter=Integer(0))


def solve_erm(alpha, eps, lam, *, loss="square", mu1=1.0, mustar=0.0, kappa=None, tol=1e-10, max_iter=100,
              progress=False):
    """:func:`erm` without the checks of single parameters and without the warning (nested calls)."""
    alpha, eps, lam, mu1, mustar = (np.asarray(v, dtype=float) for v in (alpha, eps, lam, mu1, mustar))
    kappa = None if kappa is None else np.asarray(kappa, dtype=float)
    _check_model(lam, mu1, mustar, kappa)
    check_ridgeless(loss, lam)
    P, shape = _grid(alpha, eps, lam, mu1, mustar, kappa)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=P["alpha"].size, desc=f"{loss_name(loss)} state equations", unit="pt")
    try:
        with np.errstate(all="ignore"):
            state, converged, n_iter, residual = _solve(P, _system(P, loss), loss, tol=float(tol),
                                                        max_iter=max_iter, progress=bar)
            out = _observables(state)
    finally:
        if bar is not None:
            bar.close()
    inputs = {"alpha": alpha, "eps": eps, "lam": lam, "loss": loss_name(loss), "mu1": mu1, "mustar": mustar,
              "kappa": kappa}
    return Result(inputs, {k: v.reshape(shape) for k, v in out.items()}, converged=converged.reshape(shape),
                  n_iter=n_iter.reshape(shape), residual=residual.reshape(shape))


@validated(**_SPECS)
def erm(alpha, eps, lam, *, loss="square", mu1=1.0, mustar=0.0, kappa=None, tol=1e-10, max_iter=100,
        progress=False):
    """Asymptotic errors of ERM on RAF data (THEORY §5–6).

    Parameters
    ----------
    alpha : array_like, > 0
        Sample complexity ``n/d``.
    eps : array_like, in [0, 1]
        Fraction of facts.
    lam : array_like, in [0, inf]
        Ridge ``lambda`` of ``sum_mu loss + lambda/2 |w|^2``. ``0`` is the ridgeless limit,
        ``inf`` the Hebbian limit (the same for both losses).
    loss : {"square", "hinge", "logistic"} or ConvexLoss
        Square loss (kernel ridge regression), hinge loss (SVM), logistic loss (logistic
        regression; at ``lambda = 0`` its max-margin limit where the data are separable,
        :mod:`raf.theory.logistic`) or a user's convex loss (``lambda > 0``,
        :mod:`raf.theory.generic`).
    mu1, mustar : array_like, >= 0, not both 0
        Kernel coefficients (THEORY §3). ``mu1=1, mustar=0`` is the linear model.
    kappa : array_like or None
        ``None`` (or ``inf``) for the kernel limit; a number ``p/d`` for random features
        (then ``lam > 0``).
    tol, max_iter : float, int
        Relative tolerance and Newton iterations of the iterative solver.
    progress : bool
        Show a tqdm progress bar counting converged grid points.

    Returns
    -------
    Result
        Inputs broadcast together; outputs ``e_gen``, ``e_mem``, ``e_train_rule``, the order
        parameters ``m, q, V`` and conjugates ``m_hat, q_hat, V_hat`` (plain units); per point
        ``converged``, ``n_iter`` and ``residual``. Points that did not converge have
        ``converged=False`` and trigger one warning.
    """
    res = solve_erm(alpha, eps, lam, loss=loss, mu1=mu1, mustar=mustar, kappa=kappa, tol=tol,
                    max_iter=max_iter, progress=progress)
    return warn_unconverged(res, f"erm (loss={loss_name(loss)!r})", stacklevel=4)
