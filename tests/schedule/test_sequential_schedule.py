"""Sequential schedule: totals, tp sharing on one device, cross-device transfer rows."""

from __future__ import annotations

import pytest
from cosim_fakes import PCIE, decoder_graph, gpu_caps, gpu_pim_system, gpu_system, pim_caps
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.engine.predict import predict_graph
from cosim.errors import CosimInputError
from cosim.hardware.variants import system_with_overrides
from cosim.mapping import default_mapping, load_mapping
from cosim.perf.base import get_cost_model
from cosim.workload.ops import Phase, TensorClass

ROOF = get_cost_model("roofline")


def _rows(result, kind=None):
    return [o for o in result.ops if kind is None or o.kind == kind]


def test_totals_are_sums_over_rows_and_graph():
    graph = decoder_graph(tp=2)
    result = predict_graph(graph, gpu_system(gpus=2))
    assert result.latency_s == pytest.approx(sum(o.latency_s * o.repeat for o in result.ops), rel=1e-12)
    ops = [graph.nodes[n]["op"] for n in graph.nodes]
    assert result.flops == pytest.approx(sum(o.flops * o.repeat * o.instances for o in ops), rel=1e-12)
    assert result.bytes == pytest.approx(sum(o.bytes * o.repeat * o.instances for o in ops), rel=1e-12)
    assert result.tokens == graph.graph["tokens"] and result.tp == 2
    assert len(result.ops) == graph.number_of_nodes()  # no transfers on one device


def test_rows_follow_topological_order():
    graph = decoder_graph()
    names = [o.name for o in predict_graph(graph, gpu_system()).ops]
    for u, v in graph.edges:
        assert names.index(u) < names.index(v)


@pytest.mark.parametrize("pim_count, tp", [(1, 8), (2, 8), (8, 8), (1, 1), (4, 2)])
def test_sharing_factor_when_fewer_devices_than_ranks(pim_count, tp):
    system = gpu_pim_system(gpus=8, pim_count=pim_count)
    graph = decoder_graph(tp=tp)
    result = predict_graph(graph, system)
    attn = next(o for o in result.ops if o.name == "attn")
    one_copy = ROOF.op_timing(graph.nodes["attn"]["op"], system.caps("pim")).latency_s
    assert attn.device == "pim"
    assert attn.latency_s == pytest.approx(one_copy * max(1.0, tp / pim_count), rel=1e-12)
    gemm = next(o for o in result.ops if o.name == "qkv")
    assert gemm.latency_s == pytest.approx(
        ROOF.op_timing(graph.nodes["qkv"]["op"], system.caps("gpu")).latency_s
    )


def test_no_transfers_when_everything_is_on_one_device():
    assert not _rows(predict_graph(decoder_graph(), gpu_pim_system(), mapping="all-on-gpu"), "transfer")


def test_no_transfers_when_pim_computes_in_gpu_memory():
    result = predict_graph(decoder_graph(), gpu_pim_system(hbm=True))
    assert {o.device for o in result.ops} == {"gpu", "pim"}
    assert not _rows(result, "transfer")


def test_transfer_rows_exactly_on_cross_device_edges():
    system = gpu_pim_system()
    graph = decoder_graph()
    result = predict_graph(graph, system)
    placement = {o.name: o.device for o in result.ops if o.kind != "transfer"}
    crossing = {f"{u}->{v}" for u, v in graph.edges if placement[u] != placement[v]}
    transfers = _rows(result, "transfer")
    assert crossing and {t.name for t in transfers} == crossing
    for t in transfers:
        assert t.device == PCIE.name and t.bound == "network"
        u, v = t.name.split("->")
        nbytes = graph.edges[u, v]["bytes"] * graph.nodes[v]["op"].instances
        assert t.latency_s == pytest.approx(nbytes / PCIE.bw_bytes_per_s + PCIE.latency_s, rel=1e-12)


def test_prefill_kv_writes_cross_the_link_to_a_pim_homed_cache():
    system = gpu_pim_system()
    graph = decoder_graph(Phase.PREFILL, batch=2, context=256)
    result = predict_graph(graph, system)
    transfers = _rows(result, "transfer")
    assert [t.name for t in transfers] == ["kv_write->kv_cache"]
    kv = graph.nodes["kv_write"]["op"]
    assert transfers[0].bytes == pytest.approx(kv.bytes_written())
    assert transfers[0].repeat == kv.repeat


def test_kv_streamed_when_attention_on_gpu_and_kv_on_pim():
    graph = decoder_graph(batch=16, context=4096)
    offload = predict_graph(graph, gpu_pim_system(), mapping="kv-on-pim-attention-on-gpu")
    local = predict_graph(graph, gpu_pim_system(), mapping="all-on-gpu")
    names = {t.name for t in _rows(offload, "transfer")}
    assert "kv_cache->attn" in names and "kv_write->kv_cache" in names
    assert offload.latency_s > local.latency_s  # PCIe is far slower than HBM


def test_missing_link_is_one_line_error():
    system = gpu_pim_system(link=None)
    with pytest.raises(CosimInputError) as info:
        predict_graph(decoder_graph(), system)
    assert "no link" in str(info.value) and "'gpu'" in str(info.value) and "\n" not in str(info.value)


def test_collectives_use_the_slot_link():
    result = predict_graph(decoder_graph(tp=4), gpu_system(gpus=4))
    ar = [o for o in result.ops if o.kind == "all_reduce"]
    assert len(ar) == 2 and all(o.bound == "network" and o.latency_s > 0 for o in ar)


def test_eager_attention_split_across_devices_when_pim_lacks_softmax():
    from cosim.workload.ops import OpKind

    kinds = frozenset({OpKind.ATTENTION_SCORE, OpKind.ATTENTION_CONTEXT, OpKind.KV_CACHE_WRITE})
    system = gpu_pim_system(pim_kw={"kinds": kinds})
    result = predict_graph(
        decoder_graph(attention="eager"), system, mapping=default_mapping(system, "decode")
    )
    dev = {o.name: o.device for o in result.ops}
    assert dev["score"] == "pim" and dev["softmax"] == "gpu" and dev["context"] == "pim"
    assert {"score->softmax", "softmax->context"} <= {o.name for o in result.ops}


@settings(max_examples=40, deadline=None)
@given(
    batch=st.integers(1, 128),
    context=st.integers(1, 8192),
    tp=st.sampled_from([1, 2, 8]),
    factor=st.floats(1.0, 50.0),
    which=st.sampled_from(["gpu_bw", "gpu_flops", "pim_bw", "pim_flops", "link"]),
    mapping=st.sampled_from([None, "all-on-gpu", "kv-on-pim-attention-on-gpu"]),
)
def test_more_bandwidth_or_compute_never_slows_a_step(batch, context, tp, factor, which, mapping):
    system = gpu_pim_system(gpus=8)
    graph = decoder_graph(batch=batch, context=context, tp=tp)
    base = predict_graph(graph, system, mapping=mapping)
    caps = {"gpu": gpu_caps(), "pim": pim_caps()}
    variant = {
        "gpu_bw": {"gpu": {"mem_bw_bytes_per_s": caps["gpu"].mem_bw_bytes_per_s * factor}},
        "gpu_flops": {"gpu": {"flops_scale": factor}},
        "pim_bw": {"pim": {"mem_bw_bytes_per_s": caps["pim"].mem_bw_bytes_per_s * factor}},
        "pim_flops": {"pim": {"flops_scale": factor}},
        "link": {"pcie": {"bw_bytes_per_s": PCIE.bw_bytes_per_s * factor}},
    }[which]
    faster = predict_graph(graph, system_with_overrides(system, variant), mapping=mapping)
    assert faster.latency_s <= base.latency_s * (1 + 1e-12)
    for a, b in zip(base.ops, faster.ops, strict=True):
        assert b.latency_s <= a.latency_s * (1 + 1e-12)


def test_default_mapping_for_step_is_default():
    assert predict_graph(decoder_graph(), gpu_pim_system()).mapping == "default"
    assert (
        predict_graph(decoder_graph(), gpu_pim_system(), mapping=load_mapping("all-on-gpu")).mapping
        == "all-on-gpu"
    )


def test_kv_written_on_this_device_is_not_read_back_over_the_link():
    graph = decoder_graph(batch=4, context=512, tp=2)
    result = predict_graph(graph, gpu_pim_system(gpus=2), mapping="kv-on-pim-attention-on-gpu")
    row = next(o for o in result.ops if o.name == "kv_cache->attn")
    attn, kv_write = graph.nodes["attn"]["op"], graph.nodes["kv_write"]["op"]
    expected = (attn.bytes_read(TensorClass.KV_CACHE) - kv_write.bytes_written(TensorClass.KV_CACHE)) * 2
    assert row.bytes == pytest.approx(expected)
