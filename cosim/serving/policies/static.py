"""Request-level (static) batching, the baseline continuous batching replaced (FasterTransformer-style,
Vidur's ``FasterTransformerReplicaScheduler``).

When the replica is empty, take up to ``batch_size`` waiting requests FCFS whose whole sequences
(``prompt + output - 1`` tokens) can be reserved in the KV cache, prefill them together in one
iteration, then decode until every one of them has finished (finished ones drop out, nobody joins); only
then form the next batch. No preemption. Default batch cap from Vidur (``batch_size_cap = 128``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cosim.serving.options import require
from cosim.serving.policies.base import POLICIES, Batch, Policy, PolicyConfig
from cosim.serving.policies.common import decode_all_reserved
from cosim.serving.state import ReplicaState


@dataclass(frozen=True)
class StaticConfig(PolicyConfig):
    batch_size: int = 128

    def __post_init__(self) -> None:
        require(self.batch_size >= 1, "static policy", "batch_size", "must be >= 1")


@POLICIES.register("static")
class StaticPolicy(Policy):
    name = "static"
    config_cls = StaticConfig
    config: StaticConfig

    def schedule(self, state: ReplicaState) -> Batch:
        batch = Batch()
        if state.running:
            decode_all_reserved(state, batch)
            return batch
        t = state.table
        while state.waiting and len(state.running) < self.config.batch_size:
            i = state.waiting[0]
            if not state.kv.try_allocate(i, int(t.prompt[i] + t.output[i]) - 1):
                break
            state.admit_head()
            batch.add(i, int(t.prompt[i]))
            batch.num_admitted += 1
        return batch
