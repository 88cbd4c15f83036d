"""The linear SVM in its primal: ``p`` weights, however many samples (THEORY §2, §7; paper Fig. 9).

One job: minimise the intercept-free hinge ERM on explicit features ``phi_mu`` (``p`` of them)::

    sum_mu max(0, 1 - y_mu w . phi_mu) + lam/2 ||w||^2,        lam >= 0,

the estimator of :func:`raf.learners.svm_errors` (``C = 1/lam``) and of ``raf.theory.erm(...,
loss="hinge")``, without ever forming the ``n x n`` Gram matrix. The dual solver
:func:`raf.svm.solve_svm_dual` needs ``Q = (y y^T) * K``, ``n^2`` numbers: 20 GB at ``n = 50 000``.
Here every step costs ``O(n p^2)``, so the linear model at ``d = 50`` and ``alpha = 1000`` takes a
fraction of a second. ``lam = 0`` is allowed: on data that are not separable the problem is a
linear programme with a finite minimiser, the ``lam -> 0+`` limit the theory describes above the
separability threshold ``alpha_c(eps)`` (below it, the limit is the hard-margin SVM: use a small
``lam > 0`` or :func:`raf.learners.svm_errors` at ``lam = 0``).

Write ``z_mu = y_mu phi_mu`` and ``m_mu = z_mu . w`` (the margins). With dual variables
``beta_mu in [0, 1]`` (``beta = a lam`` in the units of :mod:`raf.svm`), the KKT conditions are::

    lam w = sum_mu beta_mu z_mu,     beta_mu = 1 if m_mu < 1,  0 if m_mu > 1,  in [0, 1] if m_mu = 1.

Two stages (:func:`solve_linear_hinge`):

1. a Mehrotra predictor-corrector interior-point method on the primal with slacks
   ``xi >= 1 - m, xi >= 0``; the Newton systems reduce to ``(lam I + Z^T D Z) dw = r``, a
   ``p x p`` Cholesky factorisation per iteration;
2. once the iterate is close, a *crossover* to the exact solution: the samples are split into
   ``U`` (margin below 1, ``beta = 1``), ``L`` (above 1, ``beta = 0``) and ``E`` (on the margin,
   at most about ``p`` of them) and the linear system ``lam w - Z_E^T beta_E = Z_U^T 1``,
   ``Z_E w = 1`` is solved; misplaced samples are moved and the solve repeated (primal-dual active
   set) until the KKT conditions hold to round-off.

Convergence is certified by the natural KKT residual ``max |beta - clip(beta - (m - 1), 0, 1)|``
(in units of the margin; together with the stationarity residual, relative) and by the relative
duality gap; a solve that does not reach ``tol`` is flagged ``converged=False`` with one warning.
:func:`simulate_linear_hinge` runs it on Gaussian RAF data over seeds, as
:func:`raf.simulations.simulate_linear` does with ``loss="hinge"``, for ``n`` up to tens of
thousands; :func:`simulate_alpha_sweep` runs the linear model (square or hinge loss) along a
sweep of ``alpha`` with independent data sets at every point, the input of a fitted rate
(:func:`raf.scaling.fit_rate`).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve, lstsq

from ._validation import Integer, Interval, check_choice, check_range, validated
from .data import sample
from .learners import ridges
from .result import Result
from .simulations import _seeds, _summary, seed_streams, simulate_linear

__all__ = ["solve_linear_hinge", "simulate_linear_hinge", "simulate_alpha_sweep"]

_STEP = 0.995          # fraction of the way to the boundary of an interior-point step
_CROSSOVER_MU = 1e-2   # try the crossover once the mean complementarity is below this
_PDAS_ITER = 10        # active-set corrections per crossover attempt


# ----------------------------------------------------------------------------------------------
# certificates
# ----------------------------------------------------------------------------------------------


def _kkt(Z, w, beta, lam):
    """KKT residual of ``(w, beta)``: complementarity (margin units) and stationarity (relative)."""
    m = Z @ w
    comp = float(np.max(np.abs(beta - np.clip(beta - (m - 1.0), 0.0, 1.0)))) if m.size else 0.0
    zb = Z.T @ beta
    scale = max(1.0, float(np.max(np.abs(zb))), lam * float(np.max(np.abs(w))) if w.size else 0.0)
    stat = float(np.max(np.abs(lam * w - zb))) / scale if w.size else 0.0
    return max(comp, stat)


def _gap(Z, w, beta, lam):
    """Relative duality gap ``(P - D) / max(P, 1)``; ``D`` is the dual value at ``beta``.

    ``P = sum max(0, 1 - m) + lam |w|^2 / 2``; ``D = sum beta - |Z^T beta|^2 / (2 lam)`` (for
    ``lam = 0``: ``sum beta`` on ``Z^T beta = 0``, the residual of which is part of :func:`_kkt`).
    """
    m = Z @ w
    primal = float(np.maximum(0.0, 1.0 - m).sum() + 0.5 * lam * (w @ w))
    if lam > 0:
        zb = Z.T @ beta
        dual = float(beta.sum() - 0.5 * (zb @ zb) / lam)
    else:
        dual = float(beta.sum())
    return abs(primal - dual) / max(primal, 1.0), primal


# ----------------------------------------------------------------------------------------------
# stage 2: crossover to the exact solution
# ----------------------------------------------------------------------------------------------


def _exact_on(Z, lam, U, E):
    """Solve ``lam w - Z_E^T b = Z_U^T 1``, ``Z_E w = 1`` for ``(w, b)`` (least squares if singular)."""
    p = Z.shape[1]
    g = Z[U].sum(axis=0)
    ZE = Z[E]
    k = ZE.shape[0]
    if lam > 0 and k <= p:
        # eliminate w = (g + Z_E^T b) / lam: (Z_E Z_E^T) b = lam - Z_E g, a k x k positive
        # definite system when Z_E has full row rank (a third of the cost of the saddle system)
        try:
            b = cho_solve(cho_factor(ZE @ ZE.T, check_finite=False), lam - ZE @ g, check_finite=False)
            if np.all(np.isfinite(b)):
                return (g + ZE.T @ b) / lam, b
        except LinAlgError:
            pass  # rank-deficient Z_E: the saddle system below, by least squares
    A = np.zeros((p + k, p + k))
    A[:p, :p] = lam * np.eye(p)
    A[:p, p:] = -ZE.T
    A[p:, :p] = ZE
    rhs = np.concatenate([g, np.ones(k)])
    try:
        sol = np.linalg.solve(A, rhs)
        if not np.all(np.isfinite(sol)):
            raise LinAlgError
    except LinAlgError:
        # QR with column pivoting: the least-squares answer of the SVD driver at a fraction of
        # its cost (at p + k = 1600: 0.3 s against 2.3 s)
        sol = lstsq(A, rhs, lapack_driver="gelsy", check_finite=False)[0]
    return sol[:p], sol[p:]


def _crossover(Z, lam, w, beta, tol, max_e):
    """From an approximate ``(w, beta)``, the exact solution by primal-dual active sets, or None.

    Sets from the approximation: on the margin (``E``) the samples whose margin is within the
    band where ``beta`` is strictly inside ``(0, 1)``; then repeated exact solves, moving each
    sample whose ``beta`` leaves ``[0, 1]`` or whose margin crosses 1 on the wrong side.
    """
    m = Z @ w
    # a sample sits on the margin when its dual variable is far from both bounds relative to
    # its distance from the margin (the interior point's complementarity says the same)
    E = (np.abs(m - 1.0) < np.minimum(beta, 1.0 - beta))
    U = ~E & (m < 1.0)
    for _ in range(_PDAS_ITER):
        if np.count_nonzero(E) > max_e:
            return None
        wE, bE = _exact_on(Z, lam, U, E)
        b = U.astype(float)
        b[E] = bE
        if _kkt(Z, wE, np.clip(b, 0.0, 1.0), lam) <= tol:
            return wE, np.clip(b, 0.0, 1.0)
        mE = Z @ wE
        idx_E = np.flatnonzero(E)
        leave_low, leave_high = idx_E[bE < -tol], idx_E[bE > 1.0 + tol]
        enter = np.flatnonzero((U & (mE > 1.0 + tol)) | (~U & ~E & (mE < 1.0 - tol)))
        if leave_low.size + leave_high.size + enter.size == 0:
            return wE, np.clip(b, 0.0, 1.0)  # no move left: the caller's certificate decides
        E[leave_low] = False
        E[leave_high] = False
        U[leave_high] = True
        U[enter] = False
        E[enter] = True
    return None


# ----------------------------------------------------------------------------------------------
# stage 1: interior point
# ----------------------------------------------------------------------------------------------


def _step_to_boundary(v, dv):
    neg = dv < 0
    return min(1.0, float(np.min(-v[neg] / dv[neg]))) if np.any(neg) else 1.0


def _solve(Z, lam, tol, max_iter):
    n, p = Z.shape
    w = np.zeros(p)
    xi, s = np.full(n, 2.0), np.ones(n)        # primal: Z w + xi - 1 - s = 0 at the start
    beta, eta = np.full(n, 0.5), np.full(n, 0.5)  # dual: beta + eta = 1 at the start
    best = None
    eye = lam * np.eye(p)
    for it in range(1, max_iter + 1):
        mu = float(beta @ s + eta @ xi) / (2 * n)
        # the crossover is tried once the iterate names at most p samples on the margin (a vertex
        # of the linear programme at lam = 0 has exactly p; with lam > 0 there are at most p)
        if mu < _CROSSOVER_MU and np.count_nonzero(np.abs(Z @ w - 1.0) < np.minimum(beta, 1.0 - beta)) <= p:
            exact = _crossover(Z, lam, w, beta, tol, p + 5)
            if exact is not None:
                kkt = _kkt(Z, *exact, lam)
                if best is None or kkt < best[2]:
                    best = (exact[0], exact[1], kkt, it)
                if kkt <= tol:
                    break
        r_w = lam * w - Z.T @ beta
        r_xi = 1.0 - beta - eta
        r_p = Z @ w + xi - 1.0 - s
        D = 1.0 / (xi / eta + s / beta)
        ZD = Z * np.sqrt(D)[:, None]
        M = eye + ZD.T @ ZD  # one operand transposed: numpy's symmetric rank-k update
        try:
            factor = cho_factor(M, check_finite=False)
        except LinAlgError:
            factor = cho_factor(M + 1e-12 * np.trace(M) / p * np.eye(p), check_finite=False)

        def direction(rc1, rc2):
            rhs_b = -r_p + (rc2 + xi * r_xi) / eta - rc1 / beta
            dw = cho_solve(factor, -r_w + Z.T @ (D * rhs_b), check_finite=False)
            db = D * (rhs_b - Z @ dw)
            de = r_xi - db
            ds = (-rc1 - s * db) / beta
            dx = (-rc2 - xi * de) / eta
            return dw, db, de, ds, dx

        def step(db, de, ds, dx):
            return min(_step_to_boundary(beta, db), _step_to_boundary(eta, de),
                       _step_to_boundary(s, ds), _step_to_boundary(xi, dx))

        # predictor (affine scaling), then Mehrotra's corrector with centring sigma = (mu_aff/mu)^3
        dw, db, de, ds, dx = direction(beta * s, eta * xi)
        a = step(db, de, ds, dx)
        mu_aff = float((beta + a * db) @ (s + a * ds) + (eta + a * de) @ (xi + a * dx)) / (2 * n)
        sigma = (mu_aff / mu) ** 3
        dw, db, de, ds, dx = direction(beta * s + db * ds - sigma * mu, eta * xi + de * dx - sigma * mu)
        a = _STEP * step(db, de, ds, dx)
        w, beta, eta, s, xi = w + a * dw, beta + a * db, eta + a * de, s + a * ds, xi + a * dx
        if not all(np.all(np.isfinite(v)) for v in (w, beta, eta, s, xi)):
            break
    if best is None:  # no crossover succeeded: the interior iterate, its dual clipped to [0, 1]
        b = np.clip(beta, 0.0, 1.0)
        best = (w, b, _kkt(Z, w, b, lam), max_iter)
    return best


def _separable(Z):
    """Whether some ``w`` has every margin ``Z w >= 1`` (a feasibility linear programme, HiGHS)."""
    from scipy.optimize import linprog

    n, p = Z.shape
    lp = linprog(np.zeros(p), A_ub=-Z, b_ub=-np.ones(n), bounds=[(None, None)] * p, method="highs")
    return lp.status == 0


# ----------------------------------------------------------------------------------------------
# public
# ----------------------------------------------------------------------------------------------


@validated(lam=Interval(0.0, np.inf), tol=Interval(0.0, np.inf, low_open=True), max_iter=Integer(1))
def solve_linear_hinge(features, y, lam, *, tol=1e-9, max_iter=100, warn=True):
    """Minimise ``sum max(0, 1 - y_mu w . phi_mu) + lam/2 |w|^2`` over ``w`` (module docstring).

    Parameters
    ----------
    features : array (n, p)
        The features ``phi_mu`` (the linear model: ``x_mu / sqrt(d)``).
    y : array (n,)
        Labels in {-1, +1}.
    lam : float >= 0
        The ridge. ``0`` is the ``lam -> 0+`` limit on data that are not linearly separable;
        on separable data its minimiser is not unique and the result is flagged.
    tol : float > 0
        Tolerance of the KKT residual.
    max_iter : int
        Interior-point iterations.
    warn : bool
        One ``RuntimeWarning`` when not converged.

    Returns
    -------
    Result
        Input ``lam``; outputs ``w`` (trailing axis ``"feature"``), ``beta`` (the dual variables in
        ``[0, 1]``, trailing axis ``"sample"``; ``w = Z^T beta / lam``), ``gap`` (relative duality
        gap), ``objective`` (the primal value); ``converged``, ``n_iter``, ``residual`` (the KKT
        residual) and ``message``.
    """
    Phi = np.asarray(features, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if Phi.ndim != 2 or Phi.shape[0] == 0 or Phi.shape[1] == 0:
        raise ValueError(f"The 'features' parameter must be a non-empty (n, p) array. Got shape "
                         f"{Phi.shape} instead.")
    if y.shape != (Phi.shape[0],) or not np.all(np.abs(y) == 1.0):
        raise ValueError(f"The 'y' parameter must be an ({Phi.shape[0]},) array of +-1 labels. "
                         f"Got shape {y.shape} instead." if y.shape != (Phi.shape[0],) else
                         "The 'y' parameter must hold labels in {-1, +1}.")
    if not np.all(np.isfinite(Phi)):
        raise ValueError("The 'features' parameter must be finite.")
    lam = float(lam)
    Z = y[:, None] * Phi
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        w, beta, kkt, nit = _solve(Z, lam, float(tol), int(max_iter))
    gap, primal = _gap(Z, w, beta, lam)
    converged = bool(np.isfinite(kkt) and kkt <= tol)
    if lam == 0 and ((converged and primal <= tol * Z.shape[0]) or (not converged and _separable(Z))):
        converged = False
        msg = ("lam = 0 on separable data: the minimiser is not unique (the lam -> 0+ limit is the "
               "hard-margin SVM); use a small lam > 0")
    elif converged:
        msg = f"converged (KKT residual {kkt:.2g}, duality gap {gap:.2g})"
    else:
        msg = f"KKT residual {kkt:.3g} above tol={tol:g} after {nit} interior-point iterations"
    res = Result({"lam": lam}, {"w": w, "beta": beta, "gap": gap, "objective": primal},
                 converged=converged, n_iter=nit, residual=kkt, message=msg,
                 trailing={"w": "feature", "beta": "sample"})
    if warn and not converged:
        warnings.warn(f"solve_linear_hinge did not converge: {msg}", RuntimeWarning, stacklevel=2)
    return res


@validated(d=Integer(1), alpha=Interval(0.0, np.inf, low_open=True), eps=Interval(0.0, 1.0),
           lams=ridges, seeds=_seeds, tol=Interval(0.0, np.inf, low_open=True))
def simulate_linear_hinge(d, alpha, eps, lams, *, seeds=(0, 1, 2, 3, 4), exact_fraction=False,
                          tol=1e-9):
    """The linear SVM ``f(x) = w . x / sqrt(d)`` on Gaussian RAF data, solved in the primal (THEORY §7).

    The estimator of :func:`raf.simulations.simulate_linear` with ``loss="hinge"`` (same training
    data for the same seed), but solved by :func:`solve_linear_hinge`, so ``n = alpha d`` can be
    tens of thousands; and ``lam = 0`` means the ``lam -> 0+`` limit above the separability
    threshold (the theory's, ``raf.theory.erm(..., loss="hinge", lam=0)``), not the hard margin.

    ``E_gen`` is exact, not a test-set estimate: for Gaussian inputs and the rule
    ``sign(w* . x)``, the probability that ``sign(w . x)`` disagrees is the angle between ``w``
    and ``w*`` over ``pi`` (THEORY §1). ``E_mem`` and ``E_train_rule`` are the training errors on
    the facts and on the rule samples.

    Parameters
    ----------
    d : int
        Dimension; ``n = round(alpha d)``.
    alpha : float > 0
    eps : float in [0, 1]
    lams : float or array (L,), >= 0
    seeds : sequence of int
    exact_fraction : bool
        Passed to :func:`raf.data.sample`.
    tol : float > 0
        KKT tolerance of each solve.

    Returns
    -------
    Result
        Over ``lam``, as :func:`raf.simulations.simulate_linear`: ``e_gen``, ``e_mem``,
        ``e_train_rule``, their standard errors ``*_sem`` and per-seed values ``*_seeds``;
        ``converged`` where every seed's solve converged (one ``RuntimeWarning`` otherwise).
    """
    per_seed = []
    for seed in seeds:
        data = sample.__wrapped__(d, alpha, eps, seed=seed_streams(seed)[0],
                                  exact_fraction=exact_fraction)
        Phi = data.X / np.sqrt(d)
        t = data.teacher / np.linalg.norm(data.teacher)
        out = {k: np.full(lams.size, np.nan) for k in ("e_gen", "e_mem", "e_train_rule")}
        conv, nit, resid, msgs = np.zeros(lams.size, bool), np.zeros(lams.size, int), np.zeros(lams.size), []
        for j, lam in enumerate(lams):
            r = solve_linear_hinge.__wrapped__(Phi, data.y, float(lam), tol=tol, max_iter=100, warn=False)
            w = np.asarray(r.w)
            norm = float(np.linalg.norm(w))
            cos = float(np.clip(w @ t / norm, -1.0, 1.0)) if norm > 0 else 0.0
            out["e_gen"][j] = np.arccos(cos) / np.pi
            wrong = (np.sign(Phi @ w) != data.y).astype(float)
            out["e_mem"][j] = wrong[data.is_fact].mean() if data.is_fact.any() else np.nan
            out["e_train_rule"][j] = wrong[~data.is_fact].mean() if (~data.is_fact).any() else np.nan
            conv[j], nit[j], resid[j] = bool(r.converged), int(r.n_iter), float(r.residual)
            if not r.converged:
                msgs.append(f"lam={float(lam):g}: {r.message}")
        per_seed.append(Result({"lam": lams}, out, converged=conv, n_iter=nit, residual=resid,
                               message="; ".join(msgs) if msgs else "converged"))
    inputs = {"d": d, "n": data.n, "alpha": float(alpha), "eps": float(eps), "loss": "hinge",
              "kernel": "linear", "mu1": 1.0, "mustar": 0.0}
    return _summary(per_seed, lams, seeds, inputs, "simulate_linear_hinge")


def _seed_counts(name, value):
    """Spec of ``n_seeds``: an int >= 2, or a sequence of them (one per ``alpha``), each < 1000."""
    counts = np.atleast_1d(np.asarray(value))
    if (counts.ndim != 1 or counts.size == 0 or counts.dtype.kind not in "iu"
            or np.any(counts < 2) or np.any(counts >= 1000)):
        raise ValueError(f"The '{name}' parameter must be an int in [2, 999] or a sequence of such "
                         f"ints (one per alpha). Got {value!r} instead.")
    return counts.astype(int)


@validated(d=Integer(1), eps=Interval(0.0, 1.0), n_seeds=_seed_counts, first_seed=Integer(0),
           n_test=Integer(1))
def simulate_alpha_sweep(d, alphas, eps, lams, *, loss="square", n_seeds=8, first_seed=0,
                         n_test=20000):
    """The linear model at every ``alpha`` of a sweep, each point on its own data sets (paper Fig. 6, 9).

    ``loss="square"``: ridge regression in closed form in its ``d``-dimensional primal
    (:func:`raf.simulations.simulate_linear`, cost ``n d^2``, ``E_gen`` on ``n_test`` rule-labelled
    test inputs); ``loss="hinge"``: the linear SVM in its primal (:func:`simulate_linear_hinge`,
    exact ``E_gen``). The seeds of point ``k`` are ``first_seed + 1000 k + s``, ``s < n_seeds[k]``:
    the points are independent, as a weighted fit of their slope (:func:`raf.scaling.fit_rate`)
    assumes. A point at small ``alpha`` is cheap, so it can be given more seeds (a sequence
    ``n_seeds``): with a handful of seeds the sample standard error itself is uncertain by tens
    of per cent.

    Parameters
    ----------
    d : int
    alphas : array (A,), > 0
    eps : float in [0, 1]
    lams : float or array (A,), >= 0
        The ridge at each ``alpha`` (e.g. the theory's optimal ridge there).
    loss : {"square", "hinge"}
    n_seeds : int in [2, 999], or a sequence of them (A,)
    first_seed : int >= 0
    n_test : int
        Test inputs per seed (square loss only).

    Returns
    -------
    Result
        Over ``alpha`` (inputs ``alpha``, ``lam``, ``d``, ``eps``, ``loss``): ``e_gen``, ``e_mem``,
        ``e_train_rule``, each with ``*_sem`` (standard error of the mean over the seeds), and
        ``n_seeds``;
        ``converged`` where every seed's fit converged.
    """
    alphas = np.atleast_1d(check_range("alphas", alphas, 0.0, low_open=True))
    if alphas.ndim != 1:
        raise ValueError(f"The 'alphas' parameter must be a 1-d array. Got shape {alphas.shape} instead.")
    lams = ridges("lams", lams)
    if lams.size == 1:
        lams = np.full(alphas.shape, float(lams[0]))
    if lams.shape != alphas.shape:
        raise ValueError(f"The 'lams' parameter must be a scalar or have the shape of 'alphas' "
                         f"{alphas.shape}. Got shape {lams.shape} instead.")
    check_choice("loss", loss, ("square", "hinge"))
    if n_seeds.size == 1:
        n_seeds = np.full(alphas.shape, int(n_seeds[0]))
    if n_seeds.shape != alphas.shape:
        raise ValueError(f"The 'n_seeds' parameter must be an int or have the shape of 'alphas' "
                         f"{alphas.shape}. Got shape {n_seeds.shape} instead.")
    keys = ("e_gen", "e_mem", "e_train_rule")
    out = {k + s: np.full(alphas.shape, np.nan) for k in keys for s in ("", "_sem")}
    converged = np.zeros(alphas.shape, bool)
    for k, (a, lam) in enumerate(zip(alphas, lams)):
        seeds = tuple(first_seed + 1000 * k + s for s in range(int(n_seeds[k])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # one warning for the sweep, below
            if loss == "square":
                r = simulate_linear(d, float(a), eps, [float(lam)], loss="square", seeds=seeds, n_test=n_test)
            else:
                r = simulate_linear_hinge.__wrapped__(d, float(a), eps, np.array([float(lam)]), seeds=seeds)
        for key in out:
            out[key][k] = float(np.asarray(r[key])[0])
        converged[k] = bool(np.asarray(r.converged)[0])
    res = Result({"alpha": alphas, "lam": lams, "d": d, "eps": float(eps), "loss": loss},
                 dict(out, n_seeds=n_seeds), converged=converged)
    if not res.success:
        warnings.warn(f"simulate_alpha_sweep: {int(np.count_nonzero(~converged))} of {alphas.size} "
                      "points did not converge; they are flagged converged=False.", RuntimeWarning,
                      stacklevel=2)
    return res
