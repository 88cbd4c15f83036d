"""raf: the Rules-and-Facts model, exact theory and finite-size experiments.

Companion package of F. Boncoraglio, G. Farné, L. Zdeborová, *The Rules-and-Facts
Model for Simultaneous Generalization and Memorization in Neural Networks*,
arXiv:2603.25579 (2026). Equations follow the project's specification, published as
the book page ``book/equations.md``; docstrings cite its sections as "THEORY §N".
"""

__version__ = "0.1.0"
