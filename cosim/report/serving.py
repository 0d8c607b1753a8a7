"""The HTML report of a serving run (`cosim serve --out`): the answer, latency tables, CDFs and time series.

Built on the shared report machinery (:mod:`cosim.report.html`: one self-contained file, plotly.js inlined,
user strings escaped, written atomically). Sections: a summary sentence computed from the run (throughput,
p90 TTFT and TPOT against the SLOs when given, SLO attainment), count and latency tables; TTFT and TPOT
CDFs over completed requests (with the SLO as a vertical line); output throughput, batch size and KV-cache
occupancy over time (exact time averages per bin, so a million-iteration run draws a few hundred points);
and the run's configuration.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cosim.report.figures import PALETTE, time_scale
from cosim.report.html import Section, _input_text, render_html
from cosim.report.output import write_output
from cosim.report.tables import Table, format_cell
from cosim.serving import metrics
from cosim.serving.result import SimulationResult
from cosim.units import format_quantity

TIME_BINS = 400
_TEMPLATE = "plotly_white"

TTFT_TITLE = "TTFT: cumulative distribution"
TPOT_TITLE = "TPOT: cumulative distribution"
THROUGHPUT_TITLE = "Output throughput over time"
BATCH_TITLE = "Batch size over time"
KV_TITLE = "KV-cache occupancy over time"
FIGURE_TITLES = (TTFT_TITLE, TPOT_TITLE, THROUGHPUT_TITLE, BATCH_TITLE, KV_TITLE)


def _seconds(value: float) -> str:
    return format_quantity(value, "s") if math.isfinite(value) else "n/a"


def answer_text(summary: dict[str, Any], slo_ttft_s: float | None = None, slo_tpot_s: float | None = None) -> str:
    """One sentence with the run's answer, e.g. "Output throughput 1,097 tokens/s; p90 TTFT 113 s misses the 2 s
    SLO; p90 TPOT 45 ms meets the 100 ms SLO; 87 % of requests meet both SLOs." """
    n, done = summary["requests"], summary["completed"]
    if done == 0:
        return f"No request of {n} completed ({summary['rejected']} rejected)."
    parts = [f"Output throughput {summary['output_tokens_per_s']:,.0f} tokens/s "
             f"({done:,} of {n:,} requests completed in {_seconds(summary['makespan_s'])})"]
    for label, key, slo in (("TTFT", "ttft_s", slo_ttft_s), ("TPOT", "tpot_s", slo_tpot_s)):
        p90 = summary[key]["p90"]
        if not math.isfinite(p90):
            continue
        text = f"p90 {label} {_seconds(p90)}"
        if slo is not None:
            text += f" {'meets' if p90 <= slo else 'misses'} the {_seconds(slo)} SLO"
        parts.append(text)
    if "slo_attainment" in summary and math.isfinite(summary["slo_attainment"]):
        which = "both SLOs" if slo_ttft_s is not None and slo_tpot_s is not None else \
            ("the TTFT SLO" if slo_ttft_s is not None else "the TPOT SLO")
        parts.append(f"{summary['slo_attainment'] * 100:.0f} % of requests meet {which} "
                     f"(goodput {summary['goodput_requests_per_s']:.3g} requests/s)")
    extra = []
    if summary["rejected"]:
        extra.append(f"{summary['rejected']:,} request{'s' * (summary['rejected'] != 1)} rejected")
    if summary["preemptions"]:
        extra.append(f"{summary['preemptions']:,} preemption{'s' * (summary['preemptions'] != 1)} of "
                     f"{summary['preempted_requests']:,} request{'s' * (summary['preempted_requests'] != 1)}")
    if extra:
        parts.append(", ".join(extra))
    return "; ".join(parts) + "."


# --- data ------------------------------------------------------------------------------------------------------


def tokens_per_iteration(result: SimulationResult) -> np.ndarray:
    """Output tokens sampled by each iteration row (from the requests' token runs)."""
    n = len(result.iterations["end_s"])
    delta = np.zeros(n + 1, dtype=np.int64)
    np.add.at(delta, result.run_starts, 1)
    np.add.at(delta, result.run_starts + result.run_counts, -1)
    return np.cumsum(delta)[:n]


def _bin_edges(result: SimulationResult) -> np.ndarray:
    it = result.iterations
    t0 = float(min(result.requests["arrival_s"].min(), it["start_s"].min()))
    t1 = float(it["end_s"].max())
    return np.linspace(t0, t1, TIME_BINS + 1) if t1 > t0 else np.array([t0, t0 + 1e-9])


def binned_time_average(start: np.ndarray, end: np.ndarray, value: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Exact time average over each bin of the step function ``value[i]`` on ``[start[i], end[i])`` (0 between
    iterations). Iterations must be sorted and non-overlapping."""
    dur = end - start
    cum = np.concatenate(([0.0], np.cumsum(value * dur)))

    def integral(t: np.ndarray) -> np.ndarray:
        i = np.searchsorted(end, t, side="right")  # iterations [0, i) ended by t
        partial = np.zeros_like(t)
        inside = i < len(start)
        j = i[inside]
        partial[inside] = value[j] * np.clip(t[inside] - start[j], 0.0, dur[j])
        return cum[i] + partial

    area = np.diff(integral(edges))
    return area / np.diff(edges)


def _empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(template=_TEMPLATE, title={"text": title})
    return fig


def cdf_figure(values: np.ndarray, title: str, quantity: str, slo_s: float | None) -> go.Figure:
    """Empirical CDF of per-request seconds, x in a readable time unit, with the SLO as a vertical line."""
    x = np.sort(values[np.isfinite(values)])
    if len(x) == 0:
        return _empty_figure(title, f"no completed request has a {quantity}")
    scale, unit = time_scale(max(float(x.max()), slo_s or 0.0))
    y = np.arange(1, len(x) + 1) / len(x) * 100
    fig = go.Figure(go.Scatter(x=x / scale, y=y, mode="lines", line={"shape": "hv", "color": PALETTE[0]},
                               name=quantity, hovertemplate=f"{quantity} %{{x:.4g}} {unit}<br>%{{y:.1f}} % of "
                                                            "requests<extra></extra>"))
    if slo_s is not None:
        met = float((x <= slo_s).mean() * 100)
        fig.add_vline(x=slo_s / scale, line={"color": "#b00020", "dash": "dash"},
                      annotation_text=f"SLO {format_quantity(slo_s, 's')}: {met:.0f} % meet it",
                      annotation_position="bottom right")
    log = x[0] > 0 and x[-1] / x[0] >= 100
    fig.update_layout(template=_TEMPLATE, title={"text": title}, showlegend=False)
    fig.update_xaxes(title={"text": f"{quantity} ({unit})"}, type="log" if log else "linear")
    fig.update_yaxes(title={"text": "completed requests (%)"}, range=[0, 100.5])
    return fig


def _time_figure(title: str, y_title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(template=_TEMPLATE, title={"text": title}, legend={"title": {"text": "replica"}})
    fig.update_xaxes(title={"text": "simulated time (s)"})
    fig.update_yaxes(title={"text": y_title}, rangemode="tozero")
    return fig


def time_series_figures(result: SimulationResult) -> list[go.Figure]:
    """Output throughput (all replicas), batch size and KV occupancy (per replica) over time."""
    it = result.iterations
    if len(it["end_s"]) == 0:
        return [_empty_figure(t, "no iterations ran") for t in (THROUGHPUT_TITLE, BATCH_TITLE, KV_TITLE)]
    edges = _bin_edges(result)
    mid = (edges[:-1] + edges[1:]) / 2
    width = float(edges[1] - edges[0])
    tokens = tokens_per_iteration(result)
    counts = np.histogram(it["end_s"], bins=edges, weights=tokens)[0]
    thr = _time_figure(THROUGHPUT_TITLE + f" ({format_quantity(width, 's')} bins)", "output throughput (tokens/s)")
    thr.add_trace(go.Scatter(x=mid, y=counts / width, mode="lines", line={"shape": "hvh", "color": PALETTE[0]},
                             name="all replicas", hovertemplate="%{x:.4g} s: %{y:.4s} tokens/s<extra></extra>"))
    batch = _time_figure(BATCH_TITLE + " (time average per bin)", "batch size (sequences)")
    kv = _time_figure(KV_TITLE + " (time average per bin)", "KV blocks in use (%)")
    num_blocks = result.config.num_blocks
    for r in range(result.config.dp):
        rows = it["replica"] == r
        if not rows.any():
            continue
        start, end = it["start_s"][rows], it["end_s"][rows]
        color, name = PALETTE[r % len(PALETTE)], f"replica {r}"
        seqs = binned_time_average(start, end, it["num_seqs"][rows].astype(float), edges)
        used = binned_time_average(start, end, it["kv_blocks_used"][rows].astype(float), edges)
        batch.add_trace(go.Scatter(x=mid, y=seqs, mode="lines", name=name, line={"color": color},
                                   hovertemplate=f"{name}, %{{x:.4g}} s: %{{y:.3g}} sequences<extra></extra>"))
        kv.add_trace(go.Scatter(x=mid, y=used / num_blocks * 100, mode="lines", name=name, line={"color": color},
                                hovertemplate=f"{name}, %{{x:.4g}} s: %{{y:.3g}} %<extra></extra>"))
    kv.update_yaxes(range=[0, 100.5])
    return [thr, batch, kv]


# --- tables ----------------------------------------------------------------------------------------------------


def _counts_table(summary: dict[str, Any]) -> Table:
    keys = ["requests", "completed", "rejected", "preemptions", "preempted_requests", "makespan_s",
            "output_tokens", "output_tokens_per_s", "requests_per_s", "iterations", "mean_batch_size",
            "mean_tokens_per_iteration", "token_budget_use", "mean_kv_occupancy", "peak_kv_occupancy",
            "device_busy_fraction", "slo_ttft_s", "slo_tpot_s", "slo_attainment", "goodput_requests_per_s"]
    fractions = {"token_budget_use", "mean_kv_occupancy", "peak_kv_occupancy", "device_busy_fraction",
                 "slo_attainment"}
    rows = []
    for key in keys:
        if key not in summary:
            continue
        value = summary[key]
        if key in fractions and isinstance(value, float):
            text = f"{value * 100:.1f} %" if math.isfinite(value) else "n/a"
        else:
            text = format_cell(key, value)
        rows.append({"metric": key, "value": text})
    return Table(rows, caption="Run totals")


def _latency_table(summary: dict[str, Any]) -> Table:
    labels = {"ttft_s": "TTFT", "tpot_s": "TPOT", "tbt_s": "time between tokens", "e2e_s": "end-to-end latency",
              "queueing_delay_s": "queueing delay"}
    rows = [{"metric": label, **{f"{k}_s": v for k, v in summary[key].items()}} for key, label in labels.items()]
    return Table(rows, caption="Latency over completed requests (TBT: over every token gap)",
                 columns=["metric", "mean_s", *(f"p{q}_s" for q in metrics.QUANTILES)])


def _config_rows(result: SimulationResult) -> list[dict[str, str]]:
    rows = []
    for key, value in result.config.to_dict().items():
        if isinstance(value, dict):
            rows.extend({"setting": f"{key}.{k}", "value": _input_text(v)} for k, v in value.items())
        else:
            rows.append({"setting": key, "value": _input_text(value)})
    if result.token_budget is not None:
        rows.append({"setting": "token_budget", "value": str(result.token_budget)})
    return rows


def serving_sections(result: SimulationResult, *, slo_ttft_s: float | None = None,
                     slo_tpot_s: float | None = None) -> list[Section]:
    summary = result.summary(slo_ttft_s=slo_ttft_s, slo_tpot_s=slo_tpot_s)
    per = metrics.request_metrics(result.requests)
    done = result.completed
    sections = [
        Section("Summary", answer_text(summary, slo_ttft_s, slo_tpot_s),
                tables=[_counts_table(summary), _latency_table(summary)]),
        Section("Latency distributions",
                "Time to first token (arrival to first output token) and time per output token (first to last "
                "token over the tokens after the first) of every completed request; one-token requests have "
                "no TPOT.",
                [cdf_figure(per["ttft_s"][done], TTFT_TITLE, "TTFT", slo_ttft_s),
                 cdf_figure(per["tpot_s"][done], TPOT_TITLE, "TPOT", slo_tpot_s)]),
        Section("Over time",
                "Output tokens sampled per second over all replicas; per replica the batch size and the share "
                "of KV-cache blocks in use, averaged over each bin (idle time counts as 0).",
                time_series_figures(result)),
        Section("Run configuration", "", tables=[Table(_config_rows(result), caption="Settings of the run")]),
    ]
    return sections


def write_serving_report(result: SimulationResult, path: str | Path, *, title: str, slo_ttft_s: float | None = None,
                         slo_tpot_s: float | None = None) -> Path:
    """Write the serving run's self-contained HTML report to ``path`` (atomically; a directory or other
    non-regular file there is refused) and return the path."""
    config = result.config
    inputs = {"trace": config.trace, "policy": config.policy, "replicas (dp)": config.dp,
              "router": config.router, "KV blocks per replica": f"{config.num_blocks:,} x {config.block_size} tokens",
              "requests": len(result.requests["id"])}
    if slo_ttft_s is not None:
        inputs["TTFT SLO"] = format_quantity(slo_ttft_s, "s")
    if slo_tpot_s is not None:
        inputs["TPOT SLO"] = format_quantity(slo_tpot_s, "s")
    text = render_html(title, serving_sections(result, slo_ttft_s=slo_ttft_s, slo_tpot_s=slo_tpot_s),
                       inputs=inputs)
    return write_output(path, text)


__all__ = ["FIGURE_TITLES", "answer_text", "serving_sections", "write_serving_report"]
