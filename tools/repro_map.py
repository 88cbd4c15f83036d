#!/usr/bin/env python
"""The reproduction map: one row for every item of the paper, built from the chapters' results.

What the paper states about each item (what it shows, its parameters, where the extracted text lost
them, which book figure reproduces it) is data, in ``book/reproduction_items.yaml``. What the book
did (its parameters, the measured agreement) is read from the results each chapter records when it
is executed (``_build/executed/<mode>/<chapter>.results.json``, the convention of
``tests/booktools.py``), by one *metric* function per item below. ``tools/build_book.py`` calls
:func:`markdown` when it stages the book, so the page always shows the run it belongs to.

A metric that does not find a result it needs raises :class:`MissingResult` naming the chapter and
the key. ``markdown(strict=False)`` (the build) turns that into a row saying what is missing;
``strict=True`` (the tests) lets it propagate.

Usage::

    python tools/repro_map.py [--quick] [--strict]     # print the table for the cached results
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ITEMS_FILE = ROOT / "book" / "reproduction_items.yaml"

#: Every item of the paper: the 16 figures, Table 1 (App. D.1) and the unnumbered table under Fig. 3.
PAPER_ITEMS = tuple(f"Fig. {k}" for k in range(1, 17)) + ("Table 1", "Table under Fig. 3")

SIMULATION_KINDS = {False: "none", "gaussian": "Gaussian RAF, finite d", "cifar10": "CIFAR10-RAF images"}

__all__ = ["PAPER_ITEMS", "MissingResult", "Results", "Row", "load_items", "build_rows", "markdown",
           "deviations", "METRICS"]


class MissingResult(LookupError):
    """A chapter did not record a result that a row of the map needs."""


def _rel(path: Path) -> str:
    """``path`` relative to the repository (the page must not show the build machine's paths)."""
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return Path(path).name


class Results:
    """The recorded results of every chapter in one folder, with errors that name what is missing."""

    def __init__(self, folder: Path | str, available=None):
        self.folder = Path(folder)
        self.available = None if available is None else set(available)
        self._cache: dict[str, dict] = {}

    def chapter(self, name: str) -> dict:
        if self.available is not None and name not in self.available:
            raise MissingResult(f"chapter {name!r} has no executed page in this build")
        if name not in self._cache:
            path = self.folder / f"{name}.results.json"
            if not path.is_file():
                raise MissingResult(f"chapter {name!r} has no recorded results ({_rel(path)} does not "
                                    f"exist; execute the chapter first)")
            self._cache[name] = json.loads(path.read_text(encoding="utf-8"))
        return self._cache[name]

    def get(self, chapter: str, *keys):
        """``results[k1][k2]...`` of ``chapter``; :class:`MissingResult` names the missing key."""
        value = self.chapter(chapter)
        for i, key in enumerate(keys):
            if not isinstance(value, dict) or key not in value:
                path = ".".join(str(k) for k in keys[: i + 1])
                raise MissingResult(f"chapter {chapter!r} recorded no result {path!r} "
                                    f"(in {_rel(self.folder / (chapter + '.results.json'))})")
            value = value[key]
        return value

    def has(self, chapter: str) -> bool:
        return (self.folder / f"{chapter}.results.json").is_file()


# --------------------------------------------------------------------------------------------
# Agreement measures


def deviations(mean, sem, theory, *, floor=None):
    """Distance of simulated means from the theory, in standard errors (:func:`raf.compare.deviation`,
    the one measure of the book; ``floor`` defaults to its ``DEFAULT_FLOOR``)."""
    from raf.compare import DEFAULT_FLOOR, deviation

    out = deviation(mean, sem, theory, floor=DEFAULT_FLOOR if floor is None else floor)
    return [float(v) for v in out]


def _num(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    if float(x).is_integer() and abs(x) < 1e6:
        text = str(int(x))
    else:
        text = f"{x:.{digits}g}"
    return text.replace("-", "−")  # a typographic minus, as in the paper


def _signed(x: float) -> str:
    return f"{x:+.4f}".replace("-", "−")


def _set(values, digits=3) -> str:
    return "{" + ", ".join(_num(float(v), digits) for v in values) + "}"


def _z_text(zs, what: str) -> str:
    if any(math.isnan(z) for z in zs):
        return f"a simulated or theory point did not converge ({what})"
    return f"largest deviation {_num(max(zs), 2)} standard errors over {len(zs)} points ({what})"


def _pt_deviation_text(devs: dict, prefix: str, what: str) -> str:
    sel = {k: v for k, v in devs.items() if k.startswith(prefix)}
    if not sel:
        raise MissingResult(f"chapter 'perceptron_tradeoff' recorded no deviation whose name starts "
                            f"with {prefix!r} (keys: {sorted(devs)})")
    worst = max(sel.values())
    if math.isnan(worst):
        return f"a simulated or theory point did not converge ({what})"
    return (f"largest deviation {_num(worst, 2)} standard errors over {len(sel)} simulated curves "
            f"({what}; both errors, standard error floored at one fact)")


# --------------------------------------------------------------------------------------------
# One metric per item: (the book's parameters, the measured agreement)

METRICS = {}


def metric(name):
    def register(fn):
        METRICS[name] = fn
        return fn
    return register


PT, KA, BO, LA, CF = "perceptron_tradeoff", "kernel_angle", "bayes_optimal", "large_alpha_rates", "cifar10_raf"
FS = "finite_size"


def _flat(x):
    """Nested lists of numbers as one flat list."""
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [float(x)]


def _fs(r, part, pairs, what):
    """The finite-size chapter's simulations of one paper figure: ``pairs`` of (mean, sem, theory)
    keys of ``results[part]``, measured in standard errors, each error on its own.

    A memorization error is floored at one fact where the chapter records that resolution
    (``floor``); otherwise at :data:`raf.compare.DEFAULT_FLOOR`, and the text says so, since a
    point where every data set stored every fact then counts against a theory value below one
    fact."""
    res = r.get(FS, part)
    parts = []
    for mean, sem, theory, *name in pairs:
        for key in (mean, sem, theory):
            if key not in res:
                raise MissingResult(f"chapter {FS!r} recorded no result '{part}.{key}'")
        memorization = "mem" in mean
        floor = res.get("floor") if memorization else None
        zs = deviations(_flat(res[mean]), _flat(res[sem]), _flat(res[theory]), floor=floor)
        label = name[0] if name else ("E_mem" if memorization else "E_gen")
        text = _z_text(zs, label)
        if memorization and floor is None and max(zs) > 3:
            text += " (zero spread where every data set stored every fact; not floored at one fact)"
        parts.append(text)
    d = res.get("d", "?")
    return f"simulations at d = {d} (chapter {FS}, {what}): " + "; ".join(parts)


def _point_rows(p, rows=None, cols=None):
    """(mean, sem, theory, floor) of both errors of one recorded set of simulation points of
    :mod:`raf.figure_points` (chapters kernel_angle, perceptron_tradeoff), flattened, for the rows
    (angles or alphas) and columns (ridges) selected; the standard error is floored at one test
    input (E_gen) and at one fact of the point's alpha (E_mem) over the seeds."""
    from raf.compare import resolution

    def pick(values):
        arr = [v if isinstance(v, list) else [v] for v in values]
        return [x for i, row in enumerate(arr) if rows is None or i in rows
                for j, x in enumerate(row) if cols is None or j in cols]

    S = p["n_seeds"]
    alphas = p["alpha"] if isinstance(p["alpha"], list) else [p["alpha"]] * len(p["e_gen"])
    d = p["d"]
    width = len(p["e_gen"][0]) if isinstance(p["e_gen"][0], list) else 1
    facts = pick([[resolution(max(round(p["eps"] * a * d), 1), S)] * width for a in alphas])
    out = {}
    for key in ("e_gen", "e_mem"):
        floor = [resolution(p["n_test"], S)] * len(facts) if key == "e_gen" else facts
        out[key] = (pick(p[key]), pick(p[key + "_sem"]), pick(p["theory_" + key]), floor)
    return out


def _points_text(sets, what: str) -> str:
    """The largest deviation of each error over ``sets`` (a list of :func:`_point_rows` outputs)."""
    from raf.compare import deviation

    parts = []
    for key, name in (("e_gen", "E_gen"), ("e_mem", "E_mem")):
        zs = [float(deviation(m, s, t, floor=f)) for rows in sets
              for m, s, t, f in zip(*rows[key])]
        parts.append(_z_text(zs, name))
    return f"{what}: " + "; ".join(parts) + " (standard error floored at one test input, one fact)"


def _ka_points(r, eps, alpha=None, cols=None, angles=None):
    """The recorded point sets of chapter kernel_angle at ``eps`` (and ``alpha``), by loss."""
    out = []
    for p in r.get(KA, "points").values():
        if abs(p["eps"] - eps) > 1e-12 or (alpha is not None and abs(p["alpha"] - alpha) > 1e-12):
            continue
        rows = None
        if angles is not None:
            rows = [i for i, t in enumerate(p["theta"]) if any(abs(t - a) < 1e-9 for a in angles[p["loss"]])]
        out.append((p, _point_rows(p, rows, cols)))
    if not out:
        raise MissingResult(f"chapter {KA!r} recorded no simulation points at eps = {eps}, alpha = {alpha}")
    return out


def _ka_points_setting(sets) -> str:
    by_loss = {}
    for p, _ in sets:
        by_loss.setdefault(p["loss"], set()).add((p["alpha"], p["d"]))
    name = {"square": "KRR", "hinge": "SVM"}
    parts = [f"{name[loss]} " + ", ".join(f"α = {_num(a)} at d = {d}" for a, d in sorted(v))
             for loss, v in by_loss.items()]
    n = {p["n_seeds"] for p, _ in sets}
    return f"centred RBF kernels realising each angle, {'/'.join(map(str, sorted(n)))} data sets: " + "; ".join(parts)


def _pt_setting(r: Results) -> str:
    return (f"α = {_num(r.get(PT, 'alpha'))}, ε = {_num(r.get(PT, 'eps'))}; simulations at d = "
            f"{r.get(PT, 'd')}, {r.get(PT, 'n_seeds')} data sets per point")


TLN = "two_layer_network"


@metric("two_layer")
def _two_layer(r):
    """Beyond the paper: the frozen network against the random-features theory, and the fitted rates."""
    chk = r.get(TLN, "check")
    devs = [deviations(chk[k]["sim"], chk[k]["se"], chk[k]["theory"]) for k in ("e_gen", "e_mem")]
    fits = r.get(TLN, "rates")["fits"]
    slopes = "; ".join(f"{name} {_signed(f['slope'])} ± {_num(f['stderr'], 2)}" for name, f in fits.items())
    setting = (f"α = {_num(r.get(TLN, 'alpha'))}, ε = {_num(r.get(TLN, 'eps'))}, d = {r.get(TLN, 'd')}, "
               f"{r.get(TLN, 'n_seeds')} data sets, {r.get(TLN, 'loss')} loss")
    agreement = (f"first layer frozen vs random-features theory (d = {chk['d']}): "
                 f"{_z_text(devs[0], 'E_gen')}; {_z_text(devs[1], 'E_mem')}. "
                 f"Fitted slopes of E_gen at E_mem ≈ 0 against α (over seeds): {slopes}")
    return setting, agreement


@metric("finite_size_scaling")
def _finite_size_scaling(r):
    """Beyond the paper: the extrapolations E_inf (fit E_inf + c/d) against the theory, in their
    own standard errors (the issue asks for at most two)."""
    studies = r.get(FS, "studies")
    d = r.get(FS, "d_values")
    parts = []
    for name, st in studies.items():
        for key in ("e_inf", "e_inf_sem", "theory", "z", "seeds"):
            if key not in st:
                raise MissingResult(f"chapter {FS!r} recorded no result 'studies.{name}.{key}'")
        parts.append(f"{name}: E∞ = {_num(st['e_inf'][0], 4)} ± {_num(st['e_inf_sem'][0], 2)} against "
                     f"{_num(st['theory'][0], 4)} ({_num(st['z'][0], 2)} s.e.)")
    zmax = max(abs(z) for st in studies.values() for z in st["z"])
    setting = (f"d = {', '.join(str(x) for x in d)}; {', '.join(str(x) for x in next(iter(studies.values()))['seeds'])} "
               "seeds; ε = 0.2")
    return setting, "; ".join(parts) + f". Largest deviation over all ridges: {_num(zmax, 2)} s.e."


@metric("fig1")
def _fig1(r):
    return _pt_setting(r), _pt_deviation_text(r.get(PT, "deviations"), "fig1 ", "linear model and ReLU kernel, both losses")


@metric("fig2")
def _fig2(r):
    params = f"{_pt_setting(r)}; widths κ ∈ {_set(r.get(PT, 'rf_kappas'))}"
    return params, _pt_deviation_text(r.get(PT, "deviations"), "RF ", "erf with square loss, ReLU with hinge loss")


def _fig3_compare(r):
    table, paper = r.get(KA, "fig3_table"), r.get(KA, "fig3_table_paper")
    flat = [(float(t), float(p)) for row_t, row_p in zip(table, paper, strict=True)
            for t, p in zip(row_t, row_p, strict=True)]
    n_same = sum(abs(round(t, 4) - p) < 1e-9 for t, p in flat)
    return max(abs(t - p) for t, p in flat), n_same, len(flat)


@metric("fig3")
def _fig3(r):
    params = f"α ∈ {_set(r.get(KA, 'alphas'))}, ε = {_num(r.get(KA, 'eps'))}"
    diff, n_same, n = _fig3_compare(r)
    sets = _ka_points(r, float(r.get(KA, "eps")), cols=[0, 1])
    sims = _points_text([rows for _, rows in sets], "simulations (chapter kernel_angle) of KRR and the SVM at "
                        "λ→0⁺ and at each kernel's λ_opt; " + _ka_points_setting(sets))
    return params, (f"the values read off these curves (the table beneath) match the printed ones to "
                    f"{_num(diff, 2)}; {sims}")


@metric("fig3_table")
def _fig3_table(r):
    params = f"α ∈ {_set(r.get(KA, 'alphas'))}, ε = {_num(r.get(KA, 'eps'))}"
    diff, n_same, n = _fig3_compare(r)
    return params, (f"against the printed values: largest difference {_num(diff, 2)} (printed to four "
                    f"decimals, so rounding alone allows 5e−05); {n_same} of {n} entries round to the "
                    f"printed value")


def _ka_curve_setting(r):
    return f"α = {_num(r.get(KA, 'sim', 'alpha'))}, ε = {_num(r.get(KA, 'eps'))}"


@metric("fig4")
def _fig4(r):
    alphas = r.get(KA, "alphas")
    a = float(r.get(KA, "sim", "alpha"))
    k = min(range(len(alphas)), key=lambda i: abs(float(alphas[i]) - a))
    params = (f"{_ka_curve_setting(r)}; θ* = {_num(r.get(KA, 'theta_star'), 4)}, SVM's best angle "
              f"θ = {_num(r.get(KA, 'theta_svm_opt')[k], 3)}, framed by θ = 0.3 and 1.3")
    sets = _ka_points(r, float(r.get(KA, "eps")), alpha=a, angles=r.get(KA, "angles_fig4"))
    return params, _points_text([rows for _, rows in sets], "simulations (chapter kernel_angle) on the "
                                "curves of both losses at λ→0⁺, λ_opt and further ridges; " + _ka_points_setting(sets))


@metric("fig5")
def _fig5(r):
    params = (f"theory: {_ka_curve_setting(r)}, γ* = {_num(r.get(KA, 'gamma_star'), 4)}; CIFAR10-RAF: "
              f"α = {_num(r.get(CF, 'alpha'))}, ε = {_num(r.get(CF, 'eps'))}, n = {r.get(CF, 'n')}, "
              f"{r.get(CF, 'repeats')} draws, γ/γ* ∈ {_set(r.get(CF, 'bandwidths'))}")
    e_mem0 = max(r.get(CF, "krr_e_mem_at_lam_min"))
    return params, (f"qualitative, as in the paper: best CIFAR10-RAF E_gen "
                    f"{_num(r.get(CF, 'krr_best_e_gen_overall'))} against the Gaussian theory's best "
                    f"interpolating {_num(r.get(CF, 'theory_square_e_gen_lam0_min'))}; every bandwidth stores "
                    f"the facts at the smallest ridge (largest E_mem {_num(e_mem0, 2)})")


def _seeds_text(n_seeds) -> str:
    """'8 data sets' or, when the points differ, '8 to 48 data sets per point'."""
    counts = sorted({int(n) for n in (n_seeds if isinstance(n_seeds, list) else [n_seeds])})
    return (f"{counts[0]} data sets" if len(counts) == 1
            else f"{counts[0]} to {counts[-1]} data sets per point")


@metric("fig6")
def _fig6(r):
    sim, ridge = r.get(LA, "sim"), r.get(LA, "ridge_sim")
    params = (f"ε = {_num(r.get(LA, 'eps'))}, α up to {_num(r.get(LA, 'alpha_max'))}; simulations: KRR, "
              f"{sim['kernel']} kernel, λ = {_num(sim['lam'])}, d = {sim['d']}, {sim['n_seeds']} data sets, "
              f"α ∈ {_set(sim['alphas'])}; the linear model (ridge regression, λ = {_num(ridge['lam'])}) in its "
              f"primal, d = {ridge['d']}, {_seeds_text(ridge['n_seeds'])}, α ∈ {_set(ridge['alphas'])}")
    zs = deviations(sim["mean"], sim["sem"], sim["theory"])
    zr = deviations(ridge["mean"], ridge["sem"], ridge["theory"])
    return params, (f"{_z_text(zs, 'KRR simulations')}; {_z_text(zr, 'linear model up to α = 1000')}; "
                    f"simulated slope of the linear model {_num(ridge['slope'], 3)} ± "
                    f"{_num(ridge['slope_sem'], 2)} (theory on the same points "
                    f"{_num(ridge['slope_theory_same_window'], 3)}); fitted slopes on the last decade: "
                    f"Bayes-optimal {_num(r.get(LA, 'bo_slope'), 5)} (theory −1), KRR "
                    f"{_num(r.get(LA, 'krr_slope'), 5)} (theory −1/2)")


@metric("fig7")
def _fig7(r):
    eps1 = r.get(BO, "bo_eps1_row")
    c_bo, prod = r.get(BO, "c_bo"), r.get(BO, "alpha_times_e_bo_at_max")
    rel = max(abs(p / c - 1.0) for p, c in zip(prod, c_bo, strict=True))
    params = f"ε ∈ [0, 1], α ∈ [0.1, 100]; curves at ε ∈ {_set(r.get(BO, 'eps_curves'))}"
    return params, (f"theory only (no finite-size Bayes-optimal learner); checks: E_BO = 1/2 on the "
                    f"ε = 1 edge to {_num(max(abs(v - 0.5) for v in eps1), 1)}, α·E_BO at "
                    f"α = {_num(r.get(BO, 'alpha_max'))} equals C(ε) to {_num(rel, 1)}")


@metric("fig8")
def _fig8(r):
    eps_c = r.get(PT, "alpha_c_curve", "eps")
    f8 = r.get(PT, "fig8")
    pts = f8["points"]
    desc = "; ".join(f"{'least squares' if p['loss'] == 'square' else 'SVM'} at λ = {_num(p['lam'])}, "
                     f"ε = {_num(p['eps'])}, α ∈ {_set(p['alpha'])}" for p in pts.values())
    params = (f"α_c(ε) for ε ∈ [{_num(min(eps_c))}, {_num(max(eps_c))}], α_c(0.2) = "
              f"{_num(r.get(PT, 'alpha_c_0.2'), 4)}; simulations at d = {f8['d']}, {f8['n_seeds']} data sets: {desc}")
    sims = _points_text([_point_rows(p | {"n_seeds": f8["n_seeds"], "n_test": f8["n_test"], "d": f8["d"]})
                         for p in pts.values()],
                        "simulations (chapter perceptron_tradeoff) across α = 1 and α_c(0.2)")
    return params, f"{sims}; α_c(1) = {_num(r.get(PT, 'alpha_c_1'), 6)} (exact value 2)"


@metric("fig9")
def _fig9(r):
    eps_l, slopes_l = r.get(LA, "svm_linear_eps"), r.get(LA, "svm_linear_slopes")
    th, slopes = r.get(LA, "svm_thetas"), r.get(LA, "svm_slopes")
    sim = r.get(LA, "svm_sim")
    runs = sim["runs"]
    alphas = sorted({a for run in runs for a in run["alphas"]})
    params = (f"linear model, ε ∈ {_set(eps_l)}; kernels at ε = {_num(r.get(LA, 'eps'))}, θ ∈ {_set(th)}; "
              f"simulations: the linear SVM at the theory's optimal ridge in its primal, ε ∈ "
              f"{_set(sim['eps'])}, d = {sim['d']}, {_seeds_text(sim['n_seeds'])}, α ∈ {_set(alphas)}")
    zs = [z for run in runs for z in deviations(run["mean"], run["sem"], run["theory"])]
    fitted = ", ".join(f"ε = {_num(run['eps'])}: {_num(run['slope'], 3)} ± {_num(run['slope_sem'], 2)} "
                       f"(theory {_num(run['slope_theory_same_window'], 3)})" for run in runs)
    parts = [f"ε = {_num(e)}: {_num(s, 3)}" for e, s in zip(eps_l, slopes_l, strict=True)]
    parts += [f"θ = {_num(t)}: {_num(s, 3)}" for t, s in zip(th, slopes, strict=True)]
    return params, (f"{_z_text(zs, 'linear SVM')}; simulated slopes on α ≥ {_num(sim['fit_from'])}: {fitted}; "
                    "theory, fitted slopes on the last decade (the paper conjectures −1/2): " + ", ".join(parts))


@metric("fig10")
def _fig10(r):
    fam = r.get(KA, "family_params_at_theta_star")
    params = f"ε from 0 to 0.9; at ε = {_num(r.get(KA, 'eps'))}: " + ", ".join(
        f"{k} {_num(v, 4)}" for k, v in fam.items())
    return params, "theory only; the printed values are lost in the extracted text"


@metric("fig11")
def _fig11(r):
    a = float(r.get(KA, "sim", "alpha"))
    sets = _ka_points(r, float(r.get(KA, "eps")), alpha=a)
    angles = sorted({round(t, 3) for p, _ in sets for t in p["theta"]})
    return (f"{_ka_curve_setting(r)}; angles in [0.1, 1.45], those simulated ({_set(angles)}) and "
            f"θ* = {_num(r.get(KA, 'theta_star'), 4)}",
            _points_text([rows for _, rows in sets], "simulations (chapter kernel_angle) on the curves of "
                         "the simulated angles, both losses; " + _ka_points_setting(sets)))


@metric("fig12")
def _fig12(r):
    sets = _ka_points(r, float(r.get(KA, "eps_other")))
    return (f"α ∈ {_set(r.get(KA, 'alphas'))}, ε = {_num(r.get(KA, 'eps_other'))} (our choice), "
            f"θ* = {_num(r.get(KA, 'theta_star_other'), 4)}",
            _points_text([rows for _, rows in sets], "simulations (chapter kernel_angle) of KRR and the SVM "
                         "at λ→0⁺ and λ_opt; " + _ka_points_setting(sets)))


@metric("fig13")
def _fig13(r):
    sim = r.get(KA, "sim")
    n = len(sim["seeds"])
    params = (f"{_ka_curve_setting(r)}; d = {sim['d']}, {n} data sets, λ ∈ {_set(sim['lams'])}; "
              f"RBF at γ* = {_num(r.get(KA, 'gamma_star'), 4)} (KRR) and γ = {_num(r.get(KA, 'gamma_svm'), 4)} "
              f"(SVM), each with a truncated quadratic of the same (μ1, μ*)")
    dev = r.get(KA, "sim", "deviation")  # the chapter's own measure, per loss and kernel
    try:
        worst = [max(v["max_dev_e_gen"], v["max_dev_e_mem"]) for v in dev.values()]
        offset = sum(v["mean_e_gen_minus_theory"] for v in dev.values()) / len(dev)
    except KeyError as exc:
        raise MissingResult(f"chapter 'kernel_angle' recorded no result 'sim.deviation.*.{exc.args[0]}'") from exc
    n_points = 2 * len(dev) * len(sim["lams"])
    return params, (f"largest deviation {_num(max(worst), 2)} standard errors over {n_points} points "
                    f"(E_gen and E_mem, two losses, two kernels; standard error floored at one fact); "
                    f"mean E_gen offset simulation − theory {_signed(offset)} (finite-size bias)")


@metric("fig14")
def _fig14(r):
    q = r.get(CF, "quad")
    try:
        rq, gap, em, em_rbf = q["repeats"], q["gap_narrow"], q["e_mem_lam_max"], q["e_mem_lam_max_rbf"]
    except KeyError as exc:
        raise MissingResult(f"chapter 'cifar10_raf' recorded no result 'quad.{exc.args[0]}'") from exc
    params = (f"CIFAR10-RAF, α = {_num(r.get(CF, 'alpha'))}, ε = {_num(r.get(CF, 'eps'))}; right: "
              f"{r.get(CF, 'repeats')} draws, RBF at γ* = {_num(r.get(CF, 'gamma_star'), 4)} and a quadratic "
              f"kernel with its (μ1, μ*); left: quadratic kernels with the (μ1, μ*) of the RBF at "
              f"γ/γ* ∈ {_set(r.get(CF, 'bandwidths'))} (our choice), {rq} draws")
    return params, (f"qualitative, as in the paper: the Gaussian theory predicts one curve per pair; on images "
                    f"the matched pair's mean E_gen differ by up to {_num(r.get(CF, 'krr_matched_max_diff'), 2)}; "
                    f"interpolating quadratics generalise worse than their RBF twins at θ ≥ θ* (paired "
                    f"difference {_num(gap['mean'], 2)} ± {_num(gap['sem'], 1)}); at the largest ridge the "
                    f"quadratics forget {_num(min(em), 2)}–{_num(max(em), 2)} of the facts at every angle, "
                    f"the RBFs {_num(min(em_rbf), 2)}–{_num(max(em_rbf), 2)}")


@metric("fig15")
def _fig15(r):
    params = (f"CIFAR10-RAF, α = {_num(r.get(CF, 'alpha'))}, ε = {_num(r.get(CF, 'eps'))}, "
              f"γ/γ* ∈ {_set(r.get(CF, 'bandwidths'))}")
    best = min(r.get(CF, "svm_best_e_gen"))
    return params, (f"qualitative, as in the paper: best CIFAR10-RAF SVM E_gen {_num(best)}; the SVM solver "
                    f"converged at {_num(100 * r.get(CF, 'svm_converged'), 3)} % of the points; largest E_mem "
                    f"at the smallest ridge {_num(max(r.get(CF, 'svm_e_mem_at_lam_min')), 2)}")


@metric("fig16")
def _fig16(r):
    sim = r.get(BO, "sim")
    params = (f"α ∈ [0.1, 100], ε ∈ [0, 1]; simulations of ridge regression at λ_opt: ε ∈ {_set(sim['eps'])}, "
              f"α ∈ {_set(sim['alphas'])}, d = {sim['d']}, {sim['n_seeds']} data sets")
    zs = []
    for e in sim["mean"]:
        zs += deviations(sim["mean"][e], sim["sem"][e], sim["theory"][e])
    return params, (f"{_z_text(zs, 'E_gen of ridge regression')}; largest excess over the Bayes-optimal "
                    f"error on the grid {_num(r.get(BO, 'gap_max'), 3)}")


@metric("table1")
def _table1(r):
    fam = r.get(KA, "family_params_at_theta_star")
    return (f"families {', '.join(fam)}, with their parameter at θ*(ε = {_num(r.get(KA, 'eps'))})",
            "the printed coefficients are lost in the extracted text; the book's come from quadrature "
            "and are checked against closed forms in tests/test_kernels.py")


# --------------------------------------------------------------------------------------------
# Items, rows and the page


def load_items(path: Path | str = ITEMS_FILE) -> list[dict]:
    """The items of ``reproduction_items.yaml``, checked: every paper item exactly once, known metrics."""
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["items"]
    names = [it["item"] for it in items]
    missing = sorted(set(PAPER_ITEMS) - set(names))
    extra = sorted(set(names) - set(PAPER_ITEMS) - {it["item"] for it in items if it.get("beyond")})
    dupes = sorted({n for n in names if names.count(n) > 1})
    if missing or extra or dupes:
        raise ValueError(f"{path}: every paper item must appear exactly once; missing {missing}, "
                         f"unknown {extra}, repeated {dupes}")
    required = ("item", "shows", "paper", "book", "theory", "simulation", "metric")
    for it in items:
        absent = [k for k in required if k not in it]
        if absent:
            raise ValueError(f"{path}: item {it.get('item')!r} lacks {absent}")
        if it["metric"] not in METRICS:
            raise ValueError(f"{path}: item {it['item']!r} names the metric {it['metric']!r}, which "
                             f"tools/repro_map.py does not define (known: {sorted(METRICS)})")
        if it["simulation"] not in SIMULATION_KINDS:
            raise ValueError(f"{path}: item {it['item']!r}: 'simulation' must be one of "
                             f"{list(SIMULATION_KINDS)}, got {it['simulation']!r}")
    return items


@dataclass
class Row:
    """One row of the map."""

    item: str
    shows: str
    paper: str
    book: list[dict]
    theory: bool
    simulation: str
    book_parameters: str = ""
    agreement: str = ""
    missing_parts: str = ""
    problem: str = ""  # a result the row needs was not recorded (non-strict builds only)
    chapters: list[str] = field(default_factory=list)


def build_rows(results_dir: Path | str, *, strict: bool = False, items: list[dict] | None = None,
               available=None) -> list[Row]:
    """One :class:`Row` per paper item, in the order of the YAML file.

    ``available`` (optional): the chapters whose executed page this build shows; a row that needs
    another chapter is treated as missing its result (its figures may not be on the site).
    """
    results = Results(results_dir, available)
    rows = []
    for it in items if items is not None else load_items():
        row = Row(item=it["item"], shows=_clean(it["shows"]), paper=_clean(it["paper"]), book=it["book"],
                  theory=bool(it["theory"]), simulation=SIMULATION_KINDS[it["simulation"]],
                  missing_parts=_clean(it.get("missing", "")),
                  chapters=sorted({b["chapter"] for b in it["book"]}))
        try:
            row.book_parameters, row.agreement = METRICS[it["metric"]](results)
        except MissingResult as exc:
            if strict:
                raise MissingResult(f"{it['item']}: {exc}") from exc
            row.problem = str(exc)
        rows.append(row)
    return rows


def _clean(text) -> str:
    return " ".join(str(text or "").split())


def _cell(text: str) -> str:
    if "|" in text:
        raise ValueError(f"a table cell must not contain '|': {text!r}")
    return text


def _links(row: Row) -> str:
    text = "; ".join(f"{{ref}}`{b['title']} <{b['label']}>` ({{doc}}`{b['chapter']}`)" for b in row.book)
    if row.missing_parts:
        text += f"; {row.missing_parts.split(':')[0].lower()} (see below)"
    return text


def _contents(row: Row) -> str:
    parts = ["theory" if row.theory else "no theory"]
    parts.append(row.simulation if row.simulation != "none" else "no simulation")
    return "; ".join(parts)


def markdown(results_dir: Path | str, *, mode: str = "full", strict: bool = False, available=None) -> str:
    """The generated part of the reproduction page: two tables (one row per item each) and notes."""
    rows = build_rows(results_dir, strict=strict, available=available)
    lines = []
    if mode != "full":
        lines += [f"*This build used the `{mode}` parameters (reduced grids and simulations for the "
                  f"tests): the book's parameters and the measured agreement below are those of that run.*",
                  ""]

    def table(header, cells_of):
        out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        for row in rows:
            out.append("| " + " | ".join(_cell(c) for c in cells_of(row)) + " |")
        return out + [""]

    def missing(row):
        return f"not available in this build: {row.problem}"

    lines += ["## Where each item is reproduced, and how well", ""]
    lines += table(["Paper", "What it shows", "Book", "Contents", "Measured agreement"],
                   lambda r: [f"**{r.item}**", r.shows,
                              "; ".join(f"{b['title']} (chapter {b['chapter']})" for b in r.book)
                              if r.problem else _links(r),
                              _contents(r), missing(r) if r.problem else r.agreement])
    lines += ["## Parameters: the paper's and the book's", ""]
    lines += table(["Paper", "Stated by the paper", "Used by the book"],
                   lambda r: [f"**{r.item}**", r.paper, missing(r) if r.problem else r.book_parameters])
    partial = [r for r in rows if r.missing_parts]
    if partial:
        lines += ["## Not reproduced", ""]
        lines += [f"- **{r.item}.** {r.missing_parts}" for r in partial] + [""]
    problems = [r for r in rows if r.problem]
    if problems:
        lines += [f"**{len(problems)} row(s) lack a recorded result** (a chapter was not executed or no "
                  f"longer records a number this page reads): "
                  + "; ".join(r.item for r in problems) + ".", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the results of the quick build")
    ap.add_argument("--strict", action="store_true", help="fail on a missing chapter result")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "full"
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from book_chapters import executed_dir

    try:
        print(markdown(executed_dir(mode), mode=mode, strict=args.strict))
    except MissingResult as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
