"""`simulate_trace`: run a request trace through the DRAMsim3-style controller and collect `DramStats`.

Semantics (DRAMsim3's trace CPU and controller): memory clock = DRAM tCK; request i is offered at its trace
cycle, in order, at most one per cycle, and waits while its channel's read queue / write buffer is full;
it reaches the controller one cycle later. With `cycles=None` the run ends when every request has
completed and the write buffers are flushed (cycles = last data return or write command + 1; DRAMsim3
itself leaves up to 8 buffered writes unissued while no other request arrives); with `cycles=N` it stops
after N cycles like DRAMsim3's `-c N` and only what finished by then counts.

Unloaded read latency is tRCD + CL + burst_cycle + 1: the one cycle is the controller's fixed overhead (a
request is moved to its command queue in its arrival cycle and its ACT issues in the next).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from numba import njit

from cosim.dram.address import AddressMap
from cosim.dram.constraints import LEVELS, timing_table
from cosim.dram.energy import energy_breakdown
from cosim.dram.presets import load_dram_spec
from cosim.dram.sim.address_ids import dense_address_ids
from cosim.dram.sim.kernel import (
    C_ACT,
    C_PRE,
    C_READ_CMDS,
    C_READ_HITS,
    C_REF,
    C_WRITE_CMDS,
    C_WRITE_HITS,
    kernel_for,
)
from cosim.dram.spec import DramSpec
from cosim.dram.stats import DramStats
from cosim.dram.trace import MAX_CYCLE, trace_arrays
from cosim.errors import CosimInputError

ROW_POLICIES = {"open": False, "closed": True, "close": True, "OPEN_PAGE": False, "CLOSE_PAGE": True}
_OTHER_RANK = LEVELS.index("other_ranks")


def bank_levels(spec: DramSpec) -> tuple[np.ndarray, np.ndarray]:
    """level_of[b1, b2] (which timing level b2 sees when b1 issues) and rank_of[b] for one channel."""
    nb = spec.ranks * spec.banks
    b = np.arange(nb)
    rank = b // spec.banks
    bg = (b % spec.banks) // spec.banks_per_group
    same_rank = rank[:, None] == rank[None, :]
    same_bg = same_rank & (bg[:, None] == bg[None, :])
    level = np.full((nb, nb), _OTHER_RANK, dtype=np.int64)
    level[same_rank] = LEVELS.index("other_bankgroups_same_rank")
    level[same_bg] = LEVELS.index("other_banks_same_bankgroup")
    level[b, b] = LEVELS.index("same_bank")
    return level, rank.astype(np.int64)


def decode_for_kernel(spec: DramSpec, addrs: np.ndarray, label: str = "<trace>"
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(channel, bank within the channel, row, column) int64 arrays in one compiled pass.

    An address beyond the capacity is a user error naming the request."""
    ch, bank, ro, co, first_over = AddressMap.of(spec).decode_for_sim(addrs, spec.capacity_bytes, spec.banks,
                                                                      spec.banks_per_group)
    if first_over >= 0:
        i, cap = int(first_over), spec.capacity_bytes
        raise CosimInputError(f"request {i + 1}: address 0x{int(addrs[i]):x} is beyond the capacity "
                              f"0x{cap:x} ({cap / 2**30:g} GiB) of {spec.name}", file=label, field="address")
    return ch, bank, ro, co


def simulate_trace(spec: DramSpec | str | Path,
                   trace: str | Path | Iterable[tuple[int, bool, int]] | tuple[np.ndarray, ...],
                   cycles: int | None = None, fmt: str = "dramsim3", row_policy: str | None = None,
                   act_log: int = 0) -> DramStats:
    """Simulate a trace; `row_policy` "open" | "closed" overrides the spec's row buffer policy.

    `act_log=N` records the first N activates as (cycle, channel, bank) rows in `stats.act_log` (self-tests).
    """
    spec = load_dram_spec(spec)
    if spec.protocol == "HMC":
        raise CosimInputError("HMC (packetized vault controller) is not modelled by the trace simulator",
                              field="spec.protocol", allowed="DDR3/4/5, LPDDR3/4, GDDR5/5X/6, HBM/HBM2/HBM3")
    if cycles is not None and not 0 < int(cycles) <= MAX_CYCLE:  # beyond it: minutes of idle refreshes
        raise CosimInputError(f"out of range: {cycles}", field="cycles", allowed=f"1..{MAX_CYCLE}")
    if row_policy is None:
        closed = spec.row_buf_policy == "CLOSE_PAGE"
    elif row_policy in ROW_POLICIES:
        closed = ROW_POLICIES[row_policy]
    else:
        raise CosimInputError(f"unknown row policy {row_policy!r}", field="row_policy", allowed=("open", "closed"))
    addrs, writes, arrive, label = trace_arrays(trace, fmt, None if cycles is None else int(cycles))
    addrs = np.ascontiguousarray(addrs, dtype=np.uint64)
    ch, bank, row, col = decode_for_kernel(spec, addrs, label)
    table = timing_table(spec)
    acts = [w for w in table.windows if w[1] == 4]  # ACT windows (tFAW, t32AW)
    win_n = np.array([w[2] for w in acts] or [1], dtype=np.int64)
    win_span = np.array([w[3] for w in acts] or [0], dtype=np.int64)
    bank_ids = np.arange(spec.ranks * spec.banks, dtype=np.int64)
    t = spec.derived_timing()
    refresh_interval = 0
    if spec.refresh_policy != "NO_REFRESH":
        refresh_interval = max(1, t["tREFI"] // spec.ranks) if spec.refresh_policy == "RANK_LEVEL_STAGGERED" \
            else t["tREFI"]
    addr_id, n_addrs = dense_address_ids(addrs)
    writes = np.ascontiguousarray(writes, dtype=np.bool_)
    kernel = kernel_for(spec.queue_structure == "PER_BANK", bool(spec.unified_queue), bool(closed),
                        bool(spec.hbm_dual_cmd), spec.channels == 1)
    end_t, added, complete, counters, active, idle, open_count, acts_logged = kernel(
        ch, bank, row, col, writes, np.ascontiguousarray(arrive, dtype=np.int64), addr_id, n_addrs,
        spec.channels, spec.ranks, spec.banks, spec.cmd_queue_size, spec.trans_queue_size, t["read_delay"],
        refresh_interval, spec.refresh_policy == "RANK_LEVEL_SIMULTANEOUS",
        table.delay, win_n, win_span, bank_ids // spec.banks_per_group, bank_ids // spec.banks,
        -1 if cycles is None else int(cycles), int(act_log),
    )
    stats = _collect(spec, int(end_t), cycles, ch, writes, added, complete, counters, active, idle, open_count)
    if act_log:
        object.__setattr__(stats, "act_log", acts_logged)
    return stats


def _collect(spec: DramSpec, end_t: int, cycles: int | None, ch: np.ndarray, writes: np.ndarray, added: np.ndarray,
             complete: np.ndarray, counters: np.ndarray, active: np.ndarray, idle: np.ndarray,
             open_count: np.ndarray) -> DramStats:
    n = len(added)
    if cycles is None:
        missing, last = _unfinished_and_last(complete)
        if missing:
            raise RuntimeError(f"simulator stalled with {missing} of {n} requests unfinished (a model bug)")
        num_cycles = max(end_t, int(last) + 1)
        # ranks keep their last state from the end of the loop to the last data return
        tail = num_cycles - end_t
        active = active + np.where(open_count > 0, tail, 0)
        idle = idle + np.where(open_count > 0, 0, tail)
    else:
        num_cycles = int(cycles)
    reads_done, writes_done, lat_sum, lat_max, accepted, per_channel = _request_totals(
        complete, added, writes, ch, num_cycles - 1, spec.channels)
    reads_done, writes_done = int(reads_done), int(writes_done)
    seconds = num_cycles * spec.tCK_ns * 1e-9
    req_bytes = spec.request_size_bytes
    total = counters.sum(axis=0)
    energy = energy_breakdown(
        spec, acts=int(total[C_ACT]), reads=int(total[C_READ_CMDS]), writes=int(total[C_WRITE_CMDS]),
        refs=int(total[C_REF]), active_rank_cycles=int(active.sum()), idle_rank_cycles=int(idle.sum()))
    return DramStats(
        spec=spec.name, cycles=num_cycles, reads_done=reads_done, writes_done=writes_done,
        bandwidth_GBps=(reads_done + writes_done) * req_bytes / seconds / 1e9,
        avg_read_latency_cycles=float(lat_sum) / reads_done if reads_done else 0.0,
        activates=int(total[C_ACT]), read_row_hits=int(total[C_READ_HITS]), write_row_hits=int(total[C_WRITE_HITS]),
        energy_j=energy["total"], read_cmds=int(total[C_READ_CMDS]), write_cmds=int(total[C_WRITE_CMDS]),
        precharges=int(total[C_PRE]), refreshes=int(total[C_REF]), requests=n,
        requests_accepted=int(accepted), tCK_ns=spec.tCK_ns,
        max_read_latency_cycles=int(lat_max) if reads_done else 0,
        energy_breakdown_j={k: v for k, v in energy.items() if k != "total"},
        per_channel_bandwidth_GBps=(per_channel * req_bytes / seconds / 1e9).tolist(),
        completion_cycles=complete, arrival_cycles=added,
    )


@njit(cache=True)
def _unfinished_and_last(complete):
    """(requests never completed, latest completion cycle) for a run to completion."""
    missing = 0
    last = -1
    for c in complete:
        if c < 0:
            missing += 1
        elif c > last:
            last = c
    return missing, last


@njit(cache=True)
def _request_totals(complete, added, writes, ch, last_cycle, channels):
    """One pass over the requests: (reads done, writes done, read latency sum and max, accepted, per channel done).

    Integer sums: the mean latency float(sum) / count equals numpy's mean while the sum stays below 2**53.
    """
    reads = 0
    writes_done = 0
    lat_sum = 0
    lat_max = 0
    accepted = 0
    per_channel = np.zeros(channels, np.int64)
    for i in range(complete.shape[0]):
        if added[i] >= 0:
            accepted += 1
        c = complete[i]
        if c < 0 or c > last_cycle:
            continue
        per_channel[ch[i]] += 1
        if writes[i]:
            writes_done += 1
        else:
            lat = c - added[i]
            if reads == 0 or lat > lat_max:
                lat_max = lat
            lat_sum += lat
            reads += 1
    return reads, writes_done, lat_sum, lat_max, accepted, per_channel
