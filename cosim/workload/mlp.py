"""The feed-forward half of a decoder layer: dense MLP (gated or standard) or mixture of experts.

MoE expert weight traffic assumes uniform routing: each token picks ``k`` distinct experts out of
``E``, so an expert is untouched by one token with probability ``1 - k/E`` and by all ``T`` tokens
of the step with probability ``(1 - k/E)^T``. The expected number of experts whose weights must be
read is ``E * (1 - (1 - k/E)^T)`` (decode with a small batch reads few experts; large prefill reads
all of them). The footprint is always all experts.

Expert parallelism (``ctx.shard.ep > 1``; vLLM ``--data-parallel-size N --enable-expert-parallel``, EP size
``dp x tp``): the experts are spread whole over the ``ep`` ranks (``local_experts`` each, full width) and the
token-expert pairs travel to the rank of their expert and back. One rank's share of the lockstep iteration
is ``ep_tokens / ep`` tokens (``ep_tokens``: the tokens of all replicas in the iteration; the ``tp`` ranks of
a replica each dispatch ``1/tp`` of its tokens, as vLLM's all-to-all backends do with sequence-parallel MoE):

* ``moe_dispatch`` (ALL_TO_ALL over ``ep`` ranks): the rank's ``ep_tokens / ep * top_k`` rows of ``hidden``
  go to the ranks of their experts; (ep-1)/ep of them leave the rank (uniform routing);
* ``experts``: this rank's ``local_experts`` run the pairs routed to them from every rank, in expectation
  ``ep_tokens * top_k / ep`` (the ``ep`` ranks' expert FLOPs add up to the global ones); the weights read are
  the local experts any of the ``ep_tokens`` tokens selects, ``local * (1 - (1 - k/E)^ep_tokens)``;
* ``moe_combine`` (ALL_TO_ALL): the expert outputs back to their tokens' ranks (same bytes), weighted sum;
* with ``tp > 1``, an all-gather over the tp group restores the replica's full (replicated) hidden states,
  in place of the TP all-reduce of the TP-split experts.
"""

from __future__ import annotations

import math

from cosim.workload import flops as F
from cosim.workload.builder import GraphBuilder, nbytes
from cosim.workload.dtypes import DType
from cosim.workload.linear import all_reduce, linear
from cosim.workload.model import MlpKind
from cosim.workload.ops import OpKind, TensorAccess, TensorClass


def expected_experts_touched(num_experts: int, top_k: int, tokens: int) -> float:
    """Expected number of distinct experts ``tokens`` uniformly routed tokens select (``top_k`` each)."""
    return num_experts * (1.0 - (1.0 - top_k / num_experts) ** tokens)


def _activation(b: GraphBuilder, h: TensorAccess, ffn: int) -> TensorAccess:
    ctx = b.ctx
    t = ctx.tokens
    act_flops = F.ACTIVATION_PER_ELEMENT[ctx.model.activation]
    shape = {"tokens": t, "ffn": ffn}
    if ctx.model.mlp is MlpKind.STANDARD:
        out = b.act("act.out", (t, ffn))
        b.add("act", OpKind.ELEMENTWISE, act_flops * t * ffn, [h], [out], shape,
              attrs={"activation": ctx.model.activation.value})
        return out
    gate = TensorAccess(h.name, h.cls, h.dtype, (t, ffn), nbytes((t, ffn), h.dtype))
    up = gate  # the other half of the same gate_up output
    if ctx.profile.fused_gate_act:
        out = b.act("act.out", (t, ffn))
        fused_flops = (act_flops + F.GATE_MULTIPLY_PER_ELEMENT) * t * ffn
        b.add("act", OpKind.ELEMENTWISE, fused_flops, [h], [out], shape,
              attrs={"activation": ctx.model.activation.value, "fused_multiply": True})
        return out
    activated = b.act("act.out", (t, ffn))
    b.add("act", OpKind.ELEMENTWISE, act_flops * t * ffn, [gate], [activated], shape,
          attrs={"activation": ctx.model.activation.value})
    out = b.act("mul.out", (t, ffn))
    b.add("mul", OpKind.ELEMENTWISE, F.GATE_MULTIPLY_PER_ELEMENT * t * ffn, [activated, up], [out], shape)
    return out


def dense_mlp(b: GraphBuilder, x: TensorAccess) -> TensorAccess:
    ctx = b.ctx
    d, ffn, bias = ctx.shard.hidden, ctx.shard.ffn, ctx.model.mlp_bias
    if ctx.model.mlp is MlpKind.GATED:
        h = linear(b, "gate_up_proj", x, d, 2 * ffn, bias=bias)
    else:
        h = linear(b, "up_proj", x, d, ffn, bias=bias)
    h = _activation(b, h, ffn)
    out = linear(b, "down_proj", h, ffn, d, bias=bias)
    return all_reduce(b, "mlp_all_reduce", out) if ctx.tp > 1 else out


def moe_mlp(b: GraphBuilder, x: TensorAccess) -> TensorAccess:
    """Router GEMM (replicated), top-k selection, then all experts as one MOE_EXPERTS operator."""
    if b.ctx.shard.ep > 1:
        return _moe_mlp_ep(b, x)
    ctx = b.ctx
    moe = ctx.model.moe
    assert moe is not None
    t, d, f = ctx.tokens, ctx.shard.hidden, ctx.shard.expert_ffn
    e, k = moe.num_experts, moe.top_k
    logits = linear(b, "router", x, d, e, bias=False, kind=OpKind.MOE_ROUTER)
    # vLLM's top-k softmax returns fp32 weights and int32 ids: 4 bytes each (FP32 gives the size)
    weights, ids = b.act("topk.weights", (t, k), DType.FP32), b.act("topk.ids", (t, k), DType.FP32)
    b.add("topk", OpKind.ELEMENTWISE, F.TOPK_PER_SCORE * t * e, [logits], [weights, ids],
          {"tokens": t, "experts": e, "top_k": k})

    matrices = 3 if ctx.model.mlp is MlpKind.GATED else 2
    per_expert = matrices * d * f
    if ctx.model.mlp_bias:
        per_expert += (2 * f + d) if matrices == 3 else (f + d)
    touched = expected_experts_touched(e, k, t)
    w_full = b.weight("experts.weight", (e, per_expert))
    w_read = TensorAccess(w_full.name, TensorClass.WEIGHT, w_full.dtype, (math.ceil(touched), per_expert),
                          touched * per_expert * w_full.dtype.bits / 8)
    out = b.act("experts.out", (t, d))
    matmul = 2.0 * t * k * matrices * d * f
    per_row = F.ACTIVATION_PER_ELEMENT[ctx.model.activation] + F.GATE_MULTIPLY_PER_ELEMENT
    vector = t * k * f * per_row + t * k * d  # activation, gate multiply, weighted combine
    b.add("experts", OpKind.MOE_EXPERTS, matmul, [x, weights, ids, w_read], [out],
          {"tokens": t, "hidden": d, "expert_ffn": f, "experts": e, "top_k": k},
          attrs={"expected_experts_touched": touched, "vector_flops": vector})
    return all_reduce(b, "mlp_all_reduce", out) if ctx.tp > 1 else out


def _all_to_all(b: GraphBuilder, name: str, x: TensorAccess, rows: float) -> TensorAccess:
    """One rank's ``rows`` (expected, may be fractional) rows of ``hidden`` exchanged over the ep ranks."""
    ctx = b.ctx
    d, ep = x.shape[-1], ctx.shard.ep
    shape = (math.ceil(rows), d)
    sent = TensorAccess(x.name, x.cls, x.dtype, shape, rows * d * x.dtype.bits / 8)
    out = b.act(f"{name}.out", shape, x.dtype)
    out = TensorAccess(out.name, out.cls, out.dtype, shape, sent.bytes)
    b.add(name, OpKind.ALL_TO_ALL, 0.0, [sent], [out], {"rows": math.ceil(rows), "hidden": d, "ranks": ep},
          dtype=x.dtype, attrs={"expected_rows": rows})
    return out


def _moe_mlp_ep(b: GraphBuilder, x: TensorAccess) -> TensorAccess:
    """Expert-parallel MoE (see the module docstring): router, top-k, dispatch, local experts, combine."""
    ctx = b.ctx
    moe = ctx.model.moe
    assert moe is not None
    s = ctx.shard
    t, d, f, ep = ctx.tokens, s.hidden, s.expert_ffn, s.ep
    e, k, local = moe.num_experts, moe.top_k, s.local_experts
    logits = linear(b, "router", x, d, e, bias=False, kind=OpKind.MOE_ROUTER)
    weights, ids = b.act("topk.weights", (t, k), DType.FP32), b.act("topk.ids", (t, k), DType.FP32)
    b.add("topk", OpKind.ELEMENTWISE, F.TOPK_PER_SCORE * t * e, [logits], [weights, ids],
          {"tokens": t, "experts": e, "top_k": k})

    share = s.ep_tokens / ep  # tokens this rank dispatches
    pairs = share * k  # token-expert pairs it sends, and (in expectation) receives for its local experts
    routed = _all_to_all(b, "moe_dispatch", x, pairs)

    matrices = 3 if ctx.model.mlp is MlpKind.GATED else 2
    per_expert = matrices * d * f
    if ctx.model.mlp_bias:
        per_expert += (2 * f + d) if matrices == 3 else (f + d)
    touched = local * (1.0 - (1.0 - k / e) ** s.ep_tokens)
    w_full = b.weight("experts.weight", (local, per_expert))
    w_read = TensorAccess(w_full.name, TensorClass.WEIGHT, w_full.dtype, (math.ceil(touched), per_expert),
                          touched * per_expert * w_full.dtype.bits / 8)
    out = b.act("experts.out", routed.shape)
    out = TensorAccess(out.name, out.cls, out.dtype, out.shape, routed.bytes)
    matmul = 2.0 * pairs * matrices * d * f
    per_row = F.ACTIVATION_PER_ELEMENT[ctx.model.activation] + F.GATE_MULTIPLY_PER_ELEMENT
    vector = pairs * f * per_row
    # shape "tokens" x "top_k" = the pairs this rank runs (tokens rounded up to an integer)
    b.add("experts", OpKind.MOE_EXPERTS, matmul, [routed, w_read], [out],
          {"tokens": math.ceil(share), "hidden": d, "expert_ffn": f, "experts": local, "top_k": k, "ep": ep},
          attrs={"expected_experts_touched": touched, "vector_flops": vector, "expected_pairs": pairs})
    back = _all_to_all(b, "moe_combine", out, pairs)
    rows = math.ceil(share)
    combined = b.act("moe_combine.sum", (rows, d))
    combined = TensorAccess(combined.name, combined.cls, combined.dtype, combined.shape, share * d * ctx.dtype.bytes)
    b.add("moe_weighted_sum", OpKind.ELEMENTWISE, pairs * d, [back, weights], [combined],
          {"tokens": rows, "hidden": d, "top_k": k})
    if ctx.tp == 1:
        return combined
    gathered = b.act("moe_all_gather.out", (t, d))
    b.add("moe_all_gather", OpKind.ALL_GATHER, 0.0, [combined], [gathered], {"elements": t * d, "ranks": ctx.tp},
          dtype=ctx.dtype)
    return gathered
