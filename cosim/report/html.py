"""Self-contained HTML reports: one file, plotly.js inlined, written atomically.

A report must open years later on a laptop with no network, so plotly.js is inlined once per file
and each figure is embedded as JSON and drawn with ``Plotly.newPlot``. Every user string goes
through Jinja2 autoescaping; figure JSON is escaped for a ``<script>`` block. The file is written
through :mod:`cosim.report.output` (checked path, temporary sibling, rename), so a failed render never
leaves a half-written report or replaces something that is not a report.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline
from markupsafe import Markup

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps
from cosim.perf.result import MEMORY_BYTES_SCOPE, StepResult
from cosim.report import figures, study_text
from cosim.report.output import write_output
from cosim.report.tables import Table, as_table, format_cell
from cosim.workload.dtypes import DType

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "report.html.j2"
TOP_OPS = 20
MAX_TIMELINES = 6


@dataclass
class Section:
    """One part of a report: a heading, free text, figures, then tables (lists of dict rows)."""

    heading: str
    text: str = ""
    figures: Sequence[go.Figure] = ()
    tables: Sequence[Table | Sequence[Mapping[str, Any]]] = ()


SectionLike = Section | tuple[Any, ...]


def _as_section(value: SectionLike) -> Section:
    if isinstance(value, Section):
        return value
    if isinstance(value, tuple) and 1 <= len(value) <= 4:
        return Section(*value)
    raise CosimInputError(f"a report section must be a Section or (heading, text, figures, tables), got "
                          f"{type(value).__name__}", field="sections")


def cosim_version() -> str:
    try:
        return metadata.version("cosim")
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.lru_cache(maxsize=1)
def _plotly_js() -> Markup:
    js = plotly.offline.get_plotlyjs()
    if "</script" in js.lower():  # would end the inline <script> early
        raise RuntimeError("bundled plotly.js contains '</script' and cannot be inlined")
    return Markup(js)


def figure_json(fig: go.Figure) -> Markup:
    """Figure as JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where their ``\\uXXXX`` escapes are
    equivalent, so no user string can close the script element.
    """
    text = pio.to_json(fig, validate=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _input_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_input_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_input_text(v) for v in value)
    return str(value.value) if hasattr(value, "value") and not isinstance(value, int | float) else str(value)


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # autoescape=True explicitly: select_autoescape() would not match the ".html.j2" name
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render_html(title: str, sections: Iterable[SectionLike], *, inputs: Mapping[str, Any] | None = None,
                generated: datetime | None = None) -> str:
    """The report's HTML text (no I/O)."""
    views = []
    counter = 0
    for raw in sections:
        section = _as_section(raw)
        figs = []
        for fig in section.figures:
            counter += 1
            figs.append({"id": f"cosim-fig-{counter}", "json": figure_json(fig)})
        tables = []
        for t in section.tables:
            table = as_table(t)
            header = table.header()
            numeric = table.numeric_columns()
            tables.append({"caption": table.caption, "header": header, "cells": table.cells(),
                           "numeric": [col in numeric for col in header]})
        views.append({"heading": section.heading, "text": section.text, "figures": figs, "tables": tables})
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    return _environment().get_template(TEMPLATE_NAME).render(
        title=title, version=cosim_version(), generated=when, plotly_js=_plotly_js(),
        inputs=[(str(k), _input_text(v)) for k, v in (inputs or {}).items()], sections=views,
    )


def render_report(title: str, sections: Iterable[SectionLike], *, path: str | Path,
                  inputs: Mapping[str, Any] | None = None) -> Path:
    """Render ``sections`` into one self-contained HTML file at ``path``; return the path.

    ``sections`` are :class:`Section` objects or ``(heading, text, figures, tables)`` tuples;
    ``inputs`` (model, systems, parameters) are listed, escaped, in the header.
    """
    text = render_html(title, sections, inputs=inputs)  # fully rendered before any file is touched
    return write_output(path, text, what="report")


def _summary_rows(results: Sequence[StepResult]) -> list[dict[str, Any]]:
    return [{
        "system": r.system, "model": r.model, "phase": r.phase, "batch": r.batch, "context": r.context,
        "tp": r.tp, "cost_model": r.cost_model, "latency_s": r.latency_s, "tokens_per_s": r.tokens_per_s,
        "memory_bytes": r.memory_bytes, "fits": r.fits, "bound": r.bound,
    } for r in results]


def _memory_rows(results: Sequence[StepResult], labels: Sequence[str]) -> list[dict[str, Any]]:
    return [{
        "configuration": label, "device": m.device, "weights_bytes": m.weights_bytes,
        "kv_cache_bytes": m.kv_cache_bytes, "activation_bytes": m.activation_bytes,
        "total_bytes": m.total_bytes, "capacity_bytes": m.capacity_bytes, "fits": m.fits,
    } for r, label in zip(results, labels, strict=True) for m in r.memory]


def _top_ops_table(result: StepResult, label: str) -> Table:
    ops = sorted(result.ops, key=lambda op: -op.total_s)[:TOP_OPS]
    rows = [{"name": op.name, "kind": op.kind, "device": op.device, "repeat": op.repeat, "flops": op.flops,
             "bytes": op.bytes, "latency_s": op.latency_s, "total_s": op.total_s, "bound": op.bound}
            for op in ops]
    shown = f"top {len(ops)} of {len(result.ops)}" if len(result.ops) > len(ops) else f"all {len(ops)}"
    return Table(rows=rows, caption=f"{label}: {shown} operators by total time (latency per copy × repeat)")


def default_inputs(results: Sequence[StepResult]) -> dict[str, str]:
    """Header inputs summarised from the results (distinct values of each field)."""
    out = {}
    for name in ("model", "system", "phase", "batch", "context", "tp", "fusion", "mapping", "cost_model"):
        values = list(dict.fromkeys(getattr(r, name) for r in results))
        out[name] = ", ".join(format_cell(name, v) if not isinstance(v, str) else v for v in values)
    return out


def step_report_sections(
    results: Sequence[StepResult],
    *,
    devices_caps: Mapping[str, DeviceCaps] | None = None,
    dtype: DType | str = DType.BF16,
    drm: Any = None,
    text: str = "",
) -> list[Section]:
    """The standard sections for a set of step results (used by :func:`write_step_report`)."""
    labels = figures.config_labels(results)
    notes = [f"{label}: {note}" for r, label in zip(results, labels, strict=True) for note in r.notes]
    answer = study_text.steps_answer_sentence(results, labels)
    summary_text = "\n".join([t for t in (answer, text, *notes) if t])
    steps_caption = f"Steps. memory_bytes: {MEMORY_BYTES_SCOPE}; per device: see Memory"
    sections = [Section("Summary", summary_text, tables=[Table(_summary_rows(results), caption=steps_caption)])]
    roofline_text = ("Ceilings: matrix-unit FLOP/s at the step dtype and memory bandwidth, both after "
                     "efficiency factors." if devices_caps
                     else "No device capabilities given: ceilings omitted.")
    sections.append(Section("Roofline", roofline_text,
                            [figures.roofline_figure(results, devices_caps or {}, dtype=dtype)]))
    sections.append(Section("Latency breakdown",
                            "Operator time summed over layers (latency per copy × repeat).",
                            [figures.breakdown_figure(results),
                             figures.breakdown_figure(results, by="device")]))
    shown = results[:MAX_TIMELINES]
    hidden = len(results) - len(shown)
    more = f" ({hidden} more configurations not drawn)" if hidden else ""
    sections.append(Section("Decoder-layer timeline",
                            "Sequential schedule: each operator starts when the previous one ends." + more,
                            [figures.timeline_figure(r) for r in shown]))
    sections.append(Section("Memory", "Bytes one device of each kind must hold, against its capacity.",
                            tables=[Table(_memory_rows(results, labels), caption="Memory use")]))
    if drm is not None:
        sections.append(Section("Disaggregated roofline",
                                "Decode throughput against batch size (CHIME's DRM). The achievable line "
                                "min(Line-FC, Line-ATTN) assumes FC and attention perfectly overlapped across "
                                "sub-batches where they run on different devices. "
                                + study_text.schedule_sentence(results),
                                [figures.drm_figure(drm)]))
    sections.append(Section("Operators", "", tables=[_top_ops_table(r, label)
                                                     for r, label in zip(results, labels, strict=True)]))
    return sections


def write_step_report(
    results: StepResult | Iterable[StepResult],
    path: str | Path,
    *,
    title: str | None = None,
    devices_caps: Mapping[str, DeviceCaps] | None = None,
    dtype: DType | str = DType.BF16,
    drm: Any = None,
    inputs: Mapping[str, Any] | None = None,
    text: str = "",
) -> Path:
    """Report on one or more step results: summary, roofline, breakdowns, timelines, memory, operators.

    ``inputs`` is shown in the header after the fields summarised from the results (it may
    override them, e.g. with the command line used).
    """
    steps = [results] if isinstance(results, StepResult) else list(results)
    if not steps:
        raise CosimInputError("no step results to report", field="results")
    if title is None:
        title = f"cosim: {', '.join(dict.fromkeys(r.model for r in steps))} on " \
                f"{', '.join(dict.fromkeys(r.system for r in steps))}"
    header = default_inputs(steps) | dict(inputs or {})
    sections = step_report_sections(steps, devices_caps=devices_caps, dtype=dtype, drm=drm, text=text)
    return render_report(title, sections, path=path, inputs=header)
