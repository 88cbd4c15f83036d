"""raf.runner: one sweep, three ways to run it, the same bits; the cache skips what is done."""

import os
import pickle

import numpy as np
import pytest

from raf.runner import Runner, canonical, source_hash, task_key


def draw_task(*, seed, d, log=None):
    """A small task with randomness and linear algebra: eigenvalues of a random Gram matrix."""
    if log is not None:  # one line per call: counts the calls across processes
        with open(log, "a") as f:
            f.write(f"{seed},{d}\n")
    X = np.random.default_rng(seed).standard_normal((2 * d, d))
    s, U = np.linalg.eigh(X @ X.T / d)
    return {"s": s, "u0": U[:, -1] * np.sign(U[0, -1]), "seed": seed}


def _calls(log):
    return open(log).read().splitlines() if os.path.exists(log) else []


TASKS = [{"seed": s, "d": d} for d in (20, 40) for s in range(3)]

# real simulation tasks of raf.scaling: KRR (RBF on the sphere, three ridges) and the hinge SVM
SIM_TASKS = [dict(d=d, alpha=2.0, eps=0.2, lams=[0.0, 0.1], seed=s, n_test=300, **kw)
             for d in (30, 50) for s in range(2)
             for kw in ({"kernel": {"family": "rbf", "param": 0.4, "centred": True}},
                        {"kernel": None, "loss": "hinge"})]


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        for k in x:
            assert np.array_equal(np.asarray(x[k]), np.asarray(y[k])), k


def test_processes_give_the_same_bits_as_in_process():
    from raf.scaling import simulation_task

    ref = Runner().map(draw_task, TASKS)
    assert [r["seed"] for r in ref] == [t["seed"] for t in TASKS]  # order of the tasks
    runner = Runner(n_jobs=2)
    _same(runner.map(draw_task, TASKS), ref)
    assert runner.stats["mode"] == "processes" and runner.stats["computed"] == len(TASKS)
    _same(runner.map(simulation_task, SIM_TASKS), Runner().map(simulation_task, SIM_TASKS))


def test_dask_local_cluster_gives_the_same_bits():
    distributed = pytest.importorskip("distributed")
    from raf.scaling import simulation_task

    ref = Runner().map(draw_task, TASKS)
    ref_sim = Runner().map(simulation_task, SIM_TASKS)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert len(cluster.workers) == 2
        runner = Runner(scheduler=cluster.scheduler_address)  # an address, as on a real cluster
        got = runner.map(draw_task, TASKS)
        got_sim = runner.map(simulation_task, SIM_TASKS)  # raf tasks: the workers' code is checked
        with distributed.Client(cluster) as client:  # or a connected client
            got2 = Runner(scheduler=client).map(draw_task, TASKS)
    _same(got, ref)
    _same(got2, ref)
    _same(got_sim, ref_sim)
    assert runner.stats["mode"] == "dask"


def test_cache_skips_done_tasks_and_recomputes_changed_inputs(tmp_path):
    log = str(tmp_path / "calls.txt")
    cache = tmp_path / "cache"
    tasks = [{"seed": s, "d": 10, "log": log} for s in range(4)]
    first = Runner(cache=cache).map(draw_task, tasks)
    assert len(_calls(log)) == 4
    runner = Runner(cache=cache)
    again = runner.map(draw_task, tasks)
    assert len(_calls(log)) == 4  # nothing run again
    assert runner.stats["cached"] == 4 and runner.stats["computed"] == 0
    _same(again, first)
    changed = tasks[:3] + [{"seed": 3, "d": 11, "log": log}]  # one input changed
    runner.map(draw_task, changed)
    assert _calls(log)[4:] == ["3,11"]
    assert runner.stats["computed"] == 1 and runner.stats["cached"] == 3
    # the worker processes read the same cache: nothing computed
    Runner(n_jobs=2, cache=cache).map(draw_task, changed)
    assert len(_calls(log)) == 5


def test_identical_tasks_run_once_and_unreadable_entries_are_recomputed(tmp_path):
    log = str(tmp_path / "calls.txt")
    task = {"seed": 1, "d": 8, "log": log}
    runner = Runner(cache=tmp_path)
    out = runner.map(draw_task, [task, task])
    assert len(_calls(log)) == 1 and runner.stats["unique"] == 1
    _same(out[:1], out[1:])
    key = task_key(draw_task, task)
    path = tmp_path / key[:2] / f"{key}.pkl"
    assert path.exists() and not list(tmp_path.rglob(".tmp-*"))  # atomic: no leftovers
    entry = pickle.loads(path.read_bytes())
    assert entry["key"] == key and entry["fn"].endswith(":draw_task") and entry["inputs"] == task
    path.write_bytes(b"truncated")  # a torn write: a miss, recomputed, overwritten
    runner.map(draw_task, [task])
    assert len(_calls(log)) == 2 and runner.stats["computed"] == 1
    assert pickle.loads(path.read_bytes())["key"] == key


def test_keys_follow_inputs_and_code(tmp_path):
    base = {"seed": 1, "d": 8}
    assert task_key(draw_task, base) == task_key(draw_task, dict(reversed(list(base.items()))))
    assert task_key(draw_task, base) != task_key(draw_task, {"seed": 2, "d": 8})
    assert task_key(draw_task, {"x": 1}) != task_key(draw_task, {"x": 1.0})
    assert task_key(draw_task, {"x": [1, 2]}) == task_key(draw_task, {"x": (1, 2)})
    a = np.arange(3.0)
    assert canonical(a) == canonical(a.copy()) != canonical(a.astype(np.float32))
    with pytest.raises(TypeError, match="'inputs.kernel' must be plain data"):
        task_key(draw_task, {"kernel": lambda t: t})
    # the code hash of raf changes when any raf source file changes
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "a.py").write_text("x = 1\n")
    h1 = source_hash(root)
    (root / "a.py").write_text("x = 2\n")
    assert source_hash(root) != h1


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="'n_jobs'"):
        Runner(n_jobs=0)
    with pytest.raises(ValueError, match="'blas_threads'"):
        Runner(blas_threads=0)
    with pytest.raises(TypeError, match="'scheduler'"):
        Runner(scheduler=3)


def test_a_failing_task_raises_and_keeps_the_finished_ones(tmp_path):
    runner = Runner(cache=tmp_path)
    with pytest.raises(ValueError):
        runner.map(draw_task, [{"seed": 0, "d": 5}, {"seed": -1, "d": 5}])  # negative seed
    assert len(list(tmp_path.rglob("*.pkl"))) == 1
