"""Explorer of the chapter *Beyond the paper: a trained two-layer network*.

:func:`two_layer_network_explorer` trains one small network (``d = 50`` by default, one data set)
twice from the same start, with the first layer trained and frozen (:func:`raf.networks.train`,
gradient descent), and draws ``E_gen`` and ``E_mem`` against the training time, next to the
ridgeless kernel limit of the activation, the kernel at the critical angle ``theta*`` and the
Bayes-optimal error (:mod:`raf.theory`). Controls: width ``kappa = p/d``, weight decay ``lambda``,
number of gradient steps, loss, sample complexity ``alpha``.

``state`` holds the plotted numbers (see :func:`explorer_curves`).
"""

from __future__ import annotations

import math


from raf._validation import check_choice, check_int, check_range
from raf.networks import LOSSES, default_checkpoints
from raf.network_experiments import simulate_network
from ..plotting import legend_above

__all__ = ["two_layer_network_explorer", "explorer_curves"]

EPS = 0.2
LR = 200.0


def explorer_curves(kappa, lam, steps, loss, alpha=4.0, *, d=50, eps=EPS, seed=0, n_test=2000):
    """The numbers drawn by the explorer (no plotting): one data set, trained and frozen runs.

    Returns
    -------
    dict
        ``time`` (gradient-flow time at the checkpoints), ``e_gen``, ``e_mem`` (dicts with keys
        ``"trained"``, ``"frozen"``), ``kernel`` and ``theta_star`` (ridgeless square-loss theory
        of the activation's kernel and of the kernel at ``theta*``), ``bayes`` (Bayes-optimal
        ``E_gen``), and the inputs.
    """
    from raf.kernels import coefficients
    from raf.theory import bayes_optimal, erm, theta_star

    kappa = float(check_range("kappa", kappa, 0.0, low_open=True))
    lam = float(check_range("lam", lam, 0.0))
    steps = check_int("steps", steps)
    check_choice("loss", loss, LOSSES)
    alpha = float(check_range("alpha", alpha, 0.0, low_open=True))
    ck = default_checkpoints(steps, 14)
    out = {"kappa": kappa, "lam": lam, "steps": steps, "loss": loss, "alpha": alpha, "d": d,
           "e_gen": {}, "e_mem": {}}
    for name, first in (("trained", True), ("frozen", False)):
        r = simulate_network(d, alpha, eps, kappa=kappa, loss=loss, lam=lam, train_first=first,
                             lr=LR, max_iter=steps, checkpoints=ck, seeds=[seed], n_test=n_test, n_val=1)
        out["time"] = r.time[:-1, 0]
        out["e_gen"][name] = r.e_gen[:-1, 0]
        out["e_mem"][name] = r.e_mem[:-1, 0]
    _, mu1, mustar = coefficients("relu")
    th = float(theta_star(eps))
    out["kernel"] = float(erm(alpha, eps, 0.0, mu1=mu1, mustar=mustar).e_gen)
    out["theta_star"] = float(erm(alpha, eps, 0.0, mu1=math.cos(th), mustar=math.sin(th)).e_gen)
    out["bayes"] = float(bayes_optimal(alpha, eps).e_gen)
    return out


def two_layer_network_explorer(*, kappa=1.0, lam=0.0, steps=300, loss="logistic", alpha=4.0):
    """Sliders ``kappa``, ``lambda``, gradient steps and ``alpha``, and a loss menu.

    Returns a :class:`raf.widgets.base.Explorer` whose ``state`` is :func:`explorer_curves`.
    """
    import ipywidgets as w

    from raf.plotting import LABELS

    from .base import Explorer

    check_choice("loss", loss, LOSSES)
    style = {"description_width": "initial"}
    controls = {
        "kappa": w.FloatLogSlider(value=kappa, base=2, min=-2, max=2, step=0.5, description="κ = p/d",
                                  style=style, continuous_update=False),
        "lam": w.FloatLogSlider(value=max(lam, 1e-4), base=10, min=-4, max=1, step=0.5,
                                description="λ", readout_format=".0e", style=style,
                                continuous_update=False),
        "steps": w.IntSlider(value=steps, min=20, max=800, step=20, description="gradient steps",
                             style=style, continuous_update=False),
        "alpha": w.FloatSlider(value=alpha, min=1.0, max=6.0, step=0.5, description="α", style=style,
                               continuous_update=False),
        "loss": w.Dropdown(options=list(LOSSES), value=loss, description="loss"),
    }

    def draw(fig, *, kappa, lam, steps, alpha, loss):
        s = explorer_curves(kappa, lam, steps, loss, alpha)
        axes = fig.subplots(1, 2)
        colors = {"trained": "tab:red", "frozen": "tab:blue"}
        for ax, key in zip(axes, ("e_gen", "e_mem")):
            for name, c in colors.items():
                ax.plot(s["time"], s[key][name], "o-", color=c, ms=4, lw=1,
                        label=f"{name} first layer")
            ax.set_xscale("log")
            ax.set_xlabel(r"training time $t$")
            ax.set_ylabel(LABELS[key])
        for v, ls, lab in ((s["kernel"], "--", r"ReLU kernel, $\lambda\to0$"),
                           (s["theta_star"], ":", r"kernel at $\theta^\star$, $\lambda\to0$"),
                           (s["bayes"], "-", "Bayes-optimal")):
            axes[0].axhline(v, color="k", ls=ls, lw=1.2, label=lab)
        legend_above(axes[0], ncol=1, fontsize=8)
        fig.tight_layout()
        return s

    return Explorer(controls, draw, figsize=(10, 4))
