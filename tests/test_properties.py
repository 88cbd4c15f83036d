"""Property-based tests of raf.theory over its valid domain (hypothesis; issue 8).

The properties hold for every input, not only for the points the other tests pick:
errors are probabilities (``E_gen <= 1/2``), no converged ERM point beats the Bayes-optimal
error, the errors depend on the kernel only through ``(mu1, mustar, lambda)`` up to the
rescaling ``(c mu1, c mustar, c^2 lambda)`` (paper App. A.6), a point solved alone equals the
same point solved in a batch, and the Bayes-optimal error falls with ``alpha`` and rises with
``eps``. The number of examples is kept moderate so that the file runs in about a minute.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from raf.theory import bayes_optimal, erm  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)

alphas = st.floats(-1.3, 3.0).map(lambda x: float(10.0**x))  # 0.05 .. 1000
epss = st.floats(0.0, 1.0)
thetas = st.floats(0.0, np.pi / 2)
ridges = st.one_of(st.just(0.0), st.floats(-4.0, 3.0).map(lambda x: float(10.0**x)))
losses = st.sampled_from(["square", "hinge"])
widths = st.one_of(st.none(), st.floats(0.3, 20.0))
scales = st.floats(0.2, 5.0)


@st.composite
def models(draw):
    """``(alpha, eps, lam, loss, mu1, mustar, kappa)`` with ``lam > 0`` at finite width."""
    kappa = draw(widths)
    lam = draw(ridges)
    if kappa is not None and lam == 0.0:
        lam = 0.1
    theta = draw(thetas)
    return dict(alpha=draw(alphas), eps=draw(epss), lam=lam, loss=draw(losses), mu1=float(np.cos(theta)),
                mustar=float(np.sin(theta)), kappa=kappa)


def _quiet_erm(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a non-converged point is flagged, not tested
        return erm(**kw)


@SETTINGS
@given(models())
def test_errors_are_probabilities_and_respect_the_bayes_bound(model):
    r = _quiet_erm(**model)
    if not r.converged:
        return
    assert 0.0 <= float(r.e_gen) <= 0.5
    assert 0.0 <= float(r.e_mem) <= 0.5  # Phi(-V/sqrt q) with V >= 0
    assert 0.0 <= float(r.e_train_rule) <= 1.0
    bo = float(bayes_optimal(model["alpha"], model["eps"]).e_gen)
    assert float(r.e_gen) >= bo - 1e-9
    if r.n_iter > 0:
        assert float(r.residual) < 1e-10


@SETTINGS
@given(models(), scales)
def test_rescaling_the_kernel_and_the_ridge_together_changes_nothing(model, c):
    base = _quiet_erm(**model)
    scaled = _quiet_erm(**(model | dict(mu1=c * model["mu1"], mustar=c * model["mustar"], lam=c * c * model["lam"])))
    if not (base.converged and scaled.converged):
        return
    for k in ("e_gen", "e_mem", "e_train_rule"):
        assert float(scaled[k]) == pytest.approx(float(base[k]), rel=1e-7, abs=1e-9), k


@SETTINGS
@given(models(), st.lists(models(), min_size=1, max_size=4), st.integers(0, 4))
def test_a_point_alone_equals_the_same_point_in_a_batch(model, others, where):
    """Same loss and width kind for the batch (one call of erm); the point's position varies."""
    others = [o | dict(loss=model["loss"], kappa=model["kappa"]) for o in others]
    if model["kappa"] is not None:
        others = [o | dict(lam=max(o["lam"], 1e-3)) for o in others]
    batch = others[:where] + [model] + others[where:]
    i = min(where, len(others))
    kw = {k: np.array([b[k] for b in batch]) for k in ("alpha", "eps", "lam", "mu1", "mustar")}
    kappa = None if model["kappa"] is None else model["kappa"]
    alone = _quiet_erm(**{k: model[k] for k in ("alpha", "eps", "lam", "mu1", "mustar")}, loss=model["loss"],
                       kappa=kappa)
    many = _quiet_erm(**kw, loss=model["loss"], kappa=kappa)
    assert bool(many.converged[i]) == bool(alone.converged)
    for k in ("e_gen", "e_mem", "e_train_rule"):
        np.testing.assert_allclose(many[k][i], alone[k], rtol=1e-12, atol=1e-15, err_msg=k)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.floats(-2.0, 12.0), st.floats(0.0, 3.0), st.floats(0.0, 1.0))
def test_bayes_optimal_error_falls_with_alpha(log_alpha, log_ratio, eps):
    a1 = 10.0**log_alpha
    r = bayes_optimal([a1, a1 * 10.0**log_ratio], eps)
    assert r.converged.all()
    assert r.e_gen[1] <= r.e_gen[0] * (1 + 1e-12)
    assert np.all((r.e_gen >= 0) & (r.e_gen <= 0.5))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.floats(-2.0, 12.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_bayes_optimal_error_rises_with_eps(log_alpha, e1, e2):
    lo, hi = min(e1, e2), max(e1, e2)
    r = bayes_optimal(10.0**log_alpha, [lo, hi])
    assert r.e_gen[0] <= r.e_gen[1] * (1 + 1e-12)
