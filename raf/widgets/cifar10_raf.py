"""Explorer of the chapter *CIFAR10-RAF*: one small draw against the Gaussian theory (THEORY §7).

:func:`explore` draws one CIFAR10-RAF trade-off curve (one repeat, RBF kernel, square loss,
:func:`raf.cifar.cifar10_raf_errors`) next to :func:`raf.theory.erm` at the kernel's
``(mu1, mustar)``; :func:`cifar10_raf_explorer` puts it behind sliders for ``alpha``, ``eps``, the
bandwidth and dropdowns for the three classes.
"""

from __future__ import annotations

import numpy as np

from ..cifar import cifar10_raf_errors, resolve_data
from ..image_kernels import bandwidth_for_angle, kernel_coefficients

__all__ = ["explore", "cifar10_raf_explorer"]


def explore(fig, *, alpha, eps, gamma, rule_pos, rule_neg, fact_class, data, seed=0, lams=None,
            n_test=None):
    """Draw one CIFAR10-RAF trade-off curve next to the Gaussian theory; return the numbers.

    One repeat, RBF kernel of bandwidth ``gamma``, square loss: cheap for ``alpha <= 0.5``
    (``n <= 1536``).
    """
    from ..plotting import LABELS, legend_above, simulation_points, theory_line
    from ..theory import erm

    if lams is None:
        lams = np.geomspace(1e-4, 1e2, 19)
    ax = fig.add_subplot(111)
    if len({rule_pos, rule_neg, fact_class}) < 3:
        ax.text(0.5, 0.5, "choose three different classes", ha="center", va="center",
                transform=ax.transAxes)
        return {"error": "classes must differ"}
    res = cifar10_raf_errors(alpha, eps, kernels=[("rbf", gamma)], lams=lams, repeats=1,
                             seed=seed, rule_classes=(rule_pos, rule_neg), fact_class=fact_class,
                             n_test=n_test, data=data)
    mu1, mustar, theta = kernel_coefficients(gamma)
    th = erm(alpha, eps, lams, loss="square", mu1=mu1, mustar=mustar)
    theory_line(ax, th.e_gen, th.e_mem, label=rf"Gaussian RAF theory, $\theta={theta:.2f}$",
                color="C0")
    eg, em = res.e_gen[0], res.e_mem[0]
    n = int(res.n.flat[0])
    simulation_points(ax, eg, em, label=f"CIFAR10-RAF, {rule_pos} vs {rule_neg}, "
                                        f"facts: {fact_class} (n={n})", color="C1")
    ax.set_xlabel(LABELS["e_gen"])
    ax.set_ylabel(LABELS["e_mem"])
    ax.set_xlim(0, 0.55)
    ax.set_ylim(-0.02, 0.55)
    legend_above(ax, ncol=1, fontsize=8)  # off the data
    fig.tight_layout()
    return dict(alpha=float(alpha), eps=float(eps), gamma=float(gamma),
                rule_classes=(rule_pos, rule_neg), fact_class=fact_class,
                lams=np.asarray(lams).tolist(), e_gen=eg.tolist(), e_mem=em.tolist(),
                theory_e_gen=th.e_gen.tolist(), theory_e_mem=th.e_mem.tolist(),
                theta=float(theta), n=n)


def cifar10_raf_explorer(data=None, *, seed=0):
    """ipywidgets explorer: alpha, eps, RBF bandwidth, rule classes and fact class.

    Returns a :class:`raf.widgets.base.Explorer`; every change refits KRR on one small draw
    (``alpha <= 0.5``) and redraws the trade-off curve next to the theory.
    """
    import ipywidgets as w

    from ..theory import theta_star
    from .base import Explorer

    data = resolve_data(data)
    classes = list(data.classes)

    def pick(name, k):
        return name if name in classes else classes[k]

    g_star = round(bandwidth_for_angle(float(theta_star(0.2))), 2)
    controls = {
        "alpha": w.FloatSlider(value=0.2, min=0.05, max=0.5, step=0.05, description="α"),
        "eps": w.FloatSlider(value=0.2, min=0.0, max=0.8, step=0.05, description="ε"),
        "gamma": w.FloatLogSlider(value=g_star, base=10, min=-1.3, max=1.0, step=0.05,
                                  description="γ"),
        "rule_pos": w.Dropdown(options=classes, value=pick("cat", 0), description="+1 class"),
        "rule_neg": w.Dropdown(options=classes, value=pick("dog", 1), description="−1 class"),
        "fact_class": w.Dropdown(options=classes, value=pick("automobile", 2),
                                 description="facts"),
    }

    def draw(fig, **v):
        return explore(fig, data=data, seed=seed, **v)

    return Explorer(controls, draw)
