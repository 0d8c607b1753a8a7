"""Panel layout of faceted charts: a grid for a few panels, one panel with a slider for many.

A study may have any number of context lengths, and a chart with one panel per context used to be a
single row of subplots: plotly refuses a row of more than 26 panels (its spacing no longer fits) and the
panels became unreadably thin long before that. Up to :data:`MAX_GRID_PANELS` panels are laid out as a
grid of at most :data:`GRID_COLUMNS` columns sharing their y axis; beyond that the chart is one panel
and a slider selects the facet value. The slider swaps the traces' data (one trace per line, not one
per line and facet), so the figure stays linear in the number of points however many facets there are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

MAX_GRID_PANELS = 12
"""More facet values than this are shown one at a time, selected with a slider."""
GRID_COLUMNS = 4
PANEL_ROW_HEIGHT_PX = 320
"""Height of one grid row once a grid needs more than one row (one row keeps plotly's default height)."""


class FacetLayout:
    """Places the traces of facet ``i`` in their panel; :meth:`finish` returns the figure.

    ``labels`` are the facet values as plot text (already escaped), ``prefix`` the text before each
    (``"context="``); ``prefix=None`` with one label is a plain chart without panel titles.
    """

    def __init__(self, labels: Sequence[str], prefix: str | None) -> None:
        self.labels = list(labels) or [""]
        self.prefix = prefix
        self.selectable = len(self.labels) > MAX_GRID_PANELS
        self._pending: list[tuple[int, go.Scatter]] = []
        if self.selectable:
            self.rows, self.cols = 1, 1
            self.fig = make_subplots(rows=1, cols=1)
            return
        self.rows = math.ceil(len(self.labels) / GRID_COLUMNS)
        self.cols = math.ceil(len(self.labels) / self.rows)  # balanced: 5 panels are 3 + 2, not 4 + 1
        titles = [f"{prefix}{label}" for label in self.labels] if prefix is not None else None
        self.fig = make_subplots(rows=self.rows, cols=self.cols, shared_yaxes="all",
                                 horizontal_spacing=0.04, vertical_spacing=0.5 / self.rows if self.rows > 1 else 0.0,
                                 subplot_titles=titles)
        if self.rows > 1:
            self.fig.update_layout(height=PANEL_ROW_HEIGHT_PX * self.rows + 120)

    def add(self, trace: go.Scatter, index: int) -> None:
        """Add ``trace`` to the panel of facet ``index`` (0-based)."""
        if self.selectable:
            self._pending.append((index, trace))
        else:
            self.fig.add_trace(trace, row=index // self.cols + 1, col=index % self.cols + 1)

    @property
    def first_column(self) -> list[tuple[int, int]]:
        """(row, col) of the panels that carry the y-axis title."""
        return [(row, 1) for row in range(1, self.rows + 1)]

    def finish(self) -> go.Figure:
        """The figure; in the selectable view, one trace per line and a slider over the facet values."""
        if not self.selectable:
            return self.fig
        keys: dict[tuple[str, str], go.Scatter] = {}
        data: dict[tuple[str, str], dict[int, tuple[list, list]]] = {}
        shown: set[tuple[str, str]] = set()
        for index, trace in self._pending:
            key = (str(trace.name), str((trace.meta or {}).get("role", "")))
            keys.setdefault(key, trace)
            data.setdefault(key, {})[index] = (list(trace.x), list(trace.y))
            if trace.showlegend is not False:
                shown.add(key)
        first = len(self.fig.data)
        for key, template in keys.items():
            x, y = data[key].get(0, ([], []))
            self.fig.add_trace(template.update(x=x, y=y, showlegend=key in shown))
        indices = list(range(first, first + len(keys)))
        steps = []
        for index, label in enumerate(self.labels):
            xs = [data[key].get(index, ([], []))[0] for key in keys]
            ys = [data[key].get(index, ([], []))[1] for key in keys]
            steps.append({"method": "restyle", "label": label, "args": [{"x": xs, "y": ys}, indices]})
        self.fig.update_layout(sliders=[{
            "active": 0, "steps": steps, "pad": {"t": 60},
            "currentvalue": {"prefix": self.prefix or "", "font": {"size": 14}},
        }])
        return self.fig
