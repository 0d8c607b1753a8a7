"""What the GPU kernel model knows about one GPU: datasheet rates plus the calibrated kernel behaviour.

Rates, bandwidth and the achievable fractions come from ``DeviceCaps`` (so a sweep that scales the
bandwidth or compute of a device scales this model too); SM count, L2 and the kernel-model
parameters come from the GPU spec. ``efficiency.compute`` / ``efficiency.memory`` are the
achievable fractions of the tensor-core peak and of HBM bandwidth in a kernel's steady state, and
``kernel_launch`` is the gap between consecutive kernels of a CUDA graph: the same knobs the
roofline uses, which is what keeps the roofline a lower bound of this model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps
from cosim.hardware.gpu_kernel import (
    DEFAULT_L2_BANDWIDTH_RATIO,
    DEFAULT_SM_BANDWIDTH_SHARE,
    GpuArchitecture,
    KernelModelSpec,
)
from cosim.perf.gpu.arch import ArchTable, arch_table
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit


@dataclass(frozen=True)
class GpuView:
    """Everything a kernel formula needs, as plain numbers (hashable, so timings can be cached)."""

    name: str
    sm_count: int
    hbm_bw: float  # datasheet bytes/s
    memory_efficiency: float  # achievable fraction of hbm_bw when every SM streams
    compute_efficiency: float  # achievable fraction of the tensor-core peak in a GEMM main loop
    kernel_gap_s: float  # CUDA-graph gap between consecutive kernels (DeviceCaps.op_overhead_s)
    l2_capacity: float
    dram_latency_s: float
    sm_bw: float  # HBM bytes/s one SM can keep in flight
    l2_bw: float
    overlap: float
    attention_efficiency: float
    sdpa_attention_efficiency: float
    architecture: GpuArchitecture | None = None
    dtype_compute_scale: tuple[tuple[DType, float], ...] = ()
    stream_inflight: tuple[tuple[str, float], ...] = ()  # (operator kind, bytes in flight per SM)
    attention_overlap: float | None = None  # flash attention's compute/memory overlap (None: ``overlap``)
    caps: DeviceCaps | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def arch(self) -> ArchTable:
        return arch_table(self.architecture)

    @property
    def attn_overlap(self) -> float:
        return self.overlap if self.attention_overlap is None else self.attention_overlap

    @property
    def achieved_bw(self) -> float:
        return self.hbm_bw * self.memory_efficiency

    def peak(self, unit: ComputeUnit, dtype: DType) -> float:
        """Datasheet peak FLOP/s; a dtype the GPU lacks raises (fp8 on A100), never falls back."""
        if self.caps is None:
            raise CosimInputError(f"no rates known for GPU {self.name!r}", field="tensor_flops")
        return self.caps.peak_flops(unit, dtype)

    def tensor_peak(self, dtype: DType) -> float:
        """Tensor-core peak for ``dtype`` scaled by how much of it that dtype's kernels can use."""
        return self.peak(ComputeUnit.MATRIX, dtype) * dict(self.dtype_compute_scale).get(dtype, 1.0)

    def sm_stream_bw(self, kind: str | None = None) -> float:
        """Bytes/s one SM streams in a kernel of operator ``kind``: in-flight bytes / DRAM latency when fitted."""
        inflight = dict(self.stream_inflight).get(str(kind)) if kind is not None else None
        if inflight is None or self.dram_latency_s <= 0:
            return self.sm_bw
        return inflight / self.dram_latency_s

    def stream_bw(self, active_sms: np.ndarray | float, kind: str | None = None) -> np.ndarray | float:
        """HBM bandwidth reached by ``active_sms`` SMs streaming at once (per-SM in-flight limit, Little's law)."""
        return np.minimum(self.achieved_bw, np.maximum(active_sms, 1.0) * self.sm_stream_bw(kind))


def gpu_view(caps: DeviceCaps, spec: Any = None) -> GpuView:
    """Join the (possibly overridden) caps with the GPU spec's SM count, L2 and kernel-model section."""
    sm_count = getattr(spec, "sm_count", None)
    if sm_count is None:
        raise CosimInputError(
            f"the gpu-kernel cost model needs the GPU spec of {caps.name!r} (sm_count, l2_capacity)",
            field="cost_model", allowed=["roofline"],
        )
    km: KernelModelSpec = getattr(spec, "kernel_model", None) or KernelModelSpec()
    bw = caps.mem_bw_bytes_per_s
    return GpuView(
        name=caps.name,
        sm_count=int(sm_count),
        hbm_bw=bw,
        memory_efficiency=caps.memory_efficiency,
        compute_efficiency=caps.compute_efficiency,
        kernel_gap_s=caps.op_overhead_s,
        l2_capacity=float(spec.l2_capacity),
        dram_latency_s=km.dram_latency,
        sm_bw=km.sm_bandwidth if km.sm_bandwidth is not None else DEFAULT_SM_BANDWIDTH_SHARE * bw / sm_count,
        l2_bw=km.l2_bandwidth if km.l2_bandwidth is not None else DEFAULT_L2_BANDWIDTH_RATIO * bw,
        overlap=km.overlap,
        attention_efficiency=km.attention_efficiency,
        sdpa_attention_efficiency=km.sdpa_attention_efficiency,
        architecture=getattr(spec, "architecture", None),
        dtype_compute_scale=tuple(sorted(km.dtype_compute_scale.items())),
        attention_overlap=km.attention_overlap,
        stream_inflight=tuple(sorted((str(k), float(v)) for k, v in km.stream_inflight.items())),
        caps=caps,
    )


def overlap_sum(p: float, *terms: np.ndarray | float) -> np.ndarray | float:
    """Time of work whose parts overlap imperfectly: the p-norm of the parts (max <= result <= sum)."""
    scale = np.maximum.reduce([np.asarray(t, dtype=float) for t in terms])
    safe = np.where(scale > 0, scale, 1.0)
    total = sum((np.asarray(t, dtype=float) / safe) ** p for t in terms)
    return np.where(scale > 0, safe * total ** (1.0 / p), 0.0)
