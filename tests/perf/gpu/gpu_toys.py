"""Hand-built GPUs with round numbers, so kernel-model expectations can be derived by hand."""

from __future__ import annotations

from dataclasses import replace

from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.perf.gpu.arch import ArchTable
from cosim.perf.gpu.device import GpuView
from cosim.workload.dtypes import DType

TILE = 128
SINGLE_TILE = ArchTable(gemm_tiles=((TILE, TILE),), split_k=(1,), min_k_per_split=128, attn_block_m=128,
                        attn_block_n=128, decode_block_m=64, max_kv_splits=128)


def make_view(*, sms: int = 4, tflops_per_sm: float = 1.0, bw: float = 1e12, gap: float = 1e-6,
              latency: float = 1e-6, overlap: float = 8.0, **extra) -> GpuView:
    """A GPU whose tensor peak scales with its SM count (more SMs of the same kind)."""
    peak = sms * tflops_per_sm * 1e12
    caps = DeviceCaps(name="toy", kind=DeviceKind.GPU, matrix_flops_per_s={DType.BF16: peak, DType.FP16: peak},
                      vector_flops_per_s={DType.BF16: peak / 8, DType.FP32: peak / 16}, mem_bw_bytes_per_s=bw,
                      mem_capacity_bytes=80e9, compute_efficiency=0.8, memory_efficiency=0.9, op_overhead_s=gap)
    view = GpuView(name="toy", sm_count=sms, hbm_bw=bw, memory_efficiency=0.9, compute_efficiency=0.8,
                   kernel_gap_s=gap, l2_capacity=50e6, dram_latency_s=latency, sm_bw=bw / sms * 2, l2_bw=3 * bw,
                   overlap=overlap, attention_efficiency=0.6, sdpa_attention_efficiency=0.4, caps=caps)
    return replace(view, **extra)
