"""Data parallelism: replicas on one clock behind a router."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import AffineTimer, assert_conserved, make_trace, poisson_trace

from cosim.errors import CosimInputError
from cosim.serving import simulate


@pytest.mark.parametrize("router", ["round-robin", "least-loaded", "least-tokens"])
def test_two_replicas_roughly_halve_an_offline_makespan(router):
    rng = np.random.default_rng(0)
    trace = make_trace(rng.integers(100, 500, 400), rng.integers(100, 400, 400))
    timer = AffineTimer(capacity_tokens=30_000)
    one = simulate(trace, timer).makespan_s
    two = simulate(trace, timer, dp=2, router=router)
    assert two.makespan_s == pytest.approx(one / 2, rel=0.1)
    assert_conserved(two, trace)
    assert set(two.requests["replica"]) == {0, 1}
    assert set(two.iterations["replica"]) == {0, 1}


def test_round_robin_alternates_and_least_loaded_follows_vllm_score():
    trace = make_trace([100] * 6, [50] * 6, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    rr = simulate(trace, AffineTimer(), dp=3)
    assert list(rr.requests["replica"]) == [0, 1, 2, 0, 1, 2]
    # all arrive at once: the score 4 * waiting + running grows as requests queue, so it spreads them too
    ll = simulate(trace, AffineTimer(), dp=3, router="least-loaded")
    assert np.bincount(ll.requests["replica"]).tolist() == [2, 2, 2]


def test_least_tokens_balances_work_not_counts():
    trace = make_trace([2000, 10, 10, 10], [500, 5, 5, 5], [0.0, 0.01, 0.02, 0.03])
    result = simulate(trace, AffineTimer(), dp=2, router="least-tokens")
    assert list(result.requests["replica"]) == [0, 1, 1, 1]


def test_replicas_have_their_own_kv_cache():
    trace = make_trace([100] * 4, [300] * 4)
    result = simulate(trace, AffineTimer(), dp=2, block_size=16, num_blocks=26, policy="orca")
    it = result.iterations_df()
    assert it.groupby("replica").kv_blocks_used.max().tolist() == [25, 25]  # one 25-block request each
    assert result.summary()["completed"] == 4


def test_dp_with_poisson_arrivals_conserves():
    trace = poisson_trace(200, 300.0, seed=4)
    result = simulate(trace, AffineTimer(capacity_tokens=8000), dp=4, router="least-loaded")
    assert_conserved(result, trace)


def test_unknown_router_lists_the_known_ones():
    with pytest.raises(CosimInputError, match="allowed: least-loaded, least-tokens, round-robin"):
        simulate(make_trace([1], [1]), AffineTimer(), dp=2, router="random")
