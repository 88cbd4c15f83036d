"""Explorer of the chapter *The memorization–generalization trade-off* (paper Fig. 1, 2).

Sliders for the data (``alpha``, ``eps``) and the width ratio ``kappa`` of random
features (its last stop, "kernel", is the infinite-width limit), dropdowns for the
activation and the loss. The figure is the trade-off curve ``lambda -> (E_gen, E_mem)``
of :func:`raf.tradeoff.tradeoff_curve`, with its ``lambda -> 0`` (triangle) and
``lambda -> inf`` (square) end points and the grid point of smallest ``E_gen``.
"""

from __future__ import annotations

import math

import numpy as np


from ..plotting import legend_above, theory_line, tradeoff_axes
from ..theory.channels import LOSSES
from ..tradeoff import activation_mu, tradeoff_curve
from .base import Explorer

__all__ = ["perceptron_tradeoff_explorer", "KAPPA_OPTIONS", "ACTIVATIONS"]

KAPPA_KERNEL = math.inf
"""Value of the ``kappa`` control that stands for the kernel limit (``kappa=None`` in raf.theory)."""

KAPPA_OPTIONS = [("0.5", 0.5), ("1", 1.0), ("2", 2.0), ("4", 4.0), ("10", 10.0), ("kernel", KAPPA_KERNEL)]
ACTIVATIONS = ("linear", "erf", "relu")
_COLORS = {"linear": "0.45", "erf": "tab:orange", "relu": "tab:green"}


def kappa_value(kappa):
    """Map the control's value to ``raf.theory``'s ``kappa`` (``inf`` -> ``None``, the kernel)."""
    return None if kappa is None or math.isinf(kappa) else float(kappa)


def _draw(fig, *, alpha, eps, kappa, activation, loss, n_lam):
    mu1, mustar = activation_mu(activation)
    kap = kappa_value(kappa)
    curve = tradeoff_curve(alpha, eps, loss=loss, mu1=mu1, mustar=mustar, kappa=kap, n_lam=n_lam,
                           lam_range=(1e-3 if kap is not None else 1e-4, 1e4))
    ax = tradeoff_axes(fig.add_subplot(1, 1, 1))
    width = "kernel limit" if kap is None else rf"$\kappa={kap:g}$"
    label = f"{activation}, {loss} loss, {width}"
    theory_line(ax, curve.e_gen, curve.e_mem, label=label, color=_COLORS[activation])
    if np.isfinite(curve.e_gen_lam0):  # NaN at finite width (no ridgeless end point)
        ax.plot(curve.e_gen_lam0, curve.e_mem_lam0, "^", color="k", ms=8, label=r"$\lambda\to0$")
    ax.plot(curve.e_gen_laminf, curve.e_mem_laminf, "s", color="k", ms=7, label=r"$\lambda\to\infty$")
    i = int(np.argmin(curve.e_gen))
    ax.plot(curve.e_gen[i], curve.e_mem[i], "*", color="tab:red", ms=11,
            label=rf"smallest $E_{{\rm gen}}$ ($\lambda\approx{curve.lam[i]:.2g}$)")
    ax.set_xlim(0.0, 0.5)
    ax.set_ylim(-0.01, 0.5)
    legend_above(ax, ncol=2)
    fig.tight_layout()
    return {
        "alpha": float(alpha), "eps": float(eps), "kappa": kap, "activation": activation, "loss": loss,
        "mu1": mu1, "mustar": mustar, "lam": curve.lam, "e_gen": curve.e_gen, "e_mem": curve.e_mem,
        "e_gen_lam0": float(curve.e_gen_lam0), "e_mem_lam0": float(curve.e_mem_lam0),
        "e_gen_laminf": float(curve.e_gen_laminf), "e_mem_laminf": float(curve.e_mem_laminf),
        "lam_best": float(curve.lam[i]), "e_gen_best": float(curve.e_gen[i]),
    }


def perceptron_tradeoff_explorer(*, alpha=2.0, eps=0.2, kappa=KAPPA_KERNEL, activation="relu",
                                 loss="square", n_lam=41):
    """Build the explorer (a :class:`raf.widgets.base.Explorer`).

    Controls: ``alpha`` (sample complexity), ``eps`` (fraction of facts), ``kappa``
    (width ratio of random features; "kernel" is the limit ``kappa -> inf``),
    ``activation`` ("linear", "erf", "relu"; with "linear" and "kernel" this is the
    perceptron) and ``loss`` ("square", "hinge"). ``state`` holds the plotted numbers:
    ``lam``, ``e_gen``, ``e_mem`` along the curve and the end points.
    """
    import ipywidgets as w

    style = {"description_width": "initial"}
    controls = {
        "alpha": w.FloatSlider(value=alpha, min=0.2, max=8.0, step=0.1, description="α = n/d",
                               continuous_update=False, style=style),
        "eps": w.FloatSlider(value=eps, min=0.0, max=0.95, step=0.05, description="ε (facts)",
                             continuous_update=False, style=style),
        "kappa": w.SelectionSlider(options=KAPPA_OPTIONS, value=kappa, description="κ = p/d",
                                   continuous_update=False, style=style),
        "activation": w.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation",
                                 style=style),
        "loss": w.Dropdown(options=list(LOSSES), value=loss, description="loss", style=style),
    }

    def draw(fig, **values):
        return _draw(fig, n_lam=n_lam, **values)

    return Explorer(controls, draw)
