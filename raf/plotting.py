"""Plotting conventions of the book: theory as lines, simulations as points with error bars.

Thin helpers over matplotlib so that every chapter draws the same way. Captions live
in the notebook cell metadata (not in plot titles).
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["use_book_style", "theory_line", "simulation_points", "tradeoff_axes", "rate_axes", "LABELS"]

LABELS = {
    "e_gen": r"generalisation error $E_{\rm gen}$",
    "e_mem": r"memorisation error $E_{\rm mem}$",
    "alpha": r"sample complexity $\alpha = n/d$",
    "eps": r"fraction of facts $\varepsilon$",
    "lam": r"ridge $\lambda$",
    "theta": r"kernel angle $\theta$",
    "kappa": r"width ratio $\kappa = p/d$",
}


def use_book_style():
    """Matplotlib defaults shared by all chapters (readable in HTML at 100 dpi)."""
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.2),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "font.size": 11,
    })


def theory_line(ax, x, y, *, label=None, **kw):
    """Draw a theory curve (a line, never markers)."""
    kw.setdefault("lw", 1.8)
    if not any(k in kw for k in ("ls", "linestyle", "dashes")):
        kw["ls"] = "-"
    return ax.plot(np.asarray(x), np.asarray(y), label=label, **kw)[0]


def simulation_points(ax, x, y, *, yerr=None, xerr=None, label=None, **kw):
    """Draw finite-size simulation results as points with error bars (mean ± spread)."""
    kw.setdefault("ms", 5)
    kw.setdefault("capsize", 2)
    kw.setdefault("elinewidth", 1)
    return ax.errorbar(np.asarray(x), np.asarray(y), yerr=yerr, xerr=xerr, fmt="o", label=label, **kw)


def tradeoff_axes(ax=None):
    """Axes for the memorisation–generalisation plane (paper Fig. 1, 2, 4, 5, 11)."""
    if ax is None:
        _, ax = plt.subplots()
    ax.set_xlabel(LABELS["e_gen"])
    ax.set_ylabel(LABELS["e_mem"])
    return ax


def rate_axes(ax):
    """Log–log axes of ``E_gen`` against ``alpha`` (paper Fig. 6, 7, 9), with the legend."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(LABELS["alpha"])
    ax.set_ylabel(LABELS["e_gen"])
    ax.legend(fontsize=9, loc="lower left")
    return ax
