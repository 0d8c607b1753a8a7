"""Paged KV cache: block accounting, preemption by recompute when KV is tight, the decode-run bound."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import AffineTimer, assert_conserved, make_trace

from cosim.serving import simulate
from cosim.serving.kv_cache import KVCache


def test_allocation_is_all_or_nothing_and_freeing_returns_every_block():
    held = np.zeros(3, dtype=np.int64)
    kv = KVCache(10, 16, held)
    assert kv.try_allocate(0, 17) and held[0] == 2 and kv.free == 8
    assert kv.try_allocate(0, 32) and held[0] == 2  # still within two blocks
    assert not kv.try_allocate(1, 16 * 9) and held[1] == 0 and kv.free == 8
    assert kv.can_fit(1, 16 * 8) and not kv.can_fit(1, 16 * 8 + 1)
    kv.free_request(0)
    assert kv.free == 10 and held[0] == 0


@pytest.mark.parametrize("block_size", [1, 7, 16])
def test_decode_run_bound_matches_stepping(block_size):
    rng = np.random.default_rng(block_size)
    held = np.zeros(6, dtype=np.int64)
    cached = rng.integers(5, 300, 6)
    total = int((-(-(cached + 1) // block_size)).sum()) + 40
    kv = KVCache(total, block_size, held)
    for i, c in enumerate(cached):
        assert kv.try_allocate(i, int(c) + 1)  # step 0, as the scheduler allocates it
    k, used = kv.decode_run(np.arange(6), cached, 5000)
    shadow_held, shadow_free = held.copy(), kv.free
    for s in range(k + 1):
        need = np.maximum(-(-(cached + s + 1) // block_size) - shadow_held, 0)
        if need.sum() > shadow_free:
            assert s == k
            break
        shadow_held += need
        shadow_free -= int(need.sum())
        assert s < k and used[s] == total - shadow_free


def test_tight_kv_preempts_counts_and_still_completes():
    # Each request caches up to 100 + 400 - 1 tokens = 32 blocks; 40 blocks hold one of them, yet all three
    # prompts fit at once, so vLLM admits them and preempts (recompute) as their decodes grow.
    trace = make_trace([100, 100, 100], [400, 400, 400])
    result = simulate(trace, AffineTimer(), block_size=16, num_blocks=40)
    s = result.summary()
    assert s["completed"] == 3 and s["preemptions"] > 0
    assert s["preemptions"] == result.iterations["num_preempted"].sum() == result.requests["preemptions"].sum()
    assert_conserved(result, trace)
    assert (result.iterations["kv_blocks_used"] <= 40).all() and s["peak_kv_occupancy"] == 1.0
    # the most recently admitted request is the victim; the oldest runs through
    assert result.requests["preemptions"][0] == 0 and result.requests["preemptions"][2] > 0
    # recompute: a preempted request prefills its prompt plus its generated tokens again
    it = result.iterations_df()
    assert it.num_tokens.sum() > (result.requests_df().eval("prompt_tokens + output_tokens - 1")).sum()


def test_a_resumed_request_recomputes_prompt_and_generated_tokens():
    trace = make_trace([32, 32], [40, 40])  # 32 + 39 = 71 tokens: 5 blocks of 16; 8 blocks hold one and a half
    result = simulate(trace, AffineTimer(a=1e-3, b=1e-3, c=0.0), block_size=16, num_blocks=8, skip_ahead=False)
    it = result.iterations_df()
    assert result.requests["preemptions"][1] >= 1
    # some prefill recomputes more than the 32-token prompt: prompt + the tokens generated before preemption
    assert (it.num_prefill_tokens > 32).any()
    assert_conserved(result, trace)


@pytest.mark.parametrize("policy", ["orca", "static"])
def test_reserving_policies_never_preempt(policy):
    trace = make_trace([100] * 6, [300] * 6)
    result = simulate(trace, AffineTimer(), policy=policy, block_size=16, num_blocks=60)
    assert result.summary()["preemptions"] == 0 and result.summary()["completed"] == 6
    assert result.iterations["num_seqs"].max() == 2  # 25 blocks each: two fit
