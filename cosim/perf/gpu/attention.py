"""Flash-attention time: causal prefill over row blocks, and split-KV decode (FlashDecoding).

Prefill: each CTA owns ``attn_block_m`` query rows of one (request, head) and walks the keys it may
see (causal: up to its last row), so row blocks differ in work; blocks are scheduled heaviest first,
and the kernel takes the longer of the average SM load and the heaviest block. Q, K, V and O cross
HBM once; the per-block K/V re-reads are hidden in the pipelined main loop (part of its efficiency).

Decode (one query token per request): the KV cache is streamed once per KV head. With GQA the query
heads of a group are packed as rows of one CTA (FlashAttention-2 swaps ``seqlen_q`` and the group),
so a CTA reads its KV head once. When (requests x KV heads) do not fill the SMs, the keys are split
over several CTAs (as FlashAttention-2 does in torch SDPA's flash backend and in vLLM: no split once
the CTAs fill 80 % of the SMs, else the split count that fills whole waves best, taken here as the
fastest candidate) and a second kernel combines the fp32 partial outputs; vLLM's FlashAttention-2 varlen
path (Ampere) splits only GQA decode, so MHA decode there runs one CTA per (request, head) over all keys.
That path swaps the GQA group into the query rows with two layout reshapes, which are copy kernels
of their own whenever there is more than one request and more than one KV head.
Each CTA computes on a padded row block, which on tensor cores costs real time for MHA decode. Flash
kernels keep several tiles in flight per SM (cp.async / TMA pipelines), so unlike simple elementwise
kernels they are not limited by per-SM bandwidth, and they overlap compute with memory better than a
GEMM (their own fitted ``attention_overlap``); each wave pays one DRAM latency to fill its pipeline.

``kernel`` selects the efficiency: "sdpa" (torch SDPA flash backend: FlashAttention-2 kernels on every
architecture) or "serving" (vLLM: FlashAttention-3 on Hopper, FlashAttention-2 elsewhere).

FlashAttention-2's prefill kernel for head_dim 128 (``Flash_fwd_kernel_traits<128, 128, 64, 4>`` on sm80/sm90)
runs 4-warp CTAs on a grid (query block, batch, head) with no persistent scheduler: two CTAs share an SM
(register file), each at half its rate, and the hardware hands out CTAs in grid order, so a causal grid
ends with the heaviest row blocks of the last heads. When there are more CTAs than SMs the "sdpa" prefill
is therefore timed by list-scheduling the CTAs in grid order on two half-speed slots per SM (its tail is
what a batch-1 prefill sees); with at most one CTA per SM each runs alone at the full rate.
"""

from __future__ import annotations

import heapq
from enum import StrEnum
from functools import lru_cache

import numpy as np

from cosim.errors import CosimInputError
from cosim.perf.gpu.arch import decode_block_n
from cosim.perf.gpu.device import GpuView, overlap_sum
from cosim.perf.gpu.gemm import PARTIAL_BYTES, KernelTime
from cosim.perf.gpu.memory_bound import streaming_time

SPLIT_FILL_TARGET = 0.8  # FA2: no split once the CTAs fill 80 % of the SMs
FA2_CTAS_PER_SM = 2  # FA2 forward hdim 128 (4 warps, 64 KB smem): two CTAs resident per SM (register file)


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


# FlashAttention-2's varlen API (flash_api.cpp mha_varlen_fwd, seqlenq_ngroups_swapped) runs GQA decode with the
# group swapped into the query rows: q (b, kv_heads, group, d) is transposed and reshaped to (b * group, kv_heads,
# d) before the kernel, and the output reshaped back after it. torch can only VIEW that when batch is 1 or there
# is one KV head; otherwise each reshape is a copy kernel of its own.
SWAP_LAYOUT_COPIES = 2  # q before the kernel, out after it


def swapped_layout_copies_s(gpu: GpuView, kernel: AttentionKernel | str, *, batch: int, heads: int, kv_heads: int,
                            head_dim: int, elem_bytes: float) -> float:
    """Time of the q / out layout copies around a swapped GQA decode (0 when torch can view instead)."""
    swapped = (gpu.arch.serving_splits_only_gqa and AttentionKernel.parse(kernel) is AttentionKernel.SERVING
               and heads > kv_heads)
    if not swapped or batch == 1 or kv_heads == 1:
        return 0.0
    moved = 2.0 * batch * heads * head_dim * elem_bytes  # read and write one q (or out) tensor
    copy = streaming_time(gpu, moved, 0.0, 1.0)  # pure data movement: no arithmetic, so any vector peak
    return SWAP_LAYOUT_COPIES * float(copy.latency_s)


def decode_split_limit(gpu: GpuView, kernel: AttentionKernel | str, *, units: int, group: int) -> int:
    """Most KV splits a decode launch may use: 1 when its CTAs already fill the SMs (FlashAttention-2), or for
    MHA on vLLM's FA2 varlen path (Ampere: splits only GQA decode)."""
    no_split = units >= SPLIT_FILL_TARGET * gpu.sm_count or (
        gpu.arch.serving_splits_only_gqa and group == 1 and AttentionKernel.parse(kernel) is AttentionKernel.SERVING)
    return 1 if no_split else min(gpu.arch.max_kv_splits, gpu.sm_count)


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
    paged: bool = False,
) -> KernelTime:
    """One decode step of flash attention (one query token per request, ``kv_len`` keys each).

    ``l2_hit``: fraction of the KV cache already in L2 (a benchmark re-running on the same cache).
    ``paged``: the cache is paged (vLLM), so a CTA first reads its block table, then the keys: two
    dependent DRAM round trips before it can compute instead of one (torch SDPA: contiguous).
    """
    arch = gpu.arch
    group = heads // kv_heads
    rows = group  # GQA groups packed as rows; MHA: one row
    m_blocks = -(-rows // arch.decode_block_m)
    units = batch * kv_heads * m_blocks
    block_n = decode_block_n(head_dim)
    n_blocks = -(-kv_len // block_n)
    # FlashAttention-2 splits only when the CTAs do not fill the SMs; its split count aims at the
    # fastest whole-wave fill, which we take as the best of the candidate counts (keeps time monotone)
    limit = decode_split_limit(gpu, kernel, units=units, group=group)
    splits = np.arange(1, limit + 1, dtype=float)
    ctas = units * splits
    waves = np.ceil(ctas / gpu.sm_count)
    keys_per_cta = np.minimum(np.ceil(n_blocks / splits) * block_n, kv_len)
    sm_rate = peak_flops * attention_efficiency(gpu, kernel) / gpu.sm_count
    compute = waves * 4.0 * arch.decode_block_m * keys_per_cta * head_dim / sm_rate
    kv_total = 2.0 * batch * kv_heads * kv_len * head_dim * kv_bytes
    qo = 2.0 * batch * heads * head_dim * elem_bytes
    partial = np.where(splits > 1, 2.0 * batch * heads * splits * (head_dim + 1) * PARTIAL_BYTES, 0.0)
    unique = (kv_total + qo if dram_bytes is None else dram_bytes) + partial - l2_hit * kv_total
    memory = unique / gpu.achieved_bw + l2_hit * kv_total / gpu.l2_bw
    fill = waves * gpu.dram_latency_s * (2.0 if paged else 1.0)
    combine = np.where(splits > 1, gpu.kernel_gap_s + gpu.dram_latency_s, 0.0)  # second kernel: merge partials
    total = overlap_sum(gpu.attn_overlap, compute, memory) + fill + combine
    best = int(np.argmin(total))
    compute, memory = float(compute[best]), float(memory[best])
    copies = swapped_layout_copies_s(gpu, kernel, batch=batch, heads=heads, kv_heads=kv_heads, head_dim=head_dim,
                                     elem_bytes=elem_bytes)
    overhead = gpu.kernel_gap_s + float(fill[best] + combine[best]) + copies
    body = float(total[best])
    return KernelTime(np.asarray(compute), np.asarray(memory), np.asarray(overhead),
                      np.asarray(body + gpu.kernel_gap_s + copies))


def causal_key_visits(q_len: int, kv_len: int, block_m: int) -> tuple[float, float]:
    """(sum, max) over query row blocks of the keys each block visits (causal, prefix = kv_len - q_len)."""
    blocks = -(-q_len // block_m)
    prefix = kv_len - q_len
    total = blocks * prefix + block_m * blocks * (blocks + 1) / 2.0 - max(0, prefix + blocks * block_m - kv_len)
    return float(total), float(min(kv_len, prefix + blocks * block_m))


def causal_row_visits(q_len: int, kv_len: int, block_m: int) -> tuple[int, ...]:
    """Keys each causal query row block visits, in grid order (block 0 first; prefix = kv_len - q_len)."""
    prefix = kv_len - q_len
    return tuple(min(kv_len, prefix + (m + 1) * block_m) for m in range(-(-q_len // block_m)))


@lru_cache(maxsize=4096)
def grid_order_makespan(row_visits: tuple[int, ...], repeats: int, slots: int) -> float:
    """Key-visits of the last CTA to finish when ``repeats`` copies of ``row_visits`` (grid order: query block
    fastest) are handed, in order, to whichever of ``slots`` equal slots frees first."""
    free = [0.0] * slots
    end = 0.0
    for _ in range(repeats):
        for visits in row_visits:
            done = heapq.heappop(free) + visits
            end = max(end, done)
            heapq.heappush(free, done)
    return end


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
    paged: bool = False,
) -> KernelTime:
    """Flash attention over ``q_len`` new tokens per request attending to ``kv_len`` keys.

    ``l2_hit``: fraction of Q, K, V already in L2 (a benchmark re-running on the same inputs);
    ``paged``: K/V come through a block table (one more dependent DRAM round trip per CTA).
    """
    bm = gpu.arch.attn_block_m
    sms = gpu.sm_count
    group = heads // kv_heads
    # serving kernels (FlashAttention-3) pack a GQA group's heads into one row block when the queries
    # are fewer than a block; FlashAttention-2 (SDPA) gives every query head its own blocks
    pack = AttentionKernel.parse(kernel) is AttentionKernel.SERVING and group > 1 and q_len < bm
    rows, row_heads = (q_len * group, kv_heads) if pack else (q_len, heads)
    if causal and not pack:
        visits, heaviest = causal_key_visits(q_len, kv_len, bm)
    else:
        blocks = -(-rows // bm)
        visits, heaviest = float(blocks * kv_len), float(kv_len)
    sm_rate = peak_flops * attention_efficiency(gpu, kernel) / sms
    per_key = 4.0 * bm * head_dim / sm_rate
    units = batch * row_heads * -(-rows // bm)
    work = batch * row_heads * visits * per_key
    # causal blocks differ in length and are scheduled heaviest first; equal blocks run in whole waves
    ragged = causal and not pack
    compute = max(work / sms, heaviest * per_key) if ragged else float(np.ceil(units / sms)) * heaviest * per_key
    if ragged and AttentionKernel.parse(kernel) is AttentionKernel.SDPA and units > sms:
        # FlashAttention-2 grid: two CTAs per SM at half rate each, handed out in grid order
        rows_visits = causal_row_visits(q_len, kv_len, bm)
        slots = FA2_CTAS_PER_SM * sms
        compute = FA2_CTAS_PER_SM * per_key * grid_order_makespan(rows_visits, batch * row_heads, slots)
    unique = dram_bytes if dram_bytes is not None else (
        2.0 * batch * q_len * heads * head_dim * elem_bytes + 2.0 * batch * kv_len * kv_heads * head_dim * kv_bytes)
    memory = (1.0 - l2_hit) * unique / gpu.achieved_bw + l2_hit * unique / gpu.l2_bw
    body = float(overlap_sum(gpu.attn_overlap, compute, memory))
    waves = -(-units // sms)  # each wave of CTAs fills its pipeline once
    overhead = gpu.kernel_gap_s + waves * gpu.dram_latency_s * (2.0 if paged else 1.0)
    return KernelTime(np.asarray(compute), np.asarray(memory), np.asarray(overhead), np.asarray(body + overhead))
