"""The built book, opened in a real browser that can reach no other host.

Builds the HTML from the quick-executed notebooks (``_build/executed/quick``, made by
``tests/test_book.py`` or here) with Sphinx warnings as errors, serves
``_build/quick/_build/html`` on 127.0.0.1 and opens every page in Debian's headless chromium
(selenium driving ``/usr/bin/chromedriver``), which resolves no host but 127.0.0.1
(``--host-resolver-rules``). For every page:

- the request log (Chrome's performance log) shows no request to another host, and no request
  of the site that failed (404s included);
- the browser console has no error (SEVERE), once MathJax and the widget manager are done;
- the rendered text (``innerText`` of the page, code blocks left out) holds no TeX source: no
  ``$``, no ``\\frac`` or other command;
- a notebook chapter shows a figure with a non-zero size; every saved widget view is rendered
  (its ``.widget-subarea`` holds a ``.jupyter-widgets`` element) and its figures have loaded;
- a chapter rendered without results (its data missing, see ``tools/book_stage.py``) says so
  and how to provide the data.

A full-page screenshot of each page goes to ``_build/screenshots/<page>.png``; the load times
and bytes received (the browser cache is kept from page to page, as a reader's would be) to
``_build/screenshots/site_timings.json``. Skipped, with the reason, when chromium or
chromedriver is missing, except under CI=true, where ``.ci/run`` installs them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from booktools import ROOT, build_book, toc_chapters

sys.path.insert(0, str(ROOT / "tools"))

import lite_browser  # noqa: E402
import site_check  # noqa: E402

SCREENSHOTS = ROOT / "_build" / "screenshots"
CHAPTERS = [c for c in toc_chapters() if c.exists]
# Every page of the site: the chapters, and the pages Sphinx adds at the root.
PAGES = [(c.name, f"{c.docname}.html", c) for c in CHAPTERS] + [
    (n, f"{n}.html", None) for n in ("index", "genindex", "search")]
IDS = [p[0] for p in PAGES]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

CHROMIUM, CHROMEDRIVER = lite_browser.CHROMIUM, lite_browser.CHROMEDRIVER


def _require_browser():
    missing = [n for n, p in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not p]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run should have installed it")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def site():
    """Execute what is not cached yet (quick), build the HTML with warnings as errors.

    Returns the html folder and the state of each notebook chapter (``current`` unless its data
    is missing on this machine).
    """
    done, failed = build_book.execute_all({"quick": True})
    errors = [n for n, f in failed.items() if f.kind == "error"]
    if errors:
        pytest.fail("chapters failed to execute (see tests/test_book.py): " + ", ".join(errors))
    html = build_book.build_html("quick", strict=True, quiet=True)  # raises on a path or outside asset
    states = {c.name: build_book.page_state(c, "quick") for c in build_book.notebook_chapters()}
    not_current = {n: s.status for n, s in states.items() if s.status not in ("current", "missing-data")}
    assert not not_current, f"chapters not rendered from a current execution: {not_current}"
    return html, states


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(site):
    html, _ = site
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(html)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/index.html", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the local http.server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    with lite_browser.browser(window="1280,900") as driver:
        driver.set_page_load_timeout(60)
        yield driver


# --------------------------------------------------------------------------------------------
# One visit per page; the tests below read what it saw.

WAIT_MATHJAX_JS = """
const done = arguments[arguments.length - 1];
const mj = window.MathJax;
if (!mj || !mj.startup || !mj.startup.promise) { done("no MathJax"); return; }
mj.startup.promise.then(() => done("typeset")).catch(e => done("MathJax error: " + e));
"""

WIDGETS_JS = """
const views = Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'));
const state = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
return {
  views: views.length,
  rendered: views.filter(v => { const a = v.previousElementSibling;
      return a && a.classList.contains('widget-subarea') && a.querySelector('.jupyter-widgets'); }).length,
  images: Array.from(document.querySelectorAll('.widget-subarea img')).map(i => i.complete && i.naturalWidth > 0),
  stateHasImages: !!state && state.textContent.includes('"image/png"'),
  controls: document.querySelectorAll('.widget-subarea .widget-slider, .widget-subarea .widget-dropdown, '
                                      + '.widget-subarea .widget-toggle-buttons, .widget-subarea .widget-checkbox').length,
};
"""

PAGE_JS = """
const imgs = Array.from(document.querySelectorAll('main img, article img'))
  .filter(i => !i.closest('.widget-subarea'))
  .map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight, complete: i.complete,
              figure: !!i.closest('figure, .cell_output')}));
const main = (document.querySelector('main') || document.body).cloneNode(true);
main.querySelectorAll('pre, code, script, style, .highlight, mjx-container, mjx-assistive-mml, .MathJax')
    .forEach(e => e.remove());
const nav = performance.getEntriesByType('navigation')[0];
return {title: document.title, images: imgs, text: main.innerText, mainText: (document.querySelector('main') || document.body).innerText,
        load_ms: nav ? nav.loadEventEnd - nav.startTime : null, now_ms: performance.now()};
"""


def _requests(perf_log):
    """(urls requested, failures, bytes received) in Chrome's performance log since the page was opened.

    The log is emptied just before each navigation, so a failure whose request is not in it
    belongs to an earlier page or to the browser itself, not to this page.
    """
    urls, failed, ids, received = [], [], {}, 0
    for entry in perf_log:
        msg = json.loads(entry["message"])["message"]
        params = msg.get("params", {})
        if msg["method"] == "Network.requestWillBeSent":
            ids[params["requestId"]] = params["request"]["url"]
            urls.append(params["request"]["url"])
        elif msg["method"] == "Network.webSocketCreated":
            urls.append(params["url"])
        elif msg["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
            failed.append(f"{params['response']['status']} {params['response']['url']}")
        elif msg["method"] == "Network.loadingFailed" and params["requestId"] in ids and not params.get("canceled"):
            failed.append(f"{params.get('errorText')} {ids[params['requestId']]}")
        elif msg["method"] == "Network.loadingFinished":
            received += params.get("encodedDataLength", 0)
    return urls, failed, received


VISITS: dict[str, dict] = {}


@pytest.fixture
def visit(site, server, browser):
    """Open a page once (cached per page) and record what a reader's browser saw."""
    def _visit(name: str, path: str) -> dict:
        if name in VISITS:
            return VISITS[name]
        browser.get_log("browser")
        browser.get_log("performance")
        t0 = time.perf_counter()
        browser.get(f"{server}/{path}")
        end = time.time() + 30
        while browser.execute_script("return document.readyState") != "complete" and time.time() < end:
            time.sleep(0.05)
        mathjax = browser.execute_async_script(WAIT_MATHJAX_JS)
        widgets = browser.execute_script(WIDGETS_JS)
        while widgets["rendered"] < widgets["views"] and time.time() < end:
            time.sleep(0.1)
            widgets = browser.execute_script(WIDGETS_JS)
        widgets_s = time.perf_counter() - t0 if widgets["views"] else None
        while not all(widgets["images"]) and time.time() < end:
            time.sleep(0.1)
            widgets = browser.execute_script(WIDGETS_JS)
        browser.execute_async_script(WAIT_MATHJAX_JS)  # labels the manager queued for typesetting
        page = browser.execute_script(PAGE_JS)
        time.sleep(0.3)  # late console messages
        urls, failed, received = _requests(browser.get_log("performance"))
        console = browser.get_log("browser")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        png = base64.b64decode(shot["data"])
        (SCREENSHOTS / f"{name}.png").write_bytes(png)
        VISITS[name] = dict(page=page, widgets=widgets, mathjax=mathjax, urls=urls, failed=failed,
                            console=console, png=png, load_s=(page["load_ms"] or 0) / 1000,
                            widgets_s=widgets_s, visit_s=time.perf_counter() - t0, received_bytes=received)
        timings = {n: {k: v[k] for k in ("load_s", "widgets_s", "visit_s", "received_bytes")}
                   for n, v in VISITS.items()}
        (SCREENSHOTS / "site_timings.json").write_text(json.dumps(timings, indent=1))
        return VISITS[name]
    return _visit


# --------------------------------------------------------------------------------------------


def test_site_has_every_page_and_nothing_from_elsewhere(site):
    html, _ = site
    for _name, path, _c in PAGES:
        assert (html / path).is_file(), path
    built = {p.relative_to(html).as_posix() for p in html.rglob("*.html")
             if p.relative_to(html).parts[0] not in ("_static", "mathjax", "jupyter-widgets", "lite")}
    untested = built - {p for _n, p, _c in PAGES}  # lite/ (JupyterLite): tests/test_live.py
    assert not untested, f"pages the browser test does not open: {sorted(untested)}"
    status = (html / "book" / "status.html").read_text(encoding="utf-8")
    assert "Execution times" in status and "numpy" in status
    assert site_check.remote_assets(html) == []
    # No folder of the build machine, nor the usual places of one, in any page or notebook.
    needles = build_book.machine_paths() + ["/work", "/root", "/tmp", "/home"]
    assert site_check.leaked_paths(html, needles) == []
    for script in ("jupyter-widgets/require.js", "jupyter-widgets/embed-amd.js", "mathjax/tex-chtml.js"):
        assert (html / script).is_file(), f"{script} is not served by the site"


@pytest.mark.parametrize("name,path,chapter", PAGES, ids=IDS)
def test_page_loads_offline_without_errors(name, path, chapter, visit):
    v = visit(name, path)
    title = v["page"]["title"]
    assert title and "404" not in title and "not found" not in title.lower(), title
    if chapter is not None:
        assert len(v["page"]["mainText"]) > 50, f"{name}: the page is almost empty"
    outside = sorted({u for u in v["urls"] if urllib.parse.urlsplit(u).scheme in ("http", "https", "ws", "wss")
                      and urllib.parse.urlsplit(u).hostname not in LOCAL_HOSTS})
    assert not outside, f"{name}: requests to other hosts: {outside}"
    assert not v["failed"], f"{name}: requests that failed: {v['failed']}"
    errors = [f"{e.get('source')}: {e['message']}" for e in v["console"] if e["level"] == "SEVERE"]
    assert not errors, f"{name}: errors in the browser console: {errors}"
    assert v["mathjax"] in ("typeset", "no MathJax"), f"{name}: {v['mathjax']}"
    assert v["png"][:8] == b"\x89PNG\r\n\x1a\n" and len(v["png"]) > 1000


@pytest.mark.parametrize("name,path,chapter", PAGES, ids=IDS)
def test_page_text_has_no_tex_source(name, path, chapter, visit):
    text = visit(name, path)["page"]["text"]
    found = [text[max(0, m.start() - 40):m.end() + 40].replace("\n", " ")
             for m in re.finditer(r"\$|\\[A-Za-z]{2,}|\\[()\[\]]", text)]
    assert not found, f"{name}: TeX source in the rendered text ({len(found)}), e.g. {found[:5]}"


NOTEBOOKS = [p for p in PAGES if p[2] is not None and p[2].is_notebook]


@pytest.mark.parametrize("name,path,chapter", NOTEBOOKS, ids=[p[0] for p in NOTEBOOKS])
def test_chapter_shows_its_figures_and_saved_widgets(name, path, chapter, site, visit):
    _, states = site
    v = visit(name, path)
    state = states[name]
    if state.status == "missing-data":
        assert "not executed in this build" in v["page"]["mainText"]
        assert "How to provide" in v["page"]["mainText"] or "RAF_CIFAR10" in v["page"]["mainText"]
        pytest.skip(f"{name}: its data is not on this machine; the page says so and how to provide it")
    images = v["page"]["images"]
    broken = [i["src"] for i in images if i["figure"] and not (i["complete"] and i["w"] > 0 and i["h"] > 0)]
    assert not broken, f"{name}: images that did not load: {broken}"
    assert [i for i in images if i["figure"] and i["w"] > 0], f"{name}: no figure with a non-zero size"
    w = v["widgets"]
    assert w["rendered"] == w["views"], f"{name}: {w['views'] - w['rendered']} of {w['views']} widgets not rendered"
    if w["views"]:
        assert w["controls"] > 0, f"{name}: the widgets rendered no control"
        assert all(w["images"]), f"{name}: a figure inside a widget did not load"
        assert not w["stateHasImages"] or w["images"], f"{name}: the widgets' saved figure is not shown"


def test_every_explorer_chapter_has_saved_widgets(site):
    """Chapters whose executed notebook saved widget state carry it into their page."""
    html, states = site
    for name, state in states.items():
        if state.status != "current":
            continue
        import nbformat

        nb = nbformat.read(state.notebook, as_version=4)
        saved = bool(nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state"))
        page = next(p for n, p, _c in PAGES if n == name)
        shown = "application/vnd.jupyter.widget-state+json" in (html / page).read_text(encoding="utf-8")
        assert saved == shown, f"{name}: widget state saved {saved}, in the page {shown}"
