"""cosim.report.serving_trace: a serving run as a Chrome/Perfetto trace-event JSON file."""

from __future__ import annotations

import itertools
import json
import os
from collections import defaultdict

import numpy as np
import pytest
from serving_fixtures import fake_run, hardware_run

from cosim.errors import CosimInputError
from cosim.report.serving_trace import iteration_groups, replica_pid, write_trace_events

REQUIRED = {"name", "ph", "ts", "pid", "tid"}


def _load(result, tmp_path):
    path = tmp_path / "run.trace.json"
    write_trace_events(result, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(doc["traceEvents"], list)
    return doc["traceEvents"]


def _check_events(result, events):
    for ev in events:
        assert ev.keys() >= REQUIRED, ev
        assert ev["ts"] >= 0
        if ev["ph"] == "X":
            assert ev["dur"] >= 0
    it = result.iterations
    by_pid = defaultdict(list)
    for ev in events:
        if ev["ph"] == "X":
            by_pid[ev["pid"]].append(ev)
    for r in range(result.config.dp):
        rows = it["replica"] == r
        xs = sorted(by_pid[replica_pid(r)], key=lambda e: e["ts"])
        assert sum(e["args"]["iterations"] for e in xs) == int(rows.sum())
        for a, b in itertools.pairwise(xs):
            assert a["ts"] + a["dur"] <= b["ts"] + 1e-6  # no overlap (µs)
        busy_us = float((it["end_s"][rows] - it["start_s"][rows]).sum()) * 1e6
        assert sum(e["dur"] for e in xs) == pytest.approx(busy_us, rel=1e-9, abs=1e-3)
    return by_pid


def test_trace_of_a_hardware_run(tmp_path):
    result = hardware_run()
    events = _load(result, tmp_path)
    by_pid = _check_events(result, events)
    xs = by_pid[replica_pid(0)]
    # the replica never idles in this run: its iterations cover the makespan exactly
    assert sum(e["dur"] for e in xs) == pytest.approx(result.makespan_s * 1e6, rel=1e-9)
    assert any(e["args"]["iterations"] > 1 for e in xs)  # decode runs are coalesced
    assert len(xs) < len(result.iterations["end_s"])
    assert xs[0]["name"].startswith("iter 0: ")
    assert "prefill" in " ".join(e["name"] for e in xs) and "decode" in xs[-1]["name"]
    for e in xs:
        assert {"batch_size", "tokens", "kv_occupancy"} <= e["args"].keys()
    counters = {e["name"] for e in events if e["ph"] == "C"}
    assert counters == {"batch size", "KV occupancy"}
    # every request has a life and its three phases, each begun and ended once
    req = result.requests
    phases = defaultdict(list)
    for e in events:
        if e["ph"] in "be":
            phases[(e["id"], e["name"].split(" ")[0])].append(e)
    for rid in req["id"].tolist():
        for phase in ("request", "queued", "prefill", "decode"):
            pair = phases[(rid, phase)]
            assert [e["ph"] for e in pair] == ["b", "e"], (rid, phase)
            assert pair[1]["ts"] >= pair[0]["ts"]
    first = int(np.argmax(req["id"] == req["id"][0]))
    start = next(e for e in phases[(int(req["id"][0]), "request")] if e["ph"] == "b")
    assert start["ts"] == pytest.approx(req["arrival_s"][first] * 1e6)
    assert start["args"]["output_tokens"] == int(req["output_tokens"][first])


def test_trace_of_two_replicas_with_idle_gaps_and_preemption(tmp_path):
    result = fake_run(dp=2, rate=4.0, capacity_tokens=1_500)
    assert result.summary()["preemptions"] > 0
    events = _load(result, tmp_path)
    _check_events(result, events)
    rejected = [e for e in events if e["ph"] == "i"]
    assert len(rejected) == len(result.rejected_reasons) > 0
    assert all(e["args"]["reason"] for e in rejected)
    names = {(e["pid"], e["args"]["name"]) for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert names == {(0, "requests"), (1, "replica 0"), (2, "replica 1")}


def test_skip_ahead_and_step_by_step_give_the_same_trace(tmp_path):
    fast, slow = fake_run(skip_ahead=True), fake_run(skip_ahead=False)
    a = [e for e in _load(fast, tmp_path) if e["ph"] == "X"]
    b = [e for e in _load(slow, tmp_path) if e["ph"] == "X"]
    assert [(e["name"], e["args"]["iterations"]) for e in a] == [(e["name"], e["args"]["iterations"]) for e in b]
    assert [e["ts"] for e in a] == pytest.approx([e["ts"] for e in b])


def test_iteration_groups_split_on_prefill_gap_and_batch_change():
    n = 6
    it = {"replica": np.zeros(n, dtype=int), "start_s": np.array([0, 1, 2, 3, 5, 6.0]),
          "end_s": np.array([1, 2, 3, 4, 6, 7.0]), "num_prefill_tokens": np.array([5, 0, 0, 0, 0, 0]),
          "num_preempted": np.zeros(n, dtype=int), "num_seqs": np.array([2, 2, 2, 1, 1, 1]),
          "num_decodes": np.array([1, 2, 2, 1, 1, 1]), "num_tokens": np.array([6, 2, 2, 1, 1, 1]),
          "num_running": np.array([2, 2, 2, 1, 1, 1]), "num_waiting": np.zeros(n, dtype=int)}
    assert iteration_groups(it).tolist() == [0, 1, 3, 4]


def test_refuses_a_directory_and_leaves_no_temporary_file(tmp_path):
    result = fake_run()
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(CosimInputError, match="not a regular file"):
        write_trace_events(result, target)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(CosimInputError, match="not a regular file"):
        write_trace_events(result, fifo)
    write_trace_events(result, tmp_path / "sub" / "t.json")
    assert os.listdir(tmp_path / "sub") == ["t.json"]
