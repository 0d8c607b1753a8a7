"""GEMM time with tile and wave quantization, split-K, per-SM bandwidth limits and L2 re-reads.

For each candidate kernel (CTA tile x split-K factor of the architecture's table) the GEMM is cut
into CTAs; CTAs run in waves of one per SM. The kernel takes the overlap (p-norm) of
* compute: one CTA's padded tile FLOPs at the SM's share of the achievable tensor peak, once per
  wave (tile quantization pads M and N, wave quantization rounds the CTA count up to whole waves),
* memory: the unique bytes (A, B, C, fp32 split-K partials) at the achievable HBM bandwidth
  (multistage cp.async / TMA pipelines keep enough bytes in flight per SM that even a partial wave
  streams at full speed; tile re-reads hit L2 and hide behind the main loop), plus any part of A or
  B a benchmark left in L2, read at L2 bandwidth.
The kernel pays one DRAM latency to fill its pipeline (two with split-K: the partial-sum fix-up),
and the CUDA-graph gap before it. The best candidate wins, as cuBLAS' heuristics aim to.
Everything is numpy-vectorized over shapes so calibration can score thousands of GEMMs at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cosim.perf.gpu.device import GpuView, overlap_sum

PARTIAL_BYTES = 4.0  # split-K partial sums are fp32


@dataclass(frozen=True)
class KernelTime:
    """Vectorized timing parts (seconds); ``latency_s`` = overhead + the overlapped body."""

    compute_s: np.ndarray
    memory_s: np.ndarray
    overhead_s: np.ndarray
    latency_s: np.ndarray


def gemm_time(
    gpu: GpuView,
    m: np.ndarray | float,
    n: np.ndarray | float,
    k: np.ndarray | float,
    *,
    elem_bytes: float,
    peak_flops: float,
    batch: np.ndarray | float = 1,
    dram_bytes: np.ndarray | float | None = None,
    l2_hit_a: np.ndarray | float = 0.0,
    l2_hit_b: np.ndarray | float = 0.0,
    kernels: tuple[tuple[int, int, int], ...] | None = None,
) -> KernelTime:
    """Time of ``batch`` GEMMs C[m,n] = A[m,k] B[k,n] on ``gpu`` (best kernel of the arch table).

    ``dram_bytes`` overrides the unique HBM bytes (the operator's own byte count). ``l2_hit_a`` / ``l2_hit_b``
    are the fractions of A / B already in L2 when the kernel starts (a benchmark that re-runs on the same
    input, or cycles a few weight copies that fit in L2); they are read at L2 bandwidth instead of HBM's.
    ``kernels``: the (tile_m, tile_n, split_k) candidates when a library dispatches fixed kernels instead of
    searching the architecture's table (e.g. vLLM's fp8 CUTLASS GEMMs: one tile per M range, no split-K).
    """
    m, n, k, batch = (np.asarray(x, dtype=float) for x in (m, n, k, batch))
    m, n, k, batch = np.broadcast_arrays(m, n, k, batch)
    sms = gpu.sm_count
    sm_rate = peak_flops * gpu.compute_efficiency / sms
    a_bytes, b_bytes, c_bytes = batch * m * k * elem_bytes, batch * k * n * elem_bytes, batch * m * n * elem_bytes
    hit_a, hit_b = np.asarray(l2_hit_a, dtype=float), np.asarray(l2_hit_b, dtype=float)
    l2_bytes = a_bytes * hit_a + b_bytes * hit_b
    unique = (a_bytes + b_bytes + c_bytes if dram_bytes is None else np.asarray(dram_bytes, dtype=float)) - l2_bytes
    table = kernels or tuple((tm, tn, sk) for tm, tn in gpu.arch.gemm_tiles for sk in gpu.arch.split_k)
    cand = np.array(table, dtype=float)
    tm, tn, sk = (cand[:, i].reshape((-1,) + (1,) * m.ndim) for i in range(3))  # candidates x shape
    allowed = (k / sk >= gpu.arch.min_k_per_split) | (sk == 1)
    ctas = batch * np.ceil(m / tm) * np.ceil(n / tn) * sk
    partial = np.where(sk > 1, 2.0 * sk * batch * m * n * PARTIAL_BYTES, 0.0)
    compute_all = np.ceil(ctas / sms) * 2.0 * tm * tn * np.ceil(k / sk) / sm_rate  # one tile's compute per wave
    memory_all = (unique + partial) / gpu.achieved_bw + l2_bytes / gpu.l2_bw
    fills_all = gpu.dram_latency_s * np.where(sk > 1, 2.0, 1.0) + 0.0 * m  # split-K: a fix-up round trip
    total_all = np.where(allowed, overlap_sum(gpu.overlap, compute_all, memory_all) + fills_all, np.inf)
    best = np.expand_dims(np.argmin(total_all, axis=0), 0)
    total, compute, memory, fills = (np.take_along_axis(np.broadcast_to(x, total_all.shape), best, 0)[0]
                                     for x in (total_all, compute_all, memory_all, fills_all))
    overhead = fills + gpu.kernel_gap_s
    return KernelTime(compute, memory, overhead, total + gpu.kernel_gap_s)
