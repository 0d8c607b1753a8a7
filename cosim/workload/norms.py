"""Normalization and residual-add operators.

RMSNorm in the unfused profile follows the eager Hugging Face code kernel by kernel, in fp32:
``x.to(fp32)``, ``pow(2)``, ``mean(-1)``, ``+ eps``, ``rsqrt``, ``x * rsqrt``, ``.to(dtype)``,
``weight * x``. LayerNorm is ONE kernel in both profiles, because eager PyTorch calls the single
``layer_norm`` kernel too (``nn.LayerNorm``); its FLOPs use ``LAYERNORM_PER_ELEMENT``.
"""

from __future__ import annotations

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
        return _rmsnorm_fp32_chain(b, name, x), x
    out = b.act(f"{name}.out", (t, d))
    b.add(name, OpKind.NORM, per_el * t * d, [x, *_norm_weights(b, name)], [out], shape)
    return out, x


def _rmsnorm_fp32_chain(b: GraphBuilder, name: str, x: TensorAccess) -> TensorAccess:
    t, d = b.ctx.tokens, b.ctx.shard.hidden
    fp32 = DType.FP32
    full = {"tokens": t, "hidden": d}

    def step(op: str, kind_flops: float, reads: list[TensorAccess], out_shape: tuple[int, ...],
             out_dtype: DType) -> TensorAccess:
        out = b.act(f"{name}.{op}.out", out_shape, out_dtype)
        b.add(f"{name}.{op}", OpKind.NORM, kind_flops, reads, [out], full, dtype=out_dtype,
              attrs={"norm_step": op})
        return out

    x32 = step("to_fp32", 0, [x], (t, d), fp32)
    sq = step("pow", t * d, [x32], (t, d), fp32)
    mean = step("mean", t * d, [sq], (t, 1), fp32)
    var_eps = step("add_eps", t, [mean], (t, 1), fp32)
    inv = step("rsqrt", t, [var_eps], (t, 1), fp32)
    scaled = step("mul", t * d, [x32, inv], (t, d), fp32)
    back = step("to_dtype", 0, [scaled], (t, d), b.ctx.dtype)
    return step("mul_weight", t * d, [back, *_norm_weights(b, name)], (t, d), b.ctx.dtype)


def residual_add(b: GraphBuilder, name: str, x: TensorAccess, residual: TensorAccess) -> TensorAccess:
    t, d = b.ctx.tokens, b.ctx.shard.hidden
    out = b.act(f"{name}.out", (t, d))
    b.add(name, OpKind.RESIDUAL_ADD, F.RESIDUAL_ADD_PER_ELEMENT * t * d, [x, residual], [out],
          {"tokens": t, "hidden": d})
    return out
