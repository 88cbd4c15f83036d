"""A look at one RAF data set: rule samples and facts (book chapter ``intro``).

The helpers here draw a Gaussian RAF training set (:func:`raf.data.sample`, THEORY §1)
in two dimensions and count what the learner cannot see:

- :func:`project` -- coordinates of every input along the teacher direction
  ``w*/|w*|`` and along one unit direction orthogonal to it. Both are exactly
  standard Gaussian whatever ``d``, so the picture does not depend on the dimension;
  the rule ``y = sign(w* . x)`` is the sign of the first coordinate.
- :func:`label_summary` -- number of facts, fraction of facts whose random label
  happens to agree with the rule (1/2 on average), fraction of all training labels
  that contradict the rule (``eps/2`` on average).
- :func:`label_fractions` -- the same fractions over a grid of ``eps`` and several
  seeds (mean and standard deviation across seeds).
- :func:`plot_sample` -- the scatter plot used in the chapter and in the explorer.
- :func:`intro_explorer` -- sliders for ``alpha``, ``eps`` and ``seed`` redrawing
  the scatter plot (an :class:`raf.widgets.base.Explorer`).
"""

from __future__ import annotations

import warnings

import numpy as np

from raf._validation import Integer, Interval, validated
from raf.data import sample

__all__ = ["project", "label_summary", "label_fractions", "plot_sample", "intro_explorer",
           "RULE_COLORS"]

#: Colour of each label, shared by rule samples and facts.
RULE_COLORS = {1.0: "tab:blue", -1.0: "tab:red"}


def project(data):
    """Coordinates of the inputs along the teacher and along one orthogonal direction.

    Parameters
    ----------
    data : raf.data.RAFData
        A training set.

    Returns
    -------
    t, u : arrays (n,)
        ``t = x . w*/|w*|`` (its sign is the rule label) and ``u = x . v``, with ``v``
        the first coordinate axis made orthogonal to ``w*`` and normalised. For
        Gaussian inputs ``t`` and ``u`` are independent standard Gaussians, whatever ``d``.
    """
    w = np.asarray(data.teacher, dtype=float)
    w_hat = w / np.linalg.norm(w)
    t = data.X @ w_hat
    v = np.zeros(w.size)
    v[0] = 1.0
    v -= (v @ w_hat) * w_hat
    norm = np.linalg.norm(v)
    if norm < 1e-12:  # d = 1, or a teacher along the first axis: no orthogonal direction there
        return t, np.zeros(data.n)
    return t, data.X @ (v / norm)


def label_summary(data):
    """What the labels of a RAF training set contain (THEORY §1).

    Returns
    -------
    dict
        ``n``, ``d``, ``n_facts`` (int); ``frac_facts`` (facts / n, mean ``eps``);
        ``facts_agree`` (fraction of the facts whose label equals ``sign(z)``, mean
        1/2; NaN without facts); ``facts_against`` (number of facts with
        ``y != sign(z)``); ``frac_against_rule`` (fraction of all labels with
        ``y != sign(z)``, mean ``eps/2``).
    """
    rule = np.where(data.z >= 0, 1.0, -1.0)
    against = data.y != rule
    n_facts = int(data.is_fact.sum())
    n_against = int(against.sum())
    return {
        "n": int(data.n),
        "d": int(data.d),
        "n_facts": n_facts,
        "frac_facts": n_facts / data.n,
        "facts_against": n_against,
        "facts_agree": (n_facts - n_against) / n_facts if n_facts else float("nan"),
        "frac_against_rule": n_against / data.n,
    }


@validated(eps_grid=Interval(0.0, 1.0))
def label_fractions(d, alpha, eps_grid, seeds):
    """Fractions of :func:`label_summary` over a grid of ``eps`` and seeds.

    Parameters
    ----------
    d : int >= 1
    alpha : float > 0
    eps_grid : 1-d array_like of floats in [0, 1]
    seeds : sequence of int
        Seed ``s`` at grid point ``i`` draws ``sample(d, alpha, eps_grid[i], seed=(s, i))``.

    Returns
    -------
    dict of arrays
        ``eps``; for each of ``frac_facts``, ``facts_agree``, ``frac_against_rule`` the
        mean, standard deviation and standard error of the mean across seeds (``<name>_mean``,
        ``<name>_std``, ``<name>_sem``; the spread uses ``ddof=1``, NaN with a single seed);
        ``facts_agree_pooled`` (facts agreeing with the rule / all facts, pooled over
        the whole grid and every seed) and ``n_facts_total`` (the pooled count).
    """
    eps_grid = np.atleast_1d(np.asarray(eps_grid, dtype=float))
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("The 'seeds' parameter must contain at least one seed. Got [] instead.")
    keys = ("frac_facts", "facts_agree", "frac_against_rule")
    table = {k: np.full((eps_grid.size, len(seeds)), np.nan) for k in keys}
    n_facts = n_against = 0
    for i, eps in enumerate(eps_grid):
        for j, s in enumerate(seeds):
            summ = label_summary(sample(d, alpha, eps, seed=(s, i)))
            for k in keys:
                table[k][i, j] = summ[k]
            n_facts += summ["n_facts"]
            n_against += summ["facts_against"]
    out = {"eps": eps_grid}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # eps = 0: no facts, NaN columns
        for k in keys:
            out[k + "_mean"] = np.nanmean(table[k], axis=1)
            count = np.sum(~np.isnan(table[k]), axis=1)
            std = (np.nanstd(table[k], axis=1, ddof=1) if len(seeds) > 1
                   else np.full(eps_grid.size, np.nan))
            out[k + "_std"] = std
            out[k + "_sem"] = std / np.sqrt(np.maximum(count, 1))
    out["n_facts_total"] = n_facts
    out["facts_agree_pooled"] = (n_facts - n_against) / n_facts if n_facts else float("nan")
    return out


def plot_sample(ax, data, *, legend=True):
    """Scatter plot of a RAF training set in the (teacher, orthogonal) plane.

    Rule samples are dots, facts are crosses, both coloured by their label; facts whose
    label contradicts the rule get a black ring. The vertical line is the rule's
    boundary ``w* . x = 0``: right of it the rule says +1.

    Returns the :func:`label_summary` of ``data``.
    """
    t, u = project(data)
    summ = label_summary(data)
    rule = np.where(data.z >= 0, 1.0, -1.0)
    fact = data.is_fact
    for lab, sign in ((1.0, "+1"), (-1.0, "-1")):
        sel = ~fact & (data.y == lab)
        ax.scatter(t[sel], u[sel], s=14, color=RULE_COLORS[lab], alpha=0.55, lw=0,
                   label=f"rule, $y={sign}$")
    for lab, sign in ((1.0, "+1"), (-1.0, "-1")):
        sel = fact & (data.y == lab)
        ax.scatter(t[sel], u[sel], s=55, marker="X", color=RULE_COLORS[lab], edgecolor="k",
                   lw=0.5, label=f"fact, $y={sign}$")
    bad = fact & (data.y != rule)
    ax.scatter(t[bad], u[bad], s=150, facecolors="none", edgecolors="k", lw=1.0,
               label=f"fact against the rule ({summ['facts_against']})")
    ax.axvline(0.0, color="0.3", lw=1, ls="--")
    lim = max(3.5, float(np.max(np.abs(np.concatenate([t, u])))) + 0.3) if data.n else 3.5
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel(r"teacher direction $x\cdot w^\star/\|w^\star\|$")
    ax.set_ylabel(r"orthogonal direction $x\cdot v$")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, borderaxespad=0.0)
    return summ


@validated(d=Integer(1), alpha=Interval(0.5, 8.0), eps=Interval(0.0, 1.0), seed=Integer(0))
def intro_explorer(*, d=50, alpha=4.0, eps=0.3, seed=0):
    """Sliders ``alpha``, ``eps``, ``seed`` -> the scatter plot of a RAF sample.

    The dimension ``d`` is fixed (the picture's distribution does not depend on it:
    both coordinates are standard Gaussian). ``state`` holds the
    :func:`label_summary` of the drawn set plus ``alpha``, ``eps``, ``seed`` and the
    expectations ``expected_facts = eps n`` and ``expected_against = eps n / 2``.
    """
    import ipywidgets as w

    from .base import Explorer

    alpha, eps = float(alpha), float(eps)
    style = {"description_width": "initial"}
    controls = {
        "alpha": w.FloatSlider(value=alpha, min=0.5, max=8.0, step=0.5, description="α = n/d",
                               style=style, continuous_update=False),
        "eps": w.FloatSlider(value=eps, min=0.0, max=1.0, step=0.05, description="ε (facts)",
                             style=style, continuous_update=False),
        "seed": w.IntSlider(value=seed, min=0, max=20, description="seed", style=style,
                            continuous_update=False),
    }

    def draw(fig, *, alpha, eps, seed):
        data = sample(d, alpha, eps, seed=seed)
        ax = fig.add_axes([0.1, 0.13, 0.5, 0.8])
        summ = plot_sample(ax, data)
        agree = summ["facts_agree"]
        agree_txt = "—" if np.isnan(agree) else f"{agree:.2f}"
        fig.text(0.63, 0.12,
                 f"$d={d}$, $n={summ['n']}$\n"
                 f"facts: {summ['n_facts']} (expected {eps * summ['n']:.0f})\n"
                 f"facts agreeing with the rule: {agree_txt}\n"
                 f"labels against the rule: {summ['frac_against_rule']:.3f}\n"
                 f"    (expected $\\varepsilon/2={eps / 2:.3f}$)",
                 fontsize=9, va="bottom")
        return summ | {"alpha": float(alpha), "eps": float(eps), "seed": int(seed),
                       "expected_facts": eps * summ["n"], "expected_against": eps * summ["n"] / 2}

    return Explorer(controls, draw, figsize=(8.4, 4.6))
