"""DRAMsim3's IDD energy model: per-command and background terms, hand-checked on DDR4-3200 x8."""

from __future__ import annotations

import dataclasses

import pytest

from cosim.dram import load_dram_spec, simulate_trace
from cosim.dram.energy import EnergyIncrements, energy_breakdown
from cosim.dram.tracegen import generate_arrays

SPEC = load_dram_spec("ddr4-3200-x8")  # VDD 1.2; IDD0 57, IDD2N 37, IDD3N 52, IDD4R 168, IDD4W 150, IDD5AB 250


def test_increments_match_the_datasheet_arithmetic():
    inc = EnergyIncrements.of(SPEC)
    devices = 8  # 64-bit bus of x8 chips
    assert inc.act == pytest.approx(1.2 * (57 * (52 + 22) - (52 * 52 + 37 * 22)) * devices)
    assert inc.read == pytest.approx(1.2 * (168 - 52) * 4 * devices)  # burst of 4 cycles
    assert inc.write == pytest.approx(1.2 * (150 - 52) * 4 * devices)
    assert inc.ref == pytest.approx(1.2 * (250 - 52) * 560 * devices)
    assert inc.act_stb == pytest.approx(1.2 * 52 * devices) and inc.pre_stb == pytest.approx(1.2 * 37 * devices)


def test_units_convert_to_joules_with_tck():
    e = energy_breakdown(SPEC, acts=0, reads=1, writes=0, refs=0, active_rank_cycles=0, idle_rank_cycles=0)
    assert e["total"] == pytest.approx(1.2 * (168 - 52) * 4 * 8 * 0.63e-12)  # V*mA*cycles x tCK[ns] = pJ


def test_idle_memory_burns_only_precharge_standby_and_refresh():
    quiet = dataclasses.replace(SPEC, refresh_policy="NO_REFRESH")
    cycles = 50_000
    trace = ([0], [False], [cycles - 100])  # one late read so the run is exactly `cycles` long
    stats = simulate_trace(quiet, tuple(map(__import__("numpy").asarray, trace)), cycles=cycles)
    parts = stats.energy_breakdown_j
    inc = EnergyIncrements.of(quiet)
    ranks = quiet.ranks
    active = parts["act_stb"] / (inc.act_stb * quiet.tCK_ns * 1e-12)
    idle = parts["pre_stb"] / (inc.pre_stb * quiet.tCK_ns * 1e-12)
    assert active + idle == pytest.approx(cycles * ranks)
    assert active < 100  # the one row was open only briefly
    assert parts["ref"] == 0


def test_energy_grows_with_work_and_random_costs_more_than_sequential():
    n = 4000
    seq = simulate_trace(SPEC, generate_arrays("seq_read", SPEC, n))
    rnd = simulate_trace(SPEC, generate_arrays("random_read", SPEC, n))
    more = simulate_trace(SPEC, generate_arrays("random_read", SPEC, 2 * n))
    per_req_seq = (seq.energy_breakdown_j["act"] + seq.energy_breakdown_j["read"]) / n
    per_req_rnd = (rnd.energy_breakdown_j["act"] + rnd.energy_breakdown_j["read"]) / n
    assert per_req_rnd > 2 * per_req_seq  # an activate per request versus one per 128
    assert more.energy_j > rnd.energy_j
