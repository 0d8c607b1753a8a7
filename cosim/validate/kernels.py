"""Standalone memory-bound kernels (norms, softmax, activations, rotary, adds, embedding lookups).

Measured operator tables time these kernels on their own, outside any model, so validation builds
one :class:`~cosim.workload.ops.Operator` per record with the same conventions the workload builder
uses (FLOP constants from ``cosim.workload.flops``, shapes keyed ``tokens``/``hidden``). The table
says what each kernel reads and writes, in units of the ``tokens x hidden`` activation.
"""

from __future__ import annotations

from dataclasses import dataclass

from cosim.errors import CosimInputError
from cosim.workload import flops as F
from cosim.workload.dtypes import DType
from cosim.workload.model import Activation
from cosim.workload.ops import Operator, OpKind, TensorAccess, TensorClass


@dataclass(frozen=True)
class KernelShape:
    """Reads and writes in activations of ``tokens x hidden``; per-row / per-column extras; FLOPs per element."""

    kind: OpKind
    act_reads: float
    act_writes: float
    flops_per_element: float
    weight_vectors: int = 0  # length-``hidden`` weight vectors read (norm weight, bias)
    description: str = ""


KERNELS: dict[str, KernelShape] = {
    "rmsnorm": KernelShape(OpKind.NORM, 1, 1, F.RMSNORM_PER_ELEMENT, 1, "fused RMSNorm (vLLM rms_norm)"),
    "fused_add_rmsnorm": KernelShape(OpKind.NORM, 2, 2, F.RMSNORM_PER_ELEMENT + F.RESIDUAL_ADD_PER_ELEMENT, 1,
                                     "residual add + RMSNorm in one kernel (vLLM fused_add_rms_norm)"),
    "layernorm": KernelShape(OpKind.NORM, 1, 1, F.LAYERNORM_PER_ELEMENT, 2, "torch layer_norm (one kernel)"),
    "softmax": KernelShape(OpKind.SOFTMAX, 1, 1, F.SOFTMAX_PER_SCORE, 0, "row softmax over hidden"),
    "gelu": KernelShape(OpKind.ELEMENTWISE, 1, 1, F.ACTIVATION_PER_ELEMENT[Activation.GELU], 0, "GELU"),
    "silu": KernelShape(OpKind.ELEMENTWISE, 1, 1, F.ACTIVATION_PER_ELEMENT[Activation.SILU], 0, "SiLU"),
    "silu_mul": KernelShape(OpKind.ELEMENTWISE, 2, 1,
                            F.ACTIVATION_PER_ELEMENT[Activation.SILU] + F.GATE_MULTIPLY_PER_ELEMENT, 0,
                            "SiLU(gate) * up in one kernel (vLLM silu_and_mul); hidden = ffn width"),
    "add": KernelShape(OpKind.RESIDUAL_ADD, 2, 1, F.RESIDUAL_ADD_PER_ELEMENT, 0, "residual add"),
    "rotary": KernelShape(OpKind.ROTARY, 1, 1, F.ROTARY_PER_ELEMENT, 0,
                          "in-place rotary on q and k (vLLM rotary_embedding); hidden = (heads + kv_heads) * "
                          "head_dim, plus a cos/sin row per token"),
    "embedding": KernelShape(OpKind.EMBEDDING, 0, 1, 0, 0,
                             "embedding lookup: one table row per token read, the activation written"),
}


def kernel_operator(op: str, tokens: int, hidden: int, dtype: DType | str = DType.BF16,
                    head_dim: int | None = None) -> Operator:
    """One standalone kernel over a ``tokens x hidden`` activation."""
    try:
        spec = KERNELS[op]
    except KeyError:
        raise CosimInputError(f"unknown elementwise op {op!r}", field="op", allowed=sorted(KERNELS)) from None
    if tokens < 1 or hidden < 1:
        raise CosimInputError(f"tokens and hidden must be >= 1, got {tokens} x {hidden}", field="tokens")
    dt = DType.parse(dtype)
    elements = tokens * hidden
    act = elements * dt.bytes
    reads = [TensorAccess(f"in{i}", TensorClass.ACTIVATION, dt, (tokens, hidden), act)
             for i in range(int(spec.act_reads))]
    writes = [TensorAccess(f"out{i}", TensorClass.ACTIVATION, dt, (tokens, hidden), act)
              for i in range(int(spec.act_writes))]
    reads += [TensorAccess(f"w{i}", TensorClass.WEIGHT, dt, (hidden,), hidden * dt.bytes)
              for i in range(spec.weight_vectors)]
    if op == "embedding":
        reads.append(TensorAccess("table_rows", TensorClass.WEIGHT, dt, (tokens, hidden), act))
    if op == "rotary":
        hd = head_dim or hidden
        reads.append(TensorAccess("cos_sin", TensorClass.ACTIVATION, dt, (tokens, hd), tokens * hd * dt.bytes))
    return Operator(name=op, kind=spec.kind, dtype=dt, flops=float(spec.flops_per_element * elements),
                    reads=tuple(reads), writes=tuple(writes), shape={"tokens": tokens, "hidden": hidden})
