"""Finite-size corrections and seed spread of the linear model far in alpha, and the primal SVM's speed.

Run: ``python benchmarks/linear_rates_finite_size.py`` (about a minute on one core).

The tolerances of the simulated points of book/large_alpha_rates.md (paper Fig. 6 and 9, checked
in tests/test_chapter_large_alpha_rates.py) rest on two measured numbers, printed here for a few
points of the chapter:

1. the seed spread: the standard deviation of one data set's E_gen, in units of
   ``E_gen / sqrt(2 d)`` (the spread of an angle collecting fluctuations from d - 1 directions);
2. the finite-size correction: a weighted fit of ``E(d) = E_inf + c / d`` at d = 25 to 200
   (:func:`raf.scaling.fit_finite_size`), printed as ``k = c / E_theory``, the relative
   correction times d.

Then the time of one primal SVM solve (:func:`raf.linear_svm.solve_linear_hinge`) at the
chapter's largest size, d = 50 and n = 50 000, on one BLAS thread. Option ``--json PATH``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from raf.data import sample
from raf.linear_svm import simulate_alpha_sweep, solve_linear_hinge
from raf.scaling import fit_finite_size
from raf.theory import erm, optimal_lambda

# (loss, eps, alpha, seeds at d = 50, dimensions)
POINTS = [
    ("hinge", 0.2, 2.0, 400, [25, 50, 100, 200]),
    ("hinge", 0.05, 4.0, 300, [25, 50, 100, 200]),
    ("hinge", 0.2, 30.0, 100, [25, 50, 100]),
    ("square", 0.2, 10.0, 200, [25, 50, 100]),
    ("square", 0.2, 100.0, 60, [25, 50, 100]),
]
LAM_SQUARE = 0.1
N_TEST = 20000


def measure(loss, eps, alpha, seeds_at_50, ds):
    if loss == "hinge":
        th = optimal_lambda(np.array([alpha]), eps, loss="hinge", n_grid=17, n_golden=20)
        lam, e_th = float(th.lam[0]), float(th.e_gen[0])
    else:
        lam, e_th = LAM_SQUARE, float(erm(alpha, eps, LAM_SQUARE).e_gen)
    means, sems, spread = [], [], []
    for d in ds:
        S = max(4, int(seeds_at_50 * 50 / d))
        r = simulate_alpha_sweep(d, [alpha], eps, lam, loss=loss, n_seeds=S, first_seed=10 ** 6,
                                 n_test=N_TEST)
        m, se = float(r.e_gen[0]), float(r.e_gen_sem[0])
        means.append(m)
        sems.append(se)
        spread.append(se * np.sqrt(S) / (e_th / np.sqrt(2 * d)))
    fit = fit_finite_size(ds, means, sems)
    return {"loss": loss, "eps": eps, "alpha": alpha, "lam": lam, "theory": e_th, "d": ds,
            "mean": means, "sem": sems, "spread_over_predicted": spread,
            "k": float(fit.slope) / e_th, "k_sem": float(fit.slope_sem) / e_th,
            "e_inf": float(fit.e_inf), "e_inf_sem": float(fit.e_inf_sem)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="raf.theory")
    out = {"points": []}
    with threadpool_limits(limits=1, user_api="blas"):
        for p in POINTS:
            t = time.perf_counter()
            m = measure(*p)
            m["seconds"] = time.perf_counter() - t
            out["points"].append(m)
            print(f"{m['loss']:6s} eps={m['eps']:<5g} alpha={m['alpha']:<6g} theory {m['theory']:.5f}  "
                  f"E_inf {m['e_inf']:.5f} ± {m['e_inf_sem']:.5f}  k = {m['k']:+.2f} ± {m['k_sem']:.2f}  "
                  f"spread/(E/sqrt(2d)) {np.round(m['spread_over_predicted'], 2).tolist()}  "
                  f"({m['seconds']:.0f} s)")
        data = sample(50, 1000.0, 0.2, seed=0)
        t = time.perf_counter()
        r = solve_linear_hinge(data.X / np.sqrt(50), data.y, 0.0)
        out["solve_n50000_d50"] = {"seconds": time.perf_counter() - t, "n_iter": int(r.n_iter),
                                   "residual": float(r.residual), "gap": float(r.gap),
                                   "converged": bool(r.converged)}
    s = out["solve_n50000_d50"]
    print(f"primal SVM, d = 50, n = 50 000, lam = 0: {s['seconds']:.2f} s, {s['n_iter']} iterations, "
          f"KKT residual {s['residual']:.1e}, converged {s['converged']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
