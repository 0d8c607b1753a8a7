"""NPU schema: systolic arrays and vector units whose peaks are derived from their geometry and clock.

Deriving (rather than stating) the peak keeps what-if sweeps honest: doubling ``rows`` doubles the
matrix FLOP/s, and a typo in a peak number cannot disagree with the array it claims to describe.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.hardware.common import (
    DeviceBase,
    Efficiency,
    MemorySpec,
    NonNegativeSeconds,
    PositiveBytes,
    PositiveFloat,
    PositiveHertz,
    PositiveInt,
    StrictModel,
)
from cosim.workload.dtypes import DType
from cosim.workload.ops import OpKind


class Dataflow(StrEnum):
    WEIGHT_STATIONARY = "ws"
    OUTPUT_STATIONARY = "os"
    INPUT_STATIONARY = "is"


class SystolicArrays(StrictModel):
    count: PositiveInt
    rows: PositiveInt
    cols: PositiveInt
    dataflow: Dataflow
    clock: PositiveHertz
    # True: a fold's operands follow the previous fold's back to back, so the wavefront fill/drain
    # is paid once per operator (cosim.perf.npu.dataflow); False: once per fold, as in SCALE-Sim.
    pipelined_folds: bool = False
    dtypes: list[DType] = Field(min_length=1)

    @property
    def peak_flops_per_s(self) -> float:
        """2 FLOP (one MAC) per processing element per cycle."""
        return 2.0 * self.count * self.rows * self.cols * self.clock


class VectorUnits(StrictModel):
    count: PositiveInt
    width: PositiveInt
    clock: PositiveHertz
    flops_per_lane_per_cycle: PositiveFloat = 1.0
    dtypes: list[DType] = Field(min_length=1)

    @property
    def peak_flops_per_s(self) -> float:
        return self.count * self.width * self.clock * self.flops_per_lane_per_cycle


class NpuSpec(DeviceBase):
    kind: Literal[DeviceKind.NPU] = DeviceKind.NPU
    systolic_arrays: SystolicArrays
    vector_units: VectorUnits
    # On-chip buffers shared by the arrays; the systolic cost model tiles GEMMs to fit them.
    sram_capacity: PositiveBytes | None = None  # operand scratchpad; None: ideal reuse (operands read once)
    accumulator_capacity: PositiveBytes | None = None  # partial-sum buffer; None: shares the scratchpad
    accumulator_bits: PositiveInt = 32  # width of one partial sum
    double_buffered: bool = True  # loads of the next tile overlap compute on the current one
    memory: MemorySpec
    op_overhead: NonNegativeSeconds = 0.0
    efficiency: Efficiency = Efficiency()

    def caps(self) -> DeviceCaps:
        matrix = dict.fromkeys(self.systolic_arrays.dtypes, self.systolic_arrays.peak_flops_per_s)
        vector = dict.fromkeys(self.vector_units.dtypes, self.vector_units.peak_flops_per_s)
        return DeviceCaps(
            name=self.name,
            kind=DeviceKind.NPU,
            matrix_flops_per_s=matrix,
            vector_flops_per_s=vector,
            mem_bw_bytes_per_s=self.memory.bandwidth,
            mem_capacity_bytes=self.memory.capacity,
            compute_efficiency=self.efficiency.compute,
            memory_efficiency=self.efficiency.memory,
            op_overhead_s=self.op_overhead,
            supported_kinds=frozenset(OpKind),
        )
