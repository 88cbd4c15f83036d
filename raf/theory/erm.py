"""Exact asymptotics of empirical risk minimisation on RAF data (THEORY §5, §6).

One entry point, :func:`erm`, covers the linear model (``mu1=1, mustar=0``), kernel
regression (``kappa=None``) and random features (``kappa`` a number), for the square
and hinge losses, at any ``lambda >= 0`` (``lambda = 0`` is the ridgeless limit,
solved through the rescaled equations, not with a tiny ``lambda``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields

import numpy as np

from .._validation import check_range
from .generic import check_loss, loss_model, max_margin_path
from .priors import kernel_prior, random_features_prior
from .solver import solve_fixed_point
from .square import square_fixed_point
from .thresholds import alpha_interpolation

__all__ = ["ERMResult", "erm"]


@dataclass
class ERMResult:
    """Fixed point of the ERM state equations and the errors it implies.

    Every field is an array with the broadcast shape of the inputs.

    Attributes
    ----------
    e_gen : generalisation error on fresh rule-labelled inputs, ``arccos(m/sqrt q)/pi``.
    e_mem : memorisation error, fraction of training facts misclassified.
    e_train_rule : training error on the rule samples.
    m, q, V : overlap with the teacher, self-overlap and response of the student field.
    m_hat, q_hat, V_hat : conjugate order parameters.
    converged : whether the fixed point was reached to the tolerance.
    n_iter : solver iterations (0 for closed forms).
    """

    e_gen: np.ndarray
    e_mem: np.ndarray
    e_train_rule: np.ndarray
    m: np.ndarray
    q: np.ndarray
    V: np.ndarray
    m_hat: np.ndarray
    q_hat: np.ndarray
    V_hat: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray

    def __getitem__(self, key):
        return ERMResult(**{f.name: getattr(self, f.name)[key] for f in fields(self)})

    @property
    def shape(self):
        return self.e_gen.shape


def _validate(alpha, eps, lam, loss, mu1, mustar, kappa):
    alpha = check_range("alpha", alpha, 0.0, low_open=True)
    eps = check_range("eps", eps, 0.0, 1.0)
    lam = check_range("lam", lam, 0.0)
    check_loss(loss, lam)  # a name in LOSSES or a ConvexLoss (lam > 0)
    mu1 = check_range("mu1", mu1, 0.0)
    mustar = check_range("mustar", mustar, 0.0)
    if np.any(mu1 * mu1 + mustar * mustar == 0):
        raise ValueError(
            "The 'mu1' and 'mustar' parameters must not both be 0 (the kernel would vanish)."
        )
    if kappa is not None:
        kappa = check_range("kappa", kappa, 0.0, low_open=True)
        if np.any(lam == 0):
            raise ValueError(
                "The 'lam' parameter must be a float in the range (0, inf) when 'kappa' is "
                "finite (the ridgeless random-features limit is not implemented). Got 0 instead."
            )
    return alpha, eps, lam, mu1, mustar, kappa


def _map(loss, P, idx_sub, r=None):
    """The map ``G`` of the fixed point for the grid points ``idx_sub`` (with optional ``r``)."""
    channel = loss_model(loss).channel
    sub = {k: (None if v is None else v[idx_sub]) for k, v in P.items()}
    if r is not None:
        sub["r"] = r
    if sub["kappa"] is None:

        def G(x, idx):
            M, Q, U = channel(x[:, 0], x[:, 1], x[:, 2], sub["r"][idx], sub["alpha"][idx], sub["eps"][idx])
            return np.stack(kernel_prior(M, Q, U, mu1=sub["mu1"][idx], rho=sub["rho"][idx],
                                         tau=sub["tau"][idx]), axis=1)

    else:

        def G(x, idx):
            M, Q, U = channel(x[:, 0], x[:, 1], x[:, 2], sub["r"][idx],
                              sub["alpha"][idx] / sub["kappa"][idx], sub["eps"][idx])
            return np.stack(random_features_prior(M, Q, U, mu1=sub["mu1"][idx], mustar=sub["mustar"][idx],
                                                  kappa=sub["kappa"][idx], rho=sub["rho"][idx]), axis=1)

    return G


def _continuation(loss, P, lam, idx, *, tol, max_iter, progress, n_steps=40):
    """Warm-started path ``lambda_k`` from ``max(1, lambda)`` down to the target ``lambda``.

    Every step is solved in the rescaled system (``r = lambda_k``) starting from the
    previous step's solution; targets at ``lambda = 0`` end with a step at ``r = 0``
    (rescaled) or, for the plain system, a change of variable ``W -> W / lambda_k``.
    """
    tgt = lam[idx]
    plain = P["rho"][idx] != 1.0
    start = np.maximum(tgt, 1.0)
    stop = np.where(tgt > 0, tgt, 1e-8)
    one = np.ones(idx.size)
    sub = {k: (None if v is None else v[idx]) for k, v in P.items()}
    sub.update(rho=one, tau=sub["mustar"] ** 2)
    ar = np.arange(idx.size)
    x = None
    n_tot = np.zeros(idx.size, int)
    ok = np.ones(idx.size, bool)
    for t in np.linspace(0.0, 1.0, n_steps):
        lam_k = np.exp((1 - t) * np.log(start) + t * np.log(stop))
        if x is None:
            x = np.stack(square_fixed_point(sub["alpha"], sub["eps"], lam_k, sub["mu1"], r=lam_k, rho=one,
                                            tau=sub["tau"]), axis=1)
        G = _map(loss, {**sub, "r": lam_k}, ar)
        fp = solve_fixed_point(G, x, tol=tol, max_iter=max_iter)
        x, ok, n_tot = fp.x, fp.converged, n_tot + fp.n_iter
    # final step to lambda = 0 where the target is ridgeless
    z = np.flatnonzero(tgt == 0)
    if z.size:
        zp = z[plain[z]]  # plain-system targets: W = lambda V -> V
        xz = x.copy()
        if zp.size:
            xz[zp, 2] = x[zp, 2] / stop[zp]
        Pz = {k: (None if v is None else v[idx]) for k, v in P.items()}
        G = _map(loss, Pz, ar)
        fp = solve_fixed_point(lambda xx, ii: G(xx, z[ii]), xz[z], tol=tol, max_iter=max_iter)
        x[z], ok[z], n_tot[z] = fp.x, fp.converged, n_tot[z] + fp.n_iter
    if progress is not None:
        progress.update(int(ok.sum()))
    return x, ok, n_tot


def erm(alpha, eps, lam, *, loss="square", mu1=1.0, mustar=0.0, kappa=None, tol=1e-10,
        max_iter=100, progress=False):
    """Asymptotic errors of ERM on RAF data (THEORY §5–6).

    Parameters
    ----------
    alpha : array_like, > 0
        Sample complexity ``n/d``.
    eps : array_like, in [0, 1]
        Fraction of facts.
    lam : array_like, >= 0
        Ridge ``lambda`` of ``sum_mu loss + lambda/2 |w|^2``. ``0`` is the ridgeless limit.
    loss : {"square", "hinge", "logistic"} or ConvexLoss
        Square loss (kernel ridge regression), hinge loss (SVM), logistic loss (logistic
        regression; at ``lambda = 0`` its max-margin limit where the data are separable,
        :mod:`raf.theory.logistic`) or a user's convex loss (``lambda > 0``,
        :mod:`raf.theory.generic`).
    mu1, mustar : array_like, >= 0
        Kernel coefficients (THEORY §3). ``mu1=1, mustar=0`` is the linear model.
    kappa : array_like or None
        ``None`` for the kernel limit; a number ``p/d`` for random features.
    tol, max_iter : float, int
        Solver tolerance and Newton iterations (hinge loss and random features).
    progress : bool
        Show a tqdm progress bar counting converged grid points.

    Returns
    -------
    ERMResult
        Arrays with the broadcast shape of ``alpha, eps, lam, mu1, mustar, kappa``.
        Points that did not converge have ``converged=False`` and trigger one warning.
    """
    alpha, eps, lam, mu1, mustar, kappa = _validate(alpha, eps, lam, loss, mu1, mustar, kappa)
    arrays = [alpha, eps, lam, mu1, mustar] + ([] if kappa is None else [kappa])
    b = np.broadcast_arrays(*arrays)
    shape = b[0].shape
    flat = [x.ravel().astype(float) for x in b]
    alpha, eps, lam, mu1, mustar = flat[:5]
    kappa = None if kappa is None else flat[5]
    N = alpha.size

    # Plain system only for the ridgeless linear model above its interpolation threshold.
    plain = (lam == 0) & (mustar == 0)
    if plain.any():
        plain &= alpha >= alpha_interpolation(loss, eps)
    r = np.where(plain, 1.0, lam)
    rho = np.where(plain, lam, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(plain, np.where(mustar > 0, mustar**2 / np.where(lam > 0, lam, 1.0), 0.0), mustar**2)

    m0, q0, W0 = square_fixed_point(alpha, eps, lam, mu1, r=r, rho=rho, tau=tau)
    if loss == "square" and kappa is None:
        m, q, W = m0, q0, W0
        converged = np.isfinite(m) & np.isfinite(q) & np.isfinite(W)
        n_iter = np.zeros(N, int)
    else:
        P = dict(alpha=alpha, eps=eps, mu1=mu1, mustar=mustar, kappa=kappa, r=r, rho=rho, tau=tau)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=N, desc=f"{loss} state equations", unit="pt")
        x0 = np.stack([m0, q0, W0], axis=1)
        ok0 = np.isfinite(x0).all(axis=1) & (W0 > 0) & (q0 > m0 * m0)
        x = np.where(ok0[:, None], x0, np.nan)
        converged = np.zeros(N, bool)
        n_iter = np.zeros(N, int)
        first = np.flatnonzero(ok0)
        if first.size:  # direct Newton from the square-loss solution
            fp = solve_fixed_point(_map(loss, P, first), x0[first], tol=tol, max_iter=min(max_iter, 30),
                                   progress=bar)
            x[first], converged[first], n_iter[first] = fp.x, fp.converged, fp.n_iter
        rest = np.flatnonzero(~converged)
        # continuation in lambda from lambda = 1 down to the target; ridgeless rescaled points
        # (r = 0) of the logistic loss are max-margin ones and follow the hinge's path
        for path, part in ((loss, rest[r[rest] > 0]), (max_margin_path(loss), rest[r[rest] == 0])):
            if part.size:
                xr, cr, nr = _continuation(path, P, lam, part, tol=tol, max_iter=max_iter, progress=bar)
                x[part], converged[part], n_iter[part] = xr, cr, n_iter[part] + nr
        if bar is not None:
            bar.close()
        m, q, W = x.T

    rho_gen = np.clip(m / np.sqrt(q), -1.0, 1.0)
    e_gen = np.arccos(rho_gen) / np.pi
    e_mem, e_rule = loss_model(loss).training_errors(m, q, W, r, eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        V = np.where(r > 0, W / np.where(r > 0, r, 1.0), np.inf)
    channel = loss_model(loss).channel
    a_ch = alpha if kappa is None else alpha / kappa
    M, Q, U = channel(m, q, W, r, a_ch, eps)
    m_hat, q_hat, V_hat = M * r, Q * r * r, U * r

    bad = ~converged
    if bad.any():
        warnings.warn(
            f"erm: {int(bad.sum())} of {N} points did not converge (loss={loss!r}); "
            "their entries have converged=False.",
            RuntimeWarning,
            stacklevel=2,
        )
    out = dict(e_gen=e_gen, e_mem=e_mem, e_train_rule=e_rule, m=m, q=q, V=V, m_hat=m_hat,
               q_hat=q_hat, V_hat=V_hat, converged=converged, n_iter=n_iter)
    return ERMResult(**{k: np.asarray(v).reshape(shape) for k, v in out.items()})
