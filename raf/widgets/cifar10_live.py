"""The CIFAR10-RAF explorer on recorded results (chapter ``cifar10_raf``, paper Fig. 5).

A browser has no CIFAR-10, so the live version of the chapter's explorer does not train
anything: it reads the kernel ridge regression errors the book's build measured
(:func:`record`, written by the chapter into its results) and draws them next to the
Gaussian-RAF theory, which it computes at any ridge ``lambda`` (:func:`raf.theory.erm`, THEORY §3, §7).

- :func:`record` -- the measured curves of a :class:`raf.cifar.CIFAR10RAFErrors` (RBF kernels)
  as a JSON-ready dict;
- :func:`load` / :func:`fetch_results` -- read it back (a dict, a path, JSON text, or a URL
  fetched from the page under Pyodide);
- :func:`explorer_curves` -- the numbers the explorer draws (no plotting);
- :func:`cifar10_results_explorer` -- the explorer: bandwidth and ``lambda`` sliders.
"""

from __future__ import annotations

import json

import numpy as np

from raf._validation import check_int, check_range

__all__ = ["record", "load", "fetch_results", "explorer_curves", "cifar10_results_explorer"]

_KEYS = ("alpha", "eps", "n", "repeats", "gamma_star", "bandwidths", "gammas", "lams",
         "e_gen", "e_mem", "e_gen_sem", "e_mem_sem")


def _first(v):
    """A setting of a result (a string, or a number broadcast over the grid) as a plain value."""
    return v if isinstance(v, str) else np.asarray(v).flat[0].item()


def record(res, *, gamma_star):
    """The RBF rows of a :func:`raf.cifar.cifar10_raf_errors` result as a JSON-serialisable dict.

    Keys: ``alpha, eps, n, repeats, loss, rule_classes, fact_class, gamma_star``;
    ``gammas`` and ``bandwidths`` (``gamma / gamma_star``) of the RBF kernels; ``lams``;
    ``e_gen, e_mem`` (mean over repeats) and ``e_gen_sem, e_mem_sem`` (standard error of the
    mean), each a list of one list per kernel.
    """
    family = np.asarray(res.kernel)
    family = family[:, 0] if family.ndim == 2 else family
    gamma = np.asarray(res.gamma, dtype=float)
    gamma = gamma[:, 0] if gamma.ndim == 2 else gamma
    lams = np.asarray(res.lam, dtype=float)
    lams = lams[0] if lams.ndim == 2 else lams
    rbf = np.flatnonzero(family == "rbf")
    rule = _first(res.rule_classes)
    out = {
        "alpha": float(_first(res.alpha)), "eps": float(_first(res.eps)), "n": int(_first(res.n)),
        "repeats": int(np.shape(res.e_gen_repeats)[-1]), "loss": str(_first(res.loss)),
        "rule_classes": rule.split("/") if isinstance(rule, str) else list(rule),
        "fact_class": str(_first(res.fact_class)), "gamma_star": float(gamma_star),
        "gammas": gamma[rbf].tolist(), "bandwidths": (gamma[rbf] / float(gamma_star)).tolist(),
        "lams": lams.tolist(),
    }
    for name in ("e_gen", "e_mem"):
        out[name] = np.asarray(getattr(res, name), dtype=float)[rbf].tolist()
        out[name + "_sem"] = np.nan_to_num(np.asarray(getattr(res, name + "_sem"), dtype=float)[rbf]).tolist()
    return out


def load(source):
    """Recorded results from a dict, a JSON string or the path of a JSON file; checked."""
    if isinstance(source, dict):
        data = source
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        data = json.loads(source)
    else:
        with open(source, encoding="utf-8") as f:
            data = json.load(f)
    missing = [k for k in _KEYS if k not in data]
    if missing:
        raise ValueError(f"The 'source' parameter must hold recorded CIFAR10-RAF results with the keys "
                         f"{', '.join(_KEYS)}. Missing: {', '.join(missing)}.")
    shape = (len(data["gammas"]), len(data["lams"]))
    for name in ("e_gen", "e_mem", "e_gen_sem", "e_mem_sem"):
        if np.shape(data[name]) != shape:
            raise ValueError(f"The recorded '{name}' must have the shape (kernels, ridges) = {shape}. "
                             f"Got {np.shape(data[name])} instead.")
    return data


async def fetch_results(url):
    """Fetch recorded results from ``url`` (in the browser, with Pyodide's ``pyfetch``)."""
    try:
        from pyodide.http import pyfetch
    except ImportError:  # a desktop Python: a plain download (or a local path)
        import urllib.request

        with urllib.request.urlopen(url) as r:
            return load(r.read().decode("utf-8"))
    response = await pyfetch(url)
    if not response.ok:
        raise OSError(f"could not fetch the recorded CIFAR10-RAF results from {url} "
                      f"(HTTP {response.status})")
    return load(await response.string())


def explorer_curves(results, bandwidth, lam, *, n_lam=60):
    """The numbers drawn by the explorer at kernel index ``bandwidth`` and ridge ``lam``.

    Returns
    -------
    dict
        ``gamma``, ``bandwidth`` (``gamma/gamma*``), ``mu1``, ``mustar``, ``theta`` of the kernel;
        ``lams`` and the measured ``e_gen``, ``e_mem``, ``e_gen_sem``, ``e_mem_sem`` along them;
        ``lam_dense`` and the theory ``theory_e_gen``, ``theory_e_mem`` along it; at the chosen
        ridge ``theory_e_gen_at``, ``theory_e_mem_at``; at the recorded ridge nearest to it (in
        log scale) ``lam_near``, ``cifar_e_gen_at``, ``cifar_e_mem_at``; and the inputs.
    """
    from raf.kernels import RBF
    from raf.theory import erm

    data = load(results)
    k = check_int("bandwidth", bandwidth, low=0)
    if k >= len(data["gammas"]):
        raise ValueError(f"The 'bandwidth' parameter must be the index of a recorded kernel, in the range "
                         f"[0, {len(data['gammas']) - 1}]. Got {k} instead.")
    lams = np.asarray(data["lams"], dtype=float)
    lam = float(check_range("lam", lam, 0.0, low_open=True))
    gamma = float(data["gammas"][k])
    mu1, mustar = (float(v) for v in RBF.coefficients(gamma))
    alpha, eps = float(data["alpha"]), float(data["eps"])
    dense = np.geomspace(lams[0], lams[-1], n_lam)
    th = erm(alpha, eps, np.append(dense, lam), loss="square", mu1=mu1, mustar=mustar)
    j = int(np.argmin(np.abs(np.log(lams) - np.log(lam))))
    row = {name: np.asarray(data[name][k], dtype=float) for name in ("e_gen", "e_mem", "e_gen_sem", "e_mem_sem")}
    return {
        "alpha": alpha, "eps": eps, "n": int(data["n"]), "repeats": int(data["repeats"]),
        "lam": lam, "gamma": gamma, "bandwidth": float(data["bandwidths"][k]),
        "mu1": mu1, "mustar": mustar, "theta": float(np.arctan2(mustar, mu1)),
        "lams": lams, **row,
        "lam_dense": dense, "theory_e_gen": th.e_gen[:-1], "theory_e_mem": th.e_mem[:-1],
        "theory_e_gen_at": float(th.e_gen[-1]), "theory_e_mem_at": float(th.e_mem[-1]),
        "lam_near": float(lams[j]), "cifar_e_gen_at": float(row["e_gen"][j]),
        "cifar_e_mem_at": float(row["e_mem"][j]),
    }


READOUT = {
    "theory_e_gen_at": ("theory E_gen", ".4f"),
    "theory_e_mem_at": ("theory E_mem", ".4f"),
    "lam_near": ("CIFAR10-RAF at λ", ".2g"),
    "cifar_e_gen_at": ("E_gen", ".4f"),
    "cifar_e_mem_at": ("E_mem", ".4f"),
}


def cifar10_results_explorer(results, *, bandwidth=None, lam=None):
    """Sliders for the RBF bandwidth (the recorded ones) and ``lambda`` over recorded results.

    ``results`` is what :func:`record` wrote (dict, path or JSON text). ``bandwidth`` is the
    index of a recorded kernel (default: the one closest to ``gamma*``), ``lam`` the ridge
    (default: the geometric middle of the recorded ones). Returns a
    :class:`raf.widgets.base.Explorer` whose ``state`` is :func:`explorer_curves`.
    """
    import ipywidgets as w

    from raf.plotting import LABELS, legend_above, simulation_points, theory_line, tradeoff_axes

    from .base import Explorer

    data = load(results)
    lams = np.asarray(data["lams"], dtype=float)
    if bandwidth is None:
        bandwidth = int(np.argmin(np.abs(np.log(data["bandwidths"]))))
    if lam is None:
        lam = float(np.sqrt(lams[0] * lams[-1]))
    options = [(f"{b:g} γ*", k) for k, b in enumerate(data["bandwidths"])]
    style = {"description_width": "initial"}
    controls = {
        "bandwidth": w.SelectionSlider(options=options, value=int(bandwidth), description="RBF γ",
                                       style=style, continuous_update=False),
        "lam": w.FloatLogSlider(value=lam, base=10, min=np.log10(lams[0]), max=np.log10(lams[-1]),
                                step=0.25, description="λ", readout_format=".1e", style=style,
                                continuous_update=False),
    }

    def draw(fig, *, bandwidth, lam):
        s = explorer_curves(data, bandwidth, lam)
        ax0, ax1 = fig.subplots(1, 2)
        label = rf"$\gamma={s['bandwidth']:g}\gamma^\star$ ($\theta={s['theta']:.2f}$)"
        tradeoff_axes(ax0)
        theory_line(ax0, s["theory_e_gen"], s["theory_e_mem"], color="C0", label="Gaussian RAF theory")
        simulation_points(ax0, s["e_gen"], s["e_mem"], xerr=s["e_gen_sem"], yerr=s["e_mem_sem"],
                          color="C1", label=f"CIFAR10-RAF, {s['repeats']} draws (± s.e.)")
        ax0.plot(s["theory_e_gen_at"], s["theory_e_mem_at"], "ko", ms=7, label=rf"theory at $\lambda={lam:.2g}$")
        legend_above(ax0, ncol=2, fontsize=8, title=label, title_fontsize=9)  # off the data
        theory_line(ax1, s["lam_dense"], s["theory_e_gen"], color="C0", label=r"theory $E_{\rm gen}$")
        theory_line(ax1, s["lam_dense"], s["theory_e_mem"], color="C3", label=r"theory $E_{\rm mem}$")
        simulation_points(ax1, s["lams"], s["e_gen"], yerr=s["e_gen_sem"], color="C0", mfc="white",
                          label=r"CIFAR10-RAF $E_{\rm gen}$")
        simulation_points(ax1, s["lams"], s["e_mem"], yerr=s["e_mem_sem"], color="C3", mfc="white",
                          label=r"CIFAR10-RAF $E_{\rm mem}$")
        ax1.axvline(lam, color="k", lw=1, ls=":")
        ax1.set_xscale("log")
        ax1.set_xlabel(LABELS["lam"])
        ax1.set_ylabel("error")
        ax1.set_ylim(bottom=0)
        legend_above(ax1, ncol=2, fontsize=8, title=" ", title_fontsize=9)  # rows level with ax0's
        # Fixed margins rather than tight_layout(): the layout does not change between redraws,
        # and tight_layout would lay out every text once more (half the cost of a redraw). The top
        # margin holds the two legends above the axes.
        fig.subplots_adjust(left=0.07, right=0.985, bottom=0.12, top=0.8, wspace=0.22)
        return s

    return Explorer(controls, draw, figsize=(10.5, 4.8), readout=READOUT)
