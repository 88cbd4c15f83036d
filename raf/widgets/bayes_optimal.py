"""Explorer of the chapter *Bayes-optimal generalisation* (paper Sec. 2.1, Fig. 7, 16).

:func:`bayes_optimal_explorer` has sliders for ``alpha`` (log scale) and ``eps``. It draws,
against ``alpha`` on log-log axes at the chosen ``eps``,

- the Bayes-optimal error ``E_gen^BO`` (:func:`raf.theory.bayes_optimal`) and its
  large-``alpha`` asymptote ``C(eps)/alpha`` (:func:`raf.rates.bayes_large_alpha_coefficient`);
- the linear model (ridge regression, square loss) at its optimal ridge
  ``lambda_opt = pi/(2(1-eps)^2) - 1`` (:func:`raf.theory.optimal_lambda`);

with markers at the chosen ``alpha``. ``state`` holds the plotted arrays and the values at
the chosen point (see :func:`explorer_curves`).
"""

from __future__ import annotations

import numpy as np

from raf._validation import Interval, validated
from raf.rates import bayes_large_alpha_coefficient
from raf.theory import bayes_optimal, optimal_lambda

__all__ = ["bayes_optimal_explorer", "explorer_curves", "ALPHA_RANGE", "EPS_MAX"]

ALPHA_RANGE = (0.1, 1000.0)
EPS_MAX = 0.95


@validated(alpha=Interval(0.0, np.inf, low_open=True), eps=Interval(0.0, 1.0, high_open=True))
def explorer_curves(alpha, eps, *, n_alpha=60):
    """The numbers drawn by the explorer (no plotting).

    Returns
    -------
    dict
        ``alpha_grid``, ``e_bo`` (Bayes-optimal curve), ``e_lin`` (linear model at
        ``lambda_opt``), ``asymptote`` (``C(eps)/alpha_grid``); at the chosen point
        ``e_bo_at``, ``e_lin_at``, ``lam_opt``, ``gap_at`` (``e_lin_at - e_bo_at``),
        ``c_bo`` (the coefficient ``C(eps)``); and the inputs ``alpha``, ``eps``.
    """
    alpha, eps = float(alpha), float(eps)
    grid = np.geomspace(*ALPHA_RANGE, n_alpha)
    a_all = np.append(grid, alpha)
    bo = bayes_optimal(a_all, eps).e_gen
    lin = optimal_lambda(a_all, eps, loss="square")
    lam = lin.lam
    c = float(bayes_large_alpha_coefficient(eps))
    return {
        "alpha": alpha,
        "eps": eps,
        "alpha_grid": grid,
        "e_bo": bo[:-1],
        "e_lin": lin.e_gen[:-1],
        "asymptote": c / grid,
        "c_bo": c,
        "e_bo_at": float(bo[-1]),
        "e_lin_at": float(lin.e_gen[-1]),
        "lam_opt": float(lam[-1]),
        "gap_at": float(lin.e_gen[-1] - bo[-1]),
    }


@validated(alpha=Interval(*ALPHA_RANGE), eps=Interval(0.0, EPS_MAX))
def bayes_optimal_explorer(*, alpha=2.0, eps=0.2):
    """Sliders ``alpha`` (log) and ``eps``; returns a :class:`raf.widgets.base.Explorer`.

    Its ``state`` is :func:`explorer_curves` at the current slider values.
    """
    import ipywidgets as w

    from raf.plotting import theory_line, rate_axes

    from .base import Explorer

    alpha, eps = float(alpha), float(eps)
    style = {"description_width": "initial"}
    controls = {
        "alpha": w.FloatLogSlider(value=alpha, base=10, min=np.log10(ALPHA_RANGE[0]),
                                  max=np.log10(ALPHA_RANGE[1]), step=0.05, description="α = n/d",
                                  readout_format=".3g", style=style, continuous_update=False),
        "eps": w.FloatSlider(value=eps, min=0.0, max=EPS_MAX, step=0.05, description="ε (facts)",
                             style=style, continuous_update=False),
    }

    def draw(fig, *, alpha, eps):
        s = explorer_curves(alpha, eps)
        ax = fig.add_subplot(111)
        theory_line(ax, s["alpha_grid"], s["e_bo"], color="k", label="Bayes-optimal")
        theory_line(ax, s["alpha_grid"], s["e_lin"], color="C0",
                    label=rf"ridge, linear model, $\lambda_{{\rm opt}}={s['lam_opt']:.3g}$")
        ax.plot(s["alpha_grid"], s["asymptote"], ":", color="0.5", lw=1.2,
                label=rf"$C(\varepsilon)/\alpha$, $C={s['c_bo']:.3g}$")
        ax.plot([alpha], [s["e_bo_at"]], "ko", ms=6)
        ax.plot([alpha], [s["e_lin_at"]], "o", color="C0", ms=6)
        ax.annotate(rf"$E^{{\rm BO}}={s['e_bo_at']:.4f}$" "\n" rf"ridge $={s['e_lin_at']:.4f}$",
                    (alpha, s["e_bo_at"]), textcoords="offset points", xytext=(-10, -32),
                    ha="right", fontsize=9)
        rate_axes(ax)
        ax.set_ylim(max(1e-4, 0.5 * float(np.min(s["e_bo"]))), 0.6)
        fig.tight_layout()
        return s

    return Explorer(controls, draw, figsize=(6.4, 4.2))
