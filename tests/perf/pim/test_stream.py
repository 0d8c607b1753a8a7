"""The analytical PIM stream path: hand-derived cycle counts, monotonicity, vectorization."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.perf.pim.stream import ActMode, StreamTiming, scan_commands


@pytest.fixture(scope="module")
def ddr4(l3):
    return StreamTiming.from_dram(l3.dram)


def test_one_full_row_by_hand(ddr4):
    # DDR4-3200 (CHIME Table I): ACT, tRCD 22, 128 MACs tCCD_L 8 apart, tRTP 12, tRP 22
    assert int(ddr4.row_cycles(128)) == 22 + 127 * 8 + 12 + 22
    # a short row is held open until tRAS (52) before the precharge
    assert int(ddr4.row_cycles(1)) == 52 + 22
    assert int(ddr4.row_cycles(0)) == 0


def test_faw_limited_activation_adds_the_act_spread(l3):
    faw = StreamTiming.from_dram(l3.dram, act_mode=ActMode.FAW_LIMITED, banks=16)
    # 16 ACTs: the last at max(15 x tRRD_S, 3 x tFAW) = max(60, 102)
    assert faw.act_stagger == 102
    assert int(faw.row_cycles(128)) == int(StreamTiming.from_dram(l3.dram).row_cycles(128)) + 102


def test_refresh_stretch_by_hand(ddr4):
    window = 12480 - 560
    assert int(ddr4.with_refresh(window - 1)) == window - 1
    assert int(ddr4.with_refresh(window)) == window + 560 + 22 + 22


def test_bus_bursts_by_hand(ddr4):
    # 100 bytes per chip = 13 bursts of 8 B, one per max(tCCD_S, BL) = 4 cycles, after CL / CWL
    assert int(ddr4.bus_cycles(100, 8, write=False)) == 13 * 4 + 22
    assert int(ddr4.bus_cycles(100, 8, write=True)) == 13 * 4 + 16
    assert int(ddr4.bus_cycles(0, 8, write=True)) == 0


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 5000), st.integers(0, 5000), st.integers(1, 8))
def test_scan_is_monotone_in_bursts_and_passes(a, b, passes):
    t = StreamTiming(tck_s=1e-9, rcd=22, rp=22, ras=52, rtp=12, ccd_s=4, rrd_s=4, faw=34, rfc=560, refi=12480, bl=4,
                     cl=22, cwl=16, mac_interval=8)
    lo, hi = sorted((a, b))
    assert t.scan_cycles(lo, 128, passes) <= t.scan_cycles(hi, 128, passes)
    assert t.scan_cycles(hi, 128, passes) <= t.scan_cycles(hi, 128, passes + 1)
    assert t.with_refresh(lo) <= t.with_refresh(hi)


def test_vectorized_equals_scalar(ddr4):
    bursts = np.arange(0, 3000, 7)
    vec = ddr4.scan_cycles(bursts, 128, 2)
    assert [int(ddr4.scan_cycles(int(b), 128, 2)) for b in bursts] == vec.tolist()


def test_sustained_fraction_is_below_one_and_counts_row_switches_and_refresh(ddr4):
    f = ddr4.sustained_fraction(128)
    row = 128 * 8 / int(ddr4.row_cycles(128))
    assert f < row < 1
    assert f == pytest.approx(row * (12480 - 560) / (12480 - 560 + 560 + 44), rel=0.01)


def test_scan_commands_match_the_analytical_structure():
    cmds = list(scan_commands(300, 128, passes=2))
    assert [c[0] for c in cmds].count("PIM_ACTAB") == 3 and [c[0] for c in cmds].count("PIM_PREA") == 3
    assert [c[0] for c in cmds].count("PIM_MAC") == 600
