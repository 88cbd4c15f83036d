"""The one result protocol of :mod:`raf`.

Every computation that sweeps a grid or can fail returns a :class:`Result`, in the manner of
SciPy's vectorised solvers: the broadcast inputs, the outputs, and per grid point whether it
``converged``, the iterations it took (``n_iter``) and the final ``residual``, plus one
``message`` for the whole call. ``to_rows()`` gives a tidy table, one row per parameter point
with every input a column.

Outputs and inputs are reached as attributes (``res.e_gen``, ``res.alpha``) or keys
(``res["e_gen"]``); ``res[idx]`` (an index or slice into the grid) gives the sub-result.
Outputs may carry trailing axes beyond the grid shape (for example one value per seed); those
axes are named in ``trailing`` and ``to_rows`` writes them as lists.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["Result", "warn_unconverged"]


class Result:
    """Outputs of one vectorised computation over a grid of parameter points.

    Parameters
    ----------
    inputs : dict of str -> array-like
        The parameters, broadcast to the grid shape (``None`` values are kept as they are).
    outputs : dict of str -> array-like
        The computed quantities; the leading axes have the grid shape.
    converged : array-like of bool, optional
        Per point; ``True`` everywhere when omitted (a closed form).
    n_iter : array-like of int, optional
        Iterations per point; 0 when omitted.
    residual : array-like of float, optional
        Final residual per point; 0 when omitted.
    message : str, optional
        What went wrong, or ``"converged"``; built from ``converged`` when omitted.
    trailing : dict of str -> str, optional
        For an output with trailing axes, a name for them (e.g. ``{"e_gen_seeds": "seed"}``).
    """

    __slots__ = ("inputs", "outputs", "converged", "n_iter", "residual", "message", "trailing")

    def __init__(self, inputs, outputs, *, converged=None, n_iter=None, residual=None,
                 message=None, trailing=None):
        outputs = {k: np.asarray(v) for k, v in outputs.items()}
        shape = _grid_shape(inputs, outputs, converged)
        self.inputs = {k: (v if v is None or isinstance(v, str) else np.broadcast_to(np.asarray(v), shape))
                       for k, v in inputs.items()}
        self.outputs = outputs
        self.converged = (np.ones(shape, bool) if converged is None
                          else np.broadcast_to(np.asarray(converged, bool), shape))
        self.n_iter = (np.zeros(shape, int) if n_iter is None
                       else np.broadcast_to(np.asarray(n_iter, int), shape))
        self.residual = (np.zeros(shape) if residual is None
                         else np.broadcast_to(np.asarray(residual, float), shape))
        if message is None:
            bad = int(np.size(self.converged) - np.count_nonzero(self.converged))
            message = "converged" if bad == 0 else f"{bad} of {np.size(self.converged)} points did not converge"
        self.message = message
        self.trailing = dict(trailing or {})

    # -- access ---------------------------------------------------------------------------------
    @property
    def shape(self):
        return self.converged.shape

    @property
    def success(self):
        """``True`` when every point converged."""
        return bool(np.all(self.converged))

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        for table in ("outputs", "inputs"):
            d = object.__getattribute__(self, table)
            if name in d:
                return d[name]
        raise AttributeError(f"{type(self).__name__} has no output or input {name!r}")

    def __getitem__(self, key):
        if isinstance(key, str):
            return getattr(self, key)
        pick = lambda v: v if v is None or isinstance(v, str) else np.asarray(v)[key]  # noqa: E731
        return Result({k: pick(v) for k, v in self.inputs.items()},
                      {k: v[key] for k, v in self.outputs.items()},
                      converged=self.converged[key], n_iter=self.n_iter[key],
                      residual=self.residual[key], message=self.message, trailing=self.trailing)

    def __iter__(self):
        # A Result is not a sequence: without this, ``lam, res = f(...)`` on a Result of shape (2,)
        # would silently unpack its two sub-results through ``__getitem__``.
        raise TypeError(f"{type(self).__name__} is not iterable; index it (res[i]) or read an "
                        "output (res.e_gen)")

    def __contains__(self, name):
        return name in self.outputs or name in self.inputs

    def __repr__(self):
        outs = ", ".join(self.outputs)
        return f"Result(shape={self.shape}, outputs=[{outs}], message={self.message!r})"

    # -- tables ---------------------------------------------------------------------------------
    def to_rows(self):
        """One dict per grid point: every input, every output, ``converged``, ``n_iter``, ``residual``."""
        rows = []
        for idx in np.ndindex(*self.shape):
            row = {}
            for k, v in self.inputs.items():
                row[k] = v if v is None or isinstance(v, str) else _scalar(v[idx])
            for k, v in self.outputs.items():
                row[k] = _scalar(v[idx])
            row["converged"] = bool(self.converged[idx])
            row["n_iter"] = int(self.n_iter[idx])
            row["residual"] = float(self.residual[idx])
            rows.append(row)
        return rows


def _scalar(x):
    x = np.asarray(x)
    if x.ndim:
        return x.tolist()
    return x.item()


def _grid_shape(inputs, outputs, converged):
    if converged is not None:
        return np.shape(converged)
    arrays = [np.asarray(v) for v in inputs.values() if v is not None and not isinstance(v, str)]
    return np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()


def warn_unconverged(result, what, *, stacklevel=3):
    """Emit one ``RuntimeWarning`` naming ``what`` when some points of ``result`` did not converge."""
    if not result.success:
        bad = int(np.size(result.converged) - np.count_nonzero(result.converged))
        warnings.warn(f"{what}: {bad} of {np.size(result.converged)} points did not converge; "
                      "they are flagged converged=False (see result.message).",
                      RuntimeWarning, stacklevel=stacklevel)
    return result
