"""Hypothesis invariants of the trace simulator: every request completes exactly once; more banks or a faster
clock never lowers bandwidth; results do not depend on how the trace is handed over."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.dram import load_dram_spec, simulate_trace

BASE = load_dram_spec("ddr4-3200-x8")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def traces(draw, spec=BASE, max_n=300):
    n = draw(st.integers(1, max_n))
    blocks = draw(st.sampled_from([64, 4096, spec.capacity_bytes // spec.request_size_bytes]))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    addrs = rng.integers(0, blocks, n).astype(np.uint64) * np.uint64(spec.request_size_bytes)
    writes = rng.random(n) < draw(st.sampled_from([0.0, 0.33, 0.9]))
    gaps = rng.integers(0, draw(st.sampled_from([1, 5, 200])), n)
    return addrs, writes, np.cumsum(gaps).astype(np.int64)


@SETTINGS
@given(trace=traces(), policy=st.sampled_from(["open", "closed"]))
def test_every_request_completes_exactly_once(trace, policy):
    addrs, writes, cycles = trace
    stats = simulate_trace(BASE, trace, row_policy=policy)
    n = len(addrs)
    assert stats.reads_done + stats.writes_done == n
    assert stats.reads_done == int(np.count_nonzero(~writes))
    done = stats.completion_cycles
    assert np.all(done > stats.arrival_cycles) and np.all(stats.arrival_cycles > cycles)
    # a read either went to the DRAM (one column command) or was served from a pending write / merged with an
    # identical pending read: commands never exceed requests
    assert stats.read_cmds <= stats.reads_done and stats.write_cmds <= stats.writes_done
    assert stats.cycles > done.max()


def _wide(spec, factor=2):
    """The same device with `factor` x the banks per group (the new bank bits come out of the row field)."""
    return dataclasses.replace(spec, banks_per_group=spec.banks_per_group * factor, rows=spec.rows // factor)


@SETTINGS
@given(trace=traces(max_n=400))
def test_more_banks_never_lower_bandwidth(trace):
    narrow = simulate_trace(BASE, trace)
    wide = simulate_trace(_wide(BASE), trace)
    assert wide.bandwidth_GBps >= narrow.bandwidth_GBps * (1 - 1e-9)


@SETTINGS
@given(trace=traces(max_n=400))
def test_higher_data_rate_never_lowers_bandwidth(trace):
    """Same timings in ns, 25 % shorter clock: every nCK timing is re-rounded up, bandwidth cannot drop."""
    faster_tck = BASE.tCK_ns * 0.75
    timing = {k: int(np.ceil(v * BASE.tCK_ns / faster_tck - 1e-9)) for k, v in BASE.timing.items()}
    fast = dataclasses.replace(BASE, tCK_ns=faster_tck, timing=timing)
    addrs, writes, cycles = trace
    slow_stats = simulate_trace(BASE, trace)
    # arrivals at the same time in ns
    fast_stats = simulate_trace(fast, (addrs, writes, np.floor(cycles / 0.75).astype(np.int64)))
    assert fast_stats.bandwidth_GBps >= slow_stats.bandwidth_GBps * (1 - 1e-9)


def test_file_iterable_and_arrays_give_the_same_result(tmp_path):
    rng = np.random.default_rng(5)
    n = 500
    addrs = rng.integers(0, 1 << 20, n).astype(np.uint64) * np.uint64(64)
    writes = rng.random(n) < 0.3
    cycles = np.arange(n, dtype=np.int64) * 3
    path = tmp_path / "t.trace"
    path.write_text("".join(f"0x{a:x} {'WRITE' if w else 'READ'} {c}\n" for a, w, c in zip(addrs, writes, cycles,
                                                                                       strict=True)))
    a = simulate_trace(BASE, path).to_dict()
    b = simulate_trace(BASE, list(zip(addrs.tolist(), writes.tolist(), cycles.tolist(), strict=True))).to_dict()
    c = simulate_trace(BASE, (addrs, writes, cycles)).to_dict()
    a.pop("spec"), b.pop("spec"), c.pop("spec")
    assert a == b == c
