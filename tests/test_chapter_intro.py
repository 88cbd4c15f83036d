"""Key numbers of the intro chapter (book/intro.md), executed with quick=True.

The chapter counts facts and labels in RAF training sets drawn by ``raf.data.sample`` and prints
a first table of exact errors from ``raf.theory``. The checks:

- the fraction of facts at each ``eps`` is ``eps`` and the fraction of labels against the rule
  is ``eps/2`` (THEORY §1), within 5 binomial standard deviations of the pooled count;
- the fraction of facts whose random label agrees with the rule is 1/2, same tolerance;
- the sample data set of the first figure is exactly ``raf.data.sample(d, alpha, eps, seed)``;
- the preview table equals ``raf.theory.erm`` / ``bayes_optimal`` at the chapter's values, and at
  the critical angle theta* the ridgeless kernel memorises everything and reaches the optimal-ridge
  error of every other kernel (THEORY §5: identities, so 1e-8).
"""

from __future__ import annotations

import numpy as np
from booktools import run_chapter

import raf.theory
from raf.data import sample


def _results():
    return run_chapter("intro").results


def test_fraction_of_facts_follows_eps():
    r = _results()
    n = round(r["stats_alpha"] * r["d"])
    n_sets = len(r["stats_seeds"])
    for eps, frac, against in zip(r["eps_grid"], r["frac_facts_mean"], r["frac_against_rule_mean"]):
        # mean over n_sets data sets of a Binomial(n, p)/n: std sqrt(p(1-p)/(n n_sets))
        sd_f = np.sqrt(eps * (1 - eps) / (n * n_sets))
        sd_a = np.sqrt(eps / 2 * (1 - eps / 2) / (n * n_sets))
        assert abs(frac - eps) <= 5 * sd_f + 1e-12, (eps, frac)
        assert abs(against - eps / 2) <= 5 * sd_a + 1e-12, (eps, against)


def test_half_of_the_facts_agree_with_the_rule():
    r = _results()
    n_facts = r["n_facts_total"]
    assert n_facts > 1000
    # each fact agrees with sign(z) with probability 1/2: binomial std 0.5/sqrt(n_facts)
    assert abs(r["facts_agree_pooled"] - 0.5) < 5 * 0.5 / np.sqrt(n_facts)


def test_sample_figure_is_raf_data():
    r = _results()
    data = sample(r["d"], r["alpha"], r["eps"], seed=r["seed"])
    s = r["sample"]
    rule = np.where(data.z >= 0, 1.0, -1.0)
    assert s["n"] == data.n
    assert s["n_facts"] == data.is_fact.sum()
    assert s["facts_against"] == np.sum(data.y != rule)


def test_preview_table_is_raf_theory():
    p = _results()["preview"]
    mu1, mus, lam_opt = (np.array(p[k]) for k in ("mu1", "mustar", "lam_opt"))
    np.testing.assert_allclose(lam_opt, raf.theory.lambda_opt_square(p["eps"], mu1, mus), atol=1e-12)
    res = raf.theory.erm(p["alpha"], p["eps"], np.stack([np.zeros_like(mu1), lam_opt]),
                         loss="square", mu1=mu1, mustar=mus)
    np.testing.assert_allclose(p["e_gen"], res.e_gen, atol=1e-10)
    np.testing.assert_allclose(p["e_mem"], res.e_mem, atol=1e-10)
    assert abs(p["e_gen_bo"] - float(raf.theory.bayes_optimal(p["alpha"], p["eps"]).e_gen)) < 1e-10
    e_gen, e_mem = np.array(p["e_gen"]), np.array(p["e_mem"])
    # last learner: the kernel at theta*; its ridgeless errors equal the best KRR errors
    assert e_mem[0, -1] < 1e-8 and np.allclose(e_gen[1], e_gen[0, -1], atol=1e-8)
    assert np.all(e_gen >= p["e_gen_bo"] - 1e-12)


def test_exercise_eps_one():
    """Executed solution: at eps = 1 the Bayes-optimal error is 1/2 for every alpha (THEORY §4)."""
    ex = _results()["exercise_eps_one"]
    assert len(ex["alpha"]) >= 3 and max(ex["alpha"]) >= 100
    np.testing.assert_allclose(ex["e_gen"], 0.5, atol=1e-12)
