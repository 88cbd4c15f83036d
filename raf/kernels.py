"""Activations, dot-product kernels and the kernel angle (THEORY.md §3; paper App. A.5, D.1).

For the Gaussian RAF model a kernel (or the activation of a random-features model)
enters the exact theory only through two numbers:

* activation ``sigma``: ``mu0 = E sigma(xi)``, ``mu1 = E xi sigma(xi)``,
  ``mustar^2 = E sigma(xi)^2 - mu0^2 - mu1^2`` with ``xi ~ N(0, 1)``;
* dot-product kernel ``K(x, x') = k(x . x' / d)``: ``mu1^2 = k'(0)``,
  ``mustar^2 = k(1) - k(0) - k'(0)``;

and, at ``lam -> 0`` or at the optimal ``lam``, only through the angle
``theta = arctan(mustar / mu1)`` (linear model: ``theta = 0``).

Contents
--------
* :func:`coefficients` -- ``(mu0, mu1, mustar)`` of any activation by Gauss--Hermite
  quadrature (probabilists' weight), closed forms for named activations;
* :func:`angle`, :func:`mu_from_angle`;
* :class:`DotProductKernel` -- one fixed kernel ``k(t)`` with its ``(mu1, mustar)``:
  the infinite-width kernels of the erf / ReLU / sign activations
  (:data:`ERF_KERNEL`, :data:`RELU_KERNEL`, :data:`SIGN_KERNEL`, :data:`LINEAR_KERNEL`),
  :func:`truncated_quadratic`;
* :class:`KernelFamily` -- one-parameter families (paper Table 1): :data:`RBF`,
  :data:`EXPONENTIAL`, :data:`GEOMETRIC`, :func:`polynomial`, :data:`QUADRATIC`;
  :func:`param_for_angle` inverts ``param -> theta`` (paper Eqs. (213)-(217), Fig. 10);
* :func:`centred_kernel` (a family member without its constant ``k(0)``) and
  :func:`family_parameters` (the parameter of each family at a given angle).

Gram matrices on data are :mod:`raf.gram`'s job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.special import comb
from scipy.special import erf as _erf

from raf._validation import Choice, Integer, Interval, check_choice, check_range, validated

__all__ = [
    "ACTIVATION_NAMES",
    "activation",
    "coefficients",
    "angle",
    "mu_from_angle",
    "DotProductKernel",
    "KernelFamily",
    "ERF_KERNEL",
    "RELU_KERNEL",
    "SIGN_KERNEL",
    "LINEAR_KERNEL",
    "ACTIVATION_KERNELS",
    "truncated_quadratic",
    "RBF",
    "EXPONENTIAL",
    "GEOMETRIC",
    "QUADRATIC",
    "polynomial",
    "FAMILIES",
    "get_family",
    "param_for_angle",
    "centred_kernel",
    "family_parameters",
]

_SQRT2PI = math.sqrt(2.0 * math.pi)

# -- activations and their Hermite coefficients ---------------------------------------------------


def _relu(u):
    return np.maximum(u, 0.0)


_ACTIVATIONS: dict[str, Callable] = {
    "erf": _erf,
    "relu": _relu,
    "sign": np.sign,
    "linear": lambda u: np.asarray(u, dtype=float),
    "tanh": np.tanh,
}

# closed forms (THEORY §3): name -> (mu0, mu1, mustar^2)
_CLOSED_FORMS = {
    "erf": (0.0, 2.0 / math.sqrt(3.0 * math.pi),
            (2.0 / math.pi) * math.asin(2.0 / 3.0) - 4.0 / (3.0 * math.pi)),
    "relu": (1.0 / _SQRT2PI, 0.5, 0.25 - 1.0 / (2.0 * math.pi)),
    "sign": (0.0, math.sqrt(2.0 / math.pi), 1.0 - 2.0 / math.pi),
    "linear": (0.0, 1.0, 0.0),
}

ACTIVATION_NAMES = tuple(_ACTIVATIONS)
_MAX_NODES = 350


@validated(name=Choice(ACTIVATION_NAMES))
def activation(name):
    """The activation function called ``name`` (one of :data:`ACTIVATION_NAMES`).

    ``"relu"`` is the plain (uncentred) ``max(u, 0)``; subtract ``mu0`` from
    :func:`coefficients` to centre it, as THEORY §6 advises for simulations.
    """
    return _ACTIVATIONS[name]


def _activation_function(activation):
    if isinstance(activation, str):
        check_choice("activation", activation, ACTIVATION_NAMES)
        return _ACTIVATIONS[activation]
    if callable(activation):
        return activation
    raise ValueError("The 'activation' parameter must be a callable or one of "
                     f"{ACTIVATION_NAMES}. Got {activation!r} instead.")


def _hermite_moments(fn, n_nodes):
    """``(E sigma, E xi sigma, E sigma^2)`` by Gauss--Hermite quadrature with ``n_nodes`` nodes."""
    u, w = np.polynomial.hermite_e.hermegauss(n_nodes)
    w = w / _SQRT2PI
    s = np.broadcast_to(np.asarray(fn(u), dtype=float), u.shape)
    return float(w @ s), float(w @ (u * s)), float(w @ (s * s))


def _piecewise_moments(fn, breakpoints):
    """The same three moments by adaptive quadrature on each smooth piece of ``sigma``."""
    from scipy.integrate import quad

    edges = [-np.inf] + sorted(float(b) for b in np.atleast_1d(breakpoints)) + [np.inf]

    def gauss_int(g):
        return sum(quad(lambda v: g(v) * math.exp(-0.5 * v * v) / _SQRT2PI, lo, hi,
                        epsabs=1e-13, epsrel=1e-12, limit=200)[0]
                   for lo, hi in zip(edges[:-1], edges[1:]))

    def f(v):
        return float(np.asarray(fn(np.asarray(v, dtype=float))))

    return gauss_int(f), gauss_int(lambda v: v * f(v)), gauss_int(lambda v: f(v) ** 2)


@validated(n_nodes=Integer(1))
def coefficients(activation, *, n_nodes=200, breakpoints=None, closed_form=True):
    """Hermite coefficients ``(mu0, mu1, mustar)`` of an activation (THEORY §3; paper Eq. (30)).

    ``mu0 = E sigma(xi)``, ``mu1 = E xi sigma(xi)``,
    ``mustar = sqrt(E sigma(xi)^2 - mu0^2 - mu1^2)``, ``xi ~ N(0, 1)``.

    Parameters
    ----------
    activation : str or callable
        A name in ``("erf", "relu", "sign", "linear", "tanh")`` or a vectorised
        callable ``sigma(u)``.
    n_nodes : int, default 200
        Number of Gauss--Hermite nodes (probabilists' weight ``exp(-u^2/2)``,
        :func:`numpy.polynomial.hermite_e.hermegauss`). Exact for polynomials of
        degree ``< 2 n_nodes``, exponentially accurate for smooth activations. Kinks
        (ReLU, sign) make it converge only algebraically -- for those pass
        ``breakpoints`` or use the closed form.
    breakpoints : sequence of float, optional
        Points where ``sigma`` is not smooth. Then the Gaussian integrals are done
        by adaptive quadrature (:func:`scipy.integrate.quad`) on each smooth piece,
        which is accurate to ~1e-10 whatever the kinks.
    closed_form : bool, default True
        For ``"erf"``, ``"relu"``, ``"sign"``, ``"linear"`` return the closed forms of
        THEORY §3 instead of integrating.

    Returns
    -------
    (mu0, mu1, mustar) : tuple of float
    """
    if n_nodes > _MAX_NODES:  # hermegauss overflows beyond this
        raise ValueError(f"The 'n_nodes' parameter must be an int in the range "
                         f"[1, {_MAX_NODES}]. Got {n_nodes!r} instead.")
    fn = _activation_function(activation)
    if isinstance(activation, str) and closed_form and activation in _CLOSED_FORMS:
        mu0, mu1, ms2 = _CLOSED_FORMS[activation]
        return float(mu0), float(mu1), float(math.sqrt(ms2))
    if breakpoints is None:
        mu0, mu1, m2 = _hermite_moments(fn, n_nodes)
    else:
        mu0, mu1, m2 = _piecewise_moments(fn, breakpoints)
    ms2 = m2 - mu0 ** 2 - mu1 ** 2
    # round-off can make a linear activation's mustar^2 slightly negative
    if ms2 < -1e-12 * max(m2, 1.0):
        raise ValueError(f"Quadrature gave mustar^2 = {ms2:.3g} < 0; is the activation finite?")
    return mu0, mu1, float(math.sqrt(max(ms2, 0.0)))


@validated(mu1=Interval(0.0), mustar=Interval(0.0))
def angle(mu1, mustar):
    """Kernel angle ``theta = arctan(mustar / mu1)`` in ``[0, pi/2]`` (THEORY §3).

    Broadcasts over arrays; returns a float for scalar input.
    """
    if np.any((mu1 == 0) & (mustar == 0)):
        raise ValueError("The 'mu1' and 'mustar' parameters must not both be 0 "
                         "(the angle of the zero kernel is undefined).")
    th = np.arctan2(mustar, mu1)
    return float(th) if th.ndim == 0 else th


@validated(theta=Interval(0.0, np.pi / 2))
def mu_from_angle(theta):
    """``(mu1, mustar) = (cos theta, sin theta)``: unit-norm coefficients at angle ``theta``."""
    th = theta
    c, s = np.cos(th), np.sin(th)
    if th.ndim == 0:
        return float(c), float(s)
    return c, s


# -- fixed dot-product kernels --------------------------------------------------------------------


@dataclass(frozen=True)
class DotProductKernel:
    """A fixed dot-product kernel ``K(x, x') = k(x . x' / d)`` and its coefficients.

    Attributes
    ----------
    name : str
    k : callable
        Vectorised ``k(t)``.
    mu1, mustar : float
        ``mu1^2 = k'(0)``, ``mustar^2 = k(1) - k(0) - k'(0)`` (THEORY §3).
    """

    name: str
    k: Callable = field(repr=False)
    mu1: float
    mustar: float

    @property
    def angle(self):
        """The kernel angle ``arctan(mustar / mu1)``."""
        return angle(self.mu1, self.mustar)

    def __call__(self, t):
        return self.k(np.asarray(t, dtype=float))


def _erf_k(t):
    # E[erf(u) erf(v)], (u, v) standard Gaussians of correlation t: (2/pi) arcsin(2t/3).
    # The argument is clipped to the domain |2t/3| <= 1.
    return (2.0 / np.pi) * np.arcsin(np.clip(2.0 * t / 3.0, -1.0, 1.0))


def _relu_k(t):
    # Arc-cosine kernel of order 1 (Cho & Saul), centred: E[relu(u) relu(v)] - mu0^2.
    t = np.clip(t, -1.0, 1.0)
    return (np.sqrt(1.0 - t * t) + t * (np.pi - np.arccos(t))) / (2.0 * np.pi) \
        - 1.0 / (2.0 * np.pi)


def _sign_k(t):
    return (2.0 / np.pi) * np.arcsin(np.clip(t, -1.0, 1.0))


#: infinite-width kernel of erf random features (paper Eq. (33)), ``(2/pi) arcsin(2t/3)``
ERF_KERNEL = DotProductKernel("erf", _erf_k, *(
    lambda c: (c[1], math.sqrt(c[2])))(_CLOSED_FORMS["erf"]))
#: centred ReLU (arc-cosine, order 1) kernel
RELU_KERNEL = DotProductKernel("relu", _relu_k, *(
    lambda c: (c[1], math.sqrt(c[2])))(_CLOSED_FORMS["relu"]))
#: sign activation (arc-sine) kernel ``(2/pi) arcsin(t)``
SIGN_KERNEL = DotProductKernel("sign", _sign_k, *(
    lambda c: (c[1], math.sqrt(c[2])))(_CLOSED_FORMS["sign"]))
#: the linear kernel ``k(t) = t`` (the perceptron, theta = 0)
LINEAR_KERNEL = DotProductKernel("linear", lambda t: np.asarray(t, dtype=float), 1.0, 0.0)

ACTIVATION_KERNELS = {"erf": ERF_KERNEL, "relu": RELU_KERNEL, "sign": SIGN_KERNEL,
                      "linear": LINEAR_KERNEL}
"""Dot-product kernels whose ``(mu1, mustar)`` equal those of the named activation.

For unit-norm inputs (``|x|^2 / d = 1``, true as ``d -> inf`` for Gaussian data) they
are the infinite-width (``kappa -> inf``) limits of the random-features models with
the centred activation; the arguments of the arcsin / arccos forms are clipped to
their domain, which only touches the diagonal at finite ``d``.
"""


@validated(mu1=Interval(0.0), mustar=Interval(0.0), c0=Interval(0.0))
def truncated_quadratic(mu1, mustar, *, c0=0.0):
    """The kernel ``k(t) = c0 + mu1^2 t + mustar^2 t^2`` (paper Eq. (221)).

    It has exactly the coefficients ``(mu1, mustar)``; the constant ``c0`` does not
    affect the theory (THEORY §7, D.3 of the paper).
    """
    mu1, mustar, c0 = float(mu1), float(mustar), float(c0)
    a1, a2 = mu1 ** 2, mustar ** 2
    return DotProductKernel(
        f"quadratic(mu1={mu1:.4g}, mustar={mustar:.4g})",
        lambda t: c0 + a1 * np.asarray(t, dtype=float) + a2 * np.asarray(t, dtype=float) ** 2,
        mu1, mustar)


# -- one-parameter families (paper Table 1) -------------------------------------------------------


def _expm1mx(x):
    """``exp(x) - 1 - x`` without cancellation for small ``x``."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-3
    xs = np.where(small, x, 0.0)
    series = xs * xs * (0.5 + xs * (1.0 / 6.0 + xs * (1.0 / 24.0 + xs / 120.0)))
    with np.errstate(over="ignore"):
        return np.where(small, series, np.expm1(x) - x)


@dataclass(frozen=True)
class KernelFamily:
    """A one-parameter family of dot-product kernels ``k(t; param)`` (paper Table 1).

    Attributes
    ----------
    name : str
    param_name : str
        Name of the parameter (e.g. ``"gamma"`` for the RBF).
    k : callable ``k(t, param)``
    mu1, mustar : callables ``(param) -> array``
        ``mu1^2 = k'(0)``, ``mustar^2 = k(1) - k(0) - k'(0)``.
    param_range : (float, float)
        Open interval of allowed parameters.
    description : str
        The formula, for display.
    """

    name: str
    param_name: str
    k: Callable = field(repr=False)
    mu1: Callable = field(repr=False)
    mustar: Callable = field(repr=False)
    param_range: tuple
    description: str = ""
    # parameter as a function of tan(theta)^2 when known in closed form
    inverse_tan2: Callable | None = field(default=None, repr=False, compare=False)
    # overflow-safe tan(theta)^2 = mustar^2 / mu1^2, when the ratio of mu's underflows
    tan2: Callable | None = field(default=None, repr=False, compare=False)

    def _angle_unchecked(self, p):
        if self.tan2 is not None:
            with np.errstate(over="ignore", divide="ignore"):
                return np.arctan(np.sqrt(self.tan2(p)))
        return np.arctan2(self.mustar(p), self.mu1(p))

    def check_param(self, param):
        lo, hi = self.param_range
        return check_range(self.param_name, param, lo, hi, low_open=True, high_open=True)

    def angle(self, param):
        """Kernel angle ``theta(param) = arctan(mustar / mu1)``."""
        p = self.check_param(param)
        th = np.asarray(self._angle_unchecked(p))
        return float(th) if th.ndim == 0 else th

    def coefficients(self, param):
        """``(mu1, mustar)`` at ``param``."""
        p = self.check_param(param)
        m1, ms = self.mu1(p), self.mustar(p)
        if p.ndim == 0:
            return float(m1), float(ms)
        return m1, ms

    def at(self, param):
        """The :class:`DotProductKernel` of this family at a scalar ``param``."""
        p = float(self.check_param(param))
        m1, ms = self.coefficients(p)
        kf = self.k
        return DotProductKernel(f"{self.name}({self.param_name}={p:.6g})",
                                lambda t: kf(np.asarray(t, dtype=float), p), m1, ms)

    def __call__(self, t, param):
        return self.k(np.asarray(t, dtype=float), float(self.check_param(param)))


def _rbf_mu1(g):
    return np.sqrt(2.0 * g * np.exp(-2.0 * g))


def _rbf_mustar(g):
    return np.sqrt(np.exp(-2.0 * g) * _expm1mx(2.0 * g))


#: Spherical Gaussian (RBF) ``k(t) = exp(-2 gamma (1 - t))``, i.e.
#: ``exp(-gamma |x - x'|^2 / d)`` on the sphere ``|x|^2 = d`` (THEORY §7, paper Eq. (41)).
RBF = KernelFamily(
    name="rbf", param_name="gamma",
    k=lambda t, g: np.exp(-2.0 * g * (1.0 - t)),
    mu1=_rbf_mu1, mustar=_rbf_mustar, param_range=(0.0, np.inf),
    description="k(t) = exp(-2 gamma (1 - t)); mu1^2 = 2 gamma e^{-2 gamma}, "
                "mustar^2 = 1 - e^{-2 gamma} - 2 gamma e^{-2 gamma}",
    tan2=lambda g: _expm1mx(2.0 * np.asarray(g, dtype=float)) / (2.0 * np.asarray(g, dtype=float)))

#: Exponential dot-product kernel ``k(t) = exp(t / s)``.
EXPONENTIAL = KernelFamily(
    name="exponential", param_name="s",
    k=lambda t, s: np.exp(t / s),
    mu1=lambda s: np.sqrt(1.0 / np.asarray(s, dtype=float)),
    mustar=lambda s: np.sqrt(_expm1mx(1.0 / np.asarray(s, dtype=float))),
    param_range=(0.0, np.inf),
    description="k(t) = exp(t / s); mu1^2 = 1/s, mustar^2 = e^{1/s} - 1 - 1/s",
    tan2=lambda s: np.asarray(s, dtype=float) * _expm1mx(1.0 / np.asarray(s, dtype=float)))


def _geom_k(t, a):
    # 1 / (1 - a t) = sum_k a^k t^k; t is clipped to [-1, 1] so that a t < 1 on the
    # diagonal too (|x|^2/d fluctuates around 1 at finite d).
    return 1.0 / (1.0 - a * np.clip(t, -1.0, 1.0))


#: Geometric dot-product kernel ``k(t) = 1 / (1 - a t)``, ``0 < a < 1``;
#: ``tan^2 theta = a / (1 - a)`` so ``a = sin^2 theta`` explicitly (paper Eq. (217)).
GEOMETRIC = KernelFamily(
    name="geometric", param_name="a",
    k=_geom_k,
    mu1=lambda a: np.sqrt(np.asarray(a, dtype=float)),
    mustar=lambda a: np.asarray(a, dtype=float) / np.sqrt(1.0 - np.asarray(a, dtype=float)),
    param_range=(0.0, 1.0),
    description="k(t) = 1 / (1 - a t); mu1^2 = a, mustar^2 = a^2 / (1 - a)",
    inverse_tan2=lambda T: T / (1.0 + T))

#: Unit-norm truncated quadratic ``k(t) = cos^2(theta) t + sin^2(theta) t^2``,
#: parametrised by its own angle (``param_for_angle`` is the identity).
QUADRATIC = KernelFamily(
    name="quadratic", param_name="theta",
    k=lambda t, th: np.cos(th) ** 2 * t + np.sin(th) ** 2 * t ** 2,
    mu1=lambda th: np.cos(np.asarray(th, dtype=float)),
    mustar=lambda th: np.sin(np.asarray(th, dtype=float)),
    param_range=(0.0, np.pi / 2),
    description="k(t) = cos^2(theta) t + sin^2(theta) t^2",
    inverse_tan2=lambda T: np.arctan(np.sqrt(T)))


@validated(degree=Integer(2))
def polynomial(degree=3):
    """Polynomial dot-product kernel family ``k(t) = (c + t)^p``, ``c > 0`` (paper Eq. (213)).

    ``mu1^2 = p c^(p-1)``, ``mustar^2 = (1 + c)^p - c^p - p c^(p-1)
    = sum_{j>=2} C(p, j) c^(p-j)``; the angle decreases from ``pi/2`` (``c -> 0``) to 0
    (``c -> inf``).
    """
    p = degree

    def mu1(c):
        c = np.asarray(c, dtype=float)
        return np.sqrt(p * c ** (p - 1))

    def mustar(c):
        c = np.asarray(c, dtype=float)
        tot = sum(comb(p, j, exact=True) * c ** (p - j) for j in range(2, p + 1))
        return np.sqrt(tot)

    inv = (lambda T: 1.0 / (2.0 * T)) if p == 2 else None
    return KernelFamily(
        name=f"polynomial{p}", param_name="c",
        k=lambda t, c: (c + t) ** p, mu1=mu1, mustar=mustar,
        param_range=(0.0, np.inf),
        description=f"k(t) = (c + t)^{p}; mu1^2 = {p} c^{p - 1}, "
                    f"mustar^2 = (1 + c)^{p} - c^{p} - {p} c^{p - 1}",
        inverse_tan2=inv)


FAMILIES = {
    "rbf": RBF,
    "exponential": EXPONENTIAL,
    "geometric": GEOMETRIC,
    "polynomial": polynomial(3),
    "quadratic": QUADRATIC,
}
"""The kernel families by name (``"polynomial"`` is the cubic ``(c + t)^3``)."""


def get_family(name):
    """The :class:`KernelFamily` called ``name`` (a key of :data:`FAMILIES`)."""
    return FAMILIES[check_choice("family", name, tuple(FAMILIES))]


@validated(theta=Interval(0.0, np.pi / 2))
def param_for_angle(family, theta, *, xtol=1e-13):
    """Parameter of ``family`` whose kernel has angle ``theta`` (paper Eqs. (212)-(217), Fig. 10).

    Vectorised over ``theta``. Uses the closed form where the family has one
    (geometric, quadratic, degree-2 polynomial), otherwise a vectorised bisection on
    the logarithm (or logit) of the parameter, where ``tan^2 theta(param)`` is
    monotonic for every family here.

    Raises
    ------
    ValueError
        If ``theta`` is outside the open interval of angles the family reaches; the
        message names the family and its range.
    """
    if isinstance(family, str):
        family = get_family(family)
    to_p, u_lo, u_hi = _real_line_coordinate(family.param_range)

    def ang(u):
        with np.errstate(all="ignore"):
            return family._angle_unchecked(to_p(u))

    a_lo, a_hi = float(ang(np.array(u_lo))), float(ang(np.array(u_hi)))
    _check_reachable(family, theta, a_lo, a_hi)
    if family.inverse_tan2 is not None:
        with np.errstate(divide="ignore"):
            p = family.inverse_tan2(np.tan(theta) ** 2)
        return float(p) if np.ndim(p) == 0 else p
    ua, ub = np.full(theta.shape, u_lo), np.full(theta.shape, u_hi)
    for _ in range(200):  # bisection on u, where the angle is monotonic
        mid = 0.5 * (ua + ub)
        go_left = (ang(mid) > theta) == (a_hi > a_lo)
        ub, ua = np.where(go_left, mid, ub), np.where(go_left, ua, mid)
        if np.max(ub - ua) < xtol:
            break
    p = to_p(0.5 * (ua + ub))
    return float(p) if p.ndim == 0 else p


def _real_line_coordinate(param_range):
    """``(to_p, u_lo, u_hi)``: a coordinate ``u`` on (a bracket of) the real line and the map to
    the parameter (log for ``(0, inf)``, identity for angles, logit otherwise)."""
    lo, hi = param_range
    if np.isinf(hi):
        return np.exp, -60.0, 60.0
    if lo == 0.0 and hi == np.pi / 2:
        return (lambda u: u), 0.0, np.pi / 2
    return (lambda u: lo + (hi - lo) / (1.0 + np.exp(-u))), -60.0, 60.0


def _check_reachable(family, theta, a_lo, a_hi):
    """``ValueError`` unless every ``theta`` lies in the open range of angles ``family`` reaches."""
    if family.name == "quadratic":
        reach, bad = (0.0, np.pi / 2), (theta < 0) | (theta > np.pi / 2)
    else:  # the endpoints are limits only
        reach = (min(a_lo, a_hi), max(a_lo, a_hi))
        bad = (theta <= reach[0]) | (theta >= reach[1])
    if np.any(bad):
        first = float(theta[bad].flat[0]) if theta.ndim else float(theta)
        raise ValueError(
            f"The 'theta' parameter must be in the range ({reach[0]:.6g}, {reach[1]:.6g}) "
            f"reachable by the {family.name} kernel family "
            f"({family.param_name} in {family.param_range}). Got {first!r} instead.")


# -- kernels at a given angle ---------------------------------------------------------------------


@validated(theta=Interval(0.0, np.pi / 2))
def family_parameters(theta, families=None):
    """Parameter of each kernel family whose kernel has angle ``theta`` (paper Fig. 10).

    Parameters
    ----------
    theta : array_like, in (0, pi/2)
    families : dict name -> KernelFamily, optional
        Default: the RBF, exponential, geometric and cubic polynomial families of
        :data:`FAMILIES` (the truncated quadratic is parametrised by its angle and is left out).

    Returns
    -------
    dict name -> array (same shape as ``theta``)
    """
    if families is None:
        families = {k: v for k, v in FAMILIES.items() if k != "quadratic"}
    return {name: np.asarray(param_for_angle.__wrapped__(fam, theta))
            for name, fam in families.items()}


def centred_kernel(family, param):
    """Member ``k(t) - k(0)`` of a family, as a :class:`DotProductKernel` (THEORY §6, §7).

    The constant ``k(0)`` leaves ``(mu1, mustar)`` and the theory unchanged, but at finite size it
    adds a rank-one mode ``k(0) 1 1^T`` to the Gram matrix. The SVM without intercept cannot
    absorb it: once many dual variables sit at their bound ``C = 1/lambda`` the prediction picks
    up ``k(0) C sum_mu y_mu``, a random offset of the order of the signal. Kernel ridge regression
    absorbs it as long as ``lambda << n k(0)``. Simulations meant to be compared with the theory
    therefore use the centred kernel (as THEORY §6 does with centred activations).
    """
    if isinstance(family, str):
        family = get_family(family)
    p = float(family.check_param(param))
    k0 = float(family.k(np.array(0.0), p))
    mu1, mustar = family.coefficients(p)

    def k(t, _f=family.k, _p=p, _k0=k0):
        return _f(np.asarray(t, dtype=float), _p) - _k0

    return DotProductKernel(name=f"{family.name}({family.param_name}={p:.4g}) - k(0)", k=k,
                            mu1=float(mu1), mustar=float(mustar))
