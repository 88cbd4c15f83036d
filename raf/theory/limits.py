"""Closed forms of two limits of the ERM state equations (THEORY §5, §6).

* :func:`hebbian_state` -- ``lambda -> inf``. Every training margin ``y omega`` is then far
  below the hinge's kink and far below the square loss's scale, so both losses have
  ``f_out = y``: ``m_hat = alpha a_eps``, ``q_hat = alpha``, ``V_hat = 0`` (THEORY §5), the
  estimator ``w ~ (1/lambda) sum_mu y_mu phi(x_mu)`` ("Hebbian"). The prior then gives the state
  in closed form; in units ``lambda m``, ``lambda^2 q``, ``lambda V`` it does not depend on
  ``lambda``. For the hinge loss this is *exact* at finite ``lambda`` as soon as the
  probability of a margin beyond the kink, ``Phi(-(1 - V)/sqrt q)``, is below the double
  precision (:func:`hebbian_is_exact`).
* :func:`memoriser_state` -- a kernel without linear part (``mu1 = 0``, ``theta = pi/2``),
  kernel limit. The student's field on a fresh input carries no component along the teacher
  and no variance (``m = q = 0``): ``E_gen = 1/2``; on a training input it is the proximal
  step from ``omega = 0`` with ``V = mustar^2/lambda``, of the sign of the label: ``E_mem = 0``
  and no rule sample misclassified, at every ``alpha`` and ``lambda``.
  Note the limit ``mu1 -> 0+`` is *not* this point: for any ``mu1 > 0`` the test field is the
  (vanishing) linear part, whose sign is that of the Hebbian estimator, so ``E_gen`` tends to
  the ``lambda -> inf`` value ``arctan(1/(a_eps sqrt alpha))/pi``. At finite width ``kappa`` the
  nonlinear features do reach fresh inputs and ``mu1 -> 0`` is continuous (``E_gen -> 1/2``).

Both return dicts of per-point arrays: ``q, s2, V, margin, m`` (state, ``margin = V/sqrt q``)
and the conjugates ``m_hat, q_hat, V_hat`` in plain units.
"""

from __future__ import annotations

import numpy as np

from .channels import a_eps
from .generic import loss_model
from .priors import random_features_prior

__all__ = ["hebbian_state", "hebbian_is_exact", "memoriser_state"]

_HINGE_KINK_SIGMAS = 8.8  # Phi(-8.8) = 7e-19: beyond this the hinge's kink is never reached
_SQUARE_REL = 1e-17  # relative size of the corrections to f_out = y for the square loss


def _unit_state(alpha, eps, mu1, mustar, kappa):
    """``(lambda m, lambda^2 q, lambda V, s2)`` of the Hebbian estimator."""
    kernel = np.isinf(kappa)
    a_ch = np.where(kernel, alpha, alpha / kappa)  # the channel's alpha (THEORY §6: alpha/kappa)
    m_hat, q_hat = a_ch * a_eps(eps), a_ch
    zero = np.zeros_like(m_hat)
    k = np.where(kernel, 1.0, kappa)
    q_rf, s2_rf, W_rf, m_rf = random_features_prior(m_hat, q_hat, zero, mu1=mu1, mustar=mustar,
                                                    kappa=k, lam_r=1.0)
    mu1sq = mu1 * mu1
    m1 = np.where(kernel, mu1sq * m_hat, m_rf)
    q1 = np.where(kernel, mu1sq**2 * (m_hat * m_hat + q_hat), q_rf)
    W1 = np.where(kernel, mu1sq + mustar * mustar, W_rf)
    s2 = np.where(kernel, q_hat / (m_hat * m_hat + q_hat), s2_rf)
    return m1, q1, W1, s2


def hebbian_state(alpha, eps, lam, loss, mu1, mustar, kappa):
    """The ``lambda -> inf`` (Hebbian) fixed point at ridge ``lam`` (``inf`` allowed).

    ``kappa = inf`` is the kernel limit. Returns the dict described in the module docstring.
    """
    m1, q1, W1, s2 = _unit_state(alpha, eps, mu1, mustar, kappa)
    a_ch = np.where(np.isinf(kappa), alpha, alpha / kappa)
    # f_out -> -l'(y, 0) = c y and -d f_out/d omega -> l''(+1, 0): c = 1 for square and hinge,
    # 1/2 for the logistic loss (which scales m and sqrt(q) alike: errors and margin unchanged)
    model = loss_model(loss)
    c = model.slope0
    return {
        "m": c * m1 / lam, "q": (c * np.sqrt(q1) / lam) ** 2, "V": W1 / lam, "s2": s2,
        "margin": W1 / np.sqrt(q1),
        "m_hat": c * a_ch * a_eps(eps), "q_hat": c * c * a_ch,
        "V_hat": model.curv0 * a_ch,
    }


def hebbian_is_exact(alpha, eps, lam, loss, mu1, mustar, kappa):
    """Where :func:`hebbian_state` is the fixed point to double precision at finite ``lam``.

    Hinge: the kink ``y omega = 1 - V`` lies more than 8.8 standard deviations of ``omega``
    away. Square: ``omega``, ``V`` and ``mu^2 alpha/lambda`` below ``1e-17`` (the closed form
    of :func:`raf.theory.square.square_fixed_point` is used instead in the kernel limit).
    """
    m1, q1, W1, _ = _unit_state(alpha, eps, mu1, mustar, kappa)
    if loss == "hinge":
        return (lam - W1) > _HINGE_KINK_SIGMAS * np.sqrt(q1)
    load = (mu1 * mu1 + mustar * mustar) * (alpha + alpha / kappa)
    return (W1 + 2.0 * a_eps(eps) * m1 + np.sqrt(q1) + load) < _SQUARE_REL * lam


def memoriser_state(alpha, eps, lam, loss, mustar):
    """The kernel without linear part (``mu1 = 0``), kernel limit, at ridge ``lam``."""
    with np.errstate(divide="ignore"):
        V = np.where(lam > 0, mustar * mustar / np.where(lam > 0, lam, 1.0), np.inf)
    a = a_eps(eps)
    if loss == "square":  # f_out = (y - 0)/(1 + V)
        g = np.where(np.isfinite(V), 1.0 / (1.0 + V), 0.0)
        m_hat, q_hat, V_hat = alpha * a * g, alpha * g * g, alpha * g
    elif loss == "hinge":  # y prox(y, 0, V) = min(V, 1): f_out = y min(1, 1/V)
        g = np.where(V < 1.0, 1.0, 1.0 / V)
        m_hat, q_hat, V_hat = alpha * a * g, alpha * g * g, np.where(V >= 1.0, alpha / V, 0.0)
    else:  # logistic or a ConvexLoss: its channel at q -> 0 (omega = 0), plain units; 0 at V = inf
        fin = np.isfinite(V)
        m_hat, q_hat, V_hat = (np.zeros_like(V) for _ in range(3))
        if fin.any():
            one = np.ones(int(fin.sum()))
            m_hat[fin], q_hat[fin], V_hat[fin] = loss_model(loss).channel(0.0 * one, one, V[fin], one,
                                                                           alpha[fin] * one, eps[fin] * one)
    zero = np.zeros_like(V)
    return {"m": zero, "q": zero, "V": V, "s2": np.ones_like(V), "margin": np.full_like(V, np.inf),
            "m_hat": m_hat, "q_hat": q_hat, "V_hat": V_hat}
