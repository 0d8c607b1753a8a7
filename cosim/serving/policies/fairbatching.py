"""FairBatching (Lyu et al., arXiv 2510.14392, 2025): fair prefill/decode batch formation under TTFT/TPOT SLOs.

What the paper pins down (abstract and its summaries; the full text was not available here): a monotone
per-token deadline replaces the time-between-tokens metric, ``token_ddl(i, j) = arrival_i + ttft_slo +
tpot_slo * j`` for the j-th output token (0-based); the batch's computational capacity is adaptive
("adjusts the computational budget ... without triggering SLO violations") instead of Sarathi's fixed
token budget; batch formation is not decode-first: slack of decodes ahead of their deadlines is reclaimed
to serve prefill bursts; a load estimate for the cluster router.

What could not be pinned down and is this implementation's reading:

* capacity: the iteration may last ``tau = max(tpot_slo, min decode slack - tpot_slo)``, slack = deadline
  of the next token - now, so that a decode deferred now still meets its deadline one iteration later;
  the token capacity is the largest token count (<= ``max_num_batched_tokens``) whose estimated iteration
  time (the simulator's own IterationTimer plus engine overhead, by bisection) stays within ``tau``;
* fair formation: decodes with less than two TPOTs of slack are urgent and always run; the rest of the
  capacity goes earliest-deadline-first to the other decodes, the ongoing prefills and the admissible
  waiting requests (a prefill's deadline is its first token's, a preempted request's that of its next
  token), so a decode far ahead of its envelope yields to a prefill about to miss its TTFT, and a
  decode on its envelope keeps its TPOT while prefills get what is left; no prefill pending -> every
  decode runs;
* KV: vLLM V1's manager and recompute preemption (FairBatching is built on vLLM); a waiting request is
  admitted only if its whole current sequence fits (``reserve_full_isl``), FCFS by deadline, stopping at
  the first that does not; at most ``max_num_seqs`` running;
* the router-side load estimate is not modelled (use the ``least-loaded`` router);
* the default SLOs (TTFT 1 s, TPOT 50 ms) are placeholders, not the paper's; set the run's own.

A decode-only step with no prefill pending is steady (deadlines do not matter then): skip-ahead applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice

import numpy as np

from cosim.serving.options import require
from cosim.serving.policies.base import POLICIES, Batch, Policy, PolicyConfig
from cosim.serving.policies.common import allocate_or_preempt
from cosim.serving.state import RUNNING, ReplicaState


@dataclass(frozen=True)
class FairBatchingConfig(PolicyConfig):
    ttft_slo_s: float = 1.0
    tpot_slo_s: float = 0.05
    max_num_batched_tokens: int = 8192
    max_num_seqs: int = 1024

    def __post_init__(self) -> None:
        require(self.ttft_slo_s > 0, "fairbatching policy", "ttft_slo_s", "must be > 0")
        require(self.tpot_slo_s > 0, "fairbatching policy", "tpot_slo_s", "must be > 0")
        require(self.max_num_batched_tokens >= 1, "fairbatching policy", "max_num_batched_tokens", "must be >= 1")
        require(1 <= self.max_num_seqs <= self.max_num_batched_tokens, "fairbatching policy", "max_num_seqs",
                "must be in [1, max_num_batched_tokens]")


@POLICIES.register("fairbatching")
class FairBatchingPolicy(Policy):
    name = "fairbatching"
    config_cls = FairBatchingConfig
    config: FairBatchingConfig

    def __init__(self, config: FairBatchingConfig | None = None) -> None:
        super().__init__(config)
        self._no_prefill_pending = False

    @property
    def token_budget(self) -> int:
        return self.config.max_num_batched_tokens

    def deadlines_s(self, state: ReplicaState, idx: np.ndarray) -> np.ndarray:
        """Deadline of each request's next token: ``arrival + ttft_slo + tpot_slo * tokens_generated``."""
        t, c = state.table, self.config
        return t.arrival_s[idx] + c.ttft_slo_s + c.tpot_slo_s * t.generated[idx]

    def _admissible_waiting(self, state: ReplicaState, decodes: list[int]) -> list[int]:
        """Waiting requests that could join now, earliest deadline first, stopping at the first that cannot
        (whole current sequence must fit the blocks left after this step's decodes; ``max_num_seqs``).

        The queue is [preempted ones (prepended), fresh ones in arrival order]; fresh deadlines grow with
        the arrival, and each joining request takes a block, so only the preempted ones and the first
        ``min(slots, free blocks)`` fresh ones can be among the first that join."""
        t, kv = state.table, state.kv
        d = np.asarray(decodes, dtype=np.int64)
        free = kv.free - int((-(-(t.computed[d] + 1) // kv.block_size) > t.blocks[d]).sum())
        slots = self.config.max_num_seqs - len(state.running)
        if not state.waiting or free <= 0 or slots <= 0:
            return []
        resumed = 0
        for i in state.waiting:
            if not t.preemptions[i]:
                break
            resumed += 1
        w = np.fromiter(islice(state.waiting, resumed + min(slots, free)), dtype=np.int64)
        order = w[np.argsort(self.deadlines_s(state, w), kind="stable")]
        need = np.cumsum(-(-(t.prompt[order] + t.generated[order]) // kv.block_size))
        return order[: min(int(np.searchsorted(need, free, side="right")), slots)].tolist()

    def _plan(self, state: ReplicaState, tasks: list[tuple[int, int]], capacity: int) -> list[tuple[int, int]]:
        plan, left = [], capacity
        for i, rest in tasks:
            if left <= 0:
                break
            q = min(rest, left)
            plan.append((i, q))
            left -= q
        return plan

    def _estimate_s(self, state: ReplicaState, plan: list[tuple[int, int]]) -> float:
        idx = np.fromiter((i for i, _ in plan), dtype=np.int64, count=len(plan))
        q = np.fromiter((q for _, q in plan), dtype=np.int64, count=len(plan))
        device = state.timer.iteration_s(q, state.table.computed[idx] + q)
        return device + state.overhead.iteration_s(len(plan), int(q.sum()))

    def _capacity(self, state: ReplicaState, tasks: list[tuple[int, int]], tau_s: float, floor: int) -> int:
        """Largest token capacity whose planned batch is estimated to finish within ``tau_s``; never below
        ``floor`` (the urgent decodes at the head of ``tasks``, which run even if they alone take longer)."""
        hi = min(self.config.max_num_batched_tokens, sum(rest for _, rest in tasks))
        lo = max(1, floor)
        if hi <= lo or math.isinf(tau_s) or self._estimate_s(state, self._plan(state, tasks, hi)) <= tau_s:
            return max(hi, lo)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._estimate_s(state, self._plan(state, tasks, mid)) <= tau_s:
                lo = mid
            else:
                hi = mid
        return lo

    def schedule(self, state: ReplicaState) -> Batch:
        t = state.table
        running = np.asarray(state.running, dtype=np.int64)
        is_decode = (t.generated[running] >= 1) & (t.prompt[running] + t.generated[running] - t.computed[running] == 1)
        decodes = running[is_decode].tolist()
        joining = self._admissible_waiting(state, decodes)
        self._no_prefill_pending = bool(is_decode.all()) and not joining
        if self._no_prefill_pending:
            return self._commit(state, [(i, 1) for i in decodes], set())
        tpot = self.config.tpot_slo_s
        candidates = np.concatenate([running, np.asarray(joining, dtype=np.int64)])  # ties keep this order
        slack = self.deadlines_s(state, candidates) - state.now_s
        urgent = np.zeros(len(candidates), dtype=bool)
        urgent[: len(running)] = is_decode & (slack[: len(running)] < 2 * tpot)
        order = np.concatenate([np.flatnonzero(urgent), np.flatnonzero(~urgent)[np.argsort(slack[~urgent],
                                                                                           kind="stable")]])
        ordered = candidates[order].tolist()
        tasks = list(zip(ordered, state.remaining_of(ordered), strict=True))
        decode_slack = slack[: len(running)][is_decode]
        tau_s = max(tpot, float(decode_slack.min()) - tpot) if len(decode_slack) else math.inf
        plan = self._plan(state, tasks, self._capacity(state, tasks, tau_s, int(urgent.sum())))
        return self._commit(state, plan, set(joining))

    def _commit(self, state: ReplicaState, plan: list[tuple[int, int]], joining: set[int]) -> Batch:
        """Running slices first and in admission order (a failed allocation preempts from the end of the
        running list, as in vLLM, so a victim is never a slice already taken), then the joining ones."""
        batch = Batch()
        t = state.table
        position = {i: k for k, i in enumerate(state.running)}
        for i, q in sorted(((i, q) for i, q in plan if i not in joining), key=lambda s: position[s[0]]):
            if t.status[i] == RUNNING and allocate_or_preempt(state, i, q, batch):
                batch.add(i, q)
        for i, q in plan:
            if i not in joining:
                continue
            if batch.num_preempted or len(state.running) >= self.config.max_num_seqs:
                break
            if not state.kv.can_fit(i, int(t.prompt[i] + t.generated[i])) or not state.try_allocate(i, q):
                break
            state.admit(i)
            batch.num_admitted += 1
            batch.add(i, q)
        return batch

    def is_steady(self, state: ReplicaState, batch: Batch) -> bool:
        """Decode-only decisions repeat only while no prefill competes (then the deadlines do not matter)."""
        return self._no_prefill_pending and super().is_steady(state, batch)
