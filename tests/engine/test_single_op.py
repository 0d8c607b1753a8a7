"""predict_op_gemm / predict_op_attention against hand-derived rooflines."""

from __future__ import annotations

import pytest
from cosim_fakes import gpu_pim_system, gpu_system

from cosim.engine import predict_op_attention, predict_op_gemm
from cosim.errors import CosimInputError


def test_gemm_compute_bound_matches_hand_roofline():
    system = gpu_system(overhead=0.0)
    caps = system.caps("gpu")
    r = predict_op_gemm(system, 8192, 8192, 8192, "bf16")
    assert r.flops == 2 * 8192**3
    assert r.bound == "compute"
    assert r.latency_s == pytest.approx(r.flops / (989e12 * caps.compute_efficiency))


def test_gemv_is_memory_bound():
    system = gpu_system(overhead=0.0)
    r = predict_op_gemm(system, 1, 4096, 4096, "bf16")
    assert r.bound == "memory"
    assert r.bytes == pytest.approx((4096 + 4096 * 4096 + 4096) * 2)
    assert r.latency_s == pytest.approx(r.bytes / system.caps("gpu").achieved_bw_bytes_per_s)


def test_decode_attention_reads_kv_and_scales_with_context():
    system = gpu_pim_system()
    a = predict_op_attention(system, "decode", 16, 32, 8, 128, 4096, device="pim")
    b = predict_op_attention(system, "decode", 16, 32, 8, 128, 8192, device="pim")
    assert a.device == "pim" and b.latency_s > a.latency_s
    assert a.bytes >= 2 * 16 * 4096 * 8 * 128 * 2


def test_prefill_attention_is_compute_bound_and_causal():
    r = predict_op_attention(gpu_system(), "prefill", 1, 32, 32, 128, 8192)
    assert r.bound == "compute"
    assert r.flops == pytest.approx(4 * 32 * 128 * 8192 * 8193 / 2)


def test_unknown_device_and_unsupported_kind():
    with pytest.raises(CosimInputError, match="tpu"):
        predict_op_gemm(gpu_system(), 1, 1, 1, device="tpu")
    with pytest.raises(CosimInputError, match="gemm"):
        predict_op_gemm(gpu_pim_system(), 16, 16, 16, device="pim")
