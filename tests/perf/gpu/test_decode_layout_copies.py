"""vLLM's FlashAttention-2 varlen decode swaps the GQA group into the rows: two copy kernels unless torch can view."""

from __future__ import annotations

import pytest
from gpu_toys import make_view
from hypothesis import given
from hypothesis import strategies as st

from cosim.hardware.gpu_kernel import GpuArchitecture
from cosim.perf.gpu.attention import SWAP_LAYOUT_COPIES, decode_attention_time, swapped_layout_copies_s

PEAK_FLOPS = 108e12
HEAD_DIM = 128


def _view(arch: GpuArchitecture):
    return make_view(sms=108, bw=2e12, architecture=arch, attention_efficiency=0.5, sdpa_attention_efficiency=0.5)


def _copies(view, kernel: str, batch: int, heads: int, kv_heads: int) -> float:
    return swapped_layout_copies_s(view, kernel, batch=batch, heads=heads, kv_heads=kv_heads, head_dim=HEAD_DIM,
                                   elem_bytes=2)


def _decode(view, kernel: str, batch: int, heads: int, kv_heads: int) -> float:
    return float(decode_attention_time(view, batch=batch, heads=heads, kv_heads=kv_heads, head_dim=HEAD_DIM,
                                       kv_len=4096, elem_bytes=2, kv_bytes=2, peak_flops=PEAK_FLOPS,
                                       kernel=kernel).latency_s)


@pytest.mark.parametrize(("batch", "heads", "kv_heads"), [(1, 32, 8), (16, 32, 1), (16, 8, 8)])
def test_no_copy_when_torch_can_view_the_swapped_layout(batch, heads, kv_heads):
    assert _copies(_view(GpuArchitecture.AMPERE), "serving", batch, heads, kv_heads) == 0.0


def test_no_copy_outside_the_fa2_varlen_path():
    assert _copies(_view(GpuArchitecture.AMPERE), "sdpa", 16, 32, 8) == 0.0
    assert _copies(_view(GpuArchitecture.HOPPER), "serving", 16, 32, 8) == 0.0


def test_each_copy_is_a_kernel_launch_with_its_dram_round_trip():
    view = _view(GpuArchitecture.AMPERE)
    per_kernel = view.kernel_gap_s + view.dram_latency_s
    assert _copies(view, "serving", 16, 32, 8) >= SWAP_LAYOUT_COPIES * per_kernel


@given(batch=st.integers(2, 512), kv_heads=st.sampled_from([2, 4, 8]), group=st.sampled_from([2, 4, 8]))
def test_serving_gqa_decode_pays_the_copies_on_top_of_the_sdpa_kernel(batch, kv_heads, group):
    view = _view(GpuArchitecture.AMPERE)
    heads = kv_heads * group
    gap = _decode(view, "serving", batch, heads, kv_heads) - _decode(view, "sdpa", batch, heads, kv_heads)
    assert gap == pytest.approx(_copies(view, "serving", batch, heads, kv_heads), rel=1e-9)
    assert gap > 0
