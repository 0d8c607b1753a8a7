"""FlashAttention-2 (torch SDPA) causal prefill: CTAs handed out in grid order to two half-speed slots per SM."""

from __future__ import annotations

import pytest
from gpu_toys import make_view
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.perf.gpu.attention import causal_row_visits, grid_order_makespan, prefill_attention_time
from cosim.workload.dtypes import DType

HEAD_DIM = 128
BLOCK_M = 128  # generic (Ampere-like) table: FlashAttention-2 hdim-128 query rows per CTA


def _compute(view, *, heads: int, q_len: int, kernel: str = "sdpa", batch: int = 1) -> float:
    peak = view.caps.matrix_flops_per_s[DType.BF16]
    t = prefill_attention_time(view, batch=batch, heads=heads, kv_heads=heads, head_dim=HEAD_DIM, q_len=q_len,
                               kv_len=q_len, elem_bytes=2, kv_bytes=2, peak_flops=peak, causal=True, kernel=kernel)
    return float(t.compute_s)


def _per_key(view) -> float:
    sm_rate = view.sm_count * 1e12 * view.sdpa_attention_efficiency / view.sm_count
    return 4.0 * BLOCK_M * HEAD_DIM / sm_rate


def test_row_visits_follow_the_causal_diagonal():
    assert causal_row_visits(300, 300, 128) == (128, 256, 300)
    assert causal_row_visits(128, 512, 128) == (512,)  # a chunk after a 384-token prefix sees every key


def test_grid_order_makespan_by_hand():
    # visits 1, 2, 1, 2 on two slots: A=1, B=2, A=1+1=2, then 2 more on a slot free at 2 -> 4
    assert grid_order_makespan((1, 2), 2, 2) == 4
    assert grid_order_makespan((5,), 3, 3) == 5  # one per slot


def test_at_most_one_cta_per_sm_runs_at_the_full_rate():
    view = make_view(sms=4)
    # 2 heads x 2 row blocks = 4 CTAs on 4 SMs: the heaviest block (256 keys) alone at the full rate
    assert _compute(view, heads=2, q_len=256) == pytest.approx(256 * _per_key(view))


def test_more_ctas_than_sms_share_the_sm_and_leave_a_grid_order_tail():
    view = make_view(sms=1)
    # CTAs 128, 256, 128, 256 keys on two half-speed slots: A=128, B=256, A=256, then 512 -> 1024 full-rate keys
    assert _compute(view, heads=2, q_len=256) == pytest.approx(2 * 512 * _per_key(view))
    # a perfectly balanced SM would need only the total work: 768 keys
    assert _compute(view, heads=2, q_len=256) > 768 * _per_key(view)


def test_the_serving_kernel_keeps_its_balanced_schedule():
    view = make_view(sms=1)
    assert _compute(view, heads=2, q_len=256, kernel="serving") == pytest.approx(
        768 * 4.0 * BLOCK_M * HEAD_DIM / (1e12 * view.attention_efficiency))


@settings(max_examples=40, deadline=None)
@given(sms=st.integers(1, 16), heads=st.integers(1, 16), more=st.integers(1, 8), q_len=st.integers(2, 1500))
def test_more_heads_never_take_less_time(sms, heads, more, q_len):
    """Appending CTAs to a grid-order list schedule cannot make the earlier ones finish sooner."""
    view = make_view(sms=sms)
    assert _compute(view, heads=heads + more, q_len=q_len) >= _compute(view, heads=heads, q_len=q_len) * (1 - 1e-12)
