"""The analytical stream path against the command-level simulator (cosim.dram.simulate_commands), within 5 %.

Both run the same DDR4-3200 x8 timings (CHIME Table I = DRAMsim3 DDR4_8Gb_x8_3200.ini). The analytical
path counts whole ACT..PRE row steps while the simulator stops at the last data beat, so a stream shorter
than a couple of rows differs by a few cycles at its end (a 5-column scan: 88 vs 81 cycles); the streams
below are the sizes attention produces (many rows).
"""

from __future__ import annotations

import pytest

from cosim.perf.pim.stream import StreamTiming, scan_commands

dram = pytest.importorskip("cosim.dram", reason="cosim.dram (command-level simulator) not available")
if not hasattr(dram, "simulate_commands"):
    pytest.skip("cosim.dram.simulate_commands not available yet", allow_module_level=True)

TOLERANCE = 0.05


@pytest.fixture(scope="module")
def sim_spec():
    return dram.load_dram_spec("ddr4-3200-x8")


@pytest.fixture(scope="module")
def timing(l3):
    return StreamTiming.from_dram(l3.dram)


def _simulate(spec, commands, *, refresh: bool = True) -> int:
    return dram.simulate_commands(spec, list(commands), refresh=refresh).cycles


@pytest.mark.parametrize(("bursts", "passes"), [(128 * 2, 1), (128 * 40 + 17, 1), (128 * 12 + 5, 2), (128 * 300, 1)])
@pytest.mark.parametrize("refresh", [False, True])
def test_all_bank_scan_matches_the_simulator(sim_spec, timing, bursts, passes, refresh):
    sim = _simulate(sim_spec, scan_commands(bursts, 128, passes=passes), refresh=refresh)
    cycles = timing.scan_cycles(bursts, 128, passes)
    ours = int(timing.with_refresh(cycles) if refresh else cycles)
    assert ours == pytest.approx(sim, rel=TOLERANCE)


@pytest.mark.parametrize(("command", "write"), [("PIM_WR_SB", True), ("PIM_RD_RB", False)])
@pytest.mark.parametrize("bursts", [16, 512])
def test_shared_buffer_writes_and_result_reads_match_the_simulator(sim_spec, timing, command, write, bursts):
    sim = _simulate(sim_spec, [(command, 0, 0, i) for i in range(bursts)], refresh=False)
    ours = int(timing.bus_cycles(bursts * 8, 8, write=write))
    assert ours == pytest.approx(sim, rel=TOLERANCE)
