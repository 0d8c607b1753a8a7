"""The attention half of a decoder layer: QKV GEMM, rotary, KV-cache write, attention, output GEMM.

K and V are read from the KV cache for every key a query sees (``kv_lens`` per request), as serving
engines and static-cache eager code both do after writing the new tokens' K/V into the cache.
Flash attention reads Q, K, V and writes O once. Eager attention materializes the full ``q x kv``
score and probability matrices per head (their bytes), while its FLOPs count unmasked pairs only
(``cosim.workload.flops``); with GQA it first expands K and V to all query heads (``repeat_kv``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cosim.workload import flops as F
from cosim.workload.builder import GraphBuilder, nbytes
from cosim.workload.fusion import AttentionImpl, FusionProfile
from cosim.workload.linear import all_reduce, linear
from cosim.workload.model import PositionKind
from cosim.workload.ops import OpKind, TensorAccess
from cosim.workload.step import Step


def _part(t: TensorAccess, shape: tuple[int, ...]) -> TensorAccess:
    """A slice of a produced tensor (a view: no kernel), e.g. q out of the fused qkv output."""
    return replace(t, shape=shape, bytes=nbytes(shape, t.dtype))


def _rotary_chunk_cat(b: GraphBuilder, name: str, x: TensorAccess, heads: int) -> TensorAccess:
    """Eager ``x*cos + rotate_half(x)*sin`` where ``rotate_half = cat(-x2, x1)``: five kernels."""
    t, hd = b.ctx.tokens, b.ctx.shard.head_dim
    full, half = (t, heads, hd), (t, heads, hd // 2)
    assert b.rotary_tables is not None, "the step builder gathers cos/sin before the layers"
    cos, sin = b.rotary_tables
    n = t * heads * hd
    shape = {"tokens": t, "heads": heads, "head_dim": hd}

    def step(op: str, flops: float, reads: list[TensorAccess], out_shape: tuple[int, ...]) -> TensorAccess:
        out = b.act(f"{name}_{op}.out", out_shape)
        b.add(f"{name}_{op}", OpKind.ROTARY, flops, reads, [out], shape, attrs={"rotary_step": op})
        return out

    neg = step("neg", n // 2, [_part(x, half)], half)
    rotated = step("cat", 0, [neg, _part(x, half)], full)
    x_cos = step("mul_cos", n, [x, cos], full)
    r_sin = step("mul_sin", n, [rotated, sin], full)
    return step("add", n, [x_cos, r_sin], full)


def _write_kv(b: GraphBuilder, k: TensorAccess, v: TensorAccess, step: Step, attrs: dict) -> None:
    ctx = b.ctx
    t, s = step.tokens, ctx.shard
    shape = {"tokens": t, "kv_heads": s.kv_heads, "head_dim": s.head_dim}
    k_new, v_new = b.kv_cache("k_cache", t, ctx.k_dtype), b.kv_cache("v_cache", t, ctx.v_dtype)
    if ctx.profile.single_kv_write:
        b.add("kv_write", OpKind.KV_CACHE_WRITE, 0, [k, v], [k_new, v_new], shape, attrs=attrs)
    else:
        b.add("k_cache_write", OpKind.KV_CACHE_WRITE, 0, [k], [k_new], shape, attrs={**attrs, "copy": "k"})
        b.add("v_cache_write", OpKind.KV_CACHE_WRITE, 0, [v], [v_new], shape, attrs={**attrs, "copy": "v"})


def _attention(b: GraphBuilder, q: TensorAccess, step: Step, attrs: dict) -> TensorAccess:
    ctx = b.ctx
    s = ctx.shard
    t, hd = step.tokens, s.head_dim
    kv_tokens, pairs = step.kv_tokens, step.attention_pairs
    k_cache = b.kv_cache("k_cache", kv_tokens, ctx.k_dtype)
    v_cache = b.kv_cache("v_cache", kv_tokens, ctx.v_dtype)
    shape = {"batch": step.batch, "heads": s.heads, "kv_heads": s.kv_heads, "head_dim": hd, "q_tokens": t,
             "kv_tokens": kv_tokens, "pairs": pairs}
    out = b.act("attention.out", (t, s.heads * hd))
    matmul = F.attention_matmul_flops(pairs, s.heads, hd)
    if ctx.attention is AttentionImpl.FLASH:
        vector = F.SOFTMAX_PER_SCORE * pairs * s.heads
        if ctx.profile.rotary_in_attention and ctx.model.position is PositionKind.ROTARY:
            vector += F.ROTARY_PER_ELEMENT * t * (s.heads + s.kv_heads) * hd
        b.add("attention", OpKind.FUSED_ATTENTION, matmul, [q, k_cache, v_cache], [out], shape,
              attrs={**attrs, "vector_flops": vector, "rotary_inside": ctx.profile.rotary_in_attention})
        return out

    keys, values = k_cache, v_cache
    if s.kv_heads < s.heads:  # eager GQA: expand K/V to every query head
        group = s.heads // s.kv_heads
        keys = b.act("repeat_kv_k.out", (kv_tokens, s.heads, hd))
        values = b.act("repeat_kv_v.out", (kv_tokens, s.heads, hd))
        b.add("repeat_kv_k", OpKind.ELEMENTWISE, 0, [k_cache], [keys], shape, attrs={**attrs, "group": group})
        b.add("repeat_kv_v", OpKind.ELEMENTWISE, 0, [v_cache], [values], shape, attrs={**attrs, "group": group})
    scores_shape = (s.heads, step.materialized_scores)
    scores = b.act("attention_score.out", scores_shape)
    b.add("attention_score", OpKind.ATTENTION_SCORE, matmul / 2, [q, keys], [scores], shape, attrs=attrs)
    probs = b.act("softmax.out", scores_shape)
    b.add("softmax", OpKind.SOFTMAX, F.SOFTMAX_PER_SCORE * pairs * s.heads, [scores], [probs], shape, attrs=attrs)
    b.add("attention_context", OpKind.ATTENTION_CONTEXT, matmul / 2, [probs, values], [out], shape, attrs=attrs)
    return out


def attention_parts(step: Step, profile: FusionProfile) -> list[tuple[str, Step]]:
    """How the attention of a step is launched: one kernel for the whole batch, or, when decodes and prefill
    slices share an iteration, one for the prefill slices and one for the batch of decodes (so a mapping can
    put them on different devices). Plain PyTorch (no varlen kernel) runs one SDPA call per prefill when
    their lengths differ."""
    decodes = step.decodes
    prefill_rows = np.flatnonzero(~decodes)
    ragged = not profile.single_kv_write and prefill_rows.size > 1 and not step.select(~decodes).uniform
    if not ragged and (decodes.all() or not decodes.any()):
        return [("", step)]
    if ragged:
        index = np.arange(step.batch)
        parts = [(f"prefill{i}", step.select(index == r)) for i, r in enumerate(prefill_rows)]
    else:  # serving engines: one varlen kernel for all prefills
        parts = [("prefill", step.select(~decodes))]
    return [*parts, ("decode", step.select(decodes))] if decodes.any() else parts


def _rows(t: TensorAccess, rows: int) -> TensorAccess:
    """The first-dimension slice of a token-major tensor one part reads (a view)."""
    return t if rows == t.shape[0] else _part(t, (rows, *t.shape[1:]))


def attend_part(b: GraphBuilder, step: Step, part: str, q: TensorAccess | None = None, k: TensorAccess | None = None,
                v: TensorAccess | None = None) -> TensorAccess:
    """KV-cache writes and attention of one part; q, k, v default to fresh query/key/value activations."""
    s, rows = b.ctx.shard, step.tokens
    step = replace(step, kv_lens=b.ctx.model.attended_kv_lens(step.q_lens, step.kv_lens))  # sliding window
    q = q if q is not None else b.act("q", (rows, s.heads, s.head_dim))
    k = k if k is not None else b.act("k", (rows, s.kv_heads, s.head_dim))
    v = v if v is not None else b.act("v", (rows, s.kv_heads, s.head_dim))
    attrs = {"q_lens": step.q_lens, "kv_lens": step.kv_lens}
    if part:
        attrs["phase"] = step.phase
    with b.part(part):
        _write_kv(b, _rows(k, rows), _rows(v, rows), step, attrs)
        return _attention(b, _rows(q, rows), step, attrs)


def _attend(b: GraphBuilder, q: TensorAccess, k: TensorAccess, v: TensorAccess) -> TensorAccess:
    """KV-cache writes and attention of every part of the step (see :func:`attention_parts`)."""
    parts = attention_parts(b.ctx.step, b.ctx.profile)
    out = q
    for part, step in parts:
        out = attend_part(b, step, part, q, k, v)
    if len(parts) > 1:  # the o_proj reads the parts' outputs as one tensor
        return _part(out, (b.ctx.tokens, out.shape[1]))
    return out


def attention_block(b: GraphBuilder, x: TensorAccess) -> TensorAccess:
    """From the normalized hidden state to the attention output projection (all-reduced if tp > 1)."""
    ctx = b.ctx
    t, s, d = ctx.tokens, ctx.shard, ctx.shard.hidden
    qkv = linear(b, "qkv_proj", x, d, s.q_size + 2 * s.kv_size, bias=ctx.model.qkv_bias)
    q = _part(qkv, (t, s.heads, s.head_dim))
    k = _part(qkv, (t, s.kv_heads, s.head_dim))
    v = _part(qkv, (t, s.kv_heads, s.head_dim))
    if ctx.model.qk_norm:  # Qwen3: per-head RMSNorm of q and k, before rotary
        from cosim.workload.norms import qk_norm

        q, k = qk_norm(b, q, k)
    if ctx.model.position is PositionKind.ROTARY and ctx.profile.rotary_chunk_cat:
        q = _rotary_chunk_cat(b, "rope_q", q, s.heads)
        k = _rotary_chunk_cat(b, "rope_k", k, s.kv_heads)
    attn = _attend(b, q, k, v)
    out = linear(b, "o_proj", attn, s.q_size, d, bias=ctx.model.o_bias)
    return all_reduce(b, "attn_all_reduce", out) if ctx.tp > 1 else out

