"""What a serving simulation returns: the run's config, per-request timestamps, the iteration log, and views.

Token timestamps are not stored per token: each request keeps the runs of consecutive iterations (rows of
the iteration log) that gave it a token, and a token's time is its iteration's end. A run of 10^6
iterations with 10^4-token requests therefore keeps arrays, not 10^10 numbers or Python objects.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cosim.serving import metrics
from cosim.serving.state import FINISHED, REJECTED, STATUS_NAMES


@dataclass(frozen=True)
class RunConfig:
    """Everything that decided the run besides the trace's requests and the timer."""

    trace: str
    policy: str
    policy_options: dict[str, Any]
    block_size: int
    num_blocks: int
    dp: int
    router: str
    overhead: dict[str, float]
    skip_ahead: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SimulationResult:
    config: RunConfig
    requests: dict[str, np.ndarray]  # per request, in trace (arrival) order
    iterations: dict[str, np.ndarray]  # per iteration, replica by replica, with a "replica" column
    run_offsets: np.ndarray  # request r's token runs are run_starts/run_counts[run_offsets[r]:run_offsets[r + 1]]
    run_starts: np.ndarray  # first iteration row of a run
    run_counts: np.ndarray
    rejected_reasons: dict[int, str]  # request id -> why
    token_budget: int | None = None

    def _position(self, request_id: int) -> int:
        hits = np.flatnonzero(self.requests["id"] == request_id)
        if len(hits) == 0:
            raise KeyError(f"no request {request_id} in this run")
        return int(hits[0])

    def token_times_s(self, request_id: int) -> np.ndarray:
        """When each output token of a request was produced (its iteration's end)."""
        r = self._position(request_id)
        lo, hi = self.run_offsets[r], self.run_offsets[r + 1]
        rows = [np.arange(s, s + c) for s, c in zip(self.run_starts[lo:hi], self.run_counts[lo:hi], strict=True)]
        return self.iterations["end_s"][np.concatenate(rows)] if rows else np.zeros(0)

    def tbt_s(self, request_id: int) -> np.ndarray:
        """Every time-between-tokens gap of one request."""
        return np.diff(self.token_times_s(request_id))

    def tbt_distribution(self) -> tuple[np.ndarray, np.ndarray]:
        """All requests' TBT gaps as (values, multiplicities); see :func:`metrics.tbt_distribution`."""
        return metrics.tbt_distribution(self.iterations["end_s"], self.run_offsets, self.run_starts, self.run_counts)

    @property
    def completed(self) -> np.ndarray:
        return self.requests["status"] == FINISHED

    @property
    def makespan_s(self) -> float:
        """First arrival to last completion (vLLM benchmark's duration); 0 if nothing completed."""
        done = self.completed
        if not done.any():
            return 0.0
        return float(self.requests["last_token_s"][done].max() - self.requests["arrival_s"].min())

    def requests_df(self) -> pd.DataFrame:
        req = self.requests
        df = pd.DataFrame({k: v for k, v in req.items() if k != "status"})
        df.insert(5, "status", [STATUS_NAMES[s] for s in req["status"]])
        for name, values in metrics.request_metrics(req).items():
            df[name] = values
        df["rejected_reason"] = [self.rejected_reasons.get(int(i)) for i in req["id"]]
        return df

    def iterations_df(self) -> pd.DataFrame:
        return pd.DataFrame(self.iterations)

    def summary(self, slo_ttft_s: float | None = None, slo_tpot_s: float | None = None) -> dict[str, Any]:
        req, makespan = self.requests, self.makespan_s
        done = self.completed
        per = metrics.request_metrics(req)
        out_tokens = int(req["output_tokens"][done].sum())
        values, weights = self.tbt_distribution()
        out: dict[str, Any] = {
            "requests": len(req["id"]),
            "completed": int(done.sum()),
            "rejected": int((req["status"] == REJECTED).sum()),
            "preemptions": int(req["preemptions"].sum()),
            "preempted_requests": int((req["preemptions"] > 0).sum()),
            "makespan_s": makespan,
            "output_tokens": out_tokens,
            "output_tokens_per_s": out_tokens / makespan if makespan > 0 else math.nan,
            "requests_per_s": int(done.sum()) / makespan if makespan > 0 else math.nan,
            "ttft_s": metrics.stats(per["ttft_s"][done]),
            "tpot_s": metrics.stats(per["tpot_s"][done]),
            "e2e_s": metrics.stats(per["e2e_s"][done]),
            "tbt_s": metrics.weighted_stats(values, weights),
            "queueing_delay_s": metrics.stats(per["queueing_delay_s"][done]),
        }
        out.update(metrics.iteration_metrics(self.iterations, num_blocks=self.config.num_blocks, dp=self.config.dp,
                                             makespan_s=makespan, token_budget=self.token_budget))
        if slo_ttft_s is not None or slo_tpot_s is not None:
            out.update(metrics.slo_metrics(per["ttft_s"], per["tpot_s"], done, slo_ttft_s=slo_ttft_s,
                                           slo_tpot_s=slo_tpot_s, makespan_s=makespan))
        out["config"] = self.config.to_dict()
        return out
