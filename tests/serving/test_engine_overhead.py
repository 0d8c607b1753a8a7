"""EngineOverhead: the per-layer term folds into the deployment, one value per decode step with or without
skip-ahead, and the defaults ``cosim serve`` takes per GPU generation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fakes import AffineTimer, CountingTimer, make_trace

from cosim.engine.predict import resolve_system
from cosim.errors import CosimInputError
from cosim.serving import EngineOverhead, simulate
from cosim.serving.defaults import SPLITWISE_VLLM_OVERHEADS, VLLM_V1_OVERHEAD, engine_overhead_for

SPLITWISE_LIKE = EngineOverhead(per_iteration_s=6e-3, per_sequence_s=2.4e-4, per_token_s=4e-5, per_layer_s=3.5e-5)


def test_for_deployment_folds_the_per_layer_term_into_the_iteration():
    folded = SPLITWISE_LIKE.for_deployment(80, 8)
    assert folded.per_layer_s == 0.0
    assert folded.per_iteration_s == pytest.approx(6e-3 + 3.5e-5 * 80 * 3)
    assert folded.iteration_s(4, 4) == pytest.approx(6e-3 + 3.5e-5 * 240 + 2.4e-4 * 4 + 4e-5 * 4)
    assert SPLITWISE_LIKE.for_deployment(80, 1).per_iteration_s == 6e-3  # one rank: no collective
    assert EngineOverhead(1e-3, 2e-5, 1e-7).for_deployment(32, 4) == EngineOverhead(1e-3, 2e-5, 1e-7)
    with pytest.raises(CosimInputError, match="for_deployment"):
        SPLITWISE_LIKE.iteration_s(1, 1)  # the per-layer term needs (layers, tp)
    with pytest.raises(CosimInputError):
        SPLITWISE_LIKE.for_deployment(80, 0)
    assert EngineOverhead.from_dict({"per_layer_s": 1e-5}).per_layer_s == 1e-5


@pytest.mark.parametrize("policy", ["vllm", "sarathi", "orca"])
def test_a_skip_ahead_block_charges_each_step_what_a_single_step_would(policy):
    overhead = SPLITWISE_LIKE.for_deployment(80, 4)
    trace = make_trace([100, 300, 700], [400, 500, 600], [0.0, 0.01, 0.02])
    timer = CountingTimer(AffineTimer())
    fast = simulate(trace, timer, policy=policy, overhead=overhead)
    slow = simulate(trace, AffineTimer(), policy=policy, overhead=overhead, skip_ahead=False)
    assert timer.iteration_calls + timer.decode_run_calls < fast.summary()["iterations"] / 4  # blocks were taken
    for key in slow.iterations:
        assert np.array_equal(fast.iterations[key], slow.iterations[key]), key
    it = fast.iterations
    expected = [overhead.iteration_s(int(s), int(t)) for s, t in zip(it["num_seqs"], it["num_tokens"], strict=True)]
    assert np.array_equal(it["overhead_s"], np.array(expected))


def test_engine_overheads_by_engine_release():
    for preset, gpu in (("a100-80g", "a100"), ("dgx-a100", "a100"), ("h100-sxm", "h100")):
        got = engine_overhead_for(resolve_system(preset), 80, 4, "vllm-2023")
        assert got == SPLITWISE_VLLM_OVERHEADS[gpu].for_deployment(80, 4), preset
        assert got.per_iteration_s > SPLITWISE_VLLM_OVERHEADS[gpu].per_iteration_s  # 80 layers x log2(4)
        assert engine_overhead_for(resolve_system(preset), 80, 4) == VLLM_V1_OVERHEAD  # the default: vLLM V1
    assert engine_overhead_for(resolve_system("rtx4090"), 32, 1) == VLLM_V1_OVERHEAD == EngineOverhead()
    assert engine_overhead_for(resolve_system("rtx4090"), 32, 1, "none") == EngineOverhead()
    with pytest.raises(CosimInputError, match="A100 and H100"):
        engine_overhead_for(resolve_system("rtx4090"), 32, 1, "vllm-2023")
    assert all(isinstance(o, EngineOverhead) and o.per_layer_s > 0 for o in SPLITWISE_VLLM_OVERHEADS.values())
    assert math.isfinite(engine_overhead_for(resolve_system("h100-sxm"), 80, 8, "vllm-2023").iteration_s(64, 64))
