"""Serving metrics from the per-request timestamps and the iteration log, as vLLM's benchmark reports them.

Per request: TTFT = first token - arrival; TPOT = (last - first) / (output - 1), undefined for one output
token; e2e = last token - arrival; queueing delay = first scheduled - arrival; every time-between-tokens
gap. Aggregates: mean and p50/p90/p95/p99 (numpy's linear percentiles, as ``vllm bench serve``). The TBT
distribution is kept as (gap, multiplicity) pairs: inside a run of consecutive iterations a request's gaps
are the replica's iteration-end differences, so a gap shared by the whole batch is stored once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

QUANTILES = (50, 90, 95, 99)


def stats(x: np.ndarray) -> dict[str, float]:
    """``{mean, p50, p90, p95, p99}`` of the finite values (NaN when there are none)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return {"mean": math.nan, **{f"p{q}": math.nan for q in QUANTILES}}
    out = {"mean": float(x.mean())}
    out.update({f"p{q}": float(v) for q, v in zip(QUANTILES, np.percentile(x, QUANTILES), strict=True)})
    return out


def weighted_stats(values: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    """:func:`stats` of ``values`` repeated ``weights`` times, without building the repeated array."""
    keep = weights > 0
    values, weights = np.asarray(values, dtype=float)[keep], np.asarray(weights, dtype=np.int64)[keep]
    total = int(weights.sum())
    if total == 0:
        return stats(np.zeros(0))
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.cumsum(weights[order])
    out = {"mean": float((values * weights[order]).sum() / total)}
    for q in QUANTILES:
        pos = q / 100.0 * (total - 1)
        lo = math.floor(pos)
        frac = pos - lo
        v_lo = values[np.searchsorted(cum, lo, side="right")]
        v_hi = values[np.searchsorted(cum, min(lo + 1, total - 1), side="right")]
        out[f"p{q}"] = float(v_lo + (v_hi - v_lo) * frac)
    return out


def request_metrics(requests: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """ttft_s, tpot_s, e2e_s, queueing_delay_s per request (NaN where undefined or not completed)."""
    arrival, first, last = requests["arrival_s"], requests["first_token_s"], requests["last_token_s"]
    out_tokens = requests["output_tokens"]
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(out_tokens > 1, (last - first) / (out_tokens - 1), np.nan)
    return {"ttft_s": first - arrival, "tpot_s": tpot, "e2e_s": last - arrival,
            "queueing_delay_s": requests["first_scheduled_s"] - arrival}


def tbt_distribution(end_s: np.ndarray, run_offsets: np.ndarray, run_starts: np.ndarray,
                     run_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All TBT gaps as (values, multiplicities). ``run_starts`` index ``end_s`` (global iteration rows)."""
    cover = np.zeros(len(end_s) + 1, dtype=np.int64)  # cover[j]: runs holding tokens at rows j and j + 1
    inner = run_counts > 1
    np.add.at(cover, run_starts[inner], 1)
    np.add.at(cover, run_starts[inner] + run_counts[inner] - 1, -1)
    weights = np.cumsum(cover)[: max(len(end_s) - 1, 0)]
    gaps = np.diff(end_s)
    # Gaps between a request's consecutive runs (a skipped iteration, a preemption): few, listed one by one.
    last_rows = run_starts + run_counts - 1
    same_request = np.ones(len(run_starts), dtype=bool)
    same_request[run_offsets[:-1][np.diff(run_offsets) > 0]] = False  # first run of each request
    between = end_s[run_starts[same_request]] - end_s[np.roll(last_rows, 1)[same_request]]
    return np.concatenate([gaps, between]), np.concatenate([weights, np.ones(len(between), dtype=np.int64)])


def iteration_metrics(iterations: Mapping[str, np.ndarray], *, num_blocks: int, dp: int, makespan_s: float,
                      token_budget: int | None) -> dict[str, float]:
    """Batch size, token-budget use, KV occupancy (time-weighted over iterations) and device busy fraction."""
    duration = iterations["end_s"] - iterations["start_s"]
    busy = float(duration.sum())
    if len(duration) == 0 or busy <= 0:
        return {"iterations": len(duration), "mean_batch_size": math.nan, "mean_tokens_per_iteration": math.nan,
                "token_budget_use": math.nan, "mean_kv_occupancy": math.nan, "peak_kv_occupancy": math.nan,
                "device_busy_fraction": math.nan}
    tokens = iterations["num_tokens"]
    return {
        "iterations": len(duration),
        "mean_batch_size": float(iterations["num_seqs"].mean()),
        "mean_tokens_per_iteration": float(tokens.mean()),
        "token_budget_use": float(tokens.mean() / token_budget) if token_budget else math.nan,
        "mean_kv_occupancy": float((iterations["kv_blocks_used"] * duration).sum() / busy / num_blocks),
        "peak_kv_occupancy": float(iterations["kv_blocks_used"].max() / num_blocks),
        "device_busy_fraction": float(iterations["device_s"].sum() / (dp * makespan_s)) if makespan_s > 0
        else math.nan,
    }


def slo_metrics(ttft_s: np.ndarray, tpot_s: np.ndarray, completed: np.ndarray, *, slo_ttft_s: float | None,
                slo_tpot_s: float | None, makespan_s: float) -> dict[str, float]:
    """SLO attainment (share of all requests, rejected ones fail) and goodput (meeting requests per second).
    A one-token request has no TPOT and meets any TPOT limit."""
    ok = completed.copy()
    if slo_ttft_s is not None:
        ok &= ttft_s <= slo_ttft_s
    if slo_tpot_s is not None:
        ok &= np.isnan(tpot_s) | (tpot_s <= slo_tpot_s)
    n = len(ok)
    return {"slo_ttft_s": slo_ttft_s, "slo_tpot_s": slo_tpot_s,
            "slo_attainment": float(ok.sum() / n) if n else math.nan,
            "goodput_requests_per_s": float(ok.sum() / makespan_s) if makespan_s > 0 else math.nan}
