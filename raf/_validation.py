"""Parameter checks with scikit-learn style messages.

Every public function of :mod:`raf` validates its inputs through these helpers, so a
bad value always produces a ``ValueError`` that names the parameter, its allowed
range and the value received, e.g.::

    The 'eps' parameter must be a float in the range [0, 1]. Got 1.5 instead.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_range", "check_choice", "check_int"]


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
    arr = np.asarray(value, dtype=float)
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
