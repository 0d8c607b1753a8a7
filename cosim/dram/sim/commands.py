# ruff: noqa: SIM108  (numba kernels: explicit branches compile to the simplest code)
"""`simulate_commands`: run an explicit command stream (plain or PIM) in order through the timing tables.

This is the path the PIM cost models use: a PIM controller issues a fixed command sequence, so there is no
queueing or reordering to model, only the timing rules. Each channel has its own command bus (one command
per cycle); within a channel commands issue strictly in the given order, each at the earliest cycle every
applicable rule (family table rows and the tFAW window) allows.

Input: a sequence of `(cmd, rank, row, column)` tuples (channel 0) or `(cmd, channel, rank, bankgroup, bank,
row)` tuples (cmd a `Cmd` or its name: "ACTAB"/"PIM_ACTAB", "MACAB"/"PIM_MAC", "PREA"/"PIM_PREA", "PIM_WR_SB",
"PIM_RD_RB", "PIM_LD_SB", or a plain ACT/RD/WR/PRE; bank fields are ignored for rank-level commands), or an
(n, 6) int array. The column does not change timing. ACTAB is one command: it is not spread by tRRD nor
counted in the tFAW window (AttAcc-style all-bank activation; a power-limited device needs its own rule).

Refresh (`refresh=True`, default): each rank gets an all-bank REF every tREFI (ranks staggered by
tREFI / ranks as DRAMsim3 does); when one is due before the next command, the controller closes the open
rows (PREA), issues REF, and reopens the same rows (one ACTAB if every bank had the same row open, else
per-bank ACTs) before carrying on; those commands are counted in `refresh_commands`.
`all_bank_mac_stream(spec, rows=..., columns=...)` builds the standard GEMV scan: per row ACTAB, one
MACAB per column, PREA, on every rank of every channel.

Output `CommandStats`: `cycles` (last issue + its data latency: read_delay after a read-class command,
write_delay after a write), per-command issue cycles, counts by command. A command to a bank in the wrong
state (column command to a closed bank, ACT to an open one) is an error naming its index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from cosim.dram.commands import CLOSES_ROW, NEEDS_OPEN_ROW, OPENS_ROW, RANK_LEVEL, READS, WRITES, Cmd, parse_cmd
from cosim.dram.constraints import timing_table
from cosim.dram.presets import load_dram_spec
from cosim.dram.sim.trace_sim import bank_levels
from cosim.dram.spec import DramSpec
from cosim.errors import CosimInputError

_READ_CLASS = READS | {Cmd.MACAB, Cmd.PIM_LD_SB, Cmd.PIM_RD_RB}
_WRITE_CLASS = WRITES | {Cmd.PIM_WR_SB}


@dataclass(frozen=True)
class CommandStats:
    cycles: int
    issue_cycles: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)
    tCK_ns: float = 0.0
    refresh_commands: dict[str, int] = field(default_factory=dict)  # inserted by the controller for refresh

    @property
    def seconds(self) -> float:
        return self.cycles * self.tCK_ns * 1e-9


def _flags() -> tuple[np.ndarray, ...]:
    n = len(Cmd)
    rank_level = np.zeros(n, np.int64)
    opens = np.zeros(n, np.int64)
    closes = np.zeros(n, np.int64)
    needs_open = np.zeros(n, np.int64)
    for c in Cmd:
        rank_level[c] = c in RANK_LEVEL
        opens[c] = c in OPENS_ROW
        closes[c] = c in CLOSES_ROW
        needs_open[c] = c in NEEDS_OPEN_ROW
    return rank_level, opens, closes, needs_open


@njit(cache=True)
def _earliest(timing, is_open, c, cmd, b, rk, banks_per_rank, rank_level, needs_open, opens, last_issue,
              hist, head, length, win_n, act_code):
    """Earliest legal cycle for `cmd`, or -1 when the bank state forbids it."""
    t = last_issue[c] + 1
    if rank_level[cmd]:
        for bi in range(banks_per_rank):
            b2 = rk * banks_per_rank + bi
            t = max(t, timing[c, b2, cmd])
            if (needs_open[cmd] and is_open[c, b2] == 0) or (opens[cmd] and is_open[c, b2] == 1):
                return -1
    else:
        t = max(t, timing[c, b, cmd])
        if (needs_open[cmd] and is_open[c, b] == 0) or (opens[cmd] and is_open[c, b] == 1):
            return -1
    if cmd == act_code:
        for w in range(win_n.shape[0]):
            if length[c, rk, w] >= win_n[w]:
                t = max(t, hist[c, rk, w, head[c, rk, w]])
    return t


@njit(cache=True)
def _issue(timing, is_open, open_row, c, cmd, b, rk, row, t, nb, banks_per_rank, delay, level_of, rank_of,
           rank_level, opens, closes, hist, head, length, win_n, win_span, act_code, last_issue):
    if cmd == act_code:
        cap = hist.shape[3]
        for w in range(win_n.shape[0]):
            if length[c, rk, w] > 0 and t >= hist[c, rk, w, head[c, rk, w]]:
                head[c, rk, w] = (head[c, rk, w] + 1) % cap
                length[c, rk, w] -= 1
            hist[c, rk, w, (head[c, rk, w] + length[c, rk, w]) % cap] = t + win_span[w]
            length[c, rk, w] += 1
    last_issue[c] = t
    for b2 in range(nb):
        if rank_level[cmd]:
            lv = 4 if rank_of[b2] == rk else 3
        else:
            lv = level_of[b, b2]
        for nx in range(delay.shape[2]):
            d = delay[lv, cmd, nx]
            if d > 0 and timing[c, b2, nx] < t + d:
                timing[c, b2, nx] = t + d
    if rank_level[cmd]:
        if opens[cmd] or closes[cmd]:
            for bi in range(banks_per_rank):
                is_open[c, rk * banks_per_rank + bi] = 1 if opens[cmd] else 0
                if opens[cmd]:
                    open_row[c, rk * banks_per_rank + bi] = row
    elif opens[cmd]:
        is_open[c, b] = 1
        open_row[c, b] = row
    elif closes[cmd]:
        is_open[c, b] = 0


@njit(cache=True)
def _run(cmds, ch, bank, row, n_ch, banks_per_rank, n_ranks, delay, win_n, win_span, level_of, rank_of,
         rank_level, opens, closes, needs_open, act_code, actab_code, prea_code, ref_code, refi):
    n = cmds.shape[0]
    nb = n_ranks * banks_per_rank
    ncmd = delay.shape[2]
    timing = np.zeros((n_ch, nb, ncmd), np.int64)
    is_open = np.zeros((n_ch, nb), np.int64)
    open_row = np.zeros((n_ch, nb), np.int64)
    last_issue = np.full(n_ch, -1, np.int64)
    wcap = 1
    for w in range(win_n.shape[0]):
        wcap = max(wcap, win_n[w])
    hist = np.zeros((n_ch, n_ranks, win_n.shape[0], wcap), np.int64)
    head = np.zeros((n_ch, n_ranks, win_n.shape[0]), np.int64)
    length = np.zeros((n_ch, n_ranks, win_n.shape[0]), np.int64)
    next_ref = np.zeros((n_ch, n_ranks), np.int64)
    for c in range(n_ch):
        for rk in range(n_ranks):
            next_ref[c, rk] = (rk + 1) * refi // n_ranks if refi > 0 else np.int64(2**62)
    extra = np.zeros(4, np.int64)  # refreshes, PREAs, re-ACTABs, re-ACTs caused by refresh
    issue = np.zeros(n, np.int64)
    for i in range(n):
        c = ch[i]
        cmd = cmds[i]
        b = bank[i]
        rk = rank_of[b]
        t = _earliest(timing, is_open, c, cmd, b, rk, banks_per_rank, rank_level, needs_open, opens, last_issue,
                      hist, head, length, win_n, act_code)
        if t < 0:
            return i, issue, extra
        # refresh every rank of this channel whose deadline has passed (PREA, REF, then reopen the rows)
        for rr in range(n_ranks):
            while next_ref[c, rr] <= t:
                b0 = rr * banks_per_rank
                any_open = False
                all_open = True
                same_row = True
                for bi in range(banks_per_rank):
                    if is_open[c, b0 + bi] == 1:
                        any_open = True
                        if open_row[c, b0 + bi] != open_row[c, b0]:
                            same_row = False
                    else:
                        all_open = False
                saved = open_row[c, b0:b0 + banks_per_rank].copy()
                saved_open = is_open[c, b0:b0 + banks_per_rank].copy()
                if any_open:
                    tp = max(last_issue[c] + 1, next_ref[c, rr])
                    for bi in range(banks_per_rank):
                        tp = max(tp, timing[c, b0 + bi, prea_code])
                    _issue(timing, is_open, open_row, c, prea_code, b0, rr, 0, tp, nb, banks_per_rank, delay,
                           level_of, rank_of, rank_level, opens, closes, hist, head, length, win_n, win_span,
                           act_code, last_issue)
                    extra[1] += 1
                tf = max(last_issue[c] + 1, next_ref[c, rr])
                for bi in range(banks_per_rank):
                    tf = max(tf, timing[c, b0 + bi, ref_code])
                _issue(timing, is_open, open_row, c, ref_code, b0, rr, 0, tf, nb, banks_per_rank, delay,
                       level_of, rank_of, rank_level, opens, closes, hist, head, length, win_n, win_span,
                       act_code, last_issue)
                extra[0] += 1
                next_ref[c, rr] += refi
                if any_open and all_open and same_row:
                    ta = _earliest(timing, is_open, c, actab_code, b0, rr, banks_per_rank, rank_level,
                                   needs_open, opens, last_issue, hist, head, length, win_n, act_code)
                    _issue(timing, is_open, open_row, c, actab_code, b0, rr, saved[0], ta, nb, banks_per_rank,
                           delay, level_of, rank_of, rank_level, opens, closes, hist, head, length, win_n,
                           win_span, act_code, last_issue)
                    extra[2] += 1
                elif any_open:
                    for bi in range(banks_per_rank):
                        if saved_open[bi] == 1:
                            ta = _earliest(timing, is_open, c, act_code, b0 + bi, rr, banks_per_rank, rank_level,
                                           needs_open, opens, last_issue, hist, head, length, win_n, act_code)
                            _issue(timing, is_open, open_row, c, act_code, b0 + bi, rr, saved[bi], ta, nb,
                                   banks_per_rank, delay, level_of, rank_of, rank_level, opens, closes, hist,
                                   head, length, win_n, win_span, act_code, last_issue)
                            extra[3] += 1
                t = _earliest(timing, is_open, c, cmd, b, rk, banks_per_rank, rank_level, needs_open, opens,
                              last_issue, hist, head, length, win_n, act_code)
        _issue(timing, is_open, open_row, c, cmd, b, rk, row[i], t, nb, banks_per_rank, delay, level_of, rank_of,
               rank_level, opens, closes, hist, head, length, win_n, win_span, act_code, last_issue)
        issue[i] = t
    return -1, issue, extra


def _as_array(spec: DramSpec, commands: Iterable[Sequence] | np.ndarray) -> np.ndarray:
    if isinstance(commands, np.ndarray):
        arr = np.asarray(commands, dtype=np.int64)
        if arr.ndim != 2 or arr.shape[1] != 6:
            raise CosimInputError("command array must have shape (n, 6): cmd, channel, rank, bankgroup, bank, row",
                                  field="commands")
        return arr
    rows = []
    for i, item in enumerate(commands):
        if len(item) == 4:  # (cmd, rank, row, column) on channel 0, bank 0 (the PIM helpers' form)
            item = (item[0], 0, item[1], 0, 0, item[2])
        if len(item) != 6:
            raise CosimInputError(f"command {i}: expected (cmd, rank, row, column) or "
                                  "(cmd, channel, rank, bankgroup, bank, row)", field="commands")
        cmd = item[0]
        if not isinstance(cmd, Cmd | int):
            try:
                cmd = parse_cmd(str(cmd))
            except KeyError:
                raise CosimInputError(f"command {i}: unknown command {item[0]!r}", field="commands",
                                      allowed=[c.name for c in Cmd]) from None
        rows.append((int(cmd), *(int(x) for x in item[1:])))
    return np.asarray(rows, dtype=np.int64).reshape(-1, 6)


def simulate_commands(spec: DramSpec | str, commands: Iterable[Sequence] | np.ndarray, *,
                      refresh: bool = True) -> CommandStats:
    """Issue `commands` in order per channel at the earliest legal cycle; see the module docstring."""
    spec = load_dram_spec(spec)
    arr = _as_array(spec, commands)
    if arr.shape[0] == 0:
        return CommandStats(cycles=0, issue_cycles=np.zeros(0, np.int64), tCK_ns=spec.tCK_ns)
    cmd, ch, ra, bg, ba, row = arr.T
    limits = (("cmd", cmd, len(Cmd)), ("channel", ch, spec.channels), ("rank", ra, spec.ranks),
              ("bankgroup", bg, spec.bankgroups), ("bank", ba, spec.banks_per_group), ("row", row, spec.rows))
    for name, col, hi in limits:
        bad = np.nonzero((col < 0) | (col >= hi))[0]
        if bad.size:
            i = int(bad[0])
            raise CosimInputError(f"command {i}: {name} {int(col[i])} out of range 0..{hi - 1}", field="commands")
    bank = ra * spec.banks + bg * spec.banks_per_group + ba
    table = timing_table(spec)
    acts = [w for w in table.windows if w[1] == Cmd.ACT]
    win_n = np.array([w[2] for w in acts] or [1], dtype=np.int64)
    win_span = np.array([w[3] for w in acts] or [0], dtype=np.int64)
    level_of, rank_of = bank_levels(spec)
    refi = spec.derived_timing()["tREFI"] if refresh and spec.refresh_policy != "NO_REFRESH" else 0
    bad, issue, extra = _run(cmd, ch, bank, row, spec.channels, spec.banks, spec.ranks, table.delay, win_n, win_span,
                             level_of, rank_of, *_flags(), int(Cmd.ACT), int(Cmd.ACTAB), int(Cmd.PREA),
                             int(Cmd.REF), refi)
    if bad >= 0:
        name = Cmd(int(cmd[bad])).name
        raise CosimInputError(f"command {bad} ({name}): bank state does not allow it (column command to a closed "
                              "bank or activate of an open one)", field="commands")
    t = spec.derived_timing()
    last = int(np.argmax(issue))
    tail_cmd = Cmd(int(cmd[last]))
    tail = t["read_delay"] if tail_cmd in _READ_CLASS else t["write_delay"] if tail_cmd in _WRITE_CLASS else 0
    # the stream ends when the latest-issuing command of any channel has delivered its data
    ends = issue + np.where(np.isin(cmd, [int(c) for c in _READ_CLASS]), t["read_delay"],
                            np.where(np.isin(cmd, [int(c) for c in _WRITE_CLASS]), t["write_delay"], 0))
    cycles = int(max(ends.max(), issue[last] + tail)) + 1
    counts = {Cmd(int(c)).name: int(k) for c, k in zip(*np.unique(cmd, return_counts=True), strict=True)}
    refresh_counts = {"REF": int(extra[0]), "PREA": int(extra[1]), "ACTAB": int(extra[2]), "ACT": int(extra[3])}
    return CommandStats(cycles=cycles, issue_cycles=issue, counts=counts, tCK_ns=spec.tCK_ns,
                        refresh_commands={k: v for k, v in refresh_counts.items() if v})


def all_bank_mac_stream(spec: DramSpec | str, rows: int, columns: int, *, channels: Sequence[int] | None = None,
                        ranks: Sequence[int] | None = None, first_row: int = 0) -> np.ndarray:
    """GEMV scan: for each row, ACTAB, `columns` MACABs, PREA, on every given rank of every given channel.

    Channels are independent command buses, so their streams are interleaved row by row.
    """
    spec = load_dram_spec(spec)
    chans = list(range(spec.channels)) if channels is None else list(channels)
    rks = list(range(spec.ranks)) if ranks is None else list(ranks)
    per_row = [Cmd.ACTAB, *([Cmd.MACAB] * int(columns)), Cmd.PREA]
    out = []
    for r in range(first_row, first_row + int(rows)):
        for c in chans:
            for rk in rks:
                out.extend((int(cmd), c, rk, 0, 0, r) for cmd in per_row)
    return np.asarray(out, dtype=np.int64).reshape(-1, 6)
