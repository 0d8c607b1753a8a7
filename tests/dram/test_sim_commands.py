"""`simulate_commands`: explicit (PIM) command streams through the same timing tables, in order."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.dram import Cmd, all_bank_mac_stream, load_dram_spec, simulate_commands
from cosim.errors import CosimInputError

SPEC = load_dram_spec("ddr4-3200-x8")
T = SPEC.derived_timing()


def test_one_row_gemv_scan_takes_trcd_then_one_mac_per_tccd_l():
    cols = 128
    reqs = [("PIM_ACTAB", 0, 5, 0), *[("PIM_MAC", 0, 5, c) for c in range(cols)], ("PIM_PREA", 0, 5, 0)]
    stats = simulate_commands(SPEC, reqs, refresh=False)
    issue = stats.issue_cycles
    assert issue[1] == T["tRCD"]  # first MAC after the all-bank activate
    assert set(np.diff(issue[1:-1]).tolist()) == {max(T["tCCD_L"], SPEC.burst_cycle)}
    assert issue[-1] == max(issue[-2] + T["tRTP"], T["tRAS"])  # PREA after tRTP (and tRAS)
    # the stream ends when the last MAC's data is through: read_delay after it
    assert stats.cycles == issue[-2] + T["read_delay"] + 1


def test_rows_back_to_back_wait_trp_after_the_precharge():
    stats = simulate_commands(SPEC, all_bank_mac_stream(SPEC, rows=3, columns=16, ranks=[0]), refresh=False)
    issue = stats.issue_cycles
    per_row = 16 + 2
    for r in range(1, 3):
        assert issue[r * per_row] == max(issue[r * per_row - 1] + T["tRP"], issue[(r - 1) * per_row] + T["tRC"])


def test_channels_are_independent_command_buses():
    spec = load_dram_spec("hbm2")
    one = simulate_commands(spec, all_bank_mac_stream(spec, rows=2, columns=32, channels=[0]), refresh=False)
    all8 = simulate_commands(spec, all_bank_mac_stream(spec, rows=2, columns=32), refresh=False)
    assert all8.cycles == one.cycles


def test_refresh_is_inserted_every_trefi_and_costs_trfc():
    stream = all_bank_mac_stream(SPEC, rows=200, columns=128, ranks=[0])
    quiet = simulate_commands(SPEC, stream, refresh=False)
    busy = simulate_commands(SPEC, stream, refresh=True)
    refs = busy.refresh_commands["REF"]
    # every rank of the channel refreshes (the idle rank 1 too: it shares the command bus), rank r first at
    # (r + 1) tREFI / ranks, then every tREFI; the controller refreshes when the next command would pass a due time
    due = [len(range((r + 1) * T["tREFI"] // SPEC.ranks, int(busy.issue_cycles[-1]) + 1, T["tREFI"]))
           for r in range(SPEC.ranks)]
    assert sum(due) - SPEC.ranks <= refs <= sum(due)
    # only rank 0's refreshes stall the stream: each closes its rows (PREA), waits tRFC and reopens them (ACTAB)
    stalls = busy.refresh_commands["PREA"]
    assert stalls == busy.refresh_commands["ACTAB"] >= refs // SPEC.ranks
    extra = busy.cycles - quiet.cycles
    assert stalls * T["tRFC"] <= extra <= stalls * (T["tRFC"] + T["tRP"] + T["tRCD"] + T["tRAS"] + T["tRC"])


def test_plain_commands_follow_the_bank_rules():
    reqs = [(Cmd.ACT, 0, 0, 0, 0, 9), (Cmd.RD, 0, 0, 0, 0, 9), (Cmd.ACT, 0, 0, 1, 0, 3), (Cmd.PRE, 0, 0, 0, 0, 9)]
    issue = simulate_commands(SPEC, reqs, refresh=False).issue_cycles
    assert issue[1] == T["tRCD"]
    assert issue[2] == max(issue[1] + 1, issue[0] + T["tRRD_S"])
    assert issue[3] == max(issue[0] + T["tRAS"], issue[1] + T["tRTP"])


@pytest.mark.parametrize("reqs", [
    [("PIM_MAC", 0, 5, 0)],  # MAC with the banks closed
    [("PIM_ACTAB", 0, 5, 0), ("PIM_ACTAB", 0, 6, 0)],  # activate of open banks
    [("NOPE", 0, 0, 0)],
    [("PIM_ACTAB", 7, 0, 0)],  # rank out of range
])
def test_illegal_streams_are_user_errors(reqs):
    with pytest.raises(CosimInputError, match=r"command [01]"):
        simulate_commands(SPEC, reqs)
