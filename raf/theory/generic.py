"""Any convex loss a user brings, on the channel side of the ERM state equations (THEORY §5).

:class:`ConvexLoss` wraps a loss ``l(y, z)`` (labels ``y = +-1``, prediction ``z``) given
as Python functions: its value, first derivative in ``z`` and, optionally, second
derivative (by finite differences of the first otherwise) and proximal operator (used
as a starting point, then polished). Points where ``l'`` or ``l''`` jumps ("kinks", like
the hinge's ``y z = 1``) are declared; between them the loss must be twice differentiable.
It is checked on entry: convex (``l'`` non-decreasing and ``l'' >= 0`` on a grid),
derivatives consistent with finite differences, proximal operator optimal. Then::

    erm(alpha, eps, lam, loss=ConvexLoss(...), mu1=..., mustar=..., kappa=...)

solves the state equations with the generic quadrature of
:mod:`raf.theory.proxquad` (both labels integrated, no symmetry assumed), for every
``lambda > 0``. (The ridgeless limit depends on whether and how the loss attains its
infimum; it is available for the built-in losses only.)

:func:`loss_model` maps every accepted ``loss`` argument of :func:`raf.theory.erm` --
``"square"``, ``"hinge"``, ``"logistic"`` or a :class:`ConvexLoss` -- to its channel and
training-error functions.
"""

from __future__ import annotations

import numpy as np

from . import proxquad as _pq

__all__ = ["ConvexLoss", "LossChoice", "check_ridgeless", "loss_model", "loss_name", "max_margin_path"]

_LADDER = (1.5, 3.0, 4.5, 6.2, 8.2, 10.6, 13.5, 17.0, 21.5, 27.0)
_Z_CHECK = np.sort(np.concatenate([np.linspace(-6.0, 6.0, 241), [-20.0, -12.0, -9.0, 9.0, 12.0, 20.0]]))


class ConvexLoss:
    """A convex loss ``l(y, z)`` for :func:`raf.theory.erm` (THEORY §5, generic channel).

    Parameters
    ----------
    value, grad : callable
        ``value(y, z)`` and ``grad(y, z) = dl/dz``, vectorised: ``y`` an array of ``+-1.0``
        broadcasting with the array ``z``.
    hess : callable, optional
        ``d2l/dz2``; central finite differences of ``grad`` when omitted.
    prox : callable, optional
        ``prox(y, omega, V) = argmin_p (p - omega)^2/(2V) + l(y, p)``, vectorised; used as
        the starting point of the solver's Newton steps.
    kinks : dict or sequence, optional
        Points where ``l'`` or ``l''`` jumps: ``{1: [z, ...], -1: [z, ...]}`` (a sequence
        applies to both labels), e.g. ``{1: [1.0], -1: [-1.0]}`` for the hinge and the
        squared hinge. The subgradient at a kink is read from ``grad`` just left and right of
        it; the quadrature puts a panel end there.
    name : str
        Shown in messages and ``repr``.
    check : bool
        Run the entry checks (default ``True``).

    Raises
    ------
    TypeError
        When a function is not callable or does not return a float array of the right shape.
    ValueError
        When the loss is not convex, or a derivative disagrees with finite differences of
        the function above it (an undeclared kink), or ``prox`` is not the proximal operator.

    Examples
    --------
    The hinge loss, ``max(0, 1 - y z)``, kink at ``y z = 1``::

        hinge = ConvexLoss(lambda y, z: np.maximum(0, 1 - y * z),
                           lambda y, z: np.where(y * z < 1, -y, 0.0),
                           lambda y, z: np.zeros_like(y * z), kinks={1: [1.0], -1: [-1.0]})
    """

    labels = ((1, 1.0), (-1, 1.0))

    def __init__(self, value, grad, hess=None, *, prox=None, kinks=None, name="custom", check=True):
        for pname, f in (("value", value), ("grad", grad), ("hess", hess), ("prox", prox)):
            if f is not None and not callable(f):
                raise TypeError(f"The '{pname}' parameter must be a callable. Got {f!r} of type "
                                f"{type(f).__name__} instead.")
        if not callable(value) or not callable(grad):
            raise TypeError("ConvexLoss needs the callables 'value' and 'grad'.")
        self.name = str(name)
        self._value, self._grad, self._hess, self._prox = value, grad, hess, prox
        self._kinks = {1: _kink_list(kinks, 1), -1: _kink_list(kinks, -1)}
        self._kink_slopes = {
            y: tuple((z, float(self._call(grad, y, z - _dz(z))), float(self._call(grad, y, z + _dz(z))))
                     for z in self._kinks[y])
            for y in (1, -1)
        }
        if check:
            self.check()

    def __repr__(self):
        return f"ConvexLoss({self.name!r})"

    # -- the functions, as float arrays --------------------------------------------------------
    @staticmethod
    def _call(f, y, z, *extra):
        y = np.asarray(y, float)
        z = np.asarray(z, float)
        out = np.asarray(f(y * np.ones_like(z), z, *extra), dtype=float)
        if out.shape != np.broadcast_shapes(np.shape(y), np.shape(z)):
            out = np.broadcast_to(out, np.broadcast_shapes(np.shape(y), np.shape(z))).copy()
        return out

    def value(self, y, z):
        return self._call(self._value, y, z)

    def grad(self, y, z):
        return self._call(self._grad, y, z)

    def hess(self, y, z):
        if self._hess is not None:
            return self._call(self._hess, y, z)
        z = np.asarray(z, float)
        h = 1e-4 * (1.0 + np.abs(z))
        return (self.grad(y, z + h) - self.grad(y, z - h)) / (2.0 * h)

    def grad_hess(self, y, z):
        return self.grad(y, z), self.hess(y, z)

    def kinks(self, y):
        return self._kink_slopes[int(y)]

    @property
    def slope0(self):
        """``-l'_+(+1, 0)``: a training sample is misfitted iff ``y omega <= -slope0 V``."""
        for z, _, gp in self._kink_slopes[1]:
            if z == 0.0:
                return -gp
        return -float(self.grad(1, 0.0))

    @property
    def curv0(self):
        """``l''(+1, 0)``: the Hebbian (``lambda -> inf``) ``V_hat`` is ``alpha curv0``."""
        return 0.0 if any(z == 0.0 for z, _, _ in self._kink_slopes[1]) else float(self.hess(1, 0.0))

    def p_points(self, y, V, p_lo, p_hi):
        """Panel ends on the ``p`` axis: widening ladders around 0 and around every kink."""
        c = np.clip(0.0, p_lo, p_hi)
        pts = [c] + [c + d for d in _LADDER] + [c - d for d in _LADDER]
        for z, _, _ in self._kink_slopes[int(y)]:
            pts += [z + d + 0 * V for d in (-3.5, -1.5, 1.5, 3.5)]
        return np.concatenate(pts, axis=1)

    def prox_guess(self, y, omega, V):
        omega, V = np.broadcast_arrays(np.asarray(omega, float), np.asarray(V, float))
        if self._prox is None:
            return np.full(omega.shape, np.nan)
        return self._call(self._prox, y, omega, V)

    # -- the channel ------------------------------------------------------------------------------
    def channel(self, q, s2, W, r, alpha, eps):
        """Rescaled conjugates ``(M, Q, U)`` (``r > 0``), by :func:`raf.theory.proxquad.prox_conjugates`."""
        return _pq.prox_conjugates(self, q, s2, W, r, alpha, eps)

    # -- entry checks -----------------------------------------------------------------------------
    def check(self):
        """Spot-check convexity and the derivatives on a grid of ``z`` (see the class docstring)."""
        z = _Z_CHECK
        for y in (1, -1):
            kz = np.array([k for k, _, _ in self._kink_slopes[y]])
            near = np.zeros(z.shape, bool)
            for k in kz:
                near |= np.abs(z - k) < 1e-2 * (1.0 + abs(k))
            _, g, h = self._checked("value", self.value, y, z), self._checked("grad", self.grad, y, z), \
                self._checked("hess", self.hess, y, z)
            scale = 1.0 + np.max(np.abs(g))
            dg = np.diff(g)
            if np.any(dg < -1e-9 * scale):
                i = int(np.argmin(dg))
                raise ValueError(f"The loss {self.name!r} is not convex: its derivative decreases from "
                                 f"{g[i]:.6g} at z={z[i]:.4g} to {g[i + 1]:.6g} at z={z[i + 1]:.4g} (y={y:+d}).")
            if np.any(h < -1e-9 * (1.0 + np.max(np.abs(h)))):
                i = int(np.argmin(h))
                raise ValueError(f"The loss {self.name!r} is not convex: l''(y={y:+d}, z={z[i]:.4g}) = "
                                 f"{h[i]:.6g} < 0.")
            step = 1e-5 * (1.0 + np.abs(z))
            fd_g = (self.value(y, z + step) - self.value(y, z - step)) / (2 * step)
            self._compare("grad", "value", y, z, g, fd_g, near, tol=1e-5)
            if self._hess is not None:
                fd_h = (self.grad(y, z + step) - self.grad(y, z - step)) / (2 * step)
                self._compare("hess", "grad", y, z, h, fd_h, near, tol=1e-4)
            if self._prox is not None:
                self._check_prox(y)
        # the training errors use one threshold for both labels: y omega <= -slope0 V
        gm1 = [gm for z, gm, _ in self._kink_slopes[-1] if z == 0.0]
        slope_minus = gm1[0] if gm1 else float(self.grad(-1, 0.0))
        if not np.isclose(slope_minus, self.slope0, rtol=1e-9, atol=1e-12):
            raise ValueError(f"The loss {self.name!r}: the slopes at z = 0 must be opposite for the two labels "
                             f"(l'(+1, 0) = -l'(-1, 0)); got {-self.slope0:.6g} and {slope_minus:.6g}.")

    def _checked(self, what, f, y, z):
        try:
            out = f(y, z)
        except Exception as exc:  # report which function failed, and how
            raise TypeError(f"The loss {self.name!r}: calling '{what}(y, z)' on arrays failed "
                            f"({type(exc).__name__}: {exc}). The functions must be vectorised.") from exc
        if out.shape != z.shape or not np.all(np.isfinite(out)):
            raise ValueError(f"The loss {self.name!r}: '{what}(y, z)' must return finite floats of the "
                             f"shape of z on z in [-20, 20]; got shape {out.shape}.")
        return out

    def _compare(self, what, of, y, z, got, fd, near, tol):
        bad = (np.abs(got - fd) > tol * (1.0 + np.abs(fd))) & ~near
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"The loss {self.name!r}: '{what}' disagrees with finite differences of '{of}' at "
                f"y={y:+d}, z={z[i]:.6g} ({got[i]:.8g} vs {fd[i]:.8g}). Check the formula; if the loss "
                "or its derivative jumps there, declare the point in 'kinks'.")

    def _check_prox(self, y):
        omega = np.linspace(-8.0, 8.0, 33)
        for V in (0.05, 1.0, 20.0):
            p = self._call(self._prox, y, omega, V)
            obj = lambda t: (t - omega) ** 2 / (2 * V) + self.value(y, t)  # noqa: E731
            d = 1e-6 * (1.0 + np.abs(p))
            worse = np.minimum(obj(p + d), obj(p - d)) < obj(p) - 1e-12 * (1.0 + np.abs(obj(p)))
            if not np.all(np.isfinite(p)) or worse.any():
                i = int(np.flatnonzero(~np.isfinite(p) | worse)[0])
                raise ValueError(f"The loss {self.name!r}: 'prox' is not the proximal operator at y={y:+d}, "
                                 f"omega={omega[i]:.4g}, V={V:g} (got p={p[i]:.6g}, which does not minimise "
                                 "(p - omega)^2/(2V) + l(y, p)).")


def _dz(z):
    return 1e-9 * (1.0 + abs(z))


def _kink_list(kinks, y):
    if kinks is None:
        return ()
    if isinstance(kinks, dict):
        pts = kinks.get(y, kinks.get(float(y), ()))
    else:
        pts = kinks
    try:
        out = tuple(sorted(float(z) for z in pts))
    except (TypeError, ValueError):
        raise TypeError(f"The 'kinks' parameter must map each label to a sequence of floats. Got {kinks!r}.") from None
    if not all(np.isfinite(out)):
        raise ValueError(f"The 'kinks' parameter must hold finite floats. Got {kinks!r}.")
    return out


# -- every loss erm accepts -------------------------------------------------------------------------
class _Builtin:
    """A named loss of ``LOSSES``: its channel, ``slope0 = -l'(+1, 0)`` and ``curv0 = l''(+1, 0)``."""

    def __init__(self, name, channel, slope0, curv0):
        self.name, self.channel, self.slope0, self.curv0 = name, channel, slope0, curv0


_BUILTIN_SLOPES = {"square": (1.0, 1.0), "hinge": (1.0, 0.0), "logistic": (0.5, 0.25)}


def loss_model(loss):
    """Channel, ``slope0`` and ``curv0`` of ``loss`` (a name in ``LOSSES`` or a :class:`ConvexLoss`)."""
    if isinstance(loss, ConvexLoss):
        return loss
    from .channels import CHANNELS

    return _Builtin(loss, CHANNELS[loss], *_BUILTIN_SLOPES[loss])


def max_margin_path(loss):
    """The loss whose ``lambda``-path leads to ``loss``'s ridgeless (``r = 0``) fixed point.

    For the logistic loss that fixed point is the hinge's max-margin one
    (:mod:`raf.theory.logistic`), so the continuation follows the hinge.
    """
    return "hinge" if isinstance(loss, str) and loss == "logistic" else loss


def loss_name(loss):
    """The name of ``loss`` (for messages and result inputs)."""
    return loss if isinstance(loss, str) else loss.name


class LossChoice:
    """``@validated`` spec of ``loss``: a name in ``LOSSES`` or a :class:`ConvexLoss`."""

    def __call__(self, name, value):
        from .._validation import check_choice
        from .channels import LOSSES

        if isinstance(value, ConvexLoss):
            return value
        if not isinstance(value, str):
            raise TypeError(f"The '{name}' parameter must be one of {LOSSES} or a raf.theory.ConvexLoss. "
                            f"Got {value!r} of type {type(value).__name__} instead.")
        return check_choice(name, value, LOSSES)


def check_ridgeless(loss, lam):
    """A :class:`ConvexLoss` needs ``lambda > 0`` (its ridgeless limit depends on how it reaches its infimum)."""
    if isinstance(loss, ConvexLoss) and np.any(np.asarray(lam) == 0):
        from .channels import LOSSES

        raise ValueError(
            "The 'lam' parameter must be a float in the range (0, inf] for a ConvexLoss (the ridgeless "
            f"limit is implemented for {', '.join(map(repr, LOSSES))} only). Got 0.0 instead.")
