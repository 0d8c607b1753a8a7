"""Normalization and residual-add operators.

RMSNorm in the unfused profile follows the eager Hugging Face code kernel by kernel, in fp32:
``x.to(fp32)``, ``pow(2)``, ``mean(-1)``, ``+ eps``, ``rsqrt``, ``x * rsqrt``, ``.to(dtype)``,
``weight * x``. LayerNorm is ONE kernel in both profiles, because eager PyTorch calls the single
``layer_norm`` kernel too (``nn.LayerNorm``); its FLOPs use ``LAYERNORM_PER_ELEMENT``.

Qwen3's q/k norm is the same RMSNorm over each head's ``head_dim`` values (one weight vector per
projection, shared by its heads): vLLM runs one ``rms_norm`` kernel on q and one on k, eager code
the fp32 chain over ``tokens x heads`` rows.
"""

from __future__ import annotations

import math

from cosim.workload import flops as F
from cosim.workload.builder import GraphBuilder
from cosim.workload.dtypes import DType
from cosim.workload.model import NormKind
from cosim.workload.ops import OpKind, TensorAccess


def _norm_weights(b: GraphBuilder, name: str) -> list[TensorAccess]:
    d = b.ctx.shard.hidden
    # norm weights and biases stay in the activation dtype even when GEMM weights are quantized
    out = [b.weight(f"{name}.weight", (d,), dtype=b.ctx.dtype)]
    if b.ctx.model.norm is NormKind.LAYERNORM:
        out.append(b.weight(f"{name}.bias", (d,), dtype=b.ctx.dtype))
    return out


def norm(b: GraphBuilder, name: str, x: TensorAccess, residual: TensorAccess | None = None
         ) -> tuple[TensorAccess, TensorAccess]:
    """Normalize ``x`` (adding ``residual`` first when given; fused profile only).

    Returns ``(normalized, new_residual)``: with a residual, the new residual is ``x + residual``;
    without one, it is ``x`` itself.
    """
    ctx = b.ctx
    t, d = ctx.tokens, ctx.shard.hidden
    shape = {"tokens": t, "hidden": d}
    per_el = F.norm_flops_per_element(ctx.model.norm)
    if residual is not None:
        out, res = b.act(f"{name}.out", (t, d)), b.act(f"{name}.residual", (t, d))
        b.add(name, OpKind.NORM, (per_el + F.RESIDUAL_ADD_PER_ELEMENT) * t * d,
              [x, residual, *_norm_weights(b, name)], [out, res], shape, attrs={"fused_residual_add": True})
        return out, res
    if ctx.model.norm is NormKind.RMSNORM and ctx.profile.rmsnorm_fp32_chain:
        return _rmsnorm_fp32_chain(b, name, x, (t, d), _norm_weights(b, name), shape), x
    out = b.act(f"{name}.out", (t, d))
    b.add(name, OpKind.NORM, per_el * t * d, [x, *_norm_weights(b, name)], [out], shape)
    return out, x


def qk_norm(b: GraphBuilder, q: TensorAccess, k: TensorAccess) -> tuple[TensorAccess, TensorAccess]:
    """Qwen3's RMSNorm over ``head_dim`` of every q head and every k head (after QKV, before rotary)."""
    s = b.ctx.shard
    return _head_norm(b, "q_norm", q, s.heads), _head_norm(b, "k_norm", k, s.kv_heads)


def _head_norm(b: GraphBuilder, name: str, x: TensorAccess, heads: int) -> TensorAccess:
    t, hd = b.ctx.tokens, b.ctx.shard.head_dim
    full = (t, heads, hd)
    shape = {"tokens": t, "heads": heads, "head_dim": hd}
    weights = [b.weight(f"{name}.weight", (hd,), dtype=b.ctx.dtype)]  # stays in the activation dtype
    if b.ctx.profile.rmsnorm_fp32_chain:
        return _rmsnorm_fp32_chain(b, name, x, full, weights, shape)
    out = b.act(f"{name}.out", full)
    b.add(name, OpKind.NORM, F.RMSNORM_PER_ELEMENT * math.prod(full), [x, *weights], [out], shape)
    return out


def _rmsnorm_fp32_chain(b: GraphBuilder, name: str, x: TensorAccess, full: tuple[int, ...],
                        weights: list[TensorAccess], shape: dict[str, int]) -> TensorAccess:
    """Eager RMSNorm over the last axis of ``full`` (one mean and rsqrt per row), kernel by kernel."""
    fp32 = DType.FP32
    rows = (*full[:-1], 1)
    n, r = math.prod(full), math.prod(rows)

    def step(op: str, kind_flops: float, reads: list[TensorAccess], out_shape: tuple[int, ...],
             out_dtype: DType) -> TensorAccess:
        out = b.act(f"{name}.{op}.out", out_shape, out_dtype)
        b.add(f"{name}.{op}", OpKind.NORM, kind_flops, reads, [out], shape, dtype=out_dtype,
              attrs={"norm_step": op})
        return out

    x32 = step("to_fp32", 0, [x], full, fp32)
    sq = step("pow", n, [x32], full, fp32)
    mean = step("mean", n, [sq], rows, fp32)
    var_eps = step("add_eps", r, [mean], rows, fp32)
    inv = step("rsqrt", r, [var_eps], rows, fp32)
    scaled = step("mul", n, [x32, inv], full, fp32)
    back = step("to_dtype", 0, [scaled], full, b.ctx.dtype)
    return step("mul_weight", n, [back, *weights], full, b.ctx.dtype)


def residual_add(b: GraphBuilder, name: str, x: TensorAccess, residual: TensorAccess) -> TensorAccess:
    t, d = b.ctx.tokens, b.ctx.shard.hidden
    out = b.act(f"{name}.out", (t, d))
    b.add(name, OpKind.RESIDUAL_ADD, F.RESIDUAL_ADD_PER_ELEMENT * t * d, [x, residual], [out],
          {"tokens": t, "hidden": d})
    return out
