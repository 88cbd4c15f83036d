"""Execute the chapters of the RAF book with papermill, cached (a part of ``tools/build_book.py``).

One chapter is executed by one build at a time (a lock per chapter and mode); every file a
build shares with another is written atomically and read tolerantly (``tools/atomic_io.py``).
A chapter that stops because data it needs is missing (:data:`MISSING_DATA_ERRORS`) records a
*missing-data* failure, any other error an *error* failure, in ``<name>.failed.json``.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as _dt
import functools
import json
import logging
import os
import re
import shutil
import sys
import threading
import time
import traceback
from pathlib import Path

from atomic_io import locked, read_json, write_atomic
from book_chapters import (ROOT, Chapter, cache_key, cell_timeout, executed_dir, find_chapter, mode_of,
                           notebook_chapters, read_notebook, reports_dir, toc_chapters)

log_print = functools.partial(print, flush=True)

# Exceptions (by class name) with which a chapter says that data it needs is not on this machine;
# their message says where it looked and how to provide the data.
MISSING_DATA_ERRORS = ("CIFAR10NotFoundError",)

PROGRESS_EVERY = float(os.environ.get("RAF_BOOK_PROGRESS_EVERY", "30"))  # seconds


def sync(chapter: Chapter, log=log_print) -> Path:
    """Write ``book/<name>.ipynb`` from ``book/<name>.md`` (jupytext), only when its inputs differ.

    The ``.md`` is the source of truth: the ``.ipynb`` is regenerated from it (outputs kept by
    jupytext when the inputs match). A ``.ipynb`` that cannot be read is written again. The
    write is atomic, so a build running at the same time never reads half a notebook.
    """
    import jupytext

    nb = read_notebook(chapter)
    if chapter.ipynb.exists():
        try:
            old = jupytext.read(chapter.ipynb)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is regenerated
            log(f"[rewrite]  {chapter.name:<22} {chapter.ipynb.name} was unreadable "
                f"({type(exc).__name__}); written again from {chapter.md.name}")
        else:
            if [(c.cell_type, c.source) for c in old.cells] == [(c.cell_type, c.source) for c in nb.cells]:
                return chapter.ipynb
    write_atomic(chapter.ipynb, jupytext.writes(nb, fmt="ipynb"))
    return chapter.ipynb


@dataclasses.dataclass
class Execution:
    """What :func:`execute` returns: the executed notebook's path and what the chapter recorded."""

    chapter: str
    mode: str
    path: Path
    seconds: float
    executed_at: str
    cached: bool
    results: dict | None

    @property
    def notebook(self):
        import nbformat

        return nbformat.read(self.path, as_version=4)


@dataclasses.dataclass
class Failure:
    """Why a chapter has no execution: ``kind`` is ``missing-data`` or ``error``."""

    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


def _paths(chapter: Chapter, mode: str):
    out = executed_dir(mode, chapter.root)
    return out, out / f"{chapter.name}.ipynb", out / f"{chapter.name}.meta.json", out / f"{chapter.name}.results.json"


def _failed_path(chapter: Chapter, mode: str) -> Path:
    return executed_dir(mode, chapter.root) / f"{chapter.name}.failed.json"


def _is_notebook_file(path: Path) -> bool:
    nb = read_json(path)
    return isinstance(nb, dict) and isinstance(nb.get("cells"), list)


def cached_execution(chapter: Chapter, params: dict, log=None) -> Execution | None:
    """The cached execution of ``chapter`` with ``params`` if it is still valid, else None.

    A damaged cache entry (a notebook or record that does not read back whole) is not valid.
    """
    mode = mode_of(params)
    _, nb_path, meta_path, res_path = _paths(chapter, mode)
    if not (nb_path.exists() and meta_path.exists()):
        return None
    meta = read_json(meta_path)
    if not isinstance(meta, dict) or meta.get("key") != cache_key(chapter, params):
        return None
    if not _is_notebook_file(nb_path):
        if log:
            log(f"[damaged]  {chapter.name:<22} {nb_path.name} in the cache is not a whole notebook: executing again")
        return None
    return Execution(chapter.name, mode, nb_path, meta["seconds"], meta["executed_at"], True,
                     read_json(res_path))


def _kernel_env():
    # The kernel is the `python3` kernelspec of *this* environment: jupyter_client replaces the
    # spec's "python" by sys.executable, and JUPYTER_PATH puts this environment's specs first.
    ours = str(Path(sys.prefix) / "share" / "jupyter")
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p and p != ours]
    os.environ["JUPYTER_PATH"] = os.pathsep.join([ours, *paths])
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # silence debugpy's frozen-modules note


def missing_data_message(exc: BaseException) -> str | None:
    """The message of a chapter that stopped because data it needs is missing, else None."""
    if getattr(exc, "ename", None) in MISSING_DATA_ERRORS:
        return str(getattr(exc, "evalue", "")).strip() or exc.ename
    return None


class _Progress(logging.Handler):
    """While a chapter executes, say every ``every`` seconds which cell of how many it is at.

    papermill (``log_output=True``) logs ``Executing Cell N`` to its logger; this handler keeps
    N and drops everything else (the cells' outputs), so the log gets one line per interval.
    """

    def __init__(self, name: str, total: int, log, every: float):
        super().__init__(logging.INFO)
        self.name, self.total, self.log, self.every = name, total, log, every
        self.cell, self.t0, self._stop = 0, time.perf_counter(), threading.Event()
        self._logger = logging.getLogger("papermill")
        self._saved = (self._logger.level, self._logger.propagate)

    def emit(self, record):
        m = re.match(r"Executing Cell (\d+)", record.getMessage())
        if m:
            self.cell = int(m.group(1))

    def _run(self):
        while not self._stop.wait(self.every):
            self.log(f"[running]  {self.name:<22} cell {self.cell}/{self.total}, "
                     f"{time.perf_counter() - self.t0:.0f} s")

    def __enter__(self):
        self._logger.addHandler(self)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._logger.removeHandler(self)
        self._logger.level, self._logger.propagate = self._saved


def execute(chapter: Chapter, params: dict | None = None, *, force: bool = False, log=log_print,
            progress_every: float | None = None) -> Execution:
    """Execute one chapter with papermill (unless cached) and return its :class:`Execution`.

    Raises ``papermill.PapermillExecutionError`` (the failing cell and its traceback) when a cell
    fails; the partially executed notebook is then in ``_build/reports/<mode>/<name>.ipynb`` and
    ``<name>.failed.json`` records the failure (see :func:`missing_data_message`).
    """
    params = dict(params or {})
    if not chapter.is_notebook:
        raise ValueError(f"{chapter.md.relative_to(chapter.root)} is not a notebook (no kernelspec) or does not exist.")
    mode = mode_of(params)
    out = executed_dir(mode, chapter.root)
    with locked(out / f"{chapter.name}.lock"):
        if not force:
            hit = cached_execution(chapter, params, log)
            if hit is not None:
                log(f"[cached]   {chapter.name:<22} {hit.seconds:8.1f} s  ({hit.mode}, executed {hit.executed_at})")
                return hit
        return _run_papermill(chapter, params, mode, log,
                              PROGRESS_EVERY if progress_every is None else progress_every)


def _run_papermill(chapter: Chapter, params: dict, mode: str, log, every: float) -> Execution:
    import papermill

    out, nb_path, meta_path, res_path = _paths(chapter, mode)
    for p in (meta_path, res_path):
        p.unlink(missing_ok=True)
    # Temporary names in the cache folder: os.replace moves them in whole.
    partial = out / f".{chapter.name}.{os.getpid()}.partial.ipynb"
    res_tmp = out / f".{chapter.name}.{os.getpid()}.results.json"
    key = cache_key(chapter, params)  # before running: a chapter must not change its own key
    sync(chapter, log)
    _kernel_env()
    source = read_notebook(chapter)
    log(f"[execute]  {chapter.name:<22} ({mode}) ...")
    t0, cpu0 = time.perf_counter(), _children_cpu()
    try:
        with _Progress(chapter.name, len(source.cells) + 1, log, every):
            papermill.execute_notebook(
                source,
                str(partial),
                parameters={**params, "results_path": str(res_tmp)},
                kernel_name="python3",
                cwd=str(chapter.md.parent),
                progress_bar=False,
                log_output=True,  # cell markers for _Progress; outputs go nowhere
                request_save_on_cell_execute=False,
                execution_timeout=cell_timeout(chapter.root),
                # ipykernel logs a TCP-transport warning at start and, at times, a KeyboardInterrupt
                # while shutting down; neither concerns the chapter (cell errors still raise).
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
    except BaseException as exc:
        _record_failure(chapter, mode, params, key, exc, partial, log)
        res_tmp.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0  # the kernel and the workers it reaped (not other chapters')
    os.replace(partial, nb_path)
    if res_tmp.exists():
        os.replace(res_tmp, res_path)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    write_atomic(meta_path, json.dumps(
        {"chapter": chapter.name, "key": key, "seconds": round(seconds, 2),
         "cpu_seconds": round(cpu, 2), "executed_at": stamp, "params": params}, indent=1))
    _failed_path(chapter, mode).unlink(missing_ok=True)
    log(f"[done]     {chapter.name:<22} {seconds:8.1f} s")
    return Execution(chapter.name, mode, nb_path, round(seconds, 2), stamp, False, read_json(res_path))


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children: a chapter's kernel once
    papermill has shut it down, with the worker processes the kernel reaped."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _record_failure(chapter, mode, params, key, exc, partial, log):
    reports = reports_dir(mode, chapter.root)
    reports.mkdir(parents=True, exist_ok=True)
    if partial.exists():
        shutil.move(str(partial), reports / f"{chapter.name}.ipynb")
    write_atomic(reports / f"{chapter.name}.txt",
                 f"chapter {chapter.name} failed ({mode}, parameters {params})\n\n"
                 + "".join(traceback.format_exception(exc)))
    missing = missing_data_message(exc)
    if missing is not None:
        failure = Failure("missing-data", missing)
        log(f"[no data]  {chapter.name:<22} {missing.splitlines()[0]}")
    else:
        name = getattr(exc, "ename", type(exc).__name__)
        first = (str(getattr(exc, "evalue", exc)).strip().splitlines() or [""])[0]
        failure = Failure("error", f"{name}: {first}")
        log(f"[FAILED]   {chapter.name:<22} see {reports}/{chapter.name}.ipynb")
    write_atomic(_failed_path(chapter, mode), json.dumps(
        {"chapter": chapter.name, "key": key, "kind": failure.kind, "message": failure.message}, indent=1))


def _execute_in_worker(docname: str, root: str, params: dict, force: bool):
    return execute(Chapter(docname, Path(root)), params, force=force)


def execute_all(params: dict | None = None, *, only=None, force=False, jobs=1, log=log_print,
                root: Path = ROOT):
    """Execute every notebook chapter (or those in ``only``); keep going past failures.

    Returns ``(executions, failures)``: a dict name -> :class:`Execution` and a dict
    name -> :class:`Failure` (its ``kind`` is ``missing-data`` or ``error``).
    """
    params = dict(params or {})
    chapters = notebook_chapters(root)
    for c in toc_chapters(root):
        if not c.exists:
            log(f"[missing]  {c.name:<22} {c.md.relative_to(root)} does not exist yet: left out")
    if only:
        chapters = [find_chapter(n, root) for n in only]
    for c in chapters:
        sync(c, log)  # book/<name>.ipynb for Jupyter and papermill users, cached or not
    done, failed = {}, {}

    def failure(exc):
        missing = missing_data_message(exc)
        return Failure("missing-data", missing) if missing is not None else Failure("error", _short_error(exc))

    if jobs > 1:
        chapters = longest_first(chapters, mode_of(params), root)
        log(f"[parallel] {jobs} chapters at a time, longest first: "
            + ", ".join(c.name for c in chapters))
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futs = {pool.submit(_execute_in_worker, c.docname, str(root), params, force): c for c in chapters}
            for fut in concurrent.futures.as_completed(futs):
                c = futs[fut]
                try:
                    done[c.name] = fut.result()
                except Exception as exc:  # noqa: BLE001 - reported per chapter
                    failed[c.name] = failure(exc)
    else:
        for c in chapters:
            try:
                done[c.name] = execute(c, params, force=force, log=log)
            except Exception as exc:  # noqa: BLE001 - reported per chapter
                failed[c.name] = failure(exc)
    if done:
        _write_timings(mode_of(params), root)
    return done, failed


def longest_first(chapters, mode: str, root: Path = ROOT):
    """``chapters`` in the order a parallel build starts them: those without a recorded time
    first (in the given order: they may be long), then the others by their last recorded seconds
    (``<name>.meta.json``, as in ``timings.json``), longest first, so that the longest chapter
    does not start last and leave the other workers idle at the end."""
    out = executed_dir(mode, root)

    def seconds(c):
        m = read_json(out / f"{c.name}.meta.json")
        return m.get("seconds") if isinstance(m, dict) else None

    known = {c.name: seconds(c) for c in chapters}
    unknown = [c for c in chapters if not isinstance(known[c.name], (int, float))]
    timed = [c for c in chapters if isinstance(known[c.name], (int, float))]
    return unknown + sorted(timed, key=lambda c: -known[c.name])


def _short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return "\n".join(text[-15:]) if text else type(exc).__name__


def _write_timings(mode: str, root: Path = ROOT) -> Path:
    out = executed_dir(mode, root)
    rows = []
    for c in notebook_chapters(root):
        m = read_json(out / f"{c.name}.meta.json")
        if isinstance(m, dict):
            rows.append({"chapter": c.name, "seconds": m["seconds"],
                         "cpu_seconds": m.get("cpu_seconds"), "executed_at": m["executed_at"],
                         "up_to_date": m["key"] == cache_key(c, m.get("params", {}))})
    return write_atomic(out / "timings.json", json.dumps(rows, indent=1))
