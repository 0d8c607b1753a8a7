"""Sarathi-Serve stall-free batching (Agrawal et al., OSDI'24), as Vidur's ``SarathiReplicaScheduler`` runs it.

Per iteration, with one token budget ``chunk_size``:

1. every running decode (1 token each), in admission order; a decode whose block does not fit preempts the
   most recently admitted running request (recompute), as vLLM does;
2. then the ongoing (partially computed) prefills, in admission order, each chunk ``min(rest, budget left)``;
3. then new requests from the waiting queue (FCFS) while the budget lasts and fewer than ``max_num_seqs``
   run, each admitted only if the blocks for its whole prompt leave ``watermark_fraction`` of the cache
   free (Vidur: ``num_total - num_allocated - required >= watermark_blocks``; Sarathi-Serve inherits the
   whole-prompt allocation and the 1 % watermark from vLLM V0's block manager). None after a preemption in
   this step (vLLM V0 and V1 both skip prefills then).

Decodes are never stalled by prefills and an iteration never holds more than ``chunk_size`` tokens:
``max_num_seqs <= chunk_size`` is required so the decodes alone fit. Defaults from Vidur
(``SarathiSchedulerConfig.chunk_size = 512``, ``batch_size_cap = 128``, ``watermark_blocks_fraction = 0.01``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cosim.serving.kv_cache import KVCache
from cosim.serving.options import require
from cosim.serving.policies.base import POLICIES, Batch, Policy, PolicyConfig
from cosim.serving.policies.common import allocate_or_preempt
from cosim.serving.state import ReplicaState


@dataclass(frozen=True)
class SarathiConfig(PolicyConfig):
    chunk_size: int = 512
    max_num_seqs: int = 128
    watermark_fraction: float = 0.01

    def __post_init__(self) -> None:
        require(self.chunk_size >= 1, "sarathi policy", "chunk_size", "must be >= 1")
        require(self.max_num_seqs >= 1, "sarathi policy", "max_num_seqs", "must be >= 1")
        require(0.0 <= self.watermark_fraction < 1.0, "sarathi policy", "watermark_fraction", "must be in [0, 1)")
        require(self.max_num_seqs <= self.chunk_size, "sarathi policy", "max_num_seqs",
                f"{self.max_num_seqs} must be <= chunk_size ({self.chunk_size}) so the decodes fit the budget")


@POLICIES.register("sarathi")
class SarathiPolicy(Policy):
    name = "sarathi"
    config_cls = SarathiConfig
    config: SarathiConfig

    @property
    def token_budget(self) -> int:
        return self.config.chunk_size

    def reject_reason(self, prompt_tokens: int, output_tokens: int, kv: KVCache) -> str | None:
        reason = super().reject_reason(prompt_tokens, output_tokens, kv)
        usable = kv.num_blocks - int(self.config.watermark_fraction * kv.num_blocks)
        if reason is None and kv.blocks_for(prompt_tokens + output_tokens - 1) > usable:
            reason = f"its prompt + output - 1 tokens exceed the {usable} KV blocks left above the watermark"
        return reason

    def schedule(self, state: ReplicaState) -> Batch:
        batch = Batch()
        budget = self.config.chunk_size
        decodes = [i for i in state.running if state.is_decode(i)]
        for i in decodes:
            if i not in state.running:  # preempted by an earlier decode of this step
                continue
            if not allocate_or_preempt(state, i, 1, batch):
                break
            batch.add(i, 1)
            budget -= 1
        scheduled = set(batch.requests)
        for i in list(state.running):
            if budget <= 0:
                break
            if i in scheduled:
                continue
            chunk = min(state.remaining(i), budget)
            if not allocate_or_preempt(state, i, chunk, batch):  # blocks were reserved at admission
                break
            batch.add(i, chunk)
            budget -= chunk
        if batch.num_preempted == 0:
            self._admit(state, batch, budget)
        return batch

    def _admit(self, state: ReplicaState, batch: Batch, budget: int) -> None:
        t, kv = state.table, state.kv
        watermark = int(self.config.watermark_fraction * kv.num_blocks)
        while state.waiting and budget > 0 and len(state.running) < self.config.max_num_seqs:
            i = state.waiting[0]
            num_tokens = int(t.prompt[i] + t.generated[i])
            if kv.free - kv.blocks_for(num_tokens) < watermark or not state.try_allocate(i, num_tokens):
                break
            state.admit_head()
            chunk = min(num_tokens, budget)
            batch.add(i, chunk)
            batch.num_admitted += 1
            budget -= chunk
