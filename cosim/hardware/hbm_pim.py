"""HBM-PIM schema (AttAcc, Samsung Aquabolt-XL, NeuPIMs/Newton): PUs inside HBM stacks.

The internal bandwidth is the stack's external bandwidth times a placement-dependent scale (AttAcc's
BW_SCALE = ranks x bank groups x banks / 2: 16x at bank level, 8x at bank-group level, 1x on the
buffer die; with the power constraint 9x / 3x / 1x). Compute is the smaller of what the PUs can do
(units x lanes x 2 x clock, when the clock is known) and what the bandwidth can feed.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.hardware.common import (
    DeviceBase,
    Efficiency,
    NonNegativeSeconds,
    PositiveBandwidth,
    PositiveBytes,
    PositiveFloat,
    PositiveHertz,
    PositiveInt,
    StrictModel,
    bandwidth_matched_flops,
)
from cosim.hardware.dram_timing import DramTiming
from cosim.workload.dtypes import DType
from cosim.workload.ops import ATTENTION_KINDS, OpKind

HBM_PIM_KINDS = frozenset({*ATTENTION_KINDS, OpKind.KV_CACHE_WRITE, OpKind.GEMM})


class Placement(StrEnum):
    BANK = "bank"
    BANK_GROUP = "bank_group"
    BUFFER_DIE = "buffer_die"


# AttAcc simulator src/config.py BW_SCALE: (no power constraint, with power constraint).
ATTACC_BW_SCALE: dict[Placement, tuple[float, float]] = {
    Placement.BANK: (16.0, 9.0),
    Placement.BANK_GROUP: (8.0, 3.0),
    Placement.BUFFER_DIE: (1.0, 1.0),
}


class UnitsPer(StrEnum):
    BANK = "bank"
    BANK_PAIR = "bank_pair"  # Samsung: one PCU shared by two banks
    BANK_GROUP = "bank_group"
    PSEUDO_CHANNEL = "pseudo_channel"


class HbmStack(StrictModel):
    channels: PositiveInt
    pseudo_channels: PositiveInt = 1  # per channel
    ranks: PositiveInt = 1  # per pseudo-channel (stack IDs)
    bank_groups: PositiveInt
    banks_per_group: PositiveInt
    capacity: PositiveBytes
    external_bandwidth: PositiveBandwidth

    @property
    def banks(self) -> int:
        return self.channels * self.pseudo_channels * self.ranks * self.bank_groups * self.banks_per_group


class PimUnits(StrictModel):
    per: UnitsPer
    lanes: PositiveInt  # fp16 multipliers (SIMD lanes) per unit
    clock: PositiveHertz | None = None  # None: the units run at the bank access rate (AttAcc)
    dtypes: list[DType] = Field(min_length=1)
    macs_per_element: PositiveFloat = 1.0  # GEMV: each streamed weight / KV element feeds one MAC


class HbmPimSpec(DeviceBase):
    kind: Literal[DeviceKind.HBM_PIM] = DeviceKind.HBM_PIM
    stacks: PositiveInt
    stack: HbmStack
    placement: Placement
    power_limited: bool = False
    internal_bandwidth_scale: PositiveFloat | None = None  # explicit override of the AttAcc table
    units: PimUnits
    softmax_flops_per_byte: PositiveFloat = 1.0  # buffer-die softmax at the external bandwidth (AttAcc)
    dual_row_buffer: bool = False  # NeuPIMs: PIM and normal accesses proceed concurrently
    dram: DramTiming | None = None
    op_overhead: NonNegativeSeconds = 0.0
    efficiency: Efficiency = Efficiency(compute=1.0, memory=1.0)

    @model_validator(mode="after")
    def _units_divide_banks(self) -> HbmPimSpec:
        size = self._banks_per_unit()
        if self.stack.banks % size:
            raise ValueError(f"units.per = {self.units.per.value} needs the {self.stack.banks} banks per "
                             f"stack to split into groups of {size}")
        return self

    def _banks_per_unit(self) -> int:
        s = self.stack
        return {
            UnitsPer.BANK: 1,
            UnitsPer.BANK_PAIR: 2,
            UnitsPer.BANK_GROUP: s.banks_per_group,
            UnitsPer.PSEUDO_CHANNEL: s.ranks * s.bank_groups * s.banks_per_group,
        }[self.units.per]

    # ---- derived numbers -------------------------------------------------------------------------
    def units_per_stack(self) -> int:
        return self.stack.banks // self._banks_per_unit()

    def bandwidth_scale(self) -> float:
        if self.internal_bandwidth_scale is not None:
            return self.internal_bandwidth_scale
        free, limited = ATTACC_BW_SCALE[self.placement]
        return limited if self.power_limited else free

    def internal_bw_per_stack_bytes_per_s(self) -> float:
        return self.stack.external_bandwidth * self.bandwidth_scale()

    def internal_bw_bytes_per_s(self) -> float:
        return self.stacks * self.internal_bw_per_stack_bytes_per_s()

    def external_bw_bytes_per_s(self) -> float:
        return self.stacks * self.stack.external_bandwidth

    def unit_flops_per_stack(self) -> float:
        """What the PUs can compute: units x lanes x 2 FLOP (MAC) x clock; inf when the clock is not given."""
        if self.units.clock is None:
            return math.inf
        return self.units_per_stack() * self.units.lanes * 2.0 * self.units.clock

    def matrix_flops_per_s(self, dtype: DType) -> float:
        """min(unit compute, bandwidth-matched compute) over all stacks."""
        matched = bandwidth_matched_flops(self.internal_bw_bytes_per_s(), dtype.bytes,
                                          self.units.macs_per_element)
        return min(self.stacks * self.unit_flops_per_stack(), matched)

    @property
    def capacity_bytes(self) -> float:
        return self.stacks * self.stack.capacity

    def caps(self) -> DeviceCaps:
        softmax = self.external_bw_bytes_per_s() * self.softmax_flops_per_byte
        return DeviceCaps(
            name=self.name,
            kind=DeviceKind.HBM_PIM,
            matrix_flops_per_s={d: self.matrix_flops_per_s(d) for d in self.units.dtypes},
            vector_flops_per_s=dict.fromkeys(self.units.dtypes, softmax),
            mem_bw_bytes_per_s=self.internal_bw_bytes_per_s(),
            mem_capacity_bytes=self.capacity_bytes,
            compute_efficiency=self.efficiency.compute,
            memory_efficiency=self.efficiency.memory,
            op_overhead_s=self.op_overhead,
            supported_kinds=HBM_PIM_KINDS,
        )
