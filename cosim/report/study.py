"""The HTML report of a what-if study (`cosim run`): summary, sweeps, DRM, and a detailed look at one point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cosim.dse.study import StudyResult
from cosim.report import figures, study_text
from cosim.report.html import Section, default_inputs, render_report
from cosim.report.tables import Table

ROW_COLUMNS = ("system", "context", "batch", "latency_s", "tokens_per_s", "fits", "bound", "attention_share",
               "error")
"""Columns of the all-points table; the memory columns (one per device kind, see below) follow ``bound``.

``memory_bytes`` of a row sums what ONE device of each kind holds (a GPU's tensor-parallel shard, but
a DIMM pool's whole KV cache), so it is shown split into ``memory_per_<device>_bytes`` columns whose
scope the caption names, never as one number that means different things for different systems."""


def _detail_results(study: StudyResult) -> tuple[int, int, dict[str, Any]]:
    """The point shown in detail: the longest context at the study's detail batch (default: smallest batch)."""
    spec = study.spec
    context = max(spec.context)
    batch = _detail_batch(spec)
    results = {s: study.results[(s, context, batch)] for s in spec.systems if (s, context, batch) in study.results}
    return context, batch, results


def _table_rows(study: StudyResult) -> list[dict[str, Any]]:
    rows = []
    for r in study.rows:
        row = {k: r.get(k) for k in ROW_COLUMNS if k in r}
        row |= {k: v for k, v in r.items() if k.startswith("memory_per_")}  # on every row (run_study keeps few results)
        result = study.results.get((r["system"], r["context"], r["batch"]))
        if result is not None:
            row |= study_text.memory_columns(result)
        rows.append(row)
    return rows


def study_sections(study: StudyResult) -> list[Section]:
    spec = study.spec
    rows = _table_rows(study)
    kept_notes = (n for r in study.results.values() for n in r.notes)  # study.notes: of every point, not only kept ones
    every_note = getattr(study, "notes", ())  # a StudyResult from before notes were collected has none
    step_notes = dict.fromkeys(n for n in (*every_note, *kept_notes) if not n.startswith("does not fit"))
    notes = "\n".join([*(f"note: {e}" for e in study.errors), *(f"note: {n}" for n in step_notes)])
    summary = study.summary()
    answer = study_text.answer_sentence(summary, study.rows, spec.systems, spec.context, spec.phase)
    method = study_text.cost_model_sentence(study.results, spec.systems, study.rows)
    sections = [Section(
        "Summary",
        "\n".join(t for t in (answer, spec.description.strip(), method, notes) if t),
        tables=[Table(summary, caption="Per system and context: the largest batch that fits in memory "
                                       "and the best throughput among the points that fit (sequential schedule)")],
    )]
    ok_rows = [r for r in rows if not r.get("error")]
    if ok_rows:
        sections.append(Section(
            "Throughput and step latency",
            "Tokens per second and step latency against batch size, one panel per context length. Hollow "
            "markers: the configuration does not fit in memory (shown for reference, not a result). Sequential "
            "schedule: operators one after another, no overlap.",
            [figures.sweep_figure(ok_rows, "batch", "tokens_per_s", "system", facet="context", log_x=True,
                                  log_y=True, title="Throughput (tokens/s)"),
             figures.sweep_figure(ok_rows, "batch", "latency_s", "system", facet="context", log_x=True,
                                  log_y=True, title="Step latency (s)")],
        ))
    longest = max(spec.context)
    curves = [c for (system, context), c in study.drm.items() if context == longest and c is not None]
    if curves:
        sections.append(Section(
            f"Disaggregated roofline at context {longest}",
            "CHIME's DRM: Line-FC (GPU projections and FFN), Line-ATTN (attention on its device, including link "
            "transfers) and Line-Cap (largest batch whose KV cache fits); achievable throughput follows the "
            "lower line up to the capacity line. "
            + study_text.overlap_sentence(study.drm, study.results, longest, _detail_batch(spec)),
            [_drm_figure(c) for c in curves],
        ))
    context, batch, detail = _detail_results(study)
    if detail:
        sections.append(Section(
            f"Where the time goes: batch {batch}, context {context}",
            "Operator time summed over layers, per system; then one decoder layer in sequence.",
            [figures.breakdown_figure(list(detail.values())),
             figures.breakdown_figure(list(detail.values()), by="device"),
             *(figures.timeline_figure(r) for r in detail.values())],
        ))
        sections.append(_rooflines(study, detail))
    sections.append(Section("All points", study_text.memory_scope_sentence(study.systems, study.results, study.rows),
                            tables=[Table(rows, caption="Every predicted point (sequential schedule)",
                                          columns=_table_columns(rows))]))
    return sections


def _table_columns(rows: list[dict[str, Any]]) -> list[str]:
    """ROW_COLUMNS in order with every system's memory columns together after ``bound``."""
    present = dict.fromkeys(k for r in rows for k in r)
    memory = [k for k in present if k.startswith("memory_per_")]
    columns = [k for k in ROW_COLUMNS if k in present]
    at = columns.index("bound") + 1 if "bound" in columns else len(columns)
    return columns[:at] + memory + columns[at:]


def _detail_batch(spec: Any) -> int:
    return spec.detail_batch or min(spec.batch)


def _drm_figure(curves: Any) -> Any:
    """The DRM chart, its subtitle saying whether the achievable line assumes overlap."""
    fig = figures.drm_figure(curves)
    overlap = ("achievable = min(Line-FC, Line-ATTN): FC and attention perfectly overlapped"
               if curves.fc_device != curves.attn_device
               else "achievable = batch / (t_FC + t_ATTN): one device, sequential")
    fig.update_layout(title={"text": f"{fig.layout.title.text}<br><sub>{overlap}</sub>"})
    return fig


def _rooflines(study: StudyResult, detail: dict[str, Any]) -> Section:
    figs = []
    for name, result in detail.items():
        system = study.systems[name]
        caps = {device: system.caps(device) for device in system.devices}
        fig = figures.roofline_figure(result, caps, dtype=study.spec.dtype)
        fig.update_layout(title={"text": f"Roofline on {figures.plot_text(name)}"})
        figs.append(fig)
    return Section("Rooflines", "Operators of the detailed point against each device's ceilings (achieved "
                                "peak and bandwidth after efficiency factors).", figs)


def write_study_report(study: StudyResult, path: str | Path) -> Path:
    spec = study.spec
    inputs: dict[str, Any] = {
        "study": spec.name, "model": spec.model, "phase": spec.phase, "systems": ", ".join(spec.systems),
        "batch": ", ".join(map(str, spec.batch)), "context": ", ".join(map(str, spec.context)), "tp": spec.tp,
        "dtype": spec.dtype, "fusion": spec.fusion,
    }
    results = list(study.results.values())
    if results:
        inputs["cost_model"] = default_inputs(results)["cost_model"]
    return render_report(spec.title, study_sections(study), path=path, inputs=inputs)
