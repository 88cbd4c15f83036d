"""Summaries of CIFAR10-RAF sweeps (paper Fig. 5, 14, 15; THEORY §7): the numbers the chapter
reads off the results of :func:`raf.cifar.cifar10_raf_errors`.

One job: reduce a sweep's :class:`raf.result.Result` to what a figure or a table shows, with
standard errors over the draws; nothing here draws data or fits a learner.

* :func:`bandwidth_summary`, :func:`bandwidth_table`: per kernel, E_gen at the smallest ridge and
  at the best ridge of the grid (Fig. 5, 15);
* :func:`quadratic_twins`, :func:`select_draws`, :func:`join_kernels`, :func:`twin_summary`: the
  quadratic kernels with the (mu1, mu*) of each RBF bandwidth, paired draw by draw with their RBF
  twins (Fig. 14);
* :func:`distance_summary`: squared distances between z-scored images against ``2 d``.
"""

from __future__ import annotations

import numpy as np

from ._validation import Integer, Interval, validated
from .cifar import ERRORS, _error_outputs
from .image_kernels import kernel_coefficients
from .result import Result

__all__ = ["bandwidth_summary", "bandwidth_table", "distance_summary", "join_kernels",
           "quadratic_twins", "select_draws", "twin_summary"]


def bandwidth_summary(res, *, kernels=None):
    """Each kernel of a :func:`cifar10_raf_errors` result beside the Gaussian theory (paper Fig. 5).

    For each kernel (rows ``kernels`` of ``res``, default all) at the ``(mu1, mustar)`` the
    theory assigns it (THEORY §3, §5): the theory's ``E_gen`` at ``lambda -> 0+`` and at its
    optimal ridge (with ``E_mem`` there), and the measured ``E_gen`` at the smallest ridge of the
    grid and at the ridge of smallest mean ``E_gen`` (with its standard error and ``E_mem``).

    Returns
    -------
    Result
        Over the kernels: inputs ``kernel``, ``gamma``, ``theta``, ``mu1``, ``mustar``,
        ``alpha``, ``eps``, ``loss``; outputs ``theory_e_gen_0``, ``theory_lam_opt``,
        ``theory_e_gen_opt``, ``theory_e_mem_opt``, ``lam_min``, ``e_gen_lam_min``,
        ``e_gen_lam_min_sem``, ``e_mem_lam_min``, ``lam_best``, ``e_gen_best``,
        ``e_gen_best_sem``, ``e_mem_best``. ``converged`` where both theory points converged.
    """
    from .theory import erm, optimal_lambda

    rows = np.arange(res.shape[0]) if kernels is None else np.asarray(kernels)
    sub = res[rows]
    alpha, eps, loss = float(sub.alpha.flat[0]), float(sub.eps.flat[0]), sub.loss
    mu1, mustar = sub.mu1[:, 0], sub.mustar[:, 0]
    th0 = erm(alpha, eps, 0.0, loss=loss, mu1=mu1, mustar=mustar)
    thb = optimal_lambda(alpha, eps, loss=loss, mu1=mu1, mustar=mustar)
    lam_opt = thb.lam
    lams = sub.lam[0]
    j0 = int(np.argmin(lams))
    jb = np.nanargmin(sub.e_gen, axis=1)
    k = np.arange(rows.size)
    outputs = {
        "theory_e_gen_0": th0.e_gen, "theory_lam_opt": lam_opt, "theory_e_gen_opt": thb.e_gen,
        "theory_e_mem_opt": thb.e_mem, "lam_min": np.full(k.size, lams[j0]),
        "e_gen_lam_min": sub.e_gen[:, j0], "e_gen_lam_min_sem": sub.e_gen_sem[:, j0],
        "e_mem_lam_min": sub.e_mem[:, j0], "lam_best": lams[jb], "e_gen_best": sub.e_gen[k, jb],
        "e_gen_best_sem": sub.e_gen_sem[k, jb], "e_mem_best": sub.e_mem[k, jb]}
    inputs = {name: getattr(sub, name)[:, 0] for name in ("kernel", "gamma", "theta", "mu1",
                                                          "mustar")}
    return Result(inputs | {"alpha": alpha, "eps": eps, "loss": loss}, outputs,
                  converged=np.asarray(th0.converged) & np.asarray(thb.converged))


def bandwidth_table(summary, bandwidths):
    """Header and rows of the bandwidth table (for :func:`raf.tables.markdown_table`).

    ``summary`` is a :func:`bandwidth_summary`, ``bandwidths`` the labels of its rows (the RBF
    ``gamma`` in units of ``gamma*``). Measured errors read ``mean ± standard error``.
    """
    header = ["$\\gamma/\\gamma^\\star$", "theory $E_{\\rm gen}(0^+)$",
              "theory $E_{\\rm gen}(\\lambda_{\\rm opt})$", "theory $E_{\\rm mem}(\\lambda_{\\rm opt})$",
              "CIFAR $E_{\\rm gen}$, smallest $\\lambda$", "CIFAR best $E_{\\rm gen}$",
              "CIFAR $E_{\\rm mem}$ there"]
    s = summary
    rows = [[f"{b:g}", f"{s.theory_e_gen_0[i]:.3f}", f"{s.theory_e_gen_opt[i]:.3f}",
             f"{s.theory_e_mem_opt[i]:.3f}",
             f"{s.e_gen_lam_min[i]:.3f} ± {s.e_gen_lam_min_sem[i]:.3f}",
             f"{s.e_gen_best[i]:.3f} ± {s.e_gen_best_sem[i]:.3f}", f"{s.e_mem_best[i]:.3f}"]
            for i, b in enumerate(bandwidths)]
    return header, rows


@validated(gammas=Interval(0.0, np.inf, low_open=True))
def quadratic_twins(gammas):
    """Free quadratic kernels, each the Gaussian-theory twin of the RBF ``("rbf", gamma)``.

    For each ``gamma``: ``("quadratic", mu1, mustar, c0)`` with the ``(mu1, mustar)`` of
    ``RBF(gamma)`` (so the same angle ``theta`` and the same theory at every ridge) and
    ``c0 = e^{-2 gamma}``, the RBF's ``k(0)`` (so also the same ``k(1) = 1``; the constant does
    not enter the theory). At ``gamma`` the kernel is the matched quadratic ``("quad", gamma)``
    of paper Fig. 14 right (:mod:`raf.image_kernels`).
    """
    g = np.atleast_1d(np.asarray(gammas, dtype=float))
    mu1, mustar, _ = kernel_coefficients.__wrapped__(g)
    return [("quadratic", float(a), float(b), float(np.exp(-2.0 * x)))
            for a, b, x in zip(np.atleast_1d(mu1), np.atleast_1d(mustar), g)]


def select_draws(res, repeats=None, *, kernels=None):
    """A :func:`cifar10_raf_errors` sweep cut to its first ``repeats`` draws and rows ``kernels``.

    The means and standard errors are recomputed over the kept draws (``seed, 0`` ...
    ``seed, repeats - 1``, the same draws as any other sweep with that ``seed`` and as many
    repeats or more). ``converged``, ``n_iter`` and ``residual`` stay those of all draws.
    """
    R = res.e_gen_repeats.shape[-1]
    repeats = R if repeats is None else Integer(1)("repeats", repeats)
    if repeats > R:
        raise ValueError(f"The 'repeats' parameter must be at most the {R} draws of the sweep. "
                         f"Got {repeats} instead.")
    sub = res if kernels is None else res[np.atleast_1d(np.asarray(kernels))]
    outputs = {k: v for k, v in sub.outputs.items() if not k.startswith(ERRORS)}
    outputs |= _error_outputs({key: sub[key + "_repeats"][..., :repeats] for key in ERRORS})
    return Result(sub.inputs, outputs, converged=sub.converged, n_iter=sub.n_iter,
                  residual=sub.residual, trailing=sub.trailing)


_SAME_SETTINGS = ("alpha", "eps", "loss", "seed", "n", "n_test", "rule_classes", "fact_class")


def _check_same_setting(results, name, what):
    values = {str(np.asarray(getattr(r, name)).flat[0]) for r in results}
    if len(values) > 1:
        raise ValueError(f"The {what} must share '{name}' (the same draws and settings). "
                         f"Got {sorted(values)}.")


def join_kernels(*results):
    """Sweeps of :func:`cifar10_raf_errors` stacked over the kernel axis, in the order given.

    They must share the ridges, the number of draws and the settings (so the same draws).
    """
    if not results:
        raise ValueError("The 'results' parameter must hold at least one sweep.")
    for name in _SAME_SETTINGS:
        _check_same_setting(results, name, "sweeps to join")
    lams = results[0].lam[0]
    for r in results[1:]:
        if r.lam.shape[1:] != lams.shape or not np.array_equal(r.lam[0], lams):
            raise ValueError("The sweeps to join must share the ridges 'lams'.")
        if r.e_gen_repeats.shape[-1] != results[0].e_gen_repeats.shape[-1]:
            raise ValueError("The sweeps to join must have the same number of draws; cut them "
                             "with select_draws first.")
    cat = lambda name: np.concatenate([np.asarray(getattr(r, name)) for r in results])  # noqa: E731
    inputs = {k: (v if v is None or isinstance(v, str) else cat(k))
              for k, v in results[0].inputs.items()}
    outputs = {k: cat(k) for k in results[0].outputs}
    return Result(inputs, outputs, converged=cat("converged"), n_iter=cat("n_iter"),
                  residual=cat("residual"), trailing=results[0].trailing)


def twin_summary(rbf, quad):
    """Kernels with the same ``(mu1, mustar)`` on the same draws, pair by pair (paper Fig. 14).

    ``rbf`` and ``quad`` are :func:`cifar10_raf_errors` sweeps with the same number of kernels,
    row ``k`` of one the Gaussian-theory twin of row ``k`` of the other (the same ``mu1`` and
    ``mustar``, checked), the same ridges and settings. ``quad`` may have fewer draws: ``rbf`` is
    cut to the first ones (:func:`select_draws`), so every difference is paired, draw by draw.

    Returns
    -------
    Result
        Over the pairs: inputs ``theta``, ``mu1``, ``mustar`` (shared), ``repeats``, ``alpha``,
        ``eps``; outputs ``e_gen_lam_min_rbf``, ``e_gen_lam_min_quad`` (mean ``E_gen`` at the
        smallest ridge), ``gap_lam_min`` (their paired difference, quad minus rbf), its standard
        error ``gap_lam_min_sem`` and per-draw values ``gap_lam_min_repeats``;
        ``e_mem_lam_max_rbf``, ``e_mem_lam_max_quad`` and their ``_sem`` (at the largest ridge);
        ``e_gen_best_rbf``, ``e_gen_best_quad`` (smallest mean ``E_gen`` over the ridges) with
        ``e_mem_best_rbf``, ``e_mem_best_quad`` there; the Gaussian theory of the pair at the
        smallest and largest ridge, ``theory_e_gen_lam_min``, ``theory_e_mem_lam_max``.
    """
    from .theory import erm

    K, R = quad.shape[0], quad.e_gen_repeats.shape[-1]
    if rbf.shape[0] != K:
        raise ValueError(f"The sweeps 'rbf' and 'quad' must have as many kernels. Got {rbf.shape[0]} "
                         f"and {K}.")
    for name in _SAME_SETTINGS:
        _check_same_setting((rbf, quad), name, "sweeps 'rbf' and 'quad'")
    if not np.array_equal(rbf.lam[0], quad.lam[0]):
        raise ValueError("The sweeps 'rbf' and 'quad' must share the ridges 'lams'.")
    for name in ("mu1", "mustar"):
        if not np.allclose(rbf[name][:, 0], quad[name][:, 0], rtol=1e-12, atol=0.0):
            raise ValueError(f"Row k of 'quad' must be the twin of row k of 'rbf' (the same '{name}').")
    rbf = select_draws(rbf, R)
    j0, j1 = int(np.argmin(quad.lam[0])), int(np.argmax(quad.lam[0]))
    k = np.arange(K)
    gap = quad.e_gen_repeats[:, j0] - rbf.e_gen_repeats[:, j0]
    gaps = _error_outputs({"gap_lam_min": gap})
    mu1, mustar = quad.mu1[:, 0], quad.mustar[:, 0]
    alpha, eps = float(quad.alpha.flat[0]), float(quad.eps.flat[0])
    lams = quad.lam[0][[j0, j1]]
    th = erm(alpha, eps, lams[None, :], loss="square", mu1=mu1[:, None], mustar=mustar[:, None])
    outputs = {"gap_lam_min": gaps["gap_lam_min"], "gap_lam_min_sem": gaps["gap_lam_min_sem"],
               "gap_lam_min_repeats": gap,
               "theory_e_gen_lam_min": th.e_gen[:, 0], "theory_e_mem_lam_max": th.e_mem[:, 1]}
    for tag, r in (("rbf", rbf), ("quad", quad)):
        jb = np.nanargmin(r.e_gen, axis=1)
        outputs |= {f"e_gen_lam_min_{tag}": r.e_gen[:, j0], f"e_mem_lam_max_{tag}": r.e_mem[:, j1],
                    f"e_mem_lam_max_{tag}_sem": r.e_mem_sem[:, j1],
                    f"e_gen_best_{tag}": r.e_gen[k, jb], f"e_mem_best_{tag}": r.e_mem[k, jb]}
    return Result({"theta": quad.theta[:, 0], "mu1": mu1, "mustar": mustar, "repeats": R,
                   "alpha": alpha, "eps": eps}, outputs,
                  converged=np.asarray(th.converged).all(axis=1),
                  trailing={"gap_lam_min_repeats": "repeat"})


def distance_summary(X):
    """Squared distances between distinct rows of z-scored ``X`` (n, d), against ``2 d`` (THEORY §7).

    Returns a dict: ``mean`` (the mean squared distance ``D``, exactly ``2 d n / (n - 1)`` after
    z-scoring with the ``1/n`` convention), ``exact`` (that value), ``p05``, ``median``, ``p95``
    (percentiles in units of ``2 d``) and ``median_over_mean``.
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    sq = np.einsum("ij,ij->i", X, X)
    iu = np.triu_indices(n, k=1)
    dist = (sq[:, None] + sq[None, :] - 2.0 * (X @ X.T))[iu]
    p05, med, p95 = np.percentile(dist, [5, 50, 95]) / (2 * d)
    mean = float(dist.mean())
    return {"mean": mean, "exact": 2.0 * d * n / (n - 1), "p05": float(p05), "median": float(med),
            "p95": float(p95), "median_over_mean": float(med * 2 * d / mean)}
