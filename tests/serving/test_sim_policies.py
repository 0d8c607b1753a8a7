"""Each policy's own rule, checked on every iteration it schedules (skip-ahead off, so every step is seen)."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import AffineTimer, make_trace, poisson_trace

from cosim.errors import CosimInputError
from cosim.serving import POLICIES, make_policy, simulate
from cosim.serving.policies import VllmConfig


def recording(name: str, **options):
    """A policy instance that records, per iteration, (slices, remaining tokens, running decodes before)."""
    base = POLICIES.get(name)

    class Recording(base):
        def __init__(self, config):
            super().__init__(config)
            self.steps = []

        def schedule(self, state):
            decodes = [i for i in state.running if state.is_decode(i)]
            batch = super().schedule(state)
            rest = [state.remaining(i) for i in batch.requests]
            self.steps.append((list(zip(batch.requests, batch.q_lens, rest, strict=True)), decodes, batch))
            return batch

    return Recording(make_policy(name, options).config)


def busy_trace(n=60, seed=1):
    return poisson_trace(n, 400.0, prompt=(20, 900), output=(1, 200), seed=seed)


def test_orca_never_splits_a_prefill():
    pol = recording("orca", max_batch_size=8)
    result = simulate(busy_trace(), AffineTimer(capacity_tokens=8000), policy=pol, skip_ahead=False)
    assert result.summary()["completed"] == 60 and result.summary()["preemptions"] == 0
    for slices, _, _ in pol.steps:
        assert all(q == rest for _, q, rest in slices)  # whole prompt or one decode token
        assert len(slices) <= 8


def test_orca_token_cap_rejects_prompts_it_could_never_schedule():
    result = simulate(make_trace([100, 700], [5, 5]), AffineTimer(), policy="orca",
                      policy_options={"max_num_batched_tokens": 512})
    assert result.summary()["rejected"] == 1 and (result.iterations["num_tokens"] <= 512).all()


def test_sarathi_never_exceeds_its_token_budget_and_never_stalls_decodes():
    pol = recording("sarathi", chunk_size=128, max_num_seqs=16)
    result = simulate(busy_trace(), AffineTimer(capacity_tokens=20_000), policy=pol, skip_ahead=False)
    assert (result.iterations["num_tokens"] <= 128).all()
    assert (result.iterations["num_tokens"] == 128).any()  # prefill chunks fill the budget
    for slices, decodes, batch in pol.steps:
        if not batch.num_preempted:
            assert set(decodes) <= {i for i, _, _ in slices}


def test_vllm_respects_its_limits_and_chunks_prefills():
    pol = recording("vllm", max_num_batched_tokens=256, max_num_seqs=6)
    result = simulate(busy_trace(), AffineTimer(capacity_tokens=20_000), policy=pol, skip_ahead=False)
    it = result.iterations
    assert (it["num_tokens"] <= 256).all() and (it["num_seqs"] <= 6).all() and (it["num_running"] <= 6).all()
    assert any(q < rest for slices, _, _ in pol.steps for _, q, rest in slices)  # a chunked prefill
    # running requests are served before waiting ones: no decode is left out for a new prefill
    for slices, decodes, batch in pol.steps:
        if not batch.num_preempted:
            assert set(decodes) <= {i for i, _, _ in slices}


def test_vllm_defaults_follow_vllm():
    assert (VllmConfig().max_num_batched_tokens, VllmConfig().max_num_seqs) == (8192, 1024)
    assert VllmConfig.for_gpu(80, "NVIDIA A100-SXM4-80GB").max_num_batched_tokens == 2048
    assert VllmConfig.for_gpu(141, "NVIDIA H200", offline=True).max_num_batched_tokens == 16384
    with pytest.raises(CosimInputError, match="max_num_batched_tokens"):
        VllmConfig(max_num_batched_tokens=64, max_num_seqs=256)


def test_vllm_reserve_full_isl_gates_admission_on_the_whole_prompt():
    # 64 blocks of 16 tokens; the first request holds 40; the second needs 30 blocks for its prompt but its
    # first 256-token chunk needs only 16: admitted at once only without the full-ISL gate.
    trace = make_trace([630, 470], [200, 5], [0.0, 0.001])
    kwargs = dict(block_size=16, num_blocks=64)
    gated = simulate(trace, AffineTimer(), policy_options={"max_num_batched_tokens": 256, "max_num_seqs": 8},
                     **kwargs)
    chunked = simulate(trace, AffineTimer(), policy_options={"max_num_batched_tokens": 256, "max_num_seqs": 8,
                                                             "reserve_full_isl": False}, **kwargs)
    assert gated.requests["first_scheduled_s"][1] > chunked.requests["first_scheduled_s"][1]


def test_static_runs_each_batch_to_completion_before_the_next():
    trace = make_trace([50, 60, 70, 80, 90], [10, 30, 5, 8, 2])
    result = simulate(trace, AffineTimer(), policy="static", policy_options={"batch_size": 2})
    df = result.requests_df()
    assert df.first_scheduled_s[2] >= df.last_token_s[[0, 1]].max()
    assert df.first_scheduled_s[4] >= df.last_token_s[[2, 3]].max()
    it = result.iterations_df()
    assert ((it.num_prefill_tokens == 0) | (it.num_decodes == 0)).all()  # prefill and decode never mix


def test_fairbatching_reclaims_decode_slack_and_keeps_the_envelope():
    # A decodes at ~3.9 ms per token against a 4 ms TPOT envelope, banking 0.1 ms per token; B's long prompt
    # arrives at 0.4 s. FairBatching spends A's banked slack on B (iterations without A's decode) and then
    # keeps A on its envelope; vLLM's single 5000-token step makes A late.
    timer = AffineTimer(a=3.9e-3, b=1e-5, c=0.0)
    trace = make_trace([10, 5000], [400, 2], [0.0, 0.4])
    options = {"ttft_slo_s": 1e-2, "tpot_slo_s": 4e-3, "max_num_seqs": 8}
    fair = simulate(trace, timer, policy="fairbatching", policy_options=options)
    envelope = 1e-2 + 4e-3 * np.arange(400)
    assert (fair.token_times_s(0) <= envelope + 1e-12).all()
    it = fair.iterations_df()
    during_a = it.end_s < fair.requests["last_token_s"][0]
    assert ((it.num_prefill_tokens > 0) & (it.num_decodes == 0) & during_a & (it.start_s > 0.3)).any()
    assert fair.summary()["completed"] == 2
    vllm = simulate(trace, timer, policy="vllm")
    assert (vllm.token_times_s(0) > envelope + 1e-3).any()


def test_fairbatching_without_prefills_runs_every_decode():
    trace = make_trace([100] * 5, [300] * 5)
    result = simulate(trace, AffineTimer(), policy="fairbatching", policy_options={"tpot_slo_s": 1e-6})
    it = result.iterations_df()
    assert (it.num_seqs[it.num_prefill_tokens == 0] == it.num_running[it.num_prefill_tokens == 0]).all()
