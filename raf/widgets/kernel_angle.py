"""Explorer of the chapter *The kernel angle* (paper Sec. 3.3, Fig. 3, 4, 11).

:func:`kernel_angle_explorer` has sliders for ``alpha``, ``eps``, ``lambda`` (log scale) and
the angle ``theta``, a loss menu and a view menu:

- ``"errors vs θ"``: ``E_gen`` and ``E_mem`` versus ``theta`` at the chosen ``lambda``
  (unit-norm kernel ``(cos theta, sin theta)``), the chosen angle and ``theta*`` marked;
- ``"trade-off at θ"``: the curve ``(E_gen, E_mem)`` as ``lambda`` varies at the chosen
  angle, the chosen ``lambda`` marked.

Everything is computed by :func:`raf.theory.erm`; ``state`` holds the plotted arrays and the
errors at the chosen ``(theta, lambda)``.
"""

from __future__ import annotations

import numpy as np

from raf._validation import Choice, Interval, validated
from raf.theory.channels import LOSSES
from raf.theory import erm, theta_star
from ..plotting import legend_above

__all__ = ["kernel_angle_explorer", "VIEWS", "explorer_curves"]

VIEWS = ("errors vs θ", "trade-off at θ")
THETA_RANGE = (0.02, 1.5)
LAM_RANGE = (1e-4, 1e2)


@validated(loss=Choice(LOSSES), view=Choice(VIEWS), alpha=Interval(0.0, np.inf, low_open=True),
           eps=Interval(0.0, 1.0, high_open=True), lam=Interval(0.0, np.inf, low_open=True),
           theta=Interval(0.0, np.pi / 2))
def explorer_curves(alpha, eps, lam, theta, loss, view, *, n_theta=36, n_lam=40):
    """The numbers drawn by the explorer (no plotting).

    Returns
    -------
    dict
        ``x`` (``theta`` grid or ``E_gen`` along ``lambda``), ``e_gen``, ``e_mem`` (curves),
        ``lam_grid`` (trade-off view), ``e_gen_at``, ``e_mem_at`` (at the chosen point),
        ``theta_star`` and the inputs.
    """
    alpha, eps, lam, theta = float(alpha), float(eps), float(lam), float(theta)
    out = {"alpha": alpha, "eps": eps, "lam": lam, "theta": theta, "loss": loss, "view": view,
           "theta_star": float(theta_star(eps))}
    at = erm(alpha, eps, lam, loss=loss, mu1=np.cos(theta), mustar=np.sin(theta))
    out["e_gen_at"], out["e_mem_at"] = float(at.e_gen), float(at.e_mem)
    if view == VIEWS[0]:
        th = np.linspace(*THETA_RANGE, n_theta)
        r = erm(alpha, eps, lam, loss=loss, mu1=np.cos(th), mustar=np.sin(th))
        out.update(theta_grid=th, e_gen=r.e_gen, e_mem=r.e_mem)
    else:
        lams = np.geomspace(LAM_RANGE[0], 1e3, n_lam)
        r = erm(alpha, eps, lams, loss=loss, mu1=np.cos(theta), mustar=np.sin(theta))
        out.update(lam_grid=lams, e_gen=r.e_gen, e_mem=r.e_mem)
    return out


@validated(loss=Choice(LOSSES), view=Choice(VIEWS), alpha=Interval(0.5, 30.0), eps=Interval(0.0, 0.9),
           lam=Interval(*LAM_RANGE), theta=Interval(*THETA_RANGE, optional=True))
def kernel_angle_explorer(*, alpha=4.0, eps=0.2, lam=1e-2, theta=None, loss="square",
                          view=VIEWS[0]):
    """Sliders ``alpha, eps, lam, theta`` and menus ``loss, view`` (see the module docstring).

    ``theta`` defaults to ``theta*(eps)``. Returns a :class:`raf.widgets.base.Explorer`
    whose ``state`` is :func:`explorer_curves` at the current values.
    """
    import ipywidgets as w

    from .base import Explorer

    alpha, eps, lam = float(alpha), float(eps), float(lam)
    theta = float(theta_star(eps)) if theta is None else float(theta)

    style = {"description_width": "initial"}
    controls = {
        "alpha": w.FloatSlider(value=alpha, min=0.5, max=30.0, step=0.5, description="α = n/d",
                               style=style, continuous_update=False),
        "eps": w.FloatSlider(value=eps, min=0.0, max=0.9, step=0.05, description="ε (facts)",
                             style=style, continuous_update=False),
        "lam": w.FloatLogSlider(value=lam, base=10, min=-4, max=2, step=0.25, description="λ",
                                readout_format=".1e", style=style, continuous_update=False),
        "theta": w.FloatSlider(value=theta, min=THETA_RANGE[0], max=THETA_RANGE[1], step=0.02,
                               description="θ", readout_format=".2f", style=style,
                               continuous_update=False),
        "loss": w.Dropdown(options=list(LOSSES), value=loss, description="loss"),
        "view": w.Dropdown(options=list(VIEWS), value=view, description="view"),
    }

    return Explorer(controls, draw_explorer, figsize=(6.4, 4.2))


def draw_explorer(fig, *, alpha, eps, lam, theta, loss, view):
    """Redraw the explorer's figure at the given values; returns :func:`explorer_curves`."""
    from raf.plotting import LABELS, theory_line, tradeoff_axes

    s = explorer_curves(alpha, eps, lam, theta, loss, view)
    ax = fig.add_subplot(111)
    if view == VIEWS[0]:
        theory_line(ax, s["theta_grid"], s["e_gen"], label=r"$E_{\rm gen}$", color="C0")
        theory_line(ax, s["theta_grid"], s["e_mem"], label=r"$E_{\rm mem}$", color="C3")
        ax.plot([theta, theta], [s["e_gen_at"], s["e_mem_at"]], "ko", ms=5,
                label=rf"chosen $\theta={theta:.2f}$")
        ax.axvline(s["theta_star"], color="k", ls="--", lw=1,
                   label=rf"$\theta^\star={s['theta_star']:.3f}$")
        ax.set_xlabel(LABELS["theta"])
        ax.set_ylabel("error")
    else:
        tradeoff_axes(ax)
        theory_line(ax, s["e_gen"], s["e_mem"], color="C0",
                    label=rf"$\theta={theta:.2f}$, $\lambda\in[10^{{-4}},10^3]$")
        ax.plot(s["e_gen_at"], s["e_mem_at"], "ko", ms=6, label=rf"$\lambda={lam:.1e}$")
    ax.set_ylim(bottom=0)
    legend_above(ax, ncol=2)
    fig.tight_layout()
    return s
