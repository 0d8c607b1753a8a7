"""Address mapping: byte address -> (channel, rank, bankgroup, bank, row, column), DRAMsim3 semantics.

The mapping string lists six 2-letter fields from the most to the least significant bits (e.g.
`rochrababgco`: row on top, column at the bottom). The low `log2(request bytes)` bits are dropped first;
the column field then holds `log2(columns) - log2(BL)` bits (one request covers BL columns).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

    def encode(self, ch: int = 0, ra: int = 0, bg: int = 0, ba: int = 0, ro: int = 0, co: int = 0) -> int:
        """The lowest byte address of a (channel, rank, bankgroup, bank, row, column-block) location."""
        value = 0
        for f, v in zip(MAPPING_FIELDS, (ch, ra, bg, ba, ro, co), strict=True):
            value |= (int(v) & ((1 << self.width[f]) - 1)) << self.pos[f]
        return value << self.shift_bits
