"""Measurement harnesses: each dataset declares how it was timed and predictions apply exactly that."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.hardware import load_device
from cosim.perf.gpu.device import gpu_view
from cosim.perf.gpu.harness import COLD, Harness
from cosim.perf.gpu.harness_times import (
    VLLM_FP8_SM90_DISPATCH,
    _dispatch_rule,
    attention_time,
    gemm_times,
    kernel_time,
    quantize_time,
)
from cosim.serving.defaults import SPLITWISE_VLLM_OVERHEADS
from cosim.serving.engine_overhead import EngineOverhead
from cosim.validate.datasets import DATASETS, DatasetInfo
from cosim.validate.datasets.registry import Loaded, harness_of
from cosim.validate.datasets.splitwise import ENGINE_OVERHEADS
from cosim.validate.measurement import Measurement
from cosim.validate.predict import engine_overhead_of, engine_overhead_s, predict_measurement
from cosim.workload.dtypes import DType

DIMS = st.sampled_from([1, 7, 16, 64, 100, 128, 193, 512, 2048, 4096, 8192])


@pytest.fixture(scope="module")
def h100():
    spec = load_device("h100-sxm")
    return gpu_view(spec.caps(), spec)


def _gemm(m: int, n: int, k: int, dtype: str = "bf16") -> dict:
    return {"m": m, "n": n, "k": k, "dtype": dtype}


def test_unknown_datasets_and_user_csvs_are_cold():
    assert harness_of("csv:mine.csv") is COLD
    assert COLD.is_cold and not Harness(warm_inputs=True).is_cold
    assert all(isinstance(info.harness, Harness) for info in DATASETS.values())


@settings(max_examples=40, deadline=None)
@given(m=DIMS, n=DIMS, k=DIMS)
def test_a_warm_l2_is_never_slower_than_a_cold_one(m, n, k):
    view = _h100_view()
    warm = kernel_time(view, Harness(warm_inputs=True, weight_copies=6), "gemm", _gemm(m, n, k))
    assert warm <= kernel_time(view, COLD, "gemm", _gemm(m, n, k)) * (1 + 1e-12)


def _h100_view():
    spec = load_device("h100-sxm")
    return gpu_view(spec.caps(), spec)


def test_a_host_floor_adds_exactly_itself(h100):
    params = {"batch": 4, "heads": 32, "kv_heads": 8, "head_dim": 128, "context": 4096, "q_len": 1, "dtype": "bf16"}
    base = kernel_time(h100, Harness(paged_kv=True), "attention_decode", params)
    floored = kernel_time(h100, Harness(paged_kv=True, host_floor_s=7e-6), "attention_decode", params)
    assert floored - base == pytest.approx(7e-6)


FORWARD_DECODE = Harness(decode_on_forward_kernel=True)


@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 64), context=st.integers(1, 65536), kv_heads=st.sampled_from([1, 2, 8]))
def test_a_decode_on_the_forward_kernel_is_never_faster_than_split_kv(batch, context, kv_heads):
    """Without GQA packing or a KV split each CTA computes a whole row block per head: more work, less parallelism."""
    params = {"batch": batch, "heads": 16, "kv_heads": kv_heads, "head_dim": 128, "context": context, "q_len": 1,
              "dtype": "fp16"}
    view = _h100_view()
    assert kernel_time(view, FORWARD_DECODE, "attention_decode", params) >= (
        kernel_time(view, COLD, "attention_decode", params) * (1 - 1e-9))


def test_a_decode_on_the_forward_kernel_steps_when_the_grid_passes_the_sms(h100):
    """One CTA per (request, query head): at fixed total keys, time falls as 1 / batch until batch x heads
    exceeds the SM count, then a second wave of CTAs makes it rise."""
    heads, total_keys = 16, 65536
    full = h100.sm_count // heads  # the largest batch whose CTAs still fit in one wave

    def decode(batch: int) -> float:
        params = {"batch": batch, "heads": heads, "kv_heads": 2, "head_dim": 128, "context": total_keys // batch,
                  "q_len": 1, "dtype": "fp16"}
        return kernel_time(h100, FORWARD_DECODE, "attention_decode", params)

    assert decode(1) / decode(2) == pytest.approx(2.0, rel=0.05)
    assert decode(full + 1) > decode(full)

def test_kernel_durations_drop_one_launch_gap_per_kernel(h100):
    params = _gemm(64, 4096, 4096)
    graph = kernel_time(h100, COLD, "gemm", params)
    profiled = kernel_time(h100, Harness(kernel_durations_only=True), "gemm", params)
    assert graph - profiled == pytest.approx(h100.kernel_gap_s)
    fp8 = _gemm(64, 4096, 4096, "fp8")
    two = kernel_time(h100, Harness(vllm_fp8_linear=True), "gemm", fp8) - kernel_time(
        h100, Harness(vllm_fp8_linear=True, kernel_durations_only=True), "gemm", fp8)
    assert two == pytest.approx(2 * h100.kernel_gap_s)  # quantize kernel + GEMM


@pytest.mark.parametrize(("m", "n", "rule"), [(1, 1280, 0), (16, 4096, 1), (17, 1280, 2), (64, 1281, 3),
                                              (65, 10, 4), (128, 1 << 20, 4), (129, 8, 5), (16384, 16384, 5)])
def test_vllm_fp8_dispatch_follows_the_m_and_n_ranges(m, n, rule):
    assert int(_dispatch_rule(np.array([float(m)]), np.array([float(n)]))[0]) == rule
    max_m, max_n, _, _ = VLLM_FP8_SM90_DISPATCH[rule]
    assert m <= max_m and n <= max_n


@settings(max_examples=25, deadline=None)
@given(m=DIMS, n=DIMS, k=DIMS)
def test_vllm_fp8_linear_pays_for_its_quantize_kernel(m, n, k):
    view = _h100_view()
    t = gemm_times(view, Harness(vllm_fp8_linear=True), m, n, k, DType.FP8)[0]
    assert t > float(quantize_time(view, np.array([float(m)]), np.array([float(k)]))[0])


def test_repeating_kv_heads_costs_copies(h100):
    params = {"batch": 1, "heads": 32, "kv_heads": 8, "head_dim": 128, "context": 512, "q_len": 512,
              "dtype": "bf16", "causal": True}
    plain = attention_time(h100, COLD, "attention_prefill", params)
    repeated = attention_time(h100, Harness(repeats_kv_heads=True), "attention_prefill", params)
    assert repeated > plain + 2 * h100.dram_latency_s
    mha = dict(params, kv_heads=32)  # nothing to repeat
    assert attention_time(h100, Harness(repeats_kv_heads=True), "attention_prefill", mha) == pytest.approx(
        attention_time(h100, COLD, "attention_prefill", mha))


def test_splitwise_datasets_declare_an_engine_overhead_not_a_harness():
    for gpu in ("a100", "h100"):
        name = f"splitwise-{gpu}-llama2-70b"
        assert harness_of(name).is_cold  # kernel-harness facts only: a serving engine is not one
        overhead = engine_overhead_of(name)
        assert isinstance(overhead, EngineOverhead) and overhead == SPLITWISE_VLLM_OVERHEADS[gpu]
        assert overhead.per_layer_s > 0  # eager launches + collectives: needs the deployment
    assert engine_overhead_of("aiconfigurator-h100-gemm") is None and engine_overhead_of("csv:mine.csv") is None
    assert not any(f.name.endswith("overhead_s") for f in dataclasses.fields(Harness))


def _register(scoped_dataset, name: str, harness: Harness) -> None:
    scoped_dataset(DatasetInfo(name, "test", lambda root: Loaded(), harness))


def test_predictions_apply_the_declared_harness(scoped_dataset):
    _register(scoped_dataset, "test-floored", Harness(host_floor_s=1e-3, paged_kv=True, attention_kernel="serving"))
    _register(scoped_dataset, "test-paged", Harness(paged_kv=True, attention_kernel="serving"))
    params = {"batch": 8, "heads": 32, "kv_heads": 8, "head_dim": 128, "context": 2048, "q_len": 1, "dtype": "bf16"}
    floored = Measurement("test-floored", "h100-sxm", "attention_decode", params, 1.0, "t:1")
    paged = dataclasses.replace(floored, dataset="test-paged")
    assert predict_measurement(floored) - predict_measurement(paged) == pytest.approx(1e-3)


def test_serving_steps_add_the_engine_overhead(scoped_dataset, monkeypatch):
    engine = EngineOverhead(per_iteration_s=2e-3, per_sequence_s=1e-4, per_token_s=3e-6, per_layer_s=1e-5)
    _register(scoped_dataset, "test-engine", COLD)
    monkeypatch.setitem(ENGINE_OVERHEADS, "test-engine", engine)
    params = {"model": "llama2-7b", "batch": 4, "context": 1024, "tp": 2, "fusion": "fused", "dtype": "fp16"}
    served = Measurement("test-engine", "h100-sxm", "step_decode", params, 1.0, "t:1")
    kernels = dataclasses.replace(served, dataset="csv:plain")
    expected = 2e-3 + 1e-4 * 4 + 3e-6 * 4 + 1e-5 * 32 * 1  # llama2-7b: 32 layers, log2(tp 2) = 1
    assert engine_overhead_s(served, engine) == pytest.approx(expected)
    assert predict_measurement(served) - predict_measurement(kernels) == pytest.approx(expected)
    prefill = dataclasses.replace(served, kind="step_prefill", params={**params, "context": 512})
    assert engine_overhead_s(prefill, engine) == pytest.approx(2e-3 + 1e-4 * 4 + 3e-6 * 4 * 512 + 1e-5 * 32)
