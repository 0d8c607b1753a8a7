"""GEMMs with weights, and the tensor-parallel collectives that follow row-parallel ones."""

from __future__ import annotations

from cosim.workload import flops as F
from cosim.workload.builder import GraphBuilder
from cosim.workload.ops import OpKind, TensorAccess


def linear(b: GraphBuilder, name: str, x: TensorAccess, k: int, n: int, *, bias: bool,
           kind: OpKind = OpKind.GEMM, rows: int | None = None) -> TensorAccess:
    """``out[rows, n] = x[rows, k] @ W[k, n] (+ b)``; ``rows`` defaults to the step's tokens.

    Row-parallel layers add their bias on one rank before the all-reduce; the graph describes that
    rank (the slowest), so every rank is charged the bias here.
    """
    m = b.ctx.tokens if rows is None else rows
    reads = [x, b.weight(f"{name}.weight", (k, n))]
    if bias:
        reads.append(b.weight(f"{name}.bias", (n,), dtype=b.ctx.dtype))
    out = b.act(f"{name}.out", (m, n))
    b.add(name, kind, F.gemm_flops(m, n, k, bias=bias), reads, [out], {"m": m, "n": n, "k": k})
    return out


def all_reduce(b: GraphBuilder, name: str, x: TensorAccess) -> TensorAccess:
    """Sum partial results over the tp ranks (only emitted when tp > 1); reads and writes the buffer."""
    elements = x.shape[0] * x.shape[1] if len(x.shape) >= 2 else x.shape[0]
    out = b.act(f"{name}.out", x.shape, x.dtype)
    b.add(name, OpKind.ALL_REDUCE, F.all_reduce_flops(elements, b.ctx.tp), [x], [out],
          {"elements": elements, "ranks": b.ctx.tp}, dtype=x.dtype)
    return out
