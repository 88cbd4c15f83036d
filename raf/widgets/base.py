"""A small container for a slider-driven figure (used by every chapter's explorer)."""

from __future__ import annotations

import matplotlib.pyplot as plt


class Explorer:
    """Controls + one matplotlib figure redrawn on every change.

    Parameters
    ----------
    controls : dict[str, ipywidgets.ValueWidget]
        Named controls; their ``value`` is passed to ``draw`` as keyword arguments.
    draw : callable
        ``draw(fig, **values) -> dict`` clears and redraws ``fig`` and returns the
        numbers it plotted (stored in ``self.state``).

    The explorer recomputes synchronously on each change, so tests can set
    ``explorer.controls[name].value`` and read ``explorer.state`` right after.
    """

    def __init__(self, controls, draw, *, figsize=(6.4, 4.2)):
        import ipywidgets as w

        self.controls = dict(controls)
        self._draw = draw
        self.output = w.Output()
        with plt.ioff():
            self.fig = plt.figure(figsize=figsize)
        self.state = {}
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")),
                              self.output])
        self.update()

    def values(self):
        return {k: c.value for k, c in self.controls.items()}

    def update(self):
        self.fig.clear()
        self.state = dict(self._draw(self.fig, **self.values()))
        self.output.clear_output(wait=True)
        with self.output:
            from IPython.display import display

            display(self.fig)

    def _on_change(self, _change):
        self.update()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
