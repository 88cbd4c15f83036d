"""One runner for simulation sweeps: in process, on local processes, or on a Dask cluster.

A finite-size sweep (THEORY §7) is a grid of independent *tasks*: one call of a function with
plain-data keyword arguments (``d``, ``seed``, the kernel, the path of ridges ...). Each task
draws all its randomness from its own inputs (its ``seed``), so its value does not depend on
where or in which order it runs. :class:`Runner` runs a list of tasks

* in this process (default),
* on ``n_jobs`` local worker processes (:class:`concurrent.futures.ProcessPoolExecutor`), or
* on a Dask cluster, given its scheduler address or a ``distributed.Client``
  (``pip install raf[cluster]``),

and returns the values in the order of the tasks. The BLAS thread count is pinned to
``blas_threads`` (default 1) around every task in every mode, so the arrays are identical bit for
bit whichever way they ran (on the same software stack and CPU family).

With a ``cache`` folder a task already computed with the same inputs and the same code is read
back instead of run: the key is the SHA-256 of the function's name, its inputs (canonical
encoding, :func:`task_key`) and a hash of the code (every ``raf/**/*.py`` file for a function of
:mod:`raf`, the function's own source otherwise). Entries are written atomically (a temporary
file renamed into place) by the driver process, so a cluster needs no shared file system and an
interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import pickle
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["Runner", "task_key", "source_hash", "canonical"]

_RAF_DIR = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def _source_hash_cached(root, stamp):
    h = hashlib.sha256()
    for path in sorted(Path(root).rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def source_hash(root=None):
    """SHA-256 of every ``*.py`` file under ``root`` (default: the installed :mod:`raf`).

    Recomputed when a file's size or modification time changes.
    """
    root = _RAF_DIR if root is None else Path(root).resolve()
    stamp = tuple((p.as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in sorted(root.rglob("*.py")))
    return _source_hash_cached(str(root), stamp)


def canonical(value, name="task"):
    """A JSON-serialisable, type-tagged encoding of plain task inputs (for :func:`task_key`).

    Accepted: ``None``, bool, int, float (encoded exactly with :meth:`float.hex`), str, numpy
    scalars and arrays (dtype, shape and a hash of the bytes), lists and tuples (equivalent),
    and dicts with str keys. Anything else (a callable, an object) raises ``TypeError`` naming
    the input: give the task a name or parameters instead of an object.
    """
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, (int, np.integer)):
        return {"int": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"float": float(value).hex()}
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        if arr.dtype.hasobject:
            raise TypeError(f"The task input {name!r} must not be an object array.")
        return {"ndarray": arr.dtype.str, "shape": list(arr.shape),
                "sha256": hashlib.sha256(arr.tobytes()).hexdigest()}
    if isinstance(value, (list, tuple)):
        return {"seq": [canonical(v, f"{name}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise TypeError(f"The task input {name!r} must have str keys. Got {bad[0]!r}.")
        return {"dict": {k: canonical(v, f"{name}.{k}") for k, v in sorted(value.items())}}
    raise TypeError(
        f"The task input {name!r} must be plain data (None, bool, int, float, str, numpy "
        f"array, list, tuple or dict). Got {type(value).__name__} instead.")


def _function_name(fn):
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname:
        raise TypeError(f"The 'fn' parameter must be a named function. Got {fn!r} instead.")
    return f"{module}:{qualname}"


def _code_hash(fn):
    module = getattr(fn, "__module__", "") or ""
    if module == "raf" or module.startswith("raf."):
        return source_hash()
    try:
        return hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()
    except (OSError, TypeError):  # no source (builtin, interactive): keyed by name only
        return "no-source"


def task_key(fn, inputs):
    """The cache key of one task: SHA-256 of the function's name, its code hash and its inputs."""
    payload = {"fn": _function_name(fn), "code": _code_hash(fn),
               "inputs": canonical(dict(inputs), "inputs")}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _execute(fn, inputs, blas_threads):
    """Run one task with the BLAS threads pinned; return ``(value, seconds)``."""
    t0 = time.perf_counter()
    if blas_threads is None:
        value = fn(**inputs)
    else:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=blas_threads):
            value = fn(**inputs)
    return value, time.perf_counter() - t0


class _Cache:
    """Content-addressed pickles ``<folder>/<key[:2]>/<key>.pkl``, written atomically.

    An entry is a dict: ``key``, ``value``, ``fn``, ``code``, ``inputs`` and ``seconds``.
    """

    def __init__(self, folder):
        self.folder = Path(folder)

    def _path(self, key):
        return self.folder / key[:2] / f"{key}.pkl"

    def get(self, key):
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                entry = pickle.load(f)
        except FileNotFoundError:
            return False, None
        except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
            return False, None  # unreadable entry: recomputed and overwritten
        if not isinstance(entry, dict) or entry.get("key") != key:
            return False, None
        return True, entry["value"]

    def put(self, key, value, meta):
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pkl")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump({"key": key, "value": value, **meta}, f,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


class Runner:
    """Run independent tasks ``fn(**inputs)`` and return their values in order.

    Parameters
    ----------
    n_jobs : int, default 1
        Local worker processes; 1 runs in this process. Ignored when ``scheduler`` is given.
        The workers are *spawned* (not forked): a script that uses them must keep its top level
        under ``if __name__ == "__main__":``, and ``fn`` must be importable (a module-level
        function, as every task of :mod:`raf` is).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or a connected client: the tasks run
        on that cluster (its workers need the same ``raf``; the runner checks the code hash).
    cache : str or path, optional
        Folder of the content-addressed cache; ``None`` computes everything.
    blas_threads : int or None, default 1
        BLAS threads during each task, in every mode (``None``: leave BLAS alone; then the
        values may differ in the last bits between modes).
    progress : bool, default False
        A tqdm bar over finished tasks.

    Attributes
    ----------
    stats : dict
        Of the last :meth:`map`: ``tasks``, ``unique`` (distinct keys), ``computed``,
        ``cached`` (read back), ``wall_s``, ``task_s`` (summed run time of the computed tasks)
        and ``mode``.
    """

    def __init__(self, *, n_jobs=1, scheduler=None, cache=None, blas_threads=1, progress=False):
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
            raise ValueError(f"The 'n_jobs' parameter must be an int >= 1. Got {n_jobs!r} instead.")
        if blas_threads is not None and (isinstance(blas_threads, bool)
                                         or not isinstance(blas_threads, (int, np.integer))
                                         or blas_threads < 1):
            raise ValueError("The 'blas_threads' parameter must be an int >= 1 or None. "
                             f"Got {blas_threads!r} instead.")
        if scheduler is not None and not isinstance(scheduler, str) \
                and not hasattr(scheduler, "submit"):
            raise TypeError("The 'scheduler' parameter must be an address str or a "
                            f"distributed.Client. Got {type(scheduler).__name__} instead.")
        self.n_jobs = int(n_jobs)
        self.scheduler = scheduler
        self.cache = None if cache is None else _Cache(cache)
        self.blas_threads = None if blas_threads is None else int(blas_threads)
        self.progress = bool(progress)
        self.stats = {}

    @property
    def mode(self):
        """``"dask"``, ``"processes"`` or ``"in-process"``."""
        if self.scheduler is not None:
            return "dask"
        return "processes" if self.n_jobs > 1 else "in-process"

    def map(self, fn, tasks, *, desc=None):
        """Values of ``fn(**inputs)`` for every dict ``inputs`` in ``tasks``, in order.

        Identical tasks (same key) are computed once. A task that raises stops the sweep with
        its exception; the tasks finished before it stay in the cache.
        """
        if not callable(fn):
            raise TypeError(f"The 'fn' parameter must be callable. Got {fn!r} instead.")
        tasks = [dict(t) for t in tasks]
        t0 = time.perf_counter()
        keys = [task_key(fn, t) for t in tasks]
        values, todo = {}, {}
        for key, inputs in zip(keys, tasks):
            if key in values or key in todo:
                continue
            hit, value = self.cache.get(key) if self.cache is not None else (False, None)
            if hit:
                values[key] = value
            else:
                todo[key] = inputs
        meta = {"fn": _function_name(fn), "code": _code_hash(fn)}
        task_s = 0.0
        if todo:
            bar = _bar(len(todo), self.progress, desc or meta["fn"])
            for key, value, seconds in self._run(fn, todo):
                values[key] = value
                task_s += seconds
                if self.cache is not None:
                    self.cache.put(key, value, {**meta, "inputs": todo[key], "seconds": seconds})
                bar.update(1)
            bar.close()
        unique = len(set(keys))
        self.stats = {"tasks": len(tasks), "unique": unique, "computed": len(todo),
                      "cached": unique - len(todo), "wall_s": time.perf_counter() - t0,
                      "task_s": task_s, "mode": self.mode}
        return [values[k] for k in keys]

    # -- the three ways to run ------------------------------------------------------------
    def _run(self, fn, todo):
        if self.mode == "dask":
            yield from self._run_dask(fn, todo)
        elif self.mode == "processes":
            yield from self._run_processes(fn, todo)
        else:
            for key, inputs in todo.items():
                value, seconds = _execute(fn, inputs, self.blas_threads)
                yield key, value, seconds

    def _run_processes(self, fn, todo):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        with ProcessPoolExecutor(max_workers=min(self.n_jobs, len(todo)), mp_context=ctx) as pool:
            futures = {pool.submit(_execute, fn, inputs, self.blas_threads): key
                       for key, inputs in todo.items()}
            try:
                for fut in as_completed(futures):
                    value, seconds = fut.result()
                    yield futures[fut], value, seconds
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise

    def _run_dask(self, fn, todo):
        from distributed import Client, as_completed

        own = isinstance(self.scheduler, str)
        client = Client(self.scheduler) if own else self.scheduler
        try:
            _check_cluster_code(client, fn)
            futures = {client.submit(_execute, fn, inputs, self.blas_threads,
                                     key=f"raf-task-{key}", pure=False): key
                       for key, inputs in todo.items()}
            try:
                for fut in as_completed(list(futures)):
                    value, seconds = fut.result()
                    yield futures[fut], value, seconds
            finally:
                client.cancel(list(futures))
        finally:
            if own:
                client.close()


def _worker_source_hash():
    return source_hash()


def _check_cluster_code(client, fn):
    """Refuse a cluster whose workers run another ``raf`` than this process."""
    module = getattr(fn, "__module__", "") or ""
    if not (module == "raf" or module.startswith("raf.")):
        return
    hashes = client.run(_worker_source_hash)
    here = source_hash()
    other = {w: h for w, h in hashes.items() if h != here}
    if other:
        raise RuntimeError(
            f"The Dask workers {sorted(other)} run a raf whose source differs from this one "
            "(hash mismatch): install the same raf on the workers, or their values would not "
            "match the cache keys.")


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _bar(total, progress, desc):
    if not progress:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)
