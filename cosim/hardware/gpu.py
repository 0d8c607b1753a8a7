"""GPU schema: tensor-core and vector peaks per dtype, HBM, L2, launch overhead, NVLink.

Peaks are the datasheet's dense numbers; a dtype the GPU lacks (fp8 on A100) is simply absent, so
asking for it is an error rather than a silent fallback to another format.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.hardware.common import (
    DeviceBase,
    Efficiency,
    MemorySpec,
    NonNegativeSeconds,
    PositiveBandwidth,
    PositiveBytes,
    PositiveHertz,
    PositiveInt,
    RateTable,
    StrictModel,
    parse_rate_table,
)
from cosim.hardware.gpu_kernel import GpuArchitecture, KernelModelSpec
from cosim.workload.ops import OpKind


class NvlinkSpec(StrictModel):
    """Per-GPU NVLink: bandwidth per direction summed over the GPU's links, and a per-transfer latency."""

    bandwidth: PositiveBandwidth
    latency: NonNegativeSeconds = 0.0


class GpuSpec(DeviceBase):
    kind: Literal[DeviceKind.GPU] = DeviceKind.GPU
    sm_count: PositiveInt
    clock: PositiveHertz
    tensor_flops: Annotated[RateTable, BeforeValidator(parse_rate_table), Field(min_length=1)]
    vector_flops: Annotated[RateTable, BeforeValidator(parse_rate_table), Field(min_length=1)]
    memory: MemorySpec
    l2_capacity: PositiveBytes
    kernel_launch: NonNegativeSeconds = 0.0
    efficiency: Efficiency = Efficiency()
    nvlink: NvlinkSpec | None = None
    architecture: GpuArchitecture | None = None  # kernel shapes for the "gpu-kernel" model (None: generic)
    kernel_model: KernelModelSpec = KernelModelSpec()  # calibrated kernel behaviour (cosim.hardware.gpu_kernel)

    def caps(self) -> DeviceCaps:
        return DeviceCaps(
            name=self.name,
            kind=DeviceKind.GPU,
            matrix_flops_per_s=dict(self.tensor_flops),
            vector_flops_per_s=dict(self.vector_flops),
            mem_bw_bytes_per_s=self.memory.bandwidth,
            mem_capacity_bytes=self.memory.capacity,
            compute_efficiency=self.efficiency.compute,
            memory_efficiency=self.efficiency.memory,
            op_overhead_s=self.kernel_launch,
            supported_kinds=frozenset(OpKind),
        )
