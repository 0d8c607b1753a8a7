"""No operator of a real step beats its device's roofline, even when tp ranks share one device."""

from __future__ import annotations

import pytest

from cosim.engine import predict
from cosim.hardware import load_system
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit


@pytest.mark.parametrize(("model", "hw", "tp"), [("llama3-70b", "gpu+l3", 8), ("llama3-70b", "gpu+hbm-pim", 8),
                                                 ("llama2-7b", "h100-sxm", 1), ("opt-66b", "gpu+r-pim", 8)])
def test_achieved_rates_stay_under_device_ceilings(model, hw, tp):
    system = load_system(hw)
    step = predict(model, system, "decode", 64, 8192, tp=tp, dtype="fp16", cost_model="roofline")
    shared = 0
    for op in step.ops:
        if op.kind == "transfer" or op.device not in system.devices or op.latency_s <= 0:
            continue
        caps = system.caps(op.device)
        unit = ComputeUnit.VECTOR if op.kind in ("norm", "elementwise", "residual_add", "rotary", "softmax",
                                                 "kv_cache_write", "embedding") else ComputeUnit.MATRIX
        if op.kind in ("all_reduce", "all_gather"):
            continue
        busy_s = op.latency_s - op.overhead_s
        assert op.flops * op.share / busy_s <= caps.achieved_flops(unit, DType.FP16) * (1 + 1e-9), op.name
        assert op.bytes * op.share / busy_s <= caps.achieved_bw_bytes_per_s * (1 + 1e-9), op.name
        if op.bound == "memory":  # a memory-bound row runs exactly at the achieved bandwidth
            assert op.bytes * op.share / busy_s == pytest.approx(caps.achieved_bw_bytes_per_s), op.name
        shared += op.share > 1
    if hw == "gpu+l3":
        assert shared > 0  # the 8 ranks' attention share the one DIMM-PIM pool


def test_context_beyond_training_length_is_noted_not_refused():
    long = predict("llama2-7b", "h100-sxm", "decode", 1, 8192)
    short = predict("llama2-7b", "h100-sxm", "decode", 1, 4096)
    assert any("max_position_embeddings 4096" in note for note in long.notes)
    assert not any("max_position_embeddings" in note for note in short.notes)
