"""Varlen flash attention: per-request work, and exactly the equal-length formula for equal requests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.hardware import load_system
from cosim.perf.gpu.attention import decode_attention_time, prefill_attention_time
from cosim.perf.gpu.attention_varlen import decode_attention_varlen_time, prefill_attention_varlen_time
from cosim.perf.gpu.device import gpu_view
from cosim.workload.dtypes import DType


@pytest.fixture(scope="module", params=["a100-80g", "h100-sxm"])
def gpu(request):
    system = load_system(request.param)
    name = next(iter(system.devices))
    return gpu_view(system.caps(name), system.devices[name].spec)


def _common(gpu, heads=32, kv_heads=8, kernel="serving"):
    return dict(heads=heads, kv_heads=kv_heads, head_dim=128, elem_bytes=2.0, kv_bytes=2.0,
                peak_flops=gpu.tensor_peak(DType.parse("bf16")), kernel=kernel)


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 64), kv=st.integers(1, 20000), heads=st.sampled_from([(32, 8), (32, 32), (64, 8)]),
       kernel=st.sampled_from(["sdpa", "serving"]))
def test_equal_decode_requests_cost_at_most_the_equal_length_formula(gpu, batch, kv, heads, kernel):
    """The equal-length formula prices every split CTA as a full chunk; varlen charges each its real keys."""
    common = _common(gpu, *heads, kernel=kernel)
    ref = decode_attention_time(gpu, batch=batch, kv_len=kv, **common)
    var = decode_attention_varlen_time(gpu, kv_lens=np.full(batch, kv), **common)
    assert float(var.latency_s) <= float(ref.latency_s) * (1 + 1e-12)
    assert float(var.latency_s) >= 0.8 * float(ref.latency_s)


def test_the_cost_model_keeps_the_equal_length_formula_for_equal_requests():
    """A step graph of equal requests is timed exactly as before the per-request lengths existed."""
    from cosim.perf.gpu.model import unequal_lengths
    from cosim.workload import OpKind, build_graph

    g = build_graph("llama2-7b", "decode", 8, 4096)
    op = next(o for _, o in g.nodes(data="op") if o.kind is OpKind.FUSED_ATTENTION)
    assert op.attrs["kv_lens"].tolist() == [4096] * 8 and unequal_lengths(op) is None
    g = build_graph("llama2-7b", "decode", 2, [100, 4096])
    op = next(o for _, o in g.nodes(data="op") if o.kind is OpKind.FUSED_ATTENTION)
    assert unequal_lengths(op) is not None


def test_unequal_decode_requests_are_not_averaged(gpu):
    common = _common(gpu)
    skewed = decode_attention_varlen_time(gpu, kv_lens=np.array([1000, 31000] * 4), **common)
    even = decode_attention_varlen_time(gpu, kv_lens=np.full(8, 16000), **common)
    assert float(skewed.latency_s) > float(even.latency_s)  # the long requests' CTAs set the waves


def test_longer_requests_never_take_less_time(gpu):
    common = _common(gpu)
    rng = np.random.default_rng(0)
    for _ in range(20):
        lens = rng.integers(1, 20000, size=rng.integers(2, 40))
        longer = lens + rng.integers(0, 2000, size=lens.size)
        a = decode_attention_varlen_time(gpu, kv_lens=lens, **common)
        b = decode_attention_varlen_time(gpu, kv_lens=longer, **common)
        assert float(b.latency_s) >= float(a.latency_s) * (1 - 1e-12)


def test_prefill_varlen_pays_for_the_longest_chunk(gpu):
    common = _common(gpu, kernel="serving")
    one = prefill_attention_time(gpu, batch=1, q_len=4096, kv_len=4096, **common)
    with_short = prefill_attention_varlen_time(gpu, q_lens=np.array([4096, 64]), kv_lens=np.array([4096, 64]),
                                               **common)
    assert float(with_short.latency_s) >= float(one.latency_s) * 0.99
    assert float(with_short.compute_s) >= float(one.compute_s) * 0.99


def _wave_keys_by_loop(kv_lens, splits, chunk, copies, slots):
    from cosim.perf.gpu.attention_varlen import wave_time_units

    out = []
    for s, c in zip(splits.tolist(), chunk.tolist(), strict=True):
        starts = np.arange(s, dtype=np.int64) * c
        keys = np.clip(kv_lens[:, None] - starts[None, :], 0, c).ravel()
        out.append(wave_time_units(keys.astype(float), copies, slots))
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(lens=st.lists(st.integers(1, 40000), min_size=1, max_size=40), copies=st.integers(1, 16),
       slots=st.sampled_from([108, 132, 170]), block_n=st.sampled_from([64, 128, 256]))
def test_split_wave_keys_equal_the_per_split_wave_walk(lens, copies, slots, block_n):
    from cosim.perf.gpu.attention_varlen import split_wave_keys

    kv = np.asarray(lens, dtype=np.int64)
    splits = np.arange(1, 129, dtype=np.int64)
    n_blocks = -(-int(kv.max()) // block_n)
    chunk = -(-n_blocks // splits) * block_n
    np.testing.assert_allclose(split_wave_keys(kv, splits, chunk, copies, slots),
                               _wave_keys_by_loop(kv, splits, chunk, copies, slots), rtol=1e-12)
