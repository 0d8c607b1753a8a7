"""The `cosim validate` HTML report: error tables, predicted-vs-measured and error-vs-size plots.

Figures are plain plotly (SVG) in the shared self-contained report template; every dataset,
device and operator string is escaped for plotly text, tables through Jinja2 autoescaping. Large
datasets are thinned evenly for drawing (the tables always use every point).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from cosim.report.figures import PALETTE, plot_text
from cosim.report.html import Section, render_report
from cosim.report.tables import Table
from cosim.validate.measurement import Measurement
from cosim.validate.run import ValidationRun
from cosim.validate.stats import operator_label, percent_error

MAX_POINTS_PER_DATASET = 1200
BAND = 0.10  # the ±10 % band drawn around y = x
_TEMPLATE = "plotly_white"


def problem_size(m: Measurement) -> float:
    """A size to plot errors against, comparable within a kind (FLOPs, elements, tokens attended...)."""
    p = m.params
    if m.kind == "gemm" and {"m", "n", "k"} <= set(p):
        return 2.0 * p["m"] * p["n"] * p["k"]
    if m.kind.startswith("attention") and {"batch", "context"} <= set(p):
        return float(p["batch"]) * float(p.get("q_len", 1)) * float(p["context"]) * float(p.get("heads", 1))
    if m.kind == "elementwise" and {"tokens", "hidden"} <= set(p):
        return float(p["tokens"]) * float(p["hidden"])
    if m.kind == "allreduce" and "bytes" in p:
        return float(p["bytes"])
    if "batch" in p and "context" in p:
        return float(p["batch"]) * float(p["context"])
    return m.measured_s


SIZE_AXIS = ("problem size: GEMM 2mnk FLOP; attention batch·q_len·context·heads; elementwise elements; "
             "all-reduce bytes; layer/step batch·context")


def _hover(m: Measurement) -> str:
    """Short point label: the source file's name and row (the full path is in the dataset's text)."""
    return plot_text(m.source.rsplit("/", 1)[-1])


def _thin(indices: list[int], limit: int) -> list[int]:
    if len(indices) <= limit:
        return indices
    picks = np.linspace(0, len(indices) - 1, limit).round().astype(int)
    return [indices[i] for i in picks]


def _by_operator(run: ValidationRun, dataset: str) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(run.measurements):
        if m.dataset == dataset and np.isfinite(run.predicted[i]):
            groups[operator_label(m)].append(i)
    return groups


def _shown(groups: dict[str, list[int]]) -> tuple[dict[str, list[int]], int, int]:
    total = sum(len(v) for v in groups.values())
    share = min(1.0, MAX_POINTS_PER_DATASET / total) if total else 1.0
    shown = {op: _thin(idx, max(1, int(len(idx) * share))) for op, idx in groups.items()}
    return shown, total, sum(len(v) for v in shown.values())


def scatter_figure(run: ValidationRun, dataset: str) -> go.Figure:
    """Predicted against measured, log-log, with y = x and the ±10 % band."""
    shown, total, drawn = _shown(_by_operator(run, dataset))
    fig = go.Figure()
    all_idx = [i for idx in shown.values() for i in idx]
    if all_idx:
        values = np.concatenate([[run.measurements[i].measured_s for i in all_idx], run.predicted[all_idx]])
        lo, hi = float(values.min()) / 1.5, float(values.max()) * 1.5
        line = np.geomspace(lo, hi, 50)
        fig.add_trace(go.Scatter(x=line, y=line * (1 + BAND), mode="lines", line={"width": 0},
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=line, y=line * (1 - BAND), mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor="rgba(99,110,250,0.12)", name="±10 %", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=line, y=line, mode="lines", line={"color": "black", "dash": "dash"},
                                 name="y = x"))
    for n, (op, idx) in enumerate(sorted(shown.items())):
        measured = [run.measurements[i].measured_s for i in idx]
        fig.add_trace(go.Scatter(
            x=measured, y=run.predicted[idx], mode="markers", name=plot_text(op),
            marker={"size": 5, "color": PALETTE[n % len(PALETTE)], "opacity": 0.7},
            text=[_hover(run.measurements[i]) for i in idx],
            hovertemplate="measured %{x:.3g} s<br>predicted %{y:.3g} s<br>%{text}<extra></extra>"))
    note = f" ({drawn} of {total} points drawn)" if drawn < total else ""
    fig.update_layout(template=_TEMPLATE, title=plot_text(f"{dataset}: predicted vs measured{note}"),
                      xaxis={"type": "log", "title": "measured (s)"},
                      yaxis={"type": "log", "title": "predicted (s)"}, height=480)
    return fig


def error_size_figure(run: ValidationRun, dataset: str) -> go.Figure:
    """Signed % error against problem size, log x; the ±10 % band shaded."""
    shown, total, drawn = _shown(_by_operator(run, dataset))
    fig = go.Figure()
    fig.add_hrect(y0=-100 * BAND, y1=100 * BAND, fillcolor="rgba(99,110,250,0.12)", line_width=0)
    fig.add_hline(y=0, line={"color": "black", "dash": "dash"})
    for n, (op, idx) in enumerate(sorted(shown.items())):
        ms = [run.measurements[i] for i in idx]
        err = percent_error(run.predicted[idx], np.array([m.measured_s for m in ms]))
        fig.add_trace(go.Scatter(
            x=[problem_size(m) for m in ms], y=err, mode="markers", name=plot_text(op),
            marker={"size": 5, "color": PALETTE[n % len(PALETTE)], "opacity": 0.7},
            text=[_hover(m) for m in ms],
            hovertemplate="size %{x:.3g}<br>error %{y:.1f} %<br>%{text}<extra></extra>"))
    note = f" ({drawn} of {total} points drawn)" if drawn < total else ""
    fig.update_layout(template=_TEMPLATE, title=plot_text(f"{dataset}: error vs size{note}"),
                      xaxis={"type": "log", "title": SIZE_AXIS}, yaxis={"title": "error (%): predicted vs measured"},
                      height=420)
    return fig


def _row_dicts(rows: Sequence) -> list[dict]:
    return [{"dataset": r.dataset, "device": r.device, "operator": r.operator, "split": r.split, "n": r.n,
             "median_abs_pct": r.median_abs_pct, "p90_abs_pct": r.p90_abs_pct, "max_abs_pct": r.max_abs_pct,
             "bias_pct": r.bias_pct, "failed": r.failed} for r in rows]


def _dataset_rows(run: ValidationRun) -> list[dict]:
    return [{"dataset": d.name, "records": d.loaded, "in_split": d.in_split,
             "skipped": sum(d.skipped.values()),
             "why_skipped": "; ".join(f"{n} {why}" for why, n in d.skipped.items()) or "-",
             "not_predicted": sum(d.failed.values()),
             "status": d.missing or "loaded"} for d in run.datasets]


def validation_sections(run: ValidationRun, command: str = "") -> list[Section]:
    split_text = {"holdout": "held-out points only (never used for calibration)",
                  "train": "the fitted (calibration) points only",
                  "all": "every point; held-out and fitted rows are listed separately"}[run.split]
    intro = (f"Cost model: {run.cost_model}. Split: {split_text}. Error = (predicted - measured) / measured; "
             f"bias is the median signed error (negative: cosim too fast). {len(run.measurements)} points, "
             f"evaluated in {run.seconds:.1f} s." + (f"\nCommand: {command}" if command else ""))
    sections = [
        Section("Summary", intro, tables=[
            Table(_row_dicts(run.summary), caption="By category, over every dataset"),
            Table(_row_dicts(run.by_device), caption="By category and device"),
            Table(_dataset_rows(run), caption="Datasets: records loaded, rows skipped (and why)"),
        ]),
        Section("Error table", "", tables=[Table(_row_dicts(run.rows), caption="By dataset, device and operator")]),
    ]
    descriptions = {d.name: d.description for d in run.datasets}
    for dataset in dict.fromkeys(m.dataset for m in run.measurements):
        sections.append(Section(f"Dataset {dataset}", descriptions.get(dataset, ""),
                                [scatter_figure(run, dataset), error_size_figure(run, dataset)]))
    return sections


def write_validation_report(run: ValidationRun, path: str | Path, *, command: str = "") -> Path:
    inputs = {"cost model": run.cost_model, "split": run.split,
              "datasets": ", ".join(d.name for d in run.datasets)}
    return render_report("cosim validate: predictions against measured data", validation_sections(run, command),
                         path=path, inputs=inputs)
