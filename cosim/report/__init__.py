"""Self-contained HTML reports with plotly figures (see :mod:`cosim.report.html`)."""

from cosim.report.figures import (
    breakdown_figure,
    drm_figure,
    roofline_figure,
    sweep_figure,
    timeline_figure,
)
from cosim.report.html import Section, render_report, write_step_report
from cosim.report.tables import Table

__all__ = [
    "Section",
    "Table",
    "breakdown_figure",
    "drm_figure",
    "render_report",
    "roofline_figure",
    "sweep_figure",
    "timeline_figure",
    "write_step_report",
]
