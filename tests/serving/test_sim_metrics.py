"""Metrics: Little's law on a steady run, the compact TBT distribution, SLO attainment and goodput."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import AffineTimer, make_trace, poisson_trace
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.serving import simulate
from cosim.serving.metrics import stats, weighted_stats


def test_littles_law_on_a_steady_poisson_run():
    trace = poisson_trace(3000, 40.0, prompt=(50, 400), output=(20, 200), seed=7)
    result = simulate(trace, AffineTimer(a=2e-3, b=2e-5, c=1e-8, capacity_tokens=60_000))
    s, it = result.summary(), result.iterations_df()
    # time-average number in system, from the iteration log alone (the system is empty when idle)
    in_system = ((it.num_running + it.num_waiting) * (it.end_s - it.start_s)).sum() / s["makespan_s"]
    throughput = s["completed"] / s["makespan_s"]
    assert 5 < in_system < 100 and s["queueing_delay_s"]["p99"] < 0.1  # loaded but stable
    assert in_system == pytest.approx(throughput * s["e2e_s"]["mean"], rel=0.05)


def test_tbt_distribution_is_every_requests_gaps():
    trace = poisson_trace(80, 200.0, seed=2)
    result = simulate(trace, AffineTimer(capacity_tokens=6000), policy_options={"max_num_batched_tokens": 128,
                                                                                "max_num_seqs": 16})
    assert result.summary()["preemptions"] > 0  # gaps across preemptions are included too
    every = np.concatenate([result.tbt_s(r.id) for r in trace])
    values, weights = result.tbt_distribution()
    assert weights.sum() == len(every) == (trace.output_tokens - 1).sum()
    assert np.allclose(np.sort(np.repeat(values, weights)), np.sort(every), rtol=0, atol=1e-15)
    expected = stats(every)
    for key, value in result.summary()["tbt_s"].items():
        assert value == pytest.approx(expected[key], rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=30),
       data=st.data())
def test_weighted_stats_equal_stats_of_the_repeated_values(values, data):
    weights = data.draw(st.lists(st.integers(0, 5), min_size=len(values), max_size=len(values)))
    repeated = np.repeat(values, weights)
    got, want = weighted_stats(np.array(values), np.array(weights)), stats(repeated)
    for key in want:
        assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12, nan_ok=True)


def test_slo_attainment_and_goodput():
    trace = make_trace([100, 100, 4000], [10, 1, 10], [0.0, 0.0, 0.0])
    result = simulate(trace, AffineTimer(a=1e-3, b=1e-5, c=0.0), policy_options={"max_num_batched_tokens": 2048})
    df = result.requests_df()
    limit = float(df.ttft_s[:2].max()) + 1e-9  # the short prompts meet it; the long one is chunked, later
    s = result.summary(slo_ttft_s=limit)
    assert df.ttft_s[2] > limit
    assert s["slo_attainment"] == pytest.approx(2 / 3)
    assert s["goodput_requests_per_s"] == pytest.approx(2 / s["makespan_s"])
    # a one-token request has no TPOT and meets any TPOT limit
    assert result.summary(slo_tpot_s=1e-12)["slo_attainment"] == pytest.approx(1 / 3)


def test_throughput_and_makespan_definitions():
    trace = make_trace([10, 10], [5, 9], [1.0, 1.5])
    result = simulate(trace, AffineTimer())
    s = result.summary()
    assert s["makespan_s"] == pytest.approx(result.requests["last_token_s"].max() - 1.0)
    assert s["output_tokens_per_s"] == pytest.approx(14 / s["makespan_s"])
    assert s["requests_per_s"] == pytest.approx(2 / s["makespan_s"])
