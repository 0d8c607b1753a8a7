"""Tensor-parallel sharding: the sizes ONE rank sees (Megatron-style column/row split).

Attention heads and KV heads are split across ranks; when ``tp`` exceeds the KV heads, each KV head
is replicated on ``tp / kv_heads`` ranks (so ``tp % kv_heads == 0`` is required), as vLLM does.
FFN columns (and each expert's columns) and the vocabulary are split, rounding up (engines pad
uneven splits). Norms, residuals, the router and learned position tables are replicated.
"""

from __future__ import annotations

from dataclasses import dataclass

from cosim.errors import CosimInputError
from cosim.workload.model import ModelConfig


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class Shard:
    tp: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    expert_ffn: int
    vocab: int

    @property
    def q_size(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_size(self) -> int:
        return self.kv_heads * self.head_dim


def shard_model(model: ModelConfig, tp: int) -> Shard:
    if isinstance(tp, bool) or not isinstance(tp, int) or tp < 1:
        raise CosimInputError(f"tensor-parallel degree must be a positive integer, got {tp!r}", field="tp")
    if model.num_heads % tp:
        divisors = [t for t in range(1, model.num_heads + 1) if model.num_heads % t == 0]
        raise CosimInputError(f"tp={tp} does not divide num_heads={model.num_heads} of {model.name}",
                              field="tp", allowed=divisors)
    kv = model.kv_heads
    if kv % tp == 0:
        kv_per_rank = kv // tp
    elif tp % kv == 0:
        kv_per_rank = 1  # replicated KV heads
    else:
        raise CosimInputError(f"tp={tp} and num_kv_heads={kv} of {model.name}: one must divide the other",
                              field="tp", allowed="tp dividing num_kv_heads or a multiple of it")
    expert_ffn = _ceil_div(model.moe.expert_intermediate_size, tp) if model.moe else 0
    return Shard(tp=tp, hidden=model.hidden_size, heads=model.num_heads // tp, kv_heads=kv_per_rank,
                 head_dim=model.head_size, ffn=_ceil_div(model.intermediate_size, tp), expert_ffn=expert_ffn,
                 vocab=_ceil_div(model.vocab_size, tp))
