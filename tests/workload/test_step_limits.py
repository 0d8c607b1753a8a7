"""A step of more requests than MAX_REQUESTS is refused up front (it once allocated per-request arrays until killed)."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.errors import CosimInputError
from cosim.workload.mix import parse_mix
from cosim.workload.step import MAX_CONTEXT, MAX_REQUESTS, make_step, step_from_slices


@pytest.mark.parametrize("phase", ["prefill", "decode", "chunked_prefill"])
def test_a_huge_batch_is_refused_before_any_array(monkeypatch, phase):
    def no_arrays(*args, **kwargs):
        raise AssertionError("a per-request array was allocated before the batch was checked")

    monkeypatch.setattr(np, "full", no_arrays)
    monkeypatch.setattr(np, "ones", no_arrays)
    with pytest.raises(CosimInputError, match=rf"batch: 1000000000 requests .* \(allowed: 1..{MAX_REQUESTS} "):
        make_step(phase, 10**9, 1, chunk=8 if phase == "chunked_prefill" else None)


def test_the_limit_itself_is_accepted():
    assert make_step("decode", MAX_REQUESTS, 4).batch == MAX_REQUESTS


def test_slices_and_mix_share_the_limit():
    with pytest.raises(CosimInputError, match="q_lens"):
        step_from_slices(np.ones(MAX_REQUESTS + 1, np.int64), np.ones(MAX_REQUESTS + 1, np.int64))
    with pytest.raises(CosimInputError, match=str(MAX_REQUESTS)):
        parse_mix(f"d8x{MAX_REQUESTS},p8")


def test_a_context_beyond_max_context_is_refused():
    """A prefill of 10^14 tokens overflowed int64 attention pairs into silently wrong FLOPs."""
    assert make_step("prefill", 1, MAX_CONTEXT).attention_pairs == MAX_CONTEXT * (MAX_CONTEXT + 1) // 2
    for phase, context, chunk in (("prefill", 10**14, None), ("decode", MAX_CONTEXT + 1, None),
                                  ("chunked_prefill", 5, MAX_CONTEXT)):
        with pytest.raises(CosimInputError, match=rf"allowed: 0..{MAX_CONTEXT} tokens"):
            make_step(phase, 1, context, chunk=chunk)
    with pytest.raises(CosimInputError, match=str(MAX_CONTEXT)):
        step_from_slices([8], [10**14])


def test_sums_over_many_long_requests_are_exact():
    step = make_step("prefill", MAX_REQUESTS, MAX_CONTEXT)  # 10^6 x 2^47 pairs: past an int64 accumulator
    assert step.attention_pairs == MAX_REQUESTS * (MAX_CONTEXT * (MAX_CONTEXT + 1) // 2)
    assert step.materialized_scores == MAX_REQUESTS * MAX_CONTEXT**2
