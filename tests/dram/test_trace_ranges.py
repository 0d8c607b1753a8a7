"""Trace cycles and addresses out of range are one-line user errors; a long idle gap is simulated, not a 'stall'."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.cli.main import main
from cosim.dram import simulate_trace
from cosim.dram.trace import MAX_CYCLE, parse_trace, trace_arrays
from cosim.errors import CosimInputError


@pytest.mark.parametrize(("line", "needle"), [
    ("0x80 READ 100000000000", f"cycle 100000000000 out of range (allowed: 0..{MAX_CYCLE})"),
    ("0x80 READ 99999999999999999999", "out of range"),  # beyond int64 (was an OverflowError)
    ("0x1ffffffffffffffffff READ 9", "address 0x1ffffffffffffffffff out of range"),  # beyond uint64
    ("-5 READ 9", "address -0x5 out of range"),
])
def test_out_of_range_line_names_file_line_and_range(tmp_path, capsys, line, needle):
    path = tmp_path / "far.trace"
    path.write_text(f"0x40 READ 0\n{line}\n")
    with pytest.raises(CosimInputError) as info:
        parse_trace(path)
    assert "far.trace" in str(info.value) and "line 2" in str(info.value) and needle in str(info.value)
    code = main(["dram", "simulate", "--spec", "ddr4-3200-x8", "--trace", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "line 2" in err and "Traceback" not in err


def test_ramulator_address_beyond_uint64(tmp_path):
    path = tmp_path / "far.trace"
    path.write_text("0x40 R\n0x1ffffffffffffffffff W\n")
    with pytest.raises(CosimInputError, match="line 2: address"):
        parse_trace(path, "ramulator")


def test_an_idle_gap_longer_than_the_stall_window_is_simulated(tmp_path):
    """The deadlock detector once fired while the controller only waited for the next arrival (3 M cycles)."""
    path = tmp_path / "gap.trace"
    path.write_text("0x40 READ 0\n0x80 READ 3000000\n")
    stats = simulate_trace("ddr4-3200-x8", path)
    assert stats.reads_done == 2 and stats.cycles > 3_000_000
    assert stats.refreshes > 3_000_000 // 12_480  # the idle stretch kept refreshing


def test_arrays_and_cycles_option_are_range_checked():
    a, w = np.array([0, 64], np.uint64), np.zeros(2, bool)
    with pytest.raises(CosimInputError, match="out of range"):
        trace_arrays((a, w, np.array([0, MAX_CYCLE + 1], np.int64)))
    with pytest.raises(CosimInputError, match="out of range"):
        trace_arrays([(0, False, 0), (2**70, False, 1)])
    with pytest.raises(CosimInputError, match="cycles"):
        simulate_trace("ddr4-3200-x8", [(0, False, 0)], cycles=MAX_CYCLE + 1)
