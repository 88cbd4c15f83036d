"""The book's build tool (tools/build_book.py and its parts) on tiny fake books in temporary folders.

Regression tests of issue 8 (two builds of one chapter at once, a damaged generated notebook,
``html`` on an execution older than its source) and of issue 7 (a chapter whose data is
missing does not stop the book; long chapters report progress), plus the pieces that make the
site self-contained: vendored npm files checked against their pinned hash, the Sphinx
extension that cleans each page's assets, the publishable notebook, the site checks.
The few tests that start a kernel use a one-cell chapter (a few seconds each).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import nbformat
import pytest
from booktools import ROOT, build_book

sys.path.insert(0, str(ROOT / "tools"))

import atomic_io  # noqa: E402
import book_stage  # noqa: E402
import site_check  # noqa: E402
import sphinx_site  # noqa: E402
import vendor  # noqa: E402

TOOL = ROOT / "tools" / "build_book.py"

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

(ch-label)=
# A fake chapter

Some text.

```{{code-cell}} ipython3
:tags: [parameters]
quick = False
seed = 0
results_path = None
```

```{{code-cell}} ipython3
import json, time
time.sleep({sleep})
{body}
if results_path:
    with open(results_path, "w") as f:
        json.dump({{"quick": quick}}, f)
print("done")
```
"""

MISSING = '''class CIFAR10NotFoundError(FileNotFoundError):
    pass
raise CIFAR10NotFoundError("CIFAR-10 was not found. Looked in:\\n  - {home}/.cache/raf/cifar10  (cache folder: missing)\\nHow to provide CIFAR-10: set RAF_CIFAR10")'''


def fake_book(tmp_path: Path, *, sleep: float = 0.0, body: str = "") -> build_book.Chapter:
    (tmp_path / "book").mkdir(exist_ok=True)
    (tmp_path / "raf").mkdir(exist_ok=True)
    (tmp_path / "raf" / "x.py").write_text("x = 1\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/ch\n")
    (tmp_path / "_config.yml").write_text("execute:\n  timeout: 120\n")
    (tmp_path / "book" / "ch.md").write_text(CHAPTER.format(sleep=sleep, body=body))
    return build_book.Chapter("book/ch", tmp_path)


@pytest.fixture
def no_data(monkeypatch):
    monkeypatch.delenv("RAF_CIFAR10", raising=False)


# --------------------------------------------------------------------------------------------
# Files shared by builds running at once


def test_write_atomic_is_never_seen_half_written(tmp_path):
    path = tmp_path / "nb.ipynb"
    old, new = "a" * 2_000_000, "b" * 3_000_000
    atomic_io.write_atomic(path, old)
    seen, stop = set(), threading.Event()

    def reader():
        while not stop.is_set():
            seen.add(len(path.read_text()))

    t = threading.Thread(target=reader)
    t.start()
    for i in range(30):
        atomic_io.write_atomic(path, new if i % 2 == 0 else old)
    stop.set()
    t.join()
    assert seen <= {len(old), len(new)}, f"a reader saw a partial file: lengths {sorted(seen)}"
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"], "temporary files left behind"


def test_read_json_treats_a_damaged_file_as_missing(tmp_path):
    p = tmp_path / "meta.json"
    p.write_text('{"key": "abc", "seco')
    assert atomic_io.read_json(p) is None
    assert atomic_io.read_json(tmp_path / "absent.json") is None


def test_two_builds_of_one_chapter_at_once_both_succeed(tmp_path, no_data):
    ch = fake_book(tmp_path, sleep=1.0)
    cmd = [sys.executable, str(TOOL), "execute", "--quick", "--only", "ch", "--root", str(tmp_path)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=180)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    both = "".join(outs)
    # One executes; the other waits for it (a lock per chapter) and takes its result.
    assert both.count("[execute]") == 1 and both.count("[cached]") == 1, both
    run = build_book.cached_execution(ch, {"quick": True})
    assert run is not None and run.results == {"quick": True}
    assert nbformat.read(run.path, as_version=4).cells
    assert not list((tmp_path / "_build" / "executed" / "quick").glob("*.partial*")), "temporary files left"
    # the kernel's CPU time is recorded beside its wall time (it imported at least json)
    meta = atomic_io.read_json(tmp_path / "_build" / "executed" / "quick" / "ch.meta.json")
    assert 0 < meta["cpu_seconds"] < 60


def test_parallel_build_starts_the_longest_chapter_first(tmp_path):
    # --jobs > 1 starts chapters without a recorded time first (toc order), then the others by
    # their last recorded seconds, longest first
    import book_execute

    fake_book(tmp_path)
    for name in ("a", "b", "c", "d"):
        (tmp_path / "book" / f"{name}.md").write_text(CHAPTER.format(sleep=0, body=""))
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/ch\nchapters:\n"
        + "".join(f"  - file: book/{n}\n" for n in "abcd"))
    out = tmp_path / "_build" / "executed" / "full"
    out.mkdir(parents=True)
    for name, seconds in (("a", 5.0), ("c", 300.0), ("d", 40.0)):
        (out / f"{name}.meta.json").write_text(json.dumps({"seconds": seconds}))
    (out / "ch.meta.json").write_text("{damaged")
    chapters = build_book.notebook_chapters(tmp_path)
    order = [c.name for c in book_execute.longest_first(chapters, "full", tmp_path)]
    assert order == ["ch", "b", "c", "d", "a"]


def test_truncated_generated_notebook_is_written_again(tmp_path):
    ch = fake_book(tmp_path)
    build_book.sync(ch)
    good = ch.ipynb.read_text()
    ch.ipynb.write_text(good[: len(good) // 3])  # a build killed mid-write
    said = []
    build_book.sync(ch, log=said.append)
    assert json.loads(ch.ipynb.read_text())["cells"], "the notebook was not regenerated"
    assert any("unreadable" in s for s in said), said


def test_damaged_cached_execution_is_not_served(tmp_path, no_data):
    ch = fake_book(tmp_path)
    out = build_book.executed_dir("quick", tmp_path)
    out.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    (out / "ch.ipynb").write_text(nbformat.writes(nb)[:40])
    (out / "ch.meta.json").write_text(json.dumps(
        {"key": build_book.cache_key(ch, {"quick": True}), "seconds": 1.0, "executed_at": "now"}))
    said = []
    assert build_book.cached_execution(ch, {"quick": True}, log=said.append) is None
    assert said and "not a whole notebook" in said[0]
    (out / "ch.ipynb").write_text(nbformat.writes(nb))
    assert build_book.cached_execution(ch, {"quick": True}) is not None


# --------------------------------------------------------------------------------------------
# What `html` renders for each chapter


def _executed_entry(ch, *, key: str, tmp_path: Path):
    out = build_book.executed_dir("quick", tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    nb = build_book.read_notebook(ch)
    nbformat.write(nb, out / "ch.ipynb")
    (out / "ch.meta.json").write_text(json.dumps({"key": key, "seconds": 1.0, "executed_at": "2026-01-01 00:00 UTC"}))


def test_html_never_renders_an_older_execution_without_a_word(tmp_path, no_data, monkeypatch, capsys):
    ch = fake_book(tmp_path)
    _executed_entry(ch, key=build_book.cache_key(ch, {"quick": True}), tmp_path=tmp_path)
    assert build_book.page_state(ch, "quick").status == "current"
    ch.md.write_text(ch.md.read_text() + "\nA new paragraph.\n")  # the source moves on
    state = build_book.page_state(ch, "quick")
    assert state.status == "stale" and "earlier version" in state.detail and "2026-01-01" in state.detail
    dest = tmp_path / "staged.ipynb"
    book_stage.stage_notebook(state, build_book.read_notebook(ch), dest, [])
    title = next(c for c in nbformat.read(dest, as_version=4).cells if c.cell_type == "markdown")
    assert ":::{warning}" in title.source and "earlier version" in title.source

    monkeypatch.setattr(build_book, "build_html", lambda mode, **kw: build_book.html_dir(mode, tmp_path))
    assert build_book.main(["html", "--quick", "--root", str(tmp_path)]) == 0
    assert "ch: stale" in capsys.readouterr().err
    assert build_book.main(["html", "--quick", "--strict", "--root", str(tmp_path)]) == 1


def test_chapter_never_executed_is_a_placeholder(tmp_path, no_data):
    ch = fake_book(tmp_path)
    state = build_book.page_state(ch, "quick")
    assert state.status == "not-executed" and "execute --quick --only ch" in state.detail


def test_missing_data_renders_the_page_and_fails_only_in_strict_mode(tmp_path, no_data, monkeypatch, capsys):
    ch = fake_book(tmp_path, body=MISSING.format(home=Path.home()))
    monkeypatch.setattr(build_book, "build_html", lambda mode, **kw: build_book.html_dir(mode, tmp_path))
    assert build_book.main(["all", "--quick", "--root", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "ch: missing-data" in err and "How to provide CIFAR-10" in err
    assert build_book.main(["all", "--quick", "--strict", "--root", str(tmp_path)]) == 1

    state = build_book.page_state(ch, "quick")
    assert state.status == "missing-data" and "How to provide CIFAR-10" in state.detail
    dest = tmp_path / "staged.ipynb"
    repl = book_stage.path_replacements(tmp_path, Path.home())
    book_stage.stage_notebook(state, build_book.read_notebook(ch), dest, repl)
    nb = nbformat.read(dest, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "How to provide CIFAR-10" in text and "(ch-label)=" in text, "the page must keep its text and labels"
    assert str(Path.home()) + "/" not in text and "~/.cache/raf/cifar10" in text
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_a_failing_chapter_is_an_error_in_every_mode(tmp_path, no_data, monkeypatch, capsys):
    fake_book(tmp_path, body='raise ValueError("a bug in the chapter")')
    monkeypatch.setattr(build_book, "build_html", lambda mode, **kw: build_book.html_dir(mode, tmp_path))
    assert build_book.main(["all", "--quick", "--root", str(tmp_path)]) == 1
    assert "ch: failed" in capsys.readouterr().err
    state = build_book.page_state(build_book.Chapter("book/ch", tmp_path), "quick")
    assert state.status == "failed" and "ValueError: a bug in the chapter" in state.detail


def test_long_chapter_reports_progress(tmp_path, no_data):
    ch = fake_book(tmp_path, sleep=1.5)
    said = []
    run = build_book.execute(ch, {"quick": True}, log=said.append, progress_every=0.4)
    assert not run.cached
    running = [s for s in said if s.startswith("[running]")]
    assert running and "ch" in running[0], said
    assert re.search(r"cell [34]/4, \d+ s$", running[-1]), running


# --------------------------------------------------------------------------------------------
# The executed notebook as published


def test_publishable_notebook_names_no_path_of_the_build_machine(tmp_path):
    root, home = Path("/srv/build/raf"), Path("/home/builder")
    nb = nbformat.v4.new_notebook(metadata={"papermill": {
        "input_path": f"{root}/book/ch.ipynb", "output_path": f"{root}/_build/x.partial.ipynb",
        "parameters": {"quick": True, "results_path": f"{root}/_build/r.json"}}})
    injected = nbformat.v4.new_code_cell(f'quick = True\nresults_path = "{root}/_build/r.json"\n',
                                         metadata={"tags": ["injected-parameters"]})
    out = nbformat.v4.new_code_cell("print(data)", outputs=[nbformat.v4.new_output(
        "stream", name="stdout", text=f"source='/data/cifar.tar.gz' cache={home}/.cache/raf {root}/raf/x.py\n"),
        nbformat.v4.new_output("display_data", data={"image/png": "L3NydiAv", "text/plain": f"{home}"})])
    nb.cells = [injected, out]
    pub = book_stage.publishable(nb, "ch", book_stage.path_replacements(root, home, {"/data/cifar.tar.gz": "cifar.tar.gz"}))
    text = json.dumps(pub)
    assert str(root) not in text and str(home) not in text and "/data/" not in text
    assert "cifar.tar.gz" in text and "~/.cache/raf" in text and "./raf/x.py" in text
    assert pub.cells[0].source.strip() == "quick = True" and "remove-cell" in pub.cells[0].metadata.tags
    assert pub.metadata.papermill.parameters == {"quick": True}
    assert pub.cells[1].outputs[1]["data"]["image/png"] == "L3NydiAv", "images are not text to scrub"


def test_site_checks_find_paths_and_outside_assets(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "mathjax").mkdir()
    (tmp_path / "book" / "a.html").write_text(
        '<script src="../_static/x.js"></script><a href="https://arxiv.org/abs/1">paper</a>'
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=X">'
        '<script src="//cdn.example.org/y.js"></script><p>/home/builder/raf/x</p>')
    (tmp_path / "book" / "b.html").write_text("<p>clean, /home/builderx is someone else</p>")
    (tmp_path / "mathjax" / "LICENSE.txt").write_text("/home/builder")  # vendored: not ours
    assert sorted(site_check.remote_assets(tmp_path)) == [
        "book/a.html: //cdn.example.org/y.js", "book/a.html: https://fonts.googleapis.com/css?family=X"]
    leaks = site_check.leaked_paths(tmp_path, ["/home/builder", "/"])
    assert len(leaks) == 1 and leaks[0].startswith("book/a.html:")


# --------------------------------------------------------------------------------------------
# Each page's scripts


def test_sphinx_site_keeps_each_script_once_and_nothing_remote():
    from sphinx.builders.html._assets import _JavaScript

    body = 'const THEBE_JS_URL = "x"'
    scripts = [_JavaScript(None, body=body), _JavaScript("_static/a.js"), _JavaScript("", body=body),
               _JavaScript("https://unpkg.com/thebe/index.js"),
               _JavaScript("_static/../jupyter-widgets/require.js"),
               _JavaScript("_static/../jupyter-widgets/embed-amd.js",
                           **{"data-jupyter-widgets-cdn": "jupyter-widgets/modules/"})]
    dropped = set()
    kept = sphinx_site.clean_assets(scripts, None, dropped)
    assert [(j.filename, j.attributes.get("body")) for j in kept][:2] == [(None, body), ("_static/a.js", None)]
    assert len(kept) == 4 and dropped == {"https://unpkg.com/thebe/index.js"}

    class App:
        pass

    context = {"script_files": kept, "css_files": [], "pathto": lambda target, res: f"../{target}"}
    sphinx_site._page_assets(App(), "book/ch", "page.html", context, None)
    names = [j.filename for j in context["script_files"]]
    manager = context["script_files"][names.index("_static/../jupyter-widgets/embed-amd.js")]
    assert manager.attributes["data-jupyter-widgets-cdn"] == "../jupyter-widgets/modules/"
    prepare = context["script_files"][names.index("_static/../jupyter-widgets/embed-amd.js") - 1]
    assert '"../jupyter-widgets"' in prepare.attributes["body"] and "MathJax" in prepare.attributes["body"]


# --------------------------------------------------------------------------------------------
# Vendored npm packages


def _tarball(folder: Path, content: bytes) -> Path:
    src = folder / "package"
    src.mkdir(parents=True, exist_ok=True)
    (src / "require.js").write_bytes(content)
    path = folder / "pkg.tgz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(src, arcname="package")
    return path


def test_npm_tarball_is_used_only_with_its_pinned_hash(tmp_path):
    good = _tarball(tmp_path / "good", b"define();")
    pkg = vendor.NpmPackage("requirejs", "0.0.1", vendor.integrity_of(good), "MIT")
    cache = tmp_path / "cache"
    cache.mkdir()
    calls = []

    def fetch(p, folder, content=good):
        calls.append(p.name)
        dest = folder / p.filename
        dest.write_bytes(content.read_bytes())
        return dest, "a test registry"

    assert vendor.npm_tarball(pkg, cache=cache, fetch=fetch).read_bytes() == good.read_bytes()
    assert calls == ["requirejs"]
    assert vendor.npm_tarball(pkg, cache=cache, fetch=fetch) == cache / pkg.filename and calls == ["requirejs"]

    (cache / pkg.filename).write_bytes(b"tampered")  # a damaged cache entry is fetched again
    assert vendor.npm_tarball(pkg, cache=cache, fetch=fetch).read_bytes() == good.read_bytes()
    assert len(calls) == 2

    bad = _tarball(tmp_path / "bad", b"evil();")
    (cache / pkg.filename).unlink()
    with pytest.raises(vendor.VendorError) as err:
        vendor.npm_tarball(pkg, cache=cache, fetch=lambda p, f: fetch(p, f, bad))
    msg = str(err.value)
    assert pkg.integrity in msg and vendor.integrity_of(bad) in msg and "a test registry" in msg
    assert not (cache / pkg.filename).exists(), "a file that fails its hash must not stay in the cache"


def test_pinned_packages_match_the_site_config():
    config = (ROOT / "_config.yml").read_text()
    for script in ("../jupyter-widgets/require.js", "../jupyter-widgets/embed-amd.js"):
        assert script in config
    assert not [line for line in config.splitlines() if "jupyter-widgets" in line and "//" in line]
    for pkg in (vendor.HTML_MANAGER, vendor.REQUIREJS):
        assert pkg.integrity.startswith("sha512-") and len(pkg.integrity) == 95


@pytest.mark.skipif(not os.environ.get("CI") and not (vendor.cache_dir() / vendor.HTML_MANAGER.filename).exists(),
                    reason="the widget manager's npm tarball is not cached yet (a book build fetches it)")
def test_widget_manager_files_are_staged(tmp_path):
    files = {p.name for p in vendor.stage_widget_manager(tmp_path)}
    assert {"require.js", "embed-amd.js", "SOURCES.txt"} <= files
    assert any(f.endswith(".woff2") for f in files)
    assert "jsdelivr" not in (tmp_path / "SOURCES.txt").read_text()
