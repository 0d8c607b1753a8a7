"""Which decode kernels split the keys over CTAs (FlashAttention-2's varlen API splits only packed GQA decode)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from gpu_toys import make_view

from cosim.hardware.gpu_kernel import GpuArchitecture
from cosim.perf.gpu.attention import decode_attention_time

PEAK_FLOPS = 108e12


def _decode(view, kernel: str, heads: int, kv_heads: int, kv_len: int = 65536) -> float:
    return float(decode_attention_time(view, batch=1, heads=heads, kv_heads=kv_heads, head_dim=128, kv_len=kv_len,
                                       elem_bytes=2, kv_bytes=2, peak_flops=PEAK_FLOPS,
                                       kernel=kernel).latency_s)


def _view(arch: GpuArchitecture):
    return make_view(sms=108, bw=2e12, architecture=arch, attention_efficiency=0.5, sdpa_attention_efficiency=0.5)


def test_ampere_serving_mha_decode_walks_all_keys_in_one_cta_per_head():
    view = _view(GpuArchitecture.AMPERE)
    serving, sdpa = _decode(view, "serving", 2, 2), _decode(view, "sdpa", 2, 2)
    assert serving > 5 * sdpa  # 2 CTAs over 65536 keys vs the split kernel filling the SMs


def test_ampere_serving_gqa_decode_still_splits():
    view = _view(GpuArchitecture.AMPERE)
    assert _decode(view, "serving", 16, 2) == pytest.approx(_decode(view, "sdpa", 16, 2), rel=1e-9)


def test_hopper_serving_kernel_splits_mha_decode_too():
    view = _view(GpuArchitecture.HOPPER)
    assert _decode(view, "serving", 2, 2) == pytest.approx(_decode(view, "sdpa", 2, 2), rel=1e-9)


def test_attention_overlap_defaults_to_the_gemm_overlap_and_overrides_it():
    view = make_view(overlap=2.0)
    assert view.attn_overlap == 2.0
    assert replace(view, attention_overlap=6.0).attn_overlap == 6.0
