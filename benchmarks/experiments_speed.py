"""Speed of the learners on Gram matrices (raf.learners), not a test.

    python benchmarks/experiments_speed.py [--d 400] [--seeds 3]

Prints the wall time per seed of KRR (one eigendecomposition for all lams), of the
intercept-free SVM (warm-started along lams) and of scikit-learn's SVC with an
intercept on the same Gram matrices, plus the solver's stages and KKT residuals.
"""

import argparse
import time
import warnings

import numpy as np

from raf import kernels as K
from raf.data import sample, sample_test
from raf.gram import gram
from raf.learners import krr_errors, svm_errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=400)
    ap.add_argument("--alpha", type=float, default=2.0)
    ap.add_argument("--eps", type=float, default=0.3)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--n-test", type=int, default=3000)
    args = ap.parse_args()
    lams = np.r_[0.0, np.logspace(-4, 2, 13)]
    kernels = {"linear": ("linear", None), "erf": (K.ERF_KERNEL, None),
               "rbf(theta=1.2)": (K.RBF, K.param_for_angle(K.RBF, 1.2))}
    print(f"d={args.d} alpha={args.alpha} eps={args.eps} n={round(args.alpha * args.d)} "
          f"n_test={args.n_test}, {lams.size} lams (0 and 1e-4..1e2), {args.seeds} seeds")
    for name, (ker, par) in kernels.items():
        t = {"krr": 0.0, "svm": 0.0, "svc": 0.0}
        worst_kkt, ok = 0.0, True
        for seed in range(args.seeds):
            data = sample(args.d, args.alpha, args.eps, seed=seed)
            Xt, yt = sample_test(data.teacher, args.n_test, seed=seed + 10_000)
            Ktr, Kte = gram(data.X, None, ker, par), gram(Xt, data.X, ker, par)
            t0 = time.perf_counter()
            krr_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact)
            t["krr"] += time.perf_counter() - t0
            feats = data.X / np.sqrt(args.d) if name == "linear" else None
            t0 = time.perf_counter()
            with warnings.catch_warnings():  # lam = 0 is reported by `conv` below
                warnings.simplefilter("ignore", RuntimeWarning)
                r = svm_errors(Ktr, data.y, Kte, yt, lams, fact_mask=data.is_fact,
                               features=feats)
            t["svm"] += time.perf_counter() - t0
            conv = r.converged | (lams == 0)  # lam=0 fails legitimately if not separable
            ok &= bool(conv.all())
            worst_kkt = max(worst_kkt, float(np.nanmax(np.where(r.converged, r.residual, 0))))
            t0 = time.perf_counter()
            svm_errors(Ktr, data.y, Kte, yt, lams[lams > 0], fact_mask=data.is_fact,
                       intercept=True)
            t["svc"] += time.perf_counter() - t0
        s = args.seeds
        print(f"{name:16s} KRR {t['krr'] / s:6.2f} s/seed | SVM (no intercept) "
              f"{t['svm'] / s:6.2f} s/seed, converged={ok}, max KKT {worst_kkt:.1e} | "
              f"SVC (intercept) {t['svc'] / s:6.2f} s/seed")


if __name__ == "__main__":
    main()
