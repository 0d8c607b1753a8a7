"""The discrete-event loop: arrivals and iteration ends of ``dp`` replicas on one clock.

Events at one instant are taken in a fixed order: iteration ends (replica index order), then arrivals
(routed, or rejected if the policy can never serve them), then every idle replica with work schedules its
next iteration. An idle system jumps to the next arrival. Skip-ahead (see :mod:`cosim.serving.replica`)
turns runs of steady decode steps into one block; ``skip_ahead=False`` gives the step-by-step reference,
and the two agree on every timestamp.

Expert parallelism (``ep=True`` with ``dp > 1``; vLLM ``--data-parallel-size N --enable-expert-parallel``):
the MoE layers' all-to-alls span every replica, so the replicas step in lockstep (vLLM
docs/serving/data_parallel_deployment.md: "forward passes must be aligned ... dummy forward passes are
performed in all ranks that don't currently have any requests scheduled"). While any replica has work, all
start their iterations together; a replica without work runs a dummy batch of one decode token (its timer's
``iteration_s([1], [1])`` plus the engine overhead of one token); each lockstep iteration ends at the slowest
replica's end, and every replica's step (its log's ``end_s``; its own ``device_s`` and ``overhead_s``) ends
there. Each replica's timer is asked about its own batch, as without EP (the timer built with ``ep`` charges
every replica's expert share as if all replicas had this replica's tokens). Arrivals during a lockstep
iteration wait for its end. Skip-ahead is off under lockstep (``skip_ahead`` is ignored and recorded
False), so results are the step-by-step ones by construction.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from cosim.errors import CosimInputError
from cosim.serving.engine_overhead import EngineOverhead
from cosim.serving.kv_cache import KVCache
from cosim.serving.policies import Policy, make_policy
from cosim.serving.replica import ReplicaEngine
from cosim.serving.request import Trace
from cosim.serving.result import RunConfig, SimulationResult
from cosim.serving.router import Router, make_router
from cosim.serving.state import REJECTED, WAITING, ReplicaState, RequestTable
from cosim.serving.timer import IterationTimer

ProgressFn = Callable[[float], None]


def _check_trace(trace: Trace) -> None:
    if len(trace) == 0:
        return
    for field, values in (("prompt_tokens", trace.prompt_tokens), ("output_tokens", trace.output_tokens)):
        bad = np.flatnonzero(values < 1)
        if len(bad):
            r = trace.requests[int(bad[0])]
            raise CosimInputError(f"request {r.id} has {values[bad[0]]} {field.replace('_', ' ')}; at least 1 needed",
                                  file=trace.name, field=field)
    arrival = trace.arrival_s
    if not np.all(np.isfinite(arrival)) or np.any(np.diff(arrival) < 0):
        raise CosimInputError("arrival times must be finite and sorted", file=trace.name, field="arrival_s")


def _num_blocks(timer: IterationTimer, block_size: int, num_blocks: int | None) -> int:
    if num_blocks is None:
        num_blocks = int(timer.kv_capacity_tokens()) // block_size
        if num_blocks < 1:
            raise CosimInputError(f"the KV cache holds {timer.kv_capacity_tokens()} tokens, less than one "
                                  f"{block_size}-token block", field="num_blocks")
    if num_blocks < 1:
        raise CosimInputError(f"num_blocks must be >= 1, got {num_blocks}", field="num_blocks")
    return int(num_blocks)


class _Progress:
    """Calls ``fn`` with the finished (or rejected) fraction, at most about 1000 times a run."""

    def __init__(self, fn: ProgressFn | None, total: int) -> None:
        self.fn, self.total, self.done, self._next, self.reported = fn, max(total, 1), 0, 0, -1.0

    def add(self, n: int) -> None:
        self.done += n
        if self.fn is not None and self.done >= self._next:
            self.report(self.done / self.total)
            self._next = self.done + max(1, self.total // 1000)

    def report(self, fraction: float) -> None:
        if self.fn is not None and fraction > self.reported:
            self.reported = fraction
            self.fn(fraction)


def simulate(trace: Trace, timer: IterationTimer, *, policy: str | Policy = "vllm",
             policy_options: Mapping[str, Any] | None = None, block_size: int = 16, num_blocks: int | None = None,
             dp: int = 1, router: str | Router = "round-robin",
             overhead: EngineOverhead | Mapping[str, float] | None = None, skip_ahead: bool = True,
             progress: ProgressFn | None = None, ep: bool = False) -> SimulationResult:
    """Serve ``trace`` on ``dp`` replicas of one engine whose iterations ``timer`` times.

    ``num_blocks`` is per replica (default ``timer.kv_capacity_tokens() // block_size``; mirror a vLLM log's
    ``num_gpu_blocks`` with ``num_gpu_blocks - 1``, its null block). ``progress`` gets the fraction of
    requests finished or rejected. ``ep``: expert parallelism across the replicas, which then step in lockstep
    (module docstring; no effect with ``dp == 1``).
    """
    if not isinstance(block_size, int) or block_size < 1:
        raise CosimInputError(f"block_size must be a positive integer, got {block_size!r}", field="block_size")
    if not isinstance(dp, int) or dp < 1:
        raise CosimInputError(f"dp must be a positive integer, got {dp!r}", field="dp")
    _check_trace(trace)
    pol = make_policy(policy, policy_options)
    ovh = overhead if isinstance(overhead, EngineOverhead) else EngineOverhead.from_dict(overhead)
    blocks = _num_blocks(timer, block_size, num_blocks)
    rt = make_router(router, dp)
    table = RequestTable(trace)
    lockstep = bool(ep) and dp > 1
    skip_ahead = skip_ahead and not lockstep
    engines = [ReplicaEngine(ReplicaState(r, table, KVCache(blocks, block_size, table.blocks), timer, ovh),
                             pol if r == 0 else pol.fresh(), skip_ahead=skip_ahead) for r in range(dp)]
    run = _run_lockstep if lockstep else _run
    rejected = run(table, engines, pol, rt, _Progress(progress, len(table)))
    config = RunConfig(trace=trace.name, policy=pol.name, policy_options=pol.config.to_dict(), block_size=block_size,
                       num_blocks=blocks, dp=dp, router=rt.name, overhead=ovh.to_dict(), skip_ahead=skip_ahead)
    return _result(config, table, engines, rejected, pol.token_budget)


def _run(table: RequestTable, engines: list[ReplicaEngine], policy: Policy, router: Router,
         progress: _Progress) -> dict[int, str]:
    arrival, n = table.arrival_s, len(table)
    states = [e.state for e in engines]
    heap: list[tuple[float, int]] = []
    rejected: dict[int, str] = {}
    ptr = 0
    while True:
        t_end = heap[0][0] if heap else math.inf
        t_arr = float(arrival[ptr]) if ptr < n else math.inf
        now = min(t_end, t_arr)
        if now == math.inf:
            break
        while heap and heap[0][0] == now:
            _, r = heapq.heappop(heap)
            progress.add(len(engines[r].complete()))
        ptr = _admit(table, policy, router, states, ptr, now, rejected, progress)
        next_arrival = float(arrival[ptr]) if ptr < n else math.inf
        for e in engines:
            if not e.busy and e.state.has_work:
                heapq.heappush(heap, (e.start(now, next_arrival), e.index))
    progress.report(1.0)
    return rejected


def _admit(table: RequestTable, policy: Policy, router: Router, states: list[ReplicaState], ptr: int, now: float,
           rejected: dict[int, str], progress: _Progress) -> int:
    """Route (or reject) the arrivals up to ``now``; returns the next arrival's position."""
    arrival, n, kv0 = table.arrival_s, len(table), states[0].kv
    while ptr < n and arrival[ptr] <= now:
        i, ptr = ptr, ptr + 1
        reason = policy.reject_reason(int(table.prompt[i]), int(table.output[i]), kv0)
        if reason is not None:
            table.status[i] = REJECTED
            rejected[int(table.ids[i])] = reason
            progress.add(1)
            continue
        r = router.route(i, states)
        table.replica[i] = r
        table.status[i] = WAITING
        states[r].waiting.append(i)
    return ptr


def _dummy_s(engine: ReplicaEngine) -> float:
    """An idle replica's lockstep iteration: vLLM's dummy batch, one decode token."""
    one = np.ones(1, dtype=np.int64)
    return float(engine.state.timer.iteration_s(one, one)) + engine.state.overhead.iteration_s(1, 1)


def _run_lockstep(table: RequestTable, engines: list[ReplicaEngine], policy: Policy, router: Router,
                  progress: _Progress) -> dict[int, str]:
    """The event loop of expert-parallel replicas: one lockstep iteration at a time (module docstring)."""
    arrival, n = table.arrival_s, len(table)
    states = [e.state for e in engines]
    rejected: dict[int, str] = {}
    dummy = [_dummy_s(e) for e in engines]
    ptr, end_s = 0, math.inf  # end of the lockstep iteration in flight (inf: none)
    while True:
        t_arr = float(arrival[ptr]) if ptr < n else math.inf
        now = min(end_s, t_arr)
        if now == math.inf:
            break
        if end_s == now:
            for e in engines:
                if e.busy:
                    progress.add(len(e.complete()))
            end_s = math.inf
        ptr = _admit(table, policy, router, states, ptr, now, rejected, progress)
        if end_s == math.inf and any(st.has_work for st in states):
            working = [e for e in engines if e.state.has_work]
            own = [e.plan_lockstep(now) for e in working]
            own += [d for e, d in zip(engines, dummy, strict=True) if not e.state.has_work]
            end_s = max(now + d for d in own)
            for e in working:
                e.start_lockstep(now, end_s)
    progress.report(1.0)
    return rejected


def _result(config: RunConfig, table: RequestTable, engines: list[ReplicaEngine], rejected: dict[int, str],
            token_budget: int | None) -> SimulationResult:
    logs = [e.log.finalize() for e in engines]
    row0 = np.cumsum([0] + [len(log["end_s"]) for log in logs])
    iterations = {c: np.concatenate([log[c] for log in logs]) for c in logs[0]}
    iterations = {"replica": np.repeat(np.arange(len(logs)), np.diff(row0)), **iterations}
    counts = np.array([len(r) // 2 for r in table.runs], dtype=np.int64)
    flat = np.fromiter((x for r in table.runs for x in r), dtype=np.int64, count=int(2 * counts.sum()))
    starts, lengths = flat[0::2], flat[1::2]
    run_replica = np.repeat(table.replica.astype(np.int64), counts)
    requests = {"id": table.ids, "arrival_s": table.arrival_s, "prompt_tokens": table.prompt,
                "output_tokens": table.output, "replica": table.replica, "status": table.status,
                "first_scheduled_s": table.first_scheduled_s, "first_token_s": table.first_token_s,
                "last_token_s": table.last_token_s, "preemptions": table.preemptions}
    return SimulationResult(config=config, requests=requests, iterations=iterations,
                            run_offsets=np.concatenate(([0], np.cumsum(counts))),
                            run_starts=starts + row0[run_replica] if len(starts) else starts, run_counts=lengths,
                            rejected_reasons=rejected, token_budget=token_budget)
