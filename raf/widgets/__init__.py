"""ipywidgets explorers that close each chapter of the book.

Each explorer is built by a function of one sub-module (one per chapter) on top of
:func:`raf.widgets.base.Explorer`: sliders, an output area, and a ``state`` dict
holding the numbers behind the last drawing so tests can check them against
:mod:`raf.theory`.
"""

from .base import Explorer

__all__ = ["Explorer"]
