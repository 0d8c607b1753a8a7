"""Fuzz the DRAM trace readers: any file content parses to consistent arrays or is one CosimInputError line."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.dram.trace import MAX_CYCLE, parse_trace
from cosim.errors import CosimInputError

EXAMPLES = int(os.environ.get("COSIM_FUZZ_EXAMPLES", "60"))
TOKENS = ["0x40", "0X1f", "64", "-5", "0x1ffffffffffffffffff", "READ", "write", "R", "W", "LD", "ST", "READX", "0",
          "3", "10000000000", "10000000001", "99999999999999999999", "#", "#c", "0o17", "0b11", "abc", "\t", "\r"]
lines = st.lists(st.sampled_from(TOKENS), max_size=4).map(" ".join)
contents = st.one_of(st.lists(lines, max_size=8).map(lambda ls: "\n".join(ls).encode()), st.binary(max_size=200))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=contents, fmt=st.sampled_from(["dramsim3", "ramulator"]),
       max_requests=st.one_of(st.none(), st.integers(1, 5)))
def test_trace_reader_parses_or_rejects_in_one_line(content, fmt, max_requests):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.trace"
        path.write_bytes(content)
        try:
            addrs, writes, cycles = parse_trace(path, fmt, max_requests)
        except CosimInputError as exc:
            assert "\n" not in str(exc) and "fuzz.trace" in str(exc)
            return
    assert len(addrs) == len(writes) == len(cycles) >= 1
    assert addrs.dtype == np.uint64 and cycles.dtype == np.int64
    assert (np.diff(cycles) >= 0).all() and cycles[0] >= 0 and cycles[-1] <= MAX_CYCLE
    assert max_requests is None or len(addrs) <= max_requests
