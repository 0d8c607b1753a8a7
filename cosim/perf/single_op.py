"""Single kernels as operators (a GEMM, one attention kernel) and the one-operator graph around them.

The operators are built here rather than by the workload stage so that a kernel can be scored with
any shape, independent of a model config; ``cosim.engine.single_op`` predicts them end to end
(``cosim op gemm|attention``), cost models and tests score them directly.
"""

from __future__ import annotations

import networkx as nx

from cosim.errors import CosimInputError
from cosim.workload.dtypes import DType
from cosim.workload.ops import Operator, OpKind, Phase, TensorAccess, TensorClass


def gemm_operator(m: int, n: int, k: int, dtype: DType | str = DType.BF16) -> Operator:
    """C[m,n] = A[m,k] @ B[k,n]; A and C are activations, B a weight (read once)."""
    dt = DType.parse(dtype)
    reads = (
        TensorAccess("a", TensorClass.ACTIVATION, dt, (m, k), m * k * dt.bytes),
        TensorAccess("b", TensorClass.WEIGHT, dt, (k, n), k * n * dt.bytes),
    )
    writes = (TensorAccess("c", TensorClass.ACTIVATION, dt, (m, n), m * n * dt.bytes),)
    return Operator(
        name="gemm",
        kind=OpKind.GEMM,
        dtype=dt,
        flops=2.0 * m * n * k,
        reads=reads,
        writes=writes,
        shape={"m": m, "n": n, "k": k},
    )


def attention_operator(
    phase: Phase | str,
    batch: int,
    heads: int,
    kv_heads: int,
    head_dim: int,
    context: int,
    dtype: DType | str = DType.BF16,
    kernel: str | None = None,
) -> Operator:
    """One fused (flash) attention kernel.

    prefill: ``context`` query tokens attend causally over themselves (K/V are fresh activations);
    decode: one query token per request attends over ``context`` cached K/V entries.
    FLOPs count the two matmuls (QK^T and PV), 2 FLOPs per MAC; softmax math is not counted.
    ``kernel`` names the implementation for cost models that tell them apart ("sdpa": torch SDPA's
    flash backend, the default of the gpu-kernel model; "serving": vLLM's flash attention).
    """
    phase = Phase.parse(phase)
    dt = DType.parse(dtype)
    if heads % kv_heads:
        raise CosimInputError(
            f"heads ({heads}) must be a multiple of kv_heads ({kv_heads})", field="kv_heads"
        )
    if phase is Phase.DECODE:
        q_len, pairs, kv_cls = 1, float(context), TensorClass.KV_CACHE
    elif phase is Phase.PREFILL:
        q_len, pairs, kv_cls = context, context * (context + 1) / 2.0, TensorClass.ACTIVATION
    else:
        raise CosimInputError(
            f"single-op attention supports prefill and decode, not {phase.value}",
            field="phase",
            allowed=["prefill", "decode"],
        )
    q_bytes = batch * q_len * heads * head_dim * dt.bytes
    kv_bytes = batch * context * kv_heads * head_dim * dt.bytes
    reads = (
        TensorAccess("q", TensorClass.ACTIVATION, dt, (batch, q_len, heads, head_dim), q_bytes),
        TensorAccess("k", kv_cls, dt, (batch, context, kv_heads, head_dim), kv_bytes),
        TensorAccess("v", kv_cls, dt, (batch, context, kv_heads, head_dim), kv_bytes),
    )
    writes = (TensorAccess("o", TensorClass.ACTIVATION, dt, (batch, q_len, heads, head_dim), q_bytes),)
    flops = 4.0 * batch * heads * head_dim * pairs
    return Operator(
        name="attention",
        kind=OpKind.FUSED_ATTENTION,
        dtype=dt,
        flops=flops,
        reads=reads,
        writes=writes,
        attrs={} if kernel is None else {"attention_kernel": kernel},
        shape={
            "batch": batch,
            "q_len": q_len,
            "kv_len": context,
            "heads": heads,
            "kv_heads": kv_heads,
            "head_dim": head_dim,
        },
    )


def single_op_graph(op: Operator, phase: Phase, batch: int, context: int) -> nx.DiGraph:
    graph = nx.DiGraph(
        model=op.name,
        phase=phase,
        batch=batch,
        context=context,
        tokens=batch,
        tp=1,
        fusion="fused",
        attention="flash",
        dtype=op.dtype,
        tensors={},
        activation_peak_bytes=op.bytes_read(TensorClass.ACTIVATION)
        + op.bytes_written(TensorClass.ACTIVATION),
    )
    graph.add_node(op.name, op=op)
    return graph
