"""Conservation, closed forms on the affine fake timer, rejection, the no-progress guard, run config."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import AffineTimer, assert_conserved, make_trace, poisson_trace
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.serving import EngineOverhead, SimulationStuckError, simulate
from cosim.serving.policies import Batch, VllmConfig, VllmPolicy

POLICIES = ("vllm", "sarathi", "fairbatching", "orca", "static")


@settings(max_examples=25, deadline=None)
@given(policy=st.sampled_from(POLICIES), n=st.integers(1, 25), seed=st.integers(0, 10_000),
       capacity=st.integers(600, 6000), dp=st.integers(1, 3))
def test_every_request_completes_once_with_its_tokens(policy, n, seed, capacity, dp):
    rng = np.random.default_rng(seed)
    trace = make_trace(rng.integers(1, 700, n), rng.integers(1, 300, n), np.sort(rng.uniform(0, 0.5, n)))
    result = simulate(trace, AffineTimer(capacity_tokens=capacity), policy=policy, dp=dp)
    assert_conserved(result, trace)


def test_one_request_alone_closed_form():
    a, b, c = 2e-3, 1e-5, 1e-7
    ovh = EngineOverhead(per_iteration_s=1e-4, per_sequence_s=2e-5, per_token_s=3e-7)
    prompt, output = 300, 6
    trace = make_trace([prompt], [output], [0.5])
    result = simulate(trace, AffineTimer(a, b, c), overhead=ovh)
    prefill_s = a + b * prompt + c * prompt + ovh.iteration_s(1, prompt)
    decode_s = [a + b + c * (prompt + j) + ovh.iteration_s(1, 1) for j in range(1, output)]
    row = result.requests_df().iloc[0]
    assert row.ttft_s == pytest.approx(prefill_s, rel=1e-12)
    assert row.tpot_s == pytest.approx(np.mean(decode_s), rel=1e-12)
    assert np.allclose(result.tbt_s(0), decode_s, rtol=1e-12)
    assert row.queueing_delay_s == 0.0
    assert row.e2e_s == pytest.approx(prefill_s + sum(decode_s), rel=1e-12)


def test_chunked_prefill_ttft_is_the_sum_of_its_chunks():
    a, b, c = 1e-3, 1e-5, 1e-7
    trace = make_trace([1000], [1])
    result = simulate(trace, AffineTimer(a, b, c), policy_options={"max_num_batched_tokens": 256, "max_num_seqs": 8})
    chunks = [256, 256, 256, 232]
    cached = np.cumsum(chunks)
    expected = sum(a + b * q + c * kv for q, kv in zip(chunks, cached, strict=True))
    assert result.requests_df().iloc[0].ttft_s == pytest.approx(expected, rel=1e-12)
    assert list(result.iterations["num_tokens"]) == chunks
    assert np.isnan(result.requests_df().iloc[0].tpot_s)  # one output token: TPOT undefined


def test_one_output_token_finishes_at_the_prefill_end():
    result = simulate(make_trace([100, 50], [1, 1]), AffineTimer())
    df = result.requests_df()
    assert (df.last_token_s == df.first_token_s).all()
    assert len(result.iterations["end_s"]) == 1  # both prefills in one iteration


@pytest.mark.parametrize("policy", POLICIES)
def test_a_prompt_that_can_never_fit_is_rejected_not_looped_on(policy):
    trace = make_trace([100, 5000, 80], [10, 10, 10])
    result = simulate(trace, AffineTimer(capacity_tokens=1024), policy=policy)
    df = result.requests_df().set_index("id")
    assert df.loc[1, "status"] == "rejected" and "KV blocks" in df.loc[1, "rejected_reason"]
    assert (df.loc[[0, 2], "status"] == "finished").all()
    assert result.summary()["rejected"] == 1


def test_prompt_plus_output_beyond_the_cache_is_rejected_too():
    # 900 + 200 - 1 tokens need 69 blocks of 16; the cache has 64: it would preempt itself forever.
    result = simulate(make_trace([900], [200]), AffineTimer(capacity_tokens=1024))
    assert result.summary()["rejected"] == 1


class _Idle(VllmPolicy):
    name = "idle"

    def schedule(self, state):
        return Batch()


def test_no_progress_raises_naming_the_request():
    trace = make_trace([10, 20], [3, 3], [0.0, 0.1])
    with pytest.raises(SimulationStuckError, match=r"request 0 .*prompt 10, output 3"):
        simulate(trace, AffineTimer(), policy=_Idle(VllmConfig()))


def test_run_config_is_saved_and_progress_is_reported():
    seen = []
    trace = poisson_trace(50, 100.0)
    result = simulate(trace, AffineTimer(), policy="sarathi", policy_options={"chunk_size": 256}, dp=2,
                      router="least-loaded", overhead={"per_iteration_s": 1e-4}, block_size=32, num_blocks=500,
                      progress=seen.append)
    cfg = result.summary()["config"]
    assert cfg["policy"] == "sarathi" and cfg["policy_options"]["chunk_size"] == 256
    assert cfg["policy_options"]["max_num_seqs"] == 128
    assert (cfg["dp"], cfg["router"], cfg["block_size"], cfg["num_blocks"]) == (2, "least-loaded", 32, 500)
    assert cfg["overhead"] == {"per_iteration_s": 1e-4, "per_sequence_s": 0.0, "per_token_s": 0.0, "per_layer_s": 0.0}
    assert cfg["trace"] == trace.name
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_num_blocks_defaults_to_the_timer_capacity():
    result = simulate(make_trace([10], [2]), AffineTimer(capacity_tokens=1000), block_size=16)
    assert result.config.num_blocks == 62


def test_summary_keys_and_dataframes():
    result = simulate(poisson_trace(40, 50.0), AffineTimer())
    s = result.summary(slo_ttft_s=0.5, slo_tpot_s=0.01)
    for key in ("requests", "completed", "rejected", "preemptions", "makespan_s", "output_tokens_per_s"):
        assert key in s
    for key in ("ttft_s", "tpot_s", "e2e_s", "tbt_s"):
        assert set(s[key]) == {"mean", "p50", "p90", "p95", "p99"}
    assert 0.0 <= s["slo_attainment"] <= 1.0 and s["goodput_requests_per_s"] <= s["requests_per_s"]
    assert 0.0 < s["device_busy_fraction"] <= 1.0 + 1e-9 and 0.0 < s["mean_kv_occupancy"] <= 1.0
    df = result.requests_df()
    assert len(df) == 40 and {"ttft_s", "tpot_s", "e2e_s", "queueing_delay_s", "preemptions"} <= set(df.columns)
    it = result.iterations_df()
    assert len(it) == s["iterations"] and {"replica", "start_s", "end_s", "num_seqs", "kv_blocks_used"} <= set(it)
    # without preemption every computed token is a prompt token or a generated one except the last
    assert it.num_tokens.sum() == (df.prompt_tokens + df.output_tokens - 1).sum()
