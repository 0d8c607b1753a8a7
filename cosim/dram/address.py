"""Address mapping: byte address -> (channel, rank, bankgroup, bank, row, column), DRAMsim3 semantics.

The mapping string lists six 2-letter fields from the most to the least significant bits (e.g.
`rochrababgco`: row on top, column at the bottom). The low `log2(request bytes)` bits are dropped first;
the column field then holds `log2(columns) - log2(BL)` bits (one request covers BL columns).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from cosim.dram.spec import MAPPING_FIELDS, DramSpec


def _log2(n: int) -> int:
    return max(0, int(n).bit_length() - 1)


@dataclass(frozen=True)
class AddressMap:
    shift_bits: int
    pos: dict[str, int]
    width: dict[str, int]

    @classmethod
    def of(cls, spec: DramSpec) -> AddressMap:
        width = {
            "ch": _log2(spec.channels), "ra": _log2(spec.ranks), "bg": _log2(spec.bankgroups),
            "ba": _log2(spec.banks_per_group), "ro": _log2(spec.rows),
            "co": max(0, _log2(spec.columns) - _log2(spec.BL)),
        }
        fields = [spec.address_mapping[i:i + 2] for i in range(0, 12, 2)]
        pos, at = {}, 0
        for f in reversed(fields):
            pos[f] = at
            at += width[f]
        return cls(shift_bits=_log2(spec.request_size_bytes), pos=pos, width=width)

    @property
    def total_bits(self) -> int:
        return self.shift_bits + sum(self.width.values())

    def decode(self, addrs: np.ndarray) -> dict[str, np.ndarray]:
        """Vectorized decode of uint64/int64 byte addresses into the six fields (int64 arrays)."""
        a = np.asarray(addrs, dtype=np.uint64) >> np.uint64(self.shift_bits)
        out = {}
        for f in MAPPING_FIELDS:
            mask = np.uint64((1 << self.width[f]) - 1)
            out[f] = ((a >> np.uint64(self.pos[f])) & mask).astype(np.int64)
        return out

    def decode_for_sim(self, addrs: np.ndarray, capacity: int, banks: int, banks_per_group: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        """(channel, flat bank in channel, row, column, first index >= capacity or -1) in one compiled pass.

        The simulator needs only these four fields; one loop avoids a dozen whole-array temporaries.
        """
        a = np.ascontiguousarray(addrs, dtype=np.uint64)
        fields = ("ch", "ra", "bg", "ba", "ro", "co")  # the order _decode_for_sim reads them in
        pos = np.array([self.pos[f] for f in fields], dtype=np.uint64)
        mask = np.array([(1 << self.width[f]) - 1 for f in fields], dtype=np.uint64)
        return _decode_for_sim(a, np.uint64(self.shift_bits), pos, mask, np.uint64(capacity), banks, banks_per_group)

    def encode(self, ch: int = 0, ra: int = 0, bg: int = 0, ba: int = 0, ro: int = 0, co: int = 0) -> int:
        """The lowest byte address of a (channel, rank, bankgroup, bank, row, column-block) location."""
        value = 0
        for f, v in zip(MAPPING_FIELDS, (ch, ra, bg, ba, ro, co), strict=True):
            value |= (int(v) & ((1 << self.width[f]) - 1)) << self.pos[f]
        return value << self.shift_bits


@njit(cache=True)
def _decode_for_sim(addrs, shift, pos, mask, capacity, banks, banks_per_group):
    """pos/mask hold the fields ch, ra, bg, ba, ro, co in that order; bank = ra * banks + bg * banks_per_group + ba."""
    n = addrs.shape[0]
    ch = np.empty(n, np.int64)
    bank = np.empty(n, np.int64)
    ro = np.empty(n, np.int64)
    co = np.empty(n, np.int64)
    first_over = -1
    for i in range(n):
        raw = addrs[i]
        if raw >= capacity and first_over < 0:
            first_over = i
        a = raw >> shift
        ch[i] = np.int64((a >> pos[0]) & mask[0])
        bank[i] = np.int64((a >> pos[1]) & mask[1]) * banks + np.int64((a >> pos[2]) & mask[2]) * banks_per_group \
            + np.int64((a >> pos[3]) & mask[3])
        ro[i] = np.int64((a >> pos[4]) & mask[4])
        co[i] = np.int64((a >> pos[5]) & mask[5])
    return ch, bank, ro, co, first_over
