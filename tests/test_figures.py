"""Figures worth reading: vector images of a reasonable size, legends and labels off the data, and
captions that name the paper's figure so that the book's own numbering is never mistaken for it.

The chapter checks read the quick executions (cached by tests/booktools.py, as test_book.py runs
them); the helpers of raf.plotting are checked on small figures.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from booktools import ROOT, build_book, run_chapter  # noqa: E402

from raf.plotting import figure_legend, legend_above, panel_label, use_book_style  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
import repro_map  # noqa: E402

CIFAR = os.environ.get("RAF_CIFAR10") and Path(os.environ["RAF_CIFAR10"]).exists()
MAX_FIGURE_BYTES = 1_000_000


def _figure_cells(notebook):
    for cell in notebook.cells:
        fig = cell.get("metadata", {}).get("mystnb", {}).get("figure")
        if fig:
            yield fig, cell


def _chapters():
    names = [c.name for c in build_book.notebook_chapters()]
    return [n for n in names if CIFAR or n != "cifar10_raf"]


@pytest.mark.parametrize("chapter", _chapters())
def test_figures_are_vector_graphics_of_reasonable_size(chapter):
    run = run_chapter(chapter)
    n = 0
    for fig, cell in _figure_cells(run.notebook):
        images = [o["data"] for o in cell.get("outputs", []) if "data" in o and
                  any(k.startswith("image/") for k in o["data"])]
        assert images, f"{chapter}: figure {fig.get('name')} has no image output"
        for data in images:
            assert "image/svg+xml" in data, f"{chapter}: {fig.get('name')} is not SVG ({sorted(data)})"
            size = len(data["image/svg+xml"].encode())
            assert size < MAX_FIGURE_BYTES, f"{chapter}: {fig.get('name')} is {size / 1e6:.1f} MB"
        n += 1
    assert n > 0


def test_captions_name_the_paper_figure():
    """Every book figure that reproduces a paper figure says so before its first colon."""
    for item in repro_map.load_items():
        m = re.fullmatch(r"Fig\. (\d+)", item["item"])
        if not m:
            continue
        for b in item["book"]:
            nb = build_book.read_notebook(build_book.find_chapter(b["chapter"]))
            captions = {f.get("name"): f.get("caption", "") for f, _ in _figure_cells(nb)}
            assert b["label"] in captions, (item["item"], b["label"])
            head = " ".join(captions[b["label"]].split(":")[0].split())
            assert re.search(r"[Pp]aper Fig\.", head) and re.search(rf"\b{m.group(1)}\b", head), (
                f"{b['chapter']}/{b['label']}: the caption should start with 'Paper Fig. {m.group(1)}: ...' "
                f"(got {head!r})")


@pytest.mark.parametrize("chapter", ["kernel_angle", "perceptron_tradeoff"])
def test_captions_of_figures_with_simulations_state_seeds_and_dimension(chapter):
    """A figure that draws simulation points says what they are: the mean and standard error over
    N seeds, at which dimension d (issue 9)."""
    nb = build_book.read_notebook(build_book.find_chapter(chapter))
    n = 0
    for fig, cell in _figure_cells(nb):
        if "simulation_points(" not in cell.source and "points=" not in cell.source:
            continue
        cap = " ".join(fig.get("caption", "").split())
        assert re.search(r"mean and standard error over \d+ seeds", cap), (chapter, fig.get("name"), cap)
        assert re.search(r"\$d=\d+", cap), (chapter, fig.get("name"), cap)
        assert "deviation" not in cap, (chapter, fig.get("name"))
        n += 1
    assert n >= 4


def _draw(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def test_legends_and_labels_sit_outside_the_plot_area():
    use_book_style()
    fig, (ax1, ax2) = plt.subplots(1, 2)
    for ax in (ax1, ax2):
        ax.plot([0, 1], [0, 1], label="a")
        ax.plot([0, 1], [1, 0], label="b")
    leg = legend_above(ax1)
    lab = panel_label(ax2, "hinge loss")
    fig.tight_layout()
    figleg = figure_legend(fig)
    r = _draw(fig)
    assert leg.get_window_extent(r).y0 >= ax1.get_window_extent(r).y1 - 1
    assert lab.get_window_extent(r).y0 >= ax2.get_window_extent(r).y1 - 1
    assert figleg.get_window_extent(r).y0 >= max(ax.get_window_extent(r).y1 for ax in (ax1, ax2)) - 1
    assert [t.get_text() for t in figleg.get_texts()] == ["a", "b"]  # one entry per label
    plt.close(fig)


def test_book_style_outside_ipython_sets_deterministic_svg():
    use_book_style()
    assert matplotlib.rcParams["svg.hashsalt"]
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    import io

    outs = []
    for _ in range(2):
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        outs.append(re.sub(r"<dc:date>.*?</dc:date>", "", buf.getvalue()))
    assert outs[0] == outs[1]
    plt.close(fig)
