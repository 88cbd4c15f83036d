"""Plotting conventions of the book: theory as lines, simulations as points with error bars.

Thin helpers over matplotlib so that every chapter draws the same way. Captions live
in the notebook cell metadata (not in plot titles).
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["use_book_style", "theory_line", "simulation_points", "tradeoff_axes", "rate_axes",
           "legend_above", "figure_legend", "panel_label", "plot_angle_sweeps", "plot_bandwidths",
           "plot_kernel_twins", "LABELS", "FIGURE_FORMAT"]

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
    """Draw finite-size simulation results as points with error bars (mean ± standard error over seeds)."""
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

def plot_angle_sweeps(axes, sweeps, shift=None, *, theta_mark=None, points=None, points_label="simulation"):
    """Draw paper Fig. 3 / 12 on a ``(len(sweeps), 3)`` array of axes.

    Row ``i`` shows ``sweeps[i]`` (a :func:`raf.angle_sweeps.angle_sweep`): ``E_gen`` at
    ``lambda -> 0``, ``E_gen`` at ``lambda_opt`` and ``E_mem`` at ``lambda_opt`` versus ``theta``,
    one line per ``alpha``. ``shift`` (array (A,), optional) is subtracted from both ``E_gen``
    columns, as in the paper (there: the KRR error at ``theta*``, ``lambda -> 0``).
    ``theta_mark`` draws a dashed vertical line (``theta*``).

    ``points`` (optional): for each row a list of finite-size results of
    :func:`raf.figure_points.angle_points` (ridge 0: ``lambda -> 0+``, ridge 1: ``lambda_opt``),
    drawn as points with their standard errors in the colour of their ``alpha`` (which must be
    one of the row's), shifted like the lines; ``points_label`` names them in the legend.
    """
    axes = np.atleast_2d(axes)
    sub = r" - E_{\rm gen}^{\rm KRR}(\theta^\star)" if shift is not None else ""
    ylab = [rf"$E_{{\rm gen}}(\lambda\to0){sub}$", rf"$E_{{\rm gen}}(\lambda_{{\rm opt}}){sub}$",
            r"$E_{\rm mem}(\lambda_{\rm opt})$"]
    for row, sw in zip(axes, sweeps):
        alpha, theta = sw.alpha[:, 0], sw.theta[0]
        s = np.zeros(alpha.size) if shift is None else np.asarray(shift, dtype=float)
        for i, a in enumerate(alpha):
            kw = dict(color=f"C{i}", label=rf"$\alpha={a:g}$")
            theory_line(row[0], theta, sw.e_gen_0[i] - s[i], **kw)
            theory_line(row[1], theta, sw.e_gen_opt[i] - s[i], **kw)
            theory_line(row[2], theta, sw.e_mem_opt[i], **kw)
        for j, ax in enumerate(row):
            if theta_mark is not None:
                ax.axvline(theta_mark, color="k", ls="--", lw=1)
            ax.set_ylabel(ylab[j])
            ax.set_xlabel(LABELS["theta"])
            panel_label(ax, sw.loss, fontsize=10)
    labelled = False
    for row, sw, pts in zip(axes, sweeps, points or []):
        alpha = sw.alpha[:, 0]
        s = np.zeros(alpha.size) if shift is None else np.asarray(shift, dtype=float)
        for p in pts:
            hit = np.flatnonzero(np.isclose(alpha, float(p.alpha.flat[0])))
            if hit.size == 0:
                raise ValueError(f"The 'points' parameter must be at the alphas of the sweep "
                                 f"{alpha.tolist()}. Got alpha={float(p.alpha.flat[0])!r}.")
            i = int(hit[0])
            th = p.theta[:, 0]
            kw = dict(color=f"C{i}", mec="k", mew=0.6, zorder=6)
            for j, (y, e) in enumerate([(p.e_gen[:, 0] - s[i], p.e_gen_sem[:, 0]),
                                        (p.e_gen[:, 1] - s[i], p.e_gen_sem[:, 1]),
                                        (p.e_mem[:, 1], p.e_mem_sem[:, 1])]):
                simulation_points(row[j], th, y, yerr=e,
                                  label=points_label if not labelled and j == 0 else None, **kw)
            labelled = True
    figure_legend(axes[0, 0].figure, axes[:, :1])  # one legend above the panels, off the data
    return axes


def _bandwidth_axis(ax, ticks):
    import matplotlib.ticker as mticker

    ax.set_xscale("log")
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    ax.axvline(1.0, color="0.6", lw=1, ls=":")
    ax.set_xlabel(r"bandwidth $\gamma/\gamma^\star$")
    ax.set_ylabel(LABELS["e_gen"])
    legend_above(ax, ncol=1, fontsize=8)


def plot_bandwidths(axes, res, bandwidths, theory_curves, fine, *, highlight=None):
    """Theory and CIFAR10-RAF across RBF bandwidths on a 2 x 2 array of axes (paper Fig. 5, 15).

    Top: trade-off curves, theory (left, lines) and CIFAR10-RAF (right, mean and standard error
    over the draws); bottom: ``E_gen`` against the bandwidth at the smallest and at the best
    ridge, theory left, CIFAR10-RAF right.

    Parameters
    ----------
    axes : array (2, 2) of Axes
    res : Result of :func:`raf.cifar.cifar10_raf_errors`
        Its first ``len(bandwidths)`` kernels are the RBF bandwidths.
    bandwidths : array (B,)
        The bandwidths in units of ``gamma*`` (the x axis and the labels).
    theory_curves : result of :func:`raf.theory.erm`, shape (B, L')
        The theory trade-off curves of the same kernels on a dense ridge grid.
    fine : (array, result, result)
        A fine grid of bandwidths (units of ``gamma*``) and the theory there at ``lambda -> 0+``
        and at the optimal ridge (results with ``e_gen``).
    highlight : int, optional
        Index of the bandwidth drawn thick (``gamma*``).
    """
    B = len(bandwidths)
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, B))
    eg, em = res.e_gen[:B], res.e_mem[:B]
    sg, sm = res.e_gen_sem[:B], res.e_mem_sem[:B]
    theta = res.theta[:B, 0]
    for k in range(B):
        lab = rf"$\gamma={bandwidths[k]:g}\,\gamma^\star$ ($\theta={theta[k]:.2f}$)"
        big = k == highlight
        theory_line(axes[0, 0], theory_curves.e_gen[k], theory_curves.e_mem[k], color=colors[k],
                    lw=3.0 if big else 1.6, label=lab)
        simulation_points(axes[0, 1], eg[k], em[k], xerr=sg[k], yerr=sm[k], color=colors[k],
                          label=lab, ms=6 if big else 4)
    titles = ("Gaussian RAF, theory", f"CIFAR10-RAF, {res.e_gen_repeats.shape[-1]} draws")
    for ax, title in zip(axes[0], titles):  # the panel's name heads its legend, above the data
        tradeoff_axes(ax)
        legend_above(ax, ncol=2, fontsize=8, title=title)
    bw_fine, zero, opt = fine
    theory_line(axes[1, 0], bw_fine, zero.e_gen, color="C3", label=r"theory, $\lambda\to0^+$")
    theory_line(axes[1, 0], bw_fine, opt.e_gen, color="C0", dashes=(5, 3),
                label=r"theory, best $\lambda$")
    jb = eg.argmin(axis=1)
    simulation_points(axes[1, 1], bandwidths, eg[:, 0], yerr=sg[:, 0], color="C3",
                      label=rf"CIFAR10-RAF, $\lambda={res.lam[0, 0]:.0e}$")
    simulation_points(axes[1, 1], np.asarray(bandwidths) * 1.04, eg[np.arange(B), jb],
                      yerr=sg[np.arange(B), jb], color="C0", mfc="white",
                      label=r"CIFAR10-RAF, best $\lambda$")
    for ax in axes[1]:
        _bandwidth_axis(ax, bandwidths)
    return axes


def plot_kernel_twins(axes, quad, rbf, theory_curves, labels, *, highlight=None):
    """Quadratic kernels and their RBF twins on CIFAR10-RAF, with their shared theory (Fig. 14 left).

    ``axes[0]``: the quadratic kernels (points: mean and standard error over the draws of
    ``quad``); ``axes[1]``: the RBF kernels with the same ``(mu1, mustar)`` on the same draws
    (``rbf``, e.g. cut with :func:`raf.cifar_summary.select_draws`). In both, the Gaussian-RAF theory of
    each pair (lines, ``theory_curves`` of shape (K, L')), which is one curve for both kernels.
    Row ``k`` of ``quad``, ``rbf`` and ``theory_curves`` is one pair, labelled ``labels[k]``; the
    colours are those of :func:`plot_bandwidths`. The legend (one entry per pair) and the panel
    names go above the axes.
    """
    K = len(labels)
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, K))
    names = (f"quadratic kernels, CIFAR10-RAF ({quad.e_gen_repeats.shape[-1]} draws)",
             "RBF twins, the same draws")
    for ax, res, name in zip(axes, (quad, rbf), names):
        for k in range(K):
            big = k == highlight
            theory_line(ax, theory_curves.e_gen[k], theory_curves.e_mem[k], color=colors[k],
                        lw=2.6 if big else 1.3, alpha=0.8)
            simulation_points(ax, res.e_gen[k], res.e_mem[k], xerr=res.e_gen_sem[k],
                              yerr=res.e_mem_sem[k], color=colors[k], ms=6 if big else 4,
                              mfc="white" if res is quad else None, label=labels[k])
        tradeoff_axes(ax)
        panel_label(ax, name, fontsize=10)
    axes[-1].plot([], [], color="0.35", lw=1.3, label="Gaussian RAF theory (one per pair)")
    return axes
