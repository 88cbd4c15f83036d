#!/usr/bin/env python
"""Execute the RAF book with papermill (cached) and render it with Jupyter Book.

This is the one executor of the book (``make book``, ``make chapter``, the tests). The pipeline:

1. **Chapters** are the ``file:`` entries of ``_toc.yml``. A page whose ``book/<name>.md`` has a
   jupytext header with a ``kernelspec`` is a *notebook* and is executed; the other pages
   (``status``, ``references``) are plain MyST pages. Pages listed in the table of contents whose
   file does not exist yet are left out with a warning, so an unwritten chapter never breaks a build.
2. **Sync**: ``book/<name>.md`` is the source of truth. jupytext writes the paired
   ``book/<name>.ipynb`` (git-ignored; what you open in Jupyter or hand to papermill yourself).
3. **Execute**: papermill runs the notebook read from the ``.md`` in a fresh ``python3`` kernel of
   this environment, with ``book/`` as working directory and the parameters of the mode:

   * ``full``  -- the defaults of the chapter's ``parameters`` cell (``make book``);
   * ``quick`` -- ``quick=True`` (``make book QUICK=1`` and the tests);
   * custom    -- any other parameters (``-p NAME VALUE``), kept apart under ``custom/<hash>/``.

   Every run also receives ``results_path``: a chapter that follows the convention of
   ``tests/booktools.py`` writes its key numbers there as JSON.
4. **Cache**: the executed notebook lands in ``_build/executed/<mode>/<name>.ipynb`` next to
   ``<name>.meta.json``, which stores the cache key (SHA-256 of the chapter's ``.md``, of every
   ``raf/**/*.py``, of the parameters and of ``RAF_CIFAR10``), the execution time in seconds and the
   date. A chapter whose key is unchanged is not executed again. ``timings.json`` in the same folder
   lists every chapter's time. A failing chapter leaves its partially executed notebook and the
   error in ``_build/reports/<mode>/`` and nothing in the cache.
5. **Render**: ``_build/stage/<mode>/`` receives ``_config.yml``, the table of contents (without
   missing pages), the plain pages of ``book/`` and, for each notebook chapter, only its *executed*
   ``.ipynb``; so Sphinx reads no ``.md`` notebook and finds no duplicate document. The status page
   includes ``status_generated.md`` (execution times and package versions) written here.
   ``_config.yml`` has ``execute_notebooks: "off"``: Jupyter Book executes nothing.
   ``jupyter-book build`` writes ``_build/html`` (full) or ``_build/quick/_build/html`` (quick).

Usage::

    python tools/build_book.py all [--quick] [--strict]          # execute what changed, then HTML
    python tools/build_book.py execute [--quick] [--only NAME ...] [--force] [-p NAME VALUE ...]
    python tools/build_book.py html [--quick] [--strict]         # render the cached notebooks
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import functools
import datetime as _dt
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

import yaml

log_print = functools.partial(print, flush=True)

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
EXECUTED = BUILD / "executed"
REPORTS = BUILD / "reports"
STAGE = BUILD / "stage"

# Bump when the way notebooks are executed changes, so every cache entry is refreshed.
PIPELINE_VERSION = "1"

MODES = {"full": {}, "quick": {"quick": True}}

# Versions shown on the status page.
STATUS_PACKAGES = [
    "raf", "numpy", "scipy", "scikit-learn", "matplotlib", "ipywidgets", "ipykernel",
    "papermill", "jupytext", "jupyter-book", "myst-nb", "sphinx",
]


# --------------------------------------------------------------------------------------------
# The table of contents


@dataclasses.dataclass(frozen=True)
class Chapter:
    """One page of ``_toc.yml``: ``docname`` is the toc entry (``book/intro``), ``name`` its stem."""

    docname: str
    root: Path = ROOT

    @property
    def name(self) -> str:
        return Path(self.docname).name

    @property
    def md(self) -> Path:
        return self.root / f"{self.docname}.md"

    @property
    def ipynb(self) -> Path:
        return self.root / f"{self.docname}.ipynb"

    @property
    def exists(self) -> bool:
        return self.md.is_file()

    @property
    def is_notebook(self) -> bool:
        """True for a MyST notebook (jupytext header with a kernelspec), False for a plain page."""
        if not self.exists:
            return False
        return "kernelspec" in _front_matter(self.md)


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    return yaml.safe_load(text[3:end]) or {}


def _toc_files(node) -> list[str]:
    files: list[str] = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                files.append(str(node[key]))
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key) or []:
                files += _toc_files(child)
    return files


def toc_chapters(root: Path = ROOT) -> list[Chapter]:
    """Every page of ``_toc.yml``, in reading order, whether or not its file exists yet."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    seen: list[str] = []
    for f in _toc_files(toc):
        doc = _doc(f)
        if doc not in seen:
            seen.append(doc)
    return [Chapter(doc, root) for doc in seen]


def notebook_chapters(root: Path = ROOT) -> list[Chapter]:
    """The pages that exist and are notebooks (the ones papermill executes)."""
    return [c for c in toc_chapters(root) if c.is_notebook]


def find_chapter(name: str, root: Path = ROOT) -> Chapter:
    for c in toc_chapters(root):
        if name in (c.name, c.docname):
            return c
    known = ", ".join(c.name for c in toc_chapters(root))
    raise ValueError(f"The 'name' parameter must be a chapter of _toc.yml ({known}). Got {name!r} instead.")


# --------------------------------------------------------------------------------------------
# Cache keys


def raf_sources(root: Path = ROOT) -> list[Path]:
    return sorted(p for p in (root / "raf").rglob("*.py") if "__pycache__" not in p.parts)


def cache_key(chapter: Chapter, params: dict) -> str:
    """SHA-256 of what decides a chapter's output: its .md, the raf sources, parameters, data path."""
    h = hashlib.sha256()
    h.update(f"pipeline {PIPELINE_VERSION}\n".encode())
    h.update(chapter.md.read_bytes())
    for p in raf_sources(chapter.root):
        h.update(f"\n--- {p.relative_to(chapter.root).as_posix()}\n".encode())
        h.update(p.read_bytes())
    h.update(json.dumps(params, sort_keys=True, default=str).encode())
    h.update(f"\nRAF_CIFAR10={os.environ.get('RAF_CIFAR10', '')}".encode())
    return h.hexdigest()


def mode_of(params: dict) -> str:
    """``full``/``quick`` for the two standard parameter sets, ``custom/<hash>`` otherwise."""
    for mode, p in MODES.items():
        if params == p:
            return mode
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    return f"custom/{digest[:10]}"


# --------------------------------------------------------------------------------------------
# Sync and execute


def read_notebook(chapter: Chapter):
    import jupytext

    return jupytext.read(chapter.md)


def sync(chapter: Chapter) -> Path:
    """Write ``book/<name>.ipynb`` from ``book/<name>.md`` (jupytext), only when its inputs differ.

    The ``.md`` is the source of truth: the ``.ipynb`` is regenerated from it (outputs kept by
    jupytext when the inputs match). Editing the ``.ipynb`` directly is supported only through
    jupytext pairing in Jupyter, which saves the ``.md`` as well.
    """
    import jupytext

    nb = read_notebook(chapter)
    if chapter.ipynb.exists():
        old = jupytext.read(chapter.ipynb)
        if [(c.cell_type, c.source) for c in old.cells] == [(c.cell_type, c.source) for c in nb.cells]:
            return chapter.ipynb
    jupytext.write(nb, chapter.ipynb, fmt="ipynb")
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


def _paths(chapter: Chapter, mode: str):
    out = EXECUTED / mode
    return out, out / f"{chapter.name}.ipynb", out / f"{chapter.name}.meta.json", out / f"{chapter.name}.results.json"


def _load_results(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def cached_execution(chapter: Chapter, params: dict) -> Execution | None:
    """The cached execution of ``chapter`` with ``params`` if it is still valid, else None."""
    mode = mode_of(params)
    _, nb_path, meta_path, res_path = _paths(chapter, mode)
    if not (nb_path.exists() and meta_path.exists()):
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("key") != cache_key(chapter, params):
        return None
    return Execution(chapter.name, mode, nb_path, meta["seconds"], meta["executed_at"], True,
                     _load_results(res_path))


def _kernel_env():
    # The kernel is the `python3` kernelspec of *this* environment: jupyter_client replaces the
    # spec's "python" by sys.executable, and JUPYTER_PATH puts this environment's specs first.
    ours = str(Path(sys.prefix) / "share" / "jupyter")
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p and p != ours]
    os.environ["JUPYTER_PATH"] = os.pathsep.join([ours, *paths])
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # silence debugpy's frozen-modules note


def cell_timeout(root: Path = ROOT) -> int:
    cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    return int((cfg.get("execute") or {}).get("timeout", 1800))


def execute(chapter: Chapter, params: dict | None = None, *, force: bool = False, log=log_print) -> Execution:
    """Execute one chapter with papermill (unless cached) and return its :class:`Execution`.

    Raises ``papermill.PapermillExecutionError`` (the failing cell and its traceback) when a cell
    fails; the partially executed notebook is then in ``_build/reports/<mode>/<name>.ipynb``.
    """
    import papermill

    params = dict(params or {})
    if not chapter.is_notebook:
        raise ValueError(f"{chapter.md.relative_to(chapter.root)} is not a notebook (no kernelspec) or does not exist.")
    if not force:
        hit = cached_execution(chapter, params)
        if hit is not None:
            log(f"[cached]   {chapter.name:<22} {hit.seconds:8.1f} s  ({hit.mode}, executed {hit.executed_at})")
            return hit

    mode = mode_of(params)
    out, nb_path, meta_path, res_path = _paths(chapter, mode)
    out.mkdir(parents=True, exist_ok=True)
    for p in (meta_path, res_path):
        p.unlink(missing_ok=True)
    # Per-process temporary names: two builds in one checkout must not write the same files.
    partial = out / f"{chapter.name}.{os.getpid()}.partial.ipynb"
    res_tmp = out / f"{chapter.name}.{os.getpid()}.results.json"
    key = cache_key(chapter, params)  # before running: a chapter must not change its own key
    sync(chapter)
    _kernel_env()
    log(f"[execute]  {chapter.name:<22} ({mode}) ...")
    t0 = time.perf_counter()
    try:
        papermill.execute_notebook(
            read_notebook(chapter),
            str(partial),
            parameters={**params, "results_path": str(res_tmp)},
            kernel_name="python3",
            cwd=str(chapter.md.parent),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=cell_timeout(chapter.root),
            # ipykernel logs a TCP-transport warning at start and, at times, a KeyboardInterrupt
            # while shutting down; neither concerns the chapter (cell errors still raise).
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except BaseException as exc:
        reports = REPORTS / mode
        reports.mkdir(parents=True, exist_ok=True)
        if partial.exists():
            shutil.move(str(partial), reports / f"{chapter.name}.ipynb")
        res_tmp.unlink(missing_ok=True)
        (reports / f"{chapter.name}.txt").write_text(
            f"chapter {chapter.name} failed ({mode}, parameters {params})\n\n"
            + "".join(traceback.format_exception(exc)))
        log(f"[FAILED]   {chapter.name:<22} see {reports.relative_to(ROOT)}/{chapter.name}.ipynb")
        raise
    seconds = time.perf_counter() - t0
    os.replace(partial, nb_path)
    if res_tmp.exists():
        os.replace(res_tmp, res_path)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    meta_path.write_text(json.dumps(
        {"chapter": chapter.name, "key": key, "seconds": round(seconds, 2), "executed_at": stamp,
         "params": params}, indent=1))
    log(f"[done]     {chapter.name:<22} {seconds:8.1f} s")
    return Execution(chapter.name, mode, nb_path, round(seconds, 2), stamp, False, _load_results(res_path))


def _execute_in_worker(docname: str, params: dict, force: bool):
    return execute(Chapter(docname), params, force=force)


def execute_all(params: dict | None = None, *, only=None, force=False, jobs=1, log=log_print):
    """Execute every notebook chapter (or those in ``only``); keep going past failures.

    Returns ``(executions, failures)``: a dict name -> :class:`Execution` and a dict
    name -> error message.
    """
    params = dict(params or {})
    chapters = notebook_chapters()
    for c in toc_chapters():
        if not c.exists:
            log(f"[missing]  {c.name:<22} {c.md.relative_to(ROOT)} does not exist yet: left out")
    if only:
        chapters = [find_chapter(n) for n in only]
    for c in chapters:
        sync(c)  # book/<name>.ipynb for Jupyter and papermill users, cached or not
    done, failed = {}, {}
    if jobs > 1:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futs = {pool.submit(_execute_in_worker, c.docname, params, force): c for c in chapters}
            for fut in concurrent.futures.as_completed(futs):
                c = futs[fut]
                try:
                    done[c.name] = fut.result()
                except Exception as exc:  # noqa: BLE001 - reported per chapter
                    failed[c.name] = _short_error(exc)
    else:
        for c in chapters:
            try:
                done[c.name] = execute(c, params, force=force, log=log)
            except Exception as exc:  # noqa: BLE001 - reported per chapter
                failed[c.name] = _short_error(exc)
    mode = mode_of(params)
    if done:
        _write_timings(mode)
    return done, failed


def _short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return "\n".join(text[-15:]) if text else type(exc).__name__


def _write_timings(mode: str) -> Path:
    out = EXECUTED / mode
    rows = []
    for c in notebook_chapters():
        meta = out / f"{c.name}.meta.json"
        if meta.exists():
            m = json.loads(meta.read_text())
            rows.append({"chapter": c.name, "seconds": m["seconds"], "executed_at": m["executed_at"],
                         "up_to_date": m["key"] == cache_key(c, m.get("params", {}))})
    path = out / "timings.json"
    path.write_text(json.dumps(rows, indent=1))
    return path


# --------------------------------------------------------------------------------------------
# Render


def _version(pkg: str) -> str:
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def status_markdown(mode: str) -> str:
    """The tables of the status page: per-chapter execution time, then the versions used."""
    lines = ["## Execution times", ""]
    if mode != "full":
        lines += [f"*This build used the `{mode}` parameters (reduced grids for the tests).*", ""]
    lines += ["| Chapter | Execution time (s) | Executed at |", "| --- | ---: | --- |"]
    total = 0.0
    for c in notebook_chapters():
        meta = EXECUTED / mode / f"{c.name}.meta.json"
        if meta.exists():
            m = json.loads(meta.read_text())
            total += m["seconds"]
            lines.append(f"| {{doc}}`{c.name}` | {m['seconds']:.1f} | {m['executed_at']} |")
        else:
            lines.append(f"| {c.name} | not executed | |")
    lines += [f"| **total** | **{total:.1f}** | |", ""]
    lines += ["Times include the start of the kernel. Machine: "
              f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}.", ""]
    lines += ["## Versions", "", "| Package | Version |", "| --- | --- |",
              f"| Python | {platform.python_version()} |"]
    lines += [f"| {p} | {_version(p)} |" for p in STATUS_PACKAGES]
    return "\n".join(lines) + "\n"


def _doc(entry) -> str:
    entry = str(entry)
    return str(Path(entry).with_suffix("")) if entry.endswith((".md", ".ipynb")) else entry


def _prune_toc(node: dict, keep: set[str]):
    """Copy of a toc node without the entries whose file is missing, and without emptied parts."""
    new = dict(node)
    for key in ("parts", "chapters", "sections"):
        if key in node:
            kids = [k for k in (_prune_toc(k, keep) for k in node[key] or []) if k is not None]
            if kids:
                new[key] = kids
            else:
                del new[key]
    if "file" in node and _doc(node["file"]) not in keep:
        return None
    if "caption" in node and "chapters" not in new:
        return None
    return new


def _stage_notebook(src: Path, dest: Path) -> None:
    """Copy an executed notebook, hiding the cell papermill injected (it holds local paths)."""
    import nbformat

    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, dest)


def _stage_mathjax(dest: Path) -> None:
    """Copy MathJax 3 (from the pinned ``django-static-mathjax`` wheel) into the site.

    The files go to ``_extra/`` (Sphinx ``html_extra_path``, copied to the site root
    untouched; Jupyter Book would add every script under ``_static`` to every page) and
    ``_config.yml`` points ``mathjax_path`` at them, so that formulas render without a
    network (the headless-browser test runs offline).
    Only the TeX-to-CommonHTML component and what it loads on demand are copied.
    """
    import mathjax  # the package of django-static-mathjax; nothing but static files

    src = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "tex-chtml.js", dest / "tex-chtml.js")
    for sub in ("output", "input", "ui", "a11y", "adaptors"):
        if (src / sub).is_dir():
            shutil.copytree(src / sub, dest / sub, dirs_exist_ok=True)
    if (src.parent / "LICENSE").is_file():
        shutil.copy2(src.parent / "LICENSE", dest / "LICENSE")


def stage(mode: str) -> Path:
    """Lay out the Jupyter Book sources of ``mode`` in ``_build/stage/<mode>`` (see module doc)."""
    dest = STAGE / mode
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", dest / "_config.yml")
    if (ROOT / "_static").is_dir():
        shutil.copytree(ROOT / "_static", dest / "_static")
    _stage_mathjax(dest / "_extra" / "mathjax")
    chapters = toc_chapters()
    notebooks = {c.md.resolve() for c in chapters if c.is_notebook}

    def ignore(folder, names):
        skip = {n for n in names if n.endswith(".ipynb") or n in (".ipynb_checkpoints", "__pycache__")}
        skip |= {n for n in names if (Path(folder) / n).resolve() in notebooks}
        return skip

    shutil.copytree(ROOT / "book", dest / "book", ignore=ignore)
    missing_exec = []
    for c in chapters:
        if c.is_notebook:
            src = EXECUTED / mode / f"{c.name}.ipynb"
            if not src.exists():
                missing_exec.append(c.name)
                continue
            _stage_notebook(src, dest / f"{c.docname}.ipynb")
    if missing_exec:
        raise RuntimeError(f"No executed notebook for {', '.join(missing_exec)} in {EXECUTED / mode}: "
                           f"run `python tools/build_book.py execute{' --quick' if mode == 'quick' else ''}` first.")
    keep = {c.docname for c in chapters if c.exists}
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    if toc.get("root") not in keep:
        raise RuntimeError(f"The root page {toc.get('root')}.md of _toc.yml does not exist.")
    (dest / "_toc.yml").write_text(yaml.safe_dump(_prune_toc(toc, keep), sort_keys=False))
    (dest / "book" / "status_generated.md").write_text(status_markdown(mode))
    return dest


def html_dir(mode: str) -> Path:
    return BUILD / "html" if mode == "full" else BUILD / mode / "_build" / "html"


def build_html(mode: str = "full", *, strict: bool = False, quiet: bool = False) -> Path:
    """Render the executed notebooks of ``mode`` with Jupyter Book; return the html folder."""
    src = stage(mode)
    out = html_dir(mode).parents[1]
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(src), "--path-output", str(out),
           "--builder", "html", "--all"]
    if strict:
        cmd += ["-W", "--keep-going"]
    if quiet:
        cmd += ["-q"]
    proc = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=quiet)
    if proc.returncode != 0:
        detail = (proc.stdout or "")[-6000:] + (proc.stderr or "")[-6000:] if quiet else ""
        raise RuntimeError(f"jupyter-book build failed ({' '.join(cmd)}):\n{detail}")
    import lite  # tools/lite.py: the in-browser (JupyterLite) part of the site, <html>/lite/

    lite.build_site(mode, html_dir(mode))
    return html_dir(mode)


# --------------------------------------------------------------------------------------------
# Command line


def _parse_params(pairs) -> dict:
    return {k: yaml.safe_load(v) for k, v in pairs or []}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["all", "execute", "html", "status"])
    ap.add_argument("--quick", action="store_true", help="run the chapters with quick=True (as the tests do)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="only these chapters (execute)")
    ap.add_argument("--force", action="store_true", help="execute even if the cache is valid")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                    help="papermill parameter (value read as YAML), e.g. -p alpha 4")
    ap.add_argument("--strict", action="store_true", help="warnings are errors in the HTML build (-W --keep-going)")
    ap.add_argument("--jobs", type=int, default=1, help="chapters executed in parallel (default 1)")
    args = ap.parse_args(argv)

    params = dict(MODES["quick" if args.quick else "full"])
    params.update(_parse_params(args.parameter))
    mode = mode_of(params)
    t0 = time.perf_counter()
    if args.command == "status":
        print(status_markdown(mode))
        return 0
    if args.command in ("all", "execute"):
        done, failed = execute_all(params, only=args.only, force=args.force, jobs=args.jobs)
        for c in (find_chapter(n) for n in (args.only or [])):
            if c.name in done:
                print(f"executed notebook: {done[c.name].path.relative_to(ROOT)}")
        if failed:
            for name, err in failed.items():
                print(f"\n=== {name} failed ===\n{err}", file=sys.stderr)
            print(f"\n{len(failed)} chapter(s) failed; executed notebooks with the error are in "
                  f"{REPORTS.relative_to(ROOT)}/{mode}/", file=sys.stderr)
            return 1
        print(f"executed notebooks and timings: {(EXECUTED / mode).relative_to(ROOT)}/ "
              f"({time.perf_counter() - t0:.1f} s)")
    if args.command in ("all", "html"):
        if mode not in MODES:
            print("html is built for the full or quick parameters only", file=sys.stderr)
            return 2
        out = build_html(mode, strict=args.strict)
        print(f"\nThe book is at {(out / 'index.html').relative_to(ROOT)} "
              f"(total {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
