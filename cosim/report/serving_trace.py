"""A serving run as a Chrome/Perfetto trace-event file (open it at https://ui.perfetto.dev or chrome://tracing).

The JSON object format: ``{"traceEvents": [...], "displayTimeUnit": "ms"}``, timestamps and durations in
microseconds of simulated time. Process 1 + ``r`` is replica ``r``: its thread 0 holds one complete ("X")
event per iteration, named like ``iter 123: 4 prefill + 60 decode, 2048 tokens``, and counter ("C") events
track its batch size and KV-cache occupancy. A run of consecutive, back-to-back decode-only iterations with
the same batch (what skip-ahead produces) is one event with ``args["iterations"] = N``, so a million-step run
stays a small file. Process 0 holds the requests as async ("b"/"e") events, one track per request: its life
(``request <id>``) with the nested phases ``queued`` (arrival to first scheduled), ``prefill`` (to the first
token) and ``decode`` (to the last token); a rejected request is an instant ("i") event with its reason.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from cosim.report.output import write_output
from cosim.serving.result import SimulationResult
from cosim.serving.state import FINISHED, REJECTED

REQUESTS_PID = 0
US_PER_S = 1e6


def replica_pid(replica: int) -> int:
    return 1 + int(replica)


def iteration_groups(it: dict[str, np.ndarray]) -> np.ndarray:
    """Row index where each event starts: a new event unless the row is a decode-only continuation of the
    previous row (same replica and batch, starting where it ended)."""
    n = len(it["end_s"])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    same = np.zeros(n, dtype=bool)
    decode_only = (it["num_prefill_tokens"] == 0) & (it["num_preempted"] == 0)
    same[1:] = decode_only[1:] & decode_only[:-1] & (it["start_s"][1:] == it["end_s"][:-1])
    for c in ("replica", "num_seqs", "num_decodes", "num_tokens", "num_running", "num_waiting"):
        same[1:] &= it[c][1:] == it[c][:-1]
    return np.flatnonzero(~same)


def _us(seconds: float) -> float:
    return float(seconds) * US_PER_S


def _meta(pid: int, tid: int, kind: str, name: str) -> dict[str, Any]:
    return {"name": kind, "ph": "M", "ts": 0, "pid": pid, "tid": tid, "args": {"name": name}}


def _iteration_events(result: SimulationResult) -> list[dict[str, Any]]:
    it = result.iterations
    n = len(it["end_s"])
    starts = iteration_groups(it)
    stops = np.append(starts[1:], n)  # exclusive
    num_blocks = result.config.num_blocks
    replica = it["replica"]
    local = np.arange(n) - np.searchsorted(replica, replica)  # iteration index within its replica
    events: list[dict[str, Any]] = []
    for lo, hi in zip(starts.tolist(), stops.tolist(), strict=True):
        last = hi - 1
        pid = replica_pid(replica[lo])
        k = hi - lo
        seqs, decodes = int(it["num_seqs"][lo]), int(it["num_decodes"][lo])
        prefills, tokens = seqs - decodes, int(it["num_tokens"][lo])
        first_no, last_no = int(local[lo]), int(local[last])
        label = f"iter {first_no}" if k == 1 else f"iter {first_no}-{last_no}"
        parts = [f"{prefills} prefill"] if prefills else []
        if decodes:
            parts.append(f"{decodes} decode")
        name = f"{label}: {' + '.join(parts) or 'idle'}, {tokens} tokens" + (f" x{k}" if k > 1 else "")
        t0, t1 = float(it["start_s"][lo]), float(it["end_s"][last])
        kv0, kv1 = int(it["kv_blocks_used"][lo]), int(it["kv_blocks_used"][last])
        args: dict[str, Any] = {
            "iterations": k, "first_iteration": first_no, "batch_size": seqs, "prefills": prefills,
            "decodes": decodes, "tokens": tokens, "prefill_tokens": int(it["num_prefill_tokens"][lo]),
            "running": int(it["num_running"][lo]), "waiting": int(it["num_waiting"][lo]),
            "preempted": int(it["num_preempted"][lo]),
            "device_s": float(it["device_s"][lo:hi].sum()), "overhead_s": float(it["overhead_s"][lo:hi].sum()),
            "kv_blocks_used": kv1, "kv_occupancy": kv1 / num_blocks,
        }
        if k > 1:
            args["kv_blocks_used_first"] = kv0
        events.append({"name": name, "cat": "iteration", "ph": "X", "ts": _us(t0), "dur": _us(t1) - _us(t0),
                       "pid": pid, "tid": 0, "args": args})
        events.append({"name": "batch size", "ph": "C", "ts": _us(t0), "pid": pid, "tid": 0,
                       "args": {"sequences": seqs, "tokens": tokens}})
        events.append({"name": "KV occupancy", "ph": "C", "ts": _us(t0), "pid": pid, "tid": 0,
                       "args": {"fraction": kv0 / num_blocks}})
        if k > 1 and kv1 != kv0:
            events.append({"name": "KV occupancy", "ph": "C", "ts": _us(it["start_s"][last]), "pid": pid, "tid": 0,
                           "args": {"fraction": kv1 / num_blocks}})
    # idle replicas: counters back to zero where an iteration is not followed at once by the next
    for hi in stops.tolist():
        last = hi - 1
        nxt = hi if hi < n and replica[hi] == replica[last] else None
        if nxt is None or it["start_s"][nxt] > it["end_s"][last]:
            pid = replica_pid(replica[last])
            events.append({"name": "batch size", "ph": "C", "ts": _us(it["end_s"][last]), "pid": pid, "tid": 0,
                           "args": {"sequences": 0, "tokens": 0}})
    return events


def _request_events(result: SimulationResult) -> list[dict[str, Any]]:
    req = result.requests
    events: list[dict[str, Any]] = []

    def span(name: str, rid: int, t0: float, t1: float, args: dict[str, Any] | None = None) -> None:
        if not (math.isfinite(t0) and math.isfinite(t1)):
            return
        t1 = max(t0, t1)
        common = {"cat": "request", "id": rid, "pid": REQUESTS_PID, "tid": 0}
        events.append({"name": name, "ph": "b", "ts": _us(t0), **common, **({"args": args} if args else {})})
        events.append({"name": name, "ph": "e", "ts": _us(t1), **common})

    for i in range(len(req["id"])):
        rid = int(req["id"][i])
        arrival = float(req["arrival_s"][i])
        status = int(req["status"][i])
        if status == REJECTED:
            events.append({"name": f"request {rid} rejected", "cat": "request", "ph": "i", "s": "p",
                           "ts": _us(arrival), "pid": REQUESTS_PID, "tid": 0,
                           "args": {"reason": result.rejected_reasons.get(rid, "")}})
            continue
        scheduled, first, last = (float(req[k][i]) for k in ("first_scheduled_s", "first_token_s", "last_token_s"))
        end = last if status == FINISHED else max((t for t in (scheduled, first, last) if math.isfinite(t)),
                                                  default=arrival)
        span(f"request {rid}", rid, arrival, end,
             {"prompt_tokens": int(req["prompt_tokens"][i]), "output_tokens": int(req["output_tokens"][i]),
              "replica": int(req["replica"][i]), "preemptions": int(req["preemptions"][i]),
              "finished": status == FINISHED})
        span("queued", rid, arrival, scheduled if math.isfinite(scheduled) else end)
        span("prefill", rid, scheduled, first)
        span("decode", rid, first, last)
    return events


def trace_events(result: SimulationResult) -> dict[str, Any]:
    """The trace-event document (a dict ready for ``json.dump``)."""
    replicas = result.config.dp
    events: list[dict[str, Any]] = [_meta(REQUESTS_PID, 0, "process_name", "requests"),
                                    {"name": "process_sort_index", "ph": "M", "ts": 0, "pid": REQUESTS_PID,
                                     "tid": 0, "args": {"sort_index": replicas + 1}}]
    for r in range(replicas):
        events.append(_meta(replica_pid(r), 0, "process_name", f"replica {r}"))
        events.append(_meta(replica_pid(r), 0, "thread_name", "iterations"))
        events.append({"name": "process_sort_index", "ph": "M", "ts": 0, "pid": replica_pid(r), "tid": 0,
                       "args": {"sort_index": r}})
    events += _iteration_events(result)
    events += _request_events(result)
    config = result.config.to_dict()
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {"generator": "cosim serve", **{k: json.dumps(v) if isinstance(v, dict) else v
                                                         for k, v in config.items()}}}


def write_trace_events(result: SimulationResult, path: str | Path) -> None:
    """Write the run's iterations and request lifetimes as a Chrome/Perfetto trace-event JSON file at ``path``
    (atomically; a directory or other non-regular file there is refused)."""
    text = json.dumps(trace_events(result), separators=(",", ":"), allow_nan=False)
    write_output(path, text)
