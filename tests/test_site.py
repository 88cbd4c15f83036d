"""The built book, opened in a real browser.

Builds the HTML from the quick-executed notebooks (``_build/executed/quick``, made by
``tests/test_book.py`` or here) with Sphinx warnings as errors, serves ``_build/quick/_build/html``
on 127.0.0.1 and opens every page of ``_toc.yml`` in Debian's headless chromium (selenium driving
``/usr/bin/chromedriver``). Each page must load; each notebook chapter must show at least one
figure whose image has a non-zero natural size; pages with widgets must carry the widget state.
A full-page screenshot of each page is written to ``_build/screenshots/<chapter>.png``.

The browser resolves no host but 127.0.0.1 (``--host-resolver-rules``): the CDN scripts of the
page (MathJax, the ipywidgets manager) fail at once instead of reaching out, so the test is offline.
Skipped, with the reason, when chromium or chromedriver is missing, except under CI=true, where
``.ci/run`` installs them and a skip would hide a broken setup.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from booktools import ROOT, build_book, toc_chapters

SCREENSHOTS = ROOT / "_build" / "screenshots"
PAGES = [c for c in toc_chapters() if c.exists]

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver") or next(
    (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.path.exists(p)), None)


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
def site() -> Path:
    """Execute what is not cached yet (quick) and build the HTML with warnings as errors."""
    done, failed = build_book.execute_all({"quick": True})
    if failed:
        pytest.fail("chapters failed to execute (see tests/test_book.py): " + ", ".join(failed))
    html = build_book.build_html("quick", strict=True, quiet=True)
    assert (html / "index.html").is_file()
    return html


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(site):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
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
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="raf-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900",
                 f"--user-data-dir={profile}",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


# Every <img> in the article, with its natural size once loaded (figures are PNG outputs).
IMAGES_JS = """
const imgs = Array.from(document.querySelectorAll('main img, article img'));
return imgs.map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight,
                       complete: i.complete, figure: !!i.closest('figure, .cell_output')}));
"""

WIDGETS_JS = """
const state = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
const views = Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'));
return {state: state ? state.textContent : null, views: views.map(v => v.textContent)};
"""


def _known_js_error(message: str) -> bool:
    # Jupyter Book 1.0.4 writes the sphinx-thebe settings script twice on every page, so the
    # second `const THEBE_JS_URL` throws; harmless (the first one set the same values).
    return "THEBE_JS_URL" in message


def _wait_loaded(driver, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if driver.execute_script("return document.readyState") == "complete":
            return
        time.sleep(0.1)
    raise AssertionError("page did not finish loading")


def _full_page_png(driver) -> bytes:
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    return base64.b64decode(shot["data"])


def test_site_has_every_page(site):
    for chapter in PAGES:
        assert (site / f"{chapter.docname}.html").is_file(), chapter.docname
    status = (site / "book" / "status.html").read_text(encoding="utf-8")
    assert "Execution times" in status and "numpy" in status


@pytest.mark.parametrize("chapter", PAGES, ids=[c.name for c in PAGES])
def test_page_in_browser(chapter, server, browser):
    browser.get(f"{server}/{chapter.docname}.html")
    _wait_loaded(browser)
    title = browser.title
    assert title and "404" not in title and "not found" not in title.lower(), title
    body = browser.find_element("css selector", "main").text
    assert len(body) > 50, f"{chapter.name}: the page is almost empty"
    images = browser.execute_script(IMAGES_JS)
    broken = [i["src"] for i in images if i["figure"] and not (i["complete"] and i["w"] > 0 and i["h"] > 0)]
    assert not broken, f"{chapter.name}: images that did not load: {broken}"
    if chapter.is_notebook:
        figures = [i for i in images if i["figure"] and i["w"] > 0 and i["h"] > 0]
        assert figures, f"{chapter.name}: no figure with a non-zero size on the page"
    widgets = browser.execute_script(WIDGETS_JS)
    if widgets["views"]:
        assert widgets["state"], f"{chapter.name}: widget views without embedded widget state"
        state = json.loads(widgets["state"])["state"]
        for view in widgets["views"]:
            assert json.loads(view)["model_id"] in state, f"{chapter.name}: a widget's model is not in the state"
    errors = [e["message"] for e in browser.get_log("browser")
              if e["level"] == "SEVERE" and e.get("source") == "javascript" and not _known_js_error(e["message"])]
    assert not errors, f"{chapter.name}: JavaScript errors on the page: {errors}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = _full_page_png(browser)
    (SCREENSHOTS / f"{chapter.name}.png").write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
