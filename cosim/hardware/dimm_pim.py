"""DIMM-PIM schema (L3/CHIME): DDR DIMMs with bank-level PUs in the DRAM chips and a rank-level PU on
the DIMM buffer chip.

Bandwidths are DERIVED from the DRAM organization and timings (methods below, tested against CHIME
Table I), so a what-if with more channels, ranks, banks or a faster speed bin moves every number
consistently. The PU clock is NOT FOUND in the paper; compute is sized to match the bandwidth
(N_cmr MACs per fetched element), which is exactly the assumption CHIME's analysis makes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.hardware.common import (
    DeviceBase,
    Efficiency,
    NonNegativeSeconds,
    PositiveBytes,
    PositiveFloat,
    PositiveInt,
    StrictModel,
    bandwidth_matched_flops,
)
from cosim.hardware.dram_timing import DDR_REQUIRED_TIMINGS, DramTiming
from cosim.workload.dtypes import DType
from cosim.workload.ops import ATTENTION_KINDS, OpKind

# What DIMM-PIM runs: decode attention over the KV cache it holds, and the KV write itself.
DIMM_PIM_KINDS = frozenset({*ATTENTION_KINDS, OpKind.KV_CACHE_WRITE})


class PimLevel(StrEnum):
    BANK = "bank"  # CHIME: a PU next to every bank, fed at the bank's internal rate
    RANK = "rank"  # R-PIM baseline: PUs on the buffer chip, fed at the rank's bus rate


class BankPuMode(StrEnum):
    ADDER_TREE = "adder_tree"  # score (q . K^T): reduce across the chip's lanes
    ACCUMULATOR = "accumulator"  # context (s . V): accumulate per output element


class RankPuUnit(StrEnum):
    SOFTMAX = "softmax"
    ADDER = "adder"
    RELAYOUT = "relayout"


class DimmOrganization(StrictModel):
    channels: PositiveInt
    dimms_per_channel: PositiveInt
    ranks_per_dimm: PositiveInt
    chips_per_rank: PositiveInt
    device_width_bits: PositiveInt
    bank_groups: PositiveInt
    banks_per_group: PositiveInt
    rows: PositiveInt
    columns: PositiveInt
    bus_width_bits: PositiveInt = 64

    @property
    def total_ranks(self) -> int:
        return self.channels * self.dimms_per_channel * self.ranks_per_dimm

    @property
    def banks_per_chip(self) -> int:
        return self.bank_groups * self.banks_per_group

    @property
    def chip_capacity_bytes(self) -> float:
        return self.banks_per_chip * self.rows * self.columns * self.device_width_bits / 8


class DramDevice(DramTiming):
    """DDR speed bin of the DIMMs; the full DDR timing set is required."""

    @model_validator(mode="after")
    def _complete(self) -> DramDevice:
        self.require(DDR_REQUIRED_TIMINGS)
        return self


class BankPu(StrictModel):
    column_bytes: PositiveFloat | None = None  # bytes one bank access delivers; derived when omitted
    access_interval: str = "tCCD_L"  # the timing that spaces back-to-back accesses to one bank
    n_cmr: PositiveFloat = 1.0  # MACs per fetched element (CHIME: N_cmr = n for GQA-n)
    modes: list[BankPuMode] = Field(min_length=1)
    dtypes: list[DType] = Field(min_length=1)


class RankPu(StrictModel):
    units: list[RankPuUnit] = Field(min_length=1)
    sram_capacity: PositiveBytes | None = None
    ops_per_element: PositiveFloat = 1.0  # vector ops per element arriving at the rank PU per access


class DimmPimSpec(DeviceBase):
    kind: Literal[DeviceKind.DIMM_PIM] = DeviceKind.DIMM_PIM
    dram: DramDevice
    organization: DimmOrganization
    capacity: PositiveBytes | None = None
    pim_level: PimLevel
    bank_pu: BankPu
    rank_pu: RankPu
    op_overhead: NonNegativeSeconds = 0.0
    efficiency: Efficiency = Efficiency(compute=1.0, memory=1.0)

    @model_validator(mode="after")
    def _access_interval_known(self) -> DimmPimSpec:
        if self.bank_pu.access_interval not in self.dram.timings:
            raise ValueError(f"bank_pu.access_interval {self.bank_pu.access_interval!r} is not a timing in "
                             f"dram.timings (allowed: {', '.join(sorted(self.dram.timings))})")
        return self

    # ---- derived numbers -------------------------------------------------------------------------
    @property
    def column_bytes(self) -> float:
        """Bytes one bank access delivers to its PU: device width x burst beats (x8, BL8: 8 bytes)."""
        if self.bank_pu.column_bytes is not None:
            return self.bank_pu.column_bytes
        return self.organization.device_width_bits * self.dram.burst_beats / 8

    def channel_bw_bytes_per_s(self) -> float:
        """One channel's bus: data rate x bus width (DDR4-3200 x64: 25.6 GB/s)."""
        return self.dram.data_rate * self.organization.bus_width_bits / 8

    def host_bw_bytes_per_s(self) -> float:
        """What the host memory controller sees: all channels (CHIME Table I: 409.6 vs 406 GB/s)."""
        return self.organization.channels * self.channel_bw_bytes_per_s()

    def rank_internal_bw_bytes_per_s(self) -> float:
        """Rank-level PUs each stream their rank at the full bus rate (CHIME R-PIM: 1.64 vs 1.6 TB/s)."""
        return self.organization.total_ranks * self.channel_bw_bytes_per_s()

    def bank_bw_bytes_per_s(self) -> float:
        """One bank PU: one column every access interval (8 B / (8 x 0.625 ns) = 1.6 GB/s)."""
        return self.column_bytes / self.dram.seconds(self.bank_pu.access_interval)

    def bank_internal_bw_bytes_per_s(self) -> float:
        """All bank PUs at once (CHIME: 13.1 vs 13.0 TB/s)."""
        org = self.organization
        return org.total_ranks * org.chips_per_rank * org.banks_per_chip * self.bank_bw_bytes_per_s()

    def internal_bw_bytes_per_s(self) -> float:
        if self.pim_level is PimLevel.BANK:
            return self.bank_internal_bw_bytes_per_s()
        return self.rank_internal_bw_bytes_per_s()

    def derived_capacity_bytes(self) -> float:
        org = self.organization
        return org.total_ranks * org.chips_per_rank * org.chip_capacity_bytes

    @property
    def capacity_bytes(self) -> float:
        """Explicit ``capacity`` when given (CHIME's 2 TB is not what 8 Gb chips add up to), else derived."""
        return self.capacity if self.capacity is not None else self.derived_capacity_bytes()

    # ---- caps ------------------------------------------------------------------------------------
    def caps(self) -> DeviceCaps:
        bw = self.internal_bw_bytes_per_s()
        matrix = {d: bandwidth_matched_flops(bw, d.bytes, self.bank_pu.n_cmr) for d in self.bank_pu.dtypes}
        # The rank PU sees every element over the rank buses; its rate is NOT FOUND, so it is sized to
        # keep up with them (ops_per_element per arriving element).
        rank_bw = self.rank_internal_bw_bytes_per_s()
        vector = {d: rank_bw / d.bytes * self.rank_pu.ops_per_element for d in self.bank_pu.dtypes}
        return DeviceCaps(
            name=self.name,
            kind=DeviceKind.DIMM_PIM,
            matrix_flops_per_s=matrix,
            vector_flops_per_s=vector,
            mem_bw_bytes_per_s=bw,
            mem_capacity_bytes=self.capacity_bytes,
            compute_efficiency=self.efficiency.compute,
            memory_efficiency=self.efficiency.memory,
            op_overhead_s=self.op_overhead,
            supported_kinds=DIMM_PIM_KINDS,
        )
