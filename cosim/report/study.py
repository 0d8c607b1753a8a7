"""The HTML report of a what-if study (`cosim run`): summary, sweeps, DRM, and a detailed look at one point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cosim.dse.study import StudyResult
from cosim.report import figures
from cosim.report.html import Section, default_inputs, render_report
from cosim.report.tables import Table

ROW_COLUMNS = ("system", "context", "batch", "latency_s", "tokens_per_s", "fits", "bound", "memory_bytes",
               "attention_share", "error")


def _detail_results(study: StudyResult) -> tuple[int, int, dict[str, Any]]:
    """The point shown in detail: the longest context at the study's detail batch (default: smallest batch)."""
    spec = study.spec
    context = max(spec.context)
    batch = spec.detail_batch or min(spec.batch)
    results = {s: study.results[(s, context, batch)] for s in spec.systems if (s, context, batch) in study.results}
    return context, batch, results


def study_sections(study: StudyResult) -> list[Section]:
    spec = study.spec
    rows = [{k: r.get(k) for k in ROW_COLUMNS if k in r} for r in study.rows]
    step_notes = dict.fromkeys(n for r in study.results.values() for n in r.notes if not n.startswith("does not fit"))
    notes = "\n".join([*(f"note: {e}" for e in study.errors), *(f"note: {n}" for n in step_notes)])
    sections = [Section(
        "Summary",
        "\n".join(t for t in (spec.description.strip(), notes) if t),
        tables=[Table(study.summary(), caption="Per system and context: the largest batch that fits in memory "
                                               "and the best throughput among the points that fit")],
    )]
    ok_rows = [r for r in rows if not r.get("error")]
    if ok_rows:
        sections.append(Section(
            "Throughput and step latency",
            "Tokens per second and step latency against batch size, one panel per context length. Hollow "
            "markers: the configuration does not fit in memory (shown for reference, not a result).",
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
            "lower line up to the capacity line.",
            [figures.drm_figure(c) for c in curves],
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
    sections.append(Section("All points", "", tables=[Table(rows, caption="Every predicted point")]))
    return sections


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
