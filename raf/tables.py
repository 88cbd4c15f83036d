"""Markdown tables for the book: the one formatter every chapter uses.

:func:`markdown_table` turns a header and rows into a Markdown (MyST) table, without pandas (the
package must stay light enough for the in-browser book). Floats are formatted with ``fmt``; every
other cell with ``str``, so a caller can pre-format a cell (``"0.312 ± 0.004"``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["markdown_table"]


def markdown_table(header, rows, *, fmt="{:.4g}", align=None):
    """A Markdown table (a string) from a header and rows.

    Parameters
    ----------
    header : sequence
        Column titles.
    rows : iterable of sequences
        One sequence of cells per row, as many as ``header``.
    fmt : str
        Format of float cells (Python and numpy floats), e.g. ``"{:.4f}"``.
    align : str, optional
        One character per column, ``"l"``, ``"r"`` or ``"c"``; default: none (the renderer's).

    Raises
    ------
    ValueError
        When a row has another number of cells than the header, or ``align`` another length.
    """
    header = [str(h) for h in header]
    rule = {"l": ":---", "r": "---:", "c": ":---:", None: "---"}
    if align is not None and len(align) != len(header):
        raise ValueError(f"The 'align' parameter must have one character per column "
                         f"({len(header)}). Got {align!r} instead.")
    marks = [rule[a] for a in align] if align is not None else ["---"] * len(header)

    def cell(x):
        if isinstance(x, (float, np.floating)):
            return fmt.format(float(x))
        return str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    for i, row in enumerate(rows):
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"Row {i} of the table has {len(row)} cells; the header has "
                             f"{len(header)}.")
        lines.append("| " + " | ".join(cell(x) for x in row) + " |")
    return "\n".join(lines)
