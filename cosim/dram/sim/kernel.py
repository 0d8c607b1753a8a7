# ruff: noqa: SIM102, SIM108, SIM109  (numba kernels: explicit branches compile to the simplest code)
"""The trace-driven controller kernel (numba): DRAMsim3's controller, command queue and channel state.

One call simulates every channel of a memory system cycle by cycle, but jumps over cycles in which
nothing can happen (no command ready, no arrival, no refresh due): the next event time is a lower bound
computed from the earliest-issue times, so skipping never changes the result. Caches keep busy cycles
cheap without changing results:
- Earliest-issue limits are kept per unit (bank, bank group, rank) instead of per bank; an issued command
  raises them with one fixed-length max per unit it limits. A rank's unit takes the limits from its own
  commands on other bank groups and from commands on other ranks alike: both bind every bank of the rank.
- Each command queue keeps a lower bound on when it can next issue (reset when its bank or its contents
  change, INF when empty), so a scan visits only the queues whose bound has come (a bit mask, in
  round-robin order). A per-bank queue also keeps which commands made its bound (a bit set, since all its
  entries share one bank): when the bound comes, those few ready times are looked up again before the
  entries are walked, because limits raised by other banks' commands usually push it further.
- A channel sleeps until its earliest queue bound when its last scan found nothing, and also right after
  it issued: the issuing queue is bounded at once and the candidates the scan did not reach are rechecked
  against the raised limits (HBM: after the second command, or when the second scan found nothing). A new
  entry lowers its queue's bound by its own earliest issue. Sleeping channels cost one test per cycle.
- A ScheduleTransaction or trace arrival that cannot change anything (no read with room in its command
  queue, no buffered write) does not force another cycle; the read queue is not searched when no
  transaction in it has room in its command queue.
- Per-bank queues stop at the head when their bank is closed (every entry needs the same ACT) and skip
  misses behind the head (blocked).
- The ACT windows (tFAW, t32AW) change only when an ACT issues, so each rank keeps the earliest next ACT
  they allow: checking an ACT is one load.
- Power states are summed per interval at row opens and closes rather than per cycle.
Small helpers called inside the loop are inlined at the numba level (`inline="always"`): LLVM left several
out of line, and each such call passes every array argument as its exploded struct (dozens of stack pushes) -
15-30 % of the run time on saturated random traces. Numba's inlining has its own cost, though: where the
inlined body has a loop or branches its reference-count pruning cannot see through, every array argument
costs an NRT incref/decref call pair. The per-command work (timing update, ACT windows, power state, the
issuing queue's bound) therefore sits in the loop body itself, once each: 14 % fewer instructions on a
saturated random DDR3 trace (callgrind). Packing the state into a few flat record arrays was tried and
measured 10-15 % slower.

Per tick and channel, in DRAMsim3's order: refresh bookkeeping; one command (a pending refresh's PRE/REF
first, otherwise the first ready command of the next per-bank/per-rank queue in round-robin order, with
DRAMsim3's precharge arbitration and write-after-read check; HBM may add a second command of the other
class); power-state counting; move one transaction from the read queue or the draining write buffer into
its command queue. Then the trace front end offers at most one new request (DRAMsim3's trace CPU).

`simulate_kernel` is the kernel's text; `kernel_for` compiles it for one queue structure, write-queue kind, row
policy, command mode and single/multi-channel system, so that those switches are constants and the branches they
decide are compiled away (together 15-20 % on saturated random single-channel traces). Each combination compiles
once (about 20 s) and is cached on disk like the rest.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit

# Command codes (cosim.dram.commands.Cmd); duplicated as plain ints for the compiled kernel.
RD, RDA, WR, WRA, ACT, PRE, REFB, REF = 0, 1, 2, 3, 4, 5, 6, 7
SAME_BANK, SAME_BG, OTHER_BG, OTHER_RANK, SAME_RANK = 0, 1, 2, 3, 4
INF = np.int64(2**62)
NO_LIMIT = -(2**40)  # a "delay" that never raises a limit (t + NO_LIMIT is far in the past)
TRACE_CMDS = 8  # the trace controller only issues and checks RD..REF (codes 0-7); PIM columns are not kept
ROWHIT_LIMIT = 4  # DRAMsim3 ArbitratePrecharge: close a row after 4 hits even if more are queued
WRITE_DRAIN_LOW = 8  # DRAMsim3: drain writes when more than 8 are buffered and the command queues are empty

# Fields of a command-queue entry (the last axis of `cq`).
CQ_REQ, CQ_CMD, CQ_ROW = 0, 1, 2

# Counter columns of the per-channel stats array.
C_READ_CMDS, C_WRITE_CMDS, C_READ_HITS, C_WRITE_HITS, C_ACT, C_PRE, C_REF, C_REFB = range(8)
N_COUNTERS = 8


@njit(cache=True, error_model="numpy")
def _required(bank_open, open_row, c, b, row, ctype):
    """DRAMsim3 BankState::GetReadyCommand: what the bank needs next for a queued column command."""
    if bank_open[c, b] == 0:
        return ACT
    if open_row[c, b] == row:
        return ctype
    return PRE


@njit(cache=True, error_model="numpy")
def _ready(tm, nb, c, b, grp, rk, cmd):
    """Earliest cycle `cmd` may go to bank b: the latest of its bank, bank-group and rank limits.

    `tm` is flat, [channel, unit kind (bank, bank group, rank), unit, command] with nb units per kind and
    TRACE_CMDS commands per unit: fixed strides keep the index arithmetic to shifts and one multiply."""
    o = c * 3 * nb
    return max(max(tm[(o + b) * TRACE_CMDS + cmd], tm[(o + nb + grp) * TRACE_CMDS + cmd]),
               tm[(o + 2 * nb + rk) * TRACE_CMDS + cmd])


_LOWEST_BIT = np.zeros(1 << (PRE + 1), np.int64)  # lowest set bit of a command bit set (RD..PRE)
for _x in range(1, 1 << (PRE + 1)):
    _LOWEST_BIT[_x] = (_x & -_x).bit_length() - 1


@njit(cache=True, inline="always", error_model="numpy")
def _needs_bound(tm, nb, c, b, grp, rk, needs, act_ready):
    """The earliest ready time on bank b of the commands in the bit set `needs` (a per-bank queue's bound)."""
    bound = INF
    rest = needs
    while rest != 0:  # the set bits only (usually one or two)
        cmd = _LOWEST_BIT[rest]
        rest &= rest - 1
        ready = _ready(tm, nb, c, b, grp, rk, cmd)
        if cmd == ACT:
            ready = max(ready, act_ready[c, rk])
        bound = min(bound, ready)
    return bound


@njit(cache=True, inline="always", error_model="numpy")
def _forget_bound(q_ready, q_needs, cq_len, c, qi):
    """Queue qi's bank changed: its bound, and the commands that made it, are unknown (scan it) unless it is empty."""
    q_ready[c, qi] = 0 if cq_len[c, qi] > 0 else INF
    q_needs[c, qi] = 0


_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DEBRUIJN_INDEX = np.zeros(64, np.int64)  # lowest set bit of x: _DEBRUIJN_INDEX[(low_bit(x) * _DEBRUIJN) >> 58]
for _i in range(64):
    _DEBRUIJN_INDEX[((1 << _i) * int(_DEBRUIJN) % 2**64) >> 58] = _i
MASK_QUEUES = 64  # up to this many queues per channel the candidates come from a one-word bit mask


@njit(cache=True, error_model="numpy")
def _mask_candidates(q_ready, c, last, t, cand):
    """`_round_robin_candidates` for <= 64 queues: a vectorizable pass builds a bit mask of the ready queues,
    then only its set bits (a few) are visited, rotated so that the order starts after `last`."""
    nq = q_ready.shape[1]
    mask = np.uint64(0)
    waiting = INF
    for qi in range(nq):
        v = q_ready[c, qi]
        mask |= np.uint64(v <= t) << np.uint64(qi)
        waiting = min(waiting, v if v > t else INF)
    start = last + 1
    if start >= nq:
        start = 0
    rot = mask
    if start > 0:
        s = np.uint64(start)
        rot = (mask >> s) | ((mask & ((np.uint64(1) << s) - np.uint64(1))) << np.uint64(nq - start))
    n = 0
    while rot != np.uint64(0):
        low = rot & (~rot + np.uint64(1))
        qi = start + _DEBRUIJN_INDEX[(low * _DEBRUIJN) >> np.uint64(58)]
        if qi >= nq:
            qi -= nq
        cand[n] = qi
        n += 1
        rot ^= low
    return n, waiting


@njit(cache=True, error_model="numpy")
def _round_robin_candidates(q_ready, c, last, t, cand):
    """Queues whose issue bound has come (q_ready <= t), in round-robin order after `last`, into `cand`.

    Returns (count, earliest bound of the others). Branch-free, so the mostly unpredictable "is this queue
    ready" test costs no mispredictions; the other queues could not issue anyway, so skipping them in the
    ordered scan chooses exactly what a visit of every queue would.
    """
    nq = q_ready.shape[1]
    n = 0
    waiting = INF
    for qi in range(last + 1, nq):
        v = q_ready[c, qi]
        cand[n] = qi
        n += v <= t
        waiting = min(waiting, v if v > t else INF)
    for qi in range(last + 1):
        v = q_ready[c, qi]
        cand[n] = qi
        n += v <= t
        waiting = min(waiting, v if v > t else INF)
    return n, waiting


@njit(cache=True, inline="always", error_model="numpy")
def _count_rq_entry(rq_per_q, rq_movable, cq_len, c, q, cmd_q_size):
    """A transaction entered the read queue: count it per command queue (and as movable if that has room)."""
    rq_per_q[c, q] += 1
    if cq_len[c, q] < cmd_q_size:
        rq_movable[c] += 1


@njit(cache=True, inline="always", error_model="numpy")
def _raise(tm, nb, c, level, unit, dense, lv, cmd, t):
    """Raise the limits of one unit: a fixed-length, branch-free max over the command row (vectorizes)."""
    o = ((c * 3 + level) * nb + unit) * TRACE_CMDS
    d = (lv * TRACE_CMDS + cmd) * TRACE_CMDS
    # the delay row is loaded before any store: tm and dense may alias as far as LLVM knows, and loads interleaved
    # with stores keep the eight max operations from vectorizing
    d0, d1, d2, d3 = t + dense[d], t + dense[d + 1], t + dense[d + 2], t + dense[d + 3]
    d4, d5, d6, d7 = t + dense[d + 4], t + dense[d + 5], t + dense[d + 6], t + dense[d + 7]
    tm[o] = max(tm[o], d0)
    tm[o + 1] = max(tm[o + 1], d1)
    tm[o + 2] = max(tm[o + 2], d2)
    tm[o + 3] = max(tm[o + 3], d3)
    tm[o + 4] = max(tm[o + 4], d4)
    tm[o + 5] = max(tm[o + 5], d5)
    tm[o + 6] = max(tm[o + 6], d6)
    tm[o + 7] = max(tm[o + 7], d7)


@njit(cache=True, inline="always", error_model="numpy")
def simulate_kernel(
    r_ch, r_bank, r_row, r_col, r_write, r_arrive, r_addr, n_addrs,
    n_ch, n_ranks, banks_per_rank, per_bank_queues, cmd_q_size, trans_q_size, unified,
    read_delay, refresh_interval, refresh_all_ranks, closed_page, dual_cmd,
    delay, win_n, win_span, group_of, rank_of, max_cycles, act_log_size,
):
    n = r_ch.shape[0]
    nb = n_ranks * banks_per_rank
    nq = nb if per_bank_queues else n_ranks
    # the timing table restricted to the trace commands, with NO_LIMIT where a pair has no constraint, and whether
    # a (level, command) row limits anything at all (most PRE rows and ACT's other-rank row do not: no raise)
    dense = np.full(delay.shape[0] * TRACE_CMDS * TRACE_CMDS, NO_LIMIT, np.int64)  # flat [level, cmd, next]
    constrains = np.zeros(delay.shape[0] * TRACE_CMDS, np.bool_)  # flat [level, cmd]
    for lv in range(delay.shape[0]):
        for cm in range(TRACE_CMDS):
            for nx in range(TRACE_CMDS):
                if delay[lv, cm, nx] > 0:
                    dense[(lv * TRACE_CMDS + cm) * TRACE_CMDS + nx] = delay[lv, cm, nx]
                    constrains[lv * TRACE_CMDS + cm] = True
    wcap = 1
    for w in range(win_n.shape[0]):
        if win_n[w] > wcap:
            wcap = win_n[w]

    bank_open = np.zeros((n_ch, nb), np.int64)
    open_row = np.full((n_ch, nb), -1, np.int64)
    row_hits = np.zeros((n_ch, nb), np.int64)
    open_count = np.zeros((n_ch, n_ranks), np.int64)
    # earliest-issue limits: [channel, unit kind (bank, bank group, rank), unit, command]
    tm = np.zeros(n_ch * 3 * nb * TRACE_CMDS, np.int64)
    win_hist = np.zeros((n_ch, n_ranks, win_n.shape[0], wcap), np.int64)
    win_head = np.zeros((n_ch, n_ranks, win_n.shape[0]), np.int64)
    win_len = np.zeros((n_ch, n_ranks, win_n.shape[0]), np.int64)
    act_ready = np.zeros((n_ch, n_ranks), np.int64)  # earliest ACT the windows allow (changes only at an ACT)

    cq = np.zeros((n_ch, nq, cmd_q_size, 3), np.int64)  # command queues: CQ_REQ, CQ_CMD, CQ_ROW per entry
    cq_len = np.zeros((n_ch, nq), np.int64)
    cq_total = np.zeros(n_ch, np.int64)
    # Read queue and write buffer: rings (a power-of-two capacity, logical entry k at (head + k) & tq_mask), so a
    # transaction leaving from the middle shifts only the shorter side - the head side for streams, where the
    # first transaction with room in its command queue is usually the first one.
    tq_cap = 1
    while tq_cap < trans_q_size:
        tq_cap *= 2
    tq_mask = tq_cap - 1
    rq = np.zeros((n_ch, tq_cap), np.int64)
    rq_len = np.zeros(n_ch, np.int64)
    rq_q = np.zeros((n_ch, tq_cap), np.int64)  # command queue of each read-queue entry
    rq_head = np.zeros(n_ch, np.int64)
    # read-queue (write-buffer) transactions before this position target full command queues: a move leaves those
    # as they are, a column command issued from a full queue (which then has room) sends the search back to the head
    rq_skip = np.zeros(n_ch, np.int64)
    wq_skip = np.zeros(n_ch, np.int64)
    wq = np.zeros((n_ch, tq_cap), np.int64)
    wq_head = np.zeros(n_ch, np.int64)
    wq_len = np.zeros(n_ch, np.int64)
    write_draining = np.zeros(n_ch, np.int64)
    queue_idx = np.zeros(n_ch, np.int64)
    refq = np.zeros((n_ch, 64), np.int64)
    refq_len = np.zeros(n_ch, np.int64)
    in_ref = np.zeros(n_ch, np.int64)
    next_ref_rank = np.zeros(n_ch, np.int64)
    # Caches that make idle cycles O(1): a channel whose last full scan found nothing issuable needs no new
    # scan before next_cmd_time unless its state changed (issue, new queue entry, refresh request).
    scan_valid = np.zeros(n_ch, np.int64)
    next_cmd_time = np.zeros(n_ch, np.int64)
    sched_valid = np.zeros(n_ch, np.int64)
    # per queue: a lower bound on the cycle it can issue anything (0 = unknown, scan it; INF = empty)
    q_ready = np.full((n_ch, nq), INF, np.int64)
    # per per-bank queue: the commands (bit set) whose ready times made its bound, 0 = unknown
    q_needs = np.zeros((n_ch, nq), np.int64)
    # transactions waiting in the read queue per command queue, and how many of them have room to move:
    # when none has, ScheduleTransaction's scan of the read queue can only fail, so it is skipped
    rq_per_q = np.zeros((n_ch, nq), np.int64)
    rq_movable = np.zeros(n_ch, np.int64)
    cand = np.zeros(nq, np.int64)  # scratch: queues that may issue this cycle, in round-robin order

    counters = np.zeros((n_ch, N_COUNTERS), np.int64)
    act_log = np.zeros((act_log_size, 3), np.int64)  # (cycle, channel, bank) of the first ACTs, for self-tests
    n_act_log = 0
    active_cycles = np.zeros((n_ch, n_ranks), np.int64)
    idle_cycles = np.zeros((n_ch, n_ranks), np.int64)
    state_since = np.zeros((n_ch, n_ranks), np.int64)  # power state counted lazily: unchanged since this cycle

    r_q = r_bank if per_bank_queues else rank_of[r_bank]  # command queue of each request
    added = np.full(n, -1, np.int64)
    complete = np.full(n, -1, np.int64)
    chain_next = np.full(n, -1, np.int64)
    # DRAMsim3's pending_rd_q_ / pending_wr_q_, indexed by address id (r_addr = dense id of the address):
    # reads to one address wait as a chain and all return with the first read command
    rd_pending = np.full(n_addrs, -1, np.int64)  # chain head request, -1 = no pending read
    rd_tail = np.full(n_addrs, -1, np.int64)
    wr_pending = np.zeros(n_addrs, np.int64)

    t = np.int64(0)
    nxt_req = 0
    last_activity = np.int64(0)
    drain_at_end = max_cycles < 0  # run-to-completion mode also performs the writes left in the buffers
    next_refresh = refresh_interval if refresh_interval > 0 else INF  # the first request comes one interval in
    stall_limit = np.int64(10**6) + 100 * refresh_interval
    while True:
        if t - last_activity > stall_limit and (nxt_req >= n or t - r_arrive[nxt_req] > stall_limit):
            break  # no request moved for a long time since one was due: a deadlock (waiting for a late arrival
            # is not one); the caller reports unfinished requests
        if max_cycles >= 0 and t >= max_cycles:
            break
        if max_cycles < 0 and nxt_req >= n:
            busy = False
            for c in range(n_ch):
                if cq_total[c] > 0 or rq_len[c] > 0 or wq_len[c] > 0:
                    busy = True
                    break
            if not busy:
                break
        activity = False
        progress = False  # a request moved on (refresh alone is activity but not progress)
        for c in range(n_ch):
            if scan_valid[c] == 1 and sched_valid[c] == 1 and t < next_cmd_time[c] and t != next_refresh:
                continue  # nothing can happen on this channel this cycle (the common case with many channels)
            # ---- refresh bookkeeping (Refresh::ClockTick)
            if t == next_refresh:
                if refresh_all_ranks:
                    for rk in range(n_ranks):
                        if refq_len[c] < 64:
                            refq[c, refq_len[c]] = rk
                            refq_len[c] += 1
                else:
                    if refq_len[c] < 64:
                        refq[c, refq_len[c]] = next_ref_rank[c]
                        refq_len[c] += 1
                    next_ref_rank[c] = (next_ref_rank[c] + 1) % n_ranks
                scan_valid[c] = 0
                if c == n_ch - 1:
                    next_refresh += refresh_interval
            idle_channel = scan_valid[c] == 1 and t < next_cmd_time[c]
            min_ready = INF
            # ---- pick a command
            issued_cmd = -1
            issued_bank = -1
            issued_q = -1
            issued_k = -1
            n_cand = 0
            issue_j = -1  # the scan issued from cand[issue_j]; cand[issue_j + 1:n_cand] were not visited
            if refq_len[c] > 0 and not idle_channel:
                rk = refq[c, 0]
                in_ref[c] = 1
                num_ready = 0
                ref_at = np.int64(0)
                for bi in range(banks_per_rank):
                    b = rk * banks_per_rank + bi
                    req = PRE if bank_open[c, b] == 1 else REF
                    rdy = _ready(tm, nb, c, b, group_of[b], rk, req)
                    if req == REF and rdy > ref_at:
                        ref_at = rdy
                    if rdy > t:
                        if req == PRE:
                            min_ready = min(min_ready, rdy)
                        continue
                    if req == PRE:
                        issued_cmd = PRE
                        issued_bank = b
                        break
                    num_ready += 1
                if issued_cmd < 0 and num_ready == banks_per_rank:
                    issued_cmd = REF
                    issued_bank = rk * banks_per_rank
                if issued_cmd < 0 and ref_at > t:
                    min_ready = min(min_ready, ref_at)
            for second in range(0 if idle_channel else 2):
                if second == 1:
                    if not dual_cmd or issued_cmd < 0:
                        break
                cand_cmd = -1
                cand_bank = -1
                cand_q = -1
                cand_k = -1
                if second == 1 or issued_cmd < 0:
                    qi = queue_idx[c]
                    if nq <= MASK_QUEUES:
                        n_cand, waiting = _mask_candidates(q_ready, c, qi, t, cand)
                    else:
                        n_cand, waiting = _round_robin_candidates(q_ready, c, qi, t, cand)
                    min_ready = min(min_ready, waiting)
                    for j in range(n_cand):
                        qi = cand[j]
                        if in_ref[c] == 1:
                            qrank = qi // banks_per_rank if per_bank_queues else qi
                            if qrank == refq[c, 0]:
                                continue
                        if per_bank_queues and q_needs[c, qi] != 0:
                            # the bound came, but limits have risen since: recheck the commands that made it
                            # (a few lookups) before walking the entries
                            quick = _needs_bound(tm, nb, c, qi, group_of[qi], rank_of[qi], q_needs[c, qi],
                                                 act_ready)
                            if quick > t:
                                q_ready[c, qi] = quick
                                min_ready = min(min_ready, quick)
                                continue
                        qmin = INF
                        needs = 0
                        for k in range(cq_len[c, qi]):
                            r = cq[c, qi, k, CQ_REQ]
                            b = qi if per_bank_queues else r_bank[r]
                            req = _required(bank_open, open_row, c, b, cq[c, qi, k, CQ_ROW], cq[c, qi, k, CQ_CMD])
                            if per_bank_queues and k > 0 and req == PRE:
                                continue  # blocked by the head (same bank) until this queue changes
                            ready = _ready(tm, nb, c, b, group_of[b], rank_of[b], req)
                            if ready > t:
                                if req == ACT:
                                    ready = max(ready, act_ready[c, rank_of[b]])
                                qmin = min(qmin, ready)
                                needs |= 1 << req
                                if per_bank_queues and req == ACT:
                                    break  # a closed bank: every entry needs this same ACT
                                continue
                            if req == ACT:
                                ready = max(t, act_ready[c, rank_of[b]])
                                if ready > t:
                                    qmin = min(qmin, ready)
                                    needs |= 1 << req
                                    if per_bank_queues:
                                        break
                                    continue
                            elif req == PRE:
                                blocked = False
                                for k2 in range(k):
                                    if r_bank[cq[c, qi, k2, CQ_REQ]] == b:
                                        blocked = True
                                        break
                                if blocked:
                                    continue
                                if row_hits[c, b] < ROWHIT_LIMIT:  # keep the row open for a queued hit
                                    hits = False
                                    orow = open_row[c, b]
                                    for k2 in range(k, cq_len[c, qi]):
                                        if cq[c, qi, k2, CQ_ROW] == orow and (
                                                per_bank_queues or r_bank[cq[c, qi, k2, CQ_REQ]] == b):
                                            hits = True
                                            break
                                    if hits:
                                        continue
                            elif req == WR or req == WRA:
                                dep = False
                                for k2 in range(k):
                                    r2 = cq[c, qi, k2, CQ_REQ]
                                    t2 = cq[c, qi, k2, CQ_CMD]
                                    if (t2 == RD or t2 == RDA) and cq[c, qi, k2, CQ_ROW] == cq[c, qi, k, CQ_ROW] \
                                            and r_bank[r2] == b and r_col[r2] == r_col[r]:
                                        dep = True
                                        break
                                if dep:
                                    continue
                            cand_cmd = req
                            cand_bank = b
                            cand_q = qi
                            cand_k = k
                            break
                        if cand_cmd < 0:
                            # nothing issuable: blocked entries wait for a change of this queue or bank
                            q_ready[c, qi] = qmin
                            q_needs[c, qi] = needs
                            min_ready = min(min_ready, qmin)
                        if cand_cmd >= 0:
                            issue_j = j
                            break
                    if cand_cmd >= 0:
                        queue_idx[c] = qi  # round robin: the next search starts after the queue that issued
                    if second == 1:
                        first_rw = issued_cmd <= WRA
                        if cand_cmd < 0 or (cand_cmd <= WRA) == first_rw:
                            if cand_cmd < 0 and refq_len[c] == 0:
                                # the second scan visited every candidate and found nothing: every bound is known
                                scan_valid[c] = 1
                                next_cmd_time[c] = min_ready
                            break
                    issued_cmd = cand_cmd
                    issued_bank = cand_bank
                    issued_q = cand_q
                    issued_k = cand_k
                if issued_cmd < 0:
                    scan_valid[c] = 1
                    next_cmd_time[c] = min_ready
                    break
                # ---- issue (Controller::IssueCommand + ChannelState::UpdateTimingAndStates)
                activity = True
                scan_valid[c] = 0
                opened = 0  # +1 / -1: the command opened / closed a row of its rank
                if issued_cmd <= WRA:
                    sched_valid[c] = 0
                    progress = True
                if issued_cmd == REF:
                    for bi in range(banks_per_rank):
                        bq = issued_bank + bi
                        qb = bq if per_bank_queues else rank_of[bq]
                        _forget_bound(q_ready, q_needs, cq_len, c, qb)
                else:
                    qb = issued_bank if per_bank_queues else rank_of[issued_bank]
                    _forget_bound(q_ready, q_needs, cq_len, c, qb)
                b = issued_bank
                rk = rank_of[b]
                if issued_cmd <= WRA:
                    r = cq[c, issued_q, issued_k, CQ_REQ]
                    if issued_cmd == RD or issued_cmd == RDA:
                        a = r_addr[r]
                        x = rd_pending[a]
                        while x >= 0:
                            complete[x] = t + read_delay
                            x = chain_next[x]
                        rd_pending[a] = -1
                        rd_tail[a] = -1
                        counters[c, C_READ_CMDS] += 1
                        if row_hits[c, b] != 0:
                            counters[c, C_READ_HITS] += 1
                    else:
                        a = r_addr[r]
                        wr_pending[a] = 0
                        counters[c, C_WRITE_CMDS] += 1
                        if row_hits[c, b] != 0:
                            counters[c, C_WRITE_HITS] += 1
                    for k2 in range(issued_k, cq_len[c, issued_q] - 1):
                        cq[c, issued_q, k2, CQ_REQ] = cq[c, issued_q, k2 + 1, CQ_REQ]
                        cq[c, issued_q, k2, CQ_CMD] = cq[c, issued_q, k2 + 1, CQ_CMD]
                        cq[c, issued_q, k2, CQ_ROW] = cq[c, issued_q, k2 + 1, CQ_ROW]
                    if cq_len[c, issued_q] == cmd_q_size:
                        rq_movable[c] += rq_per_q[c, issued_q]
                        rq_skip[c] = 0
                        wq_skip[c] = 0
                    cq_len[c, issued_q] -= 1
                    cq_total[c] -= 1
                    if cq_len[c, issued_q] == 0:
                        q_ready[c, issued_q] = INF
                    if issued_cmd == RDA or issued_cmd == WRA:
                        bank_open[c, b] = 0
                        row_hits[c, b] = 0
                        opened = -1
                    else:
                        row_hits[c, b] += 1
                elif issued_cmd == ACT:
                    r = cq[c, issued_q, issued_k, CQ_REQ]
                    counters[c, C_ACT] += 1
                    if n_act_log < act_log_size:
                        act_log[n_act_log, 0] = t
                        act_log[n_act_log, 1] = c
                        act_log[n_act_log, 2] = b
                        n_act_log += 1
                    # the ACT windows (DRAMsim3 four_aw_): drop the oldest entry once expired, append this ACT, and
                    # cache the earliest next ACT they allow (a full window's oldest entry)
                    wready = np.int64(0)
                    for w in range(win_n.shape[0]):
                        head = win_head[c, rk, w]
                        if win_len[c, rk, w] > 0 and t >= win_hist[c, rk, w, head]:
                            head = (head + 1) % wcap
                            win_head[c, rk, w] = head
                            win_len[c, rk, w] -= 1
                        win_hist[c, rk, w, (head + win_len[c, rk, w]) % wcap] = t + win_span[w]
                        win_len[c, rk, w] += 1
                        if win_len[c, rk, w] >= win_n[w]:
                            wready = max(wready, win_hist[c, rk, w, head])
                    act_ready[c, rk] = wready
                    bank_open[c, b] = 1
                    open_row[c, b] = r_row[r]
                    row_hits[c, b] = 0
                    opened = 1
                elif issued_cmd == PRE:
                    counters[c, C_PRE] += 1
                    if bank_open[c, b] == 1:
                        opened = -1
                    bank_open[c, b] = 0
                    row_hits[c, b] = 0
                else:  # REF
                    counters[c, C_REF] += 1
                    for bi in range(banks_per_rank):
                        row_hits[c, rk * banks_per_rank + bi] = 0
                    for i in range(refq_len[c] - 1):
                        refq[c, i] = refq[c, i + 1]
                    refq_len[c] -= 1
                    in_ref[c] = 0
                # ---- what the command forbids until when (ChannelState::UpdateTimingAndStates). Limits are kept per
                # unit (bank, bank group, rank), not per bank: a bank's limit is the latest of its three. The table's
                # level rows map onto units: same bank -> the bank, same bank group -> the group, other bank groups ->
                # the own rank, other ranks -> each other rank. A bank-group row thereby also binds the issuing bank
                # and a rank row the issuing bank group; the shipped tables are ordered so that this never tightens
                # anything that can happen (same bank >= same bank group >= other bank groups for every pair, except
                # rows whose following command the bank state already forbids, e.g. RDA -> RD on the bank RDA
                # closed) - `tests/dram` checks both the ordering and the results against DRAMsim3.
                if issued_cmd == REF:
                    _raise(tm, nb, c, 2, rk, dense, SAME_RANK, REF, t)
                else:
                    _raise(tm, nb, c, 0, b, dense, SAME_BANK, issued_cmd, t)
                    if constrains[SAME_BG * TRACE_CMDS + issued_cmd]:
                        _raise(tm, nb, c, 1, group_of[b], dense, SAME_BG, issued_cmd, t)
                    if constrains[OTHER_BG * TRACE_CMDS + issued_cmd]:
                        _raise(tm, nb, c, 2, rk, dense, OTHER_BG, issued_cmd, t)
                if constrains[OTHER_RANK * TRACE_CMDS + issued_cmd]:
                    for r2 in range(n_ranks):
                        if r2 != rk:
                            _raise(tm, nb, c, 2, r2, dense, OTHER_RANK, issued_cmd, t)
                if opened != 0:
                    # open rows of the rank changed: close the power-state interval [since, t) in the state it had.
                    # Counting power states per cycle (DRAMsim3 does) is a loop over ranks every simulated cycle; the
                    # state only changes when a row opens or closes, so intervals are summed at those changes
                    # instead. Cycle t itself counts in the new state, as in the per-cycle count.
                    before = open_count[c, rk]
                    if (before == 0) != (before + opened == 0):
                        if before == 0:
                            idle_cycles[c, rk] += t - state_since[c, rk]
                        else:
                            active_cycles[c, rk] += t - state_since[c, rk]
                        state_since[c, rk] = t
                    open_count[c, rk] = before + opened
                if (not dual_cmd or second == 1) and issued_cmd != REF and refq_len[c] == 0:
                    # (the command came from the scan) bound the issuing queue now, recheck the candidates the scan
                    # did not reach against the raised limits, and let the channel sleep until the earliest bound
                    # instead of scanning again next cycle
                    qb = issued_bank if per_bank_queues else rank_of[issued_bank]
                    if cq_len[c, qb] > 0:
                        # The queue's bound: the earliest ready time of what its entries need (the scan's
                        # requirement without its arbitration, which can only delay an entry further; limits only
                        # rise, so the bound holds until the queue or its bank changes, which resets it).
                        if per_bank_queues:
                            # one bank: an entry's requirement depends only on its row, so collect the distinct
                            # requirements and look each one's ready time up once
                            if bank_open[c, qb] == 0:
                                needs = 1 << ACT  # a closed bank: every entry needs the same ACT
                            else:
                                orow = open_row[c, qb]
                                needs = 0
                                for k in range(cq_len[c, qb]):
                                    if cq[c, qb, k, CQ_ROW] == orow:
                                        needs |= 1 << cq[c, qb, k, CQ_CMD]
                                    elif k == 0:
                                        needs |= 1 << PRE  # misses behind the head wait for it
                            q_ready[c, qb] = _needs_bound(tm, nb, c, qb, group_of[qb], rank_of[qb], needs, act_ready)
                            q_needs[c, qb] = needs
                        else:
                            qmin = INF
                            for k in range(cq_len[c, qb]):
                                b2 = r_bank[cq[c, qb, k, CQ_REQ]]
                                req = _required(bank_open, open_row, c, b2, cq[c, qb, k, CQ_ROW], cq[c, qb, k, CQ_CMD])
                                ready = _ready(tm, nb, c, b2, group_of[b2], rank_of[b2], req)
                                if req == ACT:
                                    ready = max(ready, act_ready[c, rank_of[b2]])
                                qmin = min(qmin, ready)
                            q_ready[c, qb] = qmin
                            q_needs[c, qb] = 0
                    wake = min(min_ready, q_ready[c, qb])
                    for j in range(issue_j + 1, n_cand):
                        qi = cand[j]
                        if per_bank_queues and q_needs[c, qi] != 0:
                            q_ready[c, qi] = _needs_bound(tm, nb, c, qi, group_of[qi], rank_of[qi], q_needs[c, qi],
                                                          act_ready)
                        wake = min(wake, q_ready[c, qi])  # unknown (0): scan next cycle
                    scan_valid[c] = 1
                    next_cmd_time[c] = wake
            # ---- ScheduleTransaction
            if sched_valid[c] == 0:
                moved = False
                if write_draining[c] == 0 and not unified:
                    if wq_len[c] >= trans_q_size or (wq_len[c] > WRITE_DRAIN_LOW and cq_total[c] == 0):
                        write_draining[c] = wq_len[c]
                    elif drain_at_end and nxt_req >= n and wq_len[c] > 0 and cq_total[c] == 0 and rq_len[c] == 0:
                        write_draining[c] = wq_len[c]  # trace over, controller idle: flush the buffered writes
                use_w = write_draining[c] > 0 and not unified
                # DRAMsim3 livelocks when the write buffer is full and its first schedulable write waits for a read
                # still in the read queue (draining restarts every cycle); cosim then serves the read queue.
                livelock = False
                for attempt in range(2):
                    if attempt == 1:
                        if not livelock:
                            break
                        use_w = False
                    qlen = wq_len[c] if use_w else rq_len[c]
                    first = wq_skip[c]
                    if not use_w:
                        first = rq_skip[c]
                        if rq_movable[c] == 0:
                            qlen = 0  # every read-queue transaction targets a full command queue
                        while first < qlen and cq_len[c, rq_q[c, (rq_head[c] + first) & tq_mask]] >= cmd_q_size:
                            first += 1  # tight skip over transactions whose command queue is full
                    for i in range(first, qlen):
                        r = wq[c, (wq_head[c] + i) & tq_mask] if use_w else rq[c, (rq_head[c] + i) & tq_mask]
                        qi = r_q[r]
                        if cq_len[c, qi] >= cmd_q_size:
                            continue
                        if use_w:
                            if rd_pending[r_addr[r]] >= 0:
                                write_draining[c] = 0
                                livelock = wq_len[c] >= trans_q_size
                                break
                            write_draining[c] -= 1
                        if r_write[r]:
                            ctype = WRA if closed_page else WR
                        else:
                            ctype = RDA if closed_page else RD
                        # the new entry can only delay the others (a queued hit, a later write): its own earliest
                        # issue lowers the queue's bound and the channel's
                        b = r_bank[r]
                        need = _required(bank_open, open_row, c, b, r_row[r], ctype)
                        ready = _ready(tm, nb, c, b, group_of[b], rank_of[b], need)
                        q_ready[c, qi] = min(q_ready[c, qi], ready)
                        if q_needs[c, qi] != 0:
                            q_needs[c, qi] |= 1 << need
                        next_cmd_time[c] = min(next_cmd_time[c], ready)
                        cq[c, qi, cq_len[c, qi], CQ_REQ] = r
                        cq[c, qi, cq_len[c, qi], CQ_CMD] = ctype
                        cq[c, qi, cq_len[c, qi], CQ_ROW] = r_row[r]
                        cq_len[c, qi] += 1
                        cq_total[c] += 1
                        if use_w:
                            h = wq_head[c]
                            if i < wq_len[c] - 1 - i:  # close the gap from the head side
                                for k2 in range(i, 0, -1):
                                    wq[c, (h + k2) & tq_mask] = wq[c, (h + k2 - 1) & tq_mask]
                                wq_head[c] = (h + 1) & tq_mask
                            else:
                                for k2 in range(i, wq_len[c] - 1):
                                    wq[c, (h + k2) & tq_mask] = wq[c, (h + k2 + 1) & tq_mask]
                            wq_len[c] -= 1
                            wq_skip[c] = i
                        else:
                            h = rq_head[c]
                            if i < rq_len[c] - 1 - i:  # close the gap from the head side
                                for k2 in range(i, 0, -1):
                                    rq[c, (h + k2) & tq_mask] = rq[c, (h + k2 - 1) & tq_mask]
                                    rq_q[c, (h + k2) & tq_mask] = rq_q[c, (h + k2 - 1) & tq_mask]
                                rq_head[c] = (h + 1) & tq_mask
                            else:
                                for k2 in range(i, rq_len[c] - 1):
                                    rq[c, (h + k2) & tq_mask] = rq[c, (h + k2 + 1) & tq_mask]
                                    rq_q[c, (h + k2) & tq_mask] = rq_q[c, (h + k2 + 1) & tq_mask]
                            rq_len[c] -= 1
                            rq_skip[c] = i
                            rq_per_q[c, qi] -= 1
                            rq_movable[c] -= 1
                        if cq_len[c, qi] == cmd_q_size:
                            rq_movable[c] -= rq_per_q[c, qi]
                        activity = True
                        progress = True
                        moved = True
                        break
                    if moved:
                        break
                if not moved or (rq_movable[c] == 0 and (unified or (wq_len[c] == 0 and write_draining[c] == 0))):
                    sched_valid[c] = 1  # (after a move: the next attempt could only fail, as above)
        # ---- trace front end: at most one new request per cycle
        accepted = False
        if nxt_req < n and r_arrive[nxt_req] <= t:
            r = nxt_req
            c = r_ch[r]
            is_w = r_write[r]
            if unified:
                room = rq_len[c] < trans_q_size
            elif is_w:
                room = wq_len[c] < trans_q_size
            else:
                room = rq_len[c] < trans_q_size
            if room:
                accepted = True
                if is_w:
                    sched_valid[c] = 0
                if nxt_req + 1 >= n:  # the end of the trace changes every channel's drain decision
                    for c2 in range(n_ch):
                        sched_valid[c2] = 0
                nxt_req += 1
                added[r] = t + 1
                a = r_addr[r]
                if is_w:
                    if wr_pending[a] == 0:
                        wr_pending[a] = 1
                        if unified:
                            rq[c, (rq_head[c] + rq_len[c]) & tq_mask] = r
                            rq_q[c, (rq_head[c] + rq_len[c]) & tq_mask] = r_q[r]
                            rq_len[c] += 1
                            _count_rq_entry(rq_per_q, rq_movable, cq_len, c, r_q[r], cmd_q_size)
                        else:
                            wq[c, (wq_head[c] + wq_len[c]) & tq_mask] = r
                            wq_len[c] += 1
                    complete[r] = t + 2
                elif wr_pending[a] == 1:
                    complete[r] = t + 2
                elif rd_pending[a] >= 0:
                    chain_next[rd_tail[a]] = r
                    rd_tail[a] = r
                else:
                    if cq_len[c, r_q[r]] < cmd_q_size:
                        sched_valid[c] = 0  # it can move into its command queue
                    rd_pending[a] = r
                    rd_tail[a] = r
                    rq[c, (rq_head[c] + rq_len[c]) & tq_mask] = r
                    rq_q[c, (rq_head[c] + rq_len[c]) & tq_mask] = r_q[r]
                    rq_len[c] += 1
                    _count_rq_entry(rq_per_q, rq_movable, cq_len, c, r_q[r], cmd_q_size)
        t += 1
        if progress or accepted:
            last_activity = t
        if (activity or accepted) and drain_at_end and nxt_req >= n:
            continue  # draining at the end: the run ends at the first cycle with nothing left (checked above)
        # ---- jump to the next cycle at which something can (a lower bound)
        nxt = INF
        if nxt_req < n:
            c = r_ch[nxt_req]
            is_w = r_write[nxt_req]
            full = rq_len[c] >= trans_q_size if (unified or not is_w) else wq_len[c] >= trans_q_size
            if not full:
                nxt = max(r_arrive[nxt_req], t)
        nxt = min(nxt, next_refresh)  # refresh requests arrive at multiples of the interval
        for c in range(n_ch):
            if scan_valid[c] == 1 and sched_valid[c] == 1:
                nxt = min(nxt, next_cmd_time[c])
            else:
                nxt = min(nxt, t)
        if nxt >= INF:
            if max_cycles >= 0:
                nxt = max_cycles
            else:
                break  # nothing can ever happen again: drained (or deadlocked; the caller checks)
        if max_cycles >= 0 and nxt > max_cycles:
            nxt = max_cycles
        if nxt > t:
            t = nxt
    for c in range(n_ch):  # cycles since each rank's last power-state change
        for rk in range(n_ranks):
            if open_count[c, rk] == 0:
                idle_cycles[c, rk] += t - state_since[c, rk]
            else:
                active_cycles[c, rk] += t - state_since[c, rk]
    return t, added, complete, counters, active_cycles, idle_cycles, open_count, act_log[:n_act_log]


@functools.cache
def kernel_for(per_bank_queues: bool, unified: bool, closed_page: bool, dual_cmd: bool, one_channel: bool):
    """`simulate_kernel` with these switches fixed (compile-time constants), taking the other arguments.

    `one_channel` fixes n_ch to 1: every per-channel index is then the constant 0 and the channel loop disappears
    (8-13 % on single-channel systems). The switches are the closure's cells: numba treats them as constants, and
    its on-disk cache keys on them.

    Each variant gets its own name (`kernel_<switches as bits>`): numba names a compiled function's symbols after
    its qualified name and a per-process counter, so two variants under one name, compiled in different processes
    and then both loaded from the cache into a third, collide - one runs with the other's environment (seen as
    "NRT_adapt_ndarray_to_python: descr is NULL"). `tests/dram/test_sim_fast_paths.py` replays that sequence."""

    def kernel(r_ch, r_bank, r_row, r_col, r_write, r_arrive, r_addr, n_addrs, n_ch, n_ranks, banks_per_rank,
               cmd_q_size, trans_q_size, read_delay, refresh_interval, refresh_all_ranks, delay, win_n, win_span,
               group_of, rank_of, max_cycles, act_log_size):
        return simulate_kernel(r_ch, r_bank, r_row, r_col, r_write, r_arrive, r_addr, n_addrs,
                               1 if one_channel else n_ch, n_ranks,
                               banks_per_rank, per_bank_queues, cmd_q_size, trans_q_size, unified, read_delay,
                               refresh_interval, refresh_all_ranks, closed_page, dual_cmd, delay, win_n, win_span,
                               group_of, rank_of, max_cycles, act_log_size)

    bits = "".join("1" if s else "0" for s in (per_bank_queues, unified, closed_page, dual_cmd, one_channel))
    kernel.__name__ = kernel.__qualname__ = f"kernel_{bits}"
    return njit(cache=True, error_model="numpy")(kernel)
