"""Flash attention over requests of different lengths in one launch (vLLM's varlen / paged kernels).

The equal-length formulas of :mod:`cosim.perf.gpu.attention` price every CTA like the batch's one request;
here each CTA does its own request's work. FlashAttention-2's varlen API picks the KV split count from the
batch's *longest* request (``max_seqlen_k``), so every request is cut into chunks of the same key count and a
short request's later chunks are empty CTAs. CTAs are handed to the SMs longest first, so a wave takes as
long as its longest CTA and the kernel as long as the sum of its waves (the equal-length formula prices every
CTA as a full chunk, so it bounds this one from above for equal requests). Prefill chunks of different
lengths are timed like causal row blocks of unequal length: the longer of the average SM load and the
heaviest row block.
Batches of equal requests never come here: the caller uses the equal-length formulas, exactly as before.
"""

from __future__ import annotations

import numpy as np

from cosim.perf.gpu.arch import decode_block_n
from cosim.perf.gpu.attention import (
    AttentionKernel,
    attention_efficiency,
    causal_key_visits,
    decode_split_limit,
    swapped_layout_copies_s,
)
from cosim.perf.gpu.device import GpuView, overlap_sum
from cosim.perf.gpu.gemm import PARTIAL_BYTES, KernelTime


def wave_time_units(work: np.ndarray, copies: int, slots: int) -> float:
    """Sum over waves of the longest CTA of each wave: ``copies`` CTAs of each ``work`` entry, longest first."""
    order = np.sort(work)[::-1]
    firsts = np.arange(0, order.size * copies, slots) // copies  # index into ``order`` of each wave's first CTA
    return float(order[firsts].sum())


def split_wave_keys(kv_lens: np.ndarray, splits: np.ndarray, chunk: np.ndarray, copies: int, slots: int
                    ) -> np.ndarray:
    """:func:`wave_time_units` of the split CTAs for every split count (last axis of ``chunk``) at once;
    ``kv_lens`` may carry leading axes (steps of a decode run), ``chunk`` the same ones plus the split axis.

    With ``s`` splits of ``chunk`` keys, request ``r`` has ``kv_r // chunk`` full CTAs, one with the remainder
    and empty ones after: sorted longest first, the full chunks come first, then the remainders, then zeros.
    """
    kv = kv_lens[..., None, :]
    c = chunk[..., :, None]
    n = kv_lens.shape[-1]
    full = np.minimum(kv // c, splits[:, None])
    remainder = -np.sort(-np.where(full < splits[:, None], kv - full * c, 0), axis=-1)
    n_full = full.sum(axis=-1)
    waves = -(-n * splits * copies // slots)
    first = (np.arange(int(waves.max()), dtype=np.int64) * slots) // copies  # work index of each wave's first CTA
    beyond = first - n_full[..., None]
    rem = np.take_along_axis(remainder, np.clip(beyond, 0, n - 1), axis=-1)
    value = np.where(beyond < 0, chunk[..., None], np.where(beyond < n, rem, 0))
    value = np.where(np.arange(first.size) < waves[:, None], value, 0)
    return value.sum(axis=-1).astype(float)


def _decode_geometry(gpu: GpuView, heads: int, kv_heads: int, head_dim: int, peak_flops: float,
                     kernel: AttentionKernel | str) -> tuple[int, float]:
    """(CTAs of one request before its keys are split, seconds one CTA spends per key) of a decode launch:
    GQA groups packed as rows of ``decode_block_m``-row CTAs, one CTA's share of the SMs' attention rate."""
    per_request = kv_heads * -(-(heads // kv_heads) // gpu.arch.decode_block_m)
    sm_rate = peak_flops * attention_efficiency(gpu, kernel) / gpu.sm_count
    return per_request, 4.0 * gpu.arch.decode_block_m * head_dim / sm_rate


def decode_attention_varlen_time(
    gpu: GpuView,
    *,
    kv_lens: np.ndarray,
    heads: int,
    kv_heads: int,
    head_dim: int,
    elem_bytes: float,
    kv_bytes: float,
    peak_flops: float,
    kernel: AttentionKernel | str = AttentionKernel.SDPA,
    dram_bytes: float | None = None,
) -> KernelTime:
    """One decode step (one query token per request) over requests with their own KV lengths."""
    kv_lens = np.asarray(kv_lens, dtype=np.int64)
    per_request, _ = _decode_geometry(gpu, heads, kv_heads, head_dim, peak_flops, kernel)
    if decode_split_limit(gpu, kernel, units=kv_lens.size * per_request, group=heads // kv_heads) == 1:
        return _unsplit_decode(gpu, kv_lens, heads=heads, kv_heads=kv_heads, head_dim=head_dim,
                               elem_bytes=elem_bytes, kv_bytes=kv_bytes, peak_flops=peak_flops, kernel=kernel,
                               dram_bytes=dram_bytes)
    dram = None if dram_bytes is None else np.array([dram_bytes], dtype=float)
    t = decode_attention_varlen_steps(gpu, kv_lens=kv_lens[None, :], heads=heads, kv_heads=kv_heads,
                                      head_dim=head_dim, elem_bytes=elem_bytes, kv_bytes=kv_bytes,
                                      peak_flops=peak_flops, kernel=kernel, dram_bytes=dram)
    return KernelTime(*(np.asarray(float(x[0])) for x in (t.compute_s, t.memory_s, t.overhead_s, t.latency_s)))


def _unsplit_decode(gpu: GpuView, kv_lens: np.ndarray, *, heads: int, kv_heads: int, head_dim: int,
                    elem_bytes: float, kv_bytes: float, peak_flops: float, kernel: AttentionKernel | str,
                    dram_bytes: float | None) -> KernelTime:
    """:func:`decode_attention_varlen_steps` of one batch whose CTAs cannot split their keys (the one-split
    case of the same formula, without the split axis: every CTA holds one request's keys)."""
    batch = int(kv_lens.size)
    per_request, per_key = _decode_geometry(gpu, heads, kv_heads, head_dim, peak_flops, kernel)
    compute = wave_time_units(kv_lens.astype(float), per_request, gpu.sm_count) * per_key
    unique = (2.0 * float(kv_lens.sum()) * kv_heads * head_dim * kv_bytes + 2.0 * batch * heads * head_dim
              * elem_bytes) if dram_bytes is None else float(dram_bytes)
    memory = unique / gpu.achieved_bw
    fill = -(-batch * per_request // gpu.sm_count) * gpu.dram_latency_s
    total = float(overlap_sum(gpu.attn_overlap, compute, memory)) + fill
    copies = swapped_layout_copies_s(gpu, kernel, batch=batch, heads=heads, kv_heads=kv_heads, head_dim=head_dim,
                                     elem_bytes=elem_bytes)
    return KernelTime(np.asarray(compute), np.asarray(memory), np.asarray(gpu.kernel_gap_s + fill + copies),
                      np.asarray(total + gpu.kernel_gap_s + copies))


def decode_attention_varlen_steps(
    gpu: GpuView,
    *,
    kv_lens: np.ndarray,
    heads: int,
    kv_heads: int,
    head_dim: int,
    elem_bytes: float,
    kv_bytes: float,
    peak_flops: float,
    kernel: AttentionKernel | str = AttentionKernel.SDPA,
    dram_bytes: np.ndarray | None = None,
) -> KernelTime:
    """:func:`decode_attention_varlen_time` of several batches of the same size at once: ``kv_lens`` is
    (batches, requests), ``dram_bytes`` one value per batch; each result field has one value per batch."""
    kv_lens = np.asarray(kv_lens, dtype=np.int64)
    batch = int(kv_lens.shape[-1])
    per_request, per_key = _decode_geometry(gpu, heads, kv_heads, head_dim, peak_flops, kernel)
    units = batch * per_request
    block_n = decode_block_n(head_dim)
    n_blocks_max = -(-kv_lens.max(axis=-1) // block_n)
    limit = decode_split_limit(gpu, kernel, units=units, group=heads // kv_heads)
    kv_total = 2.0 * kv_lens.sum(axis=-1).astype(float) * kv_heads * head_dim * kv_bytes
    qo = 2.0 * batch * heads * head_dim * elem_bytes
    splits = np.arange(1, limit + 1, dtype=np.int64)
    waves = -(-units * splits // gpu.sm_count)
    chunk = -(-n_blocks_max[:, None] // splits) * block_n
    compute = split_wave_keys(kv_lens, splits, chunk, per_request, gpu.sm_count) * per_key
    partial = np.where(splits > 1, 2.0 * batch * heads * splits * (head_dim + 1) * PARTIAL_BYTES, 0.0)
    unique = kv_total + qo if dram_bytes is None else np.asarray(dram_bytes, dtype=float)
    memory = (unique[:, None] + partial) / gpu.achieved_bw
    fill = waves * gpu.dram_latency_s
    combine = np.where(splits > 1, gpu.kernel_gap_s + gpu.dram_latency_s, 0.0)
    totals = overlap_sum(gpu.attn_overlap, compute, memory) + fill + combine
    best = np.argmin(totals, axis=-1)  # the fewest splits among equally fast counts
    rows = np.arange(kv_lens.shape[0])
    copies = swapped_layout_copies_s(gpu, kernel, batch=batch, heads=heads, kv_heads=kv_heads, head_dim=head_dim,
                                     elem_bytes=elem_bytes)
    overhead = gpu.kernel_gap_s + fill[best] + combine[best] + copies
    return KernelTime(compute[rows, best], memory[rows, best], overhead,
                      totals[rows, best] + gpu.kernel_gap_s + copies)


def prefill_attention_varlen_time(
    gpu: GpuView,
    *,
    q_lens: np.ndarray,
    kv_lens: np.ndarray,
    heads: int,
    kv_heads: int,
    head_dim: int,
    elem_bytes: float,
    kv_bytes: float,
    peak_flops: float,
    kernel: AttentionKernel | str = AttentionKernel.SDPA,
    dram_bytes: float | None = None,
) -> KernelTime:
    """Causal flash attention of prefill slices with their own query and KV lengths, in one launch."""
    bm = gpu.arch.attn_block_m
    sms = gpu.sm_count
    group = heads // kv_heads
    serving = AttentionKernel.parse(kernel) is AttentionKernel.SERVING
    sm_rate = peak_flops * attention_efficiency(gpu, kernel) / sms
    per_key = 4.0 * bm * head_dim / sm_rate
    work = heaviest = 0.0
    units = 0
    for q, kv in zip(np.asarray(q_lens).tolist(), np.asarray(kv_lens).tolist(), strict=True):
        pack = serving and group > 1 and q < bm  # FA3 packs a GQA group's rows when the queries are few
        rows, row_heads = (q * group, kv_heads) if pack else (q, heads)
        blocks = -(-rows // bm)
        if pack:
            visits, top = float(blocks * kv), float(kv)
        else:
            visits, top = causal_key_visits(q, kv, bm)
        work += row_heads * visits
        heaviest = max(heaviest, top)
        units += row_heads * blocks
    compute = max(work / sms, heaviest) * per_key
    unique = dram_bytes if dram_bytes is not None else (
        2.0 * float(np.sum(q_lens)) * heads * head_dim * elem_bytes
        + 2.0 * float(np.sum(kv_lens)) * kv_heads * head_dim * kv_bytes)
    memory = unique / gpu.achieved_bw
    body = float(overlap_sum(gpu.attn_overlap, compute, memory))
    overhead = gpu.kernel_gap_s + (-(-units // sms)) * gpu.dram_latency_s
    return KernelTime(np.asarray(compute), np.asarray(memory), np.asarray(overhead), np.asarray(body + overhead))
