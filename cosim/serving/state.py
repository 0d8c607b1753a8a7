"""State of a run: per-request numpy arrays, and per replica its running list, waiting queue and KV cache.

A request's progress is vLLM V1's pair (``num_computed_tokens``, ``num_tokens``): ``num_tokens`` is its prompt
plus the tokens generated so far, and a slice that makes ``computed`` reach ``num_tokens`` samples the next
token (vllm/v1/core/sched/scheduler.py, note on the scheduling algorithm). A decode is the slice of 1
token; a prefill after a preemption recomputes the prompt and every generated token and then samples one
more. Arrays (not objects) so a skip-ahead block advances all running requests in one numpy step.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from cosim.serving.engine_overhead import EngineOverhead
from cosim.serving.kv_cache import KVCache
from cosim.serving.request import Trace
from cosim.serving.timer import IterationTimer

PENDING, WAITING, RUNNING, FINISHED, REJECTED = 0, 1, 2, 3, 4
STATUS_NAMES = ("pending", "waiting", "running", "finished", "rejected")


class RequestTable:
    """Every request of the trace, by its position in the trace (sorted by arrival)."""

    def __init__(self, trace: Trace) -> None:
        n = len(trace)
        self.ids = np.array([r.id for r in trace], dtype=np.int64)
        self.arrival_s = trace.arrival_s
        self.prompt = trace.prompt_tokens
        self.output = trace.output_tokens
        self.computed = np.zeros(n, dtype=np.int64)
        self.generated = np.zeros(n, dtype=np.int64)
        self.blocks = np.zeros(n, dtype=np.int64)
        self.replica = np.full(n, -1, dtype=np.int32)
        self.status = np.zeros(n, dtype=np.int8)
        self.preemptions = np.zeros(n, dtype=np.int32)
        self.first_scheduled_s = np.full(n, np.nan)
        self.first_token_s = np.full(n, np.nan)
        self.last_token_s = np.full(n, np.nan)
        # Iterations (indices into the replica's log) that produced a token: flat [start, count, start, count...].
        self.runs: list[list[int]] = [[] for _ in range(n)]

    def __len__(self) -> int:
        return len(self.ids)

    def add_token_run(self, i: int, first_iteration: int, count: int) -> None:
        runs = self.runs[i]
        if runs and runs[-2] + runs[-1] == first_iteration:
            runs[-1] += count
        else:
            runs.extend((first_iteration, count))


class ReplicaState:
    """What a policy sees and changes on one replica: running (admission order), waiting (FCFS), KV cache."""

    def __init__(self, index: int, table: RequestTable, kv: KVCache, timer: IterationTimer,
                 overhead: EngineOverhead) -> None:
        self.index = index
        self.table = table
        self.kv = kv
        self.timer = timer
        self.overhead = overhead
        self.running: list[int] = []
        self.waiting: deque[int] = deque()
        self.now_s = 0.0

    @property
    def has_work(self) -> bool:
        return bool(self.running) or bool(self.waiting)

    def remaining(self, i: int) -> int:
        """Tokens request ``i`` must compute before it samples its next token (1 for a decode)."""
        t = self.table
        return int(t.prompt[i] + t.generated[i] - t.computed[i])

    def remaining_of(self, idx: list[int]) -> list[int]:
        t = self.table
        a = np.asarray(idx, dtype=np.int64)
        return (t.prompt[a] + t.generated[a] - t.computed[a]).tolist()

    def is_decode(self, i: int) -> bool:
        return bool(self.table.generated[i] >= 1) and self.remaining(i) == 1

    def try_allocate(self, i: int, num_new_tokens: int) -> bool:
        return self.kv.try_allocate(i, int(self.table.computed[i]) + num_new_tokens)

    def admit_head(self) -> int:
        """Move the head of the waiting queue to the end of the running list."""
        i = self.waiting.popleft()
        self.running.append(i)
        self.table.status[i] = RUNNING
        return i

    def admit(self, i: int) -> None:
        """Move waiting request ``i`` (anywhere in the queue) to the end of the running list."""
        self.waiting.remove(i)
        self.running.append(i)
        self.table.status[i] = RUNNING

    def preempt(self, i: int) -> None:
        """Preemption by recompute (vLLM V1 ``_preempt_request``): free all blocks, computed = 0, front of waiting."""
        self.running.remove(i)
        self.kv.free_request(i)
        self.table.computed[i] = 0
        self.table.preemptions[i] += 1
        self.table.status[i] = WAITING
        self.waiting.appendleft(i)

    def preempt_last(self) -> int:
        """Preempt the most recently admitted running request (vLLM V1 FCFS: ``self.running.pop()``)."""
        i = self.running[-1]
        self.preempt(i)
        return i

    def outstanding_tokens(self) -> int:
        """Tokens this replica still has to compute for its requests: ``prompt + output - 1 - computed`` each."""
        t = self.table
        idx = np.fromiter((*self.running, *self.waiting), dtype=np.int64)
        if len(idx) == 0:
            return 0
        return int((t.prompt[idx] + t.output[idx] - 1 - t.computed[idx]).sum())
