"""Parameter checks with scikit-learn style messages.

Every public function of :mod:`raf` validates its inputs through these helpers, so a
bad value always produces a ``ValueError`` that names the parameter, its allowed
range and the value received, e.g.::

    The 'eps' parameter must be a float in the range [0, 1]. Got 1.5 instead.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass

import numpy as np

__all__ = ["check_range", "check_choice", "check_int", "Interval", "Choice", "Integer", "validated"]


def _fmt_bound(x):
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


def check_range(name, value, low=-np.inf, high=np.inf, *, low_open=False, high_open=False):
    """Return ``value`` as a float array after checking ``low <= value <= high``.

    ``low_open`` / ``high_open`` make the bound strict. NaN is always rejected.
    The message follows scikit-learn: it names the parameter, the interval and the
    offending value.
    """
    arr = _as_float_array(name, value, low, high, low_open, high_open)
    bad = np.isnan(arr)
    bad |= (arr <= low) if low_open else (arr < low)
    bad |= (arr >= high) if high_open else (arr > high)
    if np.any(bad):
        first = arr[bad].flat[0] if arr.ndim else float(arr)
        lo = "(" if low_open else "["
        hi = ")" if high_open or np.isinf(high) else "]"
        raise ValueError(
            f"The '{name}' parameter must be a float in the range "
            f"{lo}{_fmt_bound(low)}, {_fmt_bound(high)}{hi}. Got {first!r} instead."
        )
    return arr


def _interval_text(low, high, low_open, high_open):
    lo = "(" if low_open or np.isinf(low) else "["
    hi = ")" if high_open or np.isinf(high) else "]"
    return f"{lo}{_fmt_bound(low)}, {_fmt_bound(high)}{hi}"


def _as_float_array(name, value, low, high, low_open, high_open):
    """``value`` as a float array, or a ``TypeError`` naming the parameter and what it got."""
    if value is None or isinstance(value, (str, bytes)) or np.asarray(value).dtype.kind not in "biuf":
        got = "None" if value is None else f"{value!r} of type {type(value).__name__}"
        raise TypeError(
            f"The '{name}' parameter must be a float in the range "
            f"{_interval_text(low, high, low_open, high_open)}. Got {got} instead."
        )
    return np.asarray(value, dtype=float)


def check_choice(name, value, choices):
    """Check that ``value`` is one of ``choices`` (strings)."""
    if value not in choices:
        opts = ", ".join(repr(c) for c in choices)
        raise ValueError(
            f"The '{name}' parameter must be one of {{{opts}}}. Got {value!r} instead."
        )
    return value


def check_int(name, value, low=1):
    """Check that ``value`` is an integer ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(
            f"The '{name}' parameter must be an int in the range [{low}, inf). "
            f"Got {value!r} instead."
        )
    return int(value)


# -- declarative validation at the public boundary ------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """A float (or float array) parameter in ``[low, high]``; ``low_open``/``high_open`` make a bound strict."""

    low: float = -np.inf
    high: float = np.inf
    low_open: bool = False
    high_open: bool = False
    optional: bool = False  # ``None`` allowed (and passed through)

    def __call__(self, name, value):
        if value is None and self.optional:
            return None
        return check_range(name, value, self.low, self.high, low_open=self.low_open,
                           high_open=self.high_open)


@dataclass(frozen=True)
class Choice:
    """A parameter that must be one of ``options``."""

    options: tuple

    def __call__(self, name, value):
        return check_choice(name, value, self.options)


@dataclass(frozen=True)
class Integer:
    """An int parameter ``>= low``."""

    low: int = 1

    def __call__(self, name, value):
        return check_int(name, value, self.low)


def validated(**specs):
    """Check the named parameters of the decorated function on entry, declared beside its signature.

    Each spec is an :class:`Interval`, :class:`Choice`, :class:`Integer` or any callable
    ``spec(name, value) -> value``; the checked (converted) value is passed on. The undecorated
    function stays reachable as ``f.__wrapped__``, so nested calls inside :mod:`raf` skip the checks::

        @validated(alpha=Interval(0, np.inf, low_open=True), eps=Interval(0, 1))
        def bayes_optimal(alpha, eps): ...
    """

    def decorate(func):
        sig = inspect.signature(func)
        unknown = set(specs) - set(sig.parameters)
        if unknown:
            raise TypeError(f"validated: {func.__name__} has no parameter {sorted(unknown)}")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, spec in specs.items():
                bound.arguments[name] = spec(name, bound.arguments[name])
            return func(*bound.args, **bound.kwargs)

        wrapper.parameter_specs = dict(specs)
        return wrapper

    return decorate
