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

``--ab REV`` instead compares this working tree with the git revision ``REV`` (its
``raf/learners.py`` and ``raf/svm.py``, loaded into this process) at the chapter's settings:
per draw and kernel, old and new alternate (their order swaps from kernel to kernel, so a
change of machine load hits both), with one BLAS thread like the chapter's workers. It reports

* square loss (float32, the chapter's 5 RBF kernels and the matched quadratic, 25 ridges): the
  eigendecomposition and the predictions from it, old and new, the largest difference of the
  predictions relative to their scale and the predictions whose sign differs (with
  ``--ab-reference`` both also against float64, the error that float32 itself makes);
* hinge loss (float64, the 5 RBF kernels, 13 ridges, ``svm_tol`` 1e-6): the whole warm-started
  path, old and new, convergence, KKT residual, iterations, predictions whose sign differs, and
  the largest change of ``E_gen`` and ``E_mem``;

and the load average (``os.getloadavg``) before and after. ``--ab-repeats`` sets the draws.

Measured 2026-11-29 against 635b478 (one draw, alpha = 1, load about 5 on 2 cores, CPU
seconds): KRR 13.8 -> 7.9 s for the six kernels (predictions of old and new differ by at most
2.4e-3 of their scale, 30 of 760 800 signs; against float64 both err by 7.0e-2 at the widest
kernel and smallest ridge, 364 and 362 signs); SVM 26.7 -> 7.3 s for the five paths, the same
iterations, every point converged (KKT <= 1e-9), no prediction changes sign.
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
    ap.add_argument("--ab", default=None, metavar="REV",
                    help="compare with raf/learners.py and raf/svm.py of this git revision")
    ap.add_argument("--ab-repeats", type=int, default=1)
    ap.add_argument("--no-krr", action="store_true", help="--ab: skip the square loss")
    ap.add_argument("--ab-reference", action="store_true",
                    help="--ab: also compare both KRR predictions with float64 ones")
    args = ap.parse_args(argv)
    if args.ab:
        from threadpoolctl import threadpool_limits

        import raf.cifar  # noqa: F401  (load every BLAS before limiting its threads)

        with threadpool_limits(1):
            out = ab_compare(args.ab, args.alpha, args.eps, args.ab_repeats, not args.no_krr,
                             not args.no_svm, args.ab_reference)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=1)
        return

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


def _module_at(rev, path, name, svm=None):
    """``path`` (a module of the package raf) as it is at git revision ``rev``."""
    import subprocess
    import sys
    import types

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = subprocess.run(["git", "-C", root, "show", f"{rev}:{path}"], capture_output=True,
                         text=True, check=True).stdout
    mod = types.ModuleType(name)
    mod.__package__, mod.__file__ = "raf", f"{rev}:{path}"
    saved = sys.modules.get("raf.svm")
    if svm is not None:  # its relative import "from .svm import ..." gets the old solver
        sys.modules["raf.svm"] = svm
    try:
        exec(compile(src, mod.__file__, "exec"), mod.__dict__)
    finally:
        sys.modules["raf.svm"] = saved
    return mod


def ab_compare(rev, alpha, eps, repeats, krr=True, svm=True, reference=False):
    """Old (git ``rev``) against new (this tree), interleaved; see the module docstring."""
    import raf.learners as new
    from raf.cifar import cifar10_raf
    from raf.datasets import load_cifar10
    from raf.image_kernels import bandwidth_for_angle, kernel_matrices
    from raf.theory import theta_star

    old_svm = _module_at(rev, "raf/svm.py", "raf._svm_at_rev")
    old = _module_at(rev, "raf/learners.py", "raf._learners_at_rev", svm=old_svm)
    data = load_cifar10()
    g = bandwidth_for_angle(float(theta_star(eps)))
    rbf = [("rbf", g * b) for b in (0.25, 1.0, 2.0, 4.0, 8.0)]
    lams, lams_h = np.geomspace(1e-4, 1e2, 25), np.geomspace(1e-3, 1e1, 13)
    load0 = os.getloadavg()
    tot = {k: [0.0, 0.0] for k in ("krr_old", "krr_new", "svm_old", "svm_new")}
    worst = {"krr_rel_diff": 0.0, "krr_flips": 0, "svm_flips": 0, "svm_d_egen": 0.0,
             "svm_d_emem": 0.0, "svm_max_kkt_old": 0.0, "svm_max_kkt_new": 0.0,
             "svm_all_converged": True}
    print(f"A/B against {rev}: alpha={alpha}, {repeats} draw(s), load {load0}")

    def timed(f, key):
        with Timer() as t:
            r = f()
        tot[key][0] += t.wall
        tot[key][1] += t.cpu
        return r, t

    for r in range(repeats):
        ds = cifar10_raf(alpha, eps, seed=(0, r), data=data)
        if krr:
            y = ds.y_train.astype(np.float32)
            specs = rbf + [("quad", g)]
            for i, (spec, K, Kt) in enumerate(kernel_matrices(
                    ds.X_train, ds.X_test, specs, dtype=np.float32)):
                pair = {}
                for who in (("old", "new") if (i + r) % 2 == 0 else ("new", "old")):
                    mod = old if who == "old" else new
                    pair[who] = timed(lambda: mod._krr_from_eigh(*mod._eigh(K), Kt, y, lams, 0.0),
                                      f"krr_{who}")
                (fo, fto), to = pair["old"]
                (fn, ftn), tn = pair["new"]
                rel = max(float(np.abs(ftn - fto).max() / np.abs(fto).max()),
                          float(np.abs(fn - fo).max() / np.abs(fo).max()))
                flips = int((np.sign(fto) != np.sign(ftn)).sum()
                            + (np.sign(fo) != np.sign(fn)).sum())
                worst["krr_rel_diff"] = max(worst["krr_rel_diff"], rel)
                worst["krr_flips"] += flips
                line = (f"draw {r} KRR  {spec[0]} gamma={spec[1]:.3f}: old {to.wall:5.2f} s new "
                        f"{tn.wall:5.2f} s, max |new - old| / max |old| {rel:.1e}, flipped "
                        f"predictions {flips} of {fo.size + fto.size}")
                if reference:  # both against float64 (test predictions)
                    (_, K64, Kt64), = kernel_matrices(ds.X_train, ds.X_test, [spec],
                                                      dtype=np.float64)
                    _, ref = new._krr_from_eigh(*new._eigh(K64), Kt64,
                                                ds.y_train.astype(float), lams, 0.0)
                    scale = np.abs(ref).max(axis=0)
                    for who, f in (("old", fto), ("new", ftn)):
                        err = float((np.abs(f - ref).max(axis=0) / scale).max())
                        fl = int((np.sign(f) != np.sign(ref)).sum())
                        line += f"; {who} vs float64: {err:.1e}, {fl} flips"
                        worst[f"krr_{who}_vs_float64"] = max(
                            worst.get(f"krr_{who}_vs_float64", 0.0), err)
                        worst[f"krr_{who}_flips_vs_float64"] = (
                            worst.get(f"krr_{who}_flips_vs_float64", 0) + fl)
                print(line, flush=True)
        if svm:
            for i, (spec, K, Kt) in enumerate(kernel_matrices(
                    ds.X_train, ds.X_test, rbf, dtype=np.float64)):
                pair = {}
                for who in (("old", "new") if (i + r) % 2 == 0 else ("new", "old")):
                    mod = old if who == "old" else new
                    pair[who] = timed(lambda: mod._svm(
                        K, ds.y_train, Kt, ds.y_test, lams_h, ds.is_fact, tol=1e-6,
                        return_predictions=True), f"svm_{who}")
                (ro, to), (rn, tn) = pair["old"], pair["new"]
                flips = int((np.sign(ro.f_test) != np.sign(rn.f_test)).sum()
                            + (np.sign(ro.f_train) != np.sign(rn.f_train)).sum())
                worst["svm_flips"] += flips
                worst["svm_d_egen"] = max(worst["svm_d_egen"],
                                          float(np.abs(ro.e_gen - rn.e_gen).max()))
                worst["svm_d_emem"] = max(worst["svm_d_emem"],
                                          float(np.abs(ro.e_mem - rn.e_mem).max()))
                worst["svm_max_kkt_old"] = max(worst["svm_max_kkt_old"], float(ro.residual.max()))
                worst["svm_max_kkt_new"] = max(worst["svm_max_kkt_new"], float(rn.residual.max()))
                worst["svm_all_converged"] &= bool(ro.converged.all() and rn.converged.all())
                print(f"draw {r} SVM  gamma={spec[1]:.3f}: old {to.wall:5.2f} s new "
                      f"{tn.wall:5.2f} s, converged {bool(ro.converged.all())}/"
                      f"{bool(rn.converged.all())}, iterations {int(ro.n_iter.sum())}/"
                      f"{int(rn.n_iter.sum())}, KKT {ro.residual.max():.0e}/"
                      f"{rn.residual.max():.0e}, flipped predictions {flips}", flush=True)
    load1 = os.getloadavg()
    rounded = {k: [round(x, 2) for x in v] for k, v in tot.items()}
    print(f"totals (wall, cpu seconds): {json.dumps(rounded)}")
    print(f"worst: {json.dumps(worst)}; load before {load0}, after {load1}")
    return {"rev": rev, "alpha": alpha, "repeats": repeats, "totals": tot, "worst": worst,
            "load_before": load0, "load_after": load1}


if __name__ == "__main__":
    main()
