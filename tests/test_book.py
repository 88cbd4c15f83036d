"""Every chapter of the book runs end to end with quick=True (papermill, as `make book` does).

One test per page of ``_toc.yml``, so a failure names its chapter. Pages not written yet are
skipped; plain pages (no kernelspec: status, references) have nothing to execute. The executed
notebooks stay in ``_build/executed/quick/``, where ``tests/test_site.py`` builds the HTML from.
Chapter-specific numeric checks go in ``tests/test_<chapter>.py`` (see ``tests/booktools.py``).
"""

from __future__ import annotations

import json

import pytest
from booktools import build_book, cell_errors, run_chapter, toc_chapters

PAGES = toc_chapters()
# Notebooks, and listed pages not written yet (skipped); plain pages have nothing to execute.
CHAPTERS = [c for c in PAGES if c.is_notebook or not c.exists]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_chapter_executes_quick(chapter):
    if not chapter.exists:
        pytest.skip(f"{chapter.docname}.md is not written yet")
    run = run_chapter(chapter.name)  # raises PapermillExecutionError naming the failing cell
    assert cell_errors(run.notebook) == []
    assert isinstance(run.results, dict), (
        f"{chapter.name} did not write its results to `results_path` (see tests/booktools.py)")
    json.dumps(run.results)


def test_toc_root_status_and_references_exist():
    assert PAGES and PAGES[0].exists, "the root page of _toc.yml must exist"
    missing = [c.docname for c in PAGES if not c.exists and c.name in ("status", "references")]
    assert not missing, missing


def test_notebook_chapters_have_a_parameters_cell():
    for chapter in build_book.notebook_chapters():
        nb = build_book.read_notebook(chapter)
        tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{chapter.name}: exactly one cell must be tagged 'parameters'"
        src = tagged[0].source
        for name in ("quick", "seed", "results_path"):
            assert f"{name} =" in src or f"{name}=" in src, f"{chapter.name}: parameters cell lacks {name!r}"


def test_second_run_comes_from_the_cache():
    chapters = build_book.notebook_chapters()
    if not chapters:
        pytest.skip("no notebook chapter yet")
    first = run_chapter(chapters[0].name)
    again = run_chapter(chapters[0].name)
    assert again.cached and again.path == first.path


def _fake_book(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "raf").mkdir()
    (tmp_path / "raf" / "theory.py").write_text("x = 1\n")
    (tmp_path / "book" / "ch.md").write_text("---\nkernelspec:\n  name: python3\n---\n# Ch\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/ch\n")
    return build_book.Chapter("book/ch", tmp_path)


def test_cache_key_follows_chapter_raf_and_parameters(tmp_path, monkeypatch):
    monkeypatch.delenv("RAF_CIFAR10", raising=False)
    ch = _fake_book(tmp_path)
    key = build_book.cache_key(ch, {})
    assert build_book.cache_key(ch, {}) == key
    assert build_book.cache_key(ch, {"quick": True}) != key
    (tmp_path / "raf" / "theory.py").write_text("x = 2\n")
    key_raf = build_book.cache_key(ch, {})
    assert key_raf != key
    (tmp_path / "raf" / "sub").mkdir()
    (tmp_path / "raf" / "sub" / "new.py").write_text("")
    assert build_book.cache_key(ch, {}) != key_raf
    key_sub = build_book.cache_key(ch, {})
    ch.md.write_text(ch.md.read_text() + "\nmore text\n")
    assert build_book.cache_key(ch, {}) != key_sub


def test_modes_and_toc_pruning(tmp_path):
    assert build_book.mode_of({}) == "full"
    assert build_book.mode_of({"quick": True}) == "quick"
    assert build_book.mode_of({"quick": True, "alpha": 4}).startswith("custom/")
    toc = {"format": "jb-book", "root": "book/a",
           "parts": [{"caption": "P", "chapters": [{"file": "book/b"}, {"file": "book/c"}]},
                     {"caption": "Q", "chapters": [{"file": "book/d"}]}]}
    pruned = build_book._prune_toc(toc, {"book/a", "book/b"})
    assert pruned == {"format": "jb-book", "root": "book/a",
                      "parts": [{"caption": "P", "chapters": [{"file": "book/b"}]}]}
    ch = _fake_book(tmp_path)
    assert ch.is_notebook
    assert [c.docname for c in build_book.toc_chapters(tmp_path)] == ["book/ch"]
