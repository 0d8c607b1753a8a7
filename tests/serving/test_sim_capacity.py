"""Capacity search: expand, then bisect the highest Poisson rate that meets the SLOs."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from fakes import AffineTimer, make_trace

from cosim.errors import CosimInputError
from cosim.serving import CapacitySLO, capacity_search, poisson_arrivals, simulate

LENGTHS = make_trace(np.full(300, 200), np.full(300, 50), name="fixed")
TIMER = AffineTimer(a=2e-3, b=2e-5, c=1e-8, capacity_tokens=40_000)


def make(rate):
    return poisson_arrivals(LENGTHS, rate, seed=0)  # one seed: arrivals scale exactly as 1 / rate


def test_finds_the_highest_passing_rate_within_tolerance():
    slo = CapacitySLO(ttft_s=0.05, ttft_statistic="p99", tpot_s=0.01, tpot_statistic="p50")
    found = capacity_search(make, functools.partial(simulate, timer=TIMER), slo, start_rate_per_s=5.0, rel_tol=0.02)
    assert found.rate_per_s is not None and found.result is not None
    assert slo.check(found.result)[0]
    passing = [p.rate_per_s for p in found.probes if p.ok]
    failing = [p.rate_per_s for p in found.probes if not p.ok]
    assert max(passing) == found.rate_per_s and min(failing) > found.rate_per_s
    assert min(failing) - found.rate_per_s <= 0.02 * found.rate_per_s
    assert found.probes[0].rate_per_s == 5.0 and found.probes[1].rate_per_s == 10.0  # doubling first


def test_attainment_mode_and_an_impossible_slo():
    run = functools.partial(simulate, timer=TIMER)
    loose = capacity_search(make, run, CapacitySLO(ttft_s=0.05, tpot_s=0.01, attainment=0.9), start_rate_per_s=5.0)
    strict = capacity_search(make, run, CapacitySLO(ttft_s=0.05, tpot_s=0.01, attainment=1.0), start_rate_per_s=5.0)
    assert loose.rate_per_s >= strict.rate_per_s
    never = capacity_search(make, run, CapacitySLO(ttft_s=1e-6), start_rate_per_s=5.0, max_probes=6)
    assert never.rate_per_s is None and not any(p.ok for p in never.probes) and len(never.probes) == 6


def test_slo_validation():
    with pytest.raises(CosimInputError, match="ttft_s or tpot_s"):
        CapacitySLO()
    with pytest.raises(CosimInputError, match="allowed: mean, p50, p90, p95, p99"):
        CapacitySLO(ttft_s=1.0, ttft_statistic="p999")
