"""One replica's engine: schedule an iteration, time it, commit it when it ends; and the skip-ahead block.

Skip-ahead: when the policy's step is a pure decode of every running request and it certifies the decision
as steady, the next steps differ only by every KV length growing by one. The block runs ``k`` such steps
at once, ``k`` = the steps until the first of: a request finishes, a KV block allocation would fail, the
next arrival time is crossed (steps ending strictly before it). One ``timer.decode_run_s`` call times the
block, a sequential ``cumsum`` from the start time gives every step's end exactly as the step-by-step loop
adds them, and the state advances in numpy. The step that contains the next arrival runs as a normal
step, so at every arrival the replica's committed state is the step-by-step one.
"""

from __future__ import annotations

import math

import numpy as np

from cosim.errors import CosimError
from cosim.serving.iteration_log import IterationLog
from cosim.serving.policies.base import Batch, Policy
from cosim.serving.state import FINISHED, ReplicaState


class SimulationStuckError(CosimError):
    """A replica has work but its policy schedules nothing and nothing can change that."""


class ReplicaEngine:
    def __init__(self, state: ReplicaState, policy: Policy, *, skip_ahead: bool = True) -> None:
        self.state = state
        self.policy = policy
        self.skip_ahead = skip_ahead
        self.log = IterationLog()
        self.busy = False
        self._inflight: tuple = ()
        self._last_step_s = math.nan
        self._pending_preempted = 0
        self._planned: tuple | None = None

    @property
    def index(self) -> int:
        return self.state.index

    def _schedule(self) -> Batch:
        st = self.state
        for _ in range(4):  # a step that only preempted (vLLM: zero scheduled tokens) reschedules at once
            batch = self.policy.schedule(st)
            self._pending_preempted += batch.num_preempted
            if batch.requests:
                return batch
            if not batch.num_preempted:
                break
        t = st.table
        who = st.waiting[0] if st.waiting else st.running[0]
        raise SimulationStuckError(
            f"replica {st.index}: the {self.policy.name} policy schedules nothing while request {int(t.ids[who])} "
            f"(prompt {int(t.prompt[who])}, output {int(t.output[who])} tokens) waits with {st.kv.free} of "
            f"{st.kv.num_blocks} KV blocks free; nothing can change")

    def start(self, now_s: float, next_arrival_s: float) -> float:
        """Schedule and start the next iteration (or block) at ``now_s``; returns when it ends."""
        st = self.state
        st.now_s = now_s
        batch = self._schedule()
        self.busy = True
        if self.skip_ahead and not self._pending_preempted and self.policy.is_steady(st, batch):
            end_s = self._start_block(batch, now_s, next_arrival_s)
            if end_s is not None:
                return end_s
        return self._start_step(batch, now_s)

    def _start_step(self, batch: Batch, now_s: float) -> float:
        device_s, overhead_s = self._time_step(batch)
        return self._begin_step(batch, now_s, device_s, overhead_s, now_s + (device_s + overhead_s))

    def _time_step(self, batch: Batch) -> tuple[float, float]:
        st, t = self.state, self.state.table
        idx = np.asarray(batch.requests, dtype=np.int64)
        q = np.asarray(batch.q_lens, dtype=np.int64)
        device_s = float(st.timer.iteration_s(q, t.computed[idx] + q))
        return device_s, st.overhead.iteration_s(len(idx), int(q.sum()))

    def plan_lockstep(self, now_s: float) -> float:
        """Expert-parallel lockstep (see :mod:`cosim.serving.simulator`): schedule the next step at ``now_s``
        and return its own duration; :meth:`start_lockstep` starts it with the lockstep iteration's end."""
        self.state.now_s = now_s
        batch = self._schedule()
        device_s, overhead_s = self._time_step(batch)
        self._planned = (batch, device_s, overhead_s)
        return device_s + overhead_s

    def start_lockstep(self, now_s: float, end_s: float) -> float:
        """Start the planned step; it ends with the slowest replica's step at ``end_s`` (the MoE all-to-alls
        hold every rank until the last one arrives)."""
        batch, device_s, overhead_s = self._planned
        self._planned = None
        self.busy = True
        return self._begin_step(batch, now_s, device_s, overhead_s, end_s)

    def _begin_step(self, batch: Batch, now_s: float, device_s: float, overhead_s: float, end_s: float) -> float:
        st, t = self.state, self.state.table
        idx = np.asarray(batch.requests, dtype=np.int64)
        q = np.asarray(batch.q_lens, dtype=np.int64)
        cached = t.computed[idx]
        num_tokens = int(q.sum())
        unseen = idx[np.isnan(t.first_scheduled_s[idx])]
        t.first_scheduled_s[unseen] = now_s
        decode = (t.generated[idx] >= 1) & (t.prompt[idx] + t.generated[idx] - cached == 1)
        self.log.append(start_s=now_s, end_s=end_s, device_s=device_s, overhead_s=overhead_s, num_seqs=len(idx),
                        num_decodes=int(decode.sum()), num_tokens=num_tokens,
                        num_prefill_tokens=int(q[~decode].sum()), num_running=len(st.running),
                        num_waiting=len(st.waiting), kv_blocks_used=st.kv.used, num_preempted=self._take_preempted())
        self._inflight = ("step", idx, q, self.log.count - 1, end_s)
        self._last_step_s = device_s + overhead_s
        return end_s

    def _take_preempted(self) -> int:
        n, self._pending_preempted = self._pending_preempted, 0
        return n

    def _start_block(self, batch: Batch, now_s: float, next_arrival_s: float) -> float | None:
        st, t = self.state, self.state.table
        idx = np.asarray(batch.requests, dtype=np.int64)
        cached = t.computed[idx]
        k_max = int((t.output[idx] - t.generated[idx]).min())
        if k_max < 2:
            return None
        k_max, used = st.kv.decode_run(idx, cached, k_max)
        if k_max < 2:
            return None
        k_probe = k_max
        if math.isfinite(next_arrival_s) and math.isfinite(self._last_step_s) and self._last_step_s > 0:
            k_probe = min(k_max, max(2, int((next_arrival_s - now_s) / self._last_step_s * 1.25) + 8))
        n = len(idx)
        device_s = np.asarray(st.timer.decode_run_s(cached + 1, k_probe), dtype=np.float64)
        overhead_s = st.overhead.iteration_s(n, n)
        ends = np.cumsum(np.concatenate(([now_s], device_s + overhead_s)))[1:]
        k = min(k_probe, int(np.searchsorted(ends, next_arrival_s, side="left")))
        if k < 2:
            return None
        self.log.append_block(k, start_s=np.concatenate(([now_s], ends[:k - 1])), end_s=ends[:k],
                              device_s=device_s[:k], overhead_s=overhead_s, num_seqs=n, num_decodes=n, num_tokens=n,
                              num_prefill_tokens=0, num_running=len(st.running), num_waiting=len(st.waiting),
                              kv_blocks_used=used[:k], num_preempted=0)
        self._inflight = ("block", idx, k, self.log.count - k, float(ends[k - 1]))
        self._last_step_s = float(device_s[k - 1] + overhead_s)
        return float(ends[k - 1])

    def complete(self) -> list[int]:
        """Commit the in-flight iteration or block at its end; returns the requests that finished."""
        st, t = self.state, self.state.table
        kind, idx = self._inflight[0], self._inflight[1]
        if kind == "step":
            _, _, q, iteration, end_s = self._inflight
            t.computed[idx] += q
            tok = idx[t.computed[idx] == t.prompt[idx] + t.generated[idx]]
            t.generated[tok] += 1
            first = tok[np.isnan(t.first_token_s[tok])]
            t.first_token_s[first] = end_s
            count = 1
        else:
            _, _, count, iteration, end_s = self._inflight
            t.computed[idx] += count
            t.generated[idx] += count
            st.kv.commit_decode_run(idx, t.computed[idx])
            tok = idx
        t.last_token_s[tok] = end_s
        for i in tok.tolist():
            t.add_token_run(i, iteration, count)
        finished = tok[t.generated[tok] == t.output[tok]].tolist()
        for i in finished:
            st.running.remove(i)
            st.kv.free_request(i)
            t.status[i] = FINISHED
        self.busy = False
        self._inflight = ()
        return finished
