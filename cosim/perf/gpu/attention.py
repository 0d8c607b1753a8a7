"""Flash-attention time: causal prefill over row blocks, and split-KV decode (FlashDecoding).

Prefill: each CTA owns ``attn_block_m`` query rows of one (request, head) and walks the keys it may
see (causal: up to its last row), so row blocks differ in work; blocks are scheduled heaviest first,
and the kernel takes the longer of the average SM load and the heaviest block. Q, K, V and O cross
HBM once; the per-block K/V re-reads are hidden in the pipelined main loop (part of its efficiency).

Decode (one query token per request): the KV cache is streamed once per KV head. With GQA the query
heads of a group are packed as rows of one CTA (FlashAttention-2 swaps ``seqlen_q`` and the group),
so a CTA reads its KV head once. When (requests x KV heads) do not fill the SMs, the keys are split
over several CTAs (FlashAttention-2's ``num_splits`` heuristic, used by torch SDPA's flash backend and
by vLLM) and a second kernel combines the fp32 partial outputs. Each CTA computes on a padded row
block, which on tensor cores costs real time for MHA decode. Flash kernels keep several tiles in
flight per SM (cp.async / TMA pipelines), so unlike simple elementwise kernels they are not limited by
per-SM bandwidth; each wave pays one DRAM latency to fill its pipeline.

``kernel`` selects the efficiency: "sdpa" (torch SDPA flash backend: FlashAttention-2 kernels on every
architecture) or "serving" (vLLM: FlashAttention-3 on Hopper, FlashAttention-2 elsewhere).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from cosim.errors import CosimInputError
from cosim.perf.gpu.arch import decode_block_n
from cosim.perf.gpu.device import GpuView, overlap_sum
from cosim.perf.gpu.gemm import PARTIAL_BYTES, KernelTime

SPLIT_FILL_TARGET = 0.8  # FA2: no split once the CTAs fill 80 % of the SMs
SPLIT_EFFICIENCY_SLACK = 0.85  # FA2: smallest split count within 85 % of the best wave efficiency


class AttentionKernel(StrEnum):
    SDPA = "sdpa"
    SERVING = "serving"

    @classmethod
    def parse(cls, value: str | AttentionKernel) -> AttentionKernel:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise CosimInputError(f"unknown attention kernel {value!r}", field="attention_kernel",
                                  allowed=[k.value for k in cls]) from None


def attention_efficiency(gpu: GpuView, kernel: AttentionKernel | str) -> float:
    kernel = AttentionKernel.parse(kernel)
    return gpu.sdpa_attention_efficiency if kernel is AttentionKernel.SDPA else gpu.attention_efficiency


def num_kv_splits(units: int, sms: int, n_blocks: int, max_splits: int) -> int:
    """FlashAttention-2's split heuristic: enough splits to fill the SMs in near-whole waves."""
    if units >= SPLIT_FILL_TARGET * sms or n_blocks <= 1:
        return 1
    limit = min(max_splits, sms, n_blocks)

    def eligible(s: int) -> bool:  # a split that leaves the per-CTA block count unchanged is pointless
        return s == 1 or -(-n_blocks // s) != -(-n_blocks // (s - 1))

    def efficiency(s: int) -> float:
        waves = units * s / sms
        return waves / np.ceil(waves)

    effs = {s: efficiency(s) for s in range(1, limit + 1) if eligible(s)}
    best = max(effs.values())
    return min(s for s, e in effs.items() if e >= SPLIT_EFFICIENCY_SLACK * best)


def _waves_time(
    gpu: GpuView, ctas: int, cta_compute: float, cta_bytes: float, cta_l2_bytes: float = 0.0
) -> tuple[float, float, float]:
    """(compute, memory, overlapped) time of ``ctas`` equal CTAs run one per SM in waves.

    Every wave also pays one DRAM latency: a CTA must fetch its first tiles before it can compute.
    """
    sms = gpu.sm_count
    full, tail = divmod(ctas, sms)
    compute = memory = body = 0.0
    for count, active in ((full, sms), (1 if tail else 0, tail)):
        if count == 0:
            continue
        mem = active * cta_bytes / gpu.achieved_bw + active * cta_l2_bytes / gpu.l2_bw
        compute += count * cta_compute
        memory += count * mem
        body += count * (float(overlap_sum(gpu.overlap, cta_compute, mem)) + gpu.dram_latency_s)
    return compute, float(memory), body


def decode_attention_time(
    gpu: GpuView,
    *,
    batch: int,
    heads: int,
    kv_heads: int,
    head_dim: int,
    kv_len: int,
    elem_bytes: float,
    kv_bytes: float,
    peak_flops: float,
    kernel: AttentionKernel | str = AttentionKernel.SDPA,
    dram_bytes: float | None = None,
    l2_hit: float = 0.0,
) -> KernelTime:
    """One decode step of flash attention (one query token per request, ``kv_len`` keys each).

    ``l2_hit``: fraction of the KV cache already in L2 (a benchmark re-running on the same cache).
    """
    arch = gpu.arch
    group = heads // kv_heads
    rows = group  # GQA groups packed as rows; MHA: one row
    m_blocks = -(-rows // arch.decode_block_m)
    units = batch * kv_heads * m_blocks
    block_n = decode_block_n(head_dim)
    n_blocks = -(-kv_len // block_n)
    splits = num_kv_splits(units, gpu.sm_count, n_blocks, arch.max_kv_splits)
    keys_per_cta = -(-n_blocks // splits) * block_n
    keys_per_cta = min(keys_per_cta, kv_len)
    ctas = units * splits
    sm_rate = peak_flops * attention_efficiency(gpu, kernel) / gpu.sm_count
    cta_compute = 4.0 * arch.decode_block_m * keys_per_cta * head_dim / sm_rate
    kv_total = 2.0 * batch * kv_heads * kv_len * head_dim * kv_bytes
    qo = 2.0 * batch * heads * head_dim * elem_bytes
    partial = 2.0 * batch * heads * splits * (head_dim + 1) * PARTIAL_BYTES if splits > 1 else 0.0
    unique = (kv_total + qo if dram_bytes is None else dram_bytes) + partial - l2_hit * kv_total
    compute, memory, body = _waves_time(gpu, ctas, cta_compute, unique / ctas, l2_hit * kv_total / ctas)
    waves = -(-ctas // gpu.sm_count)
    overhead = gpu.kernel_gap_s + waves * gpu.dram_latency_s
    if splits > 1:  # the combine kernel: another graph node reading the partials
        overhead += gpu.kernel_gap_s + gpu.dram_latency_s
        body += gpu.dram_latency_s
    return KernelTime(np.asarray(compute), np.asarray(memory), np.asarray(overhead),
                      np.asarray(body + overhead - waves * gpu.dram_latency_s))


def causal_key_visits(q_len: int, kv_len: int, block_m: int) -> tuple[float, float]:
    """(sum, max) over query row blocks of the keys each block visits (causal, prefix = kv_len - q_len)."""
    blocks = -(-q_len // block_m)
    prefix = kv_len - q_len
    total = blocks * prefix + block_m * blocks * (blocks + 1) / 2.0 - max(0, prefix + blocks * block_m - kv_len)
    return float(total), float(min(kv_len, prefix + blocks * block_m))


def prefill_attention_time(
    gpu: GpuView,
    *,
    batch: int,
    heads: int,
    kv_heads: int,
    head_dim: int,
    q_len: int,
    kv_len: int,
    elem_bytes: float,
    kv_bytes: float,
    peak_flops: float,
    causal: bool = True,
    kernel: AttentionKernel | str = AttentionKernel.SDPA,
    dram_bytes: float | None = None,
    l2_hit: float = 0.0,
) -> KernelTime:
    """Flash attention over ``q_len`` new tokens per request attending to ``kv_len`` keys.

    ``l2_hit``: fraction of Q, K, V already in L2 (a benchmark re-running on the same inputs).
    """
    bm = gpu.arch.attn_block_m
    sms = gpu.sm_count
    if causal:
        visits, heaviest = causal_key_visits(q_len, kv_len, bm)
    else:
        blocks = -(-q_len // bm)
        visits, heaviest = float(blocks * kv_len), float(kv_len)
    sm_rate = peak_flops * attention_efficiency(gpu, kernel) / sms
    per_key = 4.0 * bm * head_dim / sm_rate
    units = batch * heads * -(-q_len // bm)
    work = batch * heads * visits * per_key
    # causal blocks differ in length and are scheduled heaviest first; equal blocks run in whole waves
    compute = max(work / sms, heaviest * per_key) if causal else float(np.ceil(units / sms)) * heaviest * per_key
    unique = dram_bytes if dram_bytes is not None else (
        2.0 * batch * q_len * heads * head_dim * elem_bytes + 2.0 * batch * kv_len * kv_heads * head_dim * kv_bytes)
    memory = (1.0 - l2_hit) * unique / gpu.achieved_bw + l2_hit * unique / gpu.l2_bw
    body = float(overlap_sum(gpu.overlap, compute, memory))
    waves = -(-units // sms)  # each wave of CTAs fills its pipeline once
    overhead = gpu.kernel_gap_s + waves * gpu.dram_latency_s
    return KernelTime(np.asarray(compute), np.asarray(memory), np.asarray(overhead), np.asarray(body + overhead))
