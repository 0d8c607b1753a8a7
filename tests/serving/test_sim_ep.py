"""Expert-parallel replicas step in lockstep: every iteration ends at the slowest replica's end."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import AffineTimer, make_trace

from cosim.serving import EngineOverhead, simulate


def _iterations(result):
    it = result.iterations
    return [{k: it[k][i] for k in it} for i in range(len(it["end_s"]))]


def test_ep_without_dp_is_plain():
    trace = make_trace([100, 50, 300], [20, 40, 10])
    a = simulate(trace, AffineTimer(), dp=1, ep=True)
    b = simulate(trace, AffineTimer(), dp=1)
    assert np.array_equal(a.iterations["end_s"], b.iterations["end_s"])
    assert a.summary() == b.summary()


@pytest.mark.parametrize("dp", [2, 3, 4])
def test_lockstep_iterations_share_start_and_end(dp):
    rng = np.random.default_rng(dp)
    n = 24
    trace = make_trace(rng.integers(10, 500, n), rng.integers(1, 60, n), np.cumsum(rng.exponential(0.01, n)))
    r = simulate(trace, AffineTimer(), dp=dp, ep=True, overhead=EngineOverhead(1e-4, 2e-5, 1e-7))
    it = r.iterations
    starts = it["start_s"]
    for s in np.unique(starts):
        rows = starts == s
        assert len(np.unique(it["end_s"][rows])) == 1  # one lockstep end
        span = it["end_s"][rows][0] - s
        assert span >= (it["device_s"][rows] + it["overhead_s"][rows]).max() * (1 - 1e-12)
    # iterations never overlap across replicas: the next lockstep iteration starts after the last ends
    u = np.unique(starts)
    ends = np.array([it["end_s"][starts == s][0] for s in u])
    assert np.all(u[1:] >= ends[:-1])
    assert r.summary()["completed"] == n


def test_slowest_replica_sets_the_pace_and_idle_replica_runs_dummy():
    """Replica 0 gets a long prompt, replica 1 a short one: replica 1's step lasts as long as replica 0's."""
    timer = AffineTimer(a=1e-3, b=1e-5, c=0.0)
    trace = make_trace([1000, 10], [2, 5], [0.0, 0.0])
    r = simulate(trace, timer, dp=2, ep=True, router="round-robin")
    rows = _iterations(r)
    first = [x for x in rows if x["start_s"] == 0.0]
    assert {int(x["replica"]) for x in first} == {0, 1}
    assert all(x["end_s"] == pytest.approx(1e-3 + 1e-5 * 1000) for x in first)
    # after replica 0 finishes (2 tokens), replica 1 keeps decoding alone; replica 0 idles with a dummy batch
    # of one token, which is no slower than replica 1's decode
    later = [x for x in rows if x["start_s"] > 0]
    assert all(int(x["replica"]) == 1 for x in later[2:])
    assert all(x["end_s"] - x["start_s"] == pytest.approx(1e-3 + 1e-5) for x in later)
    without = simulate(trace, timer, dp=2, router="round-robin")
    assert r.requests["first_token_s"][1] > without.requests["first_token_s"][1]  # waited for replica 0


def test_dummy_batch_can_be_the_slowest():
    """An idle replica's dummy step lasts its timer's one-token iteration: with a timer that charges a large
    constant only for requests that are all 1-token decodes... the lockstep end is the max of both."""

    class Timer(AffineTimer):
        def iteration_s(self, q_lens, kv_lens):
            return 0.5 if int(np.sum(kv_lens)) == 1 else super().iteration_s(q_lens, kv_lens)

    trace = make_trace([100], [3])
    r = simulate(trace, Timer(), dp=2, ep=True)
    assert np.allclose(np.diff(np.concatenate(([0.0], r.iterations["end_s"]))), 0.5)
    assert (r.iterations["replica"] == 0).all()  # dummy batches are not logged


def test_ep_records_no_skip_ahead():
    trace = make_trace([100, 100], [50, 50])
    assert simulate(trace, AffineTimer(), dp=2, ep=True).summary()["config"]["skip_ahead"] is False
    assert simulate(trace, AffineTimer(), dp=2).summary()["config"]["skip_ahead"] is True
