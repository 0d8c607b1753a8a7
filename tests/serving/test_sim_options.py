"""Bad policy, router and overhead options are one-line user errors that list what is allowed."""

from __future__ import annotations

import pytest
from fakes import AffineTimer, make_trace

from cosim.errors import CosimInputError
from cosim.serving import EngineOverhead, make_policy, simulate
from cosim.serving.policies import FairBatchingConfig, VllmConfig, VllmPolicy


def one_line_error(fn, *args, **kwargs) -> str:
    with pytest.raises(CosimInputError) as info:
        fn(*args, **kwargs)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_an_option_of_another_policy_is_rejected_with_the_allowed_ones():
    text = one_line_error(make_policy, "vllm", {"chunk_size": 512})
    assert "unknown vllm policy option 'chunk_size'" in text
    assert "allowed: long_prefill_token_threshold, max_num_batched_tokens, max_num_seqs, reserve_full_isl" in text
    text = one_line_error(simulate, make_trace([1], [1]), AffineTimer(), policy="static",
                          policy_options={"max_num_seqs": 4})
    assert "unknown static policy option 'max_num_seqs'" in text and "allowed: batch_size" in text


@pytest.mark.parametrize(("options", "message"), [
    ({"max_num_seqs": "8"}, "expects int"),
    ({"max_num_seqs": True}, "expects int"),
    ({"reserve_full_isl": 1}, "expects bool"),
    ({"max_num_seqs": 0}, "must be >= 1"),
])
def test_bad_option_values(options, message):
    text = one_line_error(make_policy, "vllm", options)
    assert message in text and next(iter(options)) in text


def test_sarathi_and_fairbatching_limits():
    assert "chunk_size" in one_line_error(make_policy, "sarathi", {"chunk_size": 64})  # 128 seqs > 64 tokens
    assert "tpot_slo_s" in one_line_error(make_policy, "fairbatching", {"tpot_slo_s": 0})
    assert make_policy("fairbatching", {"ttft_slo_s": 2}).config == FairBatchingConfig(ttft_slo_s=2.0)


def test_unknown_policy_and_options_with_an_instance():
    text = one_line_error(simulate, make_trace([1], [1]), AffineTimer(), policy="vlm")
    assert "unknown serving policy 'vlm'" in text and "fairbatching, orca, sarathi, static, vllm" in text
    text = one_line_error(make_policy, VllmPolicy(VllmConfig()), {"max_num_seqs": 3})
    assert "policy_options" in text


def test_engine_overhead_from_a_dict():
    assert EngineOverhead.from_dict({"per_iteration_s": 1e-3, "per_token_s": 0}) == EngineOverhead(1e-3, 0.0, 0.0)
    assert "allowed: per_iteration_s, per_layer_s, per_sequence_s, per_token_s" in one_line_error(
        EngineOverhead.from_dict, {"per_step_s": 1e-3})
    assert "must be >= 0" in one_line_error(EngineOverhead, per_sequence_s=-1.0)
    assert EngineOverhead(1e-3, 2e-5, 1e-7).iteration_s(4, 100) == pytest.approx(1e-3 + 8e-5 + 1e-5)


def test_bad_run_arguments():
    trace = make_trace([1], [1])
    assert "block_size" in one_line_error(simulate, trace, AffineTimer(), block_size=0)
    assert "dp" in one_line_error(simulate, trace, AffineTimer(), dp=0)
    assert "num_blocks" in one_line_error(simulate, trace, AffineTimer(capacity_tokens=8))
    assert "output tokens" in one_line_error(simulate, make_trace([5], [0]), AffineTimer())
