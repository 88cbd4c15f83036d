"""Speed of the CIFAR10-RAF pipeline, and float32 against float64 (run: python benchmarks/cifar_speed.py).

Needs the real data set ($RAF_CIFAR10). Measures, at the chapter's full size
(alpha = 1: n = 3072 training images, 2000 test images):

1. decoding: first load (decoding every image, into a fresh temporary cache) and second
   load (the .npz cache);
2. one repeat of the chapter's square-loss sweep: drawing the data set, the shared
   dot-product matrices, then per kernel the eigendecomposition and predictions of
   ``raf.learners.krr_errors`` in float64 and in float32, and the largest difference
   of the errors between the two precisions;
3. one intercept-free SVM sweep (hinge loss, float64) per kernel.

Every time is wall-clock and CPU (process) time; on a shared machine the CPU time is
the more stable of the two. Options: ``--alpha``, ``--repeats``, ``--no-decode``,
``--no-svm``, ``--json PATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings

import numpy as np


class Timer:
    def __enter__(self):
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w
        self.cpu = time.process_time() - self.c

    def __str__(self):
        return f"{self.wall:7.2f} s wall {self.cpu:7.2f} s cpu"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--eps", type=float, default=0.2)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--no-decode", action="store_true")
    ap.add_argument("--no-svm", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    from raf.cifar import cifar10_raf
    from raf.image_kernels import bandwidth_for_angle, kernel_matrices
    from raf.datasets import load_cifar10
    from raf.learners import krr_errors, svm_errors
    from raf.theory import theta_star

    out = {"alpha": args.alpha, "eps": args.eps, "cpu_count": os.cpu_count()}
    if not args.no_decode:
        old = os.environ.get("RAF_CACHE")
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["RAF_CACHE"] = tmp
            with Timer() as t1:
                load_cifar10()
            with Timer() as t2:
                d2 = load_cifar10()
            assert d2.from_cache
        if old is None:
            os.environ.pop("RAF_CACHE")
        else:
            os.environ["RAF_CACHE"] = old
        print(f"decode, first load (all images)  {t1}")
        print(f"decode, second load (npz cache)  {t2}")
        out["decode_first"] = [t1.wall, t1.cpu]
        out["decode_second"] = [t2.wall, t2.cpu]

    data = load_cifar10()
    g = bandwidth_for_angle(float(theta_star(args.eps)))
    kernels = [("rbf", g / 4), ("rbf", g), ("rbf", 4 * g), ("quad", g)]
    lams = np.geomspace(1e-4, 1e2, 25)
    lams_h = np.geomspace(1e-3, 1e1, 9)
    diff = {"e_gen": 0.0, "e_mem": 0.0}
    times = {}

    def add(key, t):
        w, c = times.get(key, (0.0, 0.0))
        times[key] = (w + t.wall, c + t.cpu)

    for r in range(args.repeats):
        with Timer() as t:
            ds = cifar10_raf(args.alpha, args.eps, seed=(0, r), data=data)
        add("draw", t)
        res = {}
        for dt in (np.float64, np.float32):
            with Timer() as t:
                mats = list(kernel_matrices(ds.X_train, ds.X_test, kernels, dtype=dt))
            add(f"gram_{dt.__name__}", t)
            for spec, K, Kt in mats:
                with Timer() as t:
                    res[dt, spec] = krr_errors(K, ds.y_train, Kt, ds.y_test, lams,
                                               fact_mask=ds.is_fact, dtype=dt, rcond=0.0)
                add(f"krr_{dt.__name__}", t)
            if dt is np.float64 and not args.no_svm:
                for spec, K, Kt in mats[:3]:
                    with Timer() as t, warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        svm_errors(K, ds.y_train, Kt, ds.y_test, lams_h, fact_mask=ds.is_fact,
                                   tol=1e-6)
                    add("svm_float64", t)
        for spec in kernels:
            for name in diff:
                d = np.abs(res[np.float64, spec][name] - res[np.float32, spec][name]).max()
                diff[name] = max(diff[name], float(d))

    n = round(args.alpha * 3072)
    print(f"n = {n}, {len(kernels)} kernels, {lams.size} ridges, {args.repeats} repeat(s)")
    for key, (w, c) in times.items():
        per = {"draw": 1, "gram_float64": 1, "gram_float32": 1}.get(key)
        unit = "per repeat" if per else "per kernel"
        k = args.repeats * (1 if per else (3 if key.startswith("svm") else len(kernels)))
        print(f"{key:14s} {w / k:7.2f} s wall {c / k:7.2f} s cpu  {unit}")
        out[key] = [w / k, c / k]
    print(f"float32 - float64, largest |difference|: E_gen {diff['e_gen']:.4f}, "
          f"E_mem {diff['e_mem']:.4f}")
    out["float32_max_abs_diff"] = diff
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
