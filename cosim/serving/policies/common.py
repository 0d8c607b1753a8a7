"""Scheduling steps several policies share, each as vLLM V1 does it."""

from __future__ import annotations

from cosim.serving.policies.base import Batch
from cosim.serving.state import ReplicaState


def allocate_or_preempt(state: ReplicaState, i: int, num_new_tokens: int, batch: Batch) -> bool:
    """Allocate blocks for ``num_new_tokens`` of running request ``i``, preempting from the end of the running
    list until they fit; False once ``i`` itself was preempted (vLLM V1 ``schedule``: ``allocate_slots``
    returned None -> ``self.running.pop()`` -> ``_preempt_request``; ``if preempted_req == request: break``).
    Requests at the end of the running list were admitted last and are not yet in this batch."""
    while not state.try_allocate(i, num_new_tokens):
        victim = state.preempt_last()
        batch.num_preempted += 1
        if victim == i:
            return False
    return True


def decode_all_reserved(state: ReplicaState, batch: Batch) -> None:
    """Every running request decodes; their blocks were reserved for the whole sequence at admission."""
    for i in state.running:
        if not state.try_allocate(i, 1):
            raise AssertionError(f"request at position {i} outgrew its KV reservation")
        batch.add(i, 1)
