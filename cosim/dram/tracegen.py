"""Deterministic synthetic request traces (DRAMsim3 format `0xADDR READ|WRITE CYCLE`).

Kinds: `seq_read` (streaming reads, one request-size apart), `random_read` (uniform over the capacity,
request aligned), `seq_mix` / `random_mix` (the same with every third request a write: 2:1 read/write),
`low_load_random` (random reads spaced far apart, for the unloaded latency). Requests are issued one every
`interval_cycles` memory cycles (default 1 = as fast as DRAMsim3's trace CPU accepts them; the
low-load default is 500).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cosim.dram.spec import DramSpec

KINDS = ("seq_read", "random_read", "seq_mix", "random_mix", "low_load_random")
LOW_LOAD_INTERVAL = 500  # cycles between requests: far longer than any read latency, so every read is unloaded
WRITE_EVERY = 3  # 2:1 read/write mix: requests 2, 5, 8, ... are writes


def generate_arrays(kind: str, spec: DramSpec, n_requests: int, seed: int = 0,
                    interval_cycles: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(addresses uint64, is_write bool, cycles int64) for one of `KINDS`."""
    if kind not in KINDS:
        raise ValueError(f"unknown trace kind {kind!r} (allowed: {', '.join(KINDS)})")
    n = int(n_requests)
    rng = np.random.default_rng(seed)
    req = spec.request_size_bytes
    blocks = spec.capacity_bytes // req
    if kind.startswith("seq"):
        addrs = (np.arange(n, dtype=np.uint64) % np.uint64(blocks)) * np.uint64(req)
    else:
        addrs = rng.integers(0, blocks, size=n, dtype=np.uint64) * np.uint64(req)
    is_write = np.zeros(n, dtype=bool)
    if kind.endswith("mix"):
        is_write[WRITE_EVERY - 1::WRITE_EVERY] = True
    if interval_cycles is None:
        interval_cycles = LOW_LOAD_INTERVAL if kind == "low_load_random" else 1
    cycles = np.arange(n, dtype=np.int64) * int(interval_cycles)
    return addrs, is_write, cycles


def generate_trace(kind: str, spec: DramSpec, n_requests: int, seed: int = 0,
                   interval_cycles: int | None = None) -> list[tuple[int, bool, int]]:
    """The trace as (address, is_write, cycle) tuples (what `simulate_trace` accepts)."""
    a, w, c = generate_arrays(kind, spec, n_requests, seed, interval_cycles)
    return list(zip(a.tolist(), w.tolist(), c.tolist(), strict=True))


def write_trace(path: str | Path, kind: str, spec: DramSpec, n_requests: int, seed: int = 0,
                interval_cycles: int | None = None) -> Path:
    """Write a DRAMsim3-format trace file (atomically) and return its path."""
    a, w, c = generate_arrays(kind, spec, n_requests, seed, interval_cycles)
    path = Path(path)
    ops = np.where(w, "WRITE", "READ")
    text = "".join(f"0x{addr:x} {op} {cyc}\n" for addr, op, cyc in zip(a.tolist(), ops, c.tolist(), strict=True))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
