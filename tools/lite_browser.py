"""Drive the live book in headless Chromium (used by tests/test_live.py and benchmarks/live_speed.py).

The browser resolves no host but 127.0.0.1, so a page that tried to reach another host would
fail at once (and :func:`outside_requests` lists what it tried). Selenium talks to Debian's
``chromium`` through ``chromedriver``.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver") or next(
    (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.path.exists(p)), None)


def missing_browser() -> list[str]:
    """What is missing to drive a browser (empty when chromium, chromedriver and selenium are there)."""
    missing = [n for n, p in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not p]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    return missing


class Server:
    """A static file server on 127.0.0.1 that counts what it sends (see :func:`serve`)."""

    def __init__(self, url: str):
        self.url = url
        self.bytes_sent = 0
        self.requests: list[tuple[float, str]] = []  # (time.perf_counter() when sent, path)
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.bytes_sent = 0
            self.requests = []

    def _count(self, path: str, n: int) -> None:
        with self._lock:
            self.bytes_sent += n
            self.requests.append((time.perf_counter(), path))


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 (a free port, threads); yields a :class:`Server`.

    The server counts the bytes of the files it sends (``bytes_sent``: what a reader downloads,
    Web Workers included, which the browser's own log does not show) and serves ``.wasm`` as
    ``application/wasm`` (so that Pyodide compiles it while it streams).
    """
    folder = Path(folder)
    server_box: list[Server] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm"}

        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(folder), **kw)

        def copyfile(self, source, outputfile):
            n = 0
            while block := source.read(1 << 16):
                outputfile.write(block)
                n += len(block)
            server_box[0]._count(self.path, n)

        def log_message(self, *args):  # quiet
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server = Server(f"http://127.0.0.1:{httpd.server_address[1]}")
    server_box.append(server)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def browser(window="1280,900"):
    """Headless chromium with a fresh profile, resolving no host but 127.0.0.1, logging console
    messages and network events (``performance`` log)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="raf-live-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--window-size={window}", f"--user-data-dir={profile}",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


#: The explorer's state in the page: its readout (key -> full-precision value), a signature of
#: the figure's pixels once the image is loaded, and the text of a traceback shown, if any.
STATE_JS = """
const out = {readout: {}, img: null, error: null};
for (const s of document.querySelectorAll('.raf-readout')) out.readout[s.dataset.key] = s.dataset.value;
const img = document.querySelector('img.widget-image');
if (img && img.complete && img.naturalWidth > 0) {
  // A signature of the pixels (not of the blob: address, which changes on every update).
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, c.width, c.height).data;
  let h = 2166136261;
  for (let i = 0; i < px.length; i += 3) { h ^= px[i]; h = Math.imul(h, 16777619) >>> 0; }
  out.img = c.width + 'x' + c.height + ':' + h;
}
const shown = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"],' +
              '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
for (const e of document.querySelectorAll(shown)) {
  if (/Traceback|Error\b/.test(e.textContent)) out.error = e.textContent.slice(-3000);
}
return out;
"""

READOUT_BOX_JS = """
for (const el of document.querySelectorAll('.widget-slider')) {
  const label = el.querySelector('.widget-label');
  if (label && label.textContent.trim() === arguments[0]) return el.querySelector('.widget-readout');
}
return null;
"""


class ExplorerError(AssertionError):
    """The explorer showed a traceback, or did not reach the awaited state in time."""


def wait_state(driver, done, timeout: float, what: str, poll: float = 0.1) -> dict:
    """Poll :data:`STATE_JS` until ``done(state)``; raise :class:`ExplorerError` otherwise."""
    end = time.time() + timeout
    state = None
    while time.time() < end:
        state = driver.execute_script(STATE_JS)
        if state["error"]:
            raise ExplorerError(f"{what}: the console shows an error:\n{state['error']}")
        if done(state):
            return state
        time.sleep(poll)
    raise ExplorerError(f"{what}: not done after {timeout} s (last readout: {state and state['readout']})")


def type_into_slider(driver, description: str, value: str) -> None:
    """Type ``value`` into the number box of the slider labelled ``description``, then Enter."""
    from selenium.webdriver.common.keys import Keys

    box = driver.execute_script(READOUT_BOX_JS, description)
    if box is None:
        raise ExplorerError(f"no slider labelled {description!r}")
    box.click()
    driver.execute_script("const r = document.createRange(); r.selectNodeContents(arguments[0]);"
                          "const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);", box)
    box.send_keys(value, Keys.ENTER)


def network_events(driver) -> list[dict]:
    """The ``Network.*`` events logged since the last call."""
    events = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"].startswith("Network."):
            events.append(msg)
    return events


def outside_requests(events) -> list[str]:
    """URLs of requests to any host but 127.0.0.1 among ``events``."""
    bad = []
    for msg in events:
        if msg["method"] == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            parsed = urlparse(url)
            if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname != "127.0.0.1":
                bad.append(url)
    return bad


def console_errors(driver) -> list[str]:
    """Errors in the browser console since the last call (scripts and failed requests), except the
    browser's own request for ``/favicon.ico``, which no page of the site asks for."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and e.get("source") in ("javascript", "network")
            and "/favicon.ico " not in e["message"]]
