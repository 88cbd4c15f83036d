"""How fast the live explorers are for a reader (a script, not a test).

For each chapter with a live explorer, in headless Chromium resolving no host but 127.0.0.1:

- **click to first figure**: from the click on the chapter's "Run this explorer live" control
  (it opens the launcher in a new tab) until the explorer's figure and its readout are shown.
  The first chapter is measured with an empty browser cache (a reader's first visit, every
  file downloaded), the others with the cache the first one filled (Pyodide is loaded from the
  cache, but started anew in each tab);
- **redraw**: from typing a value into a slider's number box until the new figure is shown,
  repeated ``--moves`` times with alternating values;
- **first download**: the bytes the local server sent for the first (cold) start, chapter page
  included (counted by the server: the browser's log misses what the Pyodide worker fetches);
- **site size**: the HTML folder and its ``lite/`` part, on disk.

Usage::

    python benchmarks/live_speed.py                 # the full site, _build/html (make book)
    python benchmarks/live_speed.py --quick         # the quick site (make book QUICK=1)
    python benchmarks/live_speed.py --chapters bayes_optimal kernel_angle --moves 5

Targets (issue 7): click to first figure <= 15 s, redraw <= 1 s. Results are printed and
written to ``_build/benchmarks/live_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import lite  # noqa: E402
import lite_browser  # noqa: E402

#: chapter -> (slider, two values to alternate between)
MOVES = {
    "intro": ("α = n/d", ("6", "3")),
    "bayes_optimal": ("ε (facts)", ("0.3", "0.1")),
    "perceptron_tradeoff": ("α = n/d", ("3", "1.5")),
    "kernel_angle": ("θ", ("0.9", "0.5")),
    "large_alpha_rates": ("θ", ("0.9", "0.5")),
    "two_layer_network": ("α", ("5", "3")),
    "cifar10_raf": ("λ", ("1", "0.01")),
}


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure_chapter(driver, server, name: str, moves: int, timeout: float = 300) -> dict:
    """Click the chapter's live control, time the first figure, then ``moves`` redraws."""
    server.reset()
    driver.get(f"{server.url}/book/{name}.html")
    lite_browser.network_events(driver)
    page_tab = driver.current_window_handle
    button = driver.find_element("css selector", "a.raf-live-button")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    t0 = time.perf_counter()
    button.click()
    end = time.time() + 30
    while len(driver.window_handles) < 2 and time.time() < end:
        time.sleep(0.02)
    live_tab = next(h for h in driver.window_handles if h != page_tab)
    driver.switch_to.window(live_tab)
    first = lite_browser.wait_state(driver, lambda s: s["img"] and s["readout"], timeout, f"{name}: start",
                                    poll=0.05)
    t_first = time.perf_counter() - t0
    received = server.bytes_sent
    events = lite_browser.network_events(driver)
    slider, values = MOVES[name]
    redraws, state = [], first
    for i in range(moves):
        before = state
        value = values[i % 2]
        t1 = time.perf_counter()
        lite_browser.type_into_slider(driver, slider, value)
        state = lite_browser.wait_state(driver, lambda s, b=before: s["img"] and s["img"] != b["img"],
                                        timeout, f"{name}: redraw {i + 1}", poll=0.02)
        redraws.append(time.perf_counter() - t1)
    outside = lite_browser.outside_requests(events + lite_browser.network_events(driver))
    driver.close()
    driver.switch_to.window(page_tab)
    return {"chapter": name, "first_figure_s": round(t_first, 2),
            "redraw_s": [round(r, 3) for r in redraws],
            "redraw_median_s": round(statistics.median(redraws), 3) if redraws else None,
            "bytes_received": received, "outside_requests": outside}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="measure the quick site")
    ap.add_argument("--chapters", nargs="+", default=list(lite.LIVE_EXPLORERS), choices=list(lite.LIVE_EXPLORERS))
    ap.add_argument("--moves", type=int, default=6, help="slider changes per chapter (default 6)")
    args = ap.parse_args(argv)
    missing = lite_browser.missing_browser()
    if missing:
        print(f"needs {', '.join(missing)} (apt-get install chromium chromium-driver)", file=sys.stderr)
        return 2
    site = lite.html_dir("quick" if args.quick else "full")
    if not (site / "lite" / "raf-lite.json").is_file():
        print(f"no live site in {site}: run `make book{' QUICK=1' if args.quick else ''}` first", file=sys.stderr)
        return 2
    status = json.loads((site / "lite" / "raf-lite.json").read_text())["live"]
    rows = []
    load_before = os.getloadavg()
    with lite_browser.serve(site) as server, lite_browser.browser() as driver:
        for i, name in enumerate(args.chapters):
            if status.get(name) != "ok":
                print(f"{name}: skipped ({status.get(name)})")
                continue
            row = measure_chapter(driver, server, name, args.moves)
            row["cache"] = "cold" if i == 0 else "warm"
            rows.append(row)
            print(f"{name:<22} first figure {row['first_figure_s']:6.1f} s ({row['cache']} cache)   "
                  f"redraw median {row['redraw_median_s']:.2f} s, max {max(row['redraw_s']):.2f} s   "
                  f"downloaded {row['bytes_received'] / 2**20:6.1f} MiB", flush=True)
    sizes = {"site_bytes": folder_size(site), "lite_bytes": folder_size(site / "lite"),
             "pyodide_bytes": folder_size(site / "lite" / "static" / "pyodide")}
    cold = [r for r in rows if r["cache"] == "cold"]
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        # Other work on the machine slows everything down: the 1-minute load averages around the run.
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "site": str(site.relative_to(ROOT)), "chapters": rows, **sizes,
        "first_download_bytes": cold[0]["bytes_received"] if cold else None,
        "first_figure_s": {r["chapter"]: r["first_figure_s"] for r in rows},
        "redraw_median_s": {r["chapter"]: r["redraw_median_s"] for r in rows},
        "outside_requests": sorted({u for r in rows for u in r["outside_requests"]}),
    }
    out = ROOT / "_build" / "benchmarks" / "live_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"\nsite {sizes['site_bytes'] / 2**20:.0f} MiB, of which lite/ {sizes['lite_bytes'] / 2**20:.0f} MiB "
          f"(Pyodide {sizes['pyodide_bytes'] / 2**20:.0f} MiB); a reader's first live start downloads "
          f"{(report['first_download_bytes'] or 0) / 2**20:.0f} MiB")
    if report["outside_requests"]:
        print(f"requests to other hosts: {report['outside_requests']}")
    print(f"load average (1 min) before/after: {report['load_average_before_after']} on {os.cpu_count()} cores")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
