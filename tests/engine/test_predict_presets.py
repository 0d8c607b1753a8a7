"""End-to-end predictions with the shipped model and hardware presets (workload + hardware stages)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cosim.config import REPO_ROOT
from cosim.errors import CapacityError

workload = pytest.importorskip("cosim.workload")
hardware = pytest.importorskip("cosim.hardware")
if not hasattr(workload, "build_graph") or not hasattr(hardware, "load_system"):
    pytest.skip("workload/hardware stages not available", allow_module_level=True)
if not (REPO_ROOT / "hw" / "gpu+l3.yaml").exists() or not (REPO_ROOT / "workloads" / "llama2-7b.yaml").exists():
    pytest.skip("presets not shipped yet", allow_module_level=True)

from cosim.dse.drm import disaggregated_roofline  # noqa: E402
from cosim.engine import predict, predict_op_gemm  # noqa: E402
from cosim.engine.predict import predict_graph  # noqa: E402
from cosim.engine.vectorized import VectorizedStep  # noqa: E402
from cosim.hardware.variants import system_with_overrides  # noqa: E402
from cosim.perf.base import get_cost_model  # noqa: E402
from cosim.workload.ops import ATTENTION_KINDS, TensorClass  # noqa: E402


@pytest.fixture(scope="module")
def l3():
    return hardware.load_system("gpu+l3")


def test_llama2_7b_decode_on_h100_is_memory_bound_above_the_byte_floor():
    system = hardware.load_system("h100-sxm")
    r = predict("llama2-7b", system, "decode", 16, 4096)
    caps = system.caps(system.compute_devices()[0])
    assert r.fits and r.bound == "memory" and r.tokens == 16
    assert r.latency_s >= r.bytes / caps.achieved_bw_bytes_per_s
    assert not [o for o in r.ops if o.kind == "transfer"]


def test_doubling_batch_never_halves_weight_bytes():
    def weight_bytes(batch):
        g = workload.build_graph("llama2-7b", "decode", batch, 1024)
        return sum(g.nodes[n]["op"].bytes_read(TensorClass.WEIGHT) * g.nodes[n]["op"].repeat for n in g.nodes)

    for b in (1, 4, 32):
        assert weight_bytes(2 * b) >= weight_bytes(b) > 0


def test_llama3_70b_tp8_on_gpu_l3_attention_on_pim_shared_by_ranks(l3):
    graph = workload.build_graph("llama3-70b", "decode", 64, 8192, tp=8)
    r = predict_graph(graph, l3, cost_model="roofline")  # pins the roofline's sharing rule
    attn = [o for o in r.ops if o.kind in {k.value for k in ATTENTION_KINDS}]
    assert attn and {o.device for o in attn} == {"pim"}
    op = graph.nodes[attn[0].name]["op"]
    one = get_cost_model("roofline").op_timing(op, l3.caps("pim")).latency_s
    assert attn[0].latency_s == pytest.approx(one * 8 / l3.devices["pim"].count, rel=1e-12)
    transfers = [o for o in r.ops if o.kind == "transfer"]
    assert transfers and all(o.bound == "network" for o in transfers)
    memory = {m.device: m for m in r.memory}
    assert memory["pim"].kv_cache_bytes > 0 and memory["gpu"].kv_cache_bytes == 0
    assert any(o.kind == "all_reduce" and o.latency_s > 0 for o in r.ops)


def test_prefill_on_gpu_l3_writes_kv_over_the_link_but_does_not_read_it_back(l3):
    r = predict("llama3-70b", l3, "prefill", 2, 1024, tp=8)
    transfers = [o.name for o in r.ops if o.kind == "transfer"]
    assert transfers and all("cache" in name.split("->")[1] for name in transfers)


@pytest.mark.parametrize("mapping", ["attention-on-pim", "all-on-gpu", "kv-on-pim-attention-on-gpu"])
def test_mapping_presets_run_on_gpu_l3(l3, mapping):
    r = predict("llama2-13b", l3, "decode", 8, 2048, tp=2, mapping=mapping)
    assert r.latency_s > 0 and r.mapping == mapping


def test_offloaded_kv_is_slower_than_pim_attention_at_long_context(l3):
    kw = {"tp": 8}
    pim = predict("llama3-70b", l3, "decode", 32, 32768, **kw)
    offload = predict("llama3-70b", l3, "decode", 32, 32768, mapping="kv-on-pim-attention-on-gpu", **kw)
    assert offload.latency_s > pim.latency_s


def test_hbm_pim_in_gpu_memory_needs_no_transfers():
    r = predict("llama2-7b", "gpu+hbm-pim", "decode", 8, 4096)
    assert not [o for o in r.ops if o.kind == "transfer"]
    assert any(o.device == "pim" for o in r.ops)


def test_strict_capacity_error_on_single_h100():
    with pytest.raises(CapacityError, match="overflow"):
        predict("llama2-70b", "h100-sxm", "decode", 1, 1024, strict=True)
    r = predict("llama2-70b", "h100-sxm", "decode", 1, 1024)
    assert not r.fits and r.notes


def test_vectorized_matches_scalar_on_real_graph(l3):
    graph = workload.build_graph("llama3-70b", "decode", 32, 8192, tp=8)
    step = VectorizedStep.build(graph, l3)
    variants = {
        "gpu": {"mem_bw_bytes_per_s": np.array([1e12, 2e12, 4e12]), "flops_scale": np.array([0.5, 1, 2])},
        "pim": {"mem_bw_bytes_per_s": np.array([2e12, 13e12, 40e12])},
    }
    res = step.evaluate(variants)
    for i in range(3):
        point = {d: {k: float(v[i]) for k, v in p.items()} for d, p in variants.items()}
        assert res.latency_s[i] == pytest.approx(  # the vectorized path is the roofline: compare with it
            predict_graph(graph, system_with_overrides(l3, point), cost_model="roofline").latency_s, rel=1e-9
        )


def test_drm_on_gpu_l3(l3):
    # Line-ATTN's batch independence is a roofline property: pin the roofline (PIM devices default to "pim",
    # whose small batches leave ranks idle)
    l3 = dataclasses.replace(l3, devices={n: dataclasses.replace(s, cost_model="roofline")
                                          for n, s in l3.devices.items()})
    batches = [1, 4, 16, 64, 256]
    short = disaggregated_roofline("llama3-70b", l3, 4096, batches, tp=8)
    long = disaggregated_roofline("llama3-70b", l3, 32768, batches, tp=8)
    assert long.capacity_batch < short.capacity_batch
    assert np.all(np.diff(short.fc_tokens_per_s) > 0)
    assert short.attn_tokens_per_s.max() / short.attn_tokens_per_s.min() < 1.5
    assert np.all(long.attn_tokens_per_s < short.attn_tokens_per_s)
    assert short.attn_device == "pim" and short.kv_device == "pim"


def test_single_gemm_on_h100():
    r = predict_op_gemm("h100-sxm", 4096, 4096, 4096, "bf16")
    assert r.bound == "compute" and r.flops == 2 * 4096**3
