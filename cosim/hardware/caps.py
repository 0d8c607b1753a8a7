"""What a cost model sees of a device: peak rates, bandwidth, capacity, overheads.

Device schemas (GPU, NPU, DIMM-PIM, HBM-PIM) are detailed, documented data; each derives one
:class:`DeviceCaps` from its spec. The roofline model needs nothing else; the detailed models of
later stages (DRAM/PIM timing, GPU kernels, systolic arrays) read the full spec instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cosim.errors import CosimInputError
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit, OpKind


class DeviceKind(StrEnum):
    GPU = "gpu"
    NPU = "npu"
    DIMM_PIM = "dimm_pim"
    HBM_PIM = "hbm_pim"

    @property
    def is_pim(self) -> bool:
        return self in (DeviceKind.DIMM_PIM, DeviceKind.HBM_PIM)


@dataclass(frozen=True)
class DeviceCaps:
    """Roofline-level capabilities of ONE device (one GPU, one PIM pool...).

    ``mem_bw_bytes_per_s`` is the bandwidth the device's compute units see: HBM for a GPU, the
    aggregate internal (bank- or rank-level) bandwidth for a PIM device.
    """

    name: str
    kind: DeviceKind
    matrix_flops_per_s: Mapping[DType, float]
    vector_flops_per_s: Mapping[DType, float]
    mem_bw_bytes_per_s: float
    mem_capacity_bytes: float
    compute_efficiency: float = 1.0
    memory_efficiency: float = 1.0
    op_overhead_s: float = 0.0
    supported_kinds: frozenset[OpKind] = field(default_factory=lambda: frozenset(OpKind))

    def peak_flops(self, unit: ComputeUnit, dtype: DType) -> float:
        """Peak FLOP/s of ``unit`` for ``dtype``; a dtype the device lacks is an error, not a fallback."""
        table = self.matrix_flops_per_s if unit is ComputeUnit.MATRIX else self.vector_flops_per_s
        if dtype in table:
            return table[dtype]
        if unit is ComputeUnit.VECTOR and dtype.bits < 16 and DType.FP16 in table:
            # narrow formats are dequantized to fp16 for elementwise math on every device we model
            return table[DType.FP16]
        raise CosimInputError(
            f"device {self.name!r} has no {unit.value} support for dtype {dtype.value}",
            field="dtype", allowed=sorted(d.value for d in table),
        )

    def achieved_flops(self, unit: ComputeUnit, dtype: DType) -> float:
        return self.peak_flops(unit, dtype) * self.compute_efficiency

    @property
    def achieved_bw_bytes_per_s(self) -> float:
        return self.mem_bw_bytes_per_s * self.memory_efficiency

    def supports(self, kind: OpKind) -> bool:
        return kind in self.supported_kinds


@dataclass(frozen=True)
class LinkCaps:
    """A (possibly multi-lane, multi-instance) link between two devices of a system."""

    name: str
    kind: str  # pcie | cxl | nvlink | ddr | ethernet
    bw_bytes_per_s: float  # per direction, all parallel instances together
    latency_s: float
