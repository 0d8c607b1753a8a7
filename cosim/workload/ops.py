"""Typed operators: the nodes of a workload graph.

An :class:`Operator` is what a cost model scores: its kind (an enum, never a magic number), its
shape, its FLOPs, and the bytes it reads and writes per tensor, each tensor tagged with its class
(weights, activations, KV cache). ``repeat`` says how many identical copies the graph stands for
(one node per operator of a decoder layer, repeated ``num_layers`` times), so a 96-layer model is
as cheap to build and evaluate as a 1-layer one. ``instances`` is the number of identical copies
that run concurrently on different devices of a tensor-parallel group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cosim.workload.dtypes import DType


class OpKind(StrEnum):
    GEMM = "gemm"
    ATTENTION_SCORE = "attention_score"
    SOFTMAX = "softmax"
    ATTENTION_CONTEXT = "attention_context"
    FUSED_ATTENTION = "fused_attention"
    NORM = "norm"
    ROTARY = "rotary"
    ELEMENTWISE = "elementwise"
    RESIDUAL_ADD = "residual_add"
    KV_CACHE_WRITE = "kv_cache_write"
    EMBEDDING = "embedding"
    LM_HEAD = "lm_head"
    MOE_ROUTER = "moe_router"
    MOE_EXPERTS = "moe_experts"
    ALL_REDUCE = "all_reduce"
    ALL_GATHER = "all_gather"
    ALL_TO_ALL = "all_to_all"  # expert-parallel MoE dispatch / combine over shape["ranks"] ranks

    @property
    def unit(self) -> ComputeUnit:
        return _UNIT[self]

    @property
    def is_attention(self) -> bool:
        return self in ATTENTION_KINDS

    @property
    def is_collective(self) -> bool:
        return self in (OpKind.ALL_REDUCE, OpKind.ALL_GATHER, OpKind.ALL_TO_ALL)


class ComputeUnit(StrEnum):
    """Which engine of a device executes an operator's arithmetic."""

    MATRIX = "matrix"  # tensor cores, systolic arrays, PIM MAC units
    VECTOR = "vector"  # CUDA cores, vector units, PIM softmax/adder units
    NETWORK = "network"  # collectives: time is set by links, not by arithmetic


_UNIT = {
    OpKind.GEMM: ComputeUnit.MATRIX,
    OpKind.ATTENTION_SCORE: ComputeUnit.MATRIX,
    OpKind.ATTENTION_CONTEXT: ComputeUnit.MATRIX,
    OpKind.FUSED_ATTENTION: ComputeUnit.MATRIX,
    OpKind.LM_HEAD: ComputeUnit.MATRIX,
    OpKind.MOE_ROUTER: ComputeUnit.MATRIX,
    OpKind.MOE_EXPERTS: ComputeUnit.MATRIX,
    OpKind.SOFTMAX: ComputeUnit.VECTOR,
    OpKind.NORM: ComputeUnit.VECTOR,
    OpKind.ROTARY: ComputeUnit.VECTOR,
    OpKind.ELEMENTWISE: ComputeUnit.VECTOR,
    OpKind.RESIDUAL_ADD: ComputeUnit.VECTOR,
    OpKind.KV_CACHE_WRITE: ComputeUnit.VECTOR,
    OpKind.EMBEDDING: ComputeUnit.VECTOR,
    OpKind.ALL_REDUCE: ComputeUnit.NETWORK,
    OpKind.ALL_GATHER: ComputeUnit.NETWORK,
    OpKind.ALL_TO_ALL: ComputeUnit.NETWORK,
}

ATTENTION_KINDS = frozenset(
    {OpKind.ATTENTION_SCORE, OpKind.SOFTMAX, OpKind.ATTENTION_CONTEXT, OpKind.FUSED_ATTENTION}
)


class TensorClass(StrEnum):
    WEIGHT = "weight"
    ACTIVATION = "activation"
    KV_CACHE = "kv_cache"


class Phase(StrEnum):
    PREFILL = "prefill"
    DECODE = "decode"
    CHUNKED_PREFILL = "chunked_prefill"
    MIXED = "mixed"  # a serving iteration: decodes and prefill chunks of requests with their own lengths

    @classmethod
    def parse(cls, value: str | Phase) -> Phase:
        from cosim.errors import CosimInputError

        if isinstance(value, Phase):
            return value
        text = str(value).strip().lower().replace("-", "_")
        try:
            return cls(text)
        except ValueError:
            raise CosimInputError(f"unknown phase {value!r}", field="phase",
                                  allowed=[p.value for p in cls]) from None


@dataclass(frozen=True, slots=True)
class TensorAccess:
    """One tensor an operator reads or writes: its name, class, dtype, shape and bytes touched."""

    name: str
    cls: TensorClass
    dtype: DType
    shape: tuple[int, ...]
    bytes: float


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    kind: OpKind
    dtype: DType
    flops: float
    reads: tuple[TensorAccess, ...] = ()
    writes: tuple[TensorAccess, ...] = ()
    shape: Mapping[str, int] = field(default_factory=dict)
    repeat: int = 1
    instances: int = 1
    block: str = ""
    attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> ComputeUnit:
        return self.kind.unit

    def bytes_read(self, cls: TensorClass | None = None) -> float:
        return sum(t.bytes for t in self.reads if cls is None or t.cls is cls)

    def bytes_written(self, cls: TensorClass | None = None) -> float:
        return sum(t.bytes for t in self.writes if cls is None or t.cls is cls)

    @property
    def bytes(self) -> float:
        """All bytes moved by one copy of the operator (reads + writes)."""
        return self.bytes_read() + self.bytes_written()

    def bytes_by_class(self) -> dict[TensorClass, float]:
        out = dict.fromkeys(TensorClass, 0.0)
        for t in (*self.reads, *self.writes):
            out[t.cls] += t.bytes
        return out

    def tensors(self) -> Iterable[TensorAccess]:
        yield from self.reads
        yield from self.writes

    @property
    def arithmetic_intensity(self) -> float:
        return self.flops / self.bytes if self.bytes > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class PersistentTensor:
    """A tensor that lives across steps (a weight or the KV cache) with its footprint on ONE tp rank.

    ``shape`` and ``bytes`` cover every layer the tensor serves (a decoder weight has shape
    ``(num_layers, ...)``), so the mapping stage can place and size it without knowing the model.
    """

    name: str
    cls: TensorClass
    dtype: DType
    shape: tuple[int, ...]
    bytes: float
