"""Trace front ends: DRAMsim3 (`0xADDR READ|WRITE CYCLE`) and Ramulator (1: `0xADDR R|W`, 2: `LD|ST ADDR`).

Both give numpy arrays (address, is_write, arrival cycle). Ramulator traces carry no cycles: request i
arrives at cycle i, so the front end feeds them as fast as the controller accepts them. A line that does
not parse, or whose address or cycle is out of range, raises a one-line CosimInputError naming the file and
the line number.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from cosim.dram.trace_fast import parse_dramsim3_bytes
from cosim.errors import CosimInputError

FORMATS = ("dramsim3", "ramulator")
MAX_CYCLE = 10**10
"""Latest arrival cycle a trace may name: 6 s of DDR4-3200 time, ~1.5 s of simulation even when the controller
idles (refreshes only) until then; a 1-request-per-cycle trace that long would be a 100+ GB file. A later
cycle is refused with its line instead of running for minutes (or overflowing int64 beyond 2**63)."""
MAX_ADDRESS = 2**64 - 1  # the simulator's address width; the spec's capacity is checked when decoding
_DRAMSIM3_OPS = {"READ": False, "WRITE": True}
_RAMULATOR_OPS = {"R": False, "W": True, "LD": False, "ST": True, "READ": False, "WRITE": True}


def _int(token: str) -> int:
    return int(token, 0) if token[:2].lower() in ("0x", "0o", "0b") else int(token, 16 if any(
        c in "abcdefABCDEF" for c in token) else 10)


def parse_trace(path: str | Path, fmt: str = "dramsim3", max_requests: int | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a trace file into (addr uint64, is_write bool, cycle int64) arrays.

    `max_requests`: read only the first that many lines (a run of N cycles can accept at most N requests,
    one per cycle, so the rest of the file is never needed, as in DRAMsim3 which reads lazily).
    """
    if fmt not in FORMATS:
        raise CosimInputError(f"unknown trace format {fmt!r}", field="format", allowed=FORMATS)
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CosimInputError("trace file not found", file=path) from None
    except OSError as exc:
        raise CosimInputError(f"cannot read trace: {exc}", file=path) from None
    if fmt == "dramsim3":
        a, w, c, count, bad = parse_dramsim3_bytes(np.frombuffer(data, dtype=np.uint8),
                                                   -1 if max_requests is None else int(max_requests))
        if bad == 0 and (count == 0 or c[count - 1] <= MAX_CYCLE):  # cycles never decrease: the last is the max
            if count == 0:
                raise CosimInputError("trace has no requests", file=path)
            return a[:count], w[:count], c[:count]
        # the plain parser (more lenient: 0o/0b, bare hex) re-reads the file and words any error
    if max_requests is not None:
        data = b"\n".join(data.split(b"\n", max_requests)[:max_requests])
    text = data.decode("utf-8", errors="replace")
    addrs: list[int] = []
    writes: list[bool] = []
    cycles: list[int] = []
    last_cycle = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        try:
            if fmt == "dramsim3":
                if len(tokens) != 3:
                    raise ValueError("expected '0xADDR READ|WRITE CYCLE'")
                addr, op, cyc = _int(tokens[0]), _DRAMSIM3_OPS[tokens[1].upper()], int(tokens[2], 0)
            else:
                if len(tokens) != 2:
                    raise ValueError("expected '0xADDR R|W' (Ramulator 1) or 'LD|ST ADDR' (Ramulator 2)")
                first = tokens[0].upper()
                if first in _RAMULATOR_OPS:
                    op, addr = _RAMULATOR_OPS[first], _int(tokens[1])
                else:
                    addr, op = _int(tokens[0]), _RAMULATOR_OPS[tokens[1].upper()]
                cyc = len(addrs)
        except (ValueError, KeyError) as exc:
            why = str(exc) if isinstance(exc, ValueError) and str(exc).startswith("expected") else \
                "expected '0xADDR READ|WRITE CYCLE'" if fmt == "dramsim3" else "expected '0xADDR R|W' or 'LD|ST ADDR'"
            raise CosimInputError(f"line {lineno}: cannot parse {line.strip()[:60]!r}: {why}", file=path,
                                  allowed=None) from None
        if not 0 <= addr <= MAX_ADDRESS:
            raise CosimInputError(f"line {lineno}: address {addr:#x} out of range", file=path, field="address",
                                  allowed=f"0..{MAX_ADDRESS:#x}")
        if not 0 <= cyc <= MAX_CYCLE:
            raise CosimInputError(f"line {lineno}: cycle {cyc} out of range", file=path, field="cycle",
                                  allowed=f"0..{MAX_CYCLE}")
        if cyc < last_cycle:
            raise CosimInputError(f"line {lineno}: cycle {cyc} goes back in time (previous {last_cycle}); "
                                  "requests must be in arrival order", file=path)
        last_cycle = cyc
        addrs.append(addr)
        writes.append(op)
        cycles.append(cyc)
    if not addrs:
        raise CosimInputError("trace has no requests", file=path)
    return (np.asarray(addrs, dtype=np.uint64), np.asarray(writes, dtype=bool), np.asarray(cycles, dtype=np.int64))


def trace_arrays(trace: str | Path | Iterable[tuple[int, bool, int]] | tuple[np.ndarray, np.ndarray, np.ndarray],
                 fmt: str = "dramsim3", max_requests: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Normalise a trace path, an iterable of (addr, is_write, cycle) or an array triple; returns a label too."""
    if isinstance(trace, str | Path):
        return (*parse_trace(trace, fmt, max_requests), str(trace))
    if isinstance(trace, tuple) and len(trace) == 3 and all(isinstance(x, np.ndarray) for x in trace):
        a, w, c = trace
        a, w, c = np.asarray(a, np.uint64), np.asarray(w, bool), np.asarray(c, np.int64)
        return a, w, _checked_cycles(c), "<arrays>"
    rows = list(trace)
    if not rows:
        raise CosimInputError("trace has no requests", field="trace")
    try:
        a = np.fromiter((int(r[0]) for r in rows), dtype=np.uint64, count=len(rows))
        c = np.fromiter((int(r[2]) for r in rows), dtype=np.int64, count=len(rows))
    except OverflowError:
        raise CosimInputError("an address or cycle out of range", field="trace",
                              allowed=f"addresses 0..{MAX_ADDRESS:#x}, cycles 0..{MAX_CYCLE}") from None
    w = np.fromiter((bool(r[1]) for r in rows), dtype=bool, count=len(rows))
    return a, w, _checked_cycles(c), "<iterable>"


def _checked_cycles(c: np.ndarray) -> np.ndarray:
    """Arrival cycles in order and within 0..MAX_CYCLE (the same rules as a trace file's)."""
    if np.any(np.diff(c) < 0):
        raise CosimInputError("request cycles must be non-decreasing (arrival order)", field="trace")
    if len(c) and not 0 <= int(c[0]) <= int(c[-1]) <= MAX_CYCLE:
        raise CosimInputError(f"request cycles {int(c[0])}..{int(c[-1])} out of range", field="trace",
                              allowed=f"0..{MAX_CYCLE}")
    return c
