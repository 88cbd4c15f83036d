"""A small container for a slider-driven figure (used by every chapter's explorer)."""

from __future__ import annotations

import html
import io
import math
import numbers

import matplotlib.pyplot as plt

#: Numbers of an explorer's ``state`` shown under its figure when the explorer names none:
#: ``key -> (label, format)``, in display order; the keys an explorer's ``state`` lacks are left out.
READOUT_FIELDS = {
    "e_bo_at": ("E_gen Bayes-optimal", ".4f"),
    "e_lin_at": ("E_gen ridge at λ_opt", ".4f"),
    "lam_opt": ("λ_opt", ".4g"),
    "e_gen_at": ("E_gen", ".4f"),
    "e_mem_at": ("E_mem", ".4f"),
    "bayes": ("E_gen Bayes-optimal", ".4f"),
    "e_gen_best": ("smallest E_gen on the curve", ".4f"),
    "lam_best": ("at λ", ".3g"),
    "e_gen_lam0": ("E_gen at λ→0", ".4f"),
    "e_gen_laminf": ("E_gen at λ→∞", ".4f"),
    "slope": ("fitted slope", ".3f"),
    "coef_at_max": ("E_gen·√α at α=10⁴", ".4f"),
    "n": ("n", "d"),
    "n_facts": ("facts", "d"),
    "frac_against_rule": ("labels against the rule", ".3f"),
}


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def readout_html(state, fields=None) -> str:
    """The numbers of ``state`` as one line of HTML: ``label = value`` separated by ``·``.

    ``fields`` maps state keys to ``(label, format)`` (default :data:`READOUT_FIELDS`); keys
    missing from ``state`` or not holding a real number are skipped. Each number is a
    ``<span class="raf-readout" data-key=... data-value=...>`` whose ``data-value`` is the
    full-precision value (``repr``), so that a test can compare it with :mod:`raf.theory`.
    """
    fields = READOUT_FIELDS if fields is None else fields
    parts = []
    for key, (label, fmt) in fields.items():
        v = state.get(key) if hasattr(state, "get") else None
        if not _is_number(v):
            continue
        v = int(v) if fmt == "d" else float(v)
        text = "—" if isinstance(v, float) and not math.isfinite(v) else format(v, fmt)
        parts.append(f'<span class="raf-readout" data-key="{html.escape(key)}" '
                     f'data-value="{v!r}">{html.escape(label)} = {text}</span>')
    return " · ".join(parts)


class Explorer:
    """Controls + one matplotlib figure redrawn on every change, with a numeric readout.

    Parameters
    ----------
    controls : dict[str, ipywidgets.ValueWidget]
        Named controls; their ``value`` is passed to ``draw`` as keyword arguments.
    draw : callable
        ``draw(fig, **values) -> dict`` clears and redraws ``fig`` and returns the
        numbers it plotted (stored in ``self.state``).
    readout : dict or callable, optional
        What the line under the figure shows: ``{key: (label, format)}`` for
        :func:`readout_html` (default :data:`READOUT_FIELDS`), or ``readout(state) -> str``
        returning HTML.

    The explorer recomputes synchronously on each change, so tests can set
    ``explorer.controls[name].value`` and read ``explorer.state`` (and
    ``explorer.readout.value``) right after. The figure is shown as a PNG in an ``Image`` widget
    (``explorer.image``), rendered once per change (no second pass for a tight bounding box: a
    redraw in the browser costs half as much); it is closed as soon as it is created, so the
    cell shows no second, static copy of it.
    """

    def __init__(self, controls, draw, *, figsize=(6.4, 4.2), readout=None):
        import ipywidgets as w

        self.controls = dict(controls)
        self._draw = draw
        self._readout = readout
        self.image = w.Image(format="png")
        self.readout = w.HTML(layout=w.Layout(margin="0 0 0 8px"))
        with plt.ioff():
            self.fig = plt.figure(figsize=figsize)
        plt.close(self.fig)
        self.state = {}
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")),
                              self.image, self.readout])
        self.update()

    def values(self):
        return {k: c.value for k, c in self.controls.items()}

    def png(self) -> bytes:
        """The figure as PNG, drawn once (the drawing functions lay it out themselves)."""
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png")
        return buf.getvalue()

    def update(self):
        self.fig.clear()
        self.state = dict(self._draw(self.fig, **self.values()))
        self.image.value = self.png()
        self.readout.value = (self._readout(self.state) if callable(self._readout)
                              else readout_html(self.state, self._readout))

    def _on_change(self, _change):
        self.update()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
