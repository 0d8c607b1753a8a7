"""Tensor-parallel sharding: the sizes ONE rank sees (Megatron-style column/row split).

Attention heads and KV heads are split across ranks; when ``tp`` exceeds the KV heads, each KV head
is replicated on ``tp / kv_heads`` ranks (so ``tp % kv_heads == 0`` is required), as vLLM does.
FFN columns (and each expert's columns) and the vocabulary are split, rounding up (engines pad
uneven splits). Norms, residuals, the router and learned position tables are replicated.

Expert parallelism (``ep > 1``, vLLM's ``--enable-expert-parallel`` with ``EP_SIZE = TP_SIZE x DP_SIZE``,
docs/serving/expert_parallel_deployment.md): each MoE layer's experts are spread whole over the ``ep`` ranks
(``ceil(num_experts / ep)`` on the busiest rank, vLLM's "NUM_TOTAL_EXPERTS / NUM_EP_RANKS"), not TP-split,
so ``expert_ffn`` is the full expert width. Attention and dense layers keep the ``tp`` split.
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
    ep: int = 1  # expert-parallel ranks of the MoE layers (1: experts TP-split as above)
    local_experts: int = 0  # experts of one MoE layer held by this rank (all of them when ep == 1; 0: dense)
    ep_tokens: int = 0  # tokens of the lockstep iteration over all ep ranks' replicas (ep > 1 only)

    @property
    def q_size(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_size(self) -> int:
        return self.kv_heads * self.head_dim


def _check_ep(model: ModelConfig, tp: int, ep: int) -> None:
    if isinstance(ep, bool) or not isinstance(ep, int) or ep < 1:
        raise CosimInputError(f"expert-parallel degree must be a positive integer, got {ep!r}", field="ep")
    if ep == 1:
        return
    if model.moe is None:
        raise CosimInputError(f"expert parallelism needs a mixture-of-experts model; {model.name} is dense",
                              field="ep", allowed="ep=1 for a dense model")
    if ep % tp:
        raise CosimInputError(f"ep={ep} must be a multiple of tp={tp} (EP size = dp x tp)", field="ep")
    if ep > model.moe.num_experts:
        raise CosimInputError(f"ep={ep} exceeds the {model.moe.num_experts} experts of {model.name}",
                              field="ep", allowed=f"ep <= {model.moe.num_experts}")


def shard_model(model: ModelConfig, tp: int, ep: int = 1, *, ep_tokens: int = 0) -> Shard:
    """The sizes one rank sees; ``ep_tokens`` (used when ``ep > 1``) is the global token count of the step."""
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
    _check_ep(model, tp, ep)
    if model.moe is None:
        expert_ffn, local = 0, 0
    elif ep > 1:  # whole experts, spread over the ep ranks
        expert_ffn, local = model.moe.expert_intermediate_size, _ceil_div(model.moe.num_experts, ep)
    else:
        expert_ffn, local = _ceil_div(model.moe.expert_intermediate_size, tp), model.moe.num_experts
    return Shard(tp=tp, hidden=model.hidden_size, heads=model.num_heads // tp, kv_heads=kv_per_rank,
                 head_dim=model.head_size, ffn=_ceil_div(model.intermediate_size, tp), expert_ffn=expert_ffn,
                 vocab=_ceil_div(model.vocab_size, tp), ep=ep, local_experts=local,
                 ep_tokens=int(ep_tokens) if ep > 1 else 0)
