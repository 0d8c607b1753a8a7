"""GEMM time with tile and wave quantization, split-K, per-SM bandwidth limits and L2 re-reads.

For each candidate kernel (CTA tile x split-K factor of the architecture's table) the GEMM is cut
into CTAs; CTAs run in waves of one per SM. A wave takes the overlap (p-norm) of
* compute: one CTA's padded tile FLOPs at the SM's share of the achievable tensor peak,
* memory: the wave's share of the unique bytes (A, B, C, fp32 split-K partials) at the achievable HBM
  bandwidth (multistage cp.async / TMA pipelines keep enough bytes in flight per SM that even a
  partial wave streams at full speed; tile re-reads hit L2 and hide behind the main loop), plus any
  part of A or B a benchmark left in L2, read at L2 bandwidth.
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


def _waves(ctas: np.ndarray, sms: int) -> tuple[np.ndarray, np.ndarray]:
    return np.floor_divide(ctas, sms), np.mod(ctas, sms)


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
) -> KernelTime:
    """Time of ``batch`` GEMMs C[m,n] = A[m,k] B[k,n] on ``gpu`` (best kernel of the arch table).

    ``dram_bytes`` overrides the unique HBM bytes (the operator's own byte count). ``l2_hit_a`` / ``l2_hit_b``
    are the fractions of A / B already in L2 when the kernel starts (a benchmark that re-runs on the same
    input, or cycles a few weight copies that fit in L2); they are read at L2 bandwidth instead of HBM's.
    """
    m, n, k, batch = (np.asarray(x, dtype=float) for x in (m, n, k, batch))
    m, n, k, batch = np.broadcast_arrays(m, n, k, batch)
    sms = gpu.sm_count
    sm_rate = peak_flops * gpu.compute_efficiency / sms
    a_bytes, b_bytes, c_bytes = batch * m * k * elem_bytes, batch * k * n * elem_bytes, batch * m * n * elem_bytes
    hit_a, hit_b = np.asarray(l2_hit_a, dtype=float), np.asarray(l2_hit_b, dtype=float)
    l2_bytes = a_bytes * hit_a + b_bytes * hit_b
    unique = (a_bytes + b_bytes + c_bytes if dram_bytes is None else np.asarray(dram_bytes, dtype=float)) - l2_bytes
    best = None
    for tm, tn in gpu.arch.gemm_tiles:
        tiles_m, tiles_n = np.ceil(m / tm), np.ceil(n / tn)
        for s in gpu.arch.split_k:
            allowed = (k / s >= gpu.arch.min_k_per_split) | (s == 1)
            ctas = batch * tiles_m * tiles_n * s
            partial = 2.0 * s * batch * m * n * PARTIAL_BYTES if s > 1 else 0.0
            dram = unique + partial
            cta_compute = 2.0 * tm * tn * np.ceil(k / s) / sm_rate
            full, tail = _waves(ctas, sms)
            dram_per_cta, l2_per_cta = dram / ctas, l2_bytes / ctas

            def wave(active, dram_per_cta=dram_per_cta, l2_per_cta=l2_per_cta, cta_compute=cta_compute):
                mem = active * dram_per_cta / gpu.achieved_bw + active * l2_per_cta / gpu.l2_bw
                return cta_compute, mem, overlap_sum(gpu.overlap, cta_compute, mem)

            c_full, m_full, t_full = wave(np.full_like(ctas, sms))
            c_tail, m_tail, t_tail = wave(np.maximum(tail, 1.0))
            has_tail = tail > 0
            body = full * t_full + np.where(has_tail, t_tail, 0.0)
            compute = full * c_full + np.where(has_tail, c_tail, 0.0)
            memory = full * m_full + np.where(has_tail, m_tail, 0.0)
            fills = gpu.dram_latency_s * (2.0 if s > 1 else 1.0)
            total = np.where(allowed, body + fills, np.inf)
            if best is None:
                best = [total, compute, memory, np.full_like(total, fills)]
                continue
            better = total < best[0]
            for i, value in enumerate((total, compute, memory, fills)):
                best[i] = np.where(better, value, best[i])
    total, compute, memory, fills = best
    overhead = fills + gpu.kernel_gap_s
    return KernelTime(compute, memory, overhead, total + gpu.kernel_gap_s)
