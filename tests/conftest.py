"""Fixtures shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from booktools import build_book


@pytest.fixture(scope="session")
def quick_site() -> Path:
    """The quick site, built once per test session: the chapters executed with ``quick=True``
    (cached), the HTML with Sphinx warnings as errors, and its in-browser part (``lite/``).
    Returns the html folder. A chapter whose data is missing on this machine is rendered as such."""
    _, failed = build_book.execute_all({"quick": True})
    errors = [n for n, f in failed.items() if f.kind == "error"]
    if errors:
        pytest.fail("chapters failed to execute (see tests/test_book.py): " + ", ".join(errors))
    html = build_book.build_html("quick", strict=True, quiet=True)
    assert (html / "index.html").is_file() and (html / "lite" / "raf-lite.json").is_file()
    return html
