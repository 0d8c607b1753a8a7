"""The "pim" cost model inside cosim predict: default for PIM devices, never beats the roofline ceilings."""

from __future__ import annotations

import pytest

from cosim.engine import predict
from cosim.hardware import load_system
from cosim.hardware.caps import DeviceKind
from cosim.perf.base import DEFAULT_BY_KIND, get_cost_model
from cosim.workload import build_graph


def test_pim_is_the_default_for_pim_devices():
    assert DEFAULT_BY_KIND[DeviceKind.DIMM_PIM] == "pim" and DEFAULT_BY_KIND[DeviceKind.HBM_PIM] == "pim"
    assert get_cost_model("pim").name == "pim"


@pytest.mark.parametrize("hw", ["gpu+l3", "gpu+r-pim"])
def test_decode_attention_on_dimm_pim_is_scored_by_the_pim_model(hw):
    system = load_system(hw)
    pim = predict("llama3-70b", system, "decode", 64, 16384, tp=8)
    roof = predict("llama3-70b", system, "decode", 64, 16384, tp=8, cost_model="roofline")
    assert "pim" in pim.cost_model
    a_pim = next(o for o in pim.ops if o.kind == "fused_attention")
    a_roof = next(o for o in roof.ops if o.kind == "fused_attention")
    assert a_pim.device == "pim"
    # the roofline is the bound every detailed model respects; row switches and refresh cost something
    assert a_roof.latency_s < a_pim.latency_s < 1.5 * a_roof.latency_s


@pytest.mark.parametrize(("model", "hw", "tp"), [("llama3-70b", "gpu+l3", 8), ("opt-66b", "gpu+r-pim", 8),
                                                 ("llama2-7b", "neupims", 1)])
def test_pim_rows_stay_under_the_device_ceilings(model, hw, tp):
    system = load_system(hw)
    step = predict(model, system, "decode", 64, 8192, tp=tp, dtype="fp16")
    rows = [o for o in step.ops if o.device in system.pim_devices() and o.latency_s > 0]
    assert rows
    for op in rows:
        caps = system.caps(op.device)
        busy = op.latency_s - op.overhead_s
        assert op.bytes * op.share / busy <= caps.achieved_bw_bytes_per_s * (1 + 1e-9), op.name


def test_small_batches_leave_dimm_ranks_idle_but_token_split_helps():
    """One request cannot fill 64 ranks by itself; the model picks the token split over every rank."""
    system = load_system("gpu+l3")
    one = predict("llama3-70b", system, "decode", 1, 32768, tp=8)
    many = predict("llama3-70b", system, "decode", 64, 32768, tp=8)
    t1 = next(o for o in one.ops if o.kind == "fused_attention").latency_s
    t64 = next(o for o in many.ops if o.kind == "fused_attention").latency_s
    assert t64 / 64 < t1 < t64


def test_prefill_attention_on_pim_falls_back_to_the_roofline():
    system = load_system("gpu+l3")
    graph = build_graph("llama2-7b", "prefill", 2, 512)
    op = next(graph.nodes[n]["op"] for n in graph.nodes if graph.nodes[n]["op"].kind.value == "fused_attention")
    caps = system.caps("pim")
    spec = system.devices["pim"].spec
    assert get_cost_model("pim").op_timing(op, caps, spec) == get_cost_model("roofline").op_timing(op, caps, spec)


def test_kv_write_on_dimm_pim_is_a_bus_write():
    system = load_system("gpu+l3")
    step = predict("llama2-7b", system, "decode", 64, 4096)
    w = next(o for o in step.ops if o.kind == "kv_cache_write")
    assert w.device == "pim" and w.latency_s > 0 and w.bound == "memory"
