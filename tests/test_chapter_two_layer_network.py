"""Key numbers of the chapter book/two_layer_network.md (executed quick, through tests/booktools.py).

Quick mode: d = 40 (frozen check at d = 80), three data sets, 200 gradient steps, alpha in
{1, 2, 4}. Every check below is one the chapter's text makes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from booktools import run_chapter

from raf.network_experiments import paired
from raf.rates import fit_power_law
from raf.theory import bayes_optimal, erm


@pytest.fixture(scope="module")
def results():
    return run_chapter("two_layer_network").results


def test_frozen_network_lands_on_random_features_theory(results):
    c = results["check"]
    th = erm(c["alpha"], results["eps"], c["lam"], loss="square", mu1=results["mu1"],
             mustar=results["mustar"], kappa=np.array(c["kappas"]))
    for key in ("e_gen", "e_mem"):
        np.testing.assert_allclose(c[key]["theory"], getattr(th, key), rtol=1e-10)
        sim, se, theory = map(np.asarray, (c[key]["sim"], c[key]["se"], c[key]["theory"]))
        # three standard errors of the seed mean plus a finite-size allowance of 0.03 at d = 80
        # (O(1/sqrt d) corrections; tests/test_networks.py checks the same at d = 150 with 0.02)
        assert np.all(np.abs(sim - theory) < 3 * se + 0.03), (key, sim, se, theory)


def test_trained_network_stores_every_fact_frozen_does_not(results):
    tr = results["training"]
    assert np.all(np.asarray(tr["trained_e_mem"])[-1] == 0.0)         # every data set, end of training
    assert np.all(np.asarray(tr["frozen_e_mem"])[-1] > 0.05)           # p = d < n random features cannot
    # the trained network's linear part points at the teacher better than random features do
    assert np.all(np.asarray(tr["trained_cos_linear"])[-1] > np.asarray(tr["frozen_cos_linear"])[-1])
    # and it generalises far better than its frozen twin
    m, se = paired(np.asarray(tr["trained_e_gen"])[-1], np.asarray(tr["frozen_e_gen"])[-1])
    assert m + 3 * se < 0
    # the time axis starts before any fact is stored and E_mem reaches 0 within the run
    assert np.asarray(tr["trained_e_mem"])[0].mean() > 0.1 and tr["t_mem0"] < tr["time"][-2]


def test_kernels_interpolate_and_lines_are_theory(results):
    assert np.all(np.asarray(results["training"]["kernel_e_mem"]) == 0.0)
    assert np.all(np.asarray(results["rates"]["e_mem_kernels"]) == 0.0)
    a, e = results["alpha"], results["eps"]
    th = results["theta_star"]
    lines = results["training"]["lines"]
    assert lines["activation"] == pytest.approx(float(erm(a, e, 0.0, mu1=results["mu1"], mustar=results["mustar"]).e_gen))
    assert lines["theta_star"] == pytest.approx(float(erm(a, e, 0.0, mu1=math.cos(th), mustar=math.sin(th)).e_gen))
    assert lines["bayes"] == pytest.approx(float(bayes_optimal(a, e).e_gen))
    # the kernel at theta* is the best ridgeless kernel (THEORY §5), Bayes below both
    assert lines["bayes"] < lines["theta_star"] < lines["activation"]


def test_paired_differences_with_the_kernels(results):
    r = results["rates"]
    alphas = r["alphas"]
    assert r["found_all"]
    i = alphas.index(results["alpha"])
    tr, relu, star = (np.asarray(r[k])[i] for k in ("e_gen_trained", "e_gen_activation", "e_gen_theta_star"))
    # the stopping rule of the rate experiment is the training experiment's, on the same runs
    np.testing.assert_allclose(tr, results["training"]["best_e_gen"])
    d_relu, se_relu = paired(tr, relu)
    d_star, se_star = paired(tr, star)
    assert np.isfinite([d_relu, se_relu, d_star, se_star]).all() and se_relu > 0 and se_star > 0
    # the chapter's claims: about as good as the network's own kernel on the same data (within a
    # few hundredths), and not significantly better than the kernel at theta*
    assert abs(d_relu) < 0.05
    assert d_star > -3 * se_star - 0.01
    # and far from Bayes-optimal
    assert tr.mean() > r["theory_at"]["bayes"][i] + 0.01


def test_slopes_and_their_uncertainty(results):
    r = results["rates"]
    A = np.asarray(r["alphas"])
    for key in ("trained", "activation", "theta_star"):
        f = r["fits"][key]
        e = np.asarray(r[f"e_gen_{key}"])
        assert f["slope"] == pytest.approx(float(fit_power_law(A, e.mean(axis=1)).slope), rel=1e-12)
        assert f["slope"] < 0 and 0 < f["stderr"] < 0.5
        per = np.asarray(f["per_seed"])
        assert f["stderr"] == pytest.approx(per.std(ddof=1) / math.sqrt(per.size), rel=1e-12)
    assert np.isfinite(r["fits"]["trained"]["diff"]) and r["fits"]["trained"]["diff_stderr"] > 0
    # theory slopes on the simulated range: recomputed, and shallower than the asymptotic ones
    ts = r["theory_slopes"]
    assert ts["bayes"] == pytest.approx(float(fit_power_law(A, bayes_optimal(A, results["eps"]).e_gen).slope),
                                        rel=1e-10)
    assert -0.5 < ts["activation"] < 0 and -1.0 < ts["bayes"] < 0
    assert ts["bayes"] < ts["activation"]     # Bayes-optimal decays faster already on this range


def test_weight_decay_and_loss(results):
    kn = results["knobs"]
    lo, sq = kn["logistic 0"], kn["square 0"]
    # the square loss stores the facts too but generalises clearly worse at the same training time
    assert np.all(np.asarray(sq["e_mem"]) == 0.0)
    m, se = paired(sq["e_gen"], lo["e_gen"])
    assert m - 3 * se > 0
    # a moderate weight decay (lambda <= 1) keeps (nearly) every fact stored
    for key, v in kn.items():
        loss, lam = key.split()
        if loss == "logistic" and 0 < float(lam) <= 1.0:
            assert np.mean(v["e_mem"]) <= 0.02, (key, v["e_mem"])


def test_width_experiment_and_budget(results):
    w = results["width"]
    assert len(w["kappas"]) >= 2
    # the trained network stores every fact at every width tried (down to kappa = 1/2)
    assert np.all(np.asarray(w["trained_e_mem"]) == 0.0)
    assert results["timings"]["total"] < 120      # quick mode: about 10 s of CPU
