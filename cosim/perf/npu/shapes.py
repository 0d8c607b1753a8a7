"""Matrix operators as the GEMMs a systolic array runs.

Every matrix-unit operator of a workload graph becomes one or more ``GemmWork`` items: a GEMM shape,
how many identical copies run (``instances``: requests x KV heads for attention, experts touched for
MoE) and the bytes of each operand of one copy (so narrow weights or KV caches keep their real size).
Vector work that rides along (softmax inside flash attention, the SwiGLU of fused experts) is
returned separately for the vector units. A registry by ``OpKind`` picks the conversion.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cosim.errors import CosimInputError
from cosim.registry import Registry
from cosim.workload.ops import Operator, OpKind, TensorClass


@dataclass(frozen=True)
class GemmWork:
    """``instances`` copies of ``C[m, n] = A[m, k] @ B[k, n]``; operand bytes are per copy."""

    m: int
    n: int
    k: int
    instances: int
    a_bytes: float
    b_bytes: float
    c_bytes: float


@dataclass(frozen=True)
class MatrixWork:
    gemms: tuple[GemmWork, ...]
    vector_flops: float = 0.0  # done on the vector units, overlapped with the arrays


_Converter = Callable[[Operator], MatrixWork]
_CONVERTERS: Registry[_Converter] = Registry("matrix operator kind", "kind")


def _converts(*kinds: OpKind) -> Callable[[_Converter], _Converter]:
    def register(fn: _Converter) -> _Converter:
        for kind in kinds:
            _CONVERTERS.add(kind, fn)
        return fn

    return register


def _dim(op: Operator, *names: str) -> int:
    for name in names:
        if name in op.shape:
            return int(op.shape[name])
    raise CosimInputError(f"operator {op.name!r} ({op.kind.value}) has no {names[0]!r} in its shape",
                          field="shape", allowed=list(names))


def _positive(value: float) -> int:
    return max(1, math.ceil(value))


@_converts(OpKind.GEMM, OpKind.LM_HEAD, OpKind.MOE_ROUTER)
def _weight_gemm(op: Operator) -> MatrixWork:
    """x[m, k] @ W[k, n]: A = the activations read, B = the weights (and bias), C = the output."""
    m, n, k = _dim(op, "m"), _dim(op, "n"), _dim(op, "k")
    a = op.bytes_read(TensorClass.ACTIVATION) + op.bytes_read(TensorClass.KV_CACHE)
    return MatrixWork((GemmWork(m, n, k, 1, a, op.bytes_read(TensorClass.WEIGHT), op.bytes_written()),))


def _attention_geometry(op: Operator, flops_per_pair: float) -> tuple[int, int, int, int]:
    """(instances, query rows per instance, keys per query, head_dim) of an attention operator.

    One instance is one (request, KV head): the GQA group's queries share its keys, so they form the
    rows of one GEMM. Keys per query come from the op's unmasked (query, key) pairs, recovered from
    its FLOPs (``flops_per_pair * heads * head_dim`` per pair), so causal masking is honoured the way
    flash kernels honour it: fully masked tiles are skipped.
    """
    batch = _dim(op, "batch")
    heads, kv_heads, head_dim = _dim(op, "heads"), _dim(op, "kv_heads"), _dim(op, "head_dim")
    q_total = int(op.shape["q_tokens"]) if "q_tokens" in op.shape else batch * _dim(op, "q_len")
    pairs = op.flops / (flops_per_pair * heads * head_dim) if op.flops > 0 else 0.0
    rows = _positive(q_total / batch) * max(heads // kv_heads, 1)
    return batch * kv_heads, rows, _positive(pairs / max(q_total, 1)), head_dim


@dataclass(frozen=True)
class _Group:
    """Requests of one (query, key) length in an attention operator, and their shares of its tensors."""

    instances: int
    rows: int
    keys: int
    head_dim: int
    q_share: float  # of the query-sized tensors (q, the output)
    kv_share: float  # of the key-sized tensors (K, V)
    score_share: float  # of the materialized scores (eager)


def _attention_groups(op: Operator, flops_per_pair: float) -> list[_Group]:
    """The operator's requests grouped by length: one group (today's geometry) when they are equal, else one
    per distinct (q_len, kv_len), each its own GEMMs run after the others on the arrays."""
    q, kv = op.attrs.get("q_lens"), op.attrs.get("kv_lens")
    if q is None or kv is None or len(q) < 2 or ((q == q[0]).all() and (kv == kv[0]).all()):
        return [_Group(*_attention_geometry(op, flops_per_pair), 1.0, 1.0, 1.0)]
    q, kv = np.asarray(q, dtype=np.int64), np.asarray(kv, dtype=np.int64)
    heads, kv_heads, head_dim = _dim(op, "heads"), _dim(op, "kv_heads"), _dim(op, "head_dim")
    group = max(heads // kv_heads, 1)
    lengths, counts = np.unique(np.stack([q, kv], axis=1), axis=0, return_counts=True)
    q_sum, kv_sum, score_sum = float(q.sum()), float(kv.sum()), float((q * kv).sum())
    out = []
    for (ql, kl), c in zip(lengths.tolist(), counts.tolist(), strict=True):
        pairs = ql * (kl - ql) + ql * (ql + 1) // 2  # unmasked pairs of one request (causal within its chunk)
        out.append(_Group(c * kv_heads, ql * group, _positive(pairs / ql), head_dim, c * ql / q_sum, c * kl / kv_sum,
                          c * ql * kl / score_sum))
    return out


def _operand_bytes(op: Operator, instances: int) -> tuple[float, ...]:
    """Bytes of each tensor read, per instance, in the op's read order."""
    return tuple(t.bytes / instances for t in op.reads)


@_converts(OpKind.FUSED_ATTENTION)
def _fused_attention(op: Operator) -> MatrixWork:
    """Flash attention: S = Q K^T then O = P V per instance; S and P never leave the SRAM.

    Softmax (and rotary, when fused in) runs on the vector units alongside the arrays.
    """
    gemms: list[GemmWork] = []
    for g in _attention_groups(op, 4.0):
        q, k, v = _operand_bytes(op, g.instances)[:3]
        q, k, v = q * g.q_share, k * g.kv_share, v * g.kv_share
        out = op.bytes_written() * g.q_share / g.instances
        gemms += [GemmWork(g.rows, g.keys, g.head_dim, g.instances, q, k, 0.0),
                  GemmWork(g.rows, g.head_dim, g.keys, g.instances, 0.0, v, out)]
    return MatrixWork(tuple(gemms), float(op.attrs.get("vector_flops", 0.0)))


@_converts(OpKind.ATTENTION_SCORE)
def _attention_score(op: Operator) -> MatrixWork:
    """Eager S = Q K^T: reads (q, keys), writes the score matrix."""
    gemms = []
    for g in _attention_groups(op, 2.0):
        q, k = _operand_bytes(op, g.instances)[:2]
        gemms.append(GemmWork(g.rows, g.keys, g.head_dim, g.instances, q * g.q_share, k * g.kv_share,
                              op.bytes_written() * g.score_share / g.instances))
    return MatrixWork(tuple(gemms))


@_converts(OpKind.ATTENTION_CONTEXT)
def _attention_context(op: Operator) -> MatrixWork:
    """Eager O = P V: reads (probabilities, values), writes the context."""
    gemms = []
    for g in _attention_groups(op, 2.0):
        p, v = _operand_bytes(op, g.instances)[:2]
        gemms.append(GemmWork(g.rows, g.head_dim, g.keys, g.instances, p * g.score_share, v * g.kv_share,
                              op.bytes_written() * g.q_share / g.instances))
    return MatrixWork(tuple(gemms))


@_converts(OpKind.MOE_EXPERTS)
def _moe_experts(op: Operator) -> MatrixWork:
    """Each touched expert runs its routed tokens through its (gated) MLP as one wide GEMM."""
    tokens, hidden, ffn = _dim(op, "tokens"), _dim(op, "hidden"), _dim(op, "expert_ffn")
    top_k = _dim(op, "top_k")
    touched = _positive(float(op.attrs.get("expected_experts_touched", _dim(op, "experts"))))
    matrices = op.flops / (2.0 * tokens * top_k * hidden * ffn) if op.flops > 0 else 0.0
    rows = _positive(tokens * top_k / touched)
    width = _positive(matrices * ffn)
    a = op.bytes_read(TensorClass.ACTIVATION) / touched
    b = op.bytes_read(TensorClass.WEIGHT) / touched
    gemm = GemmWork(rows, width, hidden, touched, a, b, op.bytes_written() / touched)
    return MatrixWork((gemm,), float(op.attrs.get("vector_flops", 0.0)))


def matrix_work(op: Operator) -> MatrixWork:
    """The GEMMs (and overlapped vector work) of a matrix-unit operator."""
    if op.kind not in _CONVERTERS:
        raise CosimInputError(f"operator {op.name!r} of kind {op.kind.value} is not a matrix operator",
                              field="kind", allowed=_CONVERTERS.names())
    return _CONVERTERS.get(op.kind)(op)
