"""Explorer of the chapter *Large-α rates* (paper Sec. 3.5, App. C.3, Fig. 6, 9).

:func:`large_alpha_rates_explorer` has sliders for ``eps``, the kernel angle ``theta``
(unit-norm kernel ``mu1 = cos theta``, ``mustar = sin theta``) and ``lambda`` (log scale), a
loss menu (square: kernel ridge regression; hinge: SVM; logistic: logistic regression) and a box "optimal λ" that replaces
the slider's ``lambda`` by the ridge minimising ``E_gen`` at every ``alpha``
(:func:`raf.theory.optimal_lambda`). It draws ``E_gen`` against ``alpha`` on log-log axes with

- the ERM curve (:func:`raf.theory.erm`) and the power law fitted to its last decade
  (:func:`raf.rates.fit_power_law`), slope printed in the legend;
- the KRR asymptote ``tan(theta*)/(pi sqrt(alpha))`` and the Bayes-optimal error for reference.

``state`` holds the plotted arrays and the fit (see :func:`explorer_curves`).
"""

from __future__ import annotations

import numpy as np

from raf._validation import Choice, Interval, validated
from raf.rates import fit_power_law
from raf.theory.channels import LOSSES
from raf.theory import bayes_optimal, erm, large_alpha_coefficient, optimal_lambda

__all__ = ["large_alpha_rates_explorer", "explorer_curves", "ALPHA_RANGE", "LAM_RANGE"]

ALPHA_RANGE = (1.0, 1e4)
LAM_RANGE = (1e-3, 1e2)
EPS_RANGE = (0.05, 0.9)


@validated(loss=Choice(LOSSES), eps=Interval(0.0, 1.0, high_open=True),
           theta=Interval(0.0, np.pi / 2), lam=Interval(0.0))
def explorer_curves(eps, theta, lam, loss, optimal=False, *, n_alpha=25):
    """The numbers drawn by the explorer (no plotting).

    Returns
    -------
    dict
        ``alpha_grid``, ``e_gen`` (ERM curve, NaN where the solver did not converge),
        ``lam_used`` (``lambda`` at each ``alpha``: the slider's, or the optimal one),
        ``e_bo`` (Bayes-optimal), ``krr_asymptote`` (``c / sqrt(alpha)``, ``c = tan(theta*)/pi``);
        the fit on ``alpha >= alpha_max/10``: ``slope``, ``prefactor``, ``stderr``;
        ``coef_at_max`` (``E_gen sqrt(alpha)`` at the largest ``alpha``), ``krr_coefficient``;
        and the inputs.
    """
    eps, theta, lam = float(eps), float(theta), float(lam)
    grid = np.geomspace(*ALPHA_RANGE, n_alpha)
    mu1, mustar = np.cos(theta), np.sin(theta)
    if optimal:
        r = optimal_lambda(grid, eps, loss=loss, mu1=mu1, mustar=mustar)
        lam_used = r.lam
    else:
        r = erm(grid, eps, lam, loss=loss, mu1=mu1, mustar=mustar)
        lam_used = np.full(grid.shape, lam)
    e = np.where(r.converged, r.e_gen, np.nan)
    fit = fit_power_law(grid, e, x_min=ALPHA_RANGE[1] / 10)
    c = float(large_alpha_coefficient(eps))
    return {
        "eps": eps, "theta": theta, "lam": lam, "loss": loss, "optimal": bool(optimal),
        "alpha_grid": grid,
        "e_gen": e,
        "lam_used": np.asarray(lam_used, dtype=float),
        "e_bo": bayes_optimal(grid, eps).e_gen,
        "krr_coefficient": c,
        "krr_asymptote": c / np.sqrt(grid),
        "slope": float(fit.slope), "prefactor": float(fit.prefactor), "stderr": float(fit.stderr),
        "coef_at_max": float(e[-1] * np.sqrt(grid[-1])),
    }


@validated(loss=Choice(LOSSES), eps=Interval(*EPS_RANGE), theta=Interval(0.0, 1.5),
           lam=Interval(*LAM_RANGE))
def large_alpha_rates_explorer(*, eps=0.2, theta=0.7, lam=0.1, loss="square", optimal=False):
    """Sliders ``eps, theta, lam``, a loss menu and an "optimal λ" box (see the module docstring).

    Returns a :class:`raf.widgets.base.Explorer` whose ``state`` is :func:`explorer_curves`.
    """
    import ipywidgets as w

    from raf.plotting import theory_line, rate_axes

    from .base import Explorer

    eps, theta, lam = float(eps), float(theta), float(lam)
    style = {"description_width": "initial"}
    controls = {
        "eps": w.FloatSlider(value=eps, min=EPS_RANGE[0], max=EPS_RANGE[1], step=0.05,
                             description="ε (facts)", style=style, continuous_update=False),
        "theta": w.FloatSlider(value=theta, min=0.0, max=1.5, step=0.05, description="θ",
                               readout_format=".2f", style=style, continuous_update=False),
        "lam": w.FloatLogSlider(value=lam, base=10, min=np.log10(LAM_RANGE[0]),
                                max=np.log10(LAM_RANGE[1]), step=0.25, description="λ",
                                readout_format=".1e", style=style, continuous_update=False),
        "loss": w.Dropdown(options=list(LOSSES), value=loss, description="loss"),
        "optimal": w.Checkbox(value=bool(optimal), description="optimal λ (ignores the slider)"),
    }

    def draw(fig, *, eps, theta, lam, loss, optimal):
        s = explorer_curves(eps, theta, lam, loss, optimal)
        a = s["alpha_grid"]
        ax = fig.add_subplot(111)
        name = {"square": "KRR", "hinge": "SVM", "logistic": "logistic regression"}[loss]
        lam_txt = r"$\lambda_{\rm opt}$" if optimal else rf"$\lambda={lam:.1e}$"
        theory_line(ax, a, s["e_gen"], color="C0", label=rf"{name}, $\theta={theta:.2f}$, {lam_txt}")
        sel = a >= ALPHA_RANGE[1] / 10
        ax.plot(a[sel], s["prefactor"] * a[sel] ** s["slope"], "--", color="C3", lw=2,
                label=rf"fit: slope ${s['slope']:.3f}\pm{s['stderr']:.3f}$")
        ax.plot(a, s["krr_asymptote"], ":", color="0.4", lw=1.2,
                label=r"$\tan\theta^\star/(\pi\sqrt{\alpha})$")
        theory_line(ax, a, s["e_bo"], color="k", lw=1.2, label=r"Bayes-optimal ($\propto 1/\alpha$)")
        rate_axes(ax)
        fig.tight_layout()
        return s

    return Explorer(controls, draw, figsize=(6.4, 4.2))
