"""vLLM V1's default scheduler (``vllm/v1/core/sched/scheduler.py``, ``Scheduler.schedule``, FCFS policy).

One token budget per step, no prefill/decode phases: every request has ``num_computed_tokens`` and
``num_tokens`` (prompt + generated), and the step assigns tokens so the first catches up the second.

1. RUNNING requests first, in admission order, while budget is left: ``num_new_tokens = num_tokens -
   num_computed_tokens`` (1 for a decode, the rest of a chunked prefill), capped at
   ``long_prefill_token_threshold`` (if > 0) and at the budget. If ``allocate_slots`` fails, preempt
   ``self.running.pop()`` (the most recently admitted) and retry; if the request preempted itself, stop.
2. WAITING requests (FCFS, preempted ones at the front) only if nothing was preempted in this step, while
   budget is left and ``len(running) < max_num_seqs``: the chunk is ``min(num_tokens, budget)`` (chunked
   prefill is always on in V1); stop at the first request whose blocks do not fit (no preemption here).
   With ``reserve_full_isl`` (vLLM's ``scheduler_reserve_full_isl``, PR #37307, on by default in recent
   releases) the whole current sequence must fit the free blocks, not only its first chunk.

Defaults: vLLM's ``EngineArgs.get_batch_defaults`` picks ``max_num_batched_tokens`` / ``max_num_seqs`` by
device and usage context: 8192 / 1024 for the OpenAI server on GPUs with >= 70 GiB that are not A100
(H100, H200, MI300X), 2048 / 256 on others (16384 / 1024 and 8192 / 256 for the offline ``LLM`` class).
The defaults here are the first (online serving, H100-class); :meth:`VllmConfig.for_gpu` gives the others.
Not modelled: prefix caching (V1 enables it; traces carry no token ids), async scheduling, spec decode.
"""

from __future__ import annotations

from dataclasses import dataclass

from cosim.serving.options import require
from cosim.serving.policies.base import POLICIES, Batch, Policy, PolicyConfig
from cosim.serving.policies.common import allocate_or_preempt
from cosim.serving.state import ReplicaState


@dataclass(frozen=True)
class VllmConfig(PolicyConfig):
    max_num_batched_tokens: int = 8192
    max_num_seqs: int = 1024
    long_prefill_token_threshold: int = 0
    reserve_full_isl: bool = True

    def __post_init__(self) -> None:
        require(self.max_num_batched_tokens >= 1, "vllm policy", "max_num_batched_tokens", "must be >= 1")
        require(self.max_num_seqs >= 1, "vllm policy", "max_num_seqs", "must be >= 1")
        require(self.long_prefill_token_threshold >= 0, "vllm policy", "long_prefill_token_threshold", "must be >= 0")
        require(self.max_num_batched_tokens >= self.max_num_seqs, "vllm policy", "max_num_batched_tokens",
                f"{self.max_num_batched_tokens} must be >= max_num_seqs ({self.max_num_seqs}), as vLLM requires")

    @classmethod
    def for_gpu(cls, memory_gib: float, device_name: str, *, offline: bool = False, **overrides: object) -> VllmConfig:
        """vLLM's defaults for a device (``EngineArgs.get_batch_defaults``, non-TPU branch)."""
        big = memory_gib >= 70 and "a100" not in device_name.lower()
        tokens = (16384 if offline else 8192) if big else (8192 if offline else 2048)
        seqs = 1024 if big else 256
        return cls(**{"max_num_batched_tokens": tokens, "max_num_seqs": seqs, **overrides})  # type: ignore[arg-type]


@POLICIES.register("vllm")
class VllmPolicy(Policy):
    name = "vllm"
    config_cls = VllmConfig
    config: VllmConfig

    @property
    def token_budget(self) -> int:
        return self.config.max_num_batched_tokens

    def _cap(self, num_new_tokens: int, budget: int) -> int:
        threshold = self.config.long_prefill_token_threshold
        if 0 < threshold < num_new_tokens:
            num_new_tokens = threshold
        return min(num_new_tokens, budget)

    def schedule(self, state: ReplicaState) -> Batch:
        batch = Batch()
        budget = self.config.max_num_batched_tokens
        running = state.running
        k = 0
        while k < len(running) and budget > 0:
            i = running[k]
            n_new = self._cap(state.remaining(i), budget)
            if not allocate_or_preempt(state, i, n_new, batch):
                break
            batch.add(i, n_new)
            budget -= n_new
            k += 1
        if batch.num_preempted == 0:
            self._admit(state, batch, budget)
        return batch

    def _admit(self, state: ReplicaState, batch: Batch, budget: int) -> None:
        t = state.table
        while state.waiting and budget > 0 and len(state.running) < self.config.max_num_seqs:
            i = state.waiting[0]
            num_tokens = int(t.prompt[i] + t.generated[i])
            if self.config.reserve_full_isl and not state.kv.can_fit(i, num_tokens):
                break
            n_new = self._cap(num_tokens, budget)
            if not state.try_allocate(i, n_new):
                break
            state.admit_head()
            batch.add(i, n_new)
            batch.num_admitted += 1
            budget -= n_new
