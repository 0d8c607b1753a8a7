"""Kernels that stream memory: norms, rotary, softmax, elementwise, KV-cache writes, embedding gathers.

A PyTorch elementwise or reduction kernel gives each CTA a few KB of the tensor, so a small tensor
occupies only a few SMs and cannot reach HBM bandwidth (per-SM in-flight limit); every kernel also
waits one DRAM latency before its first bytes arrive, and the CUDA graph leaves a gap before it.
Arithmetic runs on the vector units and overlaps with the streaming. Kernels that keep few bytes in
flight per SM (non-vectorized gathers, one-CTA-per-row norms, rotary) stay below HBM bandwidth even
when every SM is busy: Little's law caps them at SMs x in-flight bytes / DRAM latency, with the
in-flight bytes fitted per operator kind (``kernel_model.stream_inflight``).
"""

from __future__ import annotations

import numpy as np

from cosim.perf.gpu.device import GpuView, overlap_sum
from cosim.perf.gpu.gemm import KernelTime

# PyTorch's vectorized elementwise kernels: 128 threads x 4 elements per CTA; with one input and one
# output of 4-byte elements that is 4 KiB of traffic per CTA.
BYTES_PER_CTA = 4096.0


def streaming_time(
    gpu: GpuView, nbytes: np.ndarray | float, flops: np.ndarray | float, vector_peak: float, kind: str | None = None
) -> KernelTime:
    """Time of one memory-bound kernel of operator ``kind`` moving ``nbytes`` (HBM), doing ``flops`` on vector units."""
    nbytes, flops = np.asarray(nbytes, dtype=float), np.asarray(flops, dtype=float)
    active = np.clip(np.ceil(nbytes / BYTES_PER_CTA), 1.0, gpu.sm_count)
    memory = nbytes / gpu.stream_bw(active, kind)
    compute = flops / (vector_peak * gpu.compute_efficiency)
    body = overlap_sum(gpu.overlap, compute, memory)
    overhead = np.full_like(body, gpu.kernel_gap_s + gpu.dram_latency_s)
    return KernelTime(compute, memory, overhead, body + overhead)
