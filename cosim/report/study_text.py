"""The sentences of a study report that are computed from its results, never written by hand.

A hand-written description goes stale when a preset changes (the default study once said "Roofline
cost models" while it ran ``gpu-kernel``), so everything a reader may take as a finding is derived
here from the predicted points: the answer (who wins, by how much, where the lead changes), the cost
models and schedule actually used, which numbers assume overlap, and what ``memory_bytes`` counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cosim.hardware.system import SystemView
from cosim.perf.result import StepResult
from cosim.units import format_quantity

SEQUENTIAL_TOLERANCE = 1e-9
"""Relative slack within which a step's latency equals the sum of its operators' times (sequential)."""


def _rate(tokens_per_s: float) -> str:
    return format_quantity(tokens_per_s, "tok/s")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 and math.isfinite(a / b) else "n/a"


def _throughput_word(phase: str) -> str:
    return "decode throughput" if phase == "decode" else "prompt throughput"


def _best(summary: Sequence[Mapping[str, Any]], context: int) -> list[Mapping[str, Any]]:
    """Summary rows at ``context`` that have a fitting point, best throughput first."""
    rows = [r for r in summary if r["context"] == context and math.isfinite(r["best_tokens_per_s"])]
    return sorted(rows, key=lambda r: -r["best_tokens_per_s"])


def _spans(values: Sequence[int], winners: Sequence[str]) -> list[tuple[str, int, int]]:
    """(winner, first value, last value) for each run of consecutive values with the same winner."""
    out: list[tuple[str, int, int]] = []
    for value, winner in zip(values, winners, strict=True):
        if out and out[-1][0] == winner:
            out[-1] = (winner, out[-1][1], value)
        else:
            out.append((winner, value, value))
    return out


def _span_text(spans: Sequence[tuple[str, int, int]], what: str) -> str:
    parts = [f"{w} at {what} {lo:,}" + (f"-{hi:,}" if hi != lo else "") for w, lo, hi in spans]
    return "; ".join(parts)


def _batch_winners(rows: Sequence[Mapping[str, Any]], context: int) -> tuple[list[int], list[str]]:
    """Per batch at ``context``: the system with the highest throughput among the points that fit."""
    batches, winners = [], []
    for batch in sorted({r["batch"] for r in rows if r["context"] == context}):
        fitting = [r for r in rows if r["context"] == context and r["batch"] == batch and r.get("fits")
                   and not r.get("error") and math.isfinite(r.get("tokens_per_s", math.nan))]
        if fitting:
            batches.append(batch)
            winners.append(max(fitting, key=lambda r: r["tokens_per_s"])["system"])
    return batches, winners


def answer_sentence(summary: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]],
                    systems: Sequence[str], contexts: Sequence[int], phase: str) -> str:
    """Which system wins at the longest context, by how much, and where the lead changes (context, batch)."""
    what = _throughput_word(phase)
    longest = max(contexts)
    ranked = _best(summary, longest)
    if not ranked:
        return f"Answer: no system has a point that fits in memory at context {longest:,}."
    top = ranked[0]
    text = (f"Answer: at context {longest:,} (the longest studied), {top['system']} reaches the highest {what}, "
            f"{_rate(top['best_tokens_per_s'])} at batch {top['at_batch']:,}")
    others = [f"{_ratio(top['best_tokens_per_s'], r['best_tokens_per_s'])} {r['system']}'s best "
              f"({_rate(r['best_tokens_per_s'])} at batch {r['at_batch']:,})" for r in ranked[1:]]
    if others:
        text += ": " + ", ".join(others)
    missing = [s for s in systems if s not in {r["system"] for r in ranked}]
    if missing:
        text += f"; {', '.join(missing)} fit{'s' if len(missing) == 1 else ''} no batch there"
    text += "."
    ctx = [c for c in sorted(contexts) if _best(summary, c)]
    winners = [_best(summary, c)[0]["system"] for c in ctx]
    spans = _spans(ctx, winners)
    if len(spans) == 1:
        text += f" {top['system']} has the best {what} at every context studied ({ctx[0]:,}-{ctx[-1]:,})."
    else:
        text += f" The lead changes with context: {_span_text(spans, 'context')}."
    batches, by_batch = _batch_winners(rows, longest)
    batch_spans = _spans(batches, by_batch)
    if len(batch_spans) > 1:
        text += (f" Per batch at context {longest:,} (points that fit): {_span_text(batch_spans, 'batch')}; "
                 f"the crossover is between batch {batch_spans[0][2]:,} and {batch_spans[1][1]:,}")
        fit = {r["system"]: r["max_batch_fit"] for r in summary if r["context"] == longest}
        first = batch_spans[0][0]
        if fit.get(first, 0) < batch_spans[1][1]:
            text += f", where {first} no longer fits (its largest batch is {fit.get(first, 0):,})"
        text += "."
    elif batch_spans:
        text += f" It is also the fastest at every batch that fits at context {longest:,}."
    return text


def cost_model_sentence(results: Mapping[tuple[str, int, int], StepResult], systems: Sequence[str],
                        rows: Sequence[Mapping[str, Any]] = ()) -> str:
    """The cost models and the schedule the points were actually computed with.

    A row's ``cost_model`` counts where the rows carry one (a large study keeps full results for a few
    points only); the schedule is read from the operator times of the points kept in full."""
    models = {s: list(dict.fromkeys([*(r["cost_model"] for r in rows if r.get("system") == s and r.get("cost_model")),
                                     *(r.cost_model for (name, _, _), r in results.items() if name == s)]))
              for s in systems}
    parts = [f"{s}: {', '.join(m)}" for s, m in models.items() if m]
    if not parts:
        return ""
    text = f"Cost models used (from the results): {'; '.join(parts)}."
    if results:
        text += " " + schedule_sentence(list(results.values()))
        if rows and len(results) < len(rows):
            text += f" (Schedule read from the {len(results):,} points kept in full.)"
    return text


def schedule_sentence(results: Sequence[StepResult]) -> str:
    """Whether the step times are sequential (latency = sum of operator times) or overlap operators."""
    overlapped = [r for r in results
                  if r.latency_s < sum(op.total_s for op in r.ops) * (1 - SEQUENTIAL_TOLERANCE)]
    if not overlapped:
        return ("Schedule: sequential, every step's latency is the sum of its operators' times (no "
                "overlap of FC, attention or link transfers), and so are the throughputs in the tables "
                "and sweeps.")
    return (f"Schedule: {len(overlapped)} of {len(results)} points overlap operators (step latency "
            f"below the sum of operator times).")


def _curve_value(curves: Any, batch: int) -> float:
    for b, value in zip(curves.batch.tolist(), curves.system_tokens_per_s.tolist(), strict=True):
        if int(b) == batch:
            return float(value)
    return math.nan


def overlap_sentence(drm: Mapping[tuple[str, int], Any], results: Mapping[tuple[str, int, int], StepResult],
                     context: int, batch: int) -> str:
    """Which DRM numbers assume perfect overlap, and how far they are from the sequential table at one point."""
    text = ("The achievable line assumes perfect overlap where FC and attention run on different devices: "
            "min(Line-FC, Line-ATTN) is the bound when the two pipeline across sub-batches with every "
            "transfer hidden. Where they share a device it is batch / (t_FC + t_ATTN), the sequential value. "
            "The tables and sweeps use the sequential schedule, so they sit at or below this line.")
    pairs = []
    for (system, ctx), curves in drm.items():
        result = results.get((system, ctx, batch))
        if ctx != context or curves is None or result is None:
            continue
        bound = _curve_value(curves, batch)
        if not math.isfinite(bound):
            continue
        kind = ("perfect overlap" if curves.fc_device != curves.attn_device
                else "sequential, one device")
        pairs.append(f"{system}: DRM {_rate(bound)} ({kind}) vs table {_rate(result.tokens_per_s)} (sequential)")
    if pairs:
        text += f" At batch {batch:,}, context {context:,}: " + "; ".join(pairs) + "."
    return text


MEMORY_PREFIX, MEMORY_SUFFIX = "memory_per_", "_bytes"


def memory_columns(result: StepResult) -> dict[str, float]:
    """``memory_per_<device>_bytes``: what one device of each memory-owning kind holds."""
    return {f"{MEMORY_PREFIX}{m.device}{MEMORY_SUFFIX}": m.total_bytes for m in result.memory}


def memory_scope_sentence(systems: Mapping[str, SystemView], results: Mapping[tuple[str, int, int], StepResult],
                          rows: Sequence[Mapping[str, Any]] = ()) -> str:
    """What the memory columns count, per system: one device slot as the mapping accounts it, not the total."""
    parts = []
    for name, system in systems.items():
        from_rows = [k[len(MEMORY_PREFIX):-len(MEMORY_SUFFIX)] for r in rows if r.get("system") == name for k in r
                     if k.startswith(MEMORY_PREFIX) and k.endswith(MEMORY_SUFFIX)]
        devices = list(dict.fromkeys([*from_rows, *(m.device for (s, _, _), r in results.items() if s == name
                                                    for m in r.memory)]))
        described = []
        for device in devices:
            count = int(system.devices[device].count) if device in system.devices else 1
            text = f"one {device} of {count}" if count > 1 else f"the whole {device} (one device)"
            inside = [d for d, v in system.devices.items() if v.memory_of == device]
            if inside:
                text += f" (with the {', '.join(inside)} that compute{'s' if len(inside) == 1 else ''} in its memory)"
            described.append(text)
        if described:
            parts.append(f"{name}: {', '.join(described)}")
    if not parts:
        return ""
    return ("memory_per_<device>_bytes is what ONE device slot holds as the mapping accounts it (weights, "
            "KV cache, activations), not the system's total: " + "; ".join(parts) + ".")


def steps_answer_sentence(results: Sequence[StepResult], labels: Sequence[str]) -> str:
    """The answer of a step report: the fastest configuration that fits, by how much, and where its time goes."""
    if not results:
        return ""
    pairs = list(zip(results, labels, strict=True))
    fitting = [(r, label) for r, label in pairs if r.fits and r.latency_s > 0]
    if not fitting:
        return "Answer: no configuration fits in memory; the times below are what-ifs."
    best, best_label = max(fitting, key=lambda p: p[0].tokens_per_s)
    breakdown = best.breakdown("kind")
    total = sum(breakdown.values())
    top_kind = next(iter(breakdown), "")
    where = (f"; {top_kind} takes {100 * breakdown[top_kind] / total:.0f}% of its operator time"
             if top_kind and total > 0 else "")
    subject = best_label if len(pairs) > 1 else best.system
    text = (f"Answer: {subject} is {'the fastest configuration that fits' if len(pairs) > 1 else 'predicted'} at "
            f"{format_quantity(best.latency_s, 's')} per {best.phase} step ({_rate(best.tokens_per_s)}), "
            f"{best.bound}-bound{where}.")
    others = [f"{_ratio(best.tokens_per_s, r.tokens_per_s)} ({label})" for r, label in fitting if r is not best]
    if others:
        text += f" Its throughput is {', '.join(others)} that of the others."
    overflow = [label for r, label in pairs if not r.fits]
    if overflow:
        text += f" Does not fit in memory: {', '.join(overflow)}."
    return text
