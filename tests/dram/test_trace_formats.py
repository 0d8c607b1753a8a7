"""Trace front ends: DRAMsim3 and Ramulator 1/2 formats, and one-line errors naming file and line."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.dram import load_dram_spec, simulate_trace, write_trace
from cosim.dram.trace import parse_trace
from cosim.dram.tracegen import KINDS, generate_arrays
from cosim.errors import CosimInputError


def test_dramsim3_format(tmp_path):
    path = tmp_path / "t.trace"
    path.write_text("0x1000 READ 0\n0x2040 WRITE 3\n\n0xabc0 READ 3\n")
    addrs, writes, cycles = parse_trace(path)
    assert addrs.tolist() == [0x1000, 0x2040, 0xABC0] and writes.tolist() == [False, True, False]
    assert cycles.tolist() == [0, 3, 3]


def test_ramulator_formats(tmp_path):
    path = tmp_path / "t.trace"
    path.write_text("0x1000 R\n0x2040 W\nLD 0x40\nST 128\n")
    addrs, writes, cycles = parse_trace(path, "ramulator")
    assert addrs.tolist() == [0x1000, 0x2040, 0x40, 128] and writes.tolist() == [False, True, False, True]
    assert cycles.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(("text", "fmt", "line"), [
    ("0x10 READ 0\n0x20 FETCH 1\n", "dramsim3", 2),
    ("0x10 READ 0\n0x20 READ\n", "dramsim3", 2),
    ("0xZZ READ 0\n", "dramsim3", 1),
    ("0x10 READ 5\n0x20 READ 4\n", "dramsim3", 2),
    ("0x10 R\n0x20 X\n", "ramulator", 2),
])
def test_bad_line_is_one_line_error_with_file_and_line(tmp_path, text, fmt, line):
    path = tmp_path / "bad.trace"
    path.write_text(text)
    with pytest.raises(CosimInputError) as info:
        parse_trace(path, fmt)
    msg = str(info.value)
    assert "\n" not in msg and "bad.trace" in msg and f"line {line}" in msg


def test_address_beyond_capacity_is_a_user_error(tmp_path):
    spec = load_dram_spec("ddr4-3200-x8")
    path = tmp_path / "far.trace"
    path.write_text(f"0x0 READ 0\n0x{spec.capacity_bytes:x} READ 1\n")
    with pytest.raises(CosimInputError, match=r"request 2.*beyond the capacity"):
        simulate_trace(spec, path)


@pytest.mark.parametrize("kind", KINDS)
def test_generator_is_deterministic_and_in_range(tmp_path, kind):
    spec = load_dram_spec("ddr4-3200-x8")
    a1 = generate_arrays(kind, spec, 300, seed=7)
    a2 = generate_arrays(kind, spec, 300, seed=7)
    for x, y in zip(a1, a2, strict=True):
        assert np.array_equal(x, y)
    addrs, writes, cycles = a1
    assert addrs.max() < spec.capacity_bytes and np.all(addrs % spec.request_size_bytes == 0)
    assert writes.mean() == (pytest.approx(1 / 3, abs=0.01) if kind.endswith("mix") else 0)
    path = write_trace(tmp_path / f"{kind}.trace", kind, spec, 300, seed=7)
    back = parse_trace(path)
    assert np.array_equal(back[0], addrs) and np.array_equal(back[1], writes) and np.array_equal(back[2], cycles)
