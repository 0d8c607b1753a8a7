"""Skip-ahead equals the step-by-step loop exactly, and it really skips."""

from __future__ import annotations

import numpy as np
from fakes import AffineTimer, CountingTimer, QuadraticTimer, make_trace
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.serving import EngineOverhead, simulate

OPTIONS = {
    "vllm": [None, {"max_num_batched_tokens": 256, "max_num_seqs": 16}, {"reserve_full_isl": False}],
    "sarathi": [None, {"chunk_size": 64, "max_num_seqs": 8}],
    "fairbatching": [None, {"ttft_slo_s": 0.05, "tpot_slo_s": 0.004, "max_num_batched_tokens": 512,
                            "max_num_seqs": 64}],
    "orca": [None, {"max_batch_size": 4, "max_num_batched_tokens": 1024}],
    "static": [{"batch_size": 3}],
}


def assert_identical(a, b, skip_ahead=True):
    for key in a.requests:
        assert np.array_equal(a.requests[key], b.requests[key], equal_nan=True), key
    for key in a.iterations:
        assert np.array_equal(a.iterations[key], b.iterations[key]), key
    assert np.array_equal(a.run_starts, b.run_starts) and np.array_equal(a.run_counts, b.run_counts)
    assert a.summary() == {**b.summary(), "config": {**b.summary()["config"], "skip_ahead": skip_ahead}}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), policy=st.sampled_from(sorted(OPTIONS)), n=st.integers(1, 30), seed=st.integers(0, 2**31),
       rate=st.sampled_from([5.0, 50.0, 500.0, np.inf]), quadratic=st.booleans(), dp=st.integers(1, 3),
       router=st.sampled_from(["round-robin", "least-loaded", "least-tokens"]),
       capacity=st.integers(400, 5000), block_size=st.sampled_from([1, 4, 16]), overhead=st.booleans(),
       ep=st.booleans())
def test_skip_ahead_equals_step_by_step(data, policy, n, seed, rate, quadratic, dp, router, capacity, block_size,
                                        overhead, ep):
    rng = np.random.default_rng(seed)
    arrivals = np.zeros(n) if np.isinf(rate) else np.cumsum(rng.exponential(1 / rate, n))
    trace = make_trace(rng.integers(1, 600, n), rng.integers(1, 400, n), arrivals)
    options = data.draw(st.sampled_from(OPTIONS[policy]))
    timer = QuadraticTimer(capacity_tokens=capacity) if quadratic else AffineTimer(capacity_tokens=capacity)
    kwargs = dict(policy=policy, policy_options=options, dp=dp, router=router, block_size=block_size,
                  overhead=EngineOverhead(1e-4, 2e-5, 1e-7) if overhead else None, ep=ep)
    # expert-parallel lockstep (ep with dp > 1) runs step by step: skip_ahead is recorded off
    assert_identical(simulate(trace, timer, **kwargs), simulate(trace, timer, skip_ahead=False, **kwargs),
                     skip_ahead=not (ep and dp > 1))


def test_long_decodes_take_one_timer_call_per_block():
    trace = make_trace([100, 200, 300], [20_000, 20_000, 20_000])
    timer = CountingTimer(AffineTimer())
    result = simulate(trace, timer)
    assert result.summary()["iterations"] == 20_000
    assert timer.iteration_calls <= 4 and timer.decode_run_calls <= 4
    reference = simulate(trace, AffineTimer(), skip_ahead=False)
    assert np.array_equal(result.iterations["end_s"], reference.iterations["end_s"])


def test_arrivals_cut_blocks_and_stay_exact():
    n = 200
    rng = np.random.default_rng(3)
    trace = make_trace(rng.integers(50, 400, n), rng.integers(500, 3000, n), np.cumsum(rng.exponential(0.05, n)))
    timer = CountingTimer(AffineTimer(capacity_tokens=40_000))
    fast = simulate(trace, timer)
    slow = simulate(trace, AffineTimer(capacity_tokens=40_000), skip_ahead=False)
    assert_identical(fast, slow)
    assert timer.iteration_calls + timer.decode_run_calls < fast.summary()["iterations"] / 4
