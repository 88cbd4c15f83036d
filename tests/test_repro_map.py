"""The reproduction map (tools/repro_map.py, book/reproduction_items.yaml, book/reproduction.md).

- every item of the paper (Fig. 1-16, Table 1, the table under Fig. 3) has exactly one entry, and
  each entry links figures or tables that exist in its chapter;
- the generator makes a row for every item from the results the chapters record when executed
  (quick mode, cached by tests/booktools.py), with the book's parameters and a measured agreement;
- a chapter that did not record a result the map needs makes the strict generator fail with a
  message naming the chapter and the key; the build's lenient mode says so on the page instead;
- the agreement measure (standard errors) flags a real disagreement and not a rounding one.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from booktools import ROOT, run_chapter

sys.path.insert(0, str(ROOT / "tools"))
import repro_map  # noqa: E402

CIFAR = os.environ.get("RAF_CIFAR10") and Path(os.environ["RAF_CIFAR10"]).exists()
ITEMS = repro_map.load_items()


def _chapters(items):
    return sorted({b["chapter"] for it in items for b in it["book"]})


def _labels_in(chapter: str) -> set[str]:
    text = (ROOT / "book" / f"{chapter}.md").read_text(encoding="utf-8")
    names = set(re.findall(r"^\s*name:\s*([\w-]+)\s*$", text, re.M))
    targets = set(re.findall(r"^\(([\w-]+)\)=\s*$", text, re.M))
    return names | targets


def test_every_paper_item_has_exactly_one_entry():
    names = [it["item"] for it in ITEMS if not it.get("beyond")]
    assert sorted(names) == sorted(repro_map.PAPER_ITEMS)
    beyond = [it["item"] for it in ITEMS if it.get("beyond")]
    assert any("two-layer" in b for b in beyond)  # issue 11: the chapter is on the map
    assert any("finite-size scaling" in b for b in beyond)  # issue 9: the extrapolations are on it
    assert len(repro_map.PAPER_ITEMS) == 18
    assert {f"Fig. {k}" for k in range(1, 17)} <= set(names)


def test_entries_link_figures_that_exist():
    for it in ITEMS:
        assert it["book"], f"{it['item']} names no book figure"
        for b in it["book"]:
            assert (ROOT / "book" / f"{b['chapter']}.md").is_file(), (it["item"], b["chapter"])
            assert b["label"] in _labels_in(b["chapter"]), (
                f"{it['item']}: no figure or target {b['label']!r} in book/{b['chapter']}.md")


def test_items_not_reproduced_say_why():
    partial = {it["item"]: it.get("missing", "") for it in ITEMS if it.get("missing")}
    assert set(partial) == {"Fig. 16"}
    for item, why in partial.items():
        assert "not reproduced" in why and len(why.split()) > 12, (item, why)


def test_items_file_is_checked(tmp_path):
    text = (ROOT / "book" / "reproduction_items.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "items.yaml"
    broken.write_text(text.replace("item: Fig. 7\n", "item: Fig. 77\n"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"missing \['Fig. 7'\].*unknown \['Fig. 77'\]"):
        repro_map.load_items(broken)
    broken.write_text(text.replace("metric: fig9\n", "metric: fig99\n"), encoding="utf-8")
    with pytest.raises(ValueError, match="fig99"):
        repro_map.load_items(broken)


def _execute(chapters):
    runs = {c: run_chapter(c) for c in chapters}
    folder = {r.path.parent for r in runs.values()}
    assert len(folder) == 1
    return folder.pop()


def _check_rows(rows, items):
    assert [r.item for r in rows] == [it["item"] for it in items]
    for r in rows:
        assert not r.problem, (r.item, r.problem)
        assert r.book_parameters and r.agreement, r.item
        assert "|" not in r.book_parameters + r.agreement, r.item


def test_a_row_for_every_item_from_the_recorded_results():
    items = [it for it in ITEMS if CIFAR or "cifar10_raf" not in _chapters([it])]
    folder = _execute(_chapters(items))
    rows = repro_map.build_rows(folder, strict=True, items=items)
    _check_rows(rows, items)
    by_item = {r.item: r for r in rows}
    # the measured numbers are those the chapters recorded
    ka = json.loads((folder / "kernel_angle.results.json").read_text())
    assert repro_map._num(ka["fig3_table_max_abs_diff"], 2) in by_item["Table under Fig. 3"].agreement
    assert "standard errors" in by_item["Fig. 13"].agreement
    assert f"d = {ka['sim']['d']}" in by_item["Fig. 13"].book_parameters
    if not CIFAR:
        pytest.skip("RAF_CIFAR10 unset or missing: the rows of Fig. 5, 14, 15 were not built "
                    f"(checked {len(items)} of {len(ITEMS)} items)")


@pytest.mark.skipif(not CIFAR, reason="RAF_CIFAR10 is unset or missing")
def test_the_page_has_every_row_with_links():
    folder = _execute(_chapters(ITEMS))
    _check_rows(repro_map.build_rows(folder, strict=True), ITEMS)
    page = repro_map.markdown(folder, mode="quick", strict=True)
    for it in ITEMS:
        assert f"**{it['item']}**" in page
        for b in it["book"]:
            assert f"<{b['label']}>`" in page
    assert "quick" in page and "lack a recorded result" not in page


def _copy_results(folder: Path, dest: Path, chapters):
    dest.mkdir()
    for c in chapters:
        shutil.copy2(folder / f"{c}.results.json", dest / f"{c}.results.json")


def test_a_missing_chapter_result_fails_the_strict_map(tmp_path):
    items = [it for it in ITEMS if it["item"] in ("Fig. 1", "Table under Fig. 3", "Fig. 10")]
    folder = _execute(["perceptron_tradeoff", "kernel_angle"])

    # a chapter that recorded nothing
    only_ka = tmp_path / "only_ka"
    _copy_results(folder, only_ka, ["kernel_angle"])
    with pytest.raises(repro_map.MissingResult, match=r"Fig. 1: chapter 'perceptron_tradeoff' has no recorded"):
        repro_map.build_rows(only_ka, strict=True, items=items)

    # a chapter that stopped recording one number the map reads
    no_key = tmp_path / "no_key"
    _copy_results(folder, no_key, ["perceptron_tradeoff", "kernel_angle"])
    res = json.loads((no_key / "kernel_angle.results.json").read_text())
    del res["fig3_table_paper"]
    (no_key / "kernel_angle.results.json").write_text(json.dumps(res))
    with pytest.raises(repro_map.MissingResult,
                       match=r"Table under Fig. 3: chapter 'kernel_angle' recorded no result 'fig3_table_paper'"):
        repro_map.build_rows(no_key, strict=True, items=items)

    # the build's lenient mode keeps the row and says what is missing, without links
    rows = repro_map.build_rows(only_ka, strict=False, items=items)
    assert [bool(r.problem) for r in rows] == [True, False, False]
    assert "perceptron_tradeoff" in rows[0].problem


def test_lenient_page_names_the_rows_without_results(tmp_path):
    empty = tmp_path / "none"
    empty.mkdir()
    page = repro_map.markdown(empty, strict=False)
    assert f"**{len(ITEMS)} row(s) lack a recorded result**" in page
    assert "{ref}" not in page  # no link to a figure that this build may not have
    with pytest.raises(repro_map.MissingResult):
        repro_map.markdown(empty, strict=True)


def test_deviations_are_the_books_one_measure():
    from raf.compare import deviation

    mean, sem, theory = [0.30, 0.25, 0.0], [0.01, 0.0, 0.0], [0.29, 0.25, 1e-6]
    assert repro_map.deviations(mean, sem, theory) == pytest.approx(list(deviation(mean, sem, theory)))
    assert repro_map.deviations([0.30], [0.01], [0.29]) == pytest.approx([1.0])
    # a floor (one fact) keeps a difference below the resolution from looking huge
    assert repro_map.deviations([0.0], [0.0], [1e-6], floor=0.01) == pytest.approx([1e-4])
    # a point that did not converge is never hidden: the text says so
    assert "did not converge" in repro_map._z_text([0.5, math.nan], "test")
