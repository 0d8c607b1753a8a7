"""predict_measurement agrees with cosim's public API (predict_op_*, predict_graph, predict)."""

from __future__ import annotations

import pytest

from cosim.engine import predict, predict_op_attention, predict_op_gemm
from cosim.engine.predict import predict_graph
from cosim.errors import CosimInputError
from cosim.validate.kernels import KERNELS, kernel_operator
from cosim.validate.measurement import Measurement
from cosim.validate.predict import (
    graph_key,
    matching_operators,
    model_graph,
    predict_many,
    predict_measurement,
    system_for,
)
from cosim.workload.ops import OpKind


def record(kind: str, device: str = "h100-sxm", **params) -> Measurement:
    return Measurement("t", device, kind, params, 1e-3, "t:1")


@pytest.mark.parametrize(("m", "n", "k", "dtype", "device"), [
    (1, 4096, 4096, "bf16", "h100-sxm"), (4096, 14336, 4096, "bf16", "h100-sxm"), (77, 128, 65536, "fp8", "h100-sxm"),
    (8192, 8192, 8192, "fp16", "a100-80g")])
def test_gemm_matches_predict_op_gemm(m, n, k, dtype, device):
    expected = predict_op_gemm(device, m, n, k, dtype).latency_s
    assert predict_measurement(record("gemm", device, m=m, n=n, k=k, dtype=dtype)) == pytest.approx(expected)


@pytest.mark.parametrize(("phase", "batch", "heads", "kv_heads", "context"), [
    ("decode", 64, 32, 8, 4096), ("decode", 1, 64, 64, 131072), ("prefill", 4, 32, 8, 2048)])
def test_attention_matches_predict_op_attention(phase, batch, heads, kv_heads, context):
    expected = predict_op_attention("h100-sxm", phase, batch, heads, kv_heads, 128, context).latency_s
    m = record(f"attention_{phase}", batch=batch, heads=heads, kv_heads=kv_heads, head_dim=128, context=context,
               q_len=context if phase == "prefill" else 1, dtype="bf16")
    assert predict_measurement(m) == pytest.approx(expected)


def test_fp8_gemm_on_a100_is_an_error_not_a_fallback():
    with pytest.raises(CosimInputError, match="fp8"):
        predict_measurement(record("gemm", "a100-80g", m=8, n=8, k=8, dtype="fp8"))


def test_graph_ops_match_the_scheduled_step():
    m = record("elementwise", model="llama3-8b", phase="prefill", batch=1, context=100, tp=1, fusion="unfused",
               dtype="bf16", ops="decoder.attn_norm,decoder.attn_norm.*")
    key = graph_key(m)
    names = {op.name for op in matching_operators(key, m.params["ops"])}
    assert len(names) == 8  # the fp32 RMSNorm chain, kernel by kernel
    step = predict_graph(model_graph(key), "h100-sxm")
    assert predict_measurement(m) == pytest.approx(sum(r.latency_s for r in step.ops if r.name in names))


def test_graph_ops_with_a_collective_go_through_the_schedule():
    m = record("allreduce", "a100-80g", model="gpt3-175b", phase="prefill", batch=8, context=2048, tp=4,
               fusion="unfused", attention="eager", dtype="fp16", ops="decoder.attn_all_reduce")
    step = predict_graph(model_graph(graph_key(m)), system_for("a100-80g", 4))
    expected = next(r.latency_s for r in step.ops if r.name == "decoder.attn_all_reduce")
    assert predict_measurement(m) == pytest.approx(expected) and expected > 0


def test_unknown_ops_glob_names_the_operators():
    m = record("elementwise", model="llama3-8b", phase="prefill", batch=1, context=8, ops="decoder.nothing")
    with pytest.raises(CosimInputError, match=r"decoder\.qkv_proj"):
        predict_measurement(m)


def test_step_and_layer_match_predict():
    params = {"model": "llama2-70b", "batch": 8, "context": 1024, "tp": 4, "fusion": "fused", "dtype": "fp16"}
    step = predict("llama2-70b", system_for("h100-sxm", 4), "decode", 8, 1024, tp=4, dtype="fp16")
    assert predict_measurement(record("step_decode", **params)) == pytest.approx(step.latency_s)
    layer = sum(r.total_s for r in step.ops if r.block == "decoder") / 80
    assert predict_measurement(record("layer_decode", **params)) == pytest.approx(layer)
    assert layer < step.latency_s / 80 * 1.5


def test_multi_gpu_system_is_built_from_the_device_preset():
    system = system_for("h100-sxm", 8)
    slot = next(iter(system.devices.values()))
    assert slot.count == 8
    assert system.collective_link(next(iter(system.devices))) is not None


def test_kernel_bytes_follow_the_table():
    op = kernel_operator("rmsnorm", 10, 4096, "bf16")
    assert op.kind is OpKind.NORM
    assert op.bytes == 10 * 4096 * 2 * 2 + 4096 * 2  # read x, write y, read the weight vector
    add = kernel_operator("add", 10, 4096, "fp16")
    assert add.bytes == 3 * 10 * 4096 * 2
    assert set(KERNELS) >= {"rmsnorm", "layernorm", "softmax", "gelu", "silu_mul", "rotary", "embedding"}
    with pytest.raises(CosimInputError, match="allowed"):
        kernel_operator("nope", 1, 1)


def test_cost_model_override_and_unknown_model():
    from cosim.perf.base import get_cost_model
    from cosim.perf.single_op import gemm_operator

    m = record("gemm", m=4096, n=4096, k=4096, dtype="bf16")
    caps = system_for("h100-sxm").caps("gpu")
    expected = get_cost_model("roofline").op_timing(gemm_operator(4096, 4096, 4096), caps).latency_s
    assert predict_many([m], cost_model="roofline")[0] == pytest.approx(expected)
    with pytest.raises(CosimInputError, match="cost model"):
        predict_many([m], cost_model="no-such-model")
