"""Capacity search: the highest Poisson request rate whose run still meets the SLOs.

Vidur's ``CapacitySearch.search`` (vidur/config_optimizer/config_explorer/capacity_search.py) bisects the
QPS between 0 and twice a start value, raising the upper end while runs pass far below it, and stops when
the bracket is narrower than a percentage of the rate or after ``max_iterations``. Here: start at
``start_rate_per_s`` and double while every probe passes (no failing rate known yet), then bisect the
[pass, fail] bracket until it is narrower than ``rel_tol`` of the best passing rate. Like Vidur it
assumes pass/fail is monotone in the rate (not guaranteed for one random trace; use enough requests).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cosim.errors import CosimInputError
from cosim.serving.request import Trace
from cosim.serving.result import SimulationResult

STATISTICS = ("mean", "p50", "p90", "p95", "p99")


@dataclass(frozen=True)
class CapacitySLO:
    """Either quantile limits (e.g. p99 TTFT <= 2 s and median TPOT <= 50 ms) or, with ``attainment``, the
    share of requests that meet both per-request limits. A run that rejects a request never passes."""

    ttft_s: float | None = None
    ttft_statistic: str = "p99"
    tpot_s: float | None = None
    tpot_statistic: str = "p50"
    attainment: float | None = None

    def __post_init__(self) -> None:
        for name in ("ttft_statistic", "tpot_statistic"):
            if getattr(self, name) not in STATISTICS:
                raise CosimInputError(f"unknown statistic {getattr(self, name)!r}", field=name, allowed=STATISTICS)
        if self.ttft_s is None and self.tpot_s is None:
            raise CosimInputError("a capacity SLO needs ttft_s or tpot_s", field="ttft_s")
        if self.attainment is not None and not 0.0 < self.attainment <= 1.0:
            raise CosimInputError(f"attainment must be in (0, 1], got {self.attainment}", field="attainment")

    def check(self, result: SimulationResult) -> tuple[bool, dict[str, Any]]:
        s = result.summary(slo_ttft_s=self.ttft_s, slo_tpot_s=self.tpot_s)
        if s["rejected"]:
            return False, s
        if self.attainment is not None:
            return s["slo_attainment"] >= self.attainment, s
        ok = True
        for limit, key, stat in ((self.ttft_s, "ttft_s", self.ttft_statistic), (self.tpot_s, "tpot_s",
                                                                               self.tpot_statistic)):
            value = s[key][stat]
            ok &= limit is None or math.isnan(value) or value <= limit
        return bool(ok), s


@dataclass(frozen=True)
class CapacityProbe:
    rate_per_s: float
    ok: bool
    summary: dict[str, Any]


@dataclass
class CapacityResult:
    rate_per_s: float | None  # highest passing rate found; None if none passed
    result: SimulationResult | None  # the run at that rate
    probes: list[CapacityProbe] = field(default_factory=list)


def capacity_search(make_trace: Callable[[float], Trace], run: Callable[[Trace], SimulationResult],
                    slo: CapacitySLO, *, start_rate_per_s: float = 1.0, rel_tol: float = 0.02,
                    max_probes: int = 24) -> CapacityResult:
    """Highest rate (requests/s) with ``slo.check(run(make_trace(rate)))`` passing."""
    if not start_rate_per_s > 0:
        raise CosimInputError(f"start_rate_per_s must be > 0, got {start_rate_per_s}", field="start_rate_per_s")
    lo, hi, failed = 0.0, start_rate_per_s, False  # hi: next rate to try until one fails
    out = CapacityResult(None, None)
    for _ in range(max_probes):
        if failed and out.rate_per_s is not None and hi - lo <= rel_tol * lo:
            break
        rate = hi if not failed else 0.5 * (lo + hi)
        result = run(make_trace(rate))
        ok, summary = slo.check(result)
        out.probes.append(CapacityProbe(rate, ok, summary))
        if ok:
            lo, out.rate_per_s, out.result = rate, rate, result
            if not failed:
                hi = 2.0 * rate
        else:
            hi, failed = rate, True
    return out


def poisson_arrivals(lengths: Trace, rate_per_s: float, *, seed: int = 0) -> Trace:
    """The requests of ``lengths`` (prompt and output lengths, in order) arriving as a Poisson process."""
    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1.0 / rate_per_s, len(lengths)))
    return Trace.from_arrays(f"{lengths.name}@{rate_per_s:.6g}/s", arrival, lengths.prompt_tokens,
                             lengths.output_tokens)
