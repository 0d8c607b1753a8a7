"""Fast analytical timing of the structured access streams PIM kernels issue, from DRAM timings alone.

Three streams cover decode attention on bank-level PIM (CHIME's PIM_MAC / PIM_WR_SB / PIM_RD_RB,
AttAcc's MACAB / WRGB / MVSB):

* **all-bank scan**: every bank of a rank opens the same row (all-bank ACT), then one all-bank MAC per
  column delivers one column from every bank, ``mac_interval`` apart (tCCD_L: the same-bank-group
  spacing, since every bank group is busy); the rows are closed (all-bank PRE) and the next row opened.
  A row with ``k`` MAC commands costs ``max(stagger + tRAS, stagger + tRCD + (k-1) * interval + tRTP) + tRP``
  cycles, where ``stagger`` is 0 for a single all-bank ACT (AttAcc ACTAB, CHIME's all-bank activate)
  or the tRRD/tFAW-limited spread of per-bank ACTs (Newton/NeuPIMs activate banks in groups of four).
* **broadcast write** (shared buffer / GEMV buffer): bursts over the rank bus, one per max(tCCD_S, BL),
  after the write latency CWL. Every chip receives ``column_bytes`` per burst, in parallel.
* **result read** (result buffer -> rank PU): the same with the read latency CL.

Refresh: all-bank refresh every tREFI blocks the rank for tRFC and closes the open rows (re-opened at
tRP + tRCD); a stream of ``c`` cycles is stretched by ``floor(c / (tREFI - tRFC))`` such blocks.

Everything takes numpy arrays, so a sweep evaluates thousands of points in one call. The explicit
command lists (:func:`scan_commands`) are what the command-level simulator (``cosim.dram``) runs to
check this path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from cosim.hardware.dram_timing import DramTiming


class ActMode(StrEnum):
    ALL_BANK = "all_bank"  # one all-bank ACT command, data after tRCD (AttAcc ACTAB, CHIME all-bank PIM)
    FAW_LIMITED = "faw_limited"  # per-bank ACTs, tRRD_S apart and at most 4 per tFAW (Newton / NeuPIMs)


@dataclass(frozen=True)
class StreamTiming:
    """The DRAM timings (nCK) the PIM streams depend on, plus tCK in seconds."""

    tck_s: float
    rcd: int
    rp: int
    ras: int
    rtp: int
    ccd_s: int
    rrd_s: int
    faw: int
    rfc: int  # 0: refresh not modelled (the preset gives no tRFC)
    refi: int
    bl: int
    cl: int
    cwl: int
    mac_interval: int  # cycles between all-bank MACs (tCCD_L; AttAcc power-limited tCCDAB)
    act_mode: ActMode = ActMode.ALL_BANK
    banks: int = 16  # banks activated per row switch (only FAW_LIMITED uses it)

    @classmethod
    def from_dram(cls, dram: DramTiming, *, mac_interval: str = "tCCD_L", act_mode: ActMode = ActMode.ALL_BANK,
                  banks: int = 16) -> StreamTiming:
        """Read the timings a stream needs; absent optional ones are documented fallbacks.

        tRTP absent (AttAcc / NeuPIMs presets): BL (a read must finish its burst before PRE).
        tRFC absent (AttAcc preset): refresh not modelled. tFAW / tRRD_S absent: no ACT spread limit.
        """
        t = dram.timings
        bl = t["BL"]
        return cls(
            tck_s=dram.tCK,
            rcd=t["tRCD"],
            rp=t["tRP"],
            ras=t["tRAS"],
            rtp=t.get("tRTP", bl),
            ccd_s=t.get("tCCD_S", bl),
            rrd_s=t.get("tRRD_S", 0),
            faw=t.get("tFAW", 0),
            rfc=t.get("tRFC", 0),
            refi=t.get("tREFI", 0),
            bl=bl,
            cl=t.get("CL", 0),
            cwl=t.get("CWL", 0),
            mac_interval=t[mac_interval],
            act_mode=act_mode,
            banks=banks,
        )

    # ---- row switch ------------------------------------------------------------------------------------
    @property
    def act_stagger(self) -> int:
        """Cycles from the first to the last ACT of a row switch (0 for one all-bank ACT)."""
        if self.act_mode is ActMode.ALL_BANK or self.banks <= 1:
            return 0
        last = self.banks - 1
        return max(last * self.rrd_s, (last // 4) * self.faw)

    def row_cycles(self, macs_per_row: np.ndarray | int) -> np.ndarray:
        """Cycles of one ACT -> ``macs_per_row`` MACs -> PRE -> (next ACT) step; 0 for 0 MACs."""
        k = np.asarray(macs_per_row, dtype=np.int64)
        s = self.act_stagger
        busy = np.maximum(s + self.ras, s + self.rcd + (np.maximum(k, 1) - 1) * self.mac_interval + self.rtp)
        return np.where(k > 0, busy + self.rp, 0)

    # ---- streams ---------------------------------------------------------------------------------------
    def scan_cycles(self, bursts: np.ndarray | int, bursts_per_row: int, passes: np.ndarray | int = 1) -> np.ndarray:
        """All-bank scan over ``bursts`` columns per bank (row-aligned), each column MAC'd ``passes`` times.

        A region starts at a row boundary; its last row may be partly used. Extra passes (GQA heads beyond
        the PU's N_cmr MACs per element) re-issue the MACs while the row is open.
        """
        b = np.asarray(bursts, dtype=np.int64)
        p = np.asarray(passes, dtype=np.int64)
        full, tail = np.divmod(b, bursts_per_row)
        return full * self.row_cycles(bursts_per_row * p) + self.row_cycles(tail * p)

    def bus_cycles(self, bytes_per_chip: np.ndarray | float, column_bytes: int, *, write: bool) -> np.ndarray:
        """Shared-buffer writes (``write``) or result-buffer reads of ``bytes_per_chip`` on every chip."""
        n = np.ceil(np.asarray(bytes_per_chip, dtype=np.float64) / column_bytes).astype(np.int64)
        latency = self.cwl if write else self.cl
        return np.where(n > 0, n * max(self.ccd_s, self.bl) + latency, 0)

    def with_refresh(self, cycles: np.ndarray | int) -> np.ndarray:
        """Stretch a busy period by the all-bank refreshes that fall into it."""
        c = np.asarray(cycles, dtype=np.int64)
        if self.rfc <= 0 or self.refi <= self.rfc:
            return c
        blocks = c // (self.refi - self.rfc)
        return c + blocks * (self.rfc + self.rp + self.act_stagger + self.rcd)

    def seconds(self, cycles: np.ndarray | int) -> np.ndarray:
        return np.asarray(cycles, dtype=np.float64) * self.tck_s

    # ---- peaks -----------------------------------------------------------------------------------------
    def bank_peak_bytes_per_s(self, column_bytes: int) -> float:
        """One bank PU's column rate: column_bytes per mac_interval (DDR4-3200 x8: 8 B / 5 ns = 1.6 GB/s)."""
        return column_bytes / (self.mac_interval * self.tck_s)

    def sustained_fraction(self, bursts_per_row: int) -> float:
        """Fraction of the peak column rate a long all-bank scan keeps (row switches and refresh)."""
        rows = 1000
        ideal = rows * bursts_per_row * self.mac_interval
        real = int(self.with_refresh(self.scan_cycles(rows * bursts_per_row, bursts_per_row)))
        return ideal / real


def scan_commands(bursts: int, bursts_per_row: int, *, passes: int = 1, rank: int = 0, first_row: int = 0):
    """The explicit command stream of :meth:`StreamTiming.scan_cycles` (for the command-level simulator).

    Yields ``(command, rank, row, column)`` with commands ``PIM_ACTAB``, ``PIM_MAC``, ``PIM_PREA``; columns
    count accesses (bursts), not byte columns.
    """
    full, tail = divmod(int(bursts), bursts_per_row)
    sizes = [bursts_per_row] * full + ([tail] if tail else [])
    for i, k in enumerate(sizes):
        row = first_row + i
        yield ("PIM_ACTAB", rank, row, 0)
        for col in range(k):
            for _ in range(passes):
                yield ("PIM_MAC", rank, row, col)
        yield ("PIM_PREA", rank, row, 0)
