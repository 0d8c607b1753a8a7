"""The DIMM-PIM geometry the PIM models work on: ranks, chips, banks, rows, bytes per row and per access.

It is read from a :class:`~cosim.hardware.dimm_pim.DimmPimSpec` so that a what-if file moves every
number consistently. Two things are decided here, both stated where they happen:

* CHIME's 2 TB does not match the 8 Gb x8 chips of DRAMsim3's DDR4-3200 file (512 GiB). When a
  spec gives an explicit ``capacity`` larger than its chips add up to, the rows per bank are scaled so
  the banks hold that capacity (2 TiB over 64 ranks x 8 chips x 16 banks x 1 KiB rows = 262,144 rows:
  a 32 Gb chip). The timings are left as they are (an assumption; the paper gives no chip density).
* ``ranksets`` (one rank per channel, CHIME Sec. VI-A) equals the ranks per channel; a what-if with
  more or fewer ranksets adds or removes whole ranks on every channel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cosim.errors import CosimInputError


@dataclass(frozen=True)
class DimmGeometry:
    channels: int
    ranks_per_channel: int
    chips_per_rank: int
    bank_groups: int
    banks_per_group: int
    rows: int  # rows per bank
    row_bytes: int  # bytes of one row of one bank of one chip (x8, 1024 columns: 1 KiB)
    column_bytes: int  # bytes one bank delivers per access (x8 x BL8: 8 B)

    @property
    def ranksets(self) -> int:
        return self.ranks_per_channel

    @property
    def total_ranks(self) -> int:
        return self.channels * self.ranks_per_channel

    @property
    def banks_per_chip(self) -> int:
        return self.bank_groups * self.banks_per_group

    @property
    def bursts_per_row(self) -> int:
        return self.row_bytes // self.column_bytes

    @property
    def bank_bytes(self) -> int:
        return self.rows * self.row_bytes

    @property
    def capacity_bytes(self) -> int:
        return self.total_ranks * self.chips_per_rank * self.banks_per_chip * self.bank_bytes

    def with_ranksets(self, ranksets: int | None) -> DimmGeometry:
        """The same DIMMs with ``ranksets`` ranks on every channel (None: unchanged)."""
        if ranksets is None:
            return self
        if ranksets < 1:
            raise CosimInputError(f"ranksets must be >= 1, got {ranksets}", field="ranksets")
        return replace(self, ranks_per_channel=int(ranksets))


def dimm_geometry(spec, ranksets: int | None = None) -> DimmGeometry:
    """Geometry of a DIMM-PIM spec; rows scaled to an explicit larger ``capacity`` (see module docstring)."""
    org = spec.organization
    row_bytes = org.columns * org.device_width_bits // 8
    column_bytes = int(spec.column_bytes)
    if row_bytes % column_bytes:
        raise CosimInputError(f"a row of {row_bytes} B is not a whole number of {column_bytes} B accesses",
                              field="organization.columns")
    ranks_per_channel = org.dimms_per_channel * org.ranks_per_dimm
    rows = org.rows
    declared = getattr(spec, "capacity", None)
    if declared is not None:
        per_row_all_banks = org.total_ranks * org.chips_per_rank * org.banks_per_chip * row_bytes
        rows = max(rows, int(declared // per_row_all_banks))
    geo = DimmGeometry(
        channels=org.channels,
        ranks_per_channel=ranks_per_channel,
        chips_per_rank=org.chips_per_rank,
        bank_groups=org.bank_groups,
        banks_per_group=org.banks_per_group,
        rows=rows,
        row_bytes=row_bytes,
        column_bytes=column_bytes,
    )
    return geo.with_ranksets(ranksets)
