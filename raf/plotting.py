"""Plotting conventions of the book: theory as lines, simulations as points with error bars.

Thin helpers over matplotlib so that every chapter draws the same way. Captions live
in the notebook cell metadata (not in plot titles).
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["use_book_style", "theory_line", "simulation_points", "tradeoff_axes", "rate_axes",
           "legend_above", "figure_legend", "panel_label", "LABELS", "FIGURE_FORMAT"]

#: Format of the figures a notebook shows: vector graphics, crisp at every zoom (``"retina"``, a
#: PNG at twice the resolution, is the alternative for figures with very many points).
FIGURE_FORMAT = "svg"

LABELS = {
    "e_gen": r"generalisation error $E_{\rm gen}$",
    "e_mem": r"memorisation error $E_{\rm mem}$",
    "alpha": r"sample complexity $\alpha = n/d$",
    "eps": r"fraction of facts $\varepsilon$",
    "lam": r"ridge $\lambda$",
    "theta": r"kernel angle $\theta$",
    "kappa": r"width ratio $\kappa = p/d$",
}


def use_book_style(figure_format=None):
    """Matplotlib defaults shared by all chapters, and vector figures in notebooks.

    ``figure_format`` (default :data:`FIGURE_FORMAT`, SVG) is what an IPython kernel shows for a
    figure; outside IPython it is ignored. The SVG files carry a fixed hash salt, so that the
    same figure gives the same file (executed notebooks stay comparable between runs).
    """
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.2),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "font.size": 11,
        "svg.hashsalt": "raf-book",
    })
    _set_inline_format(figure_format or FIGURE_FORMAT)


def _set_inline_format(fmt):
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # no IPython (scripts, tests): nothing to set
        return
    if get_ipython() is not None:
        set_matplotlib_formats(fmt)


def legend_above(ax, *, ncol=2, **kw):
    """A legend above the plot area of ``ax``, off the data (the figure grows to hold it)."""
    kw.setdefault("fontsize", 9)
    return ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.01), borderaxespad=0.0, ncol=ncol, **kw)


def panel_label(ax, text, **kw):
    """Name a panel (``"square loss"``) above its top left corner, off the data."""
    kw.setdefault("fontsize", 11)
    return ax.text(0.0, 1.02, text, transform=ax.transAxes, ha="left", va="bottom", **kw)


def figure_legend(fig, axes=None, *, ncol=None, **kw):
    """One legend for several panels, above them, off the data; repeated labels appear once.

    Call it after ``fig.tight_layout()``: the legend sits above the figure's top edge, and the
    notebook's tight bounding box keeps it in the image.
    """
    handles, labels = [], []
    for ax in (fig.axes if axes is None else np.ravel(axes)):
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    kw.setdefault("fontsize", 9)
    return fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                      ncol=ncol or min(4, max(len(labels), 1)), **kw)


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
    legend_above(ax)
    return ax
