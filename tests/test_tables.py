"""raf.tables: the one Markdown table formatter of the book."""

import numpy as np
import pytest

from raf.tables import markdown_table


def test_markdown_table():
    t = markdown_table(["a", "b"], [["x", 0.123456], ["y", 2]])
    assert t.splitlines() == ["| a | b |", "|---|---|", "| x | 0.1235 |", "| y | 2 |"]
    t = markdown_table(["a", "b"], [["x", np.float32(1.0)]], fmt="{:.4f}", align="lr")
    assert t.splitlines() == ["| a | b |", "|:---|---:|", "| x | 1.0000 |"]


def test_markdown_table_bad_rows():
    with pytest.raises(ValueError, match="Row 1 of the table has 1 cells; the header has 2"):
        markdown_table(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="'align' parameter"):
        markdown_table(["a", "b"], [], align="l")
