"""Plotly figures built from the result contract (:mod:`cosim.perf.result`) and DRM curves.

Each function returns a ``plotly.graph_objects.Figure`` and does no I/O, so figures can be shown in
a notebook, written into an HTML report (:mod:`cosim.report.html`) or checked in tests. User strings
(model, system, device, operator names) are escaped for plotly's pseudo-HTML text renderer so that
a name such as ``a<b`` is displayed literally instead of being read as markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps
from cosim.perf.result import TRANSFER_KIND, OpResult, StepResult
from cosim.report.facets import FacetLayout
from cosim.report.palette import device_colors, kind_color
from cosim.report.tables import unit_for_column
from cosim.units import format_quantity
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit

PALETTE: tuple[str, ...] = tuple(qualitative.Plotly) + tuple(qualitative.D3)
DASHES: tuple[str, ...] = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
NOT_FIT_SYMBOL = "circle-open"
"""Marker of sweep points whose configuration does not fit in device memory."""

_COLLECTIVE_KINDS = frozenset({"all_reduce", "all_gather"})
_TEMPLATE = "plotly_white"


def plot_text(value: object) -> str:
    """Escape a user string for plotly text (titles, legends, hover), which renders a subset of HTML."""
    return html.escape(str(value), quote=False)


def time_scale(max_s: float) -> tuple[float, str]:
    """(divisor, unit) that shows ``max_s`` seconds as a readable number: s, ms, µs or ns."""
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if max_s >= scale:
            return scale, unit
    return 1e-9, "ns"


AXIS_TITLES: dict[str, str] = {
    "batch": "batch size (requests)",
    "context": "context length (tokens)",
    "tokens_per_s": "throughput (tokens/s)",
    "latency_s": "step latency (s)",
}
"""Axis titles, with units, of the result columns that studies plot most."""


def axis_title(column: str) -> str:
    """An axis title that names its unit: a known column's title, else the column with the unit its name carries."""
    if column in AXIS_TITLES:
        return AXIS_TITLES[column]
    unit = unit_for_column(column)
    return f"{column} ({unit[0]})" if unit else column


def _titles_with_units(fig: go.Figure, x: str, y: str) -> None:
    """Replace the bare column names on every axis of a (faceted) chart by titles that carry units."""
    for column, for_each in ((x, fig.for_each_xaxis), (y, fig.for_each_yaxis)):
        bare, titled = plot_text(column), plot_text(axis_title(column))
        for_each(lambda axis, bare=bare, titled=titled: axis.update(title={"text": titled})
                 if axis.title.text == bare else None)


def _as_results(results: StepResult | Iterable[StepResult]) -> list[StepResult]:
    return [results] if isinstance(results, StepResult) else list(results)


def config_labels(results: Sequence[StepResult]) -> list[str]:
    """Short, unique label per result naming only the fields that differ between the results."""
    fields = ("system", "model", "phase", "batch", "context", "tp", "fusion", "mapping", "cost_model")
    short = {"batch": "B", "context": "ctx", "tp": "TP"}
    varying = [f for f in fields if len({getattr(r, f) for r in results}) > 1]
    if not varying:
        varying = ["system", "batch", "context"]
    labels = []
    for r in results:
        parts = [f"{short[f]}={getattr(r, f)}" if f in short else str(getattr(r, f)) for f in varying]
        labels.append(" · ".join(parts))
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if labels.count(label) == 1 else f"{label} #{seen[label]}")
    return unique


def _color_map(values: Iterable[object]) -> dict[object, str]:
    out: dict[object, str] = {}
    for v in values:
        if v not in out:
            out[v] = PALETTE[len(out) % len(PALETTE)]
    return out


def _kind_colors(kinds: Iterable[object]) -> dict[object, str]:
    """Operator kind -> its fixed colour (:mod:`cosim.report.palette`), the same in every figure."""
    return {k: kind_color(k) for k in kinds}


def _plottable_on_roofline(op: OpResult) -> bool:
    # Transfers, collectives and pure data movement have no arithmetic to place on a roofline.
    return (op.flops > 0 and op.bytes > 0 and op.latency_s > 0
            and op.kind not in _COLLECTIVE_KINDS and op.kind != TRANSFER_KIND)


def roofline_figure(
    results: StepResult | Iterable[StepResult],
    devices_caps: Mapping[str, DeviceCaps],
    *,
    dtype: DType | str = DType.BF16,
    color_by: str = "device",
) -> go.Figure:
    """Log-log roofline: one ceiling ``min(peak, bw * AI)`` per device, operators as points.

    ``devices_caps`` maps the device names used in ``OpResult.device`` to their caps; the ceiling
    uses the matrix unit's achieved FLOP/s at ``dtype`` (the step's compute dtype; ``OpResult``
    does not carry one) and ``achieved_bw_bytes_per_s``. A point's y is the FLOP/s one copy of the
    operator achieves; its size grows with the operator's total time in the step.
    """
    if color_by not in ("device", "kind"):
        raise CosimInputError(f"unknown color_by {color_by!r}", field="color_by", allowed=["device", "kind"])
    dtype = DType.parse(dtype, field="dtype")
    steps = _as_results(results)
    labels = config_labels(steps) if len(steps) > 1 else [""] * len(steps)
    points: list[tuple[str, OpResult]] = []
    skipped = 0
    for label, step in zip(labels, steps, strict=True):
        for op in step.ops:
            if _plottable_on_roofline(op):
                points.append((label, op))
            else:
                skipped += 1

    fig = go.Figure()
    ais = [op.arithmetic_intensity for _, op in points]
    x_lo = min(ais) / 10 if ais else 0.1
    x_hi = max(ais) * 10 if ais else 1e4
    ceiling_colors = device_colors(devices_caps)
    for device, caps in devices_caps.items():
        peak = caps.achieved_flops(ComputeUnit.MATRIX, dtype)
        bw = caps.achieved_bw_bytes_per_s
        ridge = peak / bw
        lo, hi = min(x_lo, ridge / 10), max(x_hi, ridge * 10)
        xs = [lo, ridge, hi]  # min(peak, bw*AI) is two straight segments on log-log axes
        fig.add_trace(go.Scatter(
            x=xs, y=[min(peak, bw * x) for x in xs], mode="lines",
            name=f"{plot_text(device)} ceiling",
            line={"color": ceiling_colors[device], "width": 2},
            hovertemplate=(f"{plot_text(device)}<br>peak {format_quantity(peak, 'FLOP/s')} ({dtype.value})"
                           f"<br>bandwidth {format_quantity(bw, 'B/s')}"
                           f"<br>ridge {ridge:.3g} FLOP/B<extra></extra>"),
            meta={"role": "ceiling", "device": str(device)},
        ))

    groups: dict[str, list[tuple[str, OpResult]]] = {}
    for label, op in points:
        groups.setdefault(getattr(op, color_by), []).append((label, op))
    colors = device_colors([*devices_caps, *groups]) if color_by == "device" else _kind_colors(groups)
    max_total = max((op.total_s for _, op in points), default=0.0)
    for key, members in groups.items():
        sizes = [8 + 22 * math.sqrt(op.total_s / max_total) if max_total > 0 else 8 for _, op in members]
        hover = [
            [plot_text(op.name), plot_text(op.kind), plot_text(op.device), format_quantity(op.latency_s, "s"),
             format_quantity(op.total_s, "s"), op.repeat, plot_text(op.bound), plot_text(label)]
            for label, op in members
        ]
        fig.add_trace(go.Scatter(
            x=[op.arithmetic_intensity for _, op in members],
            y=[op.achieved_flops_per_s for _, op in members],
            mode="markers", name=plot_text(key),
            marker={"size": sizes, "color": colors[key], "opacity": 0.8,
                    "line": {"width": 1, "color": "#333"}},
            customdata=hover,
            hovertemplate=("<b>%{customdata[0]}</b> %{customdata[7]}<br>kind %{customdata[1]} on "
                           "%{customdata[2]}<br>%{customdata[3]} per copy, %{customdata[4]} total "
                           "(×%{customdata[5]})<br>%{customdata[6]}-bound<br>AI %{x:.3g} FLOP/B, "
                           "%{y:.3s}FLOP/s<extra></extra>"),
            meta={"role": "operators", "group": str(key)},
        ))
    title = "Roofline: operators against device ceilings"
    if skipped:
        title += (f"<br><sub>{skipped} operators not shown: no FLOPs or bound by links "
                  "(embeddings, cache writes, transfers, collectives)</sub>")
    fig.update_layout(
        template=_TEMPLATE, title={"text": title},
        xaxis={"type": "log", "title": {"text": "arithmetic intensity (FLOP/byte)"}},
        yaxis={"type": "log", "title": {"text": "achieved throughput (FLOP/s)"}, "exponentformat": "SI"},
        legend={"title": {"text": color_by}},
    )
    return fig


def breakdown_figure(
    results: StepResult | Iterable[StepResult],
    *,
    by: str = "kind",
    labels: Sequence[str] | None = None,
) -> go.Figure:
    """Stacked bars of step latency by operator ``kind`` (or ``device``/``bound``), one bar per result.

    A diamond marks each step's own ``latency_s``; it sits on top of the stack for a sequential
    schedule and below it when a schedule overlaps operators.
    """
    steps = _as_results(results)
    if by not in ("kind", "device", "bound", "name"):
        raise CosimInputError(f"unknown breakdown {by!r}", field="by",
                              allowed=["kind", "device", "bound", "name"])
    if labels is None:
        labels = config_labels(steps)
    if len(labels) != len(steps):
        raise CosimInputError(f"{len(labels)} labels for {len(steps)} results", field="labels")
    per_step = [step.breakdown(by) for step in steps]
    totals: dict[str, float] = {}
    for parts in per_step:
        for key, seconds in parts.items():
            totals[key] = totals.get(key, 0.0) + seconds
    order = sorted(totals, key=lambda k: -totals[k])
    stack_s = [sum(parts.values()) for parts in per_step]
    scale, unit = time_scale(max([*stack_s, *(s.latency_s for s in steps)], default=0.0))
    x = [plot_text(label) for label in labels]
    fig = go.Figure()
    colors = (_kind_colors(order) if by == "kind" else device_colors(order) if by == "device"
              else _color_map(order))
    for key in order:
        seconds = [parts.get(key, 0.0) for parts in per_step]
        shares = [s / total if total > 0 else 0.0 for s, total in zip(seconds, stack_s, strict=True)]
        fig.add_trace(go.Bar(
            x=x, y=[s / scale for s in seconds], name=plot_text(key), marker={"color": colors[key]},
            customdata=[[format_quantity(s, "s"), f"{100 * share:.1f}%"] for s, share in zip(seconds, shares,
                                                                                          strict=True)],
            hovertemplate=f"{plot_text(key)}: %{{customdata[0]}} (%{{customdata[1]}})<extra>%{{x}}</extra>",
            meta={"role": "stack", "key": str(key)},
        ))
    fig.add_trace(go.Scatter(
        x=x, y=[s.latency_s / scale for s in steps], mode="markers", name="step latency",
        marker={"symbol": "diamond", "size": 10, "color": "black"},
        customdata=[format_quantity(s.latency_s, "s") for s in steps],
        hovertemplate="step latency %{customdata}<extra>%{x}</extra>", meta={"role": "step_latency"},
    ))
    fig.update_layout(
        template=_TEMPLATE, barmode="stack", title={"text": f"Step latency by operator {by}"},
        xaxis={"title": {"text": "configuration"}},
        yaxis={"title": {"text": f"latency per step ({unit})"}}, legend={"title": {"text": by}},
    )
    return fig


_DRM_ARRAYS = ("batch", "fc_tokens_per_s", "attn_tokens_per_s", "system_tokens_per_s")


def _drm_field(curves: Any, name: str) -> Any:
    if isinstance(curves, Mapping):
        return curves.get(name)
    return getattr(curves, name, None)


def _drm_arrays(curves: Any) -> dict[str, Any]:
    """Read a DRMCurves-like object or dict into float arrays and labels; check shapes."""
    data: dict[str, Any] = {}
    for name in ("batch", "fc_tokens_per_s", "attn_tokens_per_s"):
        value = _drm_field(curves, name)
        if value is None:
            raise CosimInputError("missing DRM curve", field=f"drm.{name}", allowed=", ".join(_DRM_ARRAYS))
        data[name] = np.asarray(value, dtype=float).reshape(-1)
    n = data["batch"].size
    if n == 0 or np.any(~np.isfinite(data["batch"])) or np.any(data["batch"] <= 0):
        raise CosimInputError("batch sizes must be positive and finite (log axis)", field="drm.batch")
    cap = _drm_field(curves, "capacity_batch")
    data["capacity_batch"] = float(cap) if cap is not None else math.nan
    system = _drm_field(curves, "system_tokens_per_s")
    if system is None:  # the achievable line: min of the two lines, nothing beyond capacity
        system = np.minimum(data["fc_tokens_per_s"], data["attn_tokens_per_s"])
        system = np.where(data["batch"] <= data["capacity_batch"], system, np.nan) if math.isfinite(
            data["capacity_batch"]) else system
    data["system_tokens_per_s"] = np.asarray(system, dtype=float).reshape(-1)
    for name in _DRM_ARRAYS[1:]:
        if data[name].size != n:
            raise CosimInputError(f"has {data[name].size} points but batch has {n}", field=f"drm.{name}")
    return data


def _drm_label(curves: Any, name: str | None, context: object | None, device: str | None) -> str:
    name = name if name is not None else _drm_field(curves, "name")
    context = context if context is not None else _drm_field(curves, "context")
    device = device if device is not None else _drm_field(curves, "device")
    parts = [str(p) for p in (name, device) if p not in (None, "")]
    if context not in (None, ""):
        parts.append(f"context {context}")
    return ", ".join(parts)


def _batch_text(batch: float) -> str:
    return f"{batch:,.0f}" if batch >= 10 else f"{batch:.2g}"


def drm_figure(
    curves: Any,
    *,
    name: str | None = None,
    context: object | None = None,
    device: str | None = None,
    log_y: bool = False,
) -> go.Figure:
    """CHIME's disaggregated roofline (DRM): decode tokens/s against batch size.

    Line-FC (GPU FC throughput), Line-ATTN (attention accelerator throughput), a vertical Line-Cap
    at the largest batch the accelerator's memory holds, and the achievable system throughput as
    given by ``system_tokens_per_s`` (nan/None beyond capacity leaves a gap; when absent it is
    derived as min(FC, ATTN) up to Line-Cap, CHIME's Implication I). ``curves`` is a DRMCurves-like
    object (cosim.dse.drm) or a dict with ``batch``, ``fc_tokens_per_s``, ``attn_tokens_per_s``,
    ``capacity_batch`` and optionally ``system_tokens_per_s``; or a list of those (e.g. one per
    context length), drawn in one color each. ``name``/``context``/``device`` label a single curve
    set; otherwise the objects' own attributes of those names are used when present.
    """
    many = isinstance(curves, Sequence) and not isinstance(curves, Mapping | str)
    sets = list(curves) if many else [curves]
    if not sets:
        raise CosimInputError("no DRM curves given", field="drm")
    fig = go.Figure()
    arrays = [_drm_arrays(c) for c in sets]
    ys = np.concatenate([np.concatenate([a[k] for k in _DRM_ARRAYS[1:]]) for a in arrays])
    ys = ys[np.isfinite(ys) & (ys > 0)]
    y_lo = float(ys.min()) if ys.size else 1.0
    y_hi = float(ys.max()) * 1.1 if ys.size else 1.0
    for i, (c, a) in enumerate(zip(sets, arrays, strict=True)):
        label = _drm_label(c, name if not many else None, context if not many else None,
                           device if not many else None)
        group = plot_text(label) if label else f"set {i + 1}"
        suffix = f" ({group})" if many else ""
        color = PALETTE[i % len(PALETTE)]
        common = {"legendgroup": group, "x": a["batch"]}
        fig.add_trace(go.Scatter(**common, y=a["fc_tokens_per_s"], mode="lines", name=f"Line-FC{suffix}",
                                 line={"color": color, "dash": "dash"}, meta={"role": "line_fc"},
                                 hovertemplate="B=%{x}: FC %{y:.4s} tok/s<extra></extra>"))
        fig.add_trace(go.Scatter(**common, y=a["attn_tokens_per_s"], mode="lines", name=f"Line-ATTN{suffix}",
                                 line={"color": color, "dash": "dot"}, meta={"role": "line_attn"},
                                 hovertemplate="B=%{x}: attention %{y:.4s} tok/s<extra></extra>"))
        fig.add_trace(go.Scatter(**common, y=a["system_tokens_per_s"], mode="lines", connectgaps=False,
                                 name=f"achievable{suffix}", line={"color": color, "width": 4},
                                 meta={"role": "system"},
                                 hovertemplate="B=%{x}: system %{y:.4s} tok/s<extra></extra>"))
        cap = a["capacity_batch"]
        if math.isfinite(cap) and cap > 0:
            fig.add_trace(go.Scatter(legendgroup=group, x=[cap, cap], y=[y_lo if log_y else 0.0, y_hi],
                                     mode="lines", name=f"Line-Cap B={_batch_text(cap)}{suffix}",
                                     line={"color": color, "dash": "longdashdot", "width": 2},
                                     meta={"role": "line_cap"},
                                     hovertemplate=f"capacity: batch {_batch_text(cap)}<extra></extra>"))
    title = "Disaggregated roofline (DRM)"
    if not many:
        label = _drm_label(sets[0], name, context, device)
        if label:
            title += f": {plot_text(label)}"
    fig.update_layout(
        template=_TEMPLATE, title={"text": title},
        xaxis={"type": "log", "title": {"text": "batch size (requests)"}},
        yaxis={"type": "log" if log_y else "linear", "title": {"text": "decode throughput (tokens/s)"},
               "rangemode": "tozero"},
    )
    return fig


def _finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def sweep_figure(
    rows: Iterable[Mapping[str, Any]],
    x: str,
    y: str,
    color: str,
    *,
    dash: str | None = None,
    facet: str | None = None,
    fits: str = "fits",
    log_x: bool = False,
    log_y: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Line chart of a study: ``y`` against ``x``, one line per ``color`` value (and ``dash`` value).

    ``facet`` splits the chart into one panel per value (e.g. per context length). Rows whose
    ``fits`` column is false are drawn as hollow markers off the line (or, with no ``y`` value,
    omitted and counted in the title) so an infeasible configuration is never read as a result.
    """
    rows = [dict(r) for r in (rows.to_dict("records") if hasattr(rows, "to_dict") else rows)]
    columns: list[str] = []
    for r in rows:
        columns.extend(k for k in r if k not in columns)
    for role, col in (("x", x), ("y", y), ("color", color), ("dash", dash), ("facet", facet)):
        if col is not None and rows and col not in columns:
            raise CosimInputError(f"column {col!r} not in the rows", field=role, allowed=columns)
    facets = list(dict.fromkeys(r.get(facet) for r in rows)) if facet else [None]
    layout = FacetLayout([plot_text(v) for v in facets], plot_text(f"{facet}=") if facet else None)
    colors = _color_map(r.get(color) for r in rows)
    dashes = {v: DASHES[i % len(DASHES)] for i, v in enumerate(dict.fromkeys(r.get(dash) for r in rows))}
    shown: set[str] = set()
    omitted_not_fit = omitted_bad = 0
    by_facet: dict[object, list[dict[str, Any]]] = {}  # one pass: linear in the rows, not rows x facets
    for r in rows:
        by_facet.setdefault(r.get(facet) if facet else None, []).append(r)
    for col_index, facet_value in enumerate(facets, start=1):
        panel = by_facet[facet_value]
        keys = list(dict.fromkeys((r.get(color), r.get(dash) if dash else None) for r in panel))
        for color_value, dash_value in keys:
            members = [r for r in panel
                       if r.get(color) == color_value and (not dash or r.get(dash) == dash_value)]
            members.sort(key=lambda r: (r.get(x) is None, r.get(x)))
            label = plot_text(color_value) + (f", {plot_text(dash)}={plot_text(dash_value)}" if dash else "")
            valued = [r for r in members if _finite_number(r.get(y))]
            good = [r for r in valued if r.get(fits, True) is not False]
            bad = [r for r in valued if r.get(fits, True) is False]
            no_value = [r for r in members if not _finite_number(r.get(y))]
            omitted_not_fit += sum(1 for r in no_value if r.get(fits, True) is False)
            omitted_bad += sum(1 for r in no_value if r.get(fits, True) is not False)
            hover = f"{label}<br>{plot_text(x)}=%{{x}}<br>{plot_text(y)}=%{{y:.4s}}"
            if good:
                layout.add(go.Scatter(
                    x=[r.get(x) for r in good], y=[r.get(y) for r in good], mode="lines+markers", name=label,
                    legendgroup=label, showlegend=label not in shown,
                    line={"color": colors[color_value], "dash": dashes[dash_value] if dash else "solid"},
                    marker={"size": 7}, hovertemplate=hover + "<extra></extra>",
                    meta={"role": "fits", "color": str(color_value)},
                ), col_index - 1)
                shown.add(label)
            if bad:
                layout.add(go.Scatter(
                    x=[r.get(x) for r in bad], y=[r.get(y) for r in bad], mode="markers",
                    name=f"{label} (does not fit)", legendgroup=label, showlegend=False,
                    marker={"symbol": NOT_FIT_SYMBOL, "size": 10, "color": colors[color_value],
                            "line": {"width": 2}},
                    hovertemplate=hover + "<br><b>does not fit in memory</b><extra></extra>",
                    meta={"role": "not_fit", "color": str(color_value)},
                ), col_index - 1)
    fig = layout.finish()
    if any(t.meta and t.meta.get("role") == "not_fit" for t in fig.data):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="hollow: does not fit memory",
                                 marker={"symbol": NOT_FIT_SYMBOL, "size": 10, "color": "#555"},
                                 meta={"role": "legend_key"}))
    text = plot_text(title) if title else f"{plot_text(y)} vs {plot_text(x)}"
    notes = []
    if omitted_not_fit:
        notes.append(f"{omitted_not_fit} points omitted: configuration does not fit in memory")
    if omitted_bad:
        notes.append(f"{omitted_bad} points omitted: no finite {plot_text(y)}")
    if notes:
        text += "<br><sub>" + "; ".join(notes) + "</sub>"
    fig.update_layout(template=_TEMPLATE, title={"text": text}, legend={"title": {"text": plot_text(color)}})
    fig.update_xaxes(type="log" if log_x else "linear", title={"text": plot_text(x)})
    fig.update_yaxes(type="log" if log_y else "linear")
    for row, col in layout.first_column:
        fig.update_yaxes(title={"text": plot_text(y)}, row=row, col=col)
    _titles_with_units(fig, x, y)
    return fig


def timeline_figure(result: StepResult, *, block: str | None = "decoder") -> go.Figure:
    """Gantt chart of one copy of each operator of ``block`` (one decoder layer), per device.

    The current scheduler is sequential, so an operator starts when the previous one (in
    ``result.ops`` order) ends. ``block=None`` draws every operator. If no operator belongs to
    ``block`` (e.g. a hand-built result without blocks), every operator is drawn and the title says so.
    """
    ops = [op for op in result.ops if block is None or op.block == block]
    scope = f"one {plot_text(block)} layer" if block is not None and ops else "all operators, one copy each"
    if not ops:
        ops = list(result.ops)
    starts = np.concatenate([[0.0], np.cumsum([op.latency_s for op in ops])])
    scale, unit = time_scale(float(starts[-1]))
    devices = list(dict.fromkeys(plot_text(op.device) for op in ops))
    by_kind: dict[str, list[int]] = {}
    for i, op in enumerate(ops):
        by_kind.setdefault(op.kind, []).append(i)
    colors = _kind_colors(by_kind)
    fig = go.Figure()
    for kind, idx in by_kind.items():
        fig.add_trace(go.Bar(
            orientation="h", y=[plot_text(ops[i].device) for i in idx],
            x=[ops[i].latency_s / scale for i in idx], base=[starts[i] / scale for i in idx],
            name=plot_text(kind), marker={"color": colors[kind], "line": {"width": 0.5, "color": "#222"}},
            customdata=[[plot_text(ops[i].name), format_quantity(starts[i], "s"),
                         format_quantity(ops[i].latency_s, "s"), plot_text(ops[i].bound)] for i in idx],
            hovertemplate=("<b>%{customdata[0]}</b><br>start %{customdata[1]}, takes %{customdata[2]}"
                           "<br>%{customdata[3]}-bound<extra>%{y}</extra>"),
            meta={"role": "ops", "kind": kind},
        ))
    fig.update_layout(
        template=_TEMPLATE, barmode="overlay",
        title={"text": f"Timeline of {scope}: {plot_text(result.system)}, {plot_text(result.phase)}, "
                       f"B={result.batch}, ctx={result.context} ({format_quantity(float(starts[-1]), 's')})"},
        xaxis={"title": {"text": f"time ({unit})"}},
        yaxis={"title": {"text": "device"}, "categoryorder": "array", "categoryarray": devices[::-1]},
        legend={"title": {"text": "kind"}},
    )
    return fig
