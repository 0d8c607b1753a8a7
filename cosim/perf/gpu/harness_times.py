"""Kernel times as a given benchmark harness saw them (warm L2, paged KV, fp8 quantize prologue, host floor).

The same formulas as the "gpu-kernel" cost model, with the inputs a peer benchmark's setup implies
(``cosim.perf.gpu.harness``). Calibration fits through these functions and ``cosim validate`` scores
through them, so there is one harness-aware prediction of a measured kernel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cosim.perf.gpu.attention import AttentionKernel, decode_attention_time, prefill_attention_time
from cosim.perf.gpu.device import GpuView
from cosim.perf.gpu.gemm import gemm_time
from cosim.perf.gpu.harness import Harness, l2_hit
from cosim.perf.gpu.memory_bound import streaming_time
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit

QUANTIZED_INPUT = DType.FP8  # dtypes whose linear layer quantizes its bf16 activation first
QUANTIZE_SOURCE = DType.BF16  # the activation the quantize kernel reads
QUANTIZE_FLOPS_PER_ELEMENT = 2.0  # scale and clamp per element

# vLLM's per-tensor fp8 GEMM on Hopper (csrc/quantization/w8a8/cutlass/c3x/scaled_mm_sm90_fp8_dispatch.cuh):
# one CUTLASS kernel per (M, N) range, persistent scheduler, no split-K. Rows: (max m, max n, tile over m,
# tile over n); for m <= 64 the kernel swaps A and B, so its 64-wide tile side runs along N.
UNBOUNDED = 1 << 62
VLLM_FP8_SM90_DISPATCH: tuple[tuple[int, int, int, int], ...] = (
    (16, 1280, 16, 64),
    (16, UNBOUNDED, 16, 64),
    (64, 1280, 16, 64),
    (64, UNBOUNDED, 64, 64),
    (128, UNBOUNDED, 64, 128),
    (UNBOUNDED, UNBOUNDED, 128, 128),
)


def _gemm_l2_hits(gpu: GpuView, harness: Harness, m, n, k, elem: float) -> tuple[np.ndarray, np.ndarray]:
    if not harness.warm_inputs:
        return np.zeros_like(m), np.zeros_like(m)
    copies = harness.weight_copies
    reuse = (copies - 1) / copies if copies > 1 else 1.0  # the first layer of a replay finds the input cold
    return l2_hit(m * k * elem, gpu.l2_capacity) * reuse, l2_hit(k * n * elem, gpu.l2_capacity, copies)


def quantize_time(gpu: GpuView, m: np.ndarray, k: np.ndarray) -> np.ndarray:
    """vLLM's static-scale fp8 quantize kernel: read the m x k bf16 activation, write it as fp8."""
    elements = m * k
    nbytes = elements * (QUANTIZE_SOURCE.bytes + QUANTIZED_INPUT.bytes)
    peak = gpu.peak(ComputeUnit.VECTOR, QUANTIZE_SOURCE)
    return np.asarray(streaming_time(gpu, nbytes, QUANTIZE_FLOPS_PER_ELEMENT * elements, peak).latency_s)


def _dispatch_rule(m: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Index into ``VLLM_FP8_SM90_DISPATCH`` of the first rule each (m, n) falls under."""
    rule = np.full(m.shape, len(VLLM_FP8_SM90_DISPATCH) - 1)
    for i, (max_m, max_n, _, _) in reversed(list(enumerate(VLLM_FP8_SM90_DISPATCH))):
        rule = np.where((m <= max_m) & (n <= max_n), i, rule)
    return rule


def gemm_times(gpu: GpuView, harness: Harness, m, n, k, dtype: DType) -> np.ndarray:
    """Vectorized GEMM times over shapes of one dtype, as ``harness`` ran them (without any host floor)."""
    m, n, k = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (m, n, k))
    hit_a, hit_b = _gemm_l2_hits(gpu, harness, m, n, k, dtype.bytes)
    common = dict(elem_bytes=dtype.bytes, peak_flops=gpu.tensor_peak(dtype))
    if not (harness.vllm_fp8_linear and dtype is QUANTIZED_INPUT):
        return np.asarray(gemm_time(gpu, m, n, k, l2_hit_a=hit_a, l2_hit_b=hit_b, **common).latency_s, dtype=float)
    t = np.empty(m.shape)
    rules = _dispatch_rule(m, n)
    for i in np.unique(rules):
        sel = rules == i
        _, _, tile_m, tile_n = VLLM_FP8_SM90_DISPATCH[int(i)]
        t[sel] = gemm_time(gpu, m[sel], n[sel], k[sel], l2_hit_a=hit_a[sel], l2_hit_b=hit_b[sel],
                           kernels=((tile_m, tile_n, 1),), **common).latency_s
    return t + quantize_time(gpu, m, k)


def attention_time(gpu: GpuView, harness: Harness, kind: str, params: Mapping[str, Any]) -> float:
    """One attention call (decode when ``kind`` says so or q_len is 1, else causal prefill), no host floor."""
    q = params
    dtype = DType.parse(q.get("dtype", "bf16"))
    batch, heads, kv_heads, hd = (int(q[key]) for key in ("batch", "heads", "kv_heads", "head_dim"))
    context = int(q["context"])
    kernel = AttentionKernel.parse(harness.attention_kernel or AttentionKernel.SDPA)
    common = dict(batch=batch, heads=heads, kv_heads=kv_heads, head_dim=hd, elem_bytes=dtype.bytes,
                  kv_bytes=dtype.bytes, peak_flops=gpu.tensor_peak(dtype), kernel=kernel, paged=harness.paged_kv)
    extra = 0.0
    if harness.repeats_kv_heads and kv_heads < heads:  # repeat_kv: K and V copied out to every query head
        moved = 2.0 * batch * context * hd * dtype.bytes * (kv_heads + heads)
        extra = float(streaming_time(gpu, moved, 0.0, gpu.peak(ComputeUnit.VECTOR, dtype)).latency_s)
        common["kv_heads"] = kv_heads = heads
    return extra + _flash_time(gpu, harness, kind, q, common)


def _flash_time(gpu: GpuView, harness: Harness, kind: str, q: Mapping[str, Any], common: dict) -> float:
    dtype = DType.parse(q.get("dtype", "bf16"))
    batch, heads, kv_heads, hd = (int(common[key]) for key in ("batch", "heads", "kv_heads", "head_dim"))
    context = int(q["context"])
    if kind == "attention_decode" or int(q.get("q_len", context)) == 1:  # as the cost model routes it
        kv_total = 2.0 * batch * kv_heads * context * hd * dtype.bytes
        hit = float(l2_hit(kv_total, gpu.l2_capacity)) if harness.warm_inputs else 0.0
        if harness.decode_on_forward_kernel:  # one query row per CTA and head; causal is moot for one query
            return float(prefill_attention_time(gpu, q_len=1, kv_len=context, causal=False, l2_hit=hit,
                                                **common).latency_s)
        return float(decode_attention_time(gpu, kv_len=context, l2_hit=hit, **common).latency_s)
    q_len = int(q.get("q_len", context))
    inputs = 2.0 * batch * hd * dtype.bytes * (q_len * heads + context * kv_heads)
    hit = float(l2_hit(inputs, gpu.l2_capacity)) if harness.warm_inputs else 0.0
    t = float(prefill_attention_time(gpu, q_len=q_len, kv_len=context, causal=bool(q.get("causal", True)),
                                     l2_hit=hit, **common).latency_s)
    if harness.writes_kv_cache:  # read the new K and V, write them into the cache
        new_kv = 2.0 * batch * q_len * kv_heads * hd * dtype.bytes
        t += float(streaming_time(gpu, 2.0 * new_kv, 0.0, gpu.peak(ComputeUnit.VECTOR, dtype)).latency_s)
    return t


def kernels_launched(harness: Harness, kind: str, params: Mapping[str, Any]) -> int:
    """How many kernels the measured call ran (each pays one launch gap in cosim's CUDA-graph timing)."""
    if kind == "gemm":
        return 2 if harness.vllm_fp8_linear and DType.parse(params.get("dtype", "bf16")) is QUANTIZED_INPUT else 1
    repeats = 2 if harness.repeats_kv_heads and int(params["kv_heads"]) < int(params["heads"]) else 0
    return 1 + repeats + int(harness.writes_kv_cache and kind == "attention_prefill")


def without_launch_gaps(gpu: GpuView, harness: Harness, seconds: float, kernels: int) -> float:
    """A profiler's sum of kernel durations has no launch gaps: take cosim's CUDA-graph gap out per kernel."""
    return seconds - kernels * gpu.kernel_gap_s if harness.kernel_durations_only else seconds


def kernel_time(gpu: GpuView, harness: Harness, kind: str, params: Mapping[str, Any]) -> float:
    """One measured kernel (``gemm`` or ``attention_*``) as ``harness`` timed it, host floor included."""
    if kind == "gemm":
        dtype = DType.parse(params.get("dtype", "bf16"))
        t = float(gemm_times(gpu, harness, params["m"], params["n"], params["k"], dtype)[0])
    else:
        t = attention_time(gpu, harness, kind, params)
    t = without_launch_gaps(gpu, harness, t, kernels_launched(harness, kind, params))
    return t + (harness.host_floor_s or 0.0)
