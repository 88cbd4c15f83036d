"""Wall time of one finite-size study in the three modes of ``raf.runner.Runner``.

In this process, on ``--workers`` local processes (``n_jobs``) and on a Dask ``LocalCluster`` of
``--workers`` single-threaded workers (needs the ``cluster`` extra); checks that the three give
the same arrays bit for bit. No cache, so every mode computes every task.

    python benchmarks/runner_modes.py [--study krr_theta_star] [--d 100 200 400 800] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from raf import scaling
from raf.runner import Runner


def _timed(study, ds, runner):
    t0 = time.perf_counter()
    st = scaling.run_study(study, ds, seeds_at_100=48, min_seeds=12, runner=runner)
    return time.perf_counter() - t0, st


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", default="krr_theta_star", choices=sorted(scaling.STUDIES))
    ap.add_argument("--d", type=int, nargs="+", default=[100, 200, 400, 800])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # one BLAS thread per task in every mode

    from dask.distributed import Client, LocalCluster

    n_tasks = sum(scaling.seeds_per_d(args.d, 48, min_seeds=12))
    print(f"{args.study}, d = {args.d}: {n_tasks} tasks; load {os.getloadavg()[0]:.1f}")
    seconds, studies = {}, {}
    seconds["in process"], studies["in process"] = _timed(args.study, args.d, Runner())
    seconds[f"n_jobs={args.workers}"], studies["n_jobs"] = _timed(
        args.study, args.d, Runner(n_jobs=args.workers))
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        seconds[f"Dask, {args.workers} workers"], studies["dask"] = _timed(
            args.study, args.d, Runner(scheduler=cluster.scheduler_address))
    ref = studies["in process"]["sweep"]
    for name, st in studies.items():
        for key in ("e_gen", "e_mem"):
            same = np.array_equal(st["sweep"][key], ref[key], equal_nan=True)
            if not same:
                raise SystemExit(f"{name}: {key} differs from the in-process run")
    for name, s in seconds.items():
        print(f"{name:>18}: {s:6.1f} s")
    st = studies["in process"]
    print(f"identical arrays bit for bit in all modes; E_inf = {st['e_inf'][0]:.4f} "
          f"± {st['e_inf_sem'][0]:.4f} (theory {st['theory_value'][0]:.4f})")


if __name__ == "__main__":
    main()
