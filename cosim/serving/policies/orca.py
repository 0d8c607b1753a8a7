"""Orca iteration-level scheduling (Yu et al., OSDI'22) as Vidur's ``OrcaReplicaScheduler`` models it.

Batches are re-formed every iteration, but a prefill is never split: a new request joins with its whole
prompt. Running requests decode first; then waiting requests join FCFS while the batch has fewer than
``max_batch_size`` requests and the KV cache can *reserve* the request's whole sequence up front (Orca
reserves ``max_tokens`` slots per request; a trace only knows the actual lengths, so the reservation is
``prompt + output - 1`` tokens), hence no preemption. ``max_num_batched_tokens`` (off by default, as in
Orca and Vidur) caps the tokens of an iteration; a prompt longer than the cap is rejected since it could
never be scheduled whole. Default batch cap from Vidur (``batch_size_cap = 128``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cosim.serving.kv_cache import KVCache
from cosim.serving.options import require
from cosim.serving.policies.base import POLICIES, Batch, Policy, PolicyConfig
from cosim.serving.policies.common import decode_all_reserved
from cosim.serving.state import ReplicaState


@dataclass(frozen=True)
class OrcaConfig(PolicyConfig):
    max_batch_size: int = 128
    max_num_batched_tokens: int | None = None

    def __post_init__(self) -> None:
        require(self.max_batch_size >= 1, "orca policy", "max_batch_size", "must be >= 1")
        require(self.max_num_batched_tokens is None or self.max_num_batched_tokens >= 1, "orca policy",
                "max_num_batched_tokens", "must be >= 1 or null")


@POLICIES.register("orca")
class OrcaPolicy(Policy):
    name = "orca"
    config_cls = OrcaConfig
    config: OrcaConfig

    @property
    def token_budget(self) -> int | None:
        return self.config.max_num_batched_tokens

    def reject_reason(self, prompt_tokens: int, output_tokens: int, kv: KVCache) -> str | None:
        cap = self.config.max_num_batched_tokens
        if cap is not None and prompt_tokens > cap:
            return f"its {prompt_tokens}-token prompt exceeds max_num_batched_tokens ({cap}) and orca never splits it"
        return super().reject_reason(prompt_tokens, output_tokens, kv)

    def schedule(self, state: ReplicaState) -> Batch:
        batch = Batch()
        decode_all_reserved(state, batch)
        cap = self.config.max_num_batched_tokens
        tokens = len(batch)
        t = state.table
        while state.waiting and len(state.running) < self.config.max_batch_size:
            i = state.waiting[0]
            prompt = int(t.prompt[i])
            if cap is not None and tokens + prompt > cap:
                break
            if not state.kv.try_allocate(i, prompt + int(t.output[i]) - 1):
                break
            state.admit_head()
            batch.add(i, prompt)
            batch.num_admitted += 1
            tokens += prompt
        return batch
