#!/usr/bin/env python
"""Execute the RAF book with papermill (cached) and render it with Jupyter Book.

This is the one executor of the book (``make book``, ``make chapter``, the tests). The pipeline:

1. **Chapters** are the ``file:`` entries of ``_toc.yml``. A page whose ``book/<name>.md`` has a
   jupytext header with a ``kernelspec`` is a *notebook* and is executed; the other pages
   (``status``, ``references``) are plain MyST pages. Pages listed in the table of contents whose
   file does not exist yet are left out with a warning, so an unwritten chapter never breaks a build.
2. **Sync**: ``book/<name>.md`` is the source of truth. jupytext writes the paired
   ``book/<name>.ipynb`` (git-ignored; what you open in Jupyter or hand to papermill yourself),
   atomically; one that cannot be read (truncated, corrupt) is written again.
3. **Execute**: papermill runs the notebook read from the ``.md`` in a fresh ``python3`` kernel of
   this environment, with ``book/`` as working directory and the parameters of the mode:

   * ``full``  -- the defaults of the chapter's ``parameters`` cell (``make book``);
   * ``quick`` -- ``quick=True`` (``make book QUICK=1`` and the tests);
   * custom    -- any other parameters (``-p NAME VALUE``), kept apart under ``custom/<hash>/``.

   Every run also receives ``results_path``: a chapter that follows the convention of
   ``tests/booktools.py`` writes its key numbers there as JSON. A chapter running longer than
   30 s says every 30 s which cell it is at. One chapter is executed by one build at a time (a
   lock per chapter and mode): a second build waits, then finds the first one's result cached.
4. **Cache**: the executed notebook lands in ``_build/executed/<mode>/<name>.ipynb`` next to
   ``<name>.meta.json``, which stores the cache key (SHA-256 of the chapter's ``.md``, of every
   ``raf/**/*.py``, of the parameters and of ``RAF_CIFAR10``), the execution time in seconds (wall
   and CPU) and the date. A chapter whose key is unchanged (and whose files read back whole) is not
   executed again. ``timings.json`` lists every chapter's time. With ``--jobs N`` (``make book``:
   2) N chapters execute at once, the longest by its last recorded time first. A failing chapter leaves its partially executed
   notebook and the error in ``_build/reports/<mode>/`` and ``<name>.failed.json`` in the cache;
   a chapter that stops because data it needs is missing (CIFAR-10) is a *missing-data* failure.
5. **Render**: ``_build/stage/<mode>/`` receives ``_config.yml``, the table of contents (without
   missing pages), the plain pages of ``book/``, the site's own copies of MathJax, the widget
   manager and require.js (``tools/vendor.py``), the Sphinx extension ``tools/sphinx_site.py``,
   and one ``.ipynb`` per notebook chapter (``tools/book_stage.py``): the executed notebook when it
   is current; under a warning when the chapter changed since it was executed (``stale``); else
   the chapter without outputs under a box saying why (data missing, failed, not executed).
   ``jupyter-book build`` writes ``_build/html`` (full) or ``_build/quick/_build/html`` (quick); the
   site is then checked for paths of the build machine and outside assets (``tools/site_check.py``).

Exit status of ``all`` and ``html``: 1 when a chapter failed with an error; with ``--strict``
(Sphinx warnings are errors) also 1 when any page is not a current execution or the site check
finds a problem. Otherwise 0, with a summary at the end of what is missing and how to provide it.

The parts, one job each: ``book_chapters.py`` (the pages, cache keys, folders),
``book_execute.py`` (sync, papermill, cache, failures, progress), ``book_stage.py`` (what Sphinx
reads), ``vendor.py`` (third-party files the site serves), ``sphinx_site.py`` (the Sphinx
extension), ``site_check.py`` (checks of the built site), ``atomic_io.py`` (files that builds
running at once share); this file renders and holds the command line.

Usage::

    python tools/build_book.py all [--quick] [--strict]          # execute what changed, then HTML
    python tools/build_book.py execute [--quick] [--only NAME ...] [--force] [-p NAME VALUE ...]
    python tools/build_book.py html [--quick] [--strict]         # render the cached notebooks
"""

from __future__ import annotations
import argparse
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import book_stage  # noqa: E402
import repro_map  # noqa: E402 - the reproduction map page, from the chapters' recorded results
import site_check  # noqa: E402
import vendor  # noqa: E402
from atomic_io import locked, read_json  # noqa: E402
from book_chapters import (  # noqa: E402,F401 - the executor's API, in one place
    MODES, PIPELINE_VERSION, ROOT, Chapter, build_dir, cache_key, cell_timeout, executed_dir, find_chapter,
    mode_of, notebook_chapters, raf_sources, read_notebook, reports_dir, toc_chapters)
from book_execute import (  # noqa: E402,F401
    MISSING_DATA_ERRORS, Execution, Failure, _failed_path, _is_notebook_file, _paths, cached_execution,
    execute, execute_all, log_print, missing_data_message, sync)

_prune_toc = book_stage.prune_toc

# Versions shown on the status page.
STATUS_PACKAGES = [
    "raf", "numpy", "scipy", "scikit-learn", "matplotlib", "ipywidgets", "ipykernel",
    "papermill", "jupytext", "jupyter-book", "myst-nb", "sphinx",
]


# --------------------------------------------------------------------------------------------
# Render


def _mode_flag(mode: str) -> str:
    return " --quick" if mode == "quick" else ""


def page_state(chapter: Chapter, mode: str) -> book_stage.PageState:
    """How ``chapter`` will be rendered in ``mode`` (see :mod:`book_stage`)."""
    params = MODES[mode]
    name, key = chapter.name, cache_key(chapter, params)
    _, nb_path, meta_path, _ = _paths(chapter, mode)
    meta = read_json(meta_path)
    meta = meta if isinstance(meta, dict) else {}
    failed = read_json(_failed_path(chapter, mode))
    again = f"`python tools/build_book.py execute{_mode_flag(mode)} --only {name}` (or `make book`)"
    if meta.get("key") == key and _is_notebook_file(nb_path):
        return book_stage.PageState(name, "current", nb_path, executed_at=meta.get("executed_at", ""))
    if isinstance(failed, dict) and failed.get("key") == key:
        if failed.get("kind") == "missing-data":
            return book_stage.PageState(name, "missing-data", detail=(
                "**This chapter was not executed in this build: data it needs is not on the machine "
                "that built the book.** Its text and code follow without their results.\n\n"
                f"```text\n{_wrap(failed.get('message', ''))}\n```\n\nOnce the data is there, run {again}."))
        return book_stage.PageState(name, "failed", detail=(
            f"**This chapter failed to execute in this build** (`{failed.get('message', '')}`). Its text "
            "and code follow without their results. The partially executed notebook and the traceback "
            f"are in `_build/reports/{mode}/` of the build."))
    if _is_notebook_file(nb_path):
        when = meta.get("executed_at", "at an unknown date")
        return book_stage.PageState(name, "stale", nb_path, executed_at=when, detail=(
            f"**These results come from an earlier version of this chapter** (executed {when}): the "
            f"chapter or the `raf` package has changed since. Run {again} to bring them up to date."))
    return book_stage.PageState(name, "not-executed", detail=(
        f"**This chapter has not been executed yet**, so its results are missing. Run {again}."))


def _wrap(text: str, width: int = 88) -> str:
    """Long lines of a message folded, continuation lines indented under their first word."""
    import textwrap

    out = []
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" -*"))
        out += textwrap.wrap(line, width, subsequent_indent=" " * (indent + 2), break_on_hyphens=False) or [""]
    return "\n".join(out)


def _version(pkg: str) -> str:
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def status_markdown(mode: str, states: dict | None = None, root: Path = ROOT) -> str:
    """The tables of the status page: per-chapter execution time, then the versions used."""
    notes = {"stale": "earlier version of the chapter", "missing-data": "not executed: data missing",
             "failed": "failed", "not-executed": "not executed"}
    rows = []
    for c in notebook_chapters(root):
        st = (states or {}).get(c.name) or page_state(c, mode)
        m = read_json(executed_dir(mode, root) / f"{c.name}.meta.json") if st.notebook else None
        if isinstance(m, dict):
            rows.append((c.name, m["seconds"], m["executed_at"], notes.get(st.status, "")))
        else:
            rows.append((c.name, None, "", notes.get(st.status, "not executed")))
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}"
    versions = [("Python", platform.python_version())] + [(p, _version(p)) for p in STATUS_PACKAGES]
    return book_stage.status_markdown(mode, rows, machine, versions)


def _named_paths() -> dict:
    """Paths given to the chapters by the environment, and how pages show them."""
    named = {}
    if os.environ.get("RAF_CIFAR10"):
        named[os.environ["RAF_CIFAR10"]] = Path(os.environ["RAF_CIFAR10"]).name
    if os.environ.get("RAF_CACHE"):
        named[os.environ["RAF_CACHE"]] = "$RAF_CACHE"
    return named


def stage(mode: str, root: Path = ROOT) -> tuple[Path, dict]:
    """Lay out the Jupyter Book sources of ``mode`` in ``_build/stage/<mode>``; return it and the
    :class:`book_stage.PageState` of each notebook chapter."""
    dest = build_dir(root) / "stage" / mode
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy2(root / "_config.yml", dest / "_config.yml")
    if (root / "_static").is_dir():
        shutil.copytree(root / "_static", dest / "_static")
    (dest / "_ext").mkdir()
    shutil.copy2(Path(__file__).with_name("sphinx_site.py"), dest / "_ext" / "sphinx_site.py")
    vendor.stage_mathjax(dest / "_extra" / "mathjax")
    vendor.stage_widget_manager(dest / "_extra" / "jupyter-widgets")
    chapters = toc_chapters(root)
    notebooks = {c.md.resolve() for c in chapters if c.is_notebook}

    def ignore(folder, names):
        skip = {n for n in names if n.endswith(".ipynb") or n in (".ipynb_checkpoints", "__pycache__")}
        skip |= {n for n in names if (Path(folder) / n).resolve() in notebooks}
        return skip

    shutil.copytree(root / "book", dest / "book", ignore=ignore)
    replacements = book_stage.path_replacements(root, Path.home(), _named_paths())
    states = {}
    for c in chapters:
        if c.is_notebook:
            states[c.name] = page_state(c, mode)
            book_stage.stage_notebook(states[c.name], read_notebook(c), dest / f"{c.docname}.ipynb", replacements)
    keep = {c.docname for c in chapters if c.exists}
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    if toc.get("root") not in keep:
        raise RuntimeError(f"The root page {toc.get('root')}.md of _toc.yml does not exist.")
    (dest / "_toc.yml").write_text(yaml.safe_dump(book_stage.prune_toc(toc, keep), sort_keys=False))
    (dest / "book" / "status_generated.md").write_text(status_markdown(mode, states, root))
    _write_root_page(dest / "_extra" / "index.html", toc["root"], root)
    shown = {name for name, st in states.items() if st.notebook is not None}
    (dest / "book" / "reproduction_generated.md").write_text(
        repro_map.markdown(executed_dir(mode, root), mode=mode, available=shown))
    return dest, states


def _write_root_page(path: Path, first_page: str, root: Path = ROOT) -> None:
    """``<site>/index.html``: sends the reader to the first page. (Without it sphinx-external-toc
    writes a bare redirect with no icon, and the browser asks for ``/favicon.ico``.)"""
    import html

    cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    title = html.escape(str(cfg.get("title", "The book")))
    favicon = ((cfg.get("sphinx") or {}).get("config") or {}).get("html_favicon")
    icon = f'<link rel="icon" href="_static/{Path(favicon).name}">\n' if favicon else ""
    target = f"{first_page}.html"
    path.write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n<title>{title}</title>\n'
        f'<meta http-equiv="refresh" content="0; url={target}">\n{icon}</head>\n'
        f'<body><p><a href="{target}">{title}</a></p></body></html>\n', encoding="utf-8")


def html_dir(mode: str, root: Path = ROOT) -> Path:
    return build_dir(root) / "html" if mode == "full" else build_dir(root) / mode / "_build" / "html"


def machine_paths(root: Path = ROOT) -> list[str]:
    """Folders of the build machine that no page may name (see :mod:`site_check`)."""
    return [str(root), str(Path.home()), tempfile.gettempdir(), os.getcwd(), sys.prefix]


def build_html(mode: str = "full", *, strict: bool = False, quiet: bool = False, log=log_print,
               root: Path = ROOT) -> Path:
    """Render the notebooks of ``mode`` with Jupyter Book and check the site; return the html folder.

    One build per mode at a time (a lock). Chapters without a current execution are rendered as
    :func:`page_state` says (:func:`incomplete_pages` lists them). Raises ``RuntimeError`` when
    Jupyter Book fails, and in strict mode when the site names a path of the build machine or
    loads an asset from another host (otherwise these are printed as warnings).
    """
    with locked(build_dir(root) / "stage" / f"{mode}.lock"):
        src, _states = stage(mode, root)
        out = html_dir(mode, root).parents[1]
        jb = Path(sys.executable).with_name("jupyter-book")
        cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(src), "--path-output", str(out),
               "--builder", "html", "--all"]
        if strict:
            cmd += ["-W", "--keep-going"]
        if quiet:
            cmd += ["-q"]
        proc = subprocess.run(cmd, cwd=root, text=True, capture_output=quiet)
        if proc.returncode != 0:
            detail = (proc.stdout or "")[-6000:] + (proc.stderr or "")[-6000:] if quiet else ""
            raise RuntimeError(f"jupyter-book build failed ({' '.join(cmd)}):\n{detail}")
        html = html_dir(mode, root)
        import lite  # tools/lite.py: the in-browser (JupyterLite) part of the site, <html>/lite/

        lite.build_site(mode, html, root=root, log=log)
        problems = [f"names a path of the build machine: {x}" for x in site_check.leaked_paths(html, machine_paths(root))]
        problems += [f"loads from another host: {x}" for x in site_check.remote_assets(html)]
    if problems:
        text = "The built site " + "\nThe built site ".join(problems)
        if strict:
            raise RuntimeError(text)
        log(f"WARNING: {text}")
    return html


def incomplete_pages(mode: str, root: Path = ROOT) -> list[book_stage.PageState]:
    """The notebook chapters of ``mode`` whose page is not a current execution."""
    return [s for s in (page_state(c, mode) for c in notebook_chapters(root)) if not s.complete]


def _summary(pages) -> str:
    lines = ["", "=" * 78, f"{len(pages)} chapter(s) of the book are not shown with current results:"]
    for s in pages:
        lines.append(f"\n  {s.name}: {s.status}")
        body = s.detail.replace("**", "").replace("```text\n", "").replace("\n```", "")
        lines += [f"    {ln}" for ln in body.strip().splitlines() if ln.strip()]
    lines.append("=" * 78)
    return "\n".join(lines)


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
    ap.add_argument("--strict", action="store_true",
                    help="Sphinx warnings are errors, and so is any chapter without current results")
    ap.add_argument("--jobs", type=int, default=1,
                    help="chapters executed in parallel, the longest (last recorded time) first "
                         "(default 1; make book uses 2)")
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)  # the tests' fake books
    args = ap.parse_args(argv)
    root = args.root.resolve()

    params = dict(MODES["quick" if args.quick else "full"])
    params.update(_parse_params(args.parameter))
    mode = mode_of(params)
    t0 = time.perf_counter()
    status = 0
    if args.command == "status":
        print(status_markdown(mode, root=root))
        return 0
    if args.command in ("all", "execute"):
        done, failed = execute_all(params, only=args.only, force=args.force, jobs=args.jobs, root=root)
        for c in (find_chapter(n, root) for n in (args.only or [])):
            if c.name in done:
                print(f"executed notebook: {done[c.name].path.relative_to(root)}")
        for name, f in failed.items():
            print(f"\n=== {name}: {'data missing' if f.kind == 'missing-data' else 'failed'} ===\n{f.message}",
                  file=sys.stderr)
        errors = [n for n, f in failed.items() if f.kind == "error"]
        named = [n for n in failed if args.only and n in {find_chapter(x, root).name for x in args.only}]
        if errors:
            print(f"\n{len(errors)} chapter(s) failed; executed notebooks with the error are in "
                  f"{reports_dir(mode, root).relative_to(root)}/", file=sys.stderr)
        if errors or named or (failed and args.strict):
            status = 1
        print(f"executed notebooks and timings: {executed_dir(mode, root).relative_to(root)}/ "
              f"({time.perf_counter() - t0:.1f} s)")
    if args.command in ("all", "html"):
        if mode not in MODES:
            print("html is built for the full or quick parameters only", file=sys.stderr)
            return 2
        out = build_html(mode, strict=args.strict, root=root)
        print(f"\nThe book is at {(out / 'index.html').relative_to(root)} "
              f"(total {time.perf_counter() - t0:.1f} s)")
        pages = incomplete_pages(mode, root)
        if pages:
            print(_summary(pages), file=sys.stderr)
            if args.strict or any(p.status == "failed" for p in pages):
                status = 1
            print("Exit status 1 (strict mode)." if args.strict else
                  "The rest of the book is built (strict mode would make this an error).", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
