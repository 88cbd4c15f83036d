"""Fixtures shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from booktools import build_book


@pytest.fixture(scope="session")
def quick_site() -> Path:
    """The quick site, built once per test session: chapters executed with ``quick=True`` (cached),
    HTML with Sphinx warnings as errors, and its in-browser part (``lite/``). Returns the html folder."""
    done, failed = build_book.execute_all({"quick": True})
    if failed:
        pytest.fail("chapters failed to execute (see tests/test_book.py): " + ", ".join(failed))
    html = build_book.build_html("quick", strict=True, quiet=True)
    assert (html / "index.html").is_file()
    return html
