"""Run book chapters from tests, and read the numbers they record.

The executor is ``tools/build_book.py`` (papermill, cached under ``_build/executed/``); this module is
its test-side face. Executions are cached on the chapter's ``.md``, the ``raf`` sources and the
parameters, so many tests can ask for the same chapter and it runs once.

Convention for chapter authors
------------------------------
1. The cell tagged ``parameters`` defines at least::

       quick = False          # True: smaller grids and simulations, same code path
       seed = 0
       results_path = None    # set by the executor: where to write the key numbers

2. The last cell (tagged ``remove-cell`` so it does not show in the book) records the numbers a
   test should check, as a JSON-serialisable dict of plain floats, lists and strings::

       results = {"fig3_table": table.tolist(), "krr_slope": float(slope)}
       if results_path is not None:
           with open(results_path, "w") as f:
               json.dump(results, f)

   ``tests/test_book.py`` fails a chapter that does not write this file.

3. The checks live in ``tests/test_<chapter>.py``::

       from booktools import run_chapter

       def test_fig3_table_matches_paper():
           run = run_chapter("kernel_angle")      # quick=True unless told otherwise
           assert abs(run.results["fig3_table"][0][0] - 0.2130) < 1e-3

   ``run_chapter`` skips the test while ``book/<chapter>.md`` does not exist or when the chapter
   stops because data it needs is missing here (CIFAR-10), and raises
   ``papermill.PapermillExecutionError`` (naming the failing cell) when a cell fails.
   ``run.notebook`` is the executed notebook (nbformat), ``run.path`` its file.

To run a chapter by hand with other parameters::

    python tools/build_book.py execute --only kernel_angle -p alpha 4
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import build_book  # noqa: E402

__all__ = ["ROOT", "build_book", "run_chapter", "toc_chapters", "cell_errors"]

toc_chapters = build_book.toc_chapters


def run_chapter(name: str, *, quick: bool = True, **params) -> build_book.Execution:
    """Execute chapter ``name`` with papermill (cached) and return its ``Execution``.

    ``quick=True`` (the default) is what the tests use; other keyword arguments are further
    papermill parameters. The result has ``results`` (the dict the chapter wrote, or None),
    ``notebook``, ``path``, ``seconds`` and ``cached``.
    """
    chapter = build_book.find_chapter(name)
    if not chapter.exists:
        pytest.skip(f"{chapter.md.relative_to(ROOT)} is not written yet")
    all_params = ({"quick": True} if quick else {}) | params
    try:
        return build_book.execute(chapter, all_params)
    except Exception as exc:
        missing = build_book.missing_data_message(exc)
        if missing is not None:  # data this machine does not have (CIFAR-10): not a failure of the chapter
            pytest.skip(f"{chapter.name} needs data that is not here: {missing.splitlines()[0]}")
        raise


def cell_errors(notebook) -> list[str]:
    """Error outputs of an executed notebook, as 'cell N: Name: message' strings."""
    found = []
    for i, cell in enumerate(notebook.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
    return found
